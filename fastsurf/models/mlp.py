"""Fully connected nets (Gamst & Walker's K x N ReLU nets and smooth variants)."""

from __future__ import annotations

import numbers

import numpy as np

from .._memory import check_memory
from .._validation import as_float_array, as_rng, as_theta, check_choice, check_real
from ..data import ClassificationData, RegressionData
from ..kernels import ensemble as ke
from ..kernels import mlp as km
from .base import Model, check_size

ACTIVATIONS = {"relu": km.RELU, "softplus": km.SOFTPLUS, "tanh": km.TANH, "logsig": km.LOGSIG}


def _check_blas(blas, n_layers: int):
    """``"auto"``, True, False or one bool per layer (as a tuple)."""
    if isinstance(blas, str):
        if blas != "auto":
            raise ValueError(f"blas must be 'auto', a bool or one bool per layer, got {blas!r}")
        return blas
    if isinstance(blas, (bool, np.bool_)):
        return (bool(blas),) * n_layers
    if not hasattr(blas, "__iter__"):
        raise TypeError(f"blas must be 'auto', a bool or one bool per layer, got "
                        f"{type(blas).__name__}")
    flags = tuple(blas)
    if len(flags) != n_layers or not all(isinstance(f, (bool, np.bool_)) for f in flags):
        raise ValueError(f"blas as a sequence must hold {n_layers} bools (one per layer), "
                         f"got {blas!r}")
    return tuple(bool(f) for f in flags)


class MLP(Model):
    """A fully connected net with a linear output layer.

    Parameters
    ----------
    widths : tuple of int
        Units per layer, inputs first: (d_in, N, ..., N, d_out). The default (1, 5, 5, 5, 5, 5, 1)
        is Gamst & Walker's 5x5 net with 136 parameters.
    activation : {"relu", "softplus", "tanh", "logsig"}
        Hidden-layer activation. softplus_beta(z) = relu(z) + log1p(exp(-beta |z|)) / beta is
        evaluated in that stable form (beta up to 1e4 and beyond); beta = 5000 makes it ReLU to
        1.4e-4 while keeping a Hessian.
    beta : float
        Sharpness of softplus (> 0; ignored by the other activations).
    blas : "auto", bool or sequence of bool
        How each layer's products run: through BLAS (``np.dot`` inside the Numba kernels) or
        the hand-written loops. ``"auto"`` (default) takes BLAS for the layers past the
        crossover measured by ``bench/mlp_blas.py`` (``fastsurf.kernels.mlp.blas_layers``):
        for one parameter vector, layers of n_in * n_out * n_samples >= 2^12 multiply-adds;
        for a batch, of >= 2^17 with both widths >= 8 (loop-only nets run a batch's vectors
        in parallel; with a BLAS layer they run one after another, each product
        multi-threaded by BLAS). True/False force every layer; a sequence gives one flag per
        layer.

    Notes
    -----
    Parameters, layer by layer: W_l row-major with shape (n_out, n_in), then b_l. Data is
    :class:`~fastsurf.RegressionData` (default loss: the MSE) or
    :class:`~fastsurf.ClassificationData` with d_out = n_classes: the outputs are then the
    logits (default loss: the softmax cross-entropy, see :class:`~fastsurf.Problem`). ReLU
    nets have gradients and Gauss-Newton matrices but no Hessian (it is zero or undefined at
    every kink): ask for ``activation="softplus"``.
    """

    data_type = RegressionData

    def __init__(self, widths=(1, 5, 5, 5, 5, 5, 1), activation: str = "relu",
                 beta: float = 5000.0, blas="auto"):
        if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
            raise TypeError("widths must be a tuple of positive integers")
        widths = tuple(widths)
        if len(widths) < 2:
            raise ValueError(f"widths must have at least an input and an output layer, "
                             f"got {widths}")
        for w in widths:
            if isinstance(w, bool) or not isinstance(w, numbers.Integral) or w < 1:
                raise ValueError(f"widths must be positive integers, got {widths}")
        self.widths = tuple(int(w) for w in widths)
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.beta = check_real("beta", beta, minimum=0.0, strict_min=True)
        self._code = ACTIVATIONS[self.activation]
        self.blas = _check_blas(blas, len(self.widths) - 1)
        check_size(sum(self.widths[l] * (self.widths[l - 1] + 1)
                       for l in range(1, len(self.widths))), f"MLP(widths={self.widths})")
        w_off, b_off, u_off, names = [0], [0], [0], []
        pos, units = 0, self.widths[0]
        for l in range(1, len(self.widths)):
            n_in, n_out = self.widths[l - 1], self.widths[l]
            w_off.append(pos)
            names += [f"W{l}[{o},{i}]" for o in range(n_out) for i in range(n_in)]
            pos += n_out * n_in
            b_off.append(pos)
            names += [f"b{l}[{o}]" for o in range(n_out)]
            pos += n_out
            u_off.append(units)
            units += n_out
        self._w_off = np.array(w_off, dtype=np.int64)
        self._b_off = np.array(b_off, dtype=np.int64)
        self._u_off = np.array(u_off, dtype=np.int64)
        self._widths = np.array(self.widths, dtype=np.int64)
        self.n_params = pos
        self.param_names = tuple(names)

    def __repr__(self) -> str:
        blas = "" if self.blas == "auto" else f", blas={self.blas!r}"
        return (f"MLP(widths={self.widths}, activation={self.activation!r}, "
                f"beta={self.beta}{blas})")

    def describe(self) -> dict:
        return {"model": "MLP", "widths": list(self.widths), "activation": self.activation,
                "beta": self.beta}

    def default_loss(self) -> str:
        return "mse"

    def layer_slices(self, l: int) -> tuple[slice, slice]:
        """(weights, biases) slices of layer l (1-based) in theta."""
        n_in, n_out = self.widths[l - 1], self.widths[l]
        w0, b0 = int(self._w_off[l]), int(self._b_off[l])
        return slice(w0, w0 + n_out * n_in), slice(b0, b0 + n_out)

    def linear_params(self) -> tuple[int, ...]:
        """The output layer's weights and biases (the output layer is linear)."""
        ws, bs = self.layer_slices(len(self.widths) - 1)
        return tuple(range(ws.start, bs.stop))

    def init(self, rng=None) -> np.ndarray:
        """He-normal weights (std sqrt(2 / n_in)) and zero biases."""
        rng = as_rng(rng)
        theta = np.zeros(self.n_params)
        for l in range(1, len(self.widths)):
            ws, _ = self.layer_slices(l)
            theta[ws] = rng.standard_normal(ws.stop - ws.start) * np.sqrt(2 / self.widths[l - 1])
        return theta

    def check_data(self, data) -> None:
        if isinstance(data, ClassificationData):
            if data.x.shape[1] != self.widths[0] or data.n_classes != self.widths[-1]:
                raise ValueError(f"ClassificationData for this MLP must have {self.widths[0]} "
                                 f"input column(s) and n_classes = d_out = {self.widths[-1]} "
                                 f"(one logit per class), got x {data.x.shape} and "
                                 f"n_classes={data.n_classes}")
            return
        if not isinstance(data, RegressionData):
            raise TypeError(f"data for MLP must be RegressionData or ClassificationData, got "
                            f"{type(data).__name__}")
        if data.x.shape[1] != self.widths[0] or data.y.shape[1] != self.widths[-1]:
            raise ValueError(f"data must have {self.widths[0]} input and {self.widths[-1]} "
                             f"output column(s), got x {data.x.shape} and y {data.y.shape}")

    @staticmethod
    def _targets(data) -> np.ndarray:
        """Least-squares targets (n, d_out): y, or the one-hot labels of ClassificationData."""
        return data.onehot if isinstance(data, ClassificationData) else data.y

    def _args(self, data):
        return (np.ascontiguousarray(data.x.T), np.ascontiguousarray(self._targets(data).T),
                self._widths, self._w_off, self._b_off, self._u_off, self._code, self.beta)

    def _class_args(self, data):
        return (np.ascontiguousarray(data.x.T), data.labels, self._widths, self._w_off,
                self._b_off, self._u_off, self._code, self.beta)

    def blas_flags(self, n_samples: int, batch: bool = False) -> np.ndarray:
        """Per-layer BLAS flags (index l = 1..L) for a pass of one parameter vector (or, with
        ``batch``, of a batch of them) over ``n_samples`` samples."""
        if self.blas == "auto":
            return km.blas_layers(self.widths, n_samples, batch)
        flags = np.zeros(len(self.widths), dtype=np.int64)
        flags[1:] = self.blas
        return flags

    def _serial(self, data) -> np.ndarray | None:
        """When the batch rule hands some layer to BLAS, the flags of one vector (the batch then
        runs one vector at a time, each with the bits of a single evaluation); else None (the
        batch runs in a parallel loop kernel)."""
        n = data.x.shape[0]
        return self.blas_flags(n) if self.blas_flags(n, batch=True).any() else None

    def simulate(self, theta, data) -> np.ndarray:
        """Outputs (logits for ClassificationData) for ``data`` (RegressionData,
        ClassificationData or an array of inputs), shape (n, d_out)."""
        theta = as_theta("theta", theta, self.n_params)
        x = (data.x if isinstance(data, (RegressionData, ClassificationData))
             else as_float_array("x", data, (1, 2)))
        x = x.reshape(-1, 1) if x.ndim == 1 else x
        if x.shape[1] != self.widths[0]:
            raise ValueError(f"x must have {self.widths[0]} column(s), got {x.shape}")
        X = np.ascontiguousarray(x.T)
        H, _, _ = km.forward_pass_mixed(theta, X, self._widths, self._w_off, self._b_off,
                                        self._u_off, self._code, self.beta,
                                        self.blas_flags(X.shape[1]))
        return H[int(self._u_off[-1]):].T.copy()

    def sse(self, theta, data) -> float:
        return float(km.sse_mixed(theta, *self._args(data), self.blas_flags(data.n_samples)))

    def sse_batch(self, thetas, data) -> np.ndarray:
        flags = self._serial(data)
        if flags is None:
            return km.sse_batch(thetas, *self._args(data))
        args = self._args(data)
        return np.array([km.sse_mixed(t, *args, flags) for t in thetas], dtype=float)

    def residuals(self, theta, data) -> np.ndarray:
        return (self._targets(data) - self.simulate(theta, data)).ravel()

    def sse_gradient(self, theta, data) -> np.ndarray:
        return km.sse_gradient_mixed(theta, *self._args(data), self.blas_flags(data.n_samples))

    def sse_gradient_batch(self, thetas, data) -> np.ndarray:
        """Gradients at each row of ``thetas`` (parallel)."""
        flags = self._serial(data)
        if flags is None:
            return km.sse_gradient_batch(thetas, *self._args(data))
        args = self._args(data)
        return np.array([km.sse_gradient_mixed(t, *args, flags) for t in thetas]
                        ).reshape(-1, self.n_params)

    def residual_jacobian(self, theta, data) -> np.ndarray:
        X, _, widths, w_off, b_off, u_off, code, beta = self._args(data)
        J = np.empty((data.n_residuals, self.n_params))
        km.output_jacobian(theta, X, widths, w_off, b_off, u_off, code, beta, J)
        return -J

    def sse_hessian(self, theta, data) -> np.ndarray:
        self._refuse_relu_hessian()
        return km.sse_hessian(theta, *self._args(data))

    # --- classification (ClassificationData; Problem scales the sums) -------------------------
    def _refuse_relu_hessian(self) -> None:
        if self.activation == "relu" and len(self.widths) > 2:
            raise ValueError("a ReLU net has no Hessian (zero or undefined at every kink); use "
                             "MLP(..., activation='softplus', beta=5000.0), which equals ReLU "
                             "to 1.4e-4 and is twice differentiable")

    def cross_entropy(self, theta, data) -> float:
        """Softmax cross-entropy of the logits summed over samples (+inf where they overflow)."""
        return float(km.xent(theta, *self._class_args(data), self.blas_flags(data.n_samples)))

    def cross_entropy_batch(self, thetas, data) -> np.ndarray:
        """:meth:`cross_entropy` at each row of ``thetas``."""
        flags = self._serial(data)
        if flags is None:
            return km.xent_batch(thetas, *self._class_args(data))
        args = self._class_args(data)
        return np.array([km.xent(t, *args, flags) for t in thetas], dtype=float)

    def cross_entropy_gradient(self, theta, data) -> np.ndarray:
        """Exact gradient of the summed cross-entropy (backprop; NaN where it overflows)."""
        return km.xent_gradient(theta, *self._class_args(data),
                                self.blas_flags(data.n_samples))

    def cross_entropy_gradient_batch(self, thetas, data) -> np.ndarray:
        """:meth:`cross_entropy_gradient` at each row of ``thetas``."""
        flags = self._serial(data)
        if flags is None:
            return km.xent_gradient_batch(thetas, *self._class_args(data))
        args = self._class_args(data)
        return np.array([km.xent_gradient(t, *args, flags) for t in thetas]
                        ).reshape(-1, self.n_params)

    def cross_entropy_gauss_newton(self, theta, data) -> np.ndarray:
        """Gauss-Newton matrix sum_s J_s^T (diag p_s - p_s p_s^T) J_s of the summed
        cross-entropy, by forward-mode columns (no Jacobian is formed)."""
        return km.xent_gauss_newton(theta, *self._class_args(data))

    def cross_entropy_hessian(self, theta, data) -> np.ndarray:
        """Exact Hessian of the summed cross-entropy (forward-over-backward columns)."""
        self._refuse_relu_hessian()
        return km.xent_hessian(theta, *self._class_args(data))

    def n_errors(self, theta, data) -> int:
        """Samples whose label's logit is not strictly the largest (ties count as errors)."""
        return int(km.n_errors(theta, *self._class_args(data),
                               self.blas_flags(data.n_samples)))

    def n_errors_batch(self, thetas, data) -> np.ndarray:
        """:meth:`n_errors` at each row of ``thetas`` (int64)."""
        flags = self._serial(data)
        if flags is None:
            return km.n_errors_batch(thetas, *self._class_args(data))
        args = self._class_args(data)
        return np.array([km.n_errors(t, *args, flags) for t in thetas], dtype=np.int64)

    def rescaling_directions(self, theta) -> np.ndarray:
        """Tangents of the ReLU rescaling symmetry, one per hidden unit (k, P).

        Scaling hidden unit u's incoming weights and bias by c and its outgoing weights by 1/c
        leaves a ReLU net unchanged; d/dc at c = 1 gives the direction. They are exact zero
        modes of the loss for ReLU and approximate ones for softplus with large beta.
        """
        theta = as_theta("theta", theta, self.n_params)
        dirs = []
        for l in range(1, len(self.widths) - 1):
            n_in, n_out = self.widths[l - 1], self.widths[l]
            ws, bs = self.layer_slices(l)
            wn, _ = self.layer_slices(l + 1)
            for u in range(n_out):
                d = np.zeros(self.n_params)
                row = slice(ws.start + u * n_in, ws.start + (u + 1) * n_in)
                d[row] = theta[row]
                d[bs.start + u] = theta[bs.start + u]
                col = np.arange(wn.start + u, wn.stop, n_out)
                d[col] = -theta[col]
                dirs.append(d)
        return np.array(dirs).reshape(-1, self.n_params)

    # --- many training runs in one parallel kernel (fastsurf.kernels.ensemble) ----------------
    def kernel_methods(self) -> tuple[str, ...]:
        """Full-batch Adadelta (Zeiler 2012) and heavy-ball gradient descent (Polyak 1964),
        many runs in SIMD lanes (:mod:`fastsurf.kernels.ensemble`). Named apart from
        ``train.adadelta``/``train.gd``: a diverged run keeps its last finite theta here."""
        return tuple(f"ensemble-{m}" for m in ke.METHODS)

    def kernel_runs(self, method, data, scale, starts, options) -> dict:
        """Runs of ``method`` ("ensemble-adadelta" or "ensemble-gd") from every row of
        ``starts`` on ``scale`` x the SSE, in the parallel kernel. ``options``: the checked
        numbers ``steps``, ``lr``, ``momentum``, ``rho``, ``eps``, ``goal``, ``gtol`` and
        ``record_every`` of :func:`fastsurf.ensemble.ensemble`.

        Returns ``thetas``, ``losses``, ``grad_norms``, ``n_iter``, ``reason`` (strings),
        ``n_evals``, ``history`` ((m, steps // record_every + 1), or None) and ``lanes``."""
        name = method.removeprefix("ensemble-")
        if method not in self.kernel_methods():
            raise ValueError(f"MLP has parallel kernels for {list(self.kernel_methods())}, "
                             f"got {method!r}")
        o = options
        m = starts.shape[0]
        n_rec = o["steps"] // o["record_every"] + 1 if o["record_every"] else 0
        threads = ke.n_threads()
        X, Y, widths, w_off, b_off, u_off, code, beta = self._args(data)
        check_memory(ke.work_bytes(m, self.n_params, int(u_off[-1] + widths[-1]), X.shape[1],
                                   Y.shape[0], n_rec, threads),
                     f"an ensemble of {m} runs")
        thetas, losses, gnorms, n_iter, codes, n_evals, history = ke.ensemble_runs(
            starts, X, Y, widths, w_off, b_off, u_off, code, beta, float(scale),
            ke.METHODS[name], o["steps"], o["lr"], o["momentum"], o["rho"], o["eps"],
            o["goal"], o["gtol"], o["record_every"], threads)
        return {"thetas": thetas, "losses": losses, "grad_norms": gnorms, "n_iter": n_iter,
                "reason": np.array(ke.REASONS)[codes], "n_evals": n_evals,
                "history": history if o["record_every"] else None, "lanes": ke.LANES}

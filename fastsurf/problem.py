"""The objective: a model, its data and a loss, with exact derivatives where the model has them.

Analyses talk only to the capabilities of :class:`Objective` (which :class:`Problem` and
:class:`FunctionProblem` both implement), never to a model's internals or a kernel: a new model
family adds one file in ``models/`` and one in ``kernels/``, and every analysis runs on it.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from ._memory import check_memory
from ._validation import as_theta, as_theta_batch, check_choice, check_int
from .data import ClassificationData, RegressionData
from .models.base import Model

#: Least-squares losses (residuals, Jacobians, structural scans, Levenberg-Marquardt).
LEAST_SQUARES = ("sse", "mse")
#: Losses of a classifier's logits on :class:`~fastsurf.ClassificationData`.
CLASSIFICATION = ("cross_entropy", "cross_entropy_sum", "zero_one")
LOSSES = LEAST_SQUARES + CLASSIFICATION


class NonFiniteLossError(ValueError):
    """A derivative was asked for where the loss is not finite (the outputs overflow): there is
    no derivative to give, and a NaN would poison whatever used it."""


@runtime_checkable
class Objective(Protocol):
    """What every analysis may ask of an objective (``Problem``, ``FunctionProblem`` or any
    object with these methods).

    ``loss``/``losses`` (+inf where the outputs overflow), ``gradient``/``hessian`` and their
    batched forms ``gradients``/``hessians``; ``linear_params`` (parameters the residuals are
    affine in, for structural scans); ``plane_losses`` (a fused plane scan, or None);
    ``kernel_methods``/``kernel_runs`` (many training runs in one parallel kernel);
    ``unstable`` (a stability test of the dynamics, or None); ``describe`` (metadata).
    Optional: ``init(rng)`` (default starts of training; U(-1, 1) without it) and
    ``rescaling_directions(theta)`` (symmetry tangents that explain Hessian zero modes).
    """

    n_params: int
    param_names: tuple[str, ...]
    loss_scale: float

    def loss(self, theta) -> float: ...
    def losses(self, thetas) -> np.ndarray: ...
    def gradient(self, theta) -> np.ndarray: ...
    def hessian(self, theta) -> np.ndarray: ...
    def gradients(self, thetas) -> np.ndarray: ...
    def hessians(self, thetas) -> np.ndarray: ...
    def linear_params(self) -> tuple[int, ...]: ...
    def plane_dtypes(self) -> tuple[str, ...]: ...
    def plane_block_rows(self, nx: int) -> int | None: ...
    def plane_losses(self, origin, d1, d2, x, y, method: str = "auto", dtype=np.float64,
                     progress=None) -> tuple[np.ndarray, int] | None: ...
    def kernel_methods(self) -> tuple[str, ...]: ...
    def kernel_runs(self, method: str, starts, options: dict) -> dict: ...
    def unstable(self, thetas) -> np.ndarray | None: ...
    def describe(self) -> dict: ...


class Problem:
    """A model, its data and a loss.

    Parameters
    ----------
    model : Model
        A fastsurf model (``RecurrentNeuron``, ``LayeredRecurrent``, ``MLP``).
    data : SequenceData, RegressionData or ClassificationData
        Data the model accepts.
    loss : {"sse", "mse", "cross_entropy", "cross_entropy_sum", "zero_one"}, optional
        ``"sse"``: sum of squared errors (Hagan's F = sum e^2); ``"mse"``: its mean over all
        residuals. On :class:`~fastsurf.ClassificationData` (an MLP with one logit per class):
        ``"cross_entropy"``, the softmax cross-entropy ``logsumexp(z_s) - z_{s, y_s}`` of the
        logits z_s **averaged over the samples** (computed stably by log-sum-exp);
        ``"cross_entropy_sum"``, the same summed over the samples; ``"zero_one"``, the error
        rate (see :meth:`error_rate`), a piecewise-constant loss for plateau analysis (Gao
        2018) whose values ``loss``/``losses`` give but whose derivatives are refused; and
        ``"sse"``/``"mse"`` on the one-hot targets. Default: ``"cross_entropy"`` for
        ClassificationData, else the model's own default (``"sse"`` for sequences, ``"mse"``
        for regression).

    Notes
    -----
    Residuals are e = target - output, so ``jacobian(theta)`` is -d output / d theta and the SSE
    gradient is 2 J^T e. The classification losses have no residuals: ``residuals``,
    ``jacobian`` and everything built on them (Levenberg-Marquardt, the structural scan fast
    path) need a least-squares loss and raise ValueError otherwise. ``loss_scale`` is the
    factor in front of the summed loss: 1 (sse, cross_entropy_sum), 1 / n_residuals (mse),
    1 / n_samples (cross_entropy, zero_one).

    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> rng = np.random.default_rng(0)
    >>> data = fs.ClassificationData(rng.standard_normal((20, 2)), np.arange(20) % 3)
    >>> model = fs.MLP((2, 4, 3), activation="tanh")
    >>> prob = fs.Problem(model, data)          # loss="cross_entropy" (mean over samples)
    >>> theta = model.init(0)
    >>> g, H = prob.gradient(theta), prob.hessian(theta)
    >>> bool(np.all(np.linalg.eigvalsh(prob.gauss_newton(theta)) > -1e-12))
    True
    >>> 0.0 <= prob.error_rate(theta) <= 1.0
    True
    """

    def __init__(self, model: Model, data, loss: str | None = None):
        if not isinstance(model, Model):
            raise TypeError(f"model must be a fastsurf model, got {type(model).__name__}")
        model.check_data(data)
        self.model = model
        self.data = data
        if loss is None:
            loss = "cross_entropy" if isinstance(data, ClassificationData) else \
                model.default_loss()
        self.loss_kind = check_choice("loss", loss, LOSSES)
        if self.loss_kind in CLASSIFICATION:
            if not isinstance(data, ClassificationData):
                raise ValueError(f"loss={self.loss_kind!r} needs ClassificationData (inputs "
                                 f"with class labels), got {type(data).__name__}")
            if not hasattr(model, "cross_entropy"):
                raise ValueError(f"loss={self.loss_kind!r} needs a model with classification "
                                 f"kernels (MLP), got {type(model).__name__}")
        self.n_residuals = int(data.n_residuals)
        self.loss_scale = {"sse": 1.0, "cross_entropy_sum": 1.0,
                           "mse": 1.0 / self.n_residuals}.get(self.loss_kind,
                                                              1.0 / _n_samples(data))

    @property
    def n_params(self) -> int:
        """Number of parameters P."""
        return self.model.n_params

    @property
    def param_names(self) -> tuple[str, ...]:
        """Parameter names, in theta order."""
        return self.model.param_names

    def _theta(self, theta) -> np.ndarray:
        return as_theta("theta", theta, self.n_params)

    def init(self, rng=None) -> np.ndarray:
        """Random initial parameters (the model's ``init``): the default starts of training."""
        return self.model.init(rng)

    @property
    def least_squares(self) -> bool:
        """Whether the loss is a least-squares one (``"sse"``/``"mse"``): only then are there
        residuals and a residual Jacobian."""
        return self.loss_kind in LEAST_SQUARES

    def _needs_least_squares(self, what: str) -> None:
        if not self.least_squares:
            raise ValueError(f"{what} is defined for the least-squares losses 'sse' and 'mse' "
                             f"only; loss={self.loss_kind!r} has no residuals (least-squares "
                             f"methods such as Levenberg-Marquardt need an SSE/MSE loss)")

    def _needs_derivatives(self, what: str) -> None:
        if self.loss_kind == "zero_one":
            raise ValueError(f"the {what} of loss='zero_one' is undefined: the 0-1 loss is "
                             f"piecewise constant (zero almost everywhere, a jump at every "
                             f"step); use loss='cross_entropy' for derivatives")

    def loss(self, theta) -> float:
        """Loss at one parameter vector (+inf where the outputs overflow)."""
        theta = self._theta(theta)
        if self.loss_kind == "zero_one":
            return self.model.n_errors(theta, self.data) / _n_samples(self.data)
        if self.loss_kind in CLASSIFICATION:
            return self.loss_scale * self.model.cross_entropy(theta, self.data)
        return self.loss_scale * self.model.sse(theta, self.data)

    def losses(self, thetas) -> np.ndarray:
        """Loss at each row of ``thetas`` (m, P), computed in parallel."""
        batch = as_theta_batch("thetas", thetas, self.n_params)
        if batch.shape[0] == 0:
            return np.empty(0)
        if self.loss_kind == "zero_one":
            return self.model.n_errors_batch(batch, self.data) / _n_samples(self.data)
        if self.loss_kind in CLASSIFICATION:
            return self.loss_scale * self.model.cross_entropy_batch(batch, self.data)
        return self.loss_scale * self.model.sse_batch(batch, self.data)

    def residuals(self, theta) -> np.ndarray:
        """Errors e = target - output, flattened, shape (n_residuals,). Least-squares losses
        only (ValueError for the classification losses)."""
        self._needs_least_squares("residuals(theta)")
        return self.model.residuals(self._theta(theta), self.data)

    def _refuse_nonfinite(self, theta: np.ndarray, value: np.ndarray, what: str) -> np.ndarray:
        if not np.all(np.isfinite(value)) and not np.isfinite(self.loss(theta)):
            raise NonFiniteLossError(f"the loss is not finite at theta (the outputs overflow), "
                                     f"so the {what} is undefined there")
        return value

    def gradient(self, theta) -> np.ndarray:
        """Exact gradient of the loss, shape (P,). :class:`NonFiniteLossError` (a ValueError)
        where the loss is not finite; ValueError for ``loss="zero_one"``."""
        theta = self._theta(theta)
        self._needs_derivatives("gradient")
        if self.loss_kind in CLASSIFICATION:
            g = self.loss_scale * self.model.cross_entropy_gradient(theta, self.data)
        else:
            g = self.loss_scale * self.model.sse_gradient(theta, self.data)
        return self._refuse_nonfinite(theta, g, "gradient")

    def jacobian(self, theta) -> np.ndarray:
        """Exact Jacobian of the residuals, shape (n_residuals, P). Least-squares losses only
        (ValueError for the classification losses)."""
        theta = self._theta(theta)
        self._needs_least_squares("jacobian(theta)")
        check_memory(8 * self.n_residuals * self.n_params,
                     f"the Jacobian ({self.n_residuals} x {self.n_params})")
        return self.model.residual_jacobian(theta, self.data)

    def hessian(self, theta) -> np.ndarray:
        """Exact Hessian of the loss, shape (P, P). :class:`NonFiniteLossError` (a ValueError)
        where the loss is not finite; ValueError for ``loss="zero_one"``."""
        theta = self._theta(theta)
        self._needs_derivatives("Hessian")
        check_memory(16 * self.n_params ** 2, f"the Hessian ({self.n_params} x {self.n_params})")
        if self.loss_kind in CLASSIFICATION:
            H = self.loss_scale * self.model.cross_entropy_hessian(theta, self.data)
        else:
            H = self.loss_scale * self.model.sse_hessian(theta, self.data)
        return self._refuse_nonfinite(theta, H, "Hessian")

    def gauss_newton(self, theta) -> np.ndarray:
        """Gauss-Newton matrix of the loss, shape (P, P): symmetric positive semi-definite.

        For ``"sse"``/``"mse"``: ``loss_scale * 2 J^T J`` (J the residual Jacobian). For the
        cross-entropy: ``loss_scale * sum_s J_s^T (diag p_s - p_s p_s^T) J_s`` with J_s the
        Jacobian of sample s's logits and p_s their softmax: the Hessian without the term
        ``sum_s sum_c (p_sc - y_sc) Hess(z_sc)``. It is built column by column in forward
        mode inside a Numba kernel, without forming any Jacobian, and exists for ReLU nets
        too. :class:`NonFiniteLossError` where the loss is not finite; ValueError for
        ``loss="zero_one"``.

        Examples
        --------
        >>> import numpy as np
        >>> import fastsurf as fs
        >>> data = fs.ClassificationData(np.linspace(-1, 1, 12).reshape(6, 2), [0, 1, 2] * 2)
        >>> prob = fs.Problem(fs.MLP((2, 3, 3), activation="relu"), data)
        >>> G = prob.gauss_newton(np.full(prob.n_params, 0.1))
        >>> G.shape, bool(np.array_equal(G, G.T))
        ((21, 21), True)
        """
        theta = self._theta(theta)
        self._needs_derivatives("Gauss-Newton matrix")
        check_memory(24 * self.n_params ** 2,
                     f"the Gauss-Newton matrix ({self.n_params} x {self.n_params})")
        if self.loss_kind in CLASSIFICATION:
            G = self.loss_scale * self.model.cross_entropy_gauss_newton(theta, self.data)
        else:
            J = self.jacobian(theta)
            G = 2.0 * self.loss_scale * (J.T @ J)
        return self._refuse_nonfinite(theta, G, "Gauss-Newton matrix")

    def gradients(self, thetas) -> np.ndarray:
        """Exact gradients at each row of ``thetas`` (m, P) -> (m, P)."""
        batch = as_theta_batch("thetas", thetas, self.n_params)
        self._needs_derivatives("gradient")
        if self.loss_kind in CLASSIFICATION:
            return self.loss_scale * self.model.cross_entropy_gradient_batch(batch, self.data)
        return self.loss_scale * self.model.sse_gradient_batch(batch, self.data)

    def hessians(self, thetas) -> np.ndarray:
        """Exact Hessians at each row of ``thetas`` (m, P) -> (m, P, P)."""
        batch = as_theta_batch("thetas", thetas, self.n_params)
        self._needs_derivatives("Hessian")
        check_memory(16 * batch.shape[0] * self.n_params ** 2,
                     f"{batch.shape[0]} Hessians ({self.n_params} x {self.n_params})")
        if self.loss_kind in CLASSIFICATION:
            P = self.n_params
            return self.loss_scale * np.array(
                [self.model.cross_entropy_hessian(t, self.data) for t in batch]
            ).reshape(-1, P, P)
        return self.loss_scale * self.model.sse_hessian_batch(batch, self.data)

    def subset(self, rows) -> Problem:
        """The same model and loss on the samples ``rows`` of the data: a minibatch.

        ``rows`` are sample indices (a non-empty 1-D integer array, repeats allowed) into
        :class:`~fastsurf.RegressionData` or :class:`~fastsurf.ClassificationData` (which keeps
        its ``n_classes`` even when a batch misses a class). The mean losses (``"mse"``,
        ``"cross_entropy"``) are then means over the batch, so the batch gradient is the
        stochastic estimate of the full gradient that minibatch SGD steps along. Sequence data
        has no samples to draw: TypeError.

        Examples
        --------
        >>> import numpy as np
        >>> import fastsurf as fs
        >>> data = fs.ClassificationData(np.arange(12.0).reshape(6, 2), [0, 1, 2, 0, 1, 2])
        >>> prob = fs.Problem(fs.MLP((2, 3, 3), activation="tanh"), data)
        >>> theta = prob.init(0)
        >>> halves = [prob.subset([0, 1, 2]), prob.subset([3, 4, 5])]
        >>> bool(np.allclose(sum(h.gradient(theta) for h in halves) / 2, prob.gradient(theta)))
        True
        """
        data = self.data
        if not isinstance(data, (RegressionData, ClassificationData)):
            raise TypeError(f"subset needs RegressionData or ClassificationData (samples to "
                            f"draw), got {type(data).__name__}")
        idx = np.asarray(rows)
        if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
            raise ValueError(f"rows must be a non-empty 1-D array of integer sample indices, "
                             f"got {'dtype ' + str(idx.dtype) if idx.size else 'nothing'} "
                             f"of shape {idx.shape}")
        n = data.x.shape[0]
        if idx.min() < 0 or idx.max() >= n:
            raise ValueError(f"rows must lie in [0, {n}) (the samples of the data), got "
                             f"[{idx.min()}, {idx.max()}]")
        if isinstance(data, ClassificationData):
            sub = ClassificationData(data.x[idx], data.labels[idx], n_classes=data.n_classes)
        else:
            sub = RegressionData(data.x[idx], data.y[idx])
        return Problem(self.model, sub, self.loss_kind)

    def _needs_labels(self, what: str) -> None:
        if not isinstance(self.data, ClassificationData):
            raise TypeError(f"{what} needs ClassificationData (inputs with class labels), got "
                            f"{type(self.data).__name__}")

    def error_rate(self, theta) -> float:
        """Share of samples misclassified at ``theta``: the 0-1 loss.

        A sample is classified correctly only when its label's logit is strictly larger than
        every other logit: a tie for the largest logit counts as an error (so the rate never
        depends on the order of the classes, and theta = 0, where all logits tie, has error
        rate 1); a NaN logit is an error too. Any loss on ClassificationData; TypeError for
        other data.

        Examples
        --------
        >>> import numpy as np
        >>> import fastsurf as fs
        >>> model = fs.MLP((1, 2), activation="relu")     # logits (w0 x + b0, w1 x + b1)
        >>> prob = fs.Problem(model, fs.ClassificationData([-1.0, -0.5, 0.5, 1.0], [0, 0, 1, 0]))
        >>> prob.error_rate([-1.0, 1.0, 0.0, 0.0])          # class 1 exactly where x > 0
        0.25
        >>> prob.error_rate(np.zeros(4))                    # all logits tie: all errors
        1.0
        """
        self._needs_labels("error_rate")
        return self.model.n_errors(self._theta(theta), self.data) / _n_samples(self.data)

    def error_rates(self, thetas) -> np.ndarray:
        """:meth:`error_rate` at each row of ``thetas`` (m, P), computed in parallel."""
        self._needs_labels("error_rates")
        batch = as_theta_batch("thetas", thetas, self.n_params)
        if batch.shape[0] == 0:
            return np.empty(0)
        return self.model.n_errors_batch(batch, self.data) / _n_samples(self.data)

    def outputs(self, theta) -> np.ndarray:
        """The model's outputs on the data at ``theta`` (``model.simulate``)."""
        return self.model.simulate(self._theta(theta), self.data)

    def outputs_at(self, thetas, step: int | None = None) -> np.ndarray:
        """Outputs at time ``step`` (1-based; default the last, T) of every sequence for each
        row of ``thetas``: shape (m, n_seq). Sequence models only."""
        batch = as_theta_batch("thetas", thetas, self.n_params)
        T = getattr(self.data, "T", None)
        if T is None:
            raise TypeError(f"outputs_at needs sequence data, got {type(self.data).__name__}")
        step = T if step is None else check_int("step", step, minimum=1, maximum=T)
        return self.model.outputs_at(batch, self.data, step)

    def linear_params(self) -> tuple[int, ...]:
        """Parameters the residuals are jointly affine in (``model.linear_params()``); none
        for the classification losses, which are not quadratic along them."""
        return self.model.linear_params() if self.least_squares else ()

    def rescaling_directions(self, theta) -> np.ndarray | None:
        """Tangents of the model's known symmetries at theta (e.g. ReLU rescalings), (k, P),
        or None for a model without them."""
        return self.model.rescaling_directions(self._theta(theta))

    def unstable(self, thetas) -> np.ndarray | None:
        """Whether the model's linearised dynamics are unstable at each row of ``thetas``
        (e.g. feedback outside the unit circle), or None for a model without such a test."""
        return self.model.unstable(as_theta_batch("thetas", thetas, self.n_params))

    def plane_dtypes(self) -> tuple[str, ...]:
        """Value types a plane scan of this problem can compute."""
        return self.model.plane_dtypes()

    def plane_block_rows(self, nx: int) -> int | None:
        """Rows the fused plane kernel advances together (None without one)."""
        return self.model.plane_block_rows(nx)

    def plane_losses(self, origin, d1, d2, x, y, method: str = "auto", dtype=np.float64,
                     progress=None) -> tuple[np.ndarray, int] | None:
        """(losses at origin + x_j d1 + y_i d2, (len(y), len(x)) of ``dtype``, their number of
        non-finite cells) from the model's fused plane kernel, or None when it has none (or the
        loss is not least squares). Inputs are validated by the scan."""
        if not self.least_squares:
            return None
        return self.model.plane_sse(self.data, self.loss_scale, origin, d1, d2, x, y, method,
                                    dtype, progress)

    def kernel_methods(self) -> tuple[str, ...]:
        """Training methods the model runs many at a time in a parallel kernel (the kernels
        train the SSE: none for the classification losses)."""
        return self.model.kernel_methods() if self.least_squares else ()

    def kernel_runs(self, method: str, starts, options: dict) -> dict:
        """Runs of ``method`` from every row of ``starts`` in the model's parallel kernel
        (``options``: the trainer's checked numeric options). Returns ``thetas``, ``losses``,
        ``n_iter``, ``reason`` and ``n_evals`` arrays."""
        starts = as_theta_batch("starts", starts, self.n_params)
        self._needs_least_squares("kernel_runs")
        return self.model.kernel_runs(method, self.data, self.loss_scale, starts, options)

    def describe(self) -> dict:
        """Plain-data description stored in result metadata."""
        return {**self.model.describe(), "loss": self.loss_kind,
                "data_fingerprint": self.data.fingerprint()}

    def __repr__(self) -> str:
        return f"Problem({self.model!r}, loss={self.loss_kind!r})"


class FunctionProblem:
    """Any callable objective, so every analysis also runs on analytic test surfaces.

    Parameters
    ----------
    f : callable
        ``f(theta) -> float``.
    grad, hess : callable, optional
        Exact gradient ``grad(theta) -> (P,)`` and Hessian ``hess(theta) -> (P, P)``. Without
        them derivatives are numerical: the complex-step derivative when ``f`` accepts complex
        input (exact to rounding for analytic ``f``), else central differences (``grad``) and
        central differences of the gradient (``hess``).
    n_params : int
        Number of parameters P.
    residuals, jacobian : callable, optional
        ``residuals(theta) -> (n,)`` and its Jacobian, for least-squares methods; when given,
        ``f`` is usually ``sum(residuals**2)``.
    """

    def __init__(self, f: Callable, grad: Callable | None = None, hess: Callable | None = None,
                 n_params: int = 2, residuals: Callable | None = None,
                 jacobian: Callable | None = None, name: str | None = None):
        for arg, value in (("f", f), ("grad", grad), ("hess", hess), ("residuals", residuals),
                           ("jacobian", jacobian)):
            if value is not None and not callable(value):
                raise TypeError(f"{arg} must be callable, got {type(value).__name__}")
        if f is None:
            raise TypeError("f must be callable, got None")
        self.f = f
        self._grad = grad
        self._hess = hess
        self._residuals = residuals
        self._jacobian = jacobian
        self.n_params = check_int("n_params", n_params, minimum=1)
        self.param_names = tuple(f"x{i}" for i in range(self.n_params))
        self.name = name or getattr(f, "__name__", "function")
        self._complex_ok: bool | None = None
        self._fp: str | None = None
        self.loss_scale = 1.0

    def _theta(self, theta) -> np.ndarray:
        return as_theta("theta", theta, self.n_params)

    def loss(self, theta) -> float:
        """f(theta)."""
        return float(self.f(self._theta(theta)))

    def losses(self, thetas) -> np.ndarray:
        """f at each row of ``thetas``."""
        batch = as_theta_batch("thetas", thetas, self.n_params)
        return np.array([float(self.f(row)) for row in batch])

    def residuals(self, theta) -> np.ndarray:
        if self._residuals is None:
            raise NotImplementedError("this FunctionProblem was built without residuals=")
        return np.asarray(self._residuals(self._theta(theta)), dtype=float)

    def jacobian(self, theta) -> np.ndarray:
        if self._jacobian is not None:
            return np.asarray(self._jacobian(self._theta(theta)), dtype=float)
        if self._residuals is None:
            raise NotImplementedError("this FunctionProblem was built without residuals=")
        theta = self._theta(theta)
        return _central_jacobian(lambda x: np.asarray(self._residuals(x), dtype=float), theta)

    def _accepts_complex(self, theta: np.ndarray) -> bool:
        if self._complex_ok is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
                    value = self.f(theta + 1e-30j * np.eye(self.n_params)[0])
                self._complex_ok = bool(np.iscomplexobj(np.asarray(value))
                                        and np.isfinite(np.imag(value)))
            except (TypeError, ValueError):
                self._complex_ok = False
        return self._complex_ok

    def gradient(self, theta) -> np.ndarray:
        """Exact gradient if given, else complex-step or central differences."""
        theta = self._theta(theta)
        if self._grad is not None:
            return np.asarray(self._grad(theta), dtype=float)
        if self._accepts_complex(theta):
            h = 1e-30
            eye = np.eye(self.n_params)
            return np.array([np.imag(self.f(theta + 1j * h * eye[i])) / h
                             for i in range(self.n_params)])
        return _central_jacobian(lambda x: np.atleast_1d(float(self.f(x))), theta)[0]

    def hessian(self, theta) -> np.ndarray:
        """Exact Hessian if given, else central differences of the gradient (symmetrised)."""
        theta = self._theta(theta)
        if self._hess is not None:
            return np.asarray(self._hess(theta), dtype=float)
        h = _central_jacobian(self.gradient, theta)
        return 0.5 * (h + h.T)

    def gradients(self, thetas) -> np.ndarray:
        """:meth:`gradient` at each row of ``thetas``."""
        batch = as_theta_batch("thetas", thetas, self.n_params)
        return np.array([self.gradient(t) for t in batch]).reshape(-1, self.n_params)

    def hessians(self, thetas) -> np.ndarray:
        """:meth:`hessian` at each row of ``thetas``."""
        batch = as_theta_batch("thetas", thetas, self.n_params)
        P = self.n_params
        return np.array([self.hessian(t) for t in batch]).reshape(-1, P, P)

    def linear_params(self) -> tuple[int, ...]:
        """None known: a callable has no declared structure."""
        return ()

    def unstable(self, thetas) -> None:
        """No stability test for a callable."""
        return None

    def rescaling_directions(self, theta) -> None:
        """No known symmetries for a callable."""
        return None

    def plane_dtypes(self) -> tuple[str, ...]:
        return ("float64",)

    def plane_block_rows(self, nx: int) -> None:
        return None

    def plane_losses(self, origin, d1, d2, x, y, method: str = "auto", dtype=np.float64,
                     progress=None) -> None:
        """No fused kernel: scans evaluate :meth:`losses` tile by tile."""
        return None

    def kernel_methods(self) -> tuple[str, ...]:
        return ()

    def kernel_runs(self, method: str, starts, options: dict) -> dict:
        raise ValueError("a FunctionProblem has no parallel training kernel")

    def describe(self) -> dict:
        """The function's name and a fingerprint of its code and of its values at a fixed
        probe point, so that two different functions of one name never share a scan store."""
        return {"model": "FunctionProblem", "function": self.name,
                "fingerprint": self._fingerprint()}

    def _fingerprint(self) -> str:
        if self._fp is None:
            h = hashlib.sha1()
            code = getattr(self.f, "__code__", None)
            if code is not None:
                h.update(code.co_code)
                h.update(repr(code.co_consts).encode())
            probe = 0.1234567 + 0.01 * np.arange(self.n_params)
            with np.errstate(all="ignore"):
                try:
                    h.update(np.float64(self.f(probe)).tobytes())
                except Exception as err:  # a function undefined at the probe point
                    h.update(type(err).__name__.encode())
            self._fp = h.hexdigest()[:16]
        return self._fp

    def __repr__(self) -> str:
        return f"FunctionProblem({self.name}, n_params={self.n_params})"


def _n_samples(data) -> int:
    """Samples of regression or classification data (sequences: every step)."""
    return int(getattr(data, "n_samples", data.n_residuals))


def _central_jacobian(fun: Callable, x: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a vector function (step ~ eps^(1/3) * max(1, |x_j|))."""
    f0 = np.asarray(fun(x), dtype=float)
    jac = np.empty((f0.size, x.size))
    for j in range(x.size):
        step = 6.055e-6 * max(1.0, abs(x[j]))
        xp = x.copy()
        xm = x.copy()
        xp[j] += step
        xm[j] -= step
        jac[:, j] = (np.asarray(fun(xp), dtype=float) - np.asarray(fun(xm), dtype=float)) / (
            2 * step)
    return jac

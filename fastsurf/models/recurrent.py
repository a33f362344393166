"""Horn et al.'s recurrent neurons (Horn, De Jesús & Hagan 2009, §II; Hagan's LDDN notation)."""

from __future__ import annotations

import numbers

import numpy as np

from .._arrays import count_nonfinite, touched_empty
from .._progress import progress_bar
from .._validation import as_float_array, as_rng, as_theta, check_choice, check_int, check_real
from ..data import SequenceData
from ..kernels import lm as klm
from ..kernels import recurrent as kr
from ..kernels import recurrent_derivatives as rd
from ..kernels.activations import TRANSFER_CODES
from .base import Model, check_size

#: Rows per progress step of a fused plane scan (a multiple of the kernel's lane block).
PLANE_TILE_ROWS = 4 * kr.LANES

# Cost model of ``method="auto"`` (nanoseconds on 2 Zen 4 cores, both threads; rerun
# ``python bench/scan_cost.py`` to measure them on another machine). The structural path runs
# three scalar recurrences per row (O(T) each) and writes each cell once; brute force advances
# SIMD vectors of 8 rows (float64, AVX-512) through every time step of every cell.
STRUCTURAL_ROW_STEP_NS = 12.0
STRUCTURAL_CELL_NS = 1.2
BRUTE_CELL_STEP_NS = 0.042
BRUTE_CELL_NS = 1.9
SIMD_ROWS = 8


class RecurrentNeuron(Model):
    """A single recurrent neuron with tapped input and output delays.

    n(k) = sum_{d in input_delays} iw_d p(k-d) + sum_{d=1..D} lw_d a(k-d) + b,  a(k) = f(n(k)).

    Parameters
    ----------
    transfer : {"purelin", "tansig", "logsig"}
        f: identity, tanh, or the logistic sigmoid.
    feedback_delays : int
        D >= 1, the number of fed-back outputs a(k-1)..a(k-D).
    input_delays : tuple of int
        Distinct delays d >= 0 of the input taps (default ``(0,)``: only p(k)).
    bias : bool
        Whether the neuron has a bias b (last parameter).

    Notes
    -----
    Parameters, in order: the input weights in the order of ``input_delays`` (named ``w1``, ...
    for Horn's nets), then lw_1..lw_D, then b. Horn's first-order net is
    ``RecurrentNeuron("purelin")`` with theta = [w1, w2]; the second-order net is
    ``RecurrentNeuron(transfer, feedback_delays=2)`` with theta = [w1, w2, w3].
    """

    data_type = SequenceData

    def __init__(self, transfer: str = "purelin", feedback_delays: int = 1,
                 input_delays: tuple[int, ...] = (0,), bias: bool = False):
        self.transfer = check_choice("transfer", transfer, TRANSFER_CODES)
        self.feedback_delays = check_int("feedback_delays", feedback_delays, minimum=1)
        if isinstance(input_delays, (str, bytes)) or not hasattr(input_delays, "__iter__"):
            raise TypeError("input_delays must be a tuple of non-negative integers")
        delays = tuple(input_delays)
        if len(delays) == 0:
            raise ValueError("input_delays must contain at least one delay")
        for d in delays:
            if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
                raise ValueError(f"input_delays must be non-negative integers, got {delays}")
        if len(set(delays)) != len(delays):
            raise ValueError(f"input_delays must be distinct, got {delays}")
        self.input_delays = tuple(int(d) for d in delays)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
        self.bias = bool(bias)
        self._delays = np.asarray(self.input_delays, dtype=np.int64)
        self._code = TRANSFER_CODES[self.transfer]
        n_in = len(self.input_delays)
        check_size(n_in + self.feedback_delays + int(self.bias),
                   f"RecurrentNeuron(feedback_delays={self.feedback_delays})")
        self.n_params = n_in + self.feedback_delays + int(self.bias)
        # Horn's names: w1 (input), w2, w3 (feedback) for the default layout.
        if self.input_delays == (0,):
            names = ["w1"] + [f"w{d + 1}" for d in range(1, self.feedback_delays + 1)]
        else:
            names = [f"iw{d}" for d in self.input_delays]
            names += [f"lw{d}" for d in range(1, self.feedback_delays + 1)]
        if self.bias:
            names.append("b")
        self.param_names = tuple(names)

    # --- layout -------------------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        """Number of input weights."""
        return len(self.input_delays)

    def feedback_index(self, d: int) -> int:
        """Position of lw_d in theta."""
        return self.n_inputs + d - 1

    def kernel_args(self, data: SequenceData) -> tuple:
        """(p, t, a0, input_delays, D, has_bias, transfer_code) for the kernels."""
        return (data.p, data.t, data.initial_outputs(self.feedback_delays), self._delays,
                self.feedback_delays, self.bias, self._code)

    def linear_params(self) -> tuple[int, ...]:
        """For purelin: the input weights and the bias (the outputs are linear in them for fixed
        feedback weights); none for tansig/logsig."""
        if self.transfer != "purelin":
            return ()
        fb_end = self.n_inputs + self.feedback_delays
        return tuple(range(self.n_inputs)) + tuple(range(fb_end, self.n_params))

    def describe(self) -> dict:
        return {"model": "RecurrentNeuron", "transfer": self.transfer,
                "feedback_delays": self.feedback_delays,
                "input_delays": list(self.input_delays), "bias": self.bias}

    def __repr__(self) -> str:
        return (f"RecurrentNeuron(transfer={self.transfer!r}, "
                f"feedback_delays={self.feedback_delays}, input_delays={self.input_delays}, "
                f"bias={self.bias})")

    # --- model interface ----------------------------------------------------------------------
    def init(self, rng=None, input_range: float = 2.0,
             feedback_range: float = 1.5) -> np.ndarray:
        """Random parameters, uniform in the default start box: the default starts of training
        (:func:`fastsurf.multistart.multistart`, ``fastsurf train``).

        Input weights and the bias are drawn from U(-``input_range``, ``input_range``),
        feedback weights from U(-``feedback_range``, ``feedback_range``): by default, for
        Horn's first-order nets, the box [-2, 2] x [-1.5, 1.5] (x [-1.5, 1.5] for the
        second-order net, ``fastsurf.horn.start_box``). It reaches the unstable region
        (|w2| > 1 for a first-order neuron) where Horn, De Jesús & Hagan (2009, §III) find the
        spurious valleys; U(-1, 1), the former default, stays inside the stable region of a
        first-order neuron and so never shows one.

        Parameters
        ----------
        rng : int, Generator or None
            One call draws ``n_params`` uniforms, in parameter order.
        input_range, feedback_range : float
            Half-widths of the box (> 0).

        Returns
        -------
        ndarray (n_params,)
        """
        input_range = check_real("input_range", input_range, minimum=0.0, strict_min=True)
        feedback_range = check_real("feedback_range", feedback_range, minimum=0.0,
                                    strict_min=True)
        half = np.full(self.n_params, input_range)
        half[self.n_inputs:self.n_inputs + self.feedback_delays] = feedback_range
        return as_rng(rng).uniform(-half, half)

    def check_data(self, data) -> None:
        super().check_data(data)
        data.initial_outputs(self.feedback_delays)

    def simulate(self, theta, data) -> np.ndarray:
        """Outputs a(k), shape (n_seq, T) (or (T,) for 1-D ``data``)."""
        theta = as_theta("theta", theta, self.n_params)
        if not isinstance(data, SequenceData):
            p = as_float_array("data", data, ndim=(1, 2))
            data = SequenceData(p, np.zeros_like(p))
        self.check_data(data)
        p, _, a0, delays, n_fb, has_bias, code = self.kernel_args(data)
        return kr.simulate(theta, p, a0, delays, n_fb, has_bias, code)

    def sse(self, theta, data) -> float:
        return float(kr.sse(theta, *self.kernel_args(data)))

    def sse_batch(self, thetas, data) -> np.ndarray:
        return kr.sse_batch(thetas, *self.kernel_args(data))

    def residuals(self, theta, data) -> np.ndarray:
        p, t, a0, delays, n_fb, has_bias, code = self.kernel_args(data)
        return (t - kr.simulate(theta, p, a0, delays, n_fb, has_bias, code)).ravel()

    def sse_gradient(self, theta, data) -> np.ndarray:
        return rd.sse_gradient(theta, *self.kernel_args(data))

    def residual_jacobian(self, theta, data) -> np.ndarray:
        return rd.residual_jacobian(theta, *self.kernel_args(data))

    def sse_hessian(self, theta, data) -> np.ndarray:
        return rd.sse_hessian(theta, *self.kernel_args(data))

    def sse_gradient_batch(self, thetas, data) -> np.ndarray:
        return rd.sse_gradient_batch(thetas, *self.kernel_args(data))

    def sse_hessian_batch(self, thetas, data) -> np.ndarray:
        return rd.sse_hessian_batch(thetas, *self.kernel_args(data))

    def outputs_at(self, thetas, data, step: int) -> np.ndarray:
        """a(step) of every sequence at each row of ``thetas``, shape (m, n_seq)."""
        p, _, a0, delays, n_fb, has_bias, code = self.kernel_args(data)
        out = np.empty((thetas.shape[0], p.shape[0]))
        kr.outputs_at_batch(thetas, np.ascontiguousarray(p[:, :step]), a0, delays, n_fb,
                            has_bias, code, out)
        return out

    # --- stability ----------------------------------------------------------------------------
    def feedback_radius(self, thetas) -> np.ndarray:
        """Spectral radius of the linearised feedback at each row of ``thetas`` (m,).

        The roots of z^D - lw_1 z^(D-1) - ... - lw_D (the companion matrix of the feedback
        weights): in closed form for D = 1 (|lw_1|) and D = 2, by eigenvalues otherwise. A
        radius above 1 means the linear neuron's response grows without bound (Horn §III).
        """
        lw = thetas[:, self.n_inputs:self.n_inputs + self.feedback_delays]
        if self.feedback_delays == 1:
            return np.abs(lw[:, 0])
        if self.feedback_delays == 2:
            w2, w3 = lw[:, 0], lw[:, 1]
            disc = w2 * w2 + 4 * w3
            sq = np.sqrt(np.abs(disc))
            return np.where(disc >= 0, np.maximum(np.abs(w2 + sq), np.abs(w2 - sq)) / 2,
                            np.sqrt(np.abs(w3)))
        D = self.feedback_delays
        comp = np.zeros((lw.shape[0], D, D))
        comp[:, 0, :] = lw
        comp[:, np.arange(1, D), np.arange(D - 1)] = 1.0
        return np.max(np.abs(np.linalg.eigvals(comp)), axis=1)

    def unstable(self, thetas) -> np.ndarray:
        """Whether the linearised feedback is unstable (spectral radius > 1) at each row."""
        return self.feedback_radius(thetas) > 1.0

    # --- fused plane scans --------------------------------------------------------------------
    def plane_dtypes(self) -> tuple[str, ...]:
        return ("float64", "float32")

    def plane_block_rows(self, nx: int) -> int:
        """The fused kernels advance blocks of ``kernels.recurrent.LANES`` rows together."""
        return kr.LANES

    def plane_sse(self, data, scale, origin, d1, d2, x, y, method="auto", dtype=np.float64,
                  progress=None) -> tuple[np.ndarray, int]:
        """(``scale`` x SSE at origin + x_j d1 + y_i d2, its number of non-finite cells), the
        values (len(y), len(x)) of ``dtype``, by the fused kernels: every point's parameters
        computed inside the kernel, all sequences and steps summed in one pass, and the
        non-finite cells counted as they are written.

        ``method="auto"`` takes the structural fast path when it applies (purelin neuron, one
        direction moving only input weights and the bias: the SSE is a quadratic along it) and
        :meth:`plane_path`'s cost model says it is cheaper;
        ``"brute"`` always runs the time loop at every point. With ``dtype=np.float32`` the time
        loop runs in float32 (inputs, coordinates and state rounded to float32); the structural
        path computes in float64 and rounds its result.
        """
        fb = slice(self.n_inputs, self.n_inputs + self.feedback_delays)
        # Lanes run along y; put the direction that moves a feedback weight there when only one
        # does, so the per-lane work is one multiply-add less.
        if method == "auto" and self.plane_path(data, origin, d1, d2, x, y) == "structural":
            if np.any(d1[fb]):
                out, bad = self._linear_plane(data, scale, origin, d2, d1, y, x)
                out = out.T
            else:
                out, bad = self._linear_plane(data, scale, origin, d1, d2, x, y)
            if dtype == np.float64:
                return np.ascontiguousarray(out), bad
            out = np.ascontiguousarray(out, dtype=dtype)     # float32 may overflow further
            return out, int(count_nonfinite(out))
        if not np.any(d2[fb]) and np.any(d1[fb]):
            out, bad = self.plane_sse(data, scale, origin, d2, d1, y, x, method, dtype, progress)
            return out.T.copy(), bad
        U0, U1, V = (self.input_drive(data, v) for v in (origin, d1, d2))
        a0 = data.initial_outputs(self.feedback_delays)
        args = [np.ascontiguousarray(v, dtype=dtype) for v in
                (U0, U1, V, data.t, a0, origin[fb], d1[fb], d2[fb], x, y)]
        out = touched_empty((len(y), len(x)), dtype)
        bad = 0
        starts = range(0, len(y), PLANE_TILE_ROWS)
        with progress_bar(progress, total=len(starts), unit="tile", desc="scan") as bar:
            for r0 in starts:
                r1 = min(r0 + PLANE_TILE_ROWS, len(y))
                bad += kr.sse_plane(*args[:-1], args[-1][r0:r1], self._code, out[r0:r1])
                bar.update(1)
        if scale != 1.0:
            out *= scale
        return out, int(bad)

    def plane_path(self, data, origin, d1, d2, x, y) -> str:
        """The path ``method="auto"`` takes for the plane scan origin + x_j d1 + y_i d2:
        "structural" (a purelin neuron with one direction moving no feedback weight: O(T) per
        row, O(1) per cell) when the cost model says it is cheaper than "brute" (the time loop
        at every cell), else "brute".

        The structural path wins on large grids (2048², T = 100: 10 ms against 25 ms) but
        loses when the rows are many and short (2048 x 4 at T = 100: 3.2 ms against 0.2 ms),
        since each row costs three scalar recurrences whatever its length, and on rows whose
        outputs overflow, which it hands to brute force after computing them (first-order
        neurons: rows with |lw|^T > 1e150, estimated in closed form; for D > 1 no row is
        assumed to overflow).
        """
        fb = slice(self.n_inputs, self.n_inputs + self.feedback_delays)
        moves = np.any(d1[fb]), np.any(d2[fb])
        if self.transfer != "purelin" or all(moves):
            return "brute"
        if moves[0]:
            d1, d2, x, y = d2, d1, y, x      # the structural path's rows then run along x
        nx, ny = len(x), len(y)
        steps = data.t.size * self.feedback_delays
        overflowing = 0
        if self.feedback_delays == 1:
            with np.errstate(divide="ignore"):
                growth = data.t.shape[1] * np.log10(np.abs(origin[fb][0] + np.asarray(y)
                                                           * d2[fb][0]))
            overflowing = int(np.count_nonzero(growth > 150.0))
        structural = ny * steps * STRUCTURAL_ROW_STEP_NS + (ny - overflowing) * nx * (
            STRUCTURAL_CELL_NS)

        def brute(rows):
            return -(-rows // SIMD_ROWS) * SIMD_ROWS * nx * (steps * BRUTE_CELL_STEP_NS
                                                              + BRUTE_CELL_NS)

        return "structural" if structural + brute(overflowing) < brute(ny) else "brute"

    def input_drive(self, data, direction: np.ndarray) -> np.ndarray:
        """sum_d direction_iw_d p(k - d) + direction_b for every sequence and step, (n_seq, T).

        The input part of the net input n(k) is linear in theta; this is its value for the
        parameter vector ``direction`` (feedback weights ignored).
        """
        p = data.p
        out = np.zeros_like(p)
        for i, d in enumerate(self.input_delays):
            if d < p.shape[1]:
                out[:, d:] += direction[i] * p[:, :p.shape[1] - d]
        if self.bias:
            out += direction[-1]
        return out

    def _linear_plane(self, data, scale, origin, d1, d2, x, y):
        """Purelin neuron with d1 moving only input weights and the bias: the SSE is a
        quadratic in x on every row (kernels.recurrent.sse_plane_linear); overflowing rows fall
        back to the brute-force kernel. Returns (values, non-finite count)."""
        fb = slice(self.n_inputs, self.n_inputs + self.feedback_delays)
        U0, U1, V = (self.input_drive(data, v) for v in (origin, d1, d2))
        a0 = data.initial_outputs(self.feedback_delays)
        out = touched_empty((len(y), len(x)))
        ok = np.empty(len(y), dtype=np.bool_)
        bad = kr.sse_plane_linear(U0, U1, V, data.t, a0, origin[fb].copy(), d2[fb].copy(), x, y,
                                  out, ok)
        rows = np.flatnonzero(~ok)
        if rows.size:
            brute = np.empty((rows.size, len(x)))
            bad += kr.sse_plane(U0, U1, V, data.t, a0, origin[fb].copy(), d1[fb].copy(),
                                d2[fb].copy(), x, y[rows], self._code, brute)
            out[rows] = brute
        if scale != 1.0:
            out *= scale
        return out, int(bad)

    # --- many training runs -------------------------------------------------------------------
    def kernel_methods(self) -> tuple[str, ...]:
        return ("lm",)

    def kernel_runs(self, method, data, scale, starts, options) -> dict:
        """Levenberg–Marquardt from every row of ``starts`` in the parallel kernel
        (:mod:`fastsurf.kernels.lm`); ``options`` holds the checked numeric options of
        ``train.levenberg_marquardt`` (max_iter, goal, gtol, mu, mu_dec, mu_inc, mu_max)."""
        if method != "lm":
            raise ValueError(f"RecurrentNeuron has a parallel kernel for method 'lm' only, "
                             f"got {method!r}")
        opts = tuple(options[k] for k in ("max_iter", "goal", "gtol", "mu", "mu_dec", "mu_inc",
                                          "mu_max"))
        m, P = starts.shape
        thetas = np.empty((m, P))
        losses = np.empty(m)
        steps = np.empty(m, np.int64)
        codes = np.empty(m, np.int64)
        evals = np.empty(m, np.int64)
        klm.lm_runs(starts, *self.kernel_args(data), scale, *opts, thetas, losses, steps, codes,
                    evals)
        return {"thetas": thetas, "losses": losses, "n_iter": steps,
                "reason": np.array(klm.REASONS)[codes], "n_evals": evals}

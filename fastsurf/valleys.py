"""Spurious valleys of recurrent-neuron error surfaces: predicted from theory, detected in a
scanned :class:`~fastsurf.scan.Surface`, and compared.

Theory after Horn, De Jesús & Hagan, *Spurious valleys in the error surface of recurrent
networks — analysis and avoidance*, IEEE Trans. Neural Networks 20(4), 2009 ("Horn et al."), in
the scan's axes (x, y) = (w1, w2) for first-order neurons and (w2, w3) for second-order ones.
One function per valley family; :func:`predict` composes them:

* :func:`predict_input_zero` — ``"input-zero"`` (Horn et al. §III, Fig. 3, and §V): with zero
  initial conditions and f(0) = 0, w1 = 0 gives a ≡ 0, a valley wherever the net is unstable
  (elsewhere the surface is smooth across w1 = 0).
* :func:`predict_roots` — ``"root"`` and ``"near-root"`` (Horn et al. §III eq. 2 and §IV): the
  linear neuron's a(T) = w1 g_T(w2), so every real root r of g_T with |r| > 1 is a line w2 = r,
  frozen as T grows; a complex pair close to the real axis makes |g_T| dip sharply at its real
  part, which is a valley too. With several sequences a root valley survives in the summed SSE
  only where every other sequence has a root nearby.
* :func:`predict_output_zero` — ``"output-zero"`` (the exact counterpart of Horn et al. §V,
  eq. 18, the bent root valley of the tansig neuron): the curves on which the final output a(T)
  crosses zero in the unstable region, traced on a grid and bisected. For small |w1| they start
  at the linear roots and bend once the outputs saturate. For the second-order linear neuron a(T)
  is a polynomial in (w2, w3) and these curves are exactly its zero set. What we found: where the
  feedback is unstable with real characteristic roots (outside the stability triangle,
  w3 > -w2^2/4) the zero set is a few smooth curves; where the roots are complex
  (w3 < -w2^2/4 and |w3| > 1) a(T) oscillates in sign on a scale finer than any practical grid,
  the zero set fills the region and the SSE there is a fine washboard of valleys (reported as
  broad blobs).
* :func:`predict_saturation` — ``"saturation"`` (Horn et al. §V, eq. 19): with a(k-1) = ±1 the
  output crosses the target t(k) on the line w1 = (atanh t(k) ∓ w2) / p(k) (our reading of the
  garbled equation), kept where the simulated a(k-1) is within ``saturation_tol`` of ±1.
* cascades (Horn et al. §V, where our copy of the paper is cut off): :func:`characterize`
  compares the output sign patterns on the two sides of a detected valley; a valley where the
  signs of all outputs from some k0 on flip together is labelled a cascade.

The theory talks to the objective only through ``Problem``'s capabilities: ``describe()`` (is
this one of Horn's neurons?), ``outputs_at`` (a(k) for a batch of parameter vectors, by a
parallel kernel), ``outputs`` and ``unstable`` (the feedback's spectral radius above 1), and the
``data`` it was built with (inputs and targets enter the equations).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from ._results import Result
from ._validation import as_float_array, as_theta, check_int, check_real
from .data import SequenceData
from .problem import Objective, Problem
from .roots import polynomial_roots, response_coefficients
from .scan import Profile, Surface, line

__all__ = ["Comparison", "Valley", "ValleyCharacter", "ValleyCheck", "characterize", "check",
           "compare",
           "cross_sections", "detect", "final_outputs", "predict", "predict_input_zero",
           "predict_output_zero", "predict_roots", "predict_saturation", "refine"]

#: Default detection prominence (decades); see :func:`detect`.
_DEFAULT_PROMINENCE = 0.01
_DEFAULT_MIN_CELLS = 5

#: Transfer functions with f(0) = 0, for which w1 = 0 and zero initial outputs give a ≡ 0.
_ZERO_AT_ZERO = ("purelin", "tansig")


@dataclass(repr=False)
class Valley(Result):
    """One valley curve in scan coordinates.

    Attributes
    ----------
    kind : str
        "input-zero", "root", "near-root", "output-zero", "saturation", or "detected".
    x, y : ndarray
        Points along the valley.
    root : float or None
        The polynomial root of a "root" (or the real part of a "near-root") valley.
    sequence : int or None
        Sequence whose response defines the valley (None: the summed SSE).
    survives : bool or None
        Whether a per-sequence valley survives in the summed SSE (linear neuron).
    meta : dict
        Extra information: the step k and sign of a saturation line, the complex root of a
        near-root valley; for detected valleys their direction ("along-x" or "along-y"), number
        of cells, and the scan's cell size ``cell`` = [dx, dy] and ``window`` = [x0, x1, y0, y1].
    """

    kind: str
    x: np.ndarray
    y: np.ndarray
    root: float | None = None
    sequence: int | None = None
    survives: bool | None = None
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.x)


# --- the neuron and the window ------------------------------------------------------------------
@dataclass(frozen=True)
class _Window:
    """A checked prediction set-up: the neuron's description, its data and the traced grid."""

    transfer: str
    delays: int
    data: SequenceData
    axes: tuple[int, int]
    center: np.ndarray
    xs: np.ndarray
    ys: np.ndarray

    @property
    def zero_start(self) -> bool:
        """Zero initial outputs a(0), a(-1), ... for every sequence."""
        return bool(np.all(self.data.initial_outputs(self.delays) == 0))

    @property
    def first_order_w1w2(self) -> bool:
        """A first-order neuron scanned over (w1, w2)."""
        return self.delays == 1 and self.axes == (0, 1)


def _check_neuron(problem) -> tuple[dict, SequenceData]:
    """Horn's neuron behind ``problem`` (its description) and its sequence data, or a clear
    TypeError / ValueError."""
    describe = getattr(problem, "describe", None)
    desc = describe() if callable(describe) else {}
    if desc.get("model") != "RecurrentNeuron" or not isinstance(getattr(problem, "data", None),
                                                                 SequenceData):
        got = type(problem).__name__
        if desc.get("model", got) != got:
            got += f" of {desc['model']}"
        raise TypeError(f"valley theory applies to a fastsurf.Problem of a RecurrentNeuron, "
                        f"got {got}")
    if (tuple(desc["input_delays"]) != (0,) or desc["bias"]
            or desc["feedback_delays"] not in (1, 2)):
        raise ValueError("valley theory is implemented for Horn's neurons: input_delays=(0,), "
                         "bias=False, feedback_delays 1 or 2; got "
                         f"RecurrentNeuron(transfer={desc['transfer']!r}, "
                         f"feedback_delays={desc['feedback_delays']}, "
                         f"input_delays={tuple(desc['input_delays'])}, bias={desc['bias']})")
    return desc, problem.data


def _window(problem, ranges, axes, center, resolution) -> _Window:
    desc, data = _check_neuron(problem)
    P = problem.n_params
    D = int(desc["feedback_delays"])
    axes = tuple(axes) if axes is not None else ((0, 1) if D == 1 else (1, 2))
    if len(axes) != 2 or axes[0] == axes[1] or not all(0 <= a < P for a in axes):
        raise ValueError(f"axes must be two different parameter indices below {P}, got {axes}")
    if center is None:
        if P > 2:
            raise ValueError("center is required: the values of the parameters not in axes")
        center = np.zeros(P)
    center = as_theta("center", center, P)
    (x0, x1), (y0, y1) = ranges if ranges is not None else ((-2.0, 2.0), (-5.0, 5.0))
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"ranges must satisfy min < max, got {ranges}")
    resolution = check_int("resolution", resolution, minimum=20)
    return _Window(transfer=desc["transfer"], delays=D, data=data, axes=axes, center=center,
                   xs=np.linspace(x0, x1, resolution), ys=np.linspace(y0, y1, resolution))


def _thetas(center: np.ndarray, axes: tuple[int, int], x, y) -> np.ndarray:
    """Parameter vectors with theta[axes[0]] = x, theta[axes[1]] = y, the rest from center."""
    x = np.asarray(x, dtype=float)
    thetas = np.repeat(center[None, :], x.size, axis=0)
    thetas[:, axes[0]] = x
    thetas[:, axes[1]] = y
    return thetas


def _unstable(problem, thetas: np.ndarray) -> np.ndarray:
    """``problem.unstable(thetas)``: the feedback's spectral radius exceeds 1."""
    unstable = problem.unstable(thetas)
    if unstable is None:
        raise TypeError(f"{type(problem).__name__} has no stability test (Problem.unstable)")
    return np.asarray(unstable, dtype=bool)


def final_outputs(problem: Problem, thetas, seq: int) -> np.ndarray:
    """a(T) of sequence ``seq`` at each row of ``thetas``: column ``seq`` of
    ``problem.outputs_at(thetas)``.

    Parameters
    ----------
    problem : Problem
        Of a sequence model.
    thetas : array_like, shape (m, P)
    seq : int
        Sequence index.

    Returns
    -------
    ndarray, shape (m,)
    """
    seq = check_int("seq", seq, minimum=0, maximum=problem.data.n_seq - 1)
    return problem.outputs_at(thetas)[:, seq]


# --- prediction, one function per valley family -------------------------------------------------
def _input_zero(w: _Window) -> list[Valley]:
    (x0, x1), (y0, y1) = (w.xs[0], w.xs[-1]), (w.ys[0], w.ys[-1])
    if not (w.first_order_w1w2 and w.zero_start and w.transfer in _ZERO_AT_ZERO
            and x0 <= 0.0 <= x1):
        return []
    out = []
    for lo, hi in ((y0, -1.0), (1.0, y1)):
        if hi > lo:
            yy = np.linspace(lo, hi, w.xs.size)
            out.append(Valley("input-zero", np.zeros_like(yy), yy,
                              meta={"reason": "a(0) = 0 and w1 = 0 give a = 0"}))
    return out


def predict_input_zero(problem: Problem, ranges=None, axes=None, center=None,
                       resolution: int = 400) -> list[Valley]:
    """The valley w1 = 0 of a first-order neuron with zero initial outputs.

    Horn et al. (2009), §III (Fig. 3) and §V: with a(0) = 0 and w1 = 0 the output stays
    a(k) = f(0) = 0 whatever w2, so the SSE along the line is the sum of the squared targets,
    a valley where the net is unstable (|w2| > 1) and the surface rises on both sides.

    Parameters
    ----------
    problem : Problem
        A first-order RecurrentNeuron with input_delays=(0,) and no bias.
    ranges : ((x0, x1), (y0, y1)), optional
        Scan window (default ((-2, 2), (-5, 5))).
    axes : (int, int), optional
        Scanned parameters (default (0, 1) = (w1, w2) for first-order, (1, 2) = (w2, w3) for
        second-order neurons); this family lives in the (w1, w2) plane of a first-order neuron.
    center : array_like, optional
        Values of the parameters that are not scanned (required when some are not).
    resolution : int
        Points along each valley (>= 20).

    Returns
    -------
    list of Valley
        Kind "input-zero": the parts w2 < -1 and w2 > 1 of the line w1 = 0 inside the window;
        empty when the initial outputs are not zero, f(0) != 0 (logsig), the scan is not the
        (w1, w2) plane of a first-order neuron or the window does not contain w1 = 0.
    """
    return _input_zero(_window(problem, ranges, axes, center, resolution))


def _roots_apply(w: _Window) -> bool:
    """The root theory is complete: a linear first-order neuron from zero, over (w1, w2)."""
    return w.first_order_w1w2 and w.transfer == "purelin" and w.zero_start


def _roots(w: _Window, survive_tol: float, min_growth: float, near_real: float) -> list[Valley]:
    if not _roots_apply(w):
        return []
    data, xs = w.data, w.xs
    y0, y1 = w.ys[0], w.ys[-1]
    T = data.T
    per_seq, near = [], []
    for s in range(data.n_seq):
        r = polynomial_roots(response_coefficients(data.p[s]))
        grows = np.abs(r) ** T >= min_growth
        real = r.imag == 0
        per_seq.append(r[real & grows].real)
        near.append(r[~real & grows & (r.imag > 0) & (np.abs(r.imag) <= near_real * np.abs(r))])
    valleys = []
    for s, rs in enumerate(per_seq):
        for r in rs:
            if not y0 <= r <= y1:
                continue
            survives = all(o.size and np.min(np.abs(o - r)) <= survive_tol * abs(r)
                           for t, o in enumerate(per_seq) if t != s)
            valleys.append(Valley("root", xs.copy(), np.full_like(xs, r), root=float(r),
                                  sequence=s, survives=bool(survives)))
        for z in near[s]:
            if y0 <= z.real <= y1:
                valleys.append(Valley("near-root", xs.copy(), np.full_like(xs, z.real),
                                      root=float(z.real), sequence=s,
                                      survives=True if data.n_seq == 1 else None,
                                      meta={"complex_root": [z.real, z.imag]}))
    return valleys


def predict_roots(problem: Problem, ranges=None, axes=None, center=None,
                  resolution: int = 400, survive_tol: float = 1e-3, min_growth: float = 10.0,
                  near_real: float = 0.05) -> list[Valley]:
    """Root valleys w2 = r of the first-order linear neuron.

    Horn et al. (2009), §III, eq. 2: from a(0) = 0 the response is
    a(k) = w1 {p(k) + w2 p(k-1) + ... + w2^(k-1) p(1)} = w1 g_k(w2), a polynomial in w2. A real
    root r of g_T with |r| > 1 keeps a(T) small although the net is unstable, and (§IV) the root
    is frozen: it stays a root of g_k for every later k, so the outputs stay small and the SSE
    has a valley along w2 = r for every w1. It is reported when the outputs elsewhere grow
    enough to make a valley, |r|^T >= ``min_growth``. A complex pair r ± iε close to the real
    axis (|ε| <= ``near_real`` |r|) makes |g_T| dip sharply at w2 = Re r: a "near-root" valley.

    Parameters
    ----------
    problem : Problem
        A RecurrentNeuron("purelin") with one feedback delay, input_delays=(0,), no bias.
    ranges : ((x0, x1), (y0, y1)), optional
        Scan window (default ((-2, 2), (-5, 5))).
    axes : (int, int), optional
        Scanned parameters (default (0, 1) = (w1, w2) for first-order, (1, 2) = (w2, w3) for
        second-order neurons); this family lives in the (w1, w2) plane of a first-order neuron.
    center : array_like, optional
        Values of the parameters that are not scanned (required when some are not).
    resolution : int
        Points along each valley (>= 20).
    survive_tol : float
        With several sequences (the SSE sums them) a sequence's root valley survives only where
        every other sequence has a root within ``survive_tol`` |r| (else the other sequences'
        exploding outputs fill it): ``Valley.survives``.
    min_growth : float
        A root r is a valley only if |r|^T >= min_growth.
    near_real : float
        Complex roots with |Im r| <= near_real |r| give "near-root" valleys.

    Returns
    -------
    list of Valley
        Kinds "root" (``root`` = r, ``sequence``, ``survives``) and "near-root" (``meta``
        holds the complex root), sequence by sequence; empty unless the neuron is linear,
        first-order and starts from zero.
    """
    w = _window(problem, ranges, axes, center, resolution)
    survive_tol = check_real("survive_tol", survive_tol, minimum=0.0)
    return _roots(w, survive_tol, min_growth, near_real)


def _bisect_zero(problem, base, axis, seq, lo, hi, flo, iterations=60):
    """Vectorized bisection of a(T) = 0 for every bracket at once: row r moves parameter
    ``axis[r]`` between ``lo[r]`` and ``hi[r]`` and follows sequence ``seq[r]``."""
    rows = np.arange(base.shape[0])
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        base[rows, axis] = mid
        fm = problem.outputs_at(base)[rows, seq]
        left = np.sign(fm) == np.sign(flo)
        lo = np.where(left, mid, lo)
        flo = np.where(left, fm, flo)
        hi = np.where(left, hi, mid)
    return 0.5 * (lo + hi)


def _output_zero(problem, w: _Window, min_points: int) -> list[Valley]:
    """Curves where a(T) of each sequence changes sign in the unstable region.

    Sign changes between neighbouring cells of the (ys, xs) grid, along either axis, are
    bisected (all sequences and both directions together) to the exact zero along that axis;
    cells holding a crossing are linked into curves by 8-connectivity.
    """
    xs, ys, axes, center = w.xs, w.ys, w.axes, w.center
    X, Y = np.meshgrid(xs, ys)
    grid = _thetas(center, axes, X.ravel(), Y.ravel())
    n_seq = w.data.n_seq
    vals = problem.outputs_at(grid).reshape(Y.shape + (n_seq,))
    unstable = _unstable(problem, grid).reshape(Y.shape)
    brackets = []                             # (seq, along, ii, jj); along 0: crossings along y
    for s in range(n_seq):
        ok = unstable & np.isfinite(vals[..., s])
        sign = np.sign(vals[..., s])
        for along in (0, 1):
            a = (slice(None, -1), slice(None)) if along == 0 else (slice(None), slice(None, -1))
            b = (slice(1, None), slice(None)) if along == 0 else (slice(None), slice(1, None))
            ii, jj = np.nonzero((sign[a] * sign[b] < 0) & ok[a] & ok[b])
            if ii.size:
                brackets.append((s, along, ii, jj))
    if not brackets:
        return []
    seq = np.concatenate([np.full(ii.size, s) for s, _, ii, _ in brackets])
    along = np.concatenate([np.full(ii.size, g) for _, g, ii, _ in brackets])
    ii = np.concatenate([b[2] for b in brackets])
    jj = np.concatenate([b[3] for b in brackets])
    by_y = along == 0
    base = _thetas(center, axes, xs[jj], ys[ii])
    lo = np.where(by_y, ys[ii], xs[jj])
    hi = np.where(by_y, ys[np.minimum(ii + 1, ys.size - 1)], xs[np.minimum(jj + 1, xs.size - 1)])
    axis = np.where(by_y, axes[1], axes[0])
    z = _bisect_zero(problem, base, axis, seq, lo, hi, vals[ii, jj, seq])
    px = np.where(by_y, xs[jj], z)
    py = np.where(by_y, z, ys[ii])
    valleys = []
    for s in range(n_seq):
        mine = seq == s
        if not mine.any():
            continue
        cells = np.zeros(Y.shape, dtype=bool)
        cells[ii[mine], jj[mine]] = True
        labels, n = ndimage.label(cells, structure=np.ones((3, 3)))
        lab = labels[ii[mine], jj[mine]]
        sx, sy = px[mine], py[mine]
        for k in range(1, n + 1):
            sel = lab == k
            if np.count_nonzero(sel) >= min_points:
                x, y = sx[sel], sy[sel]
                # order along the curve's main direction
                main = x if np.ptp(x) / np.ptp(xs) >= np.ptp(y) / np.ptp(ys) else y
                order = np.argsort(main, kind="stable")
                valleys.append(Valley("output-zero", x[order], y[order], sequence=s,
                                      survives=True if n_seq == 1 else None))
    return valleys


def predict_output_zero(problem: Problem, ranges=None, axes=None, center=None,
                        resolution: int = 400, min_points: int = 5) -> list[Valley]:
    """Curves on which the final output a(T) crosses zero where the net is unstable.

    The exact counterpart of Horn et al. (2009), §V, eq. 18: once the tansig neuron's output
    saturates at some time t, the later, still small outputs follow
    a(t+k) ≈ w1 {p(t+k) + w2 p(t+k-1) + ... + w2^(k-1) p(t+1)} + w2^k a(t), a polynomial in w2
    whose root moves with w1, so the root valley of eq. 2 bends. Instead of the approximation
    the curves are traced on the simulated outputs: sign changes of a(T) between neighbouring
    grid cells in the unstable region (``Problem.unstable``) are bisected to the zero (60
    halvings) and linked into curves. For a linear neuron they are the zero set of the response
    polynomial (eq. 2, in (w2, w3) for the second-order neuron).

    Parameters
    ----------
    problem : Problem
        A RecurrentNeuron with input_delays=(0,), no bias and 1 or 2 feedback delays.
    ranges : ((x0, x1), (y0, y1)), optional
        Scan window (default ((-2, 2), (-5, 5))).
    axes : (int, int), optional
        Scanned parameters: default (0, 1) = (w1, w2) for first-order, (1, 2) = (w2, w3) for
        second-order neurons.
    center : array_like, optional
        Values of the parameters that are not scanned (required when some are not).
    resolution : int
        Grid points per axis used to trace the curves (>= 20).
    min_points : int
        Shortest curve (in traced points) that is reported.

    Returns
    -------
    list of Valley
        Kind "output-zero", sequence by sequence (``sequence``; ``survives`` True for a single
        sequence, else None: whether it survives in the summed SSE is not decided).
    """
    w = _window(problem, ranges, axes, center, resolution)
    return _output_zero(problem, w, min_points)


def _saturation(problem, w: _Window, tol: float, min_points: int) -> list[Valley]:
    """Horn eq. 19 lines, checked against the simulated a(k-1): one ``outputs_at`` call per
    step k for all sequences and signs."""
    if not (w.first_order_w1w2 and w.transfer == "tansig"):
        return []
    data, xs, ys = w.data, w.xs, w.ys
    found = []                                  # ((seq, k, sign order), Valley)
    w2 = ys[np.abs(ys) > 1.0]
    for k in range(1, data.T):                  # 0-based step k: a(k-1) is a(k) in 1-based time
        lines = []
        for seq in range(data.n_seq):
            p, t = data.p[seq, k], data.t[seq, k]
            if p == 0.0 or abs(t) >= 1.0:
                continue
            for order, s in enumerate((1.0, -1.0)):
                w1 = (math.atanh(t) - s * w2) / p
                inside = (w1 >= xs[0]) & (w1 <= xs[-1])
                if np.count_nonzero(inside) >= min_points:
                    lines.append((seq, order, s, w1[inside], w2[inside]))
        if not lines:
            continue
        thetas = _thetas(w.center, w.axes, np.concatenate([ln[3] for ln in lines]),
                         np.concatenate([ln[4] for ln in lines]))
        prev = problem.outputs_at(thetas, step=k)        # a(k - 1) of the 1-based step k + 1
        start = 0
        for seq, order, s, x, y in lines:
            ok = np.abs(prev[start:start + x.size, seq] - s) < tol
            start += x.size
            if np.count_nonzero(ok) >= min_points:
                found.append(((seq, k, order), Valley("saturation", x[ok], y[ok], sequence=seq,
                                                      meta={"k": k + 1, "sign": s})))
    return [v for _, v in sorted(found, key=lambda item: item[0])]


def predict_saturation(problem: Problem, ranges=None, axes=None, center=None,
                       resolution: int = 400, saturation_tol: float = 0.02,
                       min_points: int = 5) -> list[Valley]:
    """Saturation lines of the first-order tansig neuron.

    Horn et al. (2009), §V, eq. 19: when a(k-1) is saturated at s = ±1, a(k) = tansig(w1 p(k)
    + w2 s) switches between the saturation levels and on the way crosses the target t(k);
    the other outputs being saturated and unchanging, that one matching output makes a valley
    along w1 = (atanh t(k) - s w2) / p(k) (our reading of the garbled equation). A line is kept
    where the simulated a(k-1) is within ``saturation_tol`` of s (unstable part |w2| > 1).

    Parameters
    ----------
    problem : Problem
        A RecurrentNeuron("tansig") with one feedback delay, input_delays=(0,), no bias.
    ranges : ((x0, x1), (y0, y1)), optional
        Scan window (default ((-2, 2), (-5, 5))).
    axes : (int, int), optional
        Scanned parameters (default (0, 1) = (w1, w2) for first-order, (1, 2) = (w2, w3) for
        second-order neurons); this family lives in the (w1, w2) plane of a first-order neuron.
    center : array_like, optional
        Values of the parameters that are not scanned (required when some are not).
    resolution : int
        Points per axis (>= 20); the lines are sampled at the w2 grid values.
    saturation_tol : float
        How close to ±1 the previous output must be.
    min_points : int
        Shortest line (in points) that is reported.

    Returns
    -------
    list of Valley
        Kind "saturation" with ``meta`` = {"k": k (1-based), "sign": s}, ordered by sequence,
        step and sign (+1 first); empty unless the neuron is tansig and first-order.
    """
    w = _window(problem, ranges, axes, center, resolution)
    return _saturation(problem, w, saturation_tol, min_points)


def predict(problem: Problem, ranges=None, axes=None, center=None, resolution: int = 400,
            survive_tol: float = 1e-3, saturation_tol: float = 0.02,
            min_points: int = 5, min_growth: float = 10.0,
            near_real: float = 0.05) -> list[Valley]:
    """Valleys that theory predicts for a recurrent neuron, in scan coordinates.

    Composes the valley families of Horn et al. (2009): :func:`predict_input_zero` (§III), then
    for the linear first-order neuron from zero initial outputs :func:`predict_roots` (eq. 2,
    complete for that neuron), otherwise :func:`predict_output_zero` (eq. 18) and, for the
    first-order tansig neuron, :func:`predict_saturation` (eq. 19).

    Parameters
    ----------
    problem : Problem
        A RecurrentNeuron with input_delays=(0,), no bias and 1 or 2 feedback delays.
    ranges : ((x0, x1), (y0, y1)), optional
        Window of the scan (default ((-2, 2), (-5, 5))).
    axes : (int, int), optional
        Scanned parameters: default (0, 1) = (w1, w2) for first-order, (1, 2) = (w2, w3) for
        second-order neurons.
    center : array_like, optional
        Values of the parameters that are not scanned (required when some are not).
    resolution : int
        Points per axis used to trace curves (>= 20).
    survive_tol : float
        Root distance below which another sequence's root keeps a valley in the summed SSE.
    saturation_tol : float
        How close to ±1 the previous output must be for a saturation line.
    min_points : int
        Shortest curve (in traced points) that is reported.
    min_growth : float
        Linear neuron: a root r is a valley only if |r|^T >= min_growth.
    near_real : float
        Linear neuron: complex roots with |Im r| <= near_real |r| give "near-root" valleys.

    Returns
    -------
    list of Valley
        Input-zero valleys first, then root and near-root valleys (linear neuron) or
        output-zero curves and saturation lines.

    Examples
    --------
    Horn et al.'s Fig. 3: a linear neuron, teacher (0.5, 0.5), T = 100, a(0) = 0.

    >>> import fastsurf as fs
    >>> model = fs.RecurrentNeuron("purelin")
    >>> prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))
    >>> pred = fs.valleys.predict(prob, ranges=((-2, 2), (-5, 5)))
    >>> [v.kind for v in pred]
    ['input-zero', 'input-zero', 'root', 'root', 'root']
    >>> sorted(round(v.root, 4) for v in pred if v.kind == "root")
    [-1.2021, 1.0365, 1.1577]
    """
    w = _window(problem, ranges, axes, center, resolution)
    survive_tol = check_real("survive_tol", survive_tol, minimum=0.0)
    valleys = _input_zero(w)
    if _roots_apply(w):
        return valleys + _roots(w, survive_tol, min_growth, near_real)
    return (valleys + _output_zero(problem, w, min_points)
            + _saturation(problem, w, saturation_tol, min_points))


# --- detection -----------------------------------------------------------------------------------
def _valley_strength(L: np.ndarray, window: int) -> np.ndarray:
    """How strongly each cell of the cross-sections along axis 0 of log10 loss L (+inf where
    overflowed) is a valley, in decades: the largest ``prominence`` at which :func:`detect`
    flags it; -inf for cells that are neither kind of minimum.

    (a) A strict minimum of its cross-section: the smaller of its rises within ``window`` cells
    on the two sides. (b) A strict minimum after removing the local linear trend: half its
    second difference L[i-1] - 2 L[i] + L[i+1] where that is a local maximum, with finite
    neighbours. (b) covers valleys narrower than a cell on a steep background, where the grid
    never samples the valley floor and the cross-section is monotonic with a notch (linear
    neuron near |w2| = 1).
    """
    n = L.shape[0]
    strict = np.zeros(L.shape, dtype=bool)
    strict[1:-1] = (L[1:-1] < L[:-2]) & (L[1:-1] < L[2:])
    rise_lo = np.zeros(L.shape)
    rise_hi = np.zeros(L.shape)
    for w in range(1, window + 1):
        # -inf padding beyond the edges; inf - inf (two overflowed cells) counts as no rise
        up = np.full(L.shape, -np.inf)
        up[w:] = L[:-w]
        dn = np.full(L.shape, -np.inf)
        dn[:n - w] = L[w:]
        with np.errstate(invalid="ignore"):
            rise_lo = np.fmax(rise_lo, up - L)
            rise_hi = np.fmax(rise_hi, dn - L)
    d2 = np.full(L.shape, -np.inf)
    with np.errstate(invalid="ignore"):
        inner = L[:-2] - 2 * L[1:-1] + L[2:]
        finite = np.isfinite(L[:-2]) & np.isfinite(L[1:-1]) & np.isfinite(L[2:])
    d2[1:-1] = np.where(finite, inner, -np.inf)
    notch = np.zeros(L.shape, dtype=bool)
    notch[1:-1] = (d2[1:-1] > d2[:-2]) & (d2[1:-1] >= d2[2:]) & np.isfinite(d2[1:-1])
    strength = np.full(L.shape, -np.inf)
    strength = np.where(strict, np.minimum(rise_lo, rise_hi), strength)
    return np.where(notch, np.fmax(strength, d2 / 2), strength)


def _transverse_minima(L: np.ndarray, window: int, prominence: float) -> np.ndarray:
    """Valley cells of the cross-sections along axis 0 of L: strength >= ``prominence``."""
    return _valley_strength(L, window) >= prominence


def detect(surface: Surface, window: int = 3, prominence: float = _DEFAULT_PROMINENCE,
           min_cells: int = _DEFAULT_MIN_CELLS) -> list[Valley]:
    """Valley curves in a scanned surface.

    A valley point is a cell whose log10 loss is a strict local minimum of the cross-section
    transverse to the valley and rises by at least ``prominence`` decades within ``window``
    cells on both sides (this keeps the narrow valleys and drops the smooth floor of a wide
    basin), or a strict minimum of the cross-section after removing its local linear trend
    (second difference >= 2 * prominence decades, a local maximum): a valley narrower than a cell
    on a steep background shows only as such a notch. Columns are searched for minima along y
    (valleys running along x) and rows for minima along x (valleys running along y); the cells
    of each kind are linked into curves by 8-connectivity, and curves shorter than
    ``min_cells`` are dropped.

    Resolution: a valley is found whatever its width, even far narrower than one cell, provided
    it lowers the nearest cell by more than the background's curvature (``prominence``); it is
    then placed on the nearest cell or its neighbour (within one cell; :func:`refine` sharpens
    it). Two valleys less than two cells apart merge into one. +inf cells count as higher than
    any finite cell and never make a notch.

    Parameters
    ----------
    surface : Surface
        A scan with at least 3x3 cells.
    window : int
        Cells on each side within which a minimum must rise by ``prominence``.
    prominence : float
        Rise in decades of loss (>= 0). The default, 0.01, finds the valleys of Horn et al.'s
        grids (T = 100, 1024²): the linear neuron's are decades deep, but a tansig neuron's
        SSE is bounded and its valleys are 0.005–0.7 decades deep (``check`` measures them);
        0.3 found only the global minimum there.
    min_cells : int
        Shortest curve that is reported (default 5).

    Returns
    -------
    list of Valley
        Kind "detected"; ``meta`` holds "direction" ("along-x" or "along-y"), "cells", and the
        scan's "cell" = [dx, dy] and "window" = [x0, x1, y0, y1], so that :func:`compare` can
        measure distances in cells without the surface.
    """
    window = check_int("window", window, minimum=1)
    prominence = check_real("prominence", prominence, minimum=0.0)
    min_cells = check_int("min_cells", min_cells, minimum=1)
    if not all(hasattr(surface, a) for a in ("values", "x", "y")):
        raise TypeError("surface must be a fastsurf.scan.Surface (values with x and y "
                        f"coordinates), got {type(surface).__name__}; scan it with "
                        "fastsurf.scan.grid or wrap an array in a Surface")
    values = np.asarray(surface.values, dtype=float)
    if values.ndim != 2 or values.shape[0] < 3 or values.shape[1] < 3:
        raise ValueError(f"surface.values must be 2-D with at least 3x3 cells, got {values.shape}")
    with np.errstate(divide="ignore"):
        L = np.where(np.isfinite(values), np.log10(np.maximum(values, 1e-300)), np.inf)
    cell, frame = _surface_frame(surface)
    low = np.unravel_index(int(np.argmin(L)), L.shape) if np.isfinite(L).any() else (-9, -9)
    out = []
    for direction, mask in (("along-x", _transverse_minima(L, window, prominence)),
                            ("along-y", _transverse_minima(L.T, window, prominence).T)):
        labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
        for lab in range(1, n + 1):
            ii, jj = np.nonzero(labels == lab)
            if ii.size < min_cells:
                continue
            order = np.argsort(jj if direction == "along-x" else ii, kind="stable")
            holds_min = bool(np.any((np.abs(ii - low[0]) <= 1) & (np.abs(jj - low[1]) <= 1)))
            out.append(Valley("detected", surface.x[jj[order]], surface.y[ii[order]],
                              meta={"direction": direction, "cells": int(ii.size),
                                    "cell": list(cell), "window": list(frame),
                                    "minimum": holds_min}))
    return out


def _surface_frame(surface) -> tuple[tuple[float, float], tuple[float, float, float, float]]:
    """The cell size (dx, dy) and window (x0, x1, y0, y1) of a scan."""
    x, y = surface.x, surface.y
    return ((float(x[1] - x[0]), float(y[1] - y[0])),
            (float(x[0]), float(x[-1]), float(y[0]), float(y[-1])))


def refine(valley: Valley, problem: Objective, surface: Surface, samples: int = 201,
           zooms: int = 6) -> Valley:
    """Sharpen a detected valley below the grid spacing.

    Each point moves along its transverse grid line, within ±1 cell, to the valley: ``samples``
    equally spaced evaluations, then ``zooms`` times again on ±2 spacings around the best one
    (resolution cell * (2 / samples)^zooms). "Best" is the peak of the second difference of log
    loss (the detection criterion) rather than the lowest sample: a valley can be many orders of
    magnitude narrower than the samples on a steep background, where the lowest sample sits on
    the background's low side but the notch still shows as a curvature peak.

    Parameters
    ----------
    valley : Valley
        A detected valley (``meta["direction"]`` says which way is transverse).
    problem : Objective
        The scanned objective (``losses`` is used).
    surface : Surface
        The scan the valley was detected in.
    samples : int
        Evaluations per zoom (>= 5).
    zooms : int
        Zoom steps after the first pass (>= 0).

    Returns
    -------
    Valley
        Same kind, with ``meta["refined"] = True``.
    """
    samples = check_int("samples", samples, minimum=5)
    zooms = check_int("zooms", zooms, minimum=0)
    along_x = valley.meta.get("direction", "along-x") == "along-x"
    step = (surface.y[1] - surface.y[0]) if along_x else (surface.x[1] - surface.x[0])
    xs, ys = valley.x.astype(float).copy(), valley.y.astype(float).copy()
    for n in range(xs.size):
        centre, half = (ys[n] if along_x else xs[n]), step
        for _ in range(zooms + 1):
            t = np.linspace(centre - half, centre + half, samples)
            pts = np.array([surface.theta_at(xs[n], v) if along_x else surface.theta_at(v, ys[n])
                            for v in t])
            with np.errstate(divide="ignore"):
                L = np.log10(np.maximum(problem.losses(pts), 1e-300))
            d2 = L[:-2] - 2 * L[1:-1] + L[2:]
            centre = float(t[1 + int(np.nanargmax(np.where(np.isfinite(d2), d2, -np.inf)))])
            half = 2 * (t[1] - t[0])
        if along_x:
            ys[n] = centre
        else:
            xs[n] = centre
    return Valley(valley.kind, xs, ys, meta={**valley.meta, "refined": True})


# --- checking a predicted valley on the exact loss ----------------------------------------------
#: The families' assumptions, named in the reason when the loss has no valley where one is
#: predicted (Horn et al. 2009).
_ASSUMPTIONS = {
    "input-zero": "w1 = 0 and a(0) = 0 keep a = 0 (§III), a valley only where the outputs "
                  "nearby grow",
    "root": "a frozen root of g_T makes the outputs small for every w1 (§III eq. 2, §IV)",
    "near-root": "a complex root pair close to the real axis makes |g_T| dip (§IV)",
    "output-zero": "the late outputs stay small in the linear range of tansig, so that a(T) "
                   "= 0 marks a bent root valley (§V eq. 18)",
    "saturation": "every other output is saturated and unchanging, so that matching one "
                  "target makes a valley (§V eq. 19)",
}


@dataclass(repr=False)
class ValleyCheck(Result):
    """What the exact loss does across one predicted valley (:func:`check`).

    Attributes
    ----------
    kind : str
        The valley's family (``Valley.kind``).
    verdict : {"valley", "shallow", "not-a-valley"}
        "valley": at most checked points the loss has a transverse local minimum within
        ``tol`` cells that a grid of this cell size shows (:func:`detect` flags it at the
        given ``prominence`` for most grid phases); "shallow": a real transverse minimum the
        grid cannot show (too shallow or too narrow for the cell size); "not-a-valley": no
        transverse minimum, the theory's prediction fails at this T (``reason`` names the
        assumption and what was measured).
    reason : str
        One sentence with the measured numbers.
    x, y : ndarray
        The checked points (scan coordinates).
    offset : ndarray
        Position of the transverse minimum relative to the predicted point, in cells.
    depth : ndarray
        The smaller of the two rises of log10 loss from that minimum to each side's highest
        point within ``half_width`` cells, in decades (0: no minimum).
    width : ndarray
        Full width of the minimum at half its depth (in log10 loss), in cells.
    grid_strength : ndarray
        Median over grid phases of the strength a grid of this cell size sees (the largest
        ``prominence`` at which :func:`detect` would flag the valley), in decades.
    saturated : ndarray
        Share of the outputs |a(k)| > 0.9 at the checked points (all sequences).
    last_share : ndarray
        Share of the sequence's SSE that its last step carries one cell off the valley.
    prominence : float
        The detection prominence the grid strength was compared with.
    """

    kind: str
    verdict: str
    reason: str
    x: np.ndarray
    y: np.ndarray
    offset: np.ndarray
    depth: np.ndarray
    width: np.ndarray
    grid_strength: np.ndarray
    saturated: np.ndarray
    last_share: np.ndarray
    prominence: float = 0.0

    @property
    def minimum(self) -> np.ndarray:
        """Points with a transverse local minimum."""
        return self.depth > _MIN_DEPTH

    @property
    def visible(self) -> np.ndarray:
        """Points where a grid of this cell size shows that minimum."""
        return self.minimum & (self.grid_strength >= self.prominence)


#: Smallest rise (decades) that counts as a transverse minimum: far above float64 rounding
#: (1e-16 relative, 4e-17 decades) and below any valley the detection defaults can see.
_MIN_DEPTH = 1e-4


def _log_loss(problem, thetas) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log10(np.maximum(problem.losses(thetas), 1e-300))


def _transverse(problem, surface, x, y, along_y, u):
    """log10 loss at offsets ``u`` (cells) from (x, y) along the scan axis y (``along_y``) or
    x, exactly: one :func:`fastsurf.scan.line` through the segment's ends."""
    dx, dy = surface.x[1] - surface.x[0], surface.y[1] - surface.y[0]
    lo, hi = float(u.min()), float(u.max())
    if along_y:
        a, b = surface.theta_at(x, y + lo * dy), surface.theta_at(x, y + hi * dy)
    else:
        a, b = surface.theta_at(x + lo * dx, y), surface.theta_at(x + hi * dx, y)
    prof = line(problem, a, b, alphas=(u - lo) / (hi - lo))
    with np.errstate(divide="ignore"):
        return np.log10(np.maximum(prof.values, 1e-300))


def _nearest_minimum(u: np.ndarray, L: np.ndarray, centre: float, reach: float) -> float:
    """The sampled local minimum of L(u) nearest ``centre`` within ``reach`` (the valley the
    prediction points at, not a lower basin nearby); the lowest sample there if none."""
    Lf = np.where(np.isfinite(L), L, np.inf)
    near = np.abs(u - centre) <= reach
    local = np.zeros(u.size, dtype=bool)
    local[1:-1] = (Lf[1:-1] < Lf[:-2]) & (Lf[1:-1] <= Lf[2:])
    cand = np.nonzero(near & local)[0]
    if cand.size:
        return float(u[cand[np.argmin(np.abs(u[cand] - centre))]])
    return float(u[near][np.argmin(Lf[near])])


def _point_check(problem, surface, x, y, along_y, tol, half_width, samples, window, phases):
    """(offset, depth, width, grid strength) of the transverse minimum nearest (x, y)."""
    u = np.union1d(np.linspace(-half_width, half_width, samples), [0.0])
    L = _transverse(problem, surface, x, y, along_y, u)
    if not np.isfinite(L[np.abs(u) <= tol]).any():
        return 0.0, 0.0, 0.0, -np.inf
    best, step = _nearest_minimum(u, L, 0.0, tol), u[1] - u[0]
    for _ in range(4):                                   # zoom on the floor: step / 20^4
        z = np.linspace(best - 2 * step, best + 2 * step, 41)
        Lz = _transverse(problem, surface, x, y, along_y, z)
        u, idx = np.unique(np.concatenate([u, z]), return_index=True)
        L = np.concatenate([L, Lz])[idx]
        best, step = _nearest_minimum(u, L, best, 2 * step), z[1] - z[0]
    i = int(np.searchsorted(u, best))
    floor = L[i]
    if not np.isfinite(floor):
        return best, 0.0, 0.0, -np.inf
    depth = float(min(np.max(L[:i + 1]), np.max(L[i:])) - floor)
    if not depth > _MIN_DEPTH:
        return best, 0.0, 0.0, -np.inf
    half = floor + depth / 2
    lo = i
    while lo > 0 and L[lo - 1] <= half:
        lo -= 1
    hi = i
    while hi < u.size - 1 and L[hi + 1] <= half:
        hi += 1
    width = float(max(u[hi] - u[lo], step))
    # what a grid of this cell size sees, at several phases of the grid against the floor
    m = np.arange(-window - 2, window + 3, dtype=float)
    strengths = []
    for phase in phases:
        Lg = _transverse(problem, surface, x, y, along_y, best + phase + m)
        s = _valley_strength(Lg[:, None], window)[:, 0]
        strengths.append(float(np.max(s[window + 1:window + 4])))
    return best, min(depth, 1e300), width, float(np.median(strengths))


def check(problem: Problem, valley: Valley, surface: Surface, points: int = 9,
          tol: float = 1.5, half_width: float = 4.0, samples: int = 161, window: int = 3,
          prominence: float | None = None) -> ValleyCheck:
    """Is a predicted valley a valley of the exact loss, and can this grid show it?

    At ``points`` points along the valley (inside the scan window) the loss is evaluated
    exactly (:func:`fastsurf.scan.line`) on a short line across it, along the scan axis closer
    to its normal (the cross-section :func:`detect` searches): ``samples`` points over
    ±``half_width`` cells, then four zooms (each 20 times finer) on the lowest point within
    ``tol`` cells. The point is a *transverse local minimum* when the log10 loss rises from
    there by more than 1e-4 decades on both sides. The grid's view: the same line sampled at
    the cell spacing, with the grid's cells at four phases against the floor, and the strength
    :func:`detect` would give it there (the largest prominence at which it is flagged).

    Verdict (Horn et al. 2009 name the families' mechanisms): "valley" when most points are
    minima that the grid shows at ``prominence``; "shallow" when most are minima but the grid
    does not show them (their depth and width against the cell size are in ``reason``);
    "not-a-valley" when most points have no transverse minimum: the family's assumption fails
    at this T, and ``reason`` says which and what was measured (the share of saturated outputs,
    the share of the SSE carried by the last step, the growth |r|^T of a root).

    Parameters
    ----------
    problem : Problem
        The scanned problem (of a recurrent neuron).
    valley : Valley
        A predicted valley in ``surface``'s coordinates.
    surface : Surface
        The grid scan (cell size, window, ``theta_at``).
    points : int
        Points checked along the valley (>= 1), equally spaced by index.
    tol : float
        Cells from the predicted point within which the minimum is searched.
    half_width : float
        Half length of each transverse line, in cells (> tol).
    samples : int
        Samples on each line before zooming (>= 11).
    window : int
        Detection window (as in :func:`detect`).
    prominence : float, optional
        Detection prominence in decades (default: :func:`detect`'s).

    Returns
    -------
    ValleyCheck

    Examples
    --------
    >>> import fastsurf as fs
    >>> model = fs.RecurrentNeuron("purelin")
    >>> prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))
    >>> surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(128, 128),
    ...                     progress=False)
    >>> root = [v for v in fs.valleys.predict(prob) if v.kind == "root"][0]
    >>> res = fs.valleys.check(prob, root, surf, points=3)
    >>> res.verdict, bool(res.minimum.all())
    ('valley', True)
    """
    points = check_int("points", points, minimum=1)
    tol = check_real("tol", tol, minimum=0.0)
    half_width = check_real("half_width", half_width, minimum=tol)
    if not half_width > tol:
        raise ValueError(f"half_width must exceed tol={tol}, got {half_width}")
    samples = check_int("samples", samples, minimum=11)
    window = check_int("window", window, minimum=1)
    prominence = _DEFAULT_PROMINENCE if prominence is None else check_real(
        "prominence", prominence, minimum=0.0)
    if getattr(surface, "kind", None) != "grid":
        raise TypeError("check needs the grid Surface the valley lives in (fastsurf.scan.grid), "
                        f"got {type(surface).__name__}")
    (dx, dy), (x0, x1, y0, y1) = _surface_frame(surface)
    vx, vy = as_float_array("valley.x", valley.x, ndim=1), as_float_array("valley.y", valley.y,
                                                                          ndim=1)
    inside = np.nonzero((vx >= x0) & (vx <= x1) & (vy >= y0) & (vy <= y1))[0]
    if inside.size == 0:
        raise ValueError(f"valley {valley.kind!r} has no point inside the scan window "
                         f"[{x0}, {x1}] x [{y0}, {y1}]")
    picks = inside[np.unique(np.linspace(0, inside.size - 1, points).round().astype(int))]
    phases = (-0.5, -0.25, 0.0, 0.25)
    rows = []
    for i in picks:
        a, b = max(i - 1, 0), min(i + 1, vx.size - 1)
        along_y = abs(vx[b] - vx[a]) / dx >= abs(vy[b] - vy[a]) / dy   # runs along x
        rows.append(_point_check(problem, surface, vx[i], vy[i], along_y, tol, half_width,
                                 samples, window, phases))
    offset, depth, width, strength = (np.array(c) for c in zip(*rows))
    sat, last = _assumption_measures(problem, surface, valley, vx[picks], vy[picks])
    res = ValleyCheck(kind=valley.kind, verdict="", reason="", x=vx[picks], y=vy[picks],
                      offset=offset, depth=depth, width=width, grid_strength=strength,
                      saturated=sat, last_share=last, prominence=prominence)
    res.verdict, res.reason = _verdict(res, valley, problem)
    return res


def _assumption_measures(problem, surface, valley, x, y):
    """Share of saturated outputs at each point, and the share of the valley's sequence's SSE
    carried by its last step one cell off the valley (in y)."""
    dy = surface.y[1] - surface.y[0]
    s = valley.sequence if valley.sequence is not None else 0
    t = problem.data.t
    sat, last = [], []
    for xi, yi in zip(x, y):
        a = np.atleast_2d(problem.outputs(surface.theta_at(xi, yi)))
        with np.errstate(invalid="ignore"):
            sat.append(float(np.mean(np.abs(a) > 0.9)))
        off = np.atleast_2d(problem.outputs(surface.theta_at(xi, yi + dy)))[s]
        with np.errstate(over="ignore", invalid="ignore"):
            e = (off - t[s]) ** 2
            total = float(np.sum(e))
        last.append(float(e[-1] / total) if np.isfinite(total) and total > 0 else 1.0)
    return np.array(sat), np.array(last)


def _verdict(res: ValleyCheck, valley: Valley, problem) -> tuple[str, str]:
    n = res.depth.size
    minima, visible = int(res.minimum.sum()), int(res.visible.sum())
    where = f"{valley.kind} valley" + (f" w2 = {valley.root:+.6f}" if valley.root is not None
                                       else "")
    if 2 * minima >= n and 2 * visible >= minima:
        return "valley", (f"{where}: a transverse minimum at {minima} of {n} points, "
                          f"median depth {np.median(res.depth[res.minimum]):.3g} decades")
    if 2 * minima >= n:
        d, w = res.depth[res.minimum], res.width[res.minimum]
        g = res.grid_strength[res.minimum]
        return "shallow", (f"{where}: a real transverse minimum at {minima} of {n} points, "
                           f"but too shallow for this grid: median depth {np.median(d):.3g} "
                           f"decades, width {np.median(w):.3g} cells; on the grid's cells it "
                           + (f"shows {np.median(g):.3g} decades" if np.isfinite(np.median(g))
                              else "shows no minimum")
                           + f" (detection needs {res.prominence:g})")
    measured = {
        "root": lambda: (f"|r|^T = {abs(valley.root) ** problem.data.T:.3g}"
                         if valley.root is not None else ""),
        "output-zero": lambda: (f"{np.median(res.saturated):.0%} of the outputs are saturated "
                                f"and the last step carries {np.median(res.last_share):.1%} "
                                "of the SSE one cell off the curve"),
        "saturation": lambda: f"{np.median(res.saturated):.0%} of the outputs saturated",
    }.get(valley.kind, lambda: "")()
    assumption = _ASSUMPTIONS.get(valley.kind, "the family's mechanism")
    return "not-a-valley", (f"{where}: no transverse minimum at {n - minima} of {n} points "
                            f"(the loss rises to one side only): not a valley at "
                            f"T = {problem.data.T}; assumption failing: {assumption}"
                            + (f" — measured: {measured}" if measured else ""))


# --- comparison ----------------------------------------------------------------------------------
@dataclass(repr=False)
class Comparison(Result):
    """Predicted against detected valleys, with the reason for every disagreement.

    Attributes
    ----------
    matched : list of (Valley, Valley, float, float)
        (predicted, detected, median distance, coverage): coverage is the share of the
        predicted points within ``tol`` of a detected valley (any piece of one), the detected
        valley is the piece that covers most of them, the distance the median over the covered
        points.
    missed : list of Valley
        Predicted valleys with no detected counterpart.
    unexpected : list of Valley
        Detected valleys that match no prediction.
    units : {"cells", "parameter units"}
        Unit of the distances (and of ``tol``).
    checks : list of ValleyCheck
        One per missed valley (:func:`check` on the exact loss, of its points not covered by
        a detected valley), when :func:`compare` was given the problem; else empty.
    partial : list of ValleyCheck
        Matched valleys covered below ``min_coverage`` (given the problem): the check of their
        uncovered points, which are not a valley this grid shows (``kind`` and ``reason`` say
        which valley and why).
    families : list of str
        One per unexpected valley: "minimum" (it holds the scan's smallest cell), a predicted
        family (it runs along a predicted valley: another piece of it), "cascade" or
        "sign-flip" (the outputs change sign across it, Horn et al. §V; needs the problem), or
        "unexplained".
    explanations : list of str
        One sentence per unexpected valley, with what was measured.
    tol : float
        The matching tolerance.
    """

    matched: list
    missed: list
    unexpected: list
    units: str = "cells"
    checks: list = field(default_factory=list)
    partial: list = field(default_factory=list)
    families: list = field(default_factory=list)
    explanations: list = field(default_factory=list)
    tol: float = 1.5

    def shares(self) -> dict:
        """{family: (matched, predicted)} for the predicted families inside the window."""
        out: dict = {}
        for p, *_ in self.matched:
            m, n = out.get(p.kind, (0, 0))
            out[p.kind] = (m + 1, n + 1)
        for p in self.missed:
            m, n = out.get(p.kind, (0, 0))
            out[p.kind] = (m, n + 1)
        return dict(sorted(out.items()))

    @property
    def verdict(self) -> str:
        """"agree" (every prediction matched, every detection predicted), "agree with
        reasons" (every miss is measured to be too shallow for the grid or not a valley at
        this T, every unexpected valley has a family), or "disagree: ..." saying what is
        left: real, grid-visible valleys that detection missed, unchecked misses (no problem
        given) and unexplained detections."""
        if not self.missed and not self.unexpected:
            return "agree"
        real = sum(c.verdict == "valley" for c in self.checks)
        unchecked = len(self.missed) - len(self.checks)
        unexplained = (len(self.unexpected) if not self.families
                       else self.families.count("unexplained"))
        if real == unchecked == unexplained == 0:
            return "agree with reasons"
        parts = [f"{real} predicted valleys are real and visible on this grid but not "
                 "detected"] if real else []
        parts += [f"{unchecked} misses unchecked (pass problem=)"] if unchecked else []
        parts += [f"{unexplained} detected valleys unexplained"] if unexplained else []
        return "disagree: " + "; ".join(parts)

    def summary(self) -> str:
        """Per family the matched share, the reason for every miss, the families of the
        unexpected valleys, and the verdict."""
        unit = self.units
        lines = [f"matched {len(self.matched)}, predicted-not-found {len(self.missed)}, "
                 f"found-not-predicted {len(self.unexpected)} (tolerance {self.tol:g} {unit})"]
        for kind, (m, n) in self.shares().items():
            dists = [d for p, _, d, _ in self.matched if p.kind == kind]
            extra = f", median distance {np.median(dists):.2f} {unit}" if dists else ""
            verdicts = Counter(c.verdict for c, p in zip(self.checks, self.missed)
                               if p.kind == kind)
            why = ", ".join(f"{k} {verdicts[k]}" for k in ("shallow", "not-a-valley", "valley")
                            if verdicts[k])
            lines.append(f"  {kind:12s} matched {m} of {n} ({m / n:.0%}){extra}"
                         + (f"; misses: {why}" if why else ""))
        for p, _, dist, cov in self.matched:
            if p.root is not None:
                lines.append(f"  {p.kind} w2 = {p.root:+.6f}: distance {dist:.3f} {unit}, "
                             f"coverage {cov:.0%}")
        for c in self.partial:
            lines.append(f"  matched in part, rest {c.verdict}: {c.reason}")
        for n, p in enumerate(self.missed):
            if n < len(self.checks):
                lines.append(f"  not found, {self.checks[n].verdict}: {self.checks[n].reason}")
            else:
                where = f" w2 = {p.root:+.6f}" if p.root is not None else ""
                lines.append(f"  not found: {p.kind}{where} (unchecked: pass problem=)")
        if self.unexpected:
            fams = Counter(self.families) if self.families else Counter(
                {"unexplained": len(self.unexpected)})
            lines.append("  found-not-predicted by family: "
                         + ", ".join(f"{k} {v}" for k, v in sorted(fams.items())))
            for fam, text in zip(self.families, self.explanations):
                if fam == "unexplained":
                    lines.append(f"    unexplained: {text}")
        lines.append(f"verdict: {self.verdict}")
        return "\n".join(lines)


def _comparison_frame(detected: Sequence[Valley], surface):
    """(cell (dx, dy), window (x0, x1, y0, y1) or None, units) for :func:`compare`."""
    if surface is not None:
        cell, window = _surface_frame(surface)
        return cell, window, "cells"
    cells = {tuple(d.meta["cell"]) if "cell" in d.meta else None for d in detected}
    windows = {tuple(d.meta["window"]) if "window" in d.meta else None for d in detected}
    if len(cells) == 1 and len(windows) == 1 and None not in cells | windows:
        return cells.pop(), windows.pop(), "cells"
    return (1.0, 1.0), None, "parameter units"


def _points(valleys: Sequence[Valley], dx: float, dy: float):
    """All points of ``valleys`` in cell units, and the index of the valley of each."""
    if not valleys:
        return np.empty((0, 2)), np.empty(0, dtype=int)
    pts = np.concatenate([np.column_stack([v.x / dx, v.y / dy]) for v in valleys])
    owner = np.concatenate([np.full(len(v), n) for n, v in enumerate(valleys)])
    return pts, owner


def _explain(d: Valley, predicted, matched_ids, pred_tree, pred_owner, dx, dy, tol, problem,
             surface) -> tuple[str, str]:
    """(family, explanation) of a detected valley that matched no prediction."""
    if d.meta.get("minimum"):
        return "minimum", "holds the scan's smallest cell (the teacher's global minimum)"
    if pred_tree is not None:
        dist, idx = pred_tree.query(np.column_stack([d.x / dx, d.y / dy]))
        near = dist <= tol
        if near.mean() >= 0.5:
            p = Counter(pred_owner[idx[near]].tolist()).most_common(1)[0][0]
            kind = predicted[p].kind
            state = "matched" if p in matched_ids else "missed"
            return kind, (f"{near.mean():.0%} of its cells lie within {tol:g} of a {state} "
                          f"predicted {kind} valley: another piece of it")
    if problem is None or surface is None:
        return "unexplained", f"{len(d)} cells; pass problem= and surface to measure it"
    char = characterize(problem, d, surface)
    if char.kind == "cascade":
        return "cascade", (f"every output of sequence {char.sequence} from k0 = {char.k0} on "
                           "changes sign across it (Horn et al. §V cascade)")
    if char.kind == "isolated":
        return "sign-flip", (f"output k0 = {char.k0} of sequence {char.sequence} and "
                             f"{char.flipped_share:.0%} of the later ones change sign across "
                             "it: a switch between saturation levels that eq. 19 does not place")
    return "unexplained", (f"{len(d)} cells near ({d.x[len(d) // 2]:.3f}, "
                           f"{d.y[len(d) // 2]:.3f}); no output changes sign across it")


def compare(predicted: Sequence[Valley], detected: Sequence[Valley],
            surface: Surface | None = None, tol: float = 1.5, min_coverage: float = 0.5,
            problem: Problem | None = None, prominence: float | None = None) -> Comparison:
    """Match predicted valleys to detected ones, and say why where they disagree.

    A predicted valley (restricted to the inside of the scan window: at least one cell from
    its edges) is matched when at least
    ``min_coverage`` of its points lie within ``tol`` of detected valleys (a valley cut into
    pieces, e.g. by the line w1 = 0, still matches). With the ``problem`` (and the surface)
    every miss is checked on the exact loss (:func:`check`: a real valley that the grid shows,
    too shallow for this grid, or not a valley at this T and which assumption fails), and
    every detected valley that matches nothing gets a family (:class:`Comparison`).

    Parameters
    ----------
    predicted : sequence of Valley
        E.g. from :func:`predict`.
    detected : sequence of Valley
        E.g. from :func:`detect`.
    surface : Surface, optional
        The scan the valleys were detected in: distances are measured in its grid cells and
        predictions are restricted to its window. Without it, the cell size and window come
        from the detected valleys' ``meta`` (:func:`detect` stores them there), so the matches
        are the same; when the detected valleys do not all carry one cell size and window
        (hand-made, or detected in different scans), distances are in parameter units
        (Euclidean in the two scan coordinates) and no window restriction applies
        (``Comparison.units`` says which).
    tol : float
        Distance within which a predicted point counts as covered (in ``Comparison.units``).
    min_coverage : float
        Smallest coverage that makes a match.
    problem : Problem, optional
        The scanned problem: with it (and ``surface``) misses are checked and unexpected
        valleys characterised.
    prominence : float, optional
        The detection prominence the checks compare the grid's view with (default
        :func:`detect`'s).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> import fastsurf as fs
    >>> model = fs.RecurrentNeuron("purelin")
    >>> prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))
    >>> surf = fs.scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(256, 256),
    ...                     progress=False)
    >>> pred, det = fs.valleys.predict(prob), fs.valleys.detect(surf)
    >>> cmp = fs.valleys.compare(pred, det)
    >>> len(cmp.matched), len(cmp.missed), cmp.units
    (5, 0, 'cells')
    >>> fs.valleys.compare(pred, det, surf, problem=prob).verdict
    'agree with reasons'

    """
    tol = check_real("tol", tol, minimum=0.0)
    min_coverage = check_real("min_coverage", min_coverage, minimum=0.0, maximum=1.0)
    if problem is not None and surface is None:
        raise ValueError("compare(..., problem=) needs the surface too: the checks run on "
                         "its grid")
    (dx, dy), window, units = _comparison_frame(detected, surface)
    det_pts, det_owner = _points(detected, dx, dy)
    det_tree = cKDTree(det_pts) if det_pts.size else None
    matched, missed, used, kept, checks, partial = [], [], set(), [], [], []
    for p in predicted:
        if window is None:
            inside = np.ones(len(p.x), dtype=bool)
        else:
            # inside the grid: at least one cell from its edges, where detection can see a
            # minimum (an edge cell has no neighbour on one side)
            xmin, xmax, ymin, ymax = window
            inside = ((p.x >= xmin + dx) & (p.x <= xmax - dx) & (p.y >= ymin + dy)
                      & (p.y <= ymax - dy))
        if not inside.any():
            continue
        kept.append(p)
        if det_tree is None:
            missed.append(p)
            continue
        dist, idx = det_tree.query(np.column_stack([p.x[inside] / dx, p.y[inside] / dy]))
        covered = dist <= tol
        cov = float(np.mean(covered))
        rest = None
        if 0 < cov < min_coverage and problem is not None:
            # matched where it is a valley: the uncovered rest is checked on the exact loss
            gone = np.nonzero(inside)[0][~covered]
            rest = check(problem, Valley(p.kind, p.x[gone], p.y[gone], root=p.root,
                                         sequence=p.sequence), surface, tol=max(tol, 0.5),
                         prominence=prominence)
        if cov >= min_coverage or (rest is not None and rest.verdict != "valley"):
            owners = det_owner[idx[covered]]
            best = Counter(owners.tolist()).most_common(1)[0][0]
            matched.append((p, detected[best], float(np.median(dist[covered])), cov))
            used.update(owners.tolist())
            if rest is not None:
                partial.append(rest)
        else:
            missed.append(p)
            if problem is not None:
                checks.append(rest if rest is not None else check(
                    problem, p, surface, tol=max(tol, 0.5), prominence=prominence))
    pred_pts, pred_owner = _points(kept, dx, dy)
    pred_tree = cKDTree(pred_pts) if pred_pts.size else None
    matched_ids = {n for n, p in enumerate(kept) if any(p is m[0] for m in matched)}
    unexpected = [d for n, d in enumerate(detected) if n not in used]
    explained = [_explain(d, kept, matched_ids, pred_tree, pred_owner, dx, dy, tol, problem,
                          surface) for d in unexpected]
    return Comparison(matched=matched, missed=missed, unexpected=unexpected, units=units,
                      checks=checks, partial=partial, families=[f for f, _ in explained],
                      explanations=[e for _, e in explained], tol=tol)


# --- cascades ------------------------------------------------------------------------------------
@dataclass(repr=False)
class ValleyCharacter(Result):
    """How the outputs differ on the two sides of a valley (:func:`characterize`).

    Attributes
    ----------
    kind : {"cascade", "isolated", "none"}
        "cascade" when every output from k0 on flips sign, "isolated" when only some do,
        "none" when no output changes sign.
    k0 : int or None
        First step (1-based) whose output sign differs.
    sequence : int or None
        Sequence of that step.
    flipped_share : float
        Share of the steps k0..T of that sequence whose signs differ.
    """

    kind: str
    k0: int | None = None
    sequence: int | None = None
    flipped_share: float = 0.0

    def __getitem__(self, key: str):
        """Dict-style access, ``res["kind"]`` (deprecated: use the attributes)."""
        names = ("kind", "k0", "sequence", "flipped_share")
        if key not in names:
            raise KeyError(key)
        warnings.warn(f"characterize() returns a ValleyCharacter; use .{key} instead of "
                      f"[{key!r}]", DeprecationWarning, stacklevel=2)
        return getattr(self, key)


def characterize(problem: Problem, valley: Valley, surface: Surface,
                 offset: float = 2.0) -> ValleyCharacter:
    """Describe a (detected) valley of a tansig neuron by the outputs on its two sides.

    Horn et al. (2009), §V, end of our copy: a shift of a(k-1) between +1 and -1 can shift
    a(k) too, and so on — a cascade of sign flips. At the middle point of the valley the
    outputs a(1..T) (``problem.outputs``) are simulated ``offset`` cells to each side,
    transverse to the valley, and their signs compared.

    Parameters
    ----------
    problem : Problem
        The scanned problem (of a sequence model).
    valley : Valley
        A valley in ``surface``'s coordinates (``meta["direction"]``, default "along-x").
    surface : Surface
        The scan (its cell size and ``theta_at``).
    offset : float
        Distance to each side, in cells.

    Returns
    -------
    ValleyCharacter
        The first step k0 whose output sign differs, the share of later steps whose signs
        differ too, and the kind: "cascade" when every output from k0 on flips (a sign flip at
        k0 - 1 propagating through the saturated outputs), "isolated" when only some do, else
        "none".
    """
    as_float_array("valley.x", valley.x, ndim=1)
    n = len(valley.x) // 2
    along_x = valley.meta.get("direction", "along-x") == "along-x"
    if along_x:
        step = offset * (surface.y[1] - surface.y[0])
        sides = [surface.theta_at(valley.x[n], valley.y[n] + s) for s in (-step, step)]
    else:
        step = offset * (surface.x[1] - surface.x[0])
        sides = [surface.theta_at(valley.x[n] + s, valley.y[n]) for s in (-step, step)]
    outs = [np.atleast_2d(problem.outputs(th)) for th in sides]
    flips = np.sign(outs[0]) != np.sign(outs[1])
    if not flips.any():
        return ValleyCharacter("none", k0=None, sequence=None, flipped_share=0.0)
    s, k0 = np.argwhere(flips)[0]
    later = flips[s, k0:]
    kind = "cascade" if later.all() and later.size > 1 else "isolated"
    return ValleyCharacter(kind, k0=int(k0) + 1, sequence=int(s),
                           flipped_share=float(later.mean()))


# --- cross-sections ------------------------------------------------------------------------------
def cross_sections(problem: Problem, w1: float = 0.5, w2_range=(-3.0, 3.0),
                   lengths: Sequence[int] = (10, 20, 50, 100), n: int = 2000) -> list[Profile]:
    """The loss against w2 at fixed w1 for several sequence lengths T (Horn et al. 2009, §III,
    Fig. 4: the valley at a frozen root stays put as T grows).

    Parameters
    ----------
    problem : Problem
        A first-order RecurrentNeuron (input_delays=(0,), no bias) on sequence data.
    w1 : float
        The fixed input weight.
    w2_range : (float, float)
        Segment of w2, low < high.
    lengths : sequence of int
        Sequence lengths T (each at most the data's T): the first T steps of every sequence.
    n : int
        Points along each profile (>= 2).

    Returns
    -------
    list of Profile
        One :func:`fastsurf.scan.line` profile per T, from (w1, w2_range[0]) to
        (w1, w2_range[1]), with ``meta["T"]`` the length (and the problem's loss).
    """
    desc, data = _check_neuron(problem)
    if desc["feedback_delays"] != 1:
        raise ValueError("cross_sections scans w2 of a first-order neuron, got "
                         f"feedback_delays={desc['feedback_delays']}")
    w1 = check_real("w1", w1)
    lo, hi = (check_real("w2_range", v) for v in w2_range)
    if not hi > lo:
        raise ValueError(f"w2_range must satisfy low < high, got {tuple(w2_range)}")
    n = check_int("n", n, minimum=2)
    lengths = [check_int("lengths", T, minimum=1) for T in lengths]
    for T in lengths:
        if T > data.T:
            raise ValueError(f"lengths must not exceed the data's T={data.T}, got {T}")
    profiles = []
    for T in lengths:
        sub = Problem(problem.model, SequenceData(data.p[:, :T], data.t[:, :T], data.a0),
                      loss=desc["loss"])
        prof = line(sub, [w1, lo], [w1, hi], n)
        prof.meta["T"] = T
        profiles.append(prof)
    return profiles

"""Spurious valleys of recurrent-neuron error surfaces: predicted from theory, detected in a
scanned :class:`~fastsurf.scan.Surface`, and compared (Horn et al. 2009, §III and §V).

Theory (DESIGN §6), in the scan's axes (x, y) = (w1, w2) for first-order neurons and
(w2, w3) for second-order ones:

* ``"input-zero"`` — with zero initial conditions w1 = 0 gives a ≡ 0: a valley wherever the net
  is unstable (elsewhere the surface is smooth across w1 = 0).
* ``"root"`` — linear neuron: a(T) = w1 g_T(w2) (Horn eq. 2), so every real root r of g_T with
  |r| > 1 is a line w2 = r (reported when the outputs grow enough to make a valley:
  |r|^T >= ``min_growth``). ``"near-root"``: a complex pair r ± iε close to the real axis
  (|ε| <= ``near_real`` |r|) makes |g_T| dip sharply at w2 = Re r, which is a valley too.
  With several sequences each has its own roots; a root valley survives in the summed SSE
  only where every other sequence has a root within ``survive_tol`` (else the other
  sequences' exploding outputs fill it).
* ``"output-zero"`` — tansig and second-order neurons: the exact counterpart of Horn's eq. 18 —
  the curve on which the final output a(T) crosses zero in the unstable region, traced column by
  column (bisection on the simulated output). For small |w1| it starts at the linear root and
  bends once the outputs saturate. For the second-order linear neuron a(T) is a polynomial in
  (w2, w3) and this curve is exactly its zero set. What we found: where the feedback is
  unstable with real characteristic roots (outside the stability triangle, w3 > -w2^2/4) the
  zero set is a few smooth curves; where the roots are complex (w3 < -w2^2/4 and |w3| > 1) a(T)
  oscillates in sign on a scale finer than any practical grid, the zero set fills the region
  and the SSE there is a fine washboard of valleys (fastsurf reports it as broad blobs).
* ``"saturation"`` — tansig: with a(k-1) = ±1 the output crosses the target t(k) on the line
  w1 = (atanh t(k) ∓ w2) / p(k) (our reading of the garbled eq. 19); kept only where the simulated
  a(k-1) is within ``saturation_tol`` of ±1.
* cascades (the paper is cut off): :func:`characterize` compares the output sign patterns on
  the two sides of a detected valley; a valley where the signs of all outputs from some k0 on
  flip together is labelled a cascade.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array, as_theta, check_int, check_real
from .roots import polynomial_roots, response_coefficients


@dataclass
class Valley:
    """One valley curve in scan coordinates.

    Attributes
    ----------
    kind : str
        "input-zero", "root", "output-zero", "saturation", or "detected".
    x, y : ndarray
        Points along the valley.
    root : float or None
        The polynomial root of a "root" valley.
    sequence : int or None
        Sequence whose response defines the valley (None: the summed SSE).
    survives : bool or None
        Whether a per-sequence valley survives in the summed SSE (linear neuron).
    meta : dict
        Extra information (e.g. the step k of a saturation line, the cascade index).
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


# --- prediction ----------------------------------------------------------------------------------
def _check_neuron(problem):
    from .models.recurrent import RecurrentNeuron
    from .problem import Problem
    if not isinstance(problem, Problem) or not isinstance(problem.model, RecurrentNeuron):
        raise TypeError("valley theory applies to a fastsurf.Problem of a RecurrentNeuron, "
                        f"got {type(problem).__name__}")
    m = problem.model
    if m.input_delays != (0,) or m.bias or m.feedback_delays > 2:
        raise ValueError("valley theory is implemented for Horn's neurons: input_delays=(0,), "
                         "bias=False, feedback_delays 1 or 2; got " + repr(m))
    return m, problem.data


def final_outputs(problem, thetas: np.ndarray, seq: int) -> np.ndarray:
    """a(T) of sequence ``seq`` at each row of ``thetas`` (vectorized over the rows)."""
    m, d = problem.model, problem.data
    p, a0 = d.p[seq], d.initial_outputs(m.feedback_delays)[seq]
    D = m.feedback_delays
    hist = [np.full(thetas.shape[0], a0[j]) for j in range(D)]   # hist[j] = a(k-1-j)
    f = {"purelin": lambda v: v, "tansig": np.tanh,
         "logsig": lambda v: 0.5 * (1 + np.tanh(0.5 * v))}[m.transfer]
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(p.shape[0]):
            n = thetas[:, 0] * p[k]
            for j in range(D):
                n = n + thetas[:, 1 + j] * hist[j]
            hist = [f(n)] + hist[:-1]
    return hist[0]


def _unstable(model, thetas: np.ndarray) -> np.ndarray:
    """Whether the linearised feedback is unstable (spectral radius > 1)."""
    if model.feedback_delays == 1:
        return np.abs(thetas[:, 1]) > 1.0
    w2, w3 = thetas[:, 1], thetas[:, 2]
    disc = w2 * w2 + 4 * w3
    sq = np.sqrt(np.abs(disc))
    rho = np.where(disc >= 0, np.maximum(np.abs(w2 + sq), np.abs(w2 - sq)) / 2,
                   np.sqrt(np.abs(w3)))
    return rho > 1.0


def _bisect_zero(problem, base, axis, lo, hi, flo, seq, iterations=60):
    """Vectorized bisection of a(T) = 0 along parameter ``axis`` for every bracket at once."""
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        base[:, axis] = mid
        fm = final_outputs(problem, base, seq)
        left = np.sign(fm) == np.sign(flo)
        lo = np.where(left, mid, lo)
        flo = np.where(left, fm, flo)
        hi = np.where(left, hi, mid)
    return 0.5 * (lo + hi)


def _zero_curves(problem, center, axes, xs, ys, seq, min_points):
    """Curves where a(T) of sequence ``seq`` changes sign in the unstable region.

    Sign changes between neighbouring cells of an (ys, xs) grid, along either axis, are bisected
    to the exact zero along that axis; cells holding a crossing are linked into curves by
    8-connectivity.
    """
    from scipy import ndimage
    model = problem.model
    X, Y = np.meshgrid(xs, ys)
    thetas = np.repeat(center[None, :], X.size, axis=0)
    thetas[:, axes[0]] = X.ravel()
    thetas[:, axes[1]] = Y.ravel()
    vals = final_outputs(problem, thetas, seq).reshape(Y.shape)
    ok = _unstable(model, thetas).reshape(Y.shape) & np.isfinite(vals)
    sign = np.sign(vals)
    cells = np.zeros(Y.shape, dtype=bool)
    px, py, pc = [], [], []
    for along in (0, 1):                      # 0: crossings along y, 1: along x
        a = (slice(None, -1), slice(None)) if along == 0 else (slice(None), slice(None, -1))
        b = (slice(1, None), slice(None)) if along == 0 else (slice(None), slice(1, None))
        change = (sign[a] * sign[b] < 0) & ok[a] & ok[b]
        ii, jj = np.nonzero(change)
        if ii.size == 0:
            continue
        base = np.repeat(center[None, :], ii.size, axis=0)
        if along == 0:
            base[:, axes[0]] = xs[jj]
            z = _bisect_zero(problem, base, axes[1], ys[ii], ys[ii + 1], vals[ii, jj], seq)
            px.append(xs[jj])
            py.append(z)
        else:
            base[:, axes[1]] = ys[ii]
            z = _bisect_zero(problem, base, axes[0], xs[jj], xs[jj + 1], vals[ii, jj], seq)
            px.append(z)
            py.append(ys[ii])
        cells[ii, jj] = True
        pc.append(np.column_stack([ii, jj]))
    if not px:
        return []
    px, py, pc = np.concatenate(px), np.concatenate(py), np.concatenate(pc)
    labels, n = ndimage.label(cells, structure=np.ones((3, 3)))
    lab = labels[pc[:, 0], pc[:, 1]]
    curves = []
    for k in range(1, n + 1):
        sel = lab == k
        if np.count_nonzero(sel) >= min_points:
            x, y = px[sel], py[sel]
            # order along the curve's main direction
            main = x if np.ptp(x) / np.ptp(xs) >= np.ptp(y) / np.ptp(ys) else y
            order = np.argsort(main, kind="stable")
            curves.append(np.column_stack([x[order], y[order]]))
    return curves


def predict(problem, ranges=None, axes=None, center=None, resolution: int = 400,
            survive_tol: float = 1e-3, saturation_tol: float = 0.02,
            min_points: int = 5, min_growth: float = 10.0,
            near_real: float = 0.05) -> list[Valley]:
    """Valleys that theory predicts for a recurrent neuron, in scan coordinates.

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
    """
    model, data = _check_neuron(problem)
    P = model.n_params
    D = model.feedback_delays
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
    survive_tol = check_real("survive_tol", survive_tol, minimum=0.0)
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    valleys: list[Valley] = []
    a0 = data.initial_outputs(D)
    first_order_w1w2 = D == 1 and axes == (0, 1)

    if first_order_w1w2 and np.all(a0 == 0) and x0 <= 0.0 <= x1:
        for lo, hi in ((y0, -1.0), (1.0, y1)):
            if hi > lo:
                yy = np.linspace(lo, hi, resolution)
                valleys.append(Valley("input-zero", np.zeros_like(yy), yy,
                                      meta={"reason": "a(0) = 0 and w1 = 0 give a = 0"}))

    if first_order_w1w2 and model.transfer == "purelin" and np.all(a0 == 0):
        T = data.T
        per_seq, near = [], []
        for s in range(data.n_seq):
            r = polynomial_roots(response_coefficients(data.p[s]))
            grows = np.abs(r) ** T >= min_growth
            real = r.imag == 0
            per_seq.append(r[real & grows].real)
            near.append(r[~real & grows & (r.imag > 0) & (np.abs(r.imag) <= near_real * np.abs(r))])
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

    for s in range(data.n_seq):
        for c in _zero_curves(problem, center, axes, xs, ys, s, min_points):
            valleys.append(Valley("output-zero", c[:, 0], c[:, 1], sequence=s,
                                  survives=True if data.n_seq == 1 else None))

    if first_order_w1w2 and model.transfer == "tansig":
        valleys.extend(_saturation_lines(problem, center, xs, ys, saturation_tol, min_points))
    return valleys


def _saturation_lines(problem, center, xs, ys, tol, min_points):
    """Horn eq. 19: w1 = (atanh t(k) - s w2) / p(k) where a(k-1) = s = ±1."""
    data = problem.data
    out = []
    for seq in range(data.n_seq):
        p, t = data.p[seq], data.t[seq]
        for k in range(1, p.shape[0]):      # a(k-1) with k-1 >= 1 (0-based k here)
            if p[k] == 0.0 or abs(t[k]) >= 1.0:
                continue
            for s in (1.0, -1.0):
                w2 = ys[np.abs(ys) > 1.0]
                w1 = (math.atanh(t[k]) - s * w2) / p[k]
                inside = (w1 >= xs[0]) & (w1 <= xs[-1])
                if np.count_nonzero(inside) < min_points:
                    continue
                w1, w2 = w1[inside], w2[inside]
                thetas = np.column_stack([w1, w2])
                prev = _outputs_upto(problem, thetas, seq, k)  # a(k-1) in 1-based time
                ok = np.abs(prev - s) < tol
                if np.count_nonzero(ok) >= min_points:
                    out.append(Valley("saturation", w1[ok], w2[ok], sequence=seq,
                                      meta={"k": k + 1, "sign": s}))
    return out


def _outputs_upto(problem, thetas, seq, steps):
    """a(steps) (1-based) of a first-order tansig neuron for each row of thetas."""
    d = problem.data
    a = np.full(thetas.shape[0], d.initial_outputs(1)[seq, 0])
    for k in range(steps):
        a = np.tanh(thetas[:, 0] * d.p[seq, k] + thetas[:, 1] * a)
    return a


# --- detection -----------------------------------------------------------------------------------
def _transverse_minima(L: np.ndarray, window: int, prominence: float) -> np.ndarray:
    """Valley cells of the cross-sections along axis 0 of log10 loss L (+inf where overflowed).

    A cell qualifies when either (a) it is a strict minimum of its cross-section and rises by
    ``prominence`` within ``window`` cells on both sides, or (b) it is a strict minimum after
    removing the local linear trend: its second difference L[i-1] - 2 L[i] + L[i+1] is a local
    maximum of at least 2 * prominence, with finite neighbours. (b) finds valleys narrower than a
    cell on a steep background, where the grid never samples the valley floor and the
    cross-section is monotonic with a notch (linear neuron near |w2| = 1).
    """
    n = L.shape[0]
    strict = np.zeros(L.shape, dtype=bool)
    strict[1:-1] = (L[1:-1] < L[:-2]) & (L[1:-1] < L[2:])
    if prominence > 0:
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
        strict &= np.minimum(rise_lo, rise_hi) >= prominence
    d2 = np.full(L.shape, -np.inf)
    with np.errstate(invalid="ignore"):
        inner = L[:-2] - 2 * L[1:-1] + L[2:]
        finite = np.isfinite(L[:-2]) & np.isfinite(L[1:-1]) & np.isfinite(L[2:])
    d2[1:-1] = np.where(finite, inner, -np.inf)
    notch = np.zeros(L.shape, dtype=bool)
    notch[1:-1] = ((d2[1:-1] >= 2 * prominence) & (d2[1:-1] > d2[:-2])
                   & (d2[1:-1] >= d2[2:]))
    return strict | notch


def detect(surface, window: int = 3, prominence: float = 0.3,
           min_cells: int = 5) -> list[Valley]:
    """Valley curves in a scanned surface.

    A valley point is a cell whose log10 loss is a strict local minimum of the cross-section
    transverse to the valley and rises by at least ``prominence`` decades within ``window``
    cells on both sides (this keeps the narrow valleys and drops the smooth floor of a wide
    basin), or a strict minimum of the cross-section after removing its local linear trend
    (second difference >= 2 * prominence decades, a local maximum): a valley narrower than a cell
    on a steep background shows only as such a notch. Columns are searched for minima along y
    (valleys running along x) and rows for
    minima along x (valleys running along y); the cells of each kind are linked into curves by
    8-connectivity, and curves shorter than ``min_cells`` are dropped.

    Resolution: a valley is found whatever its width, even far narrower than one cell, provided
    it lowers the nearest cell by more than the background's curvature (``prominence``); it is
    then placed on the nearest cell or its neighbour (within one cell; :func:`refine` sharpens
    it). Two valleys less than two cells apart merge into one. +inf cells count as higher than
    any finite cell and never make a notch.

    Returns
    -------
    list of Valley (kind "detected", meta["direction"] = "along-x" or "along-y")
    """
    from scipy import ndimage
    window = check_int("window", window, minimum=1)
    prominence = check_real("prominence", prominence, minimum=0.0)
    min_cells = check_int("min_cells", min_cells, minimum=1)
    values = np.asarray(surface.values, dtype=float)
    if values.ndim != 2 or values.shape[0] < 3 or values.shape[1] < 3:
        raise ValueError(f"surface.values must be 2-D with at least 3x3 cells, got {values.shape}")
    with np.errstate(divide="ignore"):
        L = np.where(np.isfinite(values), np.log10(np.maximum(values, 1e-300)), np.inf)
    out = []
    for direction, mask in (("along-x", _transverse_minima(L, window, prominence)),
                            ("along-y", _transverse_minima(L.T, window, prominence).T)):
        labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
        for lab in range(1, n + 1):
            ii, jj = np.nonzero(labels == lab)
            if ii.size < min_cells:
                continue
            order = np.argsort(jj if direction == "along-x" else ii, kind="stable")
            out.append(Valley("detected", surface.x[jj[order]], surface.y[ii[order]],
                              meta={"direction": direction, "cells": int(ii.size)}))
    return out


def refine(valley: Valley, problem, surface, samples: int = 201, zooms: int = 6) -> Valley:
    """Sharpen a detected valley below the grid spacing.

    Each point moves along its transverse grid line, within ±1 cell, to the valley: ``samples``
    equally spaced evaluations, then ``zooms`` times again on ±2 spacings around the best one
    (resolution cell * (2 / samples)^zooms). "Best" is the peak of the second difference of log
    loss (the detection criterion) rather than the lowest sample: a valley can be many orders of
    magnitude narrower than the samples on a steep background, where the lowest sample sits on
    the background's low side but the notch still shows as a curvature peak.
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


# --- comparison ----------------------------------------------------------------------------------
@dataclass
class Comparison:
    """Predicted against detected valleys.

    Attributes
    ----------
    matched : list of (Valley, Valley, float, float)
        (predicted, detected, median distance in cells, coverage): coverage is the share of the
        predicted points within ``tol`` cells of the detected curve.
    missed : list of Valley
        Predicted valleys with no detected counterpart.
    unexpected : list of Valley
        Detected valleys that match no prediction.
    """

    matched: list
    missed: list
    unexpected: list

    def summary(self) -> str:
        """Counts by kind, and the matched root valleys with their distances."""
        lines = [f"matched {len(self.matched)}, predicted-not-found {len(self.missed)}, "
                 f"found-not-predicted {len(self.unexpected)}"]
        matched = Counter(p.kind for p, *_ in self.matched)
        missed = Counter(p.kind for p in self.missed)
        for kind in sorted(set(matched) | set(missed)):
            dists = [d for p, _, d, _ in self.matched if p.kind == kind]
            extra = f", median distance {np.median(dists):.2f} cells" if dists else ""
            lines.append(f"  {kind:12s} matched {matched[kind]}, not found {missed[kind]}{extra}")
        for p, _, dist, cov in self.matched:
            if p.root is not None:
                lines.append(f"  {p.kind} w2 = {p.root:+.6f}: distance {dist:.3f} cells, "
                             f"coverage {cov:.0%}")
        for p in self.missed:
            if p.root is not None:
                lines.append(f"  not found: {p.kind} w2 = {p.root:+.6f}")
        return "\n".join(lines)


def compare(predicted, detected, surface, tol: float = 1.0,
            min_coverage: float = 0.5) -> Comparison:
    """Match predicted valleys to detected ones, distances measured in grid cells.

    A predicted valley (restricted to the scan window) matches the detected curve that covers
    most of its points within ``tol`` cells, if that coverage is at least ``min_coverage``.
    """
    tol = check_real("tol", tol, minimum=0.0)
    dx = surface.x[1] - surface.x[0]
    dy = surface.y[1] - surface.y[0]
    xmin, xmax, ymin, ymax = surface.x[0], surface.x[-1], surface.y[0], surface.y[-1]
    matched, missed, used = [], [], set()
    for p in predicted:
        inside = (p.x >= xmin) & (p.x <= xmax) & (p.y >= ymin) & (p.y <= ymax)
        if not inside.any():
            continue
        px, py = p.x[inside] / dx, p.y[inside] / dy
        best = None
        for n, d in enumerate(detected):
            dist = np.min(np.hypot(px[:, None] - d.x[None, :] / dx,
                                   py[:, None] - d.y[None, :] / dy), axis=1)
            cov = float(np.mean(dist <= tol))
            if best is None or cov > best[2]:
                best = (n, float(np.median(dist)), cov)
        if best is not None and best[2] >= min_coverage:
            matched.append((p, detected[best[0]], best[1], best[2]))
            used.add(best[0])
        else:
            missed.append(p)
    unexpected = [d for n, d in enumerate(detected) if n not in used]
    return Comparison(matched=matched, missed=missed, unexpected=unexpected)


# --- cascades ------------------------------------------------------------------------------------
def characterize(problem, valley: Valley, surface, offset: float = 2.0) -> dict:
    """Describe a (detected) valley of a tansig neuron by the outputs on its two sides.

    At the middle point of the valley the outputs a(1..T) are simulated one ``offset`` cells to
    each side, transverse to the valley. Returns the first step k0 whose output sign differs,
    the share of later steps whose signs differ too, and ``"cascade"`` when every output from
    k0 on flips (a sign flip at k0 - 1 propagating through the saturated outputs), else
    ``"isolated"`` (only some outputs change sign) or ``"none"``.
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
    outs = [problem.model.simulate(th, problem.data) for th in sides]
    flips = np.sign(outs[0]) != np.sign(outs[1])
    if not flips.any():
        return {"kind": "none", "k0": None, "flipped_share": 0.0}
    s, k0 = np.argwhere(flips)[0]
    later = flips[s, k0:]
    kind = "cascade" if later.all() and later.size > 1 else "isolated"
    return {"kind": kind, "k0": int(k0) + 1, "sequence": int(s),
            "flipped_share": float(later.mean())}

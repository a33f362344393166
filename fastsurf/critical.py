"""Critical points: classification by the exact Hessian, Newton search, and critical points of
2-D slices (minima, saddles and maxima of an error surface, as in Keim 2020, "Understanding
local minima in neural-network training").

Every classification is :attr:`fastsurf.spectra.Spectrum.kind` of a spectrum from
:mod:`fastsurf.spectra`, so one tolerance rule decides which eigenvalues count as zero
(:func:`fastsurf.spectra.zero_tolerance`: |lambda| <= rtol * max |lambda|, or an absolute
``tol``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from ._progress import progress_bar
from ._results import Result
from ._validation import as_float_array, as_theta, check_int, check_real
from .spectra import KINDS, RTOL, Spectrum, check_tolerances, hessian_spectrum, matrix_spectrum

__all__ = ["KINDS", "CriticalPoint", "classify", "find", "on_surface"]


@dataclass(repr=False)
class CriticalPoint(Result):
    """A (near-)critical point and its type.

    Attributes
    ----------
    theta : ndarray
    loss : float
    kind : {"minimum", "maximum", "saddle", "degenerate"}
        From the Hessian's eigenvalues (:attr:`fastsurf.spectra.Spectrum.kind`): all positive,
        all negative, both signs (zeros allowed), or some within the zero tolerance with the
        rest of one sign (the Hessian cannot decide).
    eigenvalues : ndarray
        Hessian eigenvalues, ascending.
    index : int
        Number of negative eigenvalues (1 for a first-order saddle).
    null_dim : int
        Number of eigenvalues within the tolerance of zero.
    gradient_norm : float
        |grad| at theta (near 0 at a true critical point).
    meta : dict
        Extra information (e.g. slice coordinates from :func:`on_surface`).
    """

    theta: np.ndarray
    loss: float
    kind: str
    eigenvalues: np.ndarray
    index: int
    null_dim: int
    gradient_norm: float
    meta: dict = field(default_factory=dict)


def _point(problem, theta: np.ndarray, spec: Spectrum, gradient_norm: float,
           meta: dict | None = None) -> CriticalPoint:
    return CriticalPoint(theta=theta, loss=float(problem.loss(theta)), kind=spec.kind,
                         eigenvalues=spec.eigenvalues, index=spec.n_negative,
                         null_dim=spec.n_near_zero, gradient_norm=float(gradient_norm),
                         meta=meta or {})


def classify(problem, theta, tol: float | None = None, rtol: float = RTOL) -> CriticalPoint:
    """Type of the point ``theta`` from the exact Hessian.

    Parameters
    ----------
    problem : Objective
        ``Problem`` or ``FunctionProblem`` (anything with ``loss``, ``gradient``, ``hessian``).
    theta : array_like, shape (P,)
    tol : float, optional
        Absolute tolerance: eigenvalues with |lambda| <= tol count as zero.
    rtol : float
        Without ``tol``: eigenvalues with |lambda| <= rtol * max |lambda| count as zero
        (default 1e-8; :func:`fastsurf.spectra.zero_tolerance`).

    Returns
    -------
    CriticalPoint
        From :func:`fastsurf.spectra.hessian_spectrum`.

    Notes
    -----
    ``classify`` does not require ``theta`` to be critical; check ``gradient_norm``.

    Examples
    --------
    >>> import numpy as np, fastsurf as fs
    >>> saddle = fs.FunctionProblem(lambda v: v[0] ** 2 - v[1] ** 2, n_params=2,
    ...                             hess=lambda v: np.diag([2.0, -2.0]))
    >>> cp = fs.critical.classify(saddle, [0.0, 0.0])
    >>> cp.kind, cp.index
    ('saddle', 1)
    """
    theta = as_theta("theta", theta, problem.n_params)
    tol, rtol = check_tolerances(tol, rtol)
    spec = hessian_spectrum(problem, theta, zero_tol=tol, rtol=rtol)
    return _point(problem, theta, spec, np.linalg.norm(problem.gradient(theta)))


def _solve_gradient(grad, hess, x, gtol, max_iter):
    """Solve grad(x) = 0 from x: Powell's hybrid method (MINPACK ``hybrd``/``hybrj`` via
    ``scipy.optimize.root``) with the exact Hessian as Jacobian, which converges to critical
    points of any index, then up to five pure Newton steps to polish.
    Returns (x, converged)."""
    with np.errstate(all="ignore"):
        sol = optimize.root(grad, x, jac=hess, method="hybr",
                            options={"maxfev": 100 * max_iter, "xtol": 1e-14})
    x = sol.x
    for _ in range(5):
        g = grad(x)
        if not np.all(np.isfinite(g)) or np.linalg.norm(g) <= gtol:
            break
        try:
            x = x - np.linalg.solve(hess(x), g)
        except np.linalg.LinAlgError:
            break
    g = grad(x)
    return x, bool(np.all(np.isfinite(g)) and np.linalg.norm(g) <= gtol)


def find(problem, starts, gtol: float = 1e-9, max_iter: int = 200, dedupe_tol: float = 1e-6,
         tol: float | None = None, rtol: float = RTOL, progress=None) -> list[CriticalPoint]:
    """Distinct critical points reached from each start.

    Solves grad f = 0 with Powell's hybrid (trust-region dogleg) method using the exact Hessian
    as Jacobian, then polishes with Newton steps, so it converges to minima, maxima and saddles
    alike. Converged points are
    deduplicated (distance <= ``dedupe_tol`` * max(1, |theta|)), classified with
    :func:`classify` and returned sorted by loss.

    Parameters
    ----------
    problem : Problem or FunctionProblem
    starts : array_like, shape (m, P)
    gtol : float
        Convergence when |grad| <= gtol.
    max_iter : int
    dedupe_tol : float
    tol, rtol : float, optional
        Zero-eigenvalue tolerances passed to :func:`classify`.
    progress : bool or None

    Returns
    -------
    list of CriticalPoint
    """
    starts = as_float_array("starts", starts, ndim=2)
    if starts.shape[1] != problem.n_params:
        raise ValueError(f"starts must have shape (m, {problem.n_params}), got {starts.shape}")
    gtol = check_real("gtol", gtol, minimum=0.0, strict_min=True)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    tol, rtol = check_tolerances(tol, rtol)
    found: list[np.ndarray] = []
    with progress_bar(progress, total=starts.shape[0], unit="start", desc="critical") as bar:
        for x0 in starts:
            x, ok = _solve_gradient(problem.gradient, problem.hessian, x0.copy(), gtol, max_iter)
            bar.update(1)
            if not ok:
                continue
            if all(np.linalg.norm(x - y) > dedupe_tol * max(1.0, np.linalg.norm(y))
                   for y in found):
                found.append(x)
    points = [classify(problem, x, tol=tol, rtol=rtol) for x in found]
    return sorted(points, key=lambda c: c.loss)


def on_surface(surface, problem, gtol: float = 1e-9, max_iter: int = 100,
               tol: float | None = None, rtol: float = RTOL) -> list[CriticalPoint]:
    """Critical points of the 2-D slice shown by a Surface.

    Candidates are interior cells that are minima or maxima of their 8 neighbours or saddles
    (the differences to the neighbours change sign at least four times around the ring). Each
    is refined by solving the slice's gradient equations as in :func:`find` (gradient
    d_k . grad f, Hessian D^T H D with D = [d1, d2]). These are critical points of the slice,
    not necessarily of the full problem: ``meta["full_gradient_norm"]`` and
    ``meta["critical_in_full_space"]`` say which are both. ``kind``, ``eigenvalues`` and
    ``index`` describe the slice (its 2x2 Hessian, classified by the same rule as
    :func:`classify`).

    Parameters
    ----------
    surface : Surface
        A grid or plane scan of ``problem`` (at least 3x3 cells).
    problem : Objective
        The scanned objective (``gradient`` and ``hessian`` are used).
    gtol : float
        Convergence when the slice gradient's norm is <= gtol.
    max_iter : int
    tol, rtol : float, optional
        Zero-eigenvalue tolerances, as in :func:`classify`.

    Returns
    -------
    list of CriticalPoint
        Sorted by loss; ``meta`` holds the slice coordinates ``x``, ``y``.
    """
    tol, rtol = check_tolerances(tol, rtol)
    V = np.asarray(surface.values, dtype=float)
    if V.ndim != 2 or min(V.shape) < 3:
        raise ValueError(f"surface.values must be 2-D with at least 3x3 cells, got {V.shape}")
    P = problem.n_params
    if surface.kind == "grid":
        D = np.zeros((P, 2))
        D[surface.axes[0], 0] = 1.0
        D[surface.axes[1], 1] = 1.0
    else:
        D = np.column_stack([surface.d1, surface.d2])
    ring = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    c = V[1:-1, 1:-1]
    diffs = np.stack([V[1 + di:V.shape[0] - 1 + di, 1 + dj:V.shape[1] - 1 + dj] - c
                      for di, dj in ring])
    finite = np.all(np.isfinite(diffs), axis=0) & np.isfinite(c)
    sgn = np.sign(diffs)
    changes = np.sum(sgn != np.roll(sgn, 1, axis=0), axis=0)
    cand = finite & (np.all(diffs > 0, axis=0) | np.all(diffs < 0, axis=0) | (changes >= 4))
    ii, jj = np.nonzero(cand)
    pts, out = [], []
    for i, j in zip(ii + 1, jj + 1):
        u0 = np.array([surface.x[j], surface.y[i]])

        def grad2(u):
            return D.T @ problem.gradient(surface.theta_at(u[0], u[1]))

        def hess2(u):
            return D.T @ problem.hessian(surface.theta_at(u[0], u[1])) @ D

        u, ok = _solve_gradient(grad2, hess2, u0, gtol, max_iter)
        if not ok or np.max(np.abs(u - u0) / np.array([abs(surface.x[1] - surface.x[0]),
                                                       abs(surface.y[1] - surface.y[0])])) > 2:
            continue
        if any(np.linalg.norm(u - q) <= 1e-7 * max(1.0, np.linalg.norm(q)) for q in pts):
            continue
        pts.append(u)
        theta = surface.theta_at(u[0], u[1])
        spec = matrix_spectrum(hess2(u), zero_tol=tol, rtol=rtol)
        full = float(np.linalg.norm(problem.gradient(theta)))
        out.append(_point(problem, theta, spec, np.linalg.norm(grad2(u)),
                          meta={"x": float(u[0]), "y": float(u[1]), "full_gradient_norm": full,
                                "critical_in_full_space": full <= max(gtol, 1e-7)}))
    return sorted(out, key=lambda cp: cp.loss)

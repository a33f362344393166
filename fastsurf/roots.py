"""Response polynomials of the linear recurrent neuron and random-polynomial root statistics.

Horn, De Jesús & Hagan (2009), §III–IV. With a(0) = a0 the linear neuron's output is a polynomial
in the feedback weight w2,

    a(k) = w1 [p(k) + w2 p(k-1) + ... + w2^(k-1) p(1)] + w2^k a0        (Horn eq. 2),

and a real root r with |r| > 1 of that polynomial is a spurious valley w2 = r of the error surface.
Coefficients are always in ascending powers: p(w) = sum_i c[i] w^i.

Sizes are refused before any work: one polynomial of degree above :data:`MAX_DEGREE`, more than
:data:`MAX_WORK` of eigenvalue work in one call, or arrays that would not fit in memory.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import quad
from scipy.optimize import linear_sum_assignment

from . import _poly as kp
from ._memory import check_memory
from ._progress import check_progress, progress_bar
from ._results import Result
from ._validation import _holds_bool, as_float_array, as_rng, check_int, check_real
from .plot.roots import expected_roots as _plot_expected_roots


# --- response polynomials ------------------------------------------------------------------------
def response_coefficients(p, w1: float = 1.0, a0: float = 0.0,
                          all_orders: bool = False) -> np.ndarray:
    """Coefficients of a(T) of the linear neuron as a polynomial in w2 (Horn eq. 2).

    Parameters
    ----------
    p : array_like of float, shape (T,)
        Input sequence p(1..T) (``p[k-1]`` is p(k)); finite real numbers (not booleans).
    w1 : float
        Input weight (scales every coefficient but the last).
    a0 : float
        Initial output a(0) (the coefficient of w2^T).
    all_orders : bool
        Return the coefficients of every a(k), k = 1..T, as a (T, T+1) array whose row k-1 holds
        a(k)'s coefficients zero-padded to length T+1. Refused (ValueError) when that array would
        not fit in the available memory.

    Returns
    -------
    ndarray, shape (T+1,) or (T, T+1)
        ``c[i] = w1 p(T-i)`` for i < T and ``c[T] = a0``.

    Examples
    --------
    >>> from fastsurf.roots import response_coefficients
    >>> response_coefficients([1.0, 2.0, 3.0], w1=0.5, a0=4.0).tolist()
    [1.5, 1.0, 0.5, 4.0]
    """
    p = as_float_array("p", p, ndim=1)
    w1 = check_real("w1", w1)
    a0 = check_real("a0", a0)
    if not isinstance(all_orders, (bool, np.bool_)):
        raise TypeError(f"all_orders must be True or False, got {type(all_orders).__name__}")
    T = p.shape[0]
    if not all_orders:
        c = np.empty(T + 1)
        c[:T] = w1 * p[::-1]
        c[T] = a0
        return c
    _check_memory("p", 8.0 * T * (T + 1), f"all_orders=True with T={T} (a {T} x {T + 1} array)")
    out = np.zeros((T, T + 1))
    for k in range(1, T + 1):
        out[k - 1, :k] = w1 * p[k - 1::-1]
        out[k - 1, k] = a0
    return out


# --- roots of one polynomial ---------------------------------------------------------------------
#: Largest degree :func:`polynomial_roots` accepts. Companion-matrix eigenvalues cost O(k^3) time
#: and 8 k^2 bytes per copy of the matrix: degree 5000 takes about a minute on the development
#: machine (2 cores) and ~0.6 GB; degree 10^4 would take ~10 minutes.
MAX_DEGREE = 5000

#: Most eigenvalue work one call may do, in units of k^3 summed over its polynomials
#: (:func:`track_roots`, :func:`frozen_roots`): the cost of one polynomial of degree MAX_DEGREE.
MAX_WORK = MAX_DEGREE ** 3

def _check_coeffs(coeffs) -> np.ndarray:
    c = as_float_array("coeffs", coeffs, ndim=1)
    nz = np.flatnonzero(c)
    if nz.size == 0:
        raise ValueError("coeffs must have at least one non-zero coefficient")
    return c[:nz[-1] + 1]


def _check_memory(name: str, nbytes: float, what: str) -> None:
    check_memory(int(nbytes), f"{name}: {what}")


def _check_degree(name: str, degree: int, what: str = "polynomial_roots") -> None:
    if degree > MAX_DEGREE:
        raise ValueError(
            f"{name} gives a polynomial of degree {degree}, above the limit MAX_DEGREE="
            f"{MAX_DEGREE} of {what}: companion-matrix eigenvalues cost O(k^3) time and "
            f"8 k^2 bytes (degree {degree}: ~{8 * 3 * degree ** 2 / 2**30:.1f} GiB and about "
            f"{(degree / MAX_DEGREE) ** 3:.0f} min)")
    _check_memory(name, 8 * 3 * float(degree) ** 2, f"degree {degree} in {what}")


def _check_work(name: str, degrees, what: str) -> None:
    """Refuse eigenvalue work sum k^3 over ``degrees`` above MAX_WORK."""
    degrees = np.asarray(degrees, dtype=float)
    if degrees.size and degrees.max() > MAX_DEGREE:
        _check_degree(name, int(degrees.max()), what)
    work = float(np.sum(degrees ** 3))
    if work > MAX_WORK:
        raise ValueError(
            f"{name} asks {what} for {degrees.size} polynomials of degree up to "
            f"{int(degrees.max())}: sum of degree^3 = {work:.3g}, above the limit MAX_WORK = "
            f"MAX_DEGREE^3 = {MAX_WORK:.3g} (about {work / MAX_WORK:.0f} min of eigenvalue work); "
            "ask for fewer or lower orders")


def _log2_abs(c: np.ndarray) -> np.ndarray:
    """log2 |c_i| without overflow or underflow (frexp), -inf at zeros."""
    m, e = np.frexp(c)
    with np.errstate(divide="ignore"):
        return e + np.log2(np.abs(m))


def _spread(L: np.ndarray, i: np.ndarray, s: int) -> float:
    v = L + s * i
    return float(v.max() - v.min())


def _scaling(c: np.ndarray) -> tuple[int, np.ndarray]:
    """Exponent ``s`` and coefficients d_i = c_i 2^(s i - t) with max |d_i| in [1/2, 1).

    With w = 2^s u, p(w) = 2^t sum_i d_i u^i: the roots in u are those in w over 2^s, and every
    operation is exact (powers of 2) unless it under- or overflows. ``s`` minimises the spread
    max_i log2|d_i| - min_i log2|d_i| over the non-zero coefficients, a convex function of ``s``
    (integer ternary search): the companion entries d_i / d_k then neither over- nor underflow
    unless the roots' magnitudes really span more than the float64 range, and the balanced
    eigenvalue problem is better conditioned (Wilkinson's polynomial scaled by 2^-50 loses all
    accuracy without it). For polynomials with roots around the unit circle ``s`` is 0.
    """
    nz = np.flatnonzero(c)
    L = _log2_abs(c[nz])
    lo, hi = -2200, 2200          # |roots| lie within 2^-1075 .. 2^1024
    while hi - lo > 2:
        m1 = lo + (hi - lo) // 3
        m2 = hi - (hi - lo) // 3
        if _spread(L, nz, m1) <= _spread(L, nz, m2):
            hi = m2
        else:
            lo = m1
    s = min(range(lo, hi + 1), key=lambda t: (_spread(L, nz, t), abs(t)))
    idx = np.arange(c.shape[0], dtype=np.int64)
    t = int(np.max(np.floor(L + s * nz))) + 1
    shift = np.clip(s * idx - t, -(2 ** 31) + 1, 2 ** 31 - 1).astype(np.int32)
    with np.errstate(over="ignore", under="ignore"):
        d = np.ldexp(c, shift)
    return s, d


def _companion_eigenvalues(d: np.ndarray) -> np.ndarray:
    """Eigenvalues of the companion matrix of sum_i d_i u^i (d_0, d_k != 0).

    The coefficients sit in the first row (-d_{k-1}/d_k, ..., -d_0/d_k) with ones on the
    subdiagonal, the upper Hessenberg form of ``numpy.roots``; LAPACK ``dgeev`` balances it
    (Parlett & Reinsch) before the QR iteration. On Wilkinson's unscaled polynomial this
    orientation gives 20 real roots where the last-column form gives a spurious complex pair
    14.52 +- 0.21i (with the scaling of :func:`_scaling`, s = 3, both give 20).
    """
    k = d.shape[0] - 1
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        row = -d[k - 1::-1] / d[k]
    if not np.all(np.isfinite(row)):
        raise ValueError(
            "coeffs: the roots' magnitudes span more than float64 can hold in one companion "
            "matrix, even after rescaling the variable (the coefficient spread stays above "
            "2^1023); split the polynomial into factors with roots of similar size")
    if k == 1:
        return np.array([row[0] + 0j])
    companion = np.zeros((k, k))
    companion[0] = row
    companion[np.arange(1, k), np.arange(k - 1)] = 1.0
    return np.linalg.eigvals(companion).astype(complex)


def _polish(d: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton-polished roots (double-double residuals, implicit deflation, separation guard)."""
    out = np.empty_like(z)
    accepted = np.empty(z.shape[0], dtype=np.bool_)
    kp.polish_roots(d, np.ascontiguousarray(d[::-1]), z, out, accepted)
    return out, accepted


def polynomial_roots(coeffs) -> np.ndarray:
    """All complex roots of sum_i c[i] w^i (ascending coefficients).

    Trailing zero coefficients (highest powers) are dropped; leading zeros give exact roots at 0.
    The variable of the remaining polynomial is rescaled, w = 2^s u (exact), with s minimising
    the spread of the coefficients, so that roots such as ``[1, 0, 1e-320]``'s +-1e160 i are
    found and badly scaled polynomials lose no accuracy. The roots are the eigenvalues of the
    balanced companion matrix in ``numpy.roots``' orientation (LAPACK
    ``dgeev``), each polished by Newton's method with implicit deflation (Maehly) and residuals
    evaluated in double-double (compensated Horner; Graillat 2008). A polished value is kept only
    if it did not increase the residual and moved by less than half the distance to the nearest
    other eigenvalue, so distinct roots never merge. Real eigenvalues (imaginary part exactly 0)
    stay real; complex ones come in exact conjugate pairs.

    Parameters
    ----------
    coeffs : array_like of float, shape (k+1,)
        Finite real coefficients, ``coeffs[i]`` multiplying w^i, not all zero. The degree after
        dropping trailing zeros must be at most :data:`MAX_DEGREE` (5000).

    Returns
    -------
    ndarray of complex, shape (degree,)
        The roots, in no particular order. A root whose magnitude exceeds the float64 range
        (e.g. -1e600 for ``[1e300, 1e-300]``) comes back as -inf / inf in the overflowing
        component.

    Raises
    ------
    ValueError
        Non-finite, empty or all-zero coefficients, degree above :data:`MAX_DEGREE`, or roots
        whose magnitudes span more than the float64 range.
    TypeError
        Complex, boolean, string or object coefficients.

    Notes
    -----
    Accuracy, tested against ``mpmath.polyroots`` at 40 digits for Wilkinson's polynomial and for
    random Gaussian polynomials of degree 10-200: every root r with relative condition number
    kappa (Gautschi; :func:`condition_number`) satisfies
    |r_computed - r| <= (2u + 16 k u^2 kappa) |r| with u = 2^-53 (Graillat's bound for Newton
    with compensated residuals; measured: below 1u). For Wilkinson's degree-20 polynomial
    (kappa up to 5.4e13) every root is within one unit roundoff, where ``numpy.roots`` is off by
    up to 0.06. Roots whose polishing is refused (multiple or tightly clustered roots) keep the
    eigenvalue accuracy, about k u kappa |r|: they are as ill-conditioned as the problem is.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsurf.roots import polynomial_roots
    >>> r = polynomial_roots([2.0, -3.0, 1.0])          # (w - 1)(w - 2)
    >>> np.sort(r.real).tolist()
    [1.0, 2.0]
    >>> polynomial_roots([1e300, 0.0, 1e-300])          # w = +-1e300 i (rescaled internally)
    array([-0.+1.e+300j,  0.-1.e+300j])
    """
    c = _check_coeffs(coeffs)
    zeros = int(np.flatnonzero(c)[0])
    c = c[zeros:]
    k = c.shape[0] - 1
    _check_degree("coeffs", k + zeros)
    if k == 0:
        return np.zeros(zeros, dtype=complex)
    s, d = _scaling(c)
    u, _ = _polish(d, _companion_eigenvalues(d))
    roots = np.empty(k, dtype=complex)   # set the components (1j * inf would give nan)
    with np.errstate(over="ignore", under="ignore"):
        roots.real = np.ldexp(u.real, s)
        roots.imag = np.ldexp(u.imag, s)
    return np.concatenate([np.zeros(zeros, dtype=complex), roots])


def real_roots(coeffs) -> np.ndarray:
    """Sorted real roots of sum_i c[i] w^i (the roots of :func:`polynomial_roots` with imaginary
    part exactly 0).

    Examples
    --------
    >>> from fastsurf.roots import real_roots
    >>> real_roots([-2.0, 0.0, 1.0, 0.0]).tolist() == [-2 ** 0.5, 2 ** 0.5]
    True
    """
    r = polynomial_roots(coeffs)
    return np.sort(r[r.imag == 0.0].real)


def _check_root(name: str, root) -> float | complex:
    """A finite real (float) or complex number; no bool, str, array or NaN/inf."""
    if isinstance(root, (str, bytes)):
        raise TypeError(f"{name} must be a real or complex number, got {type(root).__name__}")
    if isinstance(root, (bool, np.bool_)) or not isinstance(root, (numbers.Number, np.ndarray)):
        raise TypeError(f"{name} must be a real or complex number, got {type(root).__name__}")
    arr = np.asarray(root)
    if arr.ndim != 0 or arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be one real or complex number, got an array of shape "
                        f"{arr.shape} and dtype {arr.dtype}")
    value = complex(arr) if np.iscomplexobj(arr) else float(arr)
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def root_sensitivity(coeffs, root) -> np.ndarray:
    """Derivatives of a simple root with respect to every coefficient (Wilkinson; Horn eq. 11).

    d root / d c_j = -root^j / p'(root).

    Parameters
    ----------
    coeffs : array_like of float, shape (k+1,)
        Ascending coefficients (trailing zeros dropped).
    root : float or complex
        A finite simple root of the polynomial (e.g. from :func:`polynomial_roots`).

    Returns
    -------
    ndarray, shape (degree+1,)
        Real for a real ``root``, complex for a complex one.

    Raises
    ------
    ValueError
        ``root`` is NaN/inf, or a multiple root (p'(root) = 0: the sensitivity is infinite).
    TypeError
        ``root`` is not one number (str, bool, array).

    Examples
    --------
    >>> from fastsurf.roots import root_sensitivity
    >>> root_sensitivity([-2.0, 1.0], 2.0).tolist()      # root = -c_0 / c_1
    [-1.0, -2.0]
    """
    c = _check_coeffs(coeffs)
    r = _check_root("root", root)
    _, dp = kp.horner(c.astype(complex) if isinstance(r, complex) else c, r)
    if dp == 0:
        raise ValueError("root is a multiple root (p'(root) = 0): its sensitivity is infinite")
    return -(r ** np.arange(c.shape[0])) / dp


def condition_number(coeffs, root) -> float:
    """Relative condition number of a simple root (Gautschi).

    kappa = sum_j |c_j| |r|^j / (|r| |p'(r)|): a relative perturbation eps of every coefficient
    moves the root by up to about kappa eps |r|.

    Parameters
    ----------
    coeffs : array_like of float, shape (k+1,)
        Ascending coefficients.
    root : float or complex
        A finite, non-zero root.

    Returns
    -------
    float
        ``inf`` for a multiple root (p'(r) = 0).

    Raises
    ------
    ValueError
        ``root`` is 0 (no relative condition number) or NaN/inf.
    TypeError
        ``root`` is not one number (str, bool, array).

    Examples
    --------
    >>> from fastsurf.roots import condition_number
    >>> round(condition_number([2.0, -3.0, 1.0], 2.0), 12)     # (w - 1)(w - 2) at w = 2
    6.0
    """
    c = _check_coeffs(coeffs)
    r = complex(_check_root("root", root))
    if r == 0:
        raise ValueError("root must be non-zero for a relative condition number")
    _, dp = kp.horner(c.astype(complex), r)
    if dp == 0:
        return math.inf
    return float(np.sum(np.abs(c) * abs(r) ** np.arange(c.shape[0])) / (abs(r) * abs(dp)))


def derivative_variance(root: float, k: int) -> float:
    """Var[g'(w0)] = sum_{i=1..k} i^2 w0^(2(i-1)) for N(0, 1) coefficients (Horn eq. 16)."""
    root = check_real("root", root)
    k = check_int("k", k, minimum=1)
    i = np.arange(1, k + 1, dtype=float)
    return float(np.sum(i * i * root ** (2 * (i - 1))))


# --- roots along the sequence --------------------------------------------------------------------
@dataclass(repr=False)
class RootTracks(Result):
    """Roots of a(k) for several orders k, matched into trajectories (Horn Fig. 8).

    Attributes
    ----------
    orders : ndarray of int, shape (m,)
    roots : list of ndarray
        ``roots[n]``: all complex roots of a(orders[n]).
    tracks : ndarray of complex, shape (m, n_tracks)
        ``tracks[n, j]``: position of trajectory j at orders[n] (NaN before it appears).
    """

    orders: np.ndarray
    roots: list
    tracks: np.ndarray


def _int_array(name: str, value) -> np.ndarray:
    """A non-empty 1-D array of integers (no bool, float or string input)."""
    if isinstance(value, (bool, np.bool_)) or (
            isinstance(value, (list, tuple)) and _holds_bool(value)):
        raise TypeError(f"{name} must be integers, not booleans")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be integers, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of integers, got shape "
                         f"{arr.shape}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be integers, got dtype {arr.dtype}")
    return arr


def _check_orders(orders, T: int) -> np.ndarray:
    arr = _int_array("orders", orders)
    if np.any(arr < 1) or np.any(arr > T) or np.any(np.diff(arr) <= 0):
        raise ValueError(f"orders must increase within 1..T={T}")
    return arr.astype(np.int64)


def track_roots(p, orders, w1: float = 1.0, a0: float = 0.0, progress=None) -> RootTracks:
    """Roots of a(k) for each k in ``orders``, matched from one order to the next (Horn Fig. 8).

    Matching minimises the total distance (Hungarian algorithm); roots left unmatched start new
    trajectories (the degree grows with k, so new roots appear).

    Parameters
    ----------
    p : array_like of float, shape (T,)
        Input sequence.
    orders : array_like of int
        Strictly increasing orders within 1..T. The eigenvalue work, sum of k^3 over the orders,
        must stay within :data:`MAX_WORK` (the cost of one degree-5000 polynomial).
    w1, a0 : float
        Input weight and initial output.
    progress : bool or None
        Progress bar over the orders (None: only for long work).

    Returns
    -------
    RootTracks

    Examples
    --------
    >>> import numpy as np
    >>> from fastsurf.roots import track_roots
    >>> tr = track_roots(np.random.default_rng(0).standard_normal(20), orders=[10, 15, 20])
    >>> tr.tracks.shape
    (3, 19)
    """

    p = as_float_array("p", p, ndim=1)
    w1 = check_real("w1", w1)
    a0 = check_real("a0", a0)
    check_progress(progress)
    orders = _check_orders(orders, p.shape[0])
    _check_work("orders", orders, "track_roots")
    m, K = orders.size, int(orders[-1])       # a(k) has degree <= k, so at most K trajectories
    _check_memory("orders", 16.0 * m * K + 16.0 * orders.sum() + 8.0 * K * K,
                  f"track_roots over {m} orders up to {K}")
    tracks = np.full((m, K), np.nan + 0j)
    all_roots = []
    last = np.empty(0, dtype=np.int64)          # current root index -> track index
    n_tracks = 0
    with progress_bar(progress, total=m, unit="order", desc="track_roots") as bar:
        for n, k in enumerate(orders):
            c = response_coefficients(p[:k], w1=w1, a0=a0)
            r = polynomial_roots(c) if np.any(c) else np.empty(0, dtype=complex)
            assign = np.full(r.size, -1, dtype=np.int64)
            if n > 0 and r.size and last.size:
                prev = all_roots[n - 1]
                rows, cols = linear_sum_assignment(np.abs(prev[:, None] - r[None, :]))
                assign[cols] = last[rows]
            new = np.flatnonzero(assign < 0)
            assign[new] = n_tracks + np.arange(new.size)
            n_tracks += new.size
            tracks[n, assign] = r
            all_roots.append(r)
            last = assign
            bar.update(1)
    return RootTracks(orders=orders.copy(), roots=all_roots, tracks=tracks[:, :n_tracks].copy())


@dataclass(repr=False)
class FrozenRoots(Result):
    """Real roots of a(T) outside the unit circle that stopped moving.

    Attributes
    ----------
    roots : ndarray
        The frozen real roots |r| > 1 of a(T) (valleys w2 = r).
    movement : ndarray
        Largest |change| of each root over the last ``m`` orders.
    predicted_shift : ndarray
        First-order prediction of the next shift, -p(T+1) / (r g'_T(r)), using the next input
        when given, else with p(T+1) = 1 (the shift per unit input).
    """

    roots: np.ndarray
    movement: np.ndarray
    predicted_shift: np.ndarray
    candidates: np.ndarray = field(default_factory=lambda: np.empty(0))


def frozen_roots(p, w1: float = 1.0, m: int = 10, tol: float = 1e-6,
                 next_input: float | None = None) -> FrozenRoots:
    """Real roots |r| > 1 of a(T) that stopped moving over the last ``m`` orders.

    Horn §IV: g_{k+1}(w) = p(k+1) + w g_k(w), so a root w0 moves by about
    -p(k+1) / (w0 g'_k(w0)), tiny when |w0| > 1.

    Parameters
    ----------
    p : array_like of float, shape (T,)
        Input sequence, longer than ``m``; a(T) must not vanish identically.
    w1 : float
        Input weight (the roots do not depend on it unless it is 0).
    m : int
        Orders over which a frozen root may move by less than ``tol``. The m + 1 root
        computations of degree about T must stay within :data:`MAX_WORK`.
    tol : float
        Movement tolerance.
    next_input : float or None
        p(T+1) for the predicted shift (None: the shift per unit input).

    Returns
    -------
    FrozenRoots

    Examples
    --------
    >>> import numpy as np
    >>> from fastsurf.roots import frozen_roots
    >>> p = np.r_[1.0, -1.5, 1e-3 * np.random.default_rng(1).standard_normal(38)]
    >>> fr = frozen_roots(p, m=10)
    >>> bool(np.any(np.abs(fr.roots - 1.5) < 1e-2))
    True
    """
    p = as_float_array("p", p, ndim=1)
    w1 = check_real("w1", w1)
    m = check_int("m", m, minimum=1)
    tol = check_real("tol", tol, minimum=0.0)
    nxt = 1.0 if next_input is None else check_real("next_input", next_input)
    T = p.shape[0]
    if T <= m:
        raise ValueError(f"p must be longer than m={m} to judge movement, got T={T}")
    if w1 == 0.0 or not np.any(p):
        raise ValueError("a(T) = w1 [p(T) + ... + w2^(T-1) p(1)] vanishes for every w2 "
                         "(w1 = 0 or p all zero): no roots to follow")
    _check_work(f"p (T={T}) with m={m}", np.full(m + 1, T - 1), "frozen_roots")
    final = real_roots(response_coefficients(p, w1=w1))
    outside = final[np.abs(final) > 1.0]
    moves = np.zeros(outside.size)
    for k in range(T - m, T):
        c = response_coefficients(p[:k], w1=w1)
        earlier = real_roots(c) if np.any(c) else np.empty(0)
        for j, r in enumerate(outside):
            d = np.min(np.abs(earlier - r)) if earlier.size else np.inf
            moves[j] = max(moves[j], d)
    c = response_coefficients(p, w1=1.0)
    shift = np.empty(outside.size)
    for j, r in enumerate(outside):
        _, dg = kp.horner(c, r)
        shift[j] = -nxt / (r * dg)
    keep = moves < tol
    return FrozenRoots(roots=outside[keep], movement=moves[keep], predicted_shift=shift[keep],
                       candidates=outside)


# --- random Gaussian polynomials (Kac) -----------------------------------------------------------
def _kac_sums(r: np.ndarray, k: int) -> np.ndarray:
    """(1/pi) sqrt(AC - B^2) / A with A = sum r^2i, B = sum i r^(2i-1), C = sum i^2 r^(2i-2),
    for |r| <= 1 (no cancellation: AC and B^2 differ by a factor of about 4/3 at r = 1)."""
    i = np.arange(k + 1, dtype=float)
    out = np.empty_like(r)
    rows = max(1, min(256, (1 << 20) // (k + 1)))     # chunks of at most ~8 MB per array
    for start in range(0, r.size, rows):
        rr = r[start:start + rows, None]
        r2i = np.abs(rr) ** (2 * i)       # r^(2i)
        A = r2i.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2im2 = np.where(i > 0, np.abs(rr) ** (2 * i - 2), 0.0)
        B = (i * r2im2).sum(axis=1) * np.abs(rr[:, 0])
        C = (i * i * r2im2).sum(axis=1)
        out[start:start + rows] = np.sqrt(np.maximum(A * C - B * B, 0.0)) / (math.pi * A)
    return out


def kac_density(r, k: int) -> np.ndarray:
    """Kac's density of real zeros of a degree-k polynomial with iid N(0, 1) coefficients.

    f(r; k) = (1/pi) sqrt(1/(r^2-1)^2 - (k+1)^2 r^(2k) / (r^(2k+2)-1)^2), even, with
    f(1/r)/r^2 = f(r) and f(+-1; k) = (1/pi) sqrt(k(k+2)/12). Where the closed form cancels
    (k |1 - r^2| < 10) the equivalent sums form (1/pi) sqrt(AC - B^2)/A is used; |r| > 1 is
    evaluated through f(1/r)/r^2 so nothing overflows.

    Parameters
    ----------
    r : array_like of float
        Finite real points (complex, boolean and string input are refused).
    k : int
        Degree, >= 1.

    Returns
    -------
    ndarray of float, the shape of ``r``

    Examples
    --------
    >>> import math
    >>> from fastsurf.roots import kac_density
    >>> float(kac_density(1.0, 10)) == math.sqrt(10 * 12 / 12) / math.pi
    True
    """
    k = check_int("k", k, minimum=1)
    r_in = r
    r = as_float_array("r", r, allow_empty=True)
    shape = np.shape(r_in)        # as_float_array returns 0-d input as 1-d
    x = np.abs(r.ravel())
    outside = x > 1.0
    s = np.where(outside, 1.0 / np.where(x == 0, 1.0, x), x)   # s in [0, 1]
    out = np.empty_like(s)
    near = k * (1.0 - s * s) < 10.0
    if near.any():
        out[near] = _kac_sums(s[near], k)
    far = ~near
    if far.any():
        sf = s[far]
        one_minus = 1.0 - sf * sf
        with np.errstate(under="ignore"):
            log_s2k = 2 * k * np.log(np.where(sf > 0, sf, 1.0))
            s2k = np.where(sf > 0, np.exp(log_s2k), 0.0)
        second = (k + 1) ** 2 * s2k / (1.0 - s2k * sf * sf) ** 2
        out[far] = np.sqrt(np.maximum(1.0 / one_minus ** 2 - second, 0.0)) / math.pi
    out = np.where(outside, out / np.where(outside, x * x, 1.0), out)
    return out.reshape(shape)


#: Edelman & Kostlan's constant in E_k = (2/pi) ln k + C + 2/(pi k) + O(1/k^2).
EDELMAN_KOSTLAN_C = 0.6257358072052700


def expected_real_roots(k: int) -> float:
    """Expected number of real roots E_k of a degree-k random Gaussian polynomial.

    E_k = 4 int_0^1 f(r; k) dr by adaptive quadrature (scipy ``quad``, breakpoints where the
    density bends, near 1 - c/k) for k <= 10^4, relative error <= 1e-10 (tested against
    reference values); above 10^4 the Edelman–Kostlan asymptote
    (2/pi) ln k + 0.62573580720527 + 2/(pi k), whose error is O(1/k^2) < 1e-8.
    """
    k = check_int("k", k, minimum=1)
    if k > 10_000:
        return 2 / math.pi * math.log(k) + EDELMAN_KOSTLAN_C + 2 / (math.pi * k)
    edges = sorted({0.0, *[max(0.0, 1.0 - c / k) for c in (64.0, 16.0, 4.0, 1.0, 0.25)], 1.0})
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        if b > a:
            val, _ = quad(lambda t: float(kac_density(np.array([t]), k)[0]), a, b,
                          epsabs=0.0, epsrel=1e-13, limit=200)
            total += val
    return 4.0 * total


def kac_bound(k: int) -> float:
    """Kac's upper bound on E_k (Horn eq. 5): (2/pi) ln k + 14/pi."""
    k = check_int("k", k, minimum=1)
    return 2 / math.pi * math.log(k) + 14 / math.pi


@dataclass(repr=False)
class ExpectedRootCurves(Result):
    """E_k with its asymptote and Kac's bound over a range of degrees (Horn Fig. 6).

    Attributes
    ----------
    k : ndarray of int
        Degrees.
    expected : ndarray
        E_k (:func:`expected_real_roots`).
    asymptote : ndarray
        Edelman–Kostlan, (2/pi) ln k + C + 2/(pi k).
    bound : ndarray
        Kac's bound (Horn eq. 5), (2/pi) ln k + 14/pi.
    """

    k: np.ndarray
    expected: np.ndarray
    asymptote: np.ndarray
    bound: np.ndarray

    def plot(self, samples: dict | None = None, ax=None):
        """Draw the curves (and optional Monte-Carlo samples) with
        :func:`fastsurf.plot.expected_roots`."""
        return _plot_expected_roots(self, samples=samples, ax=ax)


def expected_real_roots_curves(ks) -> ExpectedRootCurves:
    """E_k, the Edelman–Kostlan asymptote and Kac's bound for every degree in ``ks``.

    Parameters
    ----------
    ks : array_like of int
        Degrees >= 1 (1-D).

    Returns
    -------
    ExpectedRootCurves
        What :func:`fastsurf.plot.expected_roots` draws.

    Examples
    --------
    >>> from fastsurf.roots import expected_real_roots_curves
    >>> cur = expected_real_roots_curves([1, 10])
    >>> [round(float(e), 10) for e in cur.expected]
    [1.0, 2.1502722535]
    """
    arr = _int_array("ks", ks)
    if np.any(arr < 1):
        raise ValueError(f"ks must be >= 1, got {int(arr.min())}")
    kf = arr.astype(float)
    return ExpectedRootCurves(
        k=arr.astype(np.int64),
        expected=np.array([expected_real_roots(int(k)) for k in arr]),
        asymptote=2 / np.pi * np.log(kf) + EDELMAN_KOSTLAN_C + 2 / (np.pi * kf),
        bound=np.array([kac_bound(int(k)) for k in arr]))


@dataclass(repr=False)
class RealRootSample(Result):
    """Monte Carlo over random Gaussian polynomials.

    Attributes
    ----------
    k : int
        Degree.
    counts : ndarray of int, shape (n,)
        Number of real roots of each polynomial.
    roots : ndarray
        All real roots found, concatenated.
    shares : dict
        Fraction of real roots in (-inf, -1), (-1, 0), (0, 1), (1, inf) (each 1/4 in theory).
    n_outside : int
        Number of real roots with |r| > 1.
    mean, stderr : float
        Mean count and its standard error (compare with :func:`expected_real_roots`).
    polys_per_s : float
        Throughput of the sampler.
    """

    k: int
    counts: np.ndarray
    roots: np.ndarray
    shares: dict
    n_outside: int
    mean: float
    stderr: float
    polys_per_s: float
    method: str

    def kac_curve(self, limit: float = 4.0, num: int = 2001) -> tuple[np.ndarray, np.ndarray]:
        """Kac's density f(r; k) on ``num`` points of [-limit, limit] (what
        :func:`fastsurf.plot.kac_histogram` draws over the histogram).

        Examples
        --------
        >>> from fastsurf.roots import sample_real_roots
        >>> r, f = sample_real_roots(10, 100, progress=False).kac_curve(limit=2.0, num=5)
        >>> r.tolist()
        [-2.0, -1.0, 0.0, 1.0, 2.0]
        """
        limit = check_real("limit", limit, minimum=0.0, strict_min=True)
        num = check_int("num", num, minimum=2, maximum=10 ** 7)
        r = np.linspace(-limit, limit, num)
        return r, kac_density(r, self.k)


def _chebyshev_grid(m: int) -> np.ndarray:
    grid = -np.cos(np.linspace(0.0, math.pi, m))
    grid[0], grid[-1] = -1.0, 1.0
    grid[m // 2] = 0.0 if m % 2 else grid[m // 2]
    return grid


#: Largest degree of :func:`sample_real_roots` with ``method="grid"``: the default grid has 16k
#: points, so one polynomial costs ~32 k^2 multiply-adds (~2 s per core at k = 10^4).
MAX_SAMPLE_DEGREE = 10_000

#: Largest ``grid_points`` of :func:`sample_real_roots` (8 MB of grid and values per thread).
MAX_GRID_POINTS = 1 << 20


def sample_real_roots(k: int, n: int, seed=0, method: str = "grid", progress=None,
                      grid_points: int | None = None) -> RealRootSample:
    """Real roots of ``n`` random polynomials of degree ``k`` with iid N(0, 1) coefficients.

    Parameters
    ----------
    k, n : int
        Degree (>= 1; at most :data:`MAX_SAMPLE_DEGREE` for ``"grid"`` and :data:`MAX_DEGREE`
        for ``"eig"``) and number of polynomials (>= 1; the counts and roots must fit in memory).
    seed : int or Generator
    method : {"grid", "eig"}
        ``"grid"`` (default): a parallel Numba kernel isolates sign changes of p(x) on a
        Chebyshev grid of [-1, 1] and of x^k p(1/x) for |x| > 1, then bisects each to machine
        precision. It can miss two real roots closer together than the local grid spacing
        (``grid_points``, default max(512, 16k), at most :data:`MAX_GRID_POINTS`); against
        ``"eig"`` it agreed on every count in the tests. ``"eig"``: companion-matrix eigenvalues
        (:func:`real_roots`; exact count; ~100x slower).
    progress : bool or None
        Progress bar over batches.

    Returns
    -------
    RealRootSample

    Examples
    --------
    >>> from fastsurf.roots import sample_real_roots
    >>> s = sample_real_roots(10, 2000, seed=0, progress=False)
    >>> bool(abs(s.mean - 2.15027225345042) < 4 * s.stderr)
    True
    """

    k = check_int("k", k, minimum=1)
    n = check_int("n", n, minimum=1)
    if method not in ("grid", "eig"):
        raise ValueError(f"method must be one of ['eig', 'grid'], got {method!r}")
    check_progress(progress)
    limit = MAX_SAMPLE_DEGREE if method == "grid" else MAX_DEGREE
    if k > limit:
        raise ValueError(
            f"k={k} is above the limit {limit} of sample_real_roots(method={method!r}): "
            + ("the grid has ~16k points, so each polynomial costs ~32 k^2 operations"
               if method == "grid" else
               "companion-matrix eigenvalues cost O(k^3) per polynomial"))
    rng = as_rng(seed)
    m = grid_points if grid_points is not None else max(512, 16 * k)
    m = check_int("grid_points", m, minimum=8, maximum=MAX_GRID_POINTS)
    batch = max(1, min(8192, (1 << 24) // (k + 1)))    # <= 128 MB of coefficients per batch
    _check_memory("n", 16.0 * batch * (k + 1) + 8.0 * m + 8.0 * n * (1 + 2 * kac_bound(k)),
                  f"sample_real_roots(k={k}, n={n})")
    grid = _chebyshev_grid(m)
    counts = np.empty(n, dtype=np.int64)
    found = []
    t0 = time.perf_counter()
    with progress_bar(progress, total=(n + batch - 1) // batch, unit="batch",
                      desc="roots") as bar:
        for start in range(0, n, batch):
            nb = min(batch, n - start)
            coeffs = rng.standard_normal((nb, k + 1))
            if method == "grid":
                roots = np.full((nb, k), np.nan)
                cnt = np.empty(nb, dtype=np.int64)
                kp.real_roots_batch(coeffs, grid, k, roots, cnt)
                counts[start:start + nb] = cnt
                found.append(roots[np.isfinite(roots)])
            else:
                for i in range(nb):
                    r = real_roots(coeffs[i])
                    counts[start + i] = r.size
                    found.append(r)
            bar.update(1)
    elapsed = time.perf_counter() - t0
    roots = np.concatenate(found) if found else np.empty(0)
    total = max(roots.size, 1)
    shares = {"(-inf,-1)": np.count_nonzero(roots < -1) / total,
              "(-1,0)": np.count_nonzero((roots > -1) & (roots < 0)) / total,
              "(0,1)": np.count_nonzero((roots > 0) & (roots < 1)) / total,
              "(1,inf)": np.count_nonzero(roots > 1) / total}
    return RealRootSample(k=k, counts=counts, roots=roots, shares=shares,
                          n_outside=int(np.count_nonzero(np.abs(roots) > 1)),
                          mean=float(counts.mean()),
                          stderr=float(counts.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf,
                          polys_per_s=n / elapsed if elapsed > 0 else math.inf, method=method)


def random_polynomial_roots(k: int, seed=0) -> np.ndarray:
    """All complex roots of one degree-k random Gaussian polynomial (Horn Fig. 7).

    Parameters
    ----------
    k : int
        Degree, 1..:data:`MAX_DEGREE`.
    seed : int or Generator

    Examples
    --------
    >>> from fastsurf.roots import random_polynomial_roots
    >>> random_polynomial_roots(50, seed=0).shape
    (50,)
    """
    k = check_int("k", k, minimum=1, maximum=MAX_DEGREE)
    return polynomial_roots(as_rng(seed).standard_normal(k + 1))

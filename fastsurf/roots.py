"""Response polynomials of the linear recurrent neuron and random-polynomial root statistics.

Horn, De Jesús & Hagan (2009), §III–IV; clean maths in DESIGN.md §5. With a(0) = a0 the linear
neuron's output is a polynomial in the feedback weight w2,

    a(k) = w1 [p(k) + w2 p(k-1) + ... + w2^(k-1) p(1)] + w2^k a0        (Horn eq. 2),

and a real root r with |r| > 1 of that polynomial is a spurious valley w2 = r of the error surface.
Coefficients are always in ascending powers: p(w) = sum_i c[i] w^i.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_float_array, as_rng, check_int, check_real
from .kernels import poly as kp


# --- response polynomials ------------------------------------------------------------------------
def response_coefficients(p, w1: float = 1.0, a0: float = 0.0,
                          all_orders: bool = False) -> np.ndarray:
    """Coefficients of a(T) of the linear neuron as a polynomial in w2 (Horn eq. 2).

    Parameters
    ----------
    p : array_like, shape (T,)
        Input sequence p(1..T) (``p[k-1]`` is p(k)).
    w1 : float
        Input weight (scales every coefficient but the last).
    a0 : float
        Initial output a(0) (the coefficient of w2^T).
    all_orders : bool
        Return the coefficients of every a(k), k = 1..T, as a (T, T+1) array whose row k-1 holds
        a(k)'s coefficients zero-padded to length T+1.

    Returns
    -------
    ndarray, shape (T+1,) or (T, T+1)
        ``c[i] = w1 p(T-i)`` for i < T and ``c[T] = a0``.
    """
    p = as_float_array("p", p, ndim=1)
    w1 = check_real("w1", w1)
    a0 = check_real("a0", a0)
    T = p.shape[0]
    if not all_orders:
        c = np.empty(T + 1)
        c[:T] = w1 * p[::-1]
        c[T] = a0
        return c
    out = np.zeros((T, T + 1))
    for k in range(1, T + 1):
        out[k - 1, :k] = w1 * p[k - 1::-1]
        out[k - 1, k] = a0
    return out


# --- roots of one polynomial ---------------------------------------------------------------------
def _check_coeffs(coeffs) -> np.ndarray:
    c = as_float_array("coeffs", coeffs, ndim=1)
    nz = np.flatnonzero(c)
    if nz.size == 0:
        raise ValueError("coeffs must have at least one non-zero coefficient")
    return c[:nz[-1] + 1]


def _polish(c: np.ndarray, x: float) -> float:
    """Newton steps on a real root (on the reversed polynomial in 1/x when |x| > 1, so that
    nothing overflows), stopping when a step no longer shrinks."""
    reverse = abs(x) > 1.0
    coeffs = c[::-1].copy() if reverse else c
    s = 1.0 / x if reverse else x
    last = np.inf
    for _ in range(20):
        v, dv = kp.horner(coeffs, s)
        if v == 0.0 or dv == 0.0:
            break
        step = v / dv
        if not abs(step) < last:
            break
        s -= step
        last = abs(step)
        if last <= 1e-17 * abs(s):
            break
    return 1.0 / s if reverse else s


def polynomial_roots(coeffs) -> np.ndarray:
    """All complex roots of sum_i c[i] w^i (ascending coefficients).

    Eigenvalues of the companion matrix (LAPACK ``dgeev`` with balancing, as ``numpy.roots``);
    real eigenvalues come back with an imaginary part of exactly 0 and are then polished by
    Newton's method. Trailing zero coefficients (highest powers) are dropped; leading zeros give
    roots at 0.

    Accuracy: backward stable — every root r satisfies
    |p(r)| <= ~1e-13 * sum_i |c_i| |r|^i up to degree 1000 (tested), and polished real roots to
    ~1e-15. Roots of a multiple or clustered root are as ill-conditioned as the problem is.

    Returns
    -------
    ndarray of complex, shape (degree,)
    """
    c = _check_coeffs(coeffs)
    zeros = int(np.flatnonzero(c)[0])
    c = c[zeros:]
    k = c.shape[0] - 1
    if k == 0:
        return np.zeros(zeros, dtype=complex)
    companion = np.zeros((k, k))
    companion[1:, :-1] = np.eye(k - 1)
    companion[:, -1] = -c[:k] / c[k]
    roots = np.linalg.eigvals(companion).astype(complex)
    real = roots.imag == 0.0
    roots[real] = [_polish(c, float(r)) for r in roots[real].real]
    return np.concatenate([np.zeros(zeros, dtype=complex), roots])


def real_roots(coeffs) -> np.ndarray:
    """Sorted real roots of sum_i c[i] w^i (see :func:`polynomial_roots`)."""
    r = polynomial_roots(coeffs)
    return np.sort(r[r.imag == 0.0].real)


def root_sensitivity(coeffs, root) -> np.ndarray:
    """d root / d c_j for every j: -root^j / p'(root) (Wilkinson; Horn eq. 11)."""
    c = _check_coeffs(coeffs)
    r = complex(root) if np.iscomplexobj(root) else float(root)
    _, dp = kp.horner(c.astype(complex) if isinstance(r, complex) else c, r)
    if dp == 0:
        raise ValueError("root is a multiple root (p'(root) = 0): its sensitivity is infinite")
    return -(r ** np.arange(c.shape[0])) / dp


def condition_number(coeffs, root) -> float:
    """Relative condition number of a simple root (Gautschi):
    sum_j |c_j| |r|^j / (|r| |p'(r)|)."""
    c = _check_coeffs(coeffs)
    r = complex(root)
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
@dataclass
class RootTracks:
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


def track_roots(p, orders, w1: float = 1.0, a0: float = 0.0) -> RootTracks:
    """Roots of a(k) for each k in ``orders``, matched from one order to the next.

    Matching minimises the total distance (Hungarian algorithm); roots left unmatched start new
    trajectories (the degree grows with k, so new roots appear).
    """
    from scipy.optimize import linear_sum_assignment
    p = as_float_array("p", p, ndim=1)
    orders = np.asarray(orders)
    if orders.ndim != 1 or orders.size == 0 or not np.issubdtype(orders.dtype, np.integer):
        raise ValueError("orders must be a non-empty 1-D sequence of integers")
    if np.any(orders < 1) or np.any(orders > p.shape[0]) or np.any(np.diff(orders) <= 0):
        raise ValueError(f"orders must increase within 1..T={p.shape[0]}")
    all_roots = []
    positions: list[list[complex]] = []
    last: list[int] = []  # current root index -> track index
    for n, k in enumerate(orders):
        c = response_coefficients(p[:k], w1=w1, a0=a0)
        r = polynomial_roots(c) if np.any(c) else np.empty(0, dtype=complex)
        all_roots.append(r)
        assign = [-1] * r.size
        if n > 0 and r.size and len(last):
            prev = all_roots[n - 1]
            cost = np.abs(prev[:, None] - r[None, :])
            rows, cols = linear_sum_assignment(cost)
            for i, j in zip(rows, cols):
                assign[j] = last[i]
        for j in range(r.size):
            if assign[j] < 0:
                positions.append([np.nan + 0j] * n)
                assign[j] = len(positions) - 1
        for t, track in enumerate(positions):
            if len(track) == n:
                track.append(np.nan + 0j)
            if t in assign:
                track[n] = r[assign.index(t)]
        last = assign
    tracks = np.array(positions, dtype=complex).T if positions else np.empty((len(orders), 0))
    return RootTracks(orders=orders.copy(), roots=all_roots, tracks=tracks)


@dataclass
class FrozenRoots:
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
    """Real roots |r| > 1 of a(T) whose position changed by less than ``tol`` over the last
    ``m`` orders (Horn §IV: g_{k+1}(w) = p(k+1) + w g_k(w), so a root w0 moves by about
    -p(k+1) / (w0 g'_k(w0)), tiny when |w0| > 1)."""
    p = as_float_array("p", p, ndim=1)
    m = check_int("m", m, minimum=1)
    tol = check_real("tol", tol, minimum=0.0)
    T = p.shape[0]
    if T <= m:
        raise ValueError(f"p must be longer than m={m} to judge movement, got T={T}")
    final = real_roots(response_coefficients(p, w1=w1))
    outside = final[np.abs(final) > 1.0]
    moves = np.zeros(outside.size)
    for k in range(T - m, T):
        earlier = real_roots(response_coefficients(p[:k], w1=w1))
        for j, r in enumerate(outside):
            d = np.min(np.abs(earlier - r)) if earlier.size else np.inf
            moves[j] = max(moves[j], d)
    c = response_coefficients(p, w1=1.0)
    shift = np.empty(outside.size)
    nxt = 1.0 if next_input is None else check_real("next_input", next_input)
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
    for start in range(0, r.size, 256):
        rr = r[start:start + 256, None]
        r2i = np.abs(rr) ** (2 * i)       # r^(2i)
        A = r2i.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r2im2 = np.where(i > 0, np.abs(rr) ** (2 * i - 2), 0.0)
        B = (i * r2im2).sum(axis=1) * np.abs(rr[:, 0])
        C = (i * i * r2im2).sum(axis=1)
        out[start:start + 256] = np.sqrt(np.maximum(A * C - B * B, 0.0)) / (math.pi * A)
    return out


def kac_density(r, k: int) -> np.ndarray:
    """Kac's density of real zeros of a degree-k polynomial with iid N(0, 1) coefficients.

    f(r; k) = (1/pi) sqrt(1/(r^2-1)^2 - (k+1)^2 r^(2k) / (r^(2k+2)-1)^2), even, with
    f(1/r)/r^2 = f(r) and f(+-1; k) = (1/pi) sqrt(k(k+2)/12). Where the closed form cancels
    (k |1 - r^2| < 10) the equivalent sums form (1/pi) sqrt(AC - B^2)/A is used; |r| > 1 is
    evaluated through f(1/r)/r^2 so nothing overflows.
    """
    k = check_int("k", k, minimum=1)
    r = np.asarray(r, dtype=float)
    if not np.all(np.isfinite(r)):
        raise ValueError("r must contain only finite values")
    shape = r.shape
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
    from scipy.integrate import quad
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


@dataclass
class RealRootSample:
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


def _chebyshev_grid(m: int) -> np.ndarray:
    grid = -np.cos(np.linspace(0.0, math.pi, m))
    grid[0], grid[-1] = -1.0, 1.0
    grid[m // 2] = 0.0 if m % 2 else grid[m // 2]
    return grid


def sample_real_roots(k: int, n: int, seed=0, method: str = "grid", progress=None,
                      grid_points: int | None = None) -> RealRootSample:
    """Real roots of ``n`` random polynomials of degree ``k`` with iid N(0, 1) coefficients.

    Parameters
    ----------
    k, n : int
        Degree (>= 1) and number of polynomials (>= 1).
    seed : int or Generator
    method : {"grid", "eig"}
        ``"grid"`` (default): a parallel Numba kernel isolates sign changes of p(x) on a
        Chebyshev grid of [-1, 1] and of x^k p(1/x) for |x| > 1, then bisects each to machine
        precision. It can miss two real roots closer together than the local grid spacing
        (``grid_points``, default max(512, 16k)); against ``"eig"`` it agreed on every count in
        the tests. ``"eig"``: companion-matrix eigenvalues (exact count; ~100x slower).
    progress : bool or None
        Progress bar over batches.
    """
    import time

    from ._progress import progress_bar
    k = check_int("k", k, minimum=1)
    n = check_int("n", n, minimum=1)
    if method not in ("grid", "eig"):
        raise ValueError(f"method must be one of ['eig', 'grid'], got {method!r}")
    rng = as_rng(seed)
    m = grid_points if grid_points is not None else max(512, 16 * k)
    m = check_int("grid_points", m, minimum=8)
    grid = _chebyshev_grid(m)
    batch = 8192
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
    """All complex roots of one degree-k random Gaussian polynomial (Horn Fig. 7)."""
    k = check_int("k", k, minimum=1)
    return polynomial_roots(as_rng(seed).standard_normal(k + 1))

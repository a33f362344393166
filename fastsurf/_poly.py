"""Polynomial kernels: Horner evaluation and real-root isolation for batches of polynomials.

Coefficients are in ascending powers: p(x) = sum_i c[i] x^i.
"""

import numpy as np
from numba import njit, prange


@njit(cache=True, error_model="numpy")
def horner(c, x):
    """p(x) and p'(x) by Horner's rule (real or complex x)."""
    p = c[c.shape[0] - 1] * (x * 0 + 1)
    dp = p * 0
    for i in range(c.shape[0] - 2, -1, -1):
        dp = dp * x + p
        p = p * x + c[i]
    return p, dp


@njit(cache=True, error_model="numpy", inline="always")
def _value(c, reverse, x):
    """p(x), or x^k p(1/x) when ``reverse`` (the coefficients read backwards)."""
    k = c.shape[0] - 1
    v = 0.0
    if reverse:
        for i in range(k + 1):
            v = v * x + c[i]
    else:
        for i in range(k, -1, -1):
            v = v * x + c[i]
    return v


@njit(cache=True, error_model="numpy")
def _bisect(c, reverse, lo, hi, vlo):
    """A root of a sign change in [lo, hi], bisected to the resolution of the floats."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        vm = _value(c, reverse, mid)
        if vm == 0.0:
            return mid
        if (vm < 0.0) == (vlo < 0.0):
            lo = mid
            vlo = vm
        else:
            hi = mid
    return 0.5 * (lo + hi)


@njit(cache=True, error_model="numpy")
def _grid_values(c, reverse, grid, values):
    """values[j] = p(grid[j]) (or the reversed polynomial), vectorized over the grid."""
    k = c.shape[0] - 1
    m = grid.shape[0]
    for j in range(m):
        values[j] = c[0] if reverse else c[k]
    for step in range(1, k + 1):
        ci = c[step] if reverse else c[k - step]
        for j in range(m):
            values[j] = values[j] * grid[j] + ci


@njit(cache=True, error_model="numpy", parallel=True)
def real_roots_batch(coeffs, grid, max_roots, roots, counts):
    """Real roots of each row of ``coeffs`` (n, k+1) by sign changes on ``grid``.

    ``grid`` is an increasing grid of [-1, 1] including both ends. Roots in [-1, 1] come from
    p(x); roots outside from the reversed polynomial s^k p(1/s) on the open interval (-1, 1)
    (x = 1/s). Writes up to ``max_roots`` roots per row into ``roots`` (n, max_roots) and the
    number found into ``counts`` (more than ``max_roots`` are counted but not stored).
    """
    n = coeffs.shape[0]
    m = grid.shape[0]
    for i in prange(n):
        c = coeffs[i]
        values = np.empty(m)
        found = 0
        for reverse in (False, True):
            _grid_values(c, reverse, grid, values)
            for j in range(m - 1):
                a, b = values[j], values[j + 1]
                root = np.nan
                if a == 0.0:
                    if reverse and (j == 0 or grid[j] == 0.0):
                        continue  # s = -1 belongs to p; s = 0 is x = infinity
                    root = grid[j]
                elif (a < 0.0) != (b < 0.0) and b != 0.0:
                    root = _bisect(c, reverse, grid[j], grid[j + 1], a)
                if root == root:
                    x = 1.0 / root if reverse else root
                    if found < max_roots:
                        roots[i, found] = x
                    found += 1
            if not reverse and values[m - 1] == 0.0:
                if found < max_roots:
                    roots[i, found] = 1.0
                found += 1
        counts[i] = found


# --- double-double evaluation and root polishing -------------------------------------------------
# Error-free transformations (Knuth's TwoSum, Dekker's TwoProduct with Veltkamp's split) carry the
# rounding error of every Horner step, so p(x) comes out as accurate as if it had been evaluated
# in twice the working precision (the compensated Horner scheme of Graillat, Langlois & Louvet,
# 2005). Newton's method with such a residual converges to a simple root x with relative error
# about u + 4 k^2 u^2 cond(p, x) (Graillat 2008) instead of k u cond(p, x) with plain Horner.
# Split needs |a| < 2^996: callers normalise the coefficients to max |c_i| <= 1 and evaluate at
# |x| <= 1, so every intermediate stays below k + 1.

@njit(cache=True, inline="always")
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@njit(cache=True, inline="always")
def _fast_two_sum(a, b):
    s = a + b
    return s, b - (s - a)


@njit(cache=True, inline="always")
def _two_prod(a, b):
    p = a * b
    t = 134217729.0 * a          # Veltkamp split, 2^27 + 1
    ah = t - (t - a)
    al = a - ah
    t = 134217729.0 * b
    bh = t - (t - b)
    bl = b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


@njit(cache=True, inline="always")
def _dd_mul_d(h, l, b):
    """(h + l) * b in double-double."""
    p, e = _two_prod(h, b)
    return _fast_two_sum(p, e + l * b)


@njit(cache=True, inline="always")
def _dd_add(ah, al, bh, bl):
    """(ah + al) + (bh + bl) in double-double (absolute error ~u^2 (|a| + |b|))."""
    s, e = _two_sum(ah, bh)
    return _fast_two_sum(s, e + (al + bl))


@njit(cache=True)
def horner_dd(c, x):
    """p(x) in double-double and p'(x) in double, for real ``x``.

    Returns ``(hi, lo, dp)`` with p(x) ~= hi + lo to about u^2 sum_i |c_i| |x|^i.
    """
    k = c.shape[0] - 1
    h = c[k]
    lo = 0.0
    dp = 0.0
    for i in range(k - 1, -1, -1):
        dp = dp * x + h
        h, lo = _dd_mul_d(h, lo, x)
        h, lo = _dd_add(h, lo, c[i], 0.0)
    return h, lo, dp


@njit(cache=True)
def horner_dd_complex(c, z):
    """p(z) in double-double complex arithmetic and p'(z) in double, for complex ``z``.

    Returns ``(value, dp)`` with ``value`` the double-double result rounded to complex128.
    """
    k = c.shape[0] - 1
    xr = z.real
    xi = z.imag
    rh = c[k]
    rl = 0.0
    ih = 0.0
    il = 0.0
    dp = 0.0 + 0.0j
    for i in range(k - 1, -1, -1):
        dp = dp * z + complex(rh, ih)
        ah, al = _dd_mul_d(rh, rl, xr)
        bh, bl = _dd_mul_d(ih, il, xi)
        ch, cl = _dd_mul_d(rh, rl, xi)
        eh, el = _dd_mul_d(ih, il, xr)
        rh, rl = _dd_add(ah, al, -bh, -bl)
        rh, rl = _dd_add(rh, rl, c[i], 0.0)
        ih, il = _dd_add(ch, cl, eh, el)
    return complex(rh + rl, ih + il), dp


@njit(cache=True, error_model="numpy")
def _newton(c, x0, others, n_steps):
    """Newton's method with implicit deflation (Maehly 1954) from ``x0`` on the polynomial ``c``.

    The step is p / (p' - p sum_j 1 / (x - x_j)) over the approximations ``others`` of the other
    roots, so the iteration is repelled from them. ``p`` is evaluated in double-double. Stops when
    a step no longer shrinks. Returns ``(x, |p(x0)|, |p(x)|)``; real ``x0`` stays real.
    """
    is_real = x0.imag == 0.0
    x = x0
    r0 = np.inf
    last = np.inf
    res = np.inf
    for it in range(n_steps + 1):
        if is_real:
            h, lo, dpr = horner_dd(c, x.real)
            v = complex(h + lo, 0.0)
            dp = complex(dpr, 0.0)
        else:
            v, dp = horner_dd_complex(c, x)
        res = abs(v)
        if it == 0:
            r0 = res
        if res == 0.0 or it == n_steps:
            break
        s = 0.0j
        for j in range(others.shape[0]):
            d = x - others[j]
            if d != 0.0:
                s += 1.0 / d
        if is_real:
            s = complex(s.real, 0.0)
        den = dp - v * s
        if den == 0.0:
            break
        step = v / den
        if is_real:
            step = complex(step.real, 0.0)
        size = abs(step)
        if not size < last:
            break
        xn = x - step
        if xn == x:
            break
        x = xn
        last = size
    return x, r0, res


@njit(cache=True, error_model="numpy", parallel=True)
def polish_roots(c, crev, z, out, accepted):
    """Polish every approximate root ``z[i]`` of sum_i c[i] x^i by :func:`_newton`.

    Roots with |z|^k beyond ~2^900 are polished as 1/z, roots of the reversed polynomial
    ``crev``, so nothing overflows; the others directly (no rounding of 1/(1/z)). A polished
    value is kept only if its residual did not grow and it moved less than half the distance from
    ``z[i]`` to the nearest other ``z[j]``: these discs are disjoint, so distinct approximations
    never merge. Otherwise ``out[i] = z[i]``; ``accepted[i]`` says which. Real approximations
    stay real. ``c[0]`` must be non-zero (no roots at 0) and max |c_i| <= 1.
    """
    k = z.shape[0]
    inv = np.empty(k, dtype=np.complex128)
    for j in range(k):
        inv[j] = 1.0 / z[j] if z[j] != 0.0 else np.inf + 0.0j
    for i in prange(k):
        zi = z[i]
        sep = np.inf
        for j in range(k):
            if j != i:
                d = abs(zi - z[j])
                if d < sep:
                    sep = d
        others = np.empty(k - 1, dtype=np.complex128)
        # outside the unit circle, polish 1/z on the reversed polynomial when p(z) could come
        # near the double-double range (|p| <= (k + 1) |z|^k with max |c_i| <= 1)
        reverse = abs(zi) > 1.0 and k * np.log2(abs(zi)) + np.log2(k + 1.0) > 900.0
        m = 0
        for j in range(k):
            if j != i:
                others[m] = inv[j] if reverse else z[j]
                m += 1
        if reverse:
            s, r0, r1 = _newton(crev, inv[i], others, 60)
            x = 1.0 / s
            if zi.imag == 0.0:
                x = complex(1.0 / s.real, 0.0)
        else:
            x, r0, r1 = _newton(c, zi, others, 60)
        ok = (r1 <= r0) and abs(x - zi) < 0.5 * sep and np.isfinite(x.real) \
            and np.isfinite(x.imag)
        out[i] = x if ok else zi
        accepted[i] = ok

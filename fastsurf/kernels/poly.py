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

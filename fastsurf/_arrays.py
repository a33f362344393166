"""Small parallel reductions over result arrays (generic numeric helpers, not model kernels:
the scans use them on the values they return)."""

from numba import njit, prange


@njit(cache=True, parallel=True)
def count_nonfinite(values):
    """Number of NaN or +-inf entries of a 2-D array."""
    total = 0
    for i in prange(values.shape[0]):
        row = values[i]
        for j in range(row.shape[0]):
            v = row[j]
            if not (v - v == 0.0):
                total += 1
    return total

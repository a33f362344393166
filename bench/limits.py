"""This machine's double-precision limits, to judge the kernels against.

    python bench/limits.py

FMA throughput: CHAINS independent multiply-add chains per thread (enough to hide the FMA
latency) in a Numba loop that vectorizes, on 1 thread and on all threads. Memory bandwidth: a large
array copy (read + write) with NumPy. A linear grid point-step needs 2 FMAs and a subtraction,
a tansig one additionally a tanh (about 45 vector instructions and a division), so the FMA
number bounds the grid kernels (see docs/performance.md).
"""

from __future__ import annotations

import numba
import numpy as np
from _timing import median_time
from numba import njit, prange

from fastsurf.kernels.activations import _fma

#: Independent FMA chains per thread. A compile-time constant, so LLVM unrolls the inner loop
#: and keeps every chain in a register (with a run-time bound the chains go through memory and
#: the loop measures store-to-load latency instead, at half the rate).
CHAINS = 64


@njit(error_model="numpy")
def _chains(x, reps):
    acc = x.copy()
    for _ in range(reps):
        for i in range(CHAINS):
            acc[i] = _fma(acc[i], 0.9999999, 1e-7)
    return acc


@njit(error_model="numpy", parallel=True)
def _chains_parallel(x, reps, n_threads):
    out = np.empty((n_threads, x.shape[0]))
    for c in prange(n_threads):
        out[c] = _chains(x, reps)
    return out


def main() -> None:
    x = np.ones(CHAINS)
    reps = 2_000_000
    threads = numba.get_num_threads()
    one = CHAINS * reps / median_time(lambda: _chains(x, reps)) / 1e9
    every = threads * CHAINS * reps / median_time(lambda: _chains_parallel(x, reps, threads)) / 1e9
    a = np.ones(2 ** 26)
    b = np.empty_like(a)
    bw = 2 * a.nbytes / median_time(lambda: np.copyto(b, a)) / 1e9
    print(f"FMA throughput: {one:.1f} G/s on 1 thread, {every:.1f} G/s on {threads} threads")
    print(f"memory bandwidth (copy, read + write): {bw:.1f} GB/s")
    print(f"bound for a linear grid (2 FMAs per point-step): {every / 2:.1f} G point-steps/s")


if __name__ == "__main__":
    main()

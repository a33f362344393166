"""Kernels of the single recurrent neuron (DESIGN §3).

n(k) = sum_d iw_d p(k-d) + sum_{d=1..D} lw_d a(k-d) + b,  a(k) = f(n(k)),  k = 1..T.

theta layout: input weights (order of ``input_delays``), lw_1..lw_D, then b if ``has_bias``.
Arrays: p, t of shape (n_seq, T); a0 of shape (n_seq, D) with a0[s, j] = a(-j).
"""

import numpy as np
from numba import njit, prange

from .activations import apply_transfer


@njit(cache=True)
def _simulate_one(theta, p, a0, input_delays, n_fb, has_bias, code, out):
    """Outputs of one sequence into ``out`` (T,)."""
    T = p.shape[0]
    n_in = input_delays.shape[0]
    b = theta[n_in + n_fb] if has_bias else 0.0
    for k in range(T):
        n = b
        for i in range(n_in):
            j = k - input_delays[i]
            if j >= 0:
                n += theta[i] * p[j]
        for d in range(1, n_fb + 1):
            j = k - d
            prev = out[j] if j >= 0 else a0[-j - 1]
            n += theta[n_in + d - 1] * prev
        out[k] = apply_transfer(code, n)


@njit(cache=True)
def simulate(theta, p, a0, input_delays, n_fb, has_bias, code):
    """Outputs a(k) for every sequence, shape (n_seq, T)."""
    out = np.empty(p.shape)
    for s in range(p.shape[0]):
        _simulate_one(theta, p[s], a0[s], input_delays, n_fb, has_bias, code, out[s])
    return out


@njit(cache=True)
def _sse_one_theta(theta, p, t, a0, input_delays, n_fb, has_bias, code, work):
    total = 0.0
    for s in range(p.shape[0]):
        _simulate_one(theta, p[s], a0[s], input_delays, n_fb, has_bias, code, work)
        for k in range(p.shape[1]):
            e = t[s, k] - work[k]
            total += e * e
    # NaN only arises from inf - inf after an overflow, where the true SSE is beyond range.
    if total != total:
        total = np.inf
    return total


@njit(cache=True)
def sse(theta, p, t, a0, input_delays, n_fb, has_bias, code):
    """Sum of squared errors over all sequences at one theta (+inf where outputs overflow)."""
    work = np.empty(p.shape[1])
    return _sse_one_theta(theta, p, t, a0, input_delays, n_fb, has_bias, code, work)


@njit(cache=True, parallel=True)
def sse_batch(thetas, p, t, a0, input_delays, n_fb, has_bias, code):
    """SSE for each row of ``thetas`` (m, P), in parallel."""
    m = thetas.shape[0]
    out = np.empty(m)
    for i in prange(m):
        work = np.empty(p.shape[1])
        out[i] = _sse_one_theta(thetas[i], p, t, a0, input_delays, n_fb, has_bias, code, work)
    return out

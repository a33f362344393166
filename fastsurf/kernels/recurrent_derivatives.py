"""Exact first and second derivatives of the recurrent neuron's SSE: real-time recurrent
learning (Williams & Zipser 1989) and BPTT for the gradient, second-order forward sensitivities
for the Hessian (De Jesús & Hagan 2007).

Same arguments as :mod:`fastsurf.kernels.recurrent`: theta (P,), p and t (n_seq, T), a0
(n_seq, D) with a0[s, j] = a(-j), input_delays (int64), n_fb = D, has_bias, transfer code.
Arrays index time from 0: index k holds step k + 1; a(.) before the sequence is a0 (a constant,
so its sensitivities are zero).

With s_i(k) = dn(k)/dtheta_i and S_i(k) = da(k)/dtheta_i (RTRL):
    s_i(k) = x_i(k) + sum_d lw_d S_i(k-d),   S_i(k) = f'(n(k)) s_i(k),
where x_i(k) is the input p(k - d_i), the fed-back output a(k - d) or 1 (bias) that multiplies
theta_i. Second order, A_ij(k) = d^2 a(k)/dtheta_i dtheta_j:
    A_ij(k) = f''(n) s_i s_j + f'(n) [ [i = lw_d] S_j(k-d) + [j = lw_d] S_i(k-d)
                                      + sum_d lw_d A_ij(k-d) ],
and with e = t - a:  grad F = -2 sum e S,  Hess F = 2 sum (S_i S_j - e A_ij).
The gradient is computed by BPTT: g(k) = -2 e(k) + sum_d lw_d gn(k+d), gn(k) = f'(n(k)) g(k),
dF/dtheta_i = sum_k gn(k) x_i(k). Non-finite outputs (unstable weights) give non-finite
derivatives; nothing is clipped.
"""

import numpy as np
from numba import njit, prange

from .activations import (
    apply_transfer,
    transfer_derivative_from_output,
    transfer_second_derivative_from_output,
)

BATCH_CHUNK = 32


@njit(cache=True, error_model="numpy", inline="always")
def _past(a, a0, j):
    """a at array index j (j < 0: the initial outputs)."""
    return a[j] if j >= 0 else a0[-j - 1]


@njit(cache=True, error_model="numpy", inline="always")
def _net_input(theta, p, a0, delays, n_fb, has_bias, a, k):
    n_in = delays.shape[0]
    n = theta[n_in + n_fb] if has_bias else 0.0
    for i in range(n_in):
        j = k - delays[i]
        if j >= 0:
            n += theta[i] * p[j]
    for d in range(1, n_fb + 1):
        n += theta[n_in + d - 1] * _past(a, a0, k - d)
    return n


@njit(cache=True, error_model="numpy", inline="always")
def _direct(p, a0, delays, n_fb, has_bias, a, k, x):
    """x_i(k): what theta_i multiplies in n(k)."""
    n_in = delays.shape[0]
    for i in range(n_in):
        j = k - delays[i]
        x[i] = p[j] if j >= 0 else 0.0
    for d in range(1, n_fb + 1):
        x[n_in + d - 1] = _past(a, a0, k - d)
    if has_bias:
        x[n_in + n_fb] = 1.0


@njit(cache=True, error_model="numpy")
def _sequence_gradient(theta, p, t, a0, delays, n_fb, has_bias, code, a, f1, gn, x, grad):
    """Add the BPTT gradient of one sequence's SSE to ``grad``."""
    T = p.shape[0]
    n_in = delays.shape[0]
    P = theta.shape[0]
    for k in range(T):
        a[k] = apply_transfer(code, _net_input(theta, p, a0, delays, n_fb, has_bias, a, k))
        f1[k] = transfer_derivative_from_output(code, a[k])
    for k in range(T - 1, -1, -1):
        g = -2.0 * (t[k] - a[k])
        for d in range(1, n_fb + 1):
            if k + d < T:
                g += theta[n_in + d - 1] * gn[k + d]
        gn[k] = f1[k] * g
        _direct(p, a0, delays, n_fb, has_bias, a, k, x)
        for i in range(P):
            grad[i] += gn[k] * x[i]


@njit(cache=True, error_model="numpy")
def _sequence_sensitivities(theta, p, a0, delays, n_fb, has_bias, code, second, a, S, A, x):
    """Outputs a, first sensitivities S (T, P) and, when ``second``, A (T, P, P)."""
    T = p.shape[0]
    n_in = delays.shape[0]
    P = theta.shape[0]
    for k in range(T):
        ak = apply_transfer(code, _net_input(theta, p, a0, delays, n_fb, has_bias, a, k))
        a[k] = ak
        f1 = transfer_derivative_from_output(code, ak)
        _direct(p, a0, delays, n_fb, has_bias, a, k, x)
        for d in range(1, n_fb + 1):
            j = k - d
            if j >= 0:
                w = theta[n_in + d - 1]
                for i in range(P):
                    x[i] += w * S[j, i]
        for i in range(P):
            S[k, i] = f1 * x[i]
        if second:
            f2 = transfer_second_derivative_from_output(code, ak)
            for i in range(P):
                for q in range(i, P):
                    sn = 0.0
                    for d in range(1, n_fb + 1):
                        j = k - d
                        if j >= 0:
                            li = n_in + d - 1
                            if i == li:
                                sn += S[j, q]
                            if q == li:
                                sn += S[j, i]
                            sn += theta[li] * A[j, i, q]
                    v = f2 * x[i] * x[q] + f1 * sn
                    A[k, i, q] = v
                    A[k, q, i] = v


@njit(cache=True, error_model="numpy")
def _gradient_into(theta, p, t, a0, delays, n_fb, has_bias, code, a, f1, gn, x, grad):
    grad[:] = 0.0
    for s in range(p.shape[0]):
        _sequence_gradient(theta, p[s], t[s], a0[s], delays, n_fb, has_bias, code, a, f1, gn,
                           x, grad)


@njit(cache=True, error_model="numpy")
def _hessian_into(theta, p, t, a0, delays, n_fb, has_bias, code, a, S, A, x, H):
    P = theta.shape[0]
    H[:, :] = 0.0
    for s in range(p.shape[0]):
        _sequence_sensitivities(theta, p[s], a0[s], delays, n_fb, has_bias, code, True, a, S,
                                A, x)
        for k in range(p.shape[1]):
            e = t[s, k] - a[k]
            for i in range(P):
                for q in range(P):
                    H[i, q] += 2.0 * (S[k, i] * S[k, q] - e * A[k, i, q])


@njit(cache=True, error_model="numpy")
def sse_gradient(theta, p, t, a0, delays, n_fb, has_bias, code):
    """Gradient of the SSE by BPTT, shape (P,)."""
    T = p.shape[1]
    grad = np.empty(theta.shape[0])
    _gradient_into(theta, p, t, a0, delays, n_fb, has_bias, code, np.empty(T), np.empty(T),
                   np.empty(T), np.empty(theta.shape[0]), grad)
    return grad


@njit(cache=True, error_model="numpy")
def residual_jacobian(theta, p, t, a0, delays, n_fb, has_bias, code):
    """Jacobian of the residuals e = t - a by RTRL, shape (n_seq * T, P), sequence-major."""
    n_seq, T = p.shape
    P = theta.shape[0]
    J = np.empty((n_seq * T, P))
    a = np.empty(T)
    S = np.empty((T, P))
    A = np.empty((1, 1, 1))
    x = np.empty(P)
    for s in range(n_seq):
        _sequence_sensitivities(theta, p[s], a0[s], delays, n_fb, has_bias, code, False, a, S,
                                A, x)
        for k in range(T):
            for i in range(P):
                J[s * T + k, i] = -S[k, i]
    return J


@njit(cache=True, error_model="numpy")
def sse_hessian(theta, p, t, a0, delays, n_fb, has_bias, code):
    """Exact Hessian of the SSE by second-order forward sensitivities, shape (P, P)."""
    T = p.shape[1]
    P = theta.shape[0]
    H = np.empty((P, P))
    _hessian_into(theta, p, t, a0, delays, n_fb, has_bias, code, np.empty(T),
                  np.empty((T, P)), np.empty((T, P, P)), np.empty(P), H)
    return H


@njit(cache=True, error_model="numpy", parallel=True)
def sse_gradient_batch(thetas, p, t, a0, delays, n_fb, has_bias, code):
    """Gradient at each row of ``thetas`` (m, P), in parallel; shape (m, P)."""
    m, P = thetas.shape
    T = p.shape[1]
    out = np.empty((m, P))
    for c in prange((m + BATCH_CHUNK - 1) // BATCH_CHUNK):
        a = np.empty(T)
        f1 = np.empty(T)
        gn = np.empty(T)
        x = np.empty(P)
        for r in range(c * BATCH_CHUNK, min((c + 1) * BATCH_CHUNK, m)):
            _gradient_into(thetas[r], p, t, a0, delays, n_fb, has_bias, code, a, f1, gn, x,
                           out[r])
    return out


@njit(cache=True, error_model="numpy", parallel=True)
def sse_hessian_batch(thetas, p, t, a0, delays, n_fb, has_bias, code):
    """Hessian at each row of ``thetas`` (m, P), in parallel; shape (m, P, P)."""
    m, P = thetas.shape
    T = p.shape[1]
    out = np.empty((m, P, P))
    for c in prange((m + BATCH_CHUNK - 1) // BATCH_CHUNK):
        a = np.empty(T)
        S = np.empty((T, P))
        A = np.empty((T, P, P))
        x = np.empty(P)
        for r in range(c * BATCH_CHUNK, min((c + 1) * BATCH_CHUNK, m)):
            _hessian_into(thetas[r], p, t, a0, delays, n_fb, has_bias, code, a, S, A, x,
                          out[r])
    return out

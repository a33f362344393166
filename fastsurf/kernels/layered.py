"""Kernels of the layered recurrent net (MATLAB layrecnet-like; Horn et al. 2009, §I Prelude).

a1(k) = tanh(IW p(k) + LW a1(k-1) + b1),  y(k) = LWout . a1(k) + b2,  a1(0) = 0.
theta = [IW (S), LW (S x S, row-major), b1 (S), LWout (S), b2]; p, t: (n_seq, T).

The gradient is BPTT, written for any numeric type so that the same kernel instantiated for
complex parameters gives the exact Hessian by the complex-step derivative of the gradient:
H[:, j] = Im grad(theta + i h e_j) / h with h = 1e-30 (no subtraction, so exact to rounding).
"""

import cmath

import numpy as np
from numba import njit, prange


@njit(cache=True, error_model="numpy", inline="always")
def _tanh(x):
    return cmath.tanh(x) if isinstance(x, complex) else np.tanh(x)


@njit(cache=True, error_model="numpy")
def _forward(theta, p, S, a1):
    """Hidden states a1 (T, S) and outputs y (T,) of one sequence."""
    T = p.shape[0]
    lw0, b10, lo0 = S, S + S * S, 2 * S + S * S
    b2 = theta[3 * S + S * S]
    y = np.empty(T, dtype=a1.dtype)
    for k in range(T):
        for i in range(S):
            n = theta[i] * p[k] + theta[b10 + i]
            if k > 0:
                for j in range(S):
                    n += theta[lw0 + i * S + j] * a1[k - 1, j]
            a1[k, i] = _tanh(n)
        out = b2
        for i in range(S):
            out += theta[lo0 + i] * a1[k, i]
        y[k] = out
    return y


@njit(cache=True, error_model="numpy")
def sse(theta, p, t, S):
    """SSE over all sequences (+inf when non-finite)."""
    total = 0.0
    a1 = np.empty((p.shape[1], S))
    for s in range(p.shape[0]):
        y = _forward(theta, p[s], S, a1)
        for k in range(p.shape[1]):
            e = t[s, k] - y[k]
            total += e * e
    return total if total == total else np.inf


@njit(cache=True, error_model="numpy", parallel=True)
def sse_batch(thetas, p, t, S):
    """SSE at each row of ``thetas``, in parallel."""
    out = np.empty(thetas.shape[0])
    for r in prange(thetas.shape[0]):
        out[r] = sse(thetas[r], p, t, S)
    return out


@njit(cache=True, error_model="numpy")
def simulate(theta, p, S):
    """Outputs y for every sequence, (n_seq, T)."""
    out = np.empty(p.shape)
    a1 = np.empty((p.shape[1], S))
    for s in range(p.shape[0]):
        out[s] = _forward(theta, p[s], S, a1)
    return out


@njit(cache=True, error_model="numpy")
def _gradient_into(theta, p, t, S, a1, dn, grad):
    """BPTT gradient of the SSE (any numeric type: float or complex buffers)."""
    T = p.shape[1]
    lw0, b10, lo0, b2i = S, S + S * S, 2 * S + S * S, 3 * S + S * S
    grad[:] = 0.0
    for s in range(p.shape[0]):
        y = _forward(theta, p[s], S, a1)
        for k in range(T - 1, -1, -1):
            dy = -2.0 * (t[s, k] - y[k])
            grad[b2i] += dy
            for i in range(S):
                grad[lo0 + i] += dy * a1[k, i]
                # d a1(k)_i: from the output now and from n1(k+1) through LW
                da = theta[lo0 + i] * dy
                if k + 1 < T:
                    for q in range(S):
                        da += theta[lw0 + q * S + i] * dn[k + 1, q]
                dn[k, i] = (1.0 - a1[k, i] * a1[k, i]) * da
            for i in range(S):
                grad[i] += dn[k, i] * p[s, k]
                grad[b10 + i] += dn[k, i]
                if k > 0:
                    for j in range(S):
                        grad[lw0 + i * S + j] += dn[k, i] * a1[k - 1, j]


@njit(cache=True, error_model="numpy")
def sse_gradient(theta, p, t, S):
    """Gradient of the SSE by BPTT, (P,)."""
    T = p.shape[1]
    grad = np.empty(theta.shape[0])
    _gradient_into(theta, p, t, S, np.empty((T, S)), np.empty((T, S)), grad)
    return grad


@njit(cache=True, error_model="numpy")
def residual_jacobian(theta, p, t, S):
    """Jacobian of the residuals e = t - y by RTRL, (n_seq * T, P), sequence-major."""
    n_seq, T = p.shape
    P = theta.shape[0]
    lw0, b10, lo0, b2i = S, S + S * S, 2 * S + S * S, 3 * S + S * S
    J = np.zeros((n_seq * T, P))
    a1 = np.empty((T, S))
    da = np.zeros((S, P))       # d a1(k-1) / d theta
    dn = np.empty((S, P))
    for s in range(n_seq):
        _forward(theta, p[s], S, a1)
        da[:, :] = 0.0
        for k in range(T):
            for i in range(S):
                for c in range(P):
                    v = 0.0
                    for j in range(S):
                        v += theta[lw0 + i * S + j] * da[j, c]
                    dn[i, c] = v
                dn[i, i] += p[s, k]
                dn[i, b10 + i] += 1.0
                if k > 0:
                    for j in range(S):
                        dn[i, lw0 + i * S + j] += a1[k - 1, j]
            row = s * T + k
            for i in range(S):
                g = 1.0 - a1[k, i] * a1[k, i]
                for c in range(P):
                    da[i, c] = g * dn[i, c]
                    J[row, c] -= theta[lo0 + i] * da[i, c]
                J[row, lo0 + i] -= a1[k, i]
            J[row, b2i] -= 1.0
    return J


@njit(cache=True, error_model="numpy", parallel=True)
def sse_hessian(theta, p, t, S):
    """Exact Hessian of the SSE: complex-step derivative of the BPTT gradient, columns in
    parallel."""
    P = theta.shape[0]
    T = p.shape[1]
    H = np.empty((P, P))
    h = 1e-30
    for j in prange(P):
        th = theta.astype(np.complex128)
        th[j] += 1j * h
        a1 = np.empty((T, S), dtype=np.complex128)
        dn = np.empty((T, S), dtype=np.complex128)
        g = np.empty(P, dtype=np.complex128)
        pc = p.astype(np.complex128)
        tc = t.astype(np.complex128)
        _gradient_into(th, pc, tc, S, a1, dn, g)
        for i in range(P):
            H[i, j] = g[i].imag / h
    # the columns are exact to rounding; averaging with the transpose makes H symmetric exactly
    return 0.5 * (H + H.T)

"""Kernels of the fully connected net (MLP) with a linear output layer.

Layout (DESIGN §3): layer by layer, W_l row-major (n_out, n_in), then b_l; ``w_off[l]`` and
``b_off[l]`` are the offsets of layer l's weights and biases in theta, ``u_off[l]`` the first row
of layer l's units in the unit buffers (rows 0..n0-1 hold the inputs). Samples run along the
second axis of every buffer (X is (d_in, n)), so the innermost loops are over samples.
Hidden activation codes: 0 relu, 1 softplus_beta, 2 tanh, 3 logsig.

Derivatives: backprop for the gradient and the Jacobian; the exact Hessian of the SSE is
2 J^T J - 2 sum_s e_s Hess(yhat_s), whose second term is computed column by column with
Pearlmutter's R-operator (forward-over-backward) on phi(theta) = sum_s e_s yhat_s.
"""

import math

import numpy as np
from numba import njit, prange

from .activations import logsig, tanh

RELU, SOFTPLUS, TANH, LOGSIG = 0, 1, 2, 3


@njit(cache=True, error_model="numpy", inline="always")
def _act(code, beta, z):
    if code == RELU:
        return z if z > 0.0 else 0.0
    if code == SOFTPLUS:
        # stable: relu(z) + log1p(exp(-beta |z|)) / beta
        return (z if z > 0.0 else 0.0) + math.log1p(math.exp(-beta * abs(z))) / beta
    if code == TANH:
        return tanh(z)
    return logsig(z)


@njit(cache=True, error_model="numpy", inline="always")
def _act_d1(code, beta, z, h):
    """f'(z) given z and h = f(z)."""
    if code == RELU:
        return 1.0 if z > 0.0 else 0.0
    if code == SOFTPLUS:
        return logsig(beta * z)
    if code == TANH:
        return 1.0 - h * h
    return h * (1.0 - h)


@njit(cache=True, error_model="numpy", inline="always")
def _act_d2(code, beta, z, h):
    """f''(z) (0 for relu away from the kink)."""
    if code == RELU:
        return 0.0
    if code == SOFTPLUS:
        s = logsig(beta * z)
        return beta * s * (1.0 - s)
    if code == TANH:
        return -2.0 * h * (1.0 - h * h)
    return h * (1.0 - h) * (1.0 - 2.0 * h)


@njit(cache=True, error_model="numpy")
def forward(theta, X, widths, w_off, b_off, u_off, code, beta, Z, H):
    """Pre-activations Z and activations H of every unit (rows) for every sample (columns).
    Rows of layer 0 hold the inputs; the output layer is linear."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    for i in range(widths[0]):
        for s in range(n):
            H[i, s] = X[i, s]
            Z[i, s] = X[i, s]
    for l in range(1, L + 1):
        n_in, n_out = widths[l - 1], widths[l]
        for o in range(n_out):
            r = u_off[l] + o
            bo = theta[b_off[l] + o]
            for s in range(n):
                Z[r, s] = bo
            for i in range(n_in):
                w = theta[w_off[l] + o * n_in + i]
                src = u_off[l - 1] + i
                for s in range(n):
                    Z[r, s] += w * H[src, s]
            if l < L:
                for s in range(n):
                    H[r, s] = _act(code, beta, Z[r, s])
            else:
                for s in range(n):
                    H[r, s] = Z[r, s]


@njit(cache=True, error_model="numpy")
def _backward(theta, widths, w_off, b_off, u_off, code, beta, Z, H, G, out):
    """Given G rows of the output layer (dphi/dZ_L), backpropagate into G and accumulate
    dphi/dtheta into ``out`` (a P vector)."""
    L = widths.shape[0] - 1
    n = Z.shape[1]
    for l in range(L, 0, -1):
        n_in, n_out = widths[l - 1], widths[l]
        for o in range(n_out):
            r = u_off[l] + o
            acc = 0.0
            for s in range(n):
                acc += G[r, s]
            out[b_off[l] + o] += acc
            for i in range(n_in):
                src = u_off[l - 1] + i
                acc = 0.0
                for s in range(n):
                    acc += G[r, s] * H[src, s]
                out[w_off[l] + o * n_in + i] += acc
        if l > 1:
            for i in range(n_in):
                src = u_off[l - 1] + i
                for s in range(n):
                    G[src, s] = 0.0
                for o in range(n_out):
                    w = theta[w_off[l] + o * n_in + i]
                    r = u_off[l] + o
                    for s in range(n):
                        G[src, s] += w * G[r, s]
                for s in range(n):
                    G[src, s] *= _act_d1(code, beta, Z[src, s], H[src, s])


@njit(cache=True, error_model="numpy")
def sse(theta, X, Y, widths, w_off, b_off, u_off, code, beta):
    """Sum of squared errors over all samples and outputs."""
    rows = u_off[-1] + widths[-1]
    Z = np.empty((rows, X.shape[1]))
    H = np.empty((rows, X.shape[1]))
    forward(theta, X, widths, w_off, b_off, u_off, code, beta, Z, H)
    out0 = u_off[widths.shape[0] - 1]
    total = 0.0
    for o in range(widths[-1]):
        for s in range(X.shape[1]):
            e = Y[o, s] - H[out0 + o, s]
            total += e * e
    return total if total == total else np.inf


@njit(cache=True, error_model="numpy", parallel=True)
def sse_batch(thetas, X, Y, widths, w_off, b_off, u_off, code, beta):
    """SSE at each row of ``thetas``, in parallel over parameter vectors."""
    m = thetas.shape[0]
    out = np.empty(m)
    for r in prange(m):
        out[r] = sse(thetas[r], X, Y, widths, w_off, b_off, u_off, code, beta)
    return out


@njit(cache=True, error_model="numpy")
def sse_gradient(theta, X, Y, widths, w_off, b_off, u_off, code, beta):
    """Gradient of the SSE by backpropagation."""
    rows = u_off[-1] + widths[-1]
    n = X.shape[1]
    Z = np.empty((rows, n))
    H = np.empty((rows, n))
    G = np.zeros((rows, n))
    forward(theta, X, widths, w_off, b_off, u_off, code, beta, Z, H)
    out0 = u_off[widths.shape[0] - 1]
    for o in range(widths[-1]):
        for s in range(n):
            G[out0 + o, s] = -2.0 * (Y[o, s] - H[out0 + o, s])
    grad = np.zeros(theta.shape[0])
    _backward(theta, widths, w_off, b_off, u_off, code, beta, Z, H, G, grad)
    return grad


@njit(cache=True, error_model="numpy", parallel=True)
def sse_gradient_batch(thetas, X, Y, widths, w_off, b_off, u_off, code, beta):
    """Gradient at each row of ``thetas``, in parallel."""
    out = np.empty(thetas.shape)
    for r in prange(thetas.shape[0]):
        out[r] = sse_gradient(thetas[r], X, Y, widths, w_off, b_off, u_off, code, beta)
    return out


@njit(cache=True, error_model="numpy")
def output_jacobian(theta, X, widths, w_off, b_off, u_off, code, beta, Z, H, J):
    """J[s * d_out + o, :] = d yhat_{s,o} / d theta (per-sample backprop, one output at a
    time)."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    d_out = widths[L]
    rows = u_off[-1] + d_out
    forward(theta, X, widths, w_off, b_off, u_off, code, beta, Z, H)
    G = np.zeros((rows, n))
    J[:, :] = 0.0
    for target in range(d_out):
        G[:, :] = 0.0
        for s in range(n):
            G[u_off[L] + target, s] = 1.0
        for l in range(L, 0, -1):
            n_in, n_out = widths[l - 1], widths[l]
            for o in range(n_out):
                r = u_off[l] + o
                for s in range(n):
                    J[s * d_out + target, b_off[l] + o] = G[r, s]
                for i in range(n_in):
                    src = u_off[l - 1] + i
                    col = w_off[l] + o * n_in + i
                    for s in range(n):
                        J[s * d_out + target, col] = G[r, s] * H[src, s]
            if l > 1:
                for i in range(n_in):
                    src = u_off[l - 1] + i
                    for s in range(n):
                        G[src, s] = 0.0
                    for o in range(n_out):
                        w = theta[w_off[l] + o * n_in + i]
                        r = u_off[l] + o
                        for s in range(n):
                            G[src, s] += w * G[r, s]
                    for s in range(n):
                        G[src, s] *= _act_d1(code, beta, Z[src, s], H[src, s])


@njit(cache=True, error_model="numpy")
def _curvature_column(j, theta, widths, w_off, b_off, u_off, code, beta, Z, H, G,
                      RZ, RH, RG, col):
    """col = Hess(phi) e_j for phi = sum_s e[o, s] yhat[o, s] with e fixed (Pearlmutter's
    R-operator). Z, H: the forward pass; G: dphi/dZ from backpropagating phi."""
    L = widths.shape[0] - 1
    n = Z.shape[1]
    rows = Z.shape[0]
    for r in range(rows):
        for s in range(n):
            RZ[r, s] = 0.0
            RH[r, s] = 0.0
            RG[r, s] = 0.0
    # R-forward: R{Z_l} = R{W_l} H_{l-1} + W_l R{H_{l-1}} + R{b_l}
    for l in range(1, L + 1):
        n_in, n_out = widths[l - 1], widths[l]
        for o in range(n_out):
            r = u_off[l] + o
            if j == b_off[l] + o:
                for s in range(n):
                    RZ[r, s] += 1.0
            for i in range(n_in):
                src = u_off[l - 1] + i
                idx = w_off[l] + o * n_in + i
                if j == idx:
                    for s in range(n):
                        RZ[r, s] += H[src, s]
                if l > 1:
                    w = theta[idx]
                    for s in range(n):
                        RZ[r, s] += w * RH[src, s]
            if l < L:
                for s in range(n):
                    RH[r, s] = _act_d1(code, beta, Z[r, s], H[r, s]) * RZ[r, s]
            else:
                for s in range(n):
                    RH[r, s] = RZ[r, s]
    # R-backward: R{G_L} = 0 (phi is linear in yhat); for l = L..1 accumulate Hv and
    # R{G_{l-1}} = f''(Z) RZ * (W^T G) + f'(Z) (R{W}^T G + W^T R{G})
    for l in range(L, 0, -1):
        n_in, n_out = widths[l - 1], widths[l]
        for o in range(n_out):
            r = u_off[l] + o
            acc = 0.0
            for s in range(n):
                acc += RG[r, s]
            col[b_off[l] + o] = acc
            for i in range(n_in):
                src = u_off[l - 1] + i
                acc = 0.0
                for s in range(n):
                    acc += RG[r, s] * H[src, s] + G[r, s] * RH[src, s]
                col[w_off[l] + o * n_in + i] = acc
        if l > 1:
            for i in range(n_in):
                src = u_off[l - 1] + i
                for s in range(n):
                    wg = 0.0
                    rwg = 0.0
                    for o in range(n_out):
                        idx = w_off[l] + o * n_in + i
                        r = u_off[l] + o
                        wg += theta[idx] * G[r, s]
                        rwg += theta[idx] * RG[r, s]
                        if j == idx:
                            rwg += G[r, s]
                    d1 = _act_d1(code, beta, Z[src, s], H[src, s])
                    d2 = _act_d2(code, beta, Z[src, s], H[src, s])
                    RG[src, s] = d2 * RZ[src, s] * wg + d1 * rwg


@njit(cache=True, error_model="numpy", parallel=True)
def sse_hessian(theta, X, Y, widths, w_off, b_off, u_off, code, beta):
    """Exact Hessian of the SSE: 2 J^T J - 2 Hess(sum_s e_s yhat_s), columns in parallel."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    P = theta.shape[0]
    d_out = widths[L]
    rows = u_off[-1] + d_out
    Z = np.empty((rows, n))
    H = np.empty((rows, n))
    J = np.empty((n * d_out, P))
    output_jacobian(theta, X, widths, w_off, b_off, u_off, code, beta, Z, H, J)
    # G: backprop of phi = sum e * yhat with e held fixed
    G = np.zeros((rows, n))
    for o in range(d_out):
        for s in range(n):
            G[u_off[L] + o, s] = Y[o, s] - H[u_off[L] + o, s]
    tmp = np.zeros(P)
    _backward(theta, widths, w_off, b_off, u_off, code, beta, Z, H, G, tmp)
    out = 2.0 * (J.T @ J)
    for j in prange(P):
        RZ = np.empty((rows, n))
        RH = np.empty((rows, n))
        RG = np.empty((rows, n))
        col = np.empty(P)
        _curvature_column(j, theta, widths, w_off, b_off, u_off, code, beta, Z, H, G, RZ,
                          RH, RG, col)
        for i in range(P):
            out[i, j] -= 2.0 * col[i]
    return out

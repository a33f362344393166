"""Kernels of the fully connected net (MLP) with a linear output layer.

Layout (Gamst & Walker's K x N nets, §2): layer by layer, W_l row-major (n_out, n_in), then
b_l; ``w_off[l]`` and ``b_off[l]`` are the offsets of layer l's weights and biases in theta,
``u_off[l]`` the first row of layer l's units in the unit buffers (rows 0..n0-1 hold the
inputs). Samples run along the
second axis of every buffer (X is (d_in, n)), so the innermost loops are over samples.
Hidden activation codes: 0 relu, 1 softplus_beta, 2 tanh, 3 logsig.

Derivatives: backprop for the gradient and the Jacobian; the exact Hessian of the SSE is
2 J^T J - 2 sum_s e_s Hess(yhat_s), whose second term is computed column by column with
Pearlmutter's R-operator (forward-over-backward) on phi(theta) = sum_s e_s yhat_s.
"""

import numpy as np
from numba import njit, prange

from .activations import exp_nonpos, log1p_unit, logsig, tanh

RELU, SOFTPLUS, TANH, LOGSIG = 0, 1, 2, 3


@njit(cache=True, error_model="numpy", inline="always")
def _activate_row(code, beta, h, d1, d2, n):
    """In place h = f(z) for a row of pre-activations, with d1 = f'(z) and d2 = f''(z).

    The activation is chosen outside the sample loops so that each loop vectorizes."""
    if code == RELU:
        for s in range(n):
            z = h[s]
            pos = z > 0.0
            h[s] = z if pos else 0.0
            d1[s] = 1.0 if pos else 0.0
            d2[s] = 0.0
    elif code == SOFTPLUS:
        # relu(z) + log1p(exp(-beta |z|)) / beta; f' = logsig(beta z); f'' = beta f' (1 - f')
        for s in range(n):
            z = h[s]
            u = exp_nonpos(-beta * abs(z))
            h[s] = (z if z > 0.0 else 0.0) + log1p_unit(u) / beta
            sig = (1.0 if z >= 0.0 else u) / (1.0 + u)
            d1[s] = sig
            d2[s] = beta * sig * (1.0 - sig)
    elif code == TANH:
        for s in range(n):
            t = tanh(h[s])
            h[s] = t
            d1[s] = 1.0 - t * t
            d2[s] = -2.0 * t * (1.0 - t * t)
    else:
        for s in range(n):
            g = logsig(h[s])
            h[s] = g
            d1[s] = g * (1.0 - g)
            d2[s] = g * (1.0 - g) * (1.0 - 2.0 * g)


@njit(cache=True, error_model="numpy")
def forward(theta, X, widths, w_off, b_off, u_off, code, beta, H, D1, D2):
    """Activations H of every unit (rows) for every sample (columns), and the activation's
    first and second derivatives D1, D2 at the hidden units. Rows of layer 0 hold the inputs;
    the output layer is linear."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    for i in range(widths[0]):
        for s in range(n):
            H[i, s] = X[i, s]
    for l in range(1, L + 1):
        n_in, n_out = widths[l - 1], widths[l]
        for o in range(n_out):
            r = u_off[l] + o
            bo = theta[b_off[l] + o]
            for s in range(n):
                H[r, s] = bo
            for i in range(n_in):
                w = theta[w_off[l] + o * n_in + i]
                src = u_off[l - 1] + i
                for s in range(n):
                    H[r, s] += w * H[src, s]
            if l < L:
                _activate_row(code, beta, H[r], D1[r], D2[r], n)


@njit(cache=True, error_model="numpy")
def forward_pass(theta, X, widths, w_off, b_off, u_off, code, beta):
    """:func:`forward` into new buffers: (H, D1, D2), each (units, samples)."""
    rows = u_off[-1] + widths[-1]
    n = X.shape[1]
    H = np.empty((rows, n))
    D1 = np.empty((rows, n))
    D2 = np.empty((rows, n))
    forward(theta, X, widths, w_off, b_off, u_off, code, beta, H, D1, D2)
    return H, D1, D2


@njit(cache=True, error_model="numpy", inline="always")
def _propagate(theta, widths, w_off, u_off, l, D1, G, WG):
    """dphi/dz of layer l - 1 from layer l: WG = W_l^T G_l, then G_{l-1} = f'(z) WG."""
    n_in, n_out = widths[l - 1], widths[l]
    n = G.shape[1]
    for i in range(n_in):
        src = u_off[l - 1] + i
        for s in range(n):
            WG[src, s] = 0.0
        for o in range(n_out):
            w = theta[w_off[l] + o * n_in + i]
            r = u_off[l] + o
            for s in range(n):
                WG[src, s] += w * G[r, s]
        for s in range(n):
            G[src, s] = D1[src, s] * WG[src, s]


@njit(cache=True, error_model="numpy")
def _backward(theta, widths, w_off, b_off, u_off, H, D1, G, WG, out):
    """Backpropagate G (rows of the output layer hold dphi/dyhat) through the net: fills G
    (dphi/dz) and WG (W^T G before the activation derivative) for the hidden layers and adds
    dphi/dtheta to ``out``."""
    L = widths.shape[0] - 1
    n = H.shape[1]
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
            _propagate(theta, widths, w_off, u_off, l, D1, G, WG)


@njit(cache=True, error_model="numpy")
def sse(theta, X, Y, widths, w_off, b_off, u_off, code, beta):
    """Sum of squared errors over all samples and outputs (+inf if non-finite)."""
    H, _, _ = forward_pass(theta, X, widths, w_off, b_off, u_off, code, beta)
    n = H.shape[1]
    out0 = u_off[widths.shape[0] - 1]
    total = 0.0
    for o in range(widths[-1]):
        for s in range(n):
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
    H, D1, _ = forward_pass(theta, X, widths, w_off, b_off, u_off, code, beta)
    rows, n = H.shape
    G = np.empty((rows, n))
    out0 = u_off[widths.shape[0] - 1]
    for o in range(widths[-1]):
        for s in range(n):
            G[out0 + o, s] = -2.0 * (Y[o, s] - H[out0 + o, s])
    grad = np.zeros(theta.shape[0])
    _backward(theta, widths, w_off, b_off, u_off, H, D1, G, np.empty((rows, n)), grad)
    return grad


@njit(cache=True, error_model="numpy", parallel=True)
def sse_gradient_batch(thetas, X, Y, widths, w_off, b_off, u_off, code, beta):
    """Gradient at each row of ``thetas``, in parallel."""
    out = np.empty(thetas.shape)
    for r in prange(thetas.shape[0]):
        out[r] = sse_gradient(thetas[r], X, Y, widths, w_off, b_off, u_off, code, beta)
    return out


@njit(cache=True, error_model="numpy")
def output_jacobian(theta, X, widths, w_off, b_off, u_off, code, beta, J):
    """J[s * d_out + o, :] = d yhat_{s,o} / d theta (per-sample backprop, one output at a
    time)."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    d_out = widths[L]
    rows = u_off[-1] + d_out
    H, D1, D2 = forward_pass(theta, X, widths, w_off, b_off, u_off, code, beta)
    G = np.zeros((rows, n))
    WG = np.empty((rows, n))
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
                _propagate(theta, widths, w_off, u_off, l, D1, G, WG)


@njit(cache=True, error_model="numpy")
def _curvature_column(j, theta, widths, w_off, b_off, u_off, H, D1, D2, G, WG, RZ, RH, RG,
                      acc, col):
    """col = Hess(phi) e_j for phi = sum_s e[o, s] yhat[o, s] with e fixed (Pearlmutter's
    R-operator). H, D1, D2: the forward pass; G, WG: backprop of phi."""
    L = widths.shape[0] - 1
    n = H.shape[1]
    # R-forward: R{z_l} = R{W_l} h_{l-1} + W_l R{h_{l-1}} + R{b_l};  R{h_l} = f'(z_l) R{z_l}
    for l in range(1, L + 1):
        n_in, n_out = widths[l - 1], widths[l]
        for o in range(n_out):
            r = u_off[l] + o
            bias_hit = 1.0 if j == b_off[l] + o else 0.0
            for s in range(n):
                RZ[r, s] = bias_hit
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
                    RH[r, s] = D1[r, s] * RZ[r, s]
    # R-backward: R{g_L} = 0 (phi is linear in yhat);
    # R{g_{l-1}} = f'' R{z} (W^T g) + f' (R{W}^T g + W^T R{g})
    for o in range(widths[L]):
        for s in range(n):
            RG[u_off[L] + o, s] = 0.0
    for l in range(L, 0, -1):
        n_in, n_out = widths[l - 1], widths[l]
        for o in range(n_out):
            r = u_off[l] + o
            t = 0.0
            for s in range(n):
                t += RG[r, s]
            col[b_off[l] + o] = t
            for i in range(n_in):
                src = u_off[l - 1] + i
                t = 0.0
                if l > 1:
                    for s in range(n):
                        t += RG[r, s] * H[src, s] + G[r, s] * RH[src, s]
                else:
                    for s in range(n):
                        t += RG[r, s] * H[src, s]
                col[w_off[l] + o * n_in + i] = t
        if l > 1:
            for i in range(n_in):
                src = u_off[l - 1] + i
                for s in range(n):
                    acc[s] = 0.0
                for o in range(n_out):
                    idx = w_off[l] + o * n_in + i
                    w = theta[idx]
                    r = u_off[l] + o
                    for s in range(n):
                        acc[s] += w * RG[r, s]
                    if j == idx:
                        for s in range(n):
                            acc[s] += G[r, s]
                for s in range(n):
                    RG[src, s] = D2[src, s] * RZ[src, s] * WG[src, s] + D1[src, s] * acc[s]


@njit(cache=True, error_model="numpy", parallel=True)
def sse_hessian(theta, X, Y, widths, w_off, b_off, u_off, code, beta):
    """Exact Hessian of the SSE: 2 J^T J - 2 Hess(sum_s e_s yhat_s), columns in parallel."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    P = theta.shape[0]
    d_out = widths[L]
    rows = u_off[-1] + d_out
    J = np.empty((n * d_out, P))
    output_jacobian(theta, X, widths, w_off, b_off, u_off, code, beta, J)
    H, D1, D2 = forward_pass(theta, X, widths, w_off, b_off, u_off, code, beta)
    G = np.empty((rows, n))
    for o in range(d_out):
        for s in range(n):
            G[u_off[L] + o, s] = Y[o, s] - H[u_off[L] + o, s]
    WG = np.zeros((rows, n))
    _backward(theta, widths, w_off, b_off, u_off, H, D1, G, WG, np.zeros(P))
    out = 2.0 * (J.T @ J)
    n_chunks = min(P, 8)
    for c in prange(n_chunks):
        RZ = np.empty((rows, n))
        RH = np.empty((rows, n))
        RG = np.empty((rows, n))
        acc = np.empty(n)
        col = np.empty(P)
        for j in range(c, P, n_chunks):
            _curvature_column(j, theta, widths, w_off, b_off, u_off, H, D1, D2, G, WG, RZ,
                              RH, RG, acc, col)
            for i in range(P):
                out[i, j] -= 2.0 * col[i]
    # the columns are exact to rounding; averaging with the transpose makes H symmetric exactly
    return 0.5 * (out + out.T)

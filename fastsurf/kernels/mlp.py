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

Classification (the outputs are logits z_s of C classes, labels y_s): the softmax cross-entropy
sum_s [logsumexp(z_s) - z_{s, y_s}] in the stable form (max shift, log1p of the off-max terms);
its gradient is backprop of p_s - onehot(y_s); its Gauss-Newton matrix
sum_s J_s^T (diag p_s - p_s p_s^T) J_s is built column by column in forward mode (R-forward to
the logits, multiply by the softmax Hessian, backprop) without any Jacobian; its exact Hessian
columns are the same R-forward followed by the R-backward with R{dL/dz} = (diag p - p p^T) R{z}.

Wide layers: the forward and backward passes of one parameter vector (``*_mixed``) take a
per-layer flag ``blas``; a flagged layer does its three products (W h, G h^T, W^T G) with
``np.dot`` (BLAS dgemm on contiguous row blocks of the unit buffers), the others with the loops.
:func:`blas_layers` chooses the flags from the crossover measured by ``bench/mlp_blas.py``
(a lower one for one parameter vector than for a batch). Kernels that run many parameter
vectors in parallel (``*_batch``) always use the loops.
"""

import math

import numpy as np
from numba import njit, prange

from .activations import exp_nonpos, log1p_unit, logsig, tanh

RELU, SOFTPLUS, TANH, LOGSIG = 0, 1, 2, 3

#: One parameter vector: layer l goes through BLAS when it does n_in * n_out * n_samples >=
#: BLAS_MIN_WORK multiply-adds, whatever its widths. Measured crossover (``python
#: bench/mlp_blas.py --layers``, one BLAS thread): below 2^11 multiply-adds BLAS is slower
#: than the loops on average (1.05-1.25x their time), from 2^12 faster in 94 % of the layer
#: shapes tried (0.90x), from 2^15 in all (0.64x; 0.49x at 2^17, 0.32x at 2^19).
BLAS_MIN_WORK = 1 << 12
#: Batches: loop-only nets run their parameter vectors in parallel (one per thread), a net
#: with a BLAS layer one after another, so a batch hands a layer to BLAS only when
#: n_in * n_out * n_samples >= BLAS_BATCH_MIN_WORK and both widths >= BLAS_MIN_WIDTH.
BLAS_BATCH_MIN_WORK = 1 << 17
BLAS_MIN_WIDTH = 8


def blas_layers(widths, n_samples: int, batch: bool = False) -> np.ndarray:
    """Per-layer BLAS flags (int64, index l = 1..L; index 0 unused) by the measured crossover:
    for one parameter vector layer l uses BLAS when ``widths[l-1] * widths[l] * n_samples >=
    BLAS_MIN_WORK``; for a batch (``batch=True``) when it is >= ``BLAS_BATCH_MIN_WORK`` and
    both widths are at least ``BLAS_MIN_WIDTH``."""
    flags = np.zeros(len(widths), dtype=np.int64)
    for l in range(1, len(widths)):
        n_in, n_out = int(widths[l - 1]), int(widths[l])
        work = n_in * n_out * int(n_samples)
        if batch:
            flags[l] = min(n_in, n_out) >= BLAS_MIN_WIDTH and work >= BLAS_BATCH_MIN_WORK
        else:
            flags[l] = work >= BLAS_MIN_WORK
    return flags


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


@njit(cache=True, error_model="numpy", inline="always")
def _layer_loops(theta, widths, w_off, b_off, u_off, code, beta, l, L, H, D1, D2):
    """Layer l by the loops: z = W_l h_{l-1} + b_l row by row, each row activated (hidden
    layers) while it is in cache."""
    n_in, n_out = widths[l - 1], widths[l]
    n = H.shape[1]
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
def _layer_blas(theta, widths, w_off, b_off, u_off, code, beta, l, L, H, D1, D2):
    """Layer l through BLAS: Z = W_l H_{l-1} (dgemm into the layer's row block), + b_l, then
    the activation row by row."""
    n_in, n_out = widths[l - 1], widths[l]
    n = H.shape[1]
    r0 = u_off[l]
    W = theta[w_off[l]:w_off[l] + n_out * n_in].reshape((n_out, n_in))
    np.dot(W, H[u_off[l - 1]:u_off[l - 1] + n_in], H[r0:r0 + n_out])
    for o in range(n_out):
        r = r0 + o
        bo = theta[b_off[l] + o]
        for s in range(n):
            H[r, s] += bo
        if l < L:
            _activate_row(code, beta, H[r], D1[r], D2[r], n)


@njit(cache=True, error_model="numpy")
def forward_mixed(theta, X, widths, w_off, b_off, u_off, code, beta, blas, H, D1, D2):
    """Activations H of every unit (rows) for every sample (columns), and the activation's
    first and second derivatives D1, D2 at the hidden units. Rows of layer 0 hold the inputs;
    the output layer is linear. Layer l goes through BLAS where ``blas[l]`` is nonzero."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    for i in range(widths[0]):
        for s in range(n):
            H[i, s] = X[i, s]
    for l in range(1, L + 1):
        if blas[l] != 0:
            _layer_blas(theta, widths, w_off, b_off, u_off, code, beta, l, L, H, D1, D2)
        else:
            _layer_loops(theta, widths, w_off, b_off, u_off, code, beta, l, L, H, D1, D2)


@njit(cache=True, error_model="numpy")
def forward(theta, X, widths, w_off, b_off, u_off, code, beta, H, D1, D2):
    """:func:`forward_mixed` with every layer on the loops."""
    forward_mixed(theta, X, widths, w_off, b_off, u_off, code, beta,
                  np.zeros(widths.shape[0], dtype=np.int64), H, D1, D2)


@njit(cache=True, error_model="numpy")
def forward_pass_mixed(theta, X, widths, w_off, b_off, u_off, code, beta, blas):
    """:func:`forward_mixed` into new buffers: (H, D1, D2), each (units, samples)."""
    rows = u_off[-1] + widths[-1]
    n = X.shape[1]
    H = np.empty((rows, n))
    D1 = np.empty((rows, n))
    D2 = np.empty((rows, n))
    forward_mixed(theta, X, widths, w_off, b_off, u_off, code, beta, blas, H, D1, D2)
    return H, D1, D2


@njit(cache=True, error_model="numpy")
def forward_pass(theta, X, widths, w_off, b_off, u_off, code, beta):
    """:func:`forward` into new buffers: (H, D1, D2), each (units, samples)."""
    return forward_pass_mixed(theta, X, widths, w_off, b_off, u_off, code, beta,
                              np.zeros(widths.shape[0], dtype=np.int64))


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


@njit(cache=True, error_model="numpy", inline="always")
def _layer_grad_loops(widths, w_off, b_off, u_off, l, H, G, out):
    """Adds dphi/db_l = sum_s G_l and dphi/dW_l = G_l H_{l-1}^T to ``out`` by the loops."""
    n_in, n_out = widths[l - 1], widths[l]
    n = H.shape[1]
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


@njit(cache=True, error_model="numpy")
def _layer_grad_blas(theta, widths, w_off, b_off, u_off, l, D1, H, G, WG, out):
    """Layer l of the backward pass through BLAS: dW = G_l H_{l-1}^T (added to ``out``) and,
    below the top of the net, WG_{l-1} = W_l^T G_l and G_{l-1} = f'(z) WG_{l-1}."""
    n_in, n_out = widths[l - 1], widths[l]
    n = H.shape[1]
    r0, i0 = u_off[l], u_off[l - 1]
    Gl = G[r0:r0 + n_out]
    dW = np.dot(Gl, H[i0:i0 + n_in].T)
    for o in range(n_out):
        acc = 0.0
        for s in range(n):
            acc += Gl[o, s]
        out[b_off[l] + o] += acc
        base = w_off[l] + o * n_in
        for i in range(n_in):
            out[base + i] += dW[o, i]
    if l > 1:
        W = theta[w_off[l]:w_off[l] + n_out * n_in].reshape((n_out, n_in))
        np.dot(W.T, Gl, WG[i0:i0 + n_in])
        for i in range(n_in):
            src = i0 + i
            for s in range(n):
                G[src, s] = D1[src, s] * WG[src, s]


@njit(cache=True, error_model="numpy")
def _backward_mixed(theta, widths, w_off, b_off, u_off, blas, H, D1, G, WG, out):
    """Backpropagate G (rows of the output layer hold dphi/dyhat) through the net: fills G
    (dphi/dz) and WG (W^T G before the activation derivative) for the hidden layers and adds
    dphi/dtheta to ``out``. Layer l goes through BLAS where ``blas[l]`` is nonzero."""
    L = widths.shape[0] - 1
    for l in range(L, 0, -1):
        if blas[l] != 0:
            _layer_grad_blas(theta, widths, w_off, b_off, u_off, l, D1, H, G, WG, out)
        else:
            _layer_grad_loops(widths, w_off, b_off, u_off, l, H, G, out)
            if l > 1:
                _propagate(theta, widths, w_off, u_off, l, D1, G, WG)


@njit(cache=True, error_model="numpy")
def _backward(theta, widths, w_off, b_off, u_off, H, D1, G, WG, out):
    """:func:`_backward_mixed` with every layer on the loops."""
    _backward_mixed(theta, widths, w_off, b_off, u_off,
                    np.zeros(widths.shape[0], dtype=np.int64), H, D1, G, WG, out)


@njit(cache=True, error_model="numpy")
def sse_mixed(theta, X, Y, widths, w_off, b_off, u_off, code, beta, blas):
    """Sum of squared errors over all samples and outputs (+inf if non-finite)."""
    H, _, _ = forward_pass_mixed(theta, X, widths, w_off, b_off, u_off, code, beta, blas)
    n = H.shape[1]
    out0 = u_off[widths.shape[0] - 1]
    total = 0.0
    for o in range(widths[-1]):
        for s in range(n):
            e = Y[o, s] - H[out0 + o, s]
            total += e * e
    return total if total == total else np.inf


@njit(cache=True, error_model="numpy")
def sse(theta, X, Y, widths, w_off, b_off, u_off, code, beta):
    """:func:`sse_mixed` on the loops."""
    return sse_mixed(theta, X, Y, widths, w_off, b_off, u_off, code, beta,
                     np.zeros(widths.shape[0], dtype=np.int64))


@njit(cache=True, error_model="numpy", parallel=True)
def sse_batch(thetas, X, Y, widths, w_off, b_off, u_off, code, beta):
    """SSE at each row of ``thetas``, in parallel over parameter vectors."""
    m = thetas.shape[0]
    out = np.empty(m)
    for r in prange(m):
        out[r] = sse(thetas[r], X, Y, widths, w_off, b_off, u_off, code, beta)
    return out


@njit(cache=True, error_model="numpy")
def sse_gradient_mixed(theta, X, Y, widths, w_off, b_off, u_off, code, beta, blas):
    """Gradient of the SSE by backpropagation."""
    H, D1, _ = forward_pass_mixed(theta, X, widths, w_off, b_off, u_off, code, beta, blas)
    rows, n = H.shape
    G = np.empty((rows, n))
    out0 = u_off[widths.shape[0] - 1]
    for o in range(widths[-1]):
        for s in range(n):
            G[out0 + o, s] = -2.0 * (Y[o, s] - H[out0 + o, s])
    grad = np.zeros(theta.shape[0])
    _backward_mixed(theta, widths, w_off, b_off, u_off, blas, H, D1, G, np.empty((rows, n)),
                    grad)
    return grad


@njit(cache=True, error_model="numpy")
def sse_gradient(theta, X, Y, widths, w_off, b_off, u_off, code, beta):
    """:func:`sse_gradient_mixed` on the loops."""
    return sse_gradient_mixed(theta, X, Y, widths, w_off, b_off, u_off, code, beta,
                              np.zeros(widths.shape[0], dtype=np.int64))


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
def _r_forward(j, theta, widths, w_off, b_off, u_off, H, D1, RZ, RH):
    """R-forward along e_j: R{z_l} = R{W_l} h_{l-1} + W_l R{h_{l-1}} + R{b_l} and
    R{h_l} = f'(z_l) R{z_l}; the output rows of RZ hold J e_j (forward mode, no Jacobian)."""
    L = widths.shape[0] - 1
    n = H.shape[1]
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


@njit(cache=True, error_model="numpy")
def _r_backward(j, theta, widths, w_off, b_off, u_off, H, D1, D2, G, WG, RZ, RH, RG, acc,
                col):
    """R-backward along e_j after :func:`_r_forward`, from R{dphi/dyhat} in the output rows
    of RG: R{g_{l-1}} = f'' R{z} (W^T g) + f' (R{W}^T g + W^T R{g}); col = Hess(phi) e_j.
    G, WG: backprop of phi."""
    L = widths.shape[0] - 1
    n = H.shape[1]
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


@njit(cache=True, error_model="numpy")
def _curvature_column(j, theta, widths, w_off, b_off, u_off, H, D1, D2, G, WG, RZ, RH, RG,
                      acc, col):
    """col = Hess(phi) e_j for phi = sum_s e[o, s] yhat[o, s] with e fixed (Pearlmutter's
    R-operator). H, D1, D2: the forward pass; G, WG: backprop of phi."""
    L = widths.shape[0] - 1
    n = H.shape[1]
    _r_forward(j, theta, widths, w_off, b_off, u_off, H, D1, RZ, RH)
    # phi is linear in yhat: R{g_L} = 0
    for o in range(widths[L]):
        for s in range(n):
            RG[u_off[L] + o, s] = 0.0
    _r_backward(j, theta, widths, w_off, b_off, u_off, H, D1, D2, G, WG, RZ, RH, RG, acc, col)


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


# --- classification: softmax cross-entropy and the 0-1 error ---------------------------------
@njit(cache=True, error_model="numpy")
def _softmax_xent(H, out0, C, labels, Pm):
    """Softmax probabilities of the logits in rows out0..out0+C-1 of H into Pm (C, n) and the
    summed cross-entropy sum_s [logsumexp(z_s) - z_{s, y_s}] (+inf if non-finite).

    Stable form: with m_s the largest logit (class k_s), logsumexp(z_s) = m_s + log1p(T_s),
    T_s = sum_{c != k_s} exp(z_{s,c} - m_s), so neither overflow nor the rounding of 1 + T_s
    limits a confident sample's loss (m_s - z_{s,y_s} + log1p(T_s))."""
    n = H.shape[1]
    m = np.empty(n)
    k = np.zeros(n, dtype=np.int64)
    T = np.zeros(n)
    check = 0.0
    for s in range(n):
        m[s] = H[out0, s]
    for c in range(C):
        for s in range(n):
            v = H[out0 + c, s]
            check += 0.0 * v                    # NaN when a logit is NaN or infinite
            if v > m[s]:
                m[s] = v
                k[s] = c
    for c in range(C):
        for s in range(n):
            e = exp_nonpos(H[out0 + c, s] - m[s])
            Pm[c, s] = e
            if c != k[s]:
                T[s] += e
    total = check
    for s in range(n):
        total += m[s] - H[out0 + labels[s], s] + math.log1p(T[s])
        T[s] = 1.0 / (1.0 + T[s])
    for c in range(C):
        for s in range(n):
            Pm[c, s] *= T[s]
    return total if total < np.inf else np.inf


@njit(cache=True, error_model="numpy")
def xent(theta, X, labels, widths, w_off, b_off, u_off, code, beta, blas):
    """Softmax cross-entropy summed over samples (+inf if the logits are not finite)."""
    H, _, _ = forward_pass_mixed(theta, X, widths, w_off, b_off, u_off, code, beta, blas)
    L = widths.shape[0] - 1
    return _softmax_xent(H, u_off[L], widths[L], labels, np.empty((widths[L], H.shape[1])))


@njit(cache=True, error_model="numpy", parallel=True)
def xent_batch(thetas, X, labels, widths, w_off, b_off, u_off, code, beta):
    """:func:`xent` at each row of ``thetas``, in parallel (loops only)."""
    m = thetas.shape[0]
    out = np.empty(m)
    none = np.zeros(widths.shape[0], dtype=np.int64)
    for r in prange(m):
        out[r] = xent(thetas[r], X, labels, widths, w_off, b_off, u_off, code, beta, none)
    return out


@njit(cache=True, error_model="numpy")
def xent_gradient(theta, X, labels, widths, w_off, b_off, u_off, code, beta, blas):
    """Gradient of the summed cross-entropy: backprop of p_s - onehot(y_s) from the logits
    (all NaN where the loss is not finite)."""
    H, D1, _ = forward_pass_mixed(theta, X, widths, w_off, b_off, u_off, code, beta, blas)
    L = widths.shape[0] - 1
    rows, n = H.shape
    out0, C = u_off[L], widths[L]
    G = np.empty((rows, n))
    total = _softmax_xent(H, out0, C, labels, G[out0:out0 + C])
    for s in range(n):
        G[out0 + labels[s], s] -= 1.0
    grad = np.zeros(theta.shape[0])
    if total < np.inf:
        _backward_mixed(theta, widths, w_off, b_off, u_off, blas, H, D1, G,
                        np.empty((rows, n)), grad)
    else:
        grad[:] = np.nan
    return grad


@njit(cache=True, error_model="numpy", parallel=True)
def xent_gradient_batch(thetas, X, labels, widths, w_off, b_off, u_off, code, beta):
    """:func:`xent_gradient` at each row of ``thetas``, in parallel (loops only)."""
    out = np.empty(thetas.shape)
    none = np.zeros(widths.shape[0], dtype=np.int64)
    for r in prange(thetas.shape[0]):
        out[r] = xent_gradient(thetas[r], X, labels, widths, w_off, b_off, u_off, code, beta,
                               none)
    return out


@njit(cache=True, error_model="numpy", inline="always")
def _softmax_hvp(Pm, RZ, out0, C, dst):
    """dst[out0 + c] = (diag p - p p^T) RZ[out0 + c]: the softmax cross-entropy's Hessian in
    the logits times their R-forward, sample by sample."""
    n = Pm.shape[1]
    for s in range(n):
        t = 0.0
        for c in range(C):
            t += Pm[c, s] * RZ[out0 + c, s]
        for c in range(C):
            dst[out0 + c, s] = Pm[c, s] * (RZ[out0 + c, s] - t)


@njit(cache=True, error_model="numpy", parallel=True)
def xent_gauss_newton(theta, X, labels, widths, w_off, b_off, u_off, code, beta):
    """Gauss-Newton matrix of the summed cross-entropy, sum_s J_s^T (diag p_s - p_s p_s^T) J_s,
    column by column in forward mode (R-forward to the logits, the softmax Hessian, backprop):
    no Jacobian is formed; columns in parallel; NaN where the loss is not finite."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    P = theta.shape[0]
    out0, C = u_off[L], widths[L]
    rows = out0 + C
    H, D1, _ = forward_pass(theta, X, widths, w_off, b_off, u_off, code, beta)
    Pm = np.empty((C, n))
    total = _softmax_xent(H, out0, C, labels, Pm)
    out = np.empty((P, P))
    if not total < np.inf:
        out[:, :] = np.nan
        return out
    n_chunks = min(P, 8)
    for c in prange(n_chunks):
        RZ = np.empty((rows, n))
        RH = np.empty((rows, n))
        G = np.empty((rows, n))
        WG = np.empty((rows, n))
        col = np.empty(P)
        for j in range(c, P, n_chunks):
            _r_forward(j, theta, widths, w_off, b_off, u_off, H, D1, RZ, RH)
            _softmax_hvp(Pm, RZ, out0, C, G)
            col[:] = 0.0
            _backward(theta, widths, w_off, b_off, u_off, H, D1, G, WG, col)
            for i in range(P):
                out[i, j] = col[i]
    # the columns are exact to rounding; averaging with the transpose makes it symmetric exactly
    return 0.5 * (out + out.T)


@njit(cache=True, error_model="numpy", parallel=True)
def xent_hessian(theta, X, labels, widths, w_off, b_off, u_off, code, beta):
    """Exact Hessian of the summed cross-entropy, column by column by forward-over-backward:
    R-forward, R{dL/dz} = (diag p - p p^T) R{z} at the logits, R-backward through the
    backprop of dL/dz = p - onehot(y). Columns in parallel; NaN where the loss is not finite."""
    L = widths.shape[0] - 1
    n = X.shape[1]
    P = theta.shape[0]
    out0, C = u_off[L], widths[L]
    rows = out0 + C
    H, D1, D2 = forward_pass(theta, X, widths, w_off, b_off, u_off, code, beta)
    Pm = np.empty((C, n))
    total = _softmax_xent(H, out0, C, labels, Pm)
    out = np.empty((P, P))
    if not total < np.inf:
        out[:, :] = np.nan
        return out
    G = np.empty((rows, n))
    for c in range(C):
        for s in range(n):
            G[out0 + c, s] = Pm[c, s]
    for s in range(n):
        G[out0 + labels[s], s] -= 1.0
    WG = np.zeros((rows, n))
    _backward(theta, widths, w_off, b_off, u_off, H, D1, G, WG, np.zeros(P))
    n_chunks = min(P, 8)
    for c in prange(n_chunks):
        RZ = np.empty((rows, n))
        RH = np.empty((rows, n))
        RG = np.empty((rows, n))
        acc = np.empty(n)
        col = np.empty(P)
        for j in range(c, P, n_chunks):
            _r_forward(j, theta, widths, w_off, b_off, u_off, H, D1, RZ, RH)
            _softmax_hvp(Pm, RZ, out0, C, RG)
            _r_backward(j, theta, widths, w_off, b_off, u_off, H, D1, D2, G, WG, RZ, RH, RG,
                        acc, col)
            for i in range(P):
                out[i, j] = col[i]
    return 0.5 * (out + out.T)


@njit(cache=True, error_model="numpy")
def n_errors(theta, X, labels, widths, w_off, b_off, u_off, code, beta, blas):
    """Samples whose label's logit is not strictly the largest (a tie or a NaN is an error)."""
    H, _, _ = forward_pass_mixed(theta, X, widths, w_off, b_off, u_off, code, beta, blas)
    L = widths.shape[0] - 1
    n = H.shape[1]
    out0 = u_off[L]
    zy = np.empty(n)
    ok = np.ones(n, dtype=np.bool_)
    for s in range(n):
        zy[s] = H[out0 + labels[s], s]
    for c in range(widths[L]):
        for s in range(n):
            if c != labels[s] and not zy[s] > H[out0 + c, s]:
                ok[s] = False
    count = 0
    for s in range(n):
        if not ok[s]:
            count += 1
    return count


@njit(cache=True, error_model="numpy", parallel=True)
def n_errors_batch(thetas, X, labels, widths, w_off, b_off, u_off, code, beta):
    """:func:`n_errors` at each row of ``thetas``, in parallel (loops only)."""
    m = thetas.shape[0]
    out = np.empty(m, dtype=np.int64)
    none = np.zeros(widths.shape[0], dtype=np.int64)
    for r in prange(m):
        out[r] = n_errors(thetas[r], X, labels, widths, w_off, b_off, u_off, code, beta, none)
    return out

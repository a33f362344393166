"""Many full-batch training runs of an MLP advancing together in SIMD lanes: gradient descent
with heavy-ball momentum (Polyak 1964) and Adadelta (Zeiler 2012).

Each run is exactly the single-run trainer (``train.gd`` / ``train.adadelta`` with
``max_iter=steps``) on ``scale`` x the SSE of :mod:`fastsurf.kernels.mlp`, with the same bits
(as the loop kernels, ``MLP(..., blas=False)``):

- gradient descent:  v = momentum v - lr g;  theta += v
- Adadelta:          eg = rho eg + (1 - rho) g^2;  d = -sqrt(ed + eps) / sqrt(eg + eps) g;
                     ed = rho ed + (1 - rho) d^2;  theta += lr d

Layout. ``LANES`` runs form a block. Every buffer of a block is flat with the lanes innermost:
parameter p of lane k at ``p * LANES + k``, unit u of sample s (of the current chunk of
``CHUNK`` samples) at ``u * ROW + s * LANES + k``. Every inner loop runs over the lanes and
does the same arithmetic in each, so it vectorizes without reordering any lane's operations.
The indices are unsigned (Numba then emits no negative-index wraparound, which stops the
vectorizer) and the strides compile-time constants (LLVM then knows the distances between the
streams of one buffer); the same tiles with 2-D signed indexing ran at half the speed or less.
Blocks are shared out among the threads (``prange``); lanes never mix, so a run's bits do not
depend on the block, the lane, the threads or which runs share its block.

Register tiles. A forward sum z = b + sum_i w_i h_i and a back-propagated sum
g_i = f'(z_i) (0 + sum_o w_oi g_o) of five terms (Gamst & Walker's width) is one register tile
(``_dot5``: the five weights loaded once for DOT_STILE samples, the bias or 0 as the start, the
ReLU or f'(z) applied before the one store); other counts go five and one term at a time through
memory. The gradient sums sum_s g_s h_s take STILE samples of five parameters at a time in
registers (``_grad5``). Every sum keeps the order of ``mlp.forward``, ``mlp._propagate``,
``mlp._backward`` (the samples 0..n-1 in order, across the chunks) and ``mlp.sse``; a multiply
and an add are rounded separately (no FMA contraction, Numba's default), as in the single-run
kernels. So the loss and the gradient of every lane are bit for bit those of ``Problem.loss``
and ``Problem.gradient``. For ReLU, f'(z) is read off the stored activation (h > 0 exactly
where z > 0, the value ``mlp._activate_row`` stores) instead of being stored.

Every step evaluates the loss and the gradient at the lane's current theta (the loss comes
from the residuals the gradient needs anyway), then stops the lane or updates it. A lane stops

- with ``NONFINITE_START`` when the loss at its start is not finite (theta = the start);
- with ``DIVERGED`` when the loss becomes non-finite: it keeps its last theta of finite loss;
- with ``LOSS_GOAL`` when loss <= goal, with ``GRADIENT`` when |g| <= gtol;
- with ``MAX_ITER`` after ``steps`` updates.

A stopped lane is still computed with its block (its results are no longer updated); a block
whose lanes have all stopped ends early.
"""

import math

import numba
import numpy as np
from numba import njit, prange

from .mlp import RELU, _activate_row

GD, ADADELTA = 0, 1
#: Method codes by name.
METHODS = {"adadelta": ADADELTA, "gd": GD}
MAX_ITER, LOSS_GOAL, GRADIENT, DIVERGED, NONFINITE_START = 0, 1, 2, 3, 4
#: Reason names by code, the strings of :class:`fastsurf.train.TrainResult`.
REASONS = ("max_iter", "loss goal", "gradient", "diverged", "non-finite start")
#: Runs advanced together as SIMD lanes (one block).
LANES = 64
#: Samples per forward/backward chunk (small, so that the rows a layer reads and writes stay in
#: L1; with 64 lanes and 4 samples this measured fastest, against 8 or 16 samples and 32 or 128
#: lanes, on the 2-core Zen 4 development machine).
CHUNK = 4
#: Samples of a gradient register tile (CHUNK is a multiple of it).
STILE = 4
#: Samples of a forward / back-propagation register tile.
DOT_STILE = 4

# unsigned forms of the layout constants (index arithmetic stays unsigned)
_UL = np.uint64(LANES)
_ROW = np.uint64(CHUNK * LANES)
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U2 = np.uint64(2)
_U3 = np.uint64(3)
_U4 = np.uint64(4)
_U5 = np.uint64(5)
_UST = np.uint64(STILE)
_UDST = np.uint64(DOT_STILE)
_UCHUNK = np.uint64(CHUNK)


@njit(cache=True, error_model="numpy", inline="always")
def _finish(fin, a, D, ia):
    """The end of a sum: a (fin 0), f'(z) a with f'(z) = D[ia] (1) or, for ReLU, 1 where the
    activation D[ia] > 0 else 0 (2, the value ``mlp._activate_row`` stores), or relu(a) (3)."""
    if fin == 1:
        return D[ia] * a
    if fin == 2:
        return (1.0 if D[ia] > 0.0 else 0.0) * a
    if fin == 3:
        return a if a > 0.0 else 0.0
    return a


@njit(cache=True, error_model="numpy", inline="always")
def _start(start, A, ia, TH, ib):
    """The start of a sum: A[ia] (start 0), the bias TH[ib] (1) or 0.0 (2)."""
    if start == 0:
        return A[ia]
    if start == 1:
        return TH[ib]
    return 0.0


@njit(cache=True, error_model="numpy", inline="always")
def _dot5(ST, start, fin, nl, A, ab, TH, tb, ts, bias, B, bb, D):
    """A[ab + t LANES + k] = F(a + sum_q TH[tb + q ts + k] B[bb + q ROW + t LANES + k]) for
    q = 0..4 in order and ST samples t: each lane's sum in a register, the weights loaded once
    for the ST samples (start a and F: :func:`_start`, :func:`_finish`)."""
    for k in range(nl):
        w0 = TH[tb + k]
        w1 = TH[tb + ts + k]
        w2 = TH[tb + _U2 * ts + k]
        w3 = TH[tb + _U3 * ts + k]
        w4 = TH[tb + _U4 * ts + k]
        for t in range(ST):
            ia = ab + t * _UL + k
            ib = bb + t * _UL + k
            a = _start(start, A, ia, TH, bias + k)
            a += w0 * B[ib]
            a += w1 * B[ib + _ROW]
            a += w2 * B[ib + _U2 * _ROW]
            a += w3 * B[ib + _U3 * _ROW]
            a += w4 * B[ib + _U4 * _ROW]
            A[ia] = _finish(fin, a, D, ia)


@njit(cache=True, error_model="numpy", inline="always")
def _dot1(ST, start, nl, A, ab, TH, tb, bias, B, bb):
    """A[ab + t LANES + k] = a + TH[tb + k] B[bb + t LANES + k] for ST samples t."""
    for k in range(nl):
        w0 = TH[tb + k]
        for t in range(ST):
            ia = ab + t * _UL + k
            A[ia] = _start(start, A, ia, TH, bias + k) + w0 * B[bb + t * _UL + k]


@njit(cache=True, error_model="numpy", inline="always")
def _dot_rest(start, fin, nl, s0, cnt, A, ab, TH, tb, ts, bias, B, bb, D, n_terms):
    """The sums of :func:`_dot` for samples s0..cnt-1 (fewer than a tile), plain loops."""
    for s in range(s0, cnt):
        for k in range(nl):
            ia = ab + s * _UL + k
            ib = bb + s * _UL + k
            a = _start(start, A, ia, TH, bias + k)
            for q in range(n_terms):
                a += TH[tb + q * ts + k] * B[ib + q * _ROW]
            A[ia] = _finish(fin, a, D, ia)


@njit(cache=True, error_model="numpy", inline="always")
def _dot(start, fin, nl, cnt, A, ab, TH, tb, ts, bias, B, bb, D, n_terms):
    """A[ab + s LANES + k] = F(a + sum_q TH[tb + q ts + k] B[bb + q ROW + s LANES + k]) for
    q = 0..n_terms-1 in order and the chunk's samples s (start a and F: :func:`_start`,
    :func:`_finish`): the sums of ``mlp.forward`` (start: the bias) and ``mlp._propagate``
    (start: 0, F: f'(z)). Five terms take one register tile; other counts take tiles of five
    and of one, the partial sums through A."""
    full = cnt - cnt % _UDST
    if n_terms == _U5:
        s = _U0
        while s < full:
            _dot5(_UDST, start, fin, nl, A, ab + s * _UL, TH, tb, ts, bias, B, bb + s * _UL,
                  D)
            s += _UDST
    else:
        q = _U1
        s = _U0
        if n_terms >= _U5:
            q = _U5
            while s < full:
                _dot5(_UDST, start, 0, nl, A, ab + s * _UL, TH, tb, ts, bias, B, bb + s * _UL,
                      D)
                s += _UDST
        else:
            while s < full:
                _dot1(_UDST, start, nl, A, ab + s * _UL, TH, tb, bias, B, bb + s * _UL)
                s += _UDST
        while q < n_terms:
            s = _U0
            if q + _U5 <= n_terms:
                while s < full:
                    _dot5(_UDST, 0, 0, nl, A, ab + s * _UL, TH, tb + q * ts, ts, bias, B,
                          bb + q * _ROW + s * _UL, D)
                    s += _UDST
                q += _U5
            else:
                while s < full:
                    _dot1(_UDST, 0, nl, A, ab + s * _UL, TH, tb + q * ts, bias, B,
                          bb + q * _ROW + s * _UL)
                    s += _UDST
                q += _U1
        if fin != 0:
            for s in range(full):
                for k in range(nl):
                    j = ab + s * _UL + k
                    A[j] = _finish(fin, A[j], D, j)
    _dot_rest(start, fin, nl, full, cnt, A, ab, TH, tb, ts, bias, B, bb, D, n_terms)


@njit(cache=True, error_model="numpy", inline="always")
def _grad5(ST, nl, GA, gab, G, gb, H, hb):
    """GA[gab + q LANES + k] += G[gb + t LANES + k] H[hb + q ROW + t LANES + k] over ST samples
    t in order, q = 0..4: five sums in registers."""
    for k in range(nl):
        a0 = GA[gab + k]
        a1 = GA[gab + _UL + k]
        a2 = GA[gab + _U2 * _UL + k]
        a3 = GA[gab + _U3 * _UL + k]
        a4 = GA[gab + _U4 * _UL + k]
        for t in range(ST):
            g = G[gb + t * _UL + k]
            ih = hb + t * _UL + k
            a0 += g * H[ih]
            a1 += g * H[ih + _ROW]
            a2 += g * H[ih + _U2 * _ROW]
            a3 += g * H[ih + _U3 * _ROW]
            a4 += g * H[ih + _U4 * _ROW]
        GA[gab + k] = a0
        GA[gab + _UL + k] = a1
        GA[gab + _U2 * _UL + k] = a2
        GA[gab + _U3 * _UL + k] = a3
        GA[gab + _U4 * _UL + k] = a4


@njit(cache=True, error_model="numpy", inline="always")
def _grad1(ST, nl, GA, gab, G, gb, H, hb, bias):
    """GA[gab + k] += G[gb + t LANES + k] H[hb + t LANES + k] (G alone for a ``bias``) over ST
    samples t in order."""
    for k in range(nl):
        a0 = GA[gab + k]
        for t in range(ST):
            if bias:
                a0 += G[gb + t * _UL + k]
            else:
                a0 += G[gb + t * _UL + k] * H[hb + t * _UL + k]
        GA[gab + k] = a0


@njit(cache=True, error_model="numpy", inline="always")
def _grad_rest(nl, s0, cnt, GA, gab, G, gb, H, hb, n_terms, bias):
    """The sums of :func:`_grad` (or of a bias) for samples s0..cnt-1, plain loops."""
    for q in range(n_terms):
        for k in range(nl):
            a = GA[gab + q * _UL + k]
            for s in range(s0, cnt):
                if bias:
                    a += G[gb + s * _UL + k]
                else:
                    a += G[gb + s * _UL + k] * H[hb + q * _ROW + s * _UL + k]
            GA[gab + q * _UL + k] = a


@njit(cache=True, error_model="numpy", inline="always")
def _grad(nl, cnt, GA, gab, G, gb, H, hb, n_terms):
    """GA[gab + q LANES + k] += sum_s G[gb + s LANES + k] H[hb + q ROW + s LANES + k] over the
    chunk's samples in order, q = 0..n_terms-1 (tiles of five parameters, then of one)."""
    full = cnt - cnt % _UST
    q = _U0
    while q < n_terms:
        s = _U0
        if q + _U5 <= n_terms:
            while s < full:
                _grad5(_UST, nl, GA, gab + q * _UL, G, gb + s * _UL, H, hb + q * _ROW + s * _UL)
                s += _UST
            q += _U5
        else:
            while s < full:
                _grad1(_UST, nl, GA, gab + q * _UL, G, gb + s * _UL, H,
                       hb + q * _ROW + s * _UL, False)
                s += _UST
            q += _U1
    _grad_rest(nl, full, cnt, GA, gab, G, gb, H, hb, n_terms, False)


@njit(cache=True, error_model="numpy", inline="always")
def _grad_bias(nl, cnt, GA, gab, G, gb):
    """GA[gab + k] += sum_s G[gb + s LANES + k] over the chunk's samples in order."""
    full = cnt - cnt % _UST
    s = _U0
    while s < full:
        _grad1(_UST, nl, GA, gab, G, gb + s * _UL, G, gb, True)
        s += _UST
    _grad_rest(nl, full, cnt, GA, gab, G, gb, G, gb, _U1, True)


@njit(cache=True, error_model="numpy")  # not inlined: halves the compile time, same speed
def _forward_chunk(nl, TH, X, c0, widths, w_off, b_off, u_off, code, beta, H, D1, D2):
    """Activations of samples c0..c0+CHUNK-1 in every lane: z = b, then z += w_i h_i for the
    inputs i in order (``mlp.forward``), then the activation (``mlp._activate_row``). A last
    chunk is filled up with copies of the last sample (their values are never used): with a
    compile-time sample count the loops compile much better."""
    L = widths.shape[0] - 1
    cnt = _UCHUNK
    last = X.shape[1] - 1
    for i in range(widths[0]):
        for s in range(cnt):
            xv = X[i, min(c0 + np.int64(s), last)]
            o = np.uint64(i) * _ROW + s * _UL
            for k in range(nl):
                H[o + k] = xv
    span = int(cnt * _UL)
    for l in range(1, L + 1):
        n_in, n_out = np.uint64(widths[l - 1]), np.uint64(widths[l])
        for o in range(n_out):
            r = np.uint64(u_off[l]) + o
            ab = r * _ROW
            tb = (np.uint64(w_off[l]) + o * n_in) * _UL
            bias = (np.uint64(b_off[l]) + o) * _UL
            hb = np.uint64(u_off[l - 1]) * _ROW
            if l < L and code == RELU:
                # relu fused into the sum's store; f'(z) is read off h in the backward pass
                _dot(1, 3, nl, cnt, H, ab, TH, tb, _UL, bias, H, hb, D1, n_in)
            else:
                _dot(1, 0, nl, cnt, H, ab, TH, tb, _UL, bias, H, hb, D1, n_in)
            if l < L and code != RELU:
                a0 = np.int64(ab)
                _activate_row(code, beta, H[a0:a0 + span], D1[a0:a0 + span], D2, span)


@njit(cache=True, error_model="numpy")
def _backward_chunk(nl, TH, Y, c0, cnt, widths, w_off, b_off, u_off, code, H, D1, G, GA, E):
    """Residuals e of the chunk into E, then back-propagation of -2 e into the gradient sums
    GA (``mlp.sse_gradient``, each sum over the samples in order)."""
    L = widths.shape[0] - 1
    n = np.uint64(Y.shape[1])
    for o in range(widths[L]):
        gb = (np.uint64(u_off[L]) + np.uint64(o)) * _ROW
        for s in range(cnt):
            yv = Y[o, c0 + np.int64(s)]
            eb = (np.uint64(o) * n + np.uint64(c0) + s) * _UL
            for k in range(nl):
                e = yv - H[gb + s * _UL + k]
                E[eb + k] = e
                G[gb + s * _UL + k] = -2.0 * e
    for l in range(L, 0, -1):
        n_in, n_out = np.uint64(widths[l - 1]), np.uint64(widths[l])
        for o in range(n_out):
            gb = (np.uint64(u_off[l]) + o) * _ROW
            _grad_bias(nl, cnt, GA, (np.uint64(b_off[l]) + o) * _UL, G, gb)
            _grad(nl, cnt, GA, (np.uint64(w_off[l]) + o * n_in) * _UL, G, gb, H,
                  np.uint64(u_off[l - 1]) * _ROW, n_in)
        if l > 1:
            # g_i = f'(z_i) (0 + w_1i g_1 + w_2i g_2 + ...): the order of mlp._propagate
            for i in range(n_in):
                ab = (np.uint64(u_off[l - 1]) + i) * _ROW
                tb = (np.uint64(w_off[l]) + i) * _UL
                if code == RELU:
                    _dot(2, 2, nl, cnt, G, ab, TH, tb, n_in * _UL, _U0, G,
                         np.uint64(u_off[l]) * _ROW, H, n_out)
                else:
                    _dot(2, 1, nl, cnt, G, ab, TH, tb, n_in * _UL, _U0, G,
                         np.uint64(u_off[l]) * _ROW, D1, n_out)


@njit(cache=True, error_model="numpy", inline="always")
def _evaluate(nl, TH, X, Y, widths, w_off, b_off, u_off, code, beta, scale, bufs, loss, gsq):
    """Loss (scale x SSE, +inf where it is not finite) of every lane at TH, and its gradient
    into GA (scale x the SSE gradient); gsq = |g|^2 per lane."""
    H, D1, D2, G, GA, E = bufs
    n = X.shape[1]
    P = np.uint64(TH.shape[0] // LANES)
    for p in range(P):
        for k in range(nl):
            GA[p * _UL + k] = 0.0
    for c0 in range(0, n, CHUNK):
        cnt = np.uint64(min(CHUNK, n - c0))
        _forward_chunk(nl, TH, X, c0, widths, w_off, b_off, u_off, code, beta, H, D1, D2)
        _backward_chunk(nl, TH, Y, c0, cnt, widths, w_off, b_off, u_off, code, H, D1, G, GA, E)
    for k in range(nl):
        loss[k] = 0.0
        gsq[k] = 0.0
    for j in range(np.uint64(Y.shape[0] * n)):
        for k in range(nl):
            e = E[j * _UL + k]
            loss[k] += e * e
    for k in range(nl):
        t = loss[k]
        loss[k] = scale * (t if t == t else np.inf)
    # g = scale * (0 + sum): mlp.sse_gradient adds each sum to a zeroed vector
    for p in range(P):
        for k in range(nl):
            g = scale * (0.0 + GA[p * _UL + k])
            GA[p * _UL + k] = g
            gsq[k] += g * g


@njit(cache=True, error_model="numpy")
def _block(starts, lo, hi, X, Y, net, code, beta, scale, method, steps, hyper, record_every,
           state, bufs, outputs):
    """Runs lo..hi-1 (at most LANES) as the lanes of one block, in one worker's buffers.
    (The arguments are grouped in tuples: CPython compiles a call of more than 30 arguments
    to f(*args), which Numba cannot inline.)"""
    widths, w_off, b_off, u_off = net
    lr, momentum, rho, eps, goal, gtol = hyper
    TH, TP, S1, S2, V = state
    GA = bufs[4]
    thetas, losses, gnorms, n_iter, reasons, n_evals, history = outputs
    P = starts.shape[1]
    nl = np.uint64(hi - lo)
    loss, gsq, last_loss, last_gn, active = V[0], V[1], V[2], V[3], V[4]
    for k in range(nl):
        last_loss[k] = np.inf
        last_gn[k] = np.nan
        active[k] = 1.0
    for p in range(P):
        for k in range(nl):
            i = np.uint64(p) * _UL + k
            TH[i] = starts[lo + np.int64(k), p]
            S1[i] = 0.0
            S2[i] = 0.0
    c1 = 1.0 - rho
    n_rec = history.shape[1]
    m = hi - lo
    for it in range(steps + 1):
        _evaluate(nl, TH, X, Y, widths, w_off, b_off, u_off, code, beta, scale, bufs, loss,
                  gsq)
        running = 0
        for k in range(m):
            if active[k] == 0.0:
                continue
            stop = -1
            if not math.isfinite(loss[k]):
                if it == 0:
                    stop = NONFINITE_START
                else:
                    stop = DIVERGED
                    for p in range(P):
                        TH[p * LANES + k] = TP[p * LANES + k]
            else:
                last_loss[k] = loss[k]
                last_gn[k] = math.sqrt(gsq[k])
                if loss[k] <= goal:
                    stop = LOSS_GOAL
                elif last_gn[k] <= gtol:
                    stop = GRADIENT
                elif it == steps:
                    stop = MAX_ITER
            if stop >= 0:
                active[k] = 0.0
                reasons[lo + k] = stop
                n_iter[lo + k] = it - 1 if stop == DIVERGED else it
                n_evals[lo + k] = it + 1
            else:
                running += 1
        if record_every > 0 and it % record_every == 0:
            for k in range(m):
                history[lo + k, it // record_every] = last_loss[k]
        if running == 0:
            if record_every > 0:
                for j in range(it // record_every + 1, n_rec):
                    for k in range(m):
                        history[lo + k, j] = last_loss[k]
            break
        # update every lane; a stopped lane keeps its state (a select, so the loop vectorizes)
        if method == GD:
            for p in range(np.uint64(P)):
                for k in range(nl):
                    i = p * _UL + k
                    th = TH[i]
                    v = momentum * S1[i] - lr * GA[i]
                    on = active[k] != 0.0
                    TP[i] = th
                    S1[i] = v if on else S1[i]
                    TH[i] = th + v if on else th
        else:
            for p in range(np.uint64(P)):
                for k in range(nl):
                    i = p * _UL + k
                    g = GA[i]
                    th = TH[i]
                    eg = rho * S1[i] + c1 * g * g
                    d = -math.sqrt(S2[i] + eps) / math.sqrt(eg + eps) * g
                    ed = rho * S2[i] + c1 * d * d
                    on = active[k] != 0.0
                    TP[i] = th
                    S1[i] = eg if on else S1[i]
                    S2[i] = ed if on else S2[i]
                    TH[i] = th + lr * d if on else th
    for k in range(m):
        for p in range(P):
            thetas[lo + k, p] = TH[p * LANES + k]
        losses[lo + k] = last_loss[k]
        gnorms[lo + k] = last_gn[k]


@njit(cache=True, parallel=True, error_model="numpy")
def ensemble_runs(starts, X, Y, widths, w_off, b_off, u_off, code, beta, scale, method, steps,
                  lr, momentum, rho, eps, goal, gtol, record_every, n_threads):
    """One run per row of ``starts`` (m, P); blocks of LANES runs, the blocks shared out among
    ``n_threads`` workers (pass ``numba.get_num_threads()``; calling it in here would stop
    the function from being cached). ``method``: GD (lr, momentum) or ADADELTA (lr, rho,
    eps); X (d_in, n) and Y (d_out, n) as in :mod:`fastsurf.kernels.mlp`; the loss is
    ``scale`` x SSE.

    Returns ``thetas`` (m, P), ``losses`` (m,), ``gnorms`` (m,) (|g| at the final theta; NaN
    for a non-finite start), int64 ``n_iter``, ``reasons`` (codes of REASONS) and ``n_evals``
    (gradient evaluations, the last one included), and ``history`` (m, steps // record_every
    + 1; (m, 0) when record_every = 0): the loss after min(j record_every, n_iter) steps.
    """
    m, P = starts.shape
    n = X.shape[1]
    d_out = Y.shape[0]
    rows = u_off[-1] + widths[-1]
    net = (widths, w_off, b_off, u_off)
    hyper = (lr, momentum, rho, eps, goal, gtol)
    n_blocks = (m + LANES - 1) // LANES
    n_workers = max(1, min(n_blocks, n_threads))
    # zeroed: the lanes a partial block leaves unused are computed too (zeros stay cheap)
    TH = np.zeros((n_workers, P * LANES))
    TP = np.zeros((n_workers, P * LANES))
    S1 = np.zeros((n_workers, P * LANES))
    S2 = np.zeros((n_workers, P * LANES))
    GA = np.zeros((n_workers, P * LANES))
    H = np.zeros((n_workers, rows * CHUNK * LANES))
    D1 = np.zeros((n_workers, rows * CHUNK * LANES))
    D2 = np.zeros((n_workers, CHUNK * LANES))
    G = np.zeros((n_workers, rows * CHUNK * LANES))
    E = np.zeros((n_workers, d_out * n * LANES))
    V = np.zeros((n_workers, 5, LANES))
    thetas = np.empty((m, P))
    losses = np.empty(m)
    gnorms = np.empty(m)
    n_iter = np.empty(m, np.int64)
    reasons = np.empty(m, np.int64)
    n_evals = np.empty(m, np.int64)
    history = np.empty((m, steps // record_every + 1 if record_every > 0 else 0))
    for w in prange(n_workers):
        for b in range(w, n_blocks, n_workers):
            lo = b * LANES
            _block(starts, lo, min(lo + LANES, m), X, Y, net, code, beta, scale, method, steps,
                   hyper, record_every, (TH[w], TP[w], S1[w], S2[w], V[w]),
                   (H[w], D1[w], D2[w], G[w], GA[w], E[w]),
                   (thetas, losses, gnorms, n_iter, reasons, n_evals, history))
    return thetas, losses, gnorms, n_iter, reasons, n_evals, history


def work_bytes(m: int, n_params: int, n_units: int, n_samples: int, d_out: int,
               n_record: int, n_threads: int) -> int:
    """Bytes :func:`ensemble_runs` allocates for m runs (the threads' buffers and the
    outputs), for the memory check before calling it."""
    per_worker = 8 * LANES * (5 * n_params + (3 * n_units + 1) * CHUNK + d_out * n_samples + 5)
    outputs = 8 * m * (n_params + 6 + n_record)
    return min(n_threads, -(-m // LANES)) * per_worker + outputs


def n_threads() -> int:
    """Threads the kernel may use (Numba's current setting)."""
    return numba.get_num_threads()

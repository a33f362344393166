"""Kernels of the single recurrent neuron (Horn, De Jesús & Hagan 2009, eq. 1; LDDN form).

n(k) = sum_d iw_d p(k-d) + sum_{d=1..D} lw_d a(k-d) + b,  a(k) = f(n(k)),  k = 1..T.

theta layout: input weights (order of ``input_delays``), lw_1..lw_D, then b if ``has_bias``.
Arrays: p, t of shape (n_seq, T); a0 of shape (n_seq, D) with a0[s, j] = a(-j).
"""

import numpy as np
from numba import njit, prange

from .activations import LOGSIG, PURELIN, TANSIG, _fma, apply_transfer, logsig, tanh
from .activations32 import logsig_any, tanh_any

#: Parameter vectors (batches) or grid rows (plane scans) advanced together as SIMD lanes.
LANES = 256
#: Grid columns per parallel chunk of a plane scan.
COLUMNS_PER_CHUNK = 32
#: Grid rows per parallel block of the structural (purelin) plane scan.
ROWS_PER_BLOCK = 16


@njit(cache=True, error_model="numpy", inline="always")
def _identity(x):
    return x


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
def simulate(theta, p, a0, input_delays, n_fb, has_bias, code):
    """Outputs a(k) for every sequence, shape (n_seq, T)."""
    out = np.empty(p.shape)
    for s in range(p.shape[0]):
        _simulate_one(theta, p[s], a0[s], input_delays, n_fb, has_bias, code, out[s])
    return out


@njit(cache=True, error_model="numpy", inline="always")
def _lane_outputs(f, thetas, r0, nl, p, a0, input_delays, n_fb, has_bias, hist, nbuf, out, s):
    """Advance lanes r0..r0+nl of one sequence to its last step; out[r0 + l, s] = a(T')."""
    n_in = input_delays.shape[0]
    T = p.shape[0]
    for d in range(n_fb):
        for l in range(nl):
            hist[d, l] = a0[d]              # hist[d] = a(k - 1 - d)
    for k in range(T):
        for l in range(nl):
            nbuf[l] = thetas[r0 + l, n_in + n_fb] if has_bias else 0.0
        for i in range(n_in):
            j = k - input_delays[i]
            if j >= 0:
                pj = p[j]
                for l in range(nl):
                    nbuf[l] += thetas[r0 + l, i] * pj
        for d in range(n_fb):
            for l in range(nl):
                nbuf[l] += thetas[r0 + l, n_in + d] * hist[d, l]
        for d in range(n_fb - 1, 0, -1):
            for l in range(nl):
                hist[d, l] = hist[d - 1, l]
        for l in range(nl):
            hist[0, l] = f(nbuf[l])
    for l in range(nl):
        out[r0 + l, s] = hist[0, l]


@njit(cache=True, parallel=True, error_model="numpy")
def outputs_at_batch(thetas, p, a0, input_delays, n_fb, has_bias, code, out):
    """out[r, s] = the last output a(T') of sequence s (T' = p.shape[1]) at theta = thetas[r].

    Blocks of LANES parameter vectors advance one time step at a time, lanes innermost (the
    recurrence of one vector is a serial chain; across vectors the loop vectorizes).
    """
    m = thetas.shape[0]
    n_seq = p.shape[0]
    for c in prange((m + LANES - 1) // LANES):
        r0 = c * LANES
        nl = min(LANES, m - r0)
        hist = np.empty((max(n_fb, 1), LANES))
        nbuf = np.empty(LANES)
        for s in range(n_seq):
            if code == PURELIN:
                _lane_outputs(_identity, thetas, r0, nl, p[s], a0[s], input_delays, n_fb,
                              has_bias, hist, nbuf, out, s)
            elif code == TANSIG:
                _lane_outputs(tanh, thetas, r0, nl, p[s], a0[s], input_delays, n_fb, has_bias,
                              hist, nbuf, out, s)
            else:
                _lane_outputs(logsig, thetas, r0, nl, p[s], a0[s], input_delays, n_fb, has_bias,
                              hist, nbuf, out, s)


@njit(cache=True, error_model="numpy")
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


@njit(cache=True, error_model="numpy")
def sse(theta, p, t, a0, input_delays, n_fb, has_bias, code):
    """Sum of squared errors over all sequences at one theta (+inf where outputs overflow)."""
    work = np.empty(p.shape[1])
    return _sse_one_theta(theta, p, t, a0, input_delays, n_fb, has_bias, code, work)


@njit(cache=True, error_model="numpy", inline="always")
def _feedback_step(f, W, hist, newest, n_fb, nbuf, tk, acc, nl):
    """Finish a time step of a block of lanes: add sum_d W[d-1] * a(k-d) to the net inputs in
    nbuf, apply f, store a(k) in the history ring (hist[(newest - d + 1) % D] holds a(k - d))
    and add the squared error to acc."""
    for d in range(1, n_fb + 1):
        h = hist[(newest - d + 1 + n_fb) % n_fb]
        w = W[d - 1]
        for l in range(nl):
            nbuf[l] += w[l] * h[l]
    dest = hist[(newest + 1) % n_fb]
    for l in range(nl):
        a = f(nbuf[l])
        dest[l] = a
        e = tk - a
        acc[l] += e * e


@njit(cache=True, error_model="numpy", inline="always")
def input_net(TH, p, k, delays, n_fb, has_bias, nbuf, nl):
    """nbuf[l] = b + sum_i iw_i p(k - d_i) for a block of neurons whose parameters are the
    columns of TH (P, lanes): the input part of the net input at step k."""
    n_in = delays.shape[0]
    if has_bias:
        brow = TH[n_in + n_fb]
        for l in range(nl):
            nbuf[l] = brow[l]
    else:
        for l in range(nl):
            nbuf[l] = 0.0
    for i in range(n_in):
        j = k - delays[i]
        if j >= 0:
            pv = p[j]
            row = TH[i]
            for l in range(nl):
                nbuf[l] += row[l] * pv


@njit(cache=True, error_model="numpy", inline="always")
def _batch_step(f, TH, p, k, delays, n_fb, has_bias, hist, newest, nbuf, tk, acc, nl):
    """One time step of a block of neurons whose parameters are the columns of TH (P, lanes)."""
    input_net(TH, p, k, delays, n_fb, has_bias, nbuf, nl)
    n_in = delays.shape[0]
    _feedback_step(f, TH[n_in:n_in + n_fb], hist, newest, n_fb, nbuf, tk, acc, nl)


@njit(cache=True, error_model="numpy", inline="always")
def _first_order_batch(f, Vs, ts, iw, lw, h, acc, nl):
    """All steps of one sequence for a block of first-order neurons with one input weight and
    no bias, a(k) = f(iw v(k) + lw a(k-1)) with v the delayed input: the operations of the
    scalar simulation in its order (no FMA), so the losses equal ``sse`` bit for bit."""
    for k in range(ts.shape[0]):
        v = Vs[k]
        tk = ts[k]
        for l in range(nl):
            a = f(iw[l] * v + lw[l] * h[l])
            h[l] = a
            e = tk - a
            acc[l] += e * e


@njit(cache=True, parallel=True, error_model="numpy")
def sse_batch(thetas, p, t, a0, input_delays, n_fb, has_bias, code):
    """SSE for each row of ``thetas`` (m, P), in parallel.

    Blocks of LANES parameter vectors advance one time step at a time with the block innermost,
    so the loops vectorize across parameter vectors (a single neuron's recurrence is a serial
    chain of transfer-function latencies). Horn's first-order neuron (one input weight, one
    feedback delay, no bias) takes a specialised loop without the history ring.
    """
    m, P = thetas.shape
    n_seq, T = p.shape
    out = np.empty(m)
    first_order = n_fb == 1 and input_delays.shape[0] == 1 and not has_bias
    # input of the first-order loop: p(k - d0), zero before it starts
    Vp = np.zeros((n_seq, T) if first_order else (0, 0))
    if first_order:
        d0 = input_delays[0]
        for s in range(n_seq):
            for k in range(d0, T):
                Vp[s, k] = p[s, k - d0]
    for blk in prange((m + LANES - 1) // LANES):
        r0 = blk * LANES
        nl = min(LANES, m - r0)
        TH = np.empty((P, LANES))
        for l in range(nl):
            for i in range(P):
                TH[i, l] = thetas[r0 + l, i]
        hist = np.empty((n_fb, LANES))
        nbuf = np.empty(LANES)
        acc = np.zeros(LANES)
        for s in range(n_seq):
            for d in range(n_fb):
                hist[(n_fb - d) % n_fb, :nl] = a0[s, d]
            if first_order:
                if code == PURELIN:
                    _first_order_batch(_identity, Vp[s], t[s], TH[0], TH[1], hist[0], acc, nl)
                elif code == TANSIG:
                    _first_order_batch(tanh, Vp[s], t[s], TH[0], TH[1], hist[0], acc, nl)
                elif code == LOGSIG:
                    _first_order_batch(logsig, Vp[s], t[s], TH[0], TH[1], hist[0], acc, nl)
                continue
            newest = 0
            for k in range(T):
                if code == PURELIN:
                    _batch_step(_identity, TH, p[s], k, input_delays, n_fb, has_bias, hist,
                                newest, nbuf, t[s, k], acc, nl)
                elif code == TANSIG:
                    _batch_step(tanh, TH, p[s], k, input_delays, n_fb, has_bias, hist, newest,
                                nbuf, t[s, k], acc, nl)
                elif code == LOGSIG:
                    _batch_step(logsig, TH, p[s], k, input_delays, n_fb, has_bias, hist,
                                newest, nbuf, t[s, k], acc, nl)
                newest = (newest + 1) % n_fb
        for l in range(nl):
            v = acc[l]
            out[r0 + l] = v if v == v else np.inf
    return out


# --- fused plane scans ----------------------------------------------------------------------------
# A plane scan evaluates theta = o + x_j d1 + y_i d2 for every (i, j). The input part of n(k) is
# linear in theta, so per sequence it is U0(k) + x_j U1(k) + y_i V(k) with
# U0 = sum_d o_iw_d p(k-d) + o_b (likewise U1 from d1 and V from d2), precomputed once in O(T).
# Lanes run along y: a block of LANES rows of one column is advanced one time step at a time, so
# the innermost loop is contiguous over lanes and vectorizes (docs/performance.md).



@njit(cache=True, error_model="numpy", inline="always")
def _drive_common(u, y, v):
    """Input drive when the lane direction moves no input weight or bias (V = 0)."""
    return u


@njit(cache=True, error_model="numpy", inline="always")
def _drive_lane(u, y, v):
    """Input drive u + y v of one lane."""
    return _fma(y, v, u)


@njit(cache=True, error_model="numpy", inline="always")
def _four_steps(f, drive, l, u0, u1, u2, u3, v0, v1, v2, v3, t0, t1, t2, t3, yl, lw, h, acc):
    """Four time steps of lane l, its state held in registers."""
    y = yl[l]
    w = lw[l]
    a = f(_fma(w, h[l], drive(u0, y, v0)))
    e = t0 - a
    sq = e * e
    a = f(_fma(w, a, drive(u1, y, v1)))
    e = t1 - a
    sq = _fma(e, e, sq)
    a = f(_fma(w, a, drive(u2, y, v2)))
    e = t2 - a
    sq = _fma(e, e, sq)
    a = f(_fma(w, a, drive(u3, y, v3)))
    e = t3 - a
    h[l] = a
    acc[l] += _fma(e, e, sq)


@njit(cache=True, error_model="numpy", inline="always")
def _run_first_order(f, drive, unroll, U0s, U1s, Vs, ts, xj, yl, lw, h, acc, nl):
    """All T steps of one sequence for a block of first-order (D = 1) neurons.

    With ``unroll`` time is unrolled by four inside the lane loop so a lane's state stays in
    registers for four steps (a quarter of the loads and stores of a step-by-step sweep); this
    pays for cheap transfer functions (purelin) and costs for expensive ones (measured).
    """
    T = ts.shape[0]
    k = 0
    # Two independent lane streams (l and l + half) per iteration hide the latency of the
    # four-step multiply-add chain of each lane.
    half = nl // 2
    while unroll and k + 4 <= T:
        u0 = U0s[k] + xj * U1s[k]
        u1 = U0s[k + 1] + xj * U1s[k + 1]
        u2 = U0s[k + 2] + xj * U1s[k + 2]
        u3 = U0s[k + 3] + xj * U1s[k + 3]
        v0, v1, v2, v3 = Vs[k], Vs[k + 1], Vs[k + 2], Vs[k + 3]
        t0, t1, t2, t3 = ts[k], ts[k + 1], ts[k + 2], ts[k + 3]
        for l in range(half):
            _four_steps(f, drive, l, u0, u1, u2, u3, v0, v1, v2, v3, t0, t1, t2, t3, yl, lw, h,
                        acc)
            _four_steps(f, drive, l + half, u0, u1, u2, u3, v0, v1, v2, v3, t0, t1, t2, t3, yl,
                        lw, h, acc)
        if nl % 2:
            _four_steps(f, drive, nl - 1, u0, u1, u2, u3, v0, v1, v2, v3, t0, t1, t2, t3, yl, lw,
                        h, acc)
        k += 4
    while k < T:
        u = U0s[k] + xj * U1s[k]
        v = Vs[k]
        tk = ts[k]
        for l in range(nl):
            a = f(_fma(lw[l], h[l], drive(u, yl[l], v)))
            h[l] = a
            e = tk - a
            acc[l] = _fma(e, e, acc[l])
        k += 1


@njit(cache=True, error_model="numpy", inline="always")
def _advance_general(f, u, v, tk, yl, LW, hist, newest, n_fb, nbuf, acc, nl):
    """One time step with D feedback delays; hist[(newest - d + 1) % D] holds a(k - d)."""
    for l in range(nl):
        nbuf[l] = u + yl[l] * v
    _feedback_step(f, LW, hist, newest, n_fb, nbuf, tk, acc, nl)


@njit(cache=True, error_model="numpy", inline="always")
def _sequence_first_order(f, unroll, has_v, U0s, U1s, Vs, ts, xj, yl, LW, hist, nbuf, acc, nl):
    """One sequence of a first-order (D = 1) plane scan."""
    _run_first_order(f, _drive_lane, unroll, U0s, U1s, Vs, ts, xj, yl, LW[0], hist[0], acc, nl)


@njit(cache=True, error_model="numpy", inline="always")
def _sequence_first_order_split(f, unroll, has_v, U0s, U1s, Vs, ts, xj, yl, LW, hist, nbuf, acc,
                                nl):
    """:func:`_sequence_first_order` with a second copy of the loop for a lane direction that
    moves no input weight or bias (V = 0: one multiply-add less per step). The choice is made
    outside the lane loops so each copy is specialised at compile time and vectorizes; it pays
    only for a cheap transfer function (purelin), and doubles the compile time."""
    if has_v:
        _run_first_order(f, _drive_lane, unroll, U0s, U1s, Vs, ts, xj, yl, LW[0], hist[0], acc,
                         nl)
    else:
        _run_first_order(f, _drive_common, unroll, U0s, U1s, Vs, ts, xj, yl, LW[0], hist[0],
                         acc, nl)


@njit(cache=True, error_model="numpy", inline="always")
def _sequence_general(f, unroll, has_v, U0s, U1s, Vs, ts, xj, yl, LW, hist, nbuf, acc, nl):
    """One sequence of a plane scan with D >= 1 feedback delays (step by step)."""
    n_fb = LW.shape[0]
    newest = 0
    for k in range(ts.shape[0]):
        _advance_general(f, U0s[k] + xj * U1s[k], Vs[k], ts[k], yl, LW, hist, newest, n_fb,
                         nbuf, acc, nl)
        newest = (newest + 1) % n_fb


@njit(cache=True, error_model="numpy", inline="always")
def _sse_plane(f, unroll, run, U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out):
    """The plane scan of :func:`sse_plane` for one transfer function ``f``, each sequence
    advanced by ``run`` (inlined into one kernel per transfer function and feedback order, so
    a call compiles only what it needs)."""
    dt = y.dtype
    n_seq, T = t.shape
    n_fb = lw0.shape[0]
    ny = y.shape[0]
    nx = x.shape[0]
    has_v = False
    for s in range(n_seq):
        for k in range(T):
            if V[s, k] != 0.0:
                has_v = True
    n_lane_blocks = (ny + LANES - 1) // LANES
    n_col_chunks = (nx + COLUMNS_PER_CHUNK - 1) // COLUMNS_PER_CHUNK
    n_bad = np.zeros(n_lane_blocks * n_col_chunks, np.int64)
    for chunk in prange(n_lane_blocks * n_col_chunks):
        lb = chunk % n_lane_blocks
        j0 = (chunk // n_lane_blocks) * COLUMNS_PER_CHUNK
        i0 = lb * LANES
        nl = min(LANES, ny - i0)
        yl = y[i0:i0 + nl]
        hist = np.empty((n_fb, LANES), dt)
        LW = np.empty((n_fb, LANES), dt)
        acc = np.empty(LANES, dt)
        nbuf = np.empty(LANES, dt)
        # Results of the chunk, written to ``out`` row by row at the end: writing each column
        # straight into ``out`` touches one page per lane (rows are nx * 8 bytes apart).
        block = np.empty((LANES, COLUMNS_PER_CHUNK), dt)
        j1 = min(j0 + COLUMNS_PER_CHUNK, nx)
        for j in range(j0, j1):
            xj = x[j]
            for d in range(n_fb):
                base = lw0[d] + xj * lw1[d]
                for l in range(nl):
                    LW[d, l] = base + yl[l] * lw2[d]
            acc[:nl] = 0.0
            for s in range(n_seq):
                for d in range(n_fb):
                    # slot (n_fb - d) % n_fb holds a(-d) when the newest slot is 0
                    hist[(n_fb - d) % n_fb, :nl] = a0[s, d]
                run(f, unroll, has_v, U0[s], U1[s], V[s], t[s], xj, yl, LW, hist, nbuf, acc, nl)
            bad = 0
            for l in range(nl):
                v = acc[l]
                # NaN only arises from inf - inf after an overflow: the SSE is beyond range.
                v = v if v == v else np.inf
                block[l, j - j0] = v
                bad += 1 if v == np.inf else 0
            n_bad[chunk] += bad
        for l in range(nl):
            out[i0 + l, j0:j1] = block[l, :j1 - j0]
    return n_bad.sum()


# One kernel per (transfer function, first-order or not), each compiled on first use, so a
# call compiles only what it needs (written out: Numba does not cache closures). The identity's
# first-order path is unrolled by four in time and split by drive: both pay only for the cheap
# transfer (see _run_first_order) and would double the compile time of the others.
@njit(cache=True, parallel=True, error_model="numpy")
def _sse_plane_purelin_first(U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out):
    return _sse_plane(_identity, True, _sequence_first_order_split,
                      U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out)


@njit(cache=True, parallel=True, error_model="numpy")
def _sse_plane_purelin_general(U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out):
    return _sse_plane(_identity, False, _sequence_general,
                      U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out)


@njit(cache=True, parallel=True, error_model="numpy")
def _sse_plane_tansig_first(U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out):
    return _sse_plane(tanh_any, False, _sequence_first_order,
                      U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out)


@njit(cache=True, parallel=True, error_model="numpy")
def _sse_plane_tansig_general(U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out):
    return _sse_plane(tanh_any, False, _sequence_general,
                      U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out)


@njit(cache=True, parallel=True, error_model="numpy")
def _sse_plane_logsig_first(U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out):
    return _sse_plane(logsig_any, False, _sequence_first_order,
                      U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out)


@njit(cache=True, parallel=True, error_model="numpy")
def _sse_plane_logsig_general(U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out):
    return _sse_plane(logsig_any, False, _sequence_general,
                      U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out)


_SSE_PLANE = {(PURELIN, True): _sse_plane_purelin_first,
              (PURELIN, False): _sse_plane_purelin_general,
              (TANSIG, True): _sse_plane_tansig_first,
              (TANSIG, False): _sse_plane_tansig_general,
              (LOGSIG, True): _sse_plane_logsig_first,
              (LOGSIG, False): _sse_plane_logsig_general}


def sse_plane(U0, U1, V, t, a0, lw0, lw1, lw2, x, y, code, out):
    """SSE at theta = o + x_j d1 + y_i d2 into ``out[i, j]`` (len(y), len(x)); returns the
    number of non-finite cells (+inf: overflowed outputs), counted as they are written.

    U0, U1, V, t: (n_seq, T) input drives and targets; a0: (n_seq, D) initial outputs;
    lw0, lw1, lw2: (D,) feedback weights of o, d1 and d2. All arrays float64, or all float32:
    the kernel then computes in float32 (8 lanes per AVX2 vector instead of 4).
    """
    return _SSE_PLANE[code, lw0.shape[0] == 1](U0, U1, V, t, a0, lw0, lw1, lw2, x, y, out)


# --- structural fast path (purelin) --------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _linear_response(drive, lw, a0, out):
    """out(k) = drive(k) + sum_d lw_d out(k - d), with out(k) = a0[-k-1] before the start."""
    n_fb = lw.shape[0]
    for k in range(drive.shape[0]):
        v = drive[k]
        for d in range(1, n_fb + 1):
            j = k - d
            v += lw[d - 1] * (out[j] if j >= 0 else a0[-j - 1])
        out[k] = v


@njit(cache=True, error_model="numpy")
def _row_sums(U0, U1, V, t, a0, lw, yi, xs, drive, a, b, zero):
    """(sum e^2, sum e b, sum b^2) over all sequences with e = t - a - xs b on one row."""
    n_seq, T = t.shape
    see = 0.0
    seb = 0.0
    sbb = 0.0
    for s in range(n_seq):
        for k in range(T):
            drive[k] = U0[s, k] + yi * V[s, k]
        _linear_response(drive, lw, a0[s], a)
        _linear_response(U1[s], lw, zero, b)
        for k in range(T):
            e = t[s, k] - a[k] - xs * b[k]
            see += e * e
            seb += e * b[k]
            sbb += b[k] * b[k]
    return see, seb, sbb


@njit(cache=True, error_model="numpy", parallel=True)
def sse_plane_linear(U0, U1, V, t, a0, lw0, lw2, x, y, out, ok):
    """SSE of a purelin neuron at theta = o + x_j d1 + y_i d2 where d1 moves only input weights
    and the bias (so lw = lw0 + y_i lw2 on row i) — in O(T) per row and O(1) per cell, each
    cell written once. Returns the number of non-finite cells of the rows it computed.

    On row i the outputs are a(k) + x b(k): a from o + y_i d2 with the initial outputs, b the
    response to d1's input drive U1 from zero initial outputs. Then
    SSE(x) = R_min + C (x - x*)^2 with C = sum b^2, x* the least-squares x and
    R_min = sum (t - a - x* b)^2 computed directly. x* = sum r b / C is refined once by the
    residual correction sum e b / C: near the minimum (x - x*)^2 would otherwise amplify the
    rounding of x*. Rows whose a or b overflow get ok[i] = False (left to brute force).
    """
    T = t.shape[1]
    n_fb = lw0.shape[0]
    zero = np.zeros(n_fb)
    ny = y.shape[0]
    n_blocks = (ny + ROWS_PER_BLOCK - 1) // ROWS_PER_BLOCK
    n_bad = np.zeros(n_blocks, np.int64)
    for blk in prange(n_blocks):
        # scratch once per block of rows, not per row
        lw = np.empty(n_fb)
        drive = np.empty(T)
        a = np.empty(T)
        b = np.empty(T)
        bad = 0
        for i in range(blk * ROWS_PER_BLOCK, min(ny, (blk + 1) * ROWS_PER_BLOCK)):
            for d in range(n_fb):
                lw[d] = lw0[d] + y[i] * lw2[d]
            A, B, C = _row_sums(U0, U1, V, t, a0, lw, y[i], 0.0, drive, a, b, zero)
            good = np.isfinite(A) and np.isfinite(B) and np.isfinite(C)
            ok[i] = good
            if not good:
                continue
            if C == 0.0:
                for j in range(x.shape[0]):
                    out[i, j] = A
                continue
            xs = B / C
            _, corr, _ = _row_sums(U0, U1, V, t, a0, lw, y[i], xs, drive, a, b, zero)
            xs += corr / C
            rmin, _, _ = _row_sums(U0, U1, V, t, a0, lw, y[i], xs, drive, a, b, zero)
            row = out[i]
            for j in range(x.shape[0]):
                dx = x[j] - xs
                v = rmin + C * dx * dx
                row[j] = v
                bad += 1 if v == np.inf else 0
        n_bad[blk] = bad
    return n_bad.sum()

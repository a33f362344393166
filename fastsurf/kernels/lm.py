"""Many independent Levenberg–Marquardt runs of a recurrent neuron in one parallel kernel.

Each run is exactly :func:`fastsurf.train.levenberg_marquardt` (Hagan–Menhaj schedule) on the
SSE of :mod:`fastsurf.kernels.recurrent` (scaled by ``scale``: 1 for "sse", 1/n for "mse"):
solve (J^T J + mu I) delta = -J^T e, take the step when the trial loss is finite and lower
(mu *= mu_dec), else mu *= mu_inc and retry; stop at the loss goal, when
|2 scale J^T e| <= gtol, when mu > mu_max, or after max_iter accepted steps. A start whose
loss is not finite ends at once (code NONFINITE_START).

A single neuron's recurrence is a serial chain of transfer-function latencies, so LANES runs
advance together, one time step at a time with the lanes innermost (the loops vectorize, as
in ``recurrent.sse_batch``). Every evaluation of a lane is one forward RTRL pass (Williams &
Zipser 1989) that gives the loss at its point and J^T J, J^T e there without forming J: a trial
that is accepted already carries the normal equations of the next iteration. A lane whose run ends
takes the next start of its chunk; once they run out, the running lanes move to the front so
that the passes shrink. Lanes never mix, so a run's bits do not depend on the
threads, the chunking, or which runs share its block; the loss is summed in the order of
``recurrent._sse_one_theta`` (the same bits as ``Problem.loss``).
"""

import numpy as np
from numba import njit, prange

from .activations import LOGSIG, PURELIN, TANSIG, logsig, tanh, transfer_derivative_from_output
from .recurrent import _identity, input_net

MAX_ITER, LOSS_GOAL, GRADIENT, MU_MAX, NONFINITE_START = 0, 1, 2, 3, 4
#: Reason names by code, the strings of :class:`fastsurf.train.TrainResult`.
REASONS = ("max_iter", "loss goal", "gradient", "mu_max", "non-finite start")
#: Runs advanced together as SIMD lanes.
LANES = 32
#: Starts per parallel chunk (its lanes refill from them).
CHUNK = 256


@njit(cache=True, inline="always")
def _d_purelin(a):
    return transfer_derivative_from_output(PURELIN, a)


@njit(cache=True, inline="always")
def _d_tansig(a):
    return transfer_derivative_from_output(TANSIG, a)


@njit(cache=True, inline="always")
def _d_logsig(a):
    return transfer_derivative_from_output(LOGSIG, a)


@njit(cache=True, error_model="numpy")
def _solve(M, x):
    """Solve M y = x in place (y into x) by Gaussian elimination with partial pivoting; M is
    overwritten. A zero pivot gives inf/NaN in x (the caller rejects the step)."""
    P = x.shape[0]
    for c in range(P):
        piv = c
        big = abs(M[c, c])
        for r in range(c + 1, P):
            v = abs(M[r, c])
            if v > big:
                big = v
                piv = r
        if piv != c:
            for q in range(c, P):
                M[c, q], M[piv, q] = M[piv, q], M[c, q]
            x[c], x[piv] = x[piv], x[c]
        inv = 1.0 / M[c, c]
        for r in range(c + 1, P):
            f = M[r, c] * inv
            if f != 0.0:
                for q in range(c + 1, P):
                    M[r, q] -= f * M[c, q]
                x[r] -= f * x[c]
    for c in range(P - 1, -1, -1):
        v = x[c]
        for q in range(c + 1, P):
            v -= M[c, q] * x[q]
        x[c] = v / M[c, c]


@njit(cache=True, error_model="numpy", inline="always")
def _lane_pass(f, fd, X, p, t, a0, delays, n_fb, has_bias, nl, hist, Sh, nbuf, abuf, f1, ebuf,
               sse, JTJ, G):
    """Forward RTRL pass of lanes 0..nl-1 at the points X (P, LANES): SSE into ``sse``,
    J^T J into JTJ (P, P, LANES; upper triangle) and J^T e into G (P, LANES), with J = -S.

    Ring buffers of D + 1 slots: hist[j % (D+1)] holds a at array time j (a0 for j < 0) and
    Sh[j % (D+1)] the sensitivities S(j) = da(j)/dtheta (zero before the start).
    """
    P = X.shape[0]
    n_in = delays.shape[0]
    R = n_fb + 1
    sse[:nl] = 0.0
    JTJ[:, :, :nl] = 0.0
    G[:, :nl] = 0.0
    for s in range(p.shape[0]):
        for j in range(1, n_fb + 1):
            hist[R - j, :nl] = a0[s, j - 1]
        Sh[:, :, :nl] = 0.0
        for k in range(p.shape[1]):
            cur = k % R
            input_net(X, p[s], k, delays, n_fb, has_bias, nbuf, nl)
            for d in range(1, n_fb + 1):
                h = hist[(k - d + R) % R]
                w = X[n_in + d - 1]
                for l in range(nl):
                    nbuf[l] += w[l] * h[l]
            tk = t[s, k]
            for l in range(nl):
                a = f(nbuf[l])
                abuf[l] = a
                f1[l] = fd(a)
                e = tk - a
                ebuf[l] = e
                sse[l] += e * e
            # S_i(k) = f'(n) [x_i(k) + sum_d lw_d S_i(k-d)]; slot cur held time k - D - 1
            for i in range(P):
                dest = Sh[cur, i]
                if i < n_in:
                    j = k - delays[i]
                    pv = p[s, j] if j >= 0 else 0.0
                    for l in range(nl):
                        dest[l] = pv
                elif i < n_in + n_fb:
                    h = hist[(k - (i - n_in + 1) + R) % R]
                    for l in range(nl):
                        dest[l] = h[l]
                else:
                    dest[:nl] = 1.0
                for d in range(1, n_fb + 1):
                    old = Sh[(k - d + R) % R, i]
                    w = X[n_in + d - 1]
                    for l in range(nl):
                        dest[l] += w[l] * old[l]
                for l in range(nl):
                    dest[l] *= f1[l]
            hist[cur, :nl] = abuf[:nl]
            for i in range(P):
                Si = Sh[cur, i]
                gi = G[i]
                for l in range(nl):
                    gi[l] -= Si[l] * ebuf[l]
                for q in range(i, P):
                    Sq = Sh[cur, q]
                    acc = JTJ[i, q]
                    for l in range(nl):
                        acc[l] += Si[l] * Sq[l]
    for l in range(nl):
        v = sse[l]
        # NaN only arises from inf - inf after an overflow: the SSE is beyond range.
        sse[l] = v if v == v else np.inf


@njit(cache=True, error_model="numpy", inline="always")
def _trial(l, TH, JTJc, Gc, mu, M, rhs, X):
    """X[:, l] = theta + delta with (J^T J + mu I) delta = -J^T e at lane l's theta."""
    P = TH.shape[0]
    for i in range(P):
        for q in range(P):
            M[i, q] = JTJc[i, q, l] if q >= i else JTJc[q, i, l]
        M[i, i] += mu
        rhs[i] = -Gc[i, l]
    _solve(M, rhs)
    for i in range(P):
        X[i, l] = TH[i, l] + rhs[i]


@njit(cache=True, error_model="numpy", inline="always")
def _load(l, r, starts, mu0, run, X, fresh, mu, steps, evals):
    """Lane l starts run r."""
    run[l] = r
    X[:, l] = starts[r]
    fresh[l] = True
    mu[l] = mu0
    steps[r] = 0
    evals[r] = 0


@njit(cache=True, error_model="numpy", inline="always")
def _chunk(f, fd, starts, lo, hi, p, t, a0, delays, n_fb, has_bias, scale, max_iter, goal,
           gtol, mu0, mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals):
    """LM runs of starts[lo:hi] on LANES lanes that refill as runs end."""
    P = starts.shape[1]
    L = LANES
    R = n_fb + 1
    X = np.zeros((P, L))            # where each lane is evaluated next
    TH = np.empty((P, L))           # current parameters
    JTJc = np.empty((P, P, L))      # normal equations at TH
    Gc = np.empty((P, L))
    JTJ = np.empty((P, P, L))       # ... and at X (from the last pass)
    G = np.empty((P, L))
    hist = np.empty((R, L))
    Sh = np.empty((R, P, L))
    nbuf = np.empty(L)
    abuf = np.empty(L)
    f1 = np.empty(L)
    ebuf = np.empty(L)
    sse = np.empty(L)
    loss = np.empty(L)
    mu = np.empty(L)
    run = np.full(L, -1)
    fresh = np.zeros(L, np.bool_)
    M = np.empty((P, P))
    rhs = np.empty(P)
    nxt = lo
    for l in range(L):
        if nxt < hi:
            _load(l, nxt, starts, mu0, run, X, fresh, mu, steps, evals)
            nxt += 1
    nl = min(L, hi - lo)
    while nl > 0:
        _lane_pass(f, fd, X, p, t, a0, delays, n_fb, has_bias, nl, hist, Sh, nbuf, abuf, f1,
                   ebuf, sse, JTJ, G)
        for l in range(nl):
            r = run[l]
            if r < 0:
                continue
            new = scale * sse[l]
            evals[r] += 1
            why = -1
            check = False
            if fresh[l]:
                fresh[l] = False
                if np.isfinite(new):
                    check = True
                else:
                    why = NONFINITE_START
            elif np.isfinite(new) and new < loss[l]:
                mu[l] *= mu_dec
                steps[r] += 1
                check = True
            else:
                mu[l] *= mu_inc
                if mu[l] > mu_max:
                    why = MU_MAX
                else:
                    _trial(l, TH, JTJc, Gc, mu[l], M, rhs, X)
            if check:               # accepted: X is the new theta; start the next iteration
                loss[l] = new
                for i in range(P):
                    TH[i, l] = X[i, l]
                    Gc[i, l] = G[i, l]
                    for q in range(i, P):
                        JTJc[i, q, l] = JTJ[i, q, l]
                gg = 0.0
                for i in range(P):
                    v = 2.0 * Gc[i, l] * scale
                    gg += v * v
                if steps[r] == max_iter:
                    why = LOSS_GOAL if new <= goal else MAX_ITER
                elif new <= goal:
                    why = LOSS_GOAL
                elif np.sqrt(gg) <= gtol:
                    why = GRADIENT
                else:
                    _trial(l, TH, JTJc, Gc, mu[l], M, rhs, X)
            if why >= 0:
                if why == NONFINITE_START:
                    loss[l] = new
                    for i in range(P):
                        TH[i, l] = X[i, l]
                for i in range(P):
                    thetas[r, i] = TH[i, l]
                losses[r] = loss[l]
                reasons[r] = why
                if nxt < hi:
                    _load(l, nxt, starts, mu0, run, X, fresh, mu, steps, evals)
                    nxt += 1
                else:
                    run[l] = -1
        # keep the running lanes in front so that the passes shrink as the chunk runs out
        dst = 0
        for l in range(nl):
            if run[l] >= 0:
                if l != dst:
                    run[dst] = run[l]
                    fresh[dst] = fresh[l]
                    loss[dst] = loss[l]
                    mu[dst] = mu[l]
                    for i in range(P):
                        X[i, dst] = X[i, l]
                        TH[i, dst] = TH[i, l]
                        Gc[i, dst] = Gc[i, l]
                        for q in range(i, P):
                            JTJc[i, q, dst] = JTJc[i, q, l]
                dst += 1
        nl = dst


@njit(cache=True, error_model="numpy", inline="always")
def _runs(f, fd, starts, p, t, a0, delays, n_fb, has_bias, scale, max_iter, goal, gtol, mu,
          mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals):
    m = starts.shape[0]
    for c in prange((m + CHUNK - 1) // CHUNK):
        lo = c * CHUNK
        hi = min(lo + CHUNK, m)
        _chunk(f, fd, starts, lo, hi, p, t, a0, delays, n_fb, has_bias, scale, max_iter, goal,
               gtol, mu, mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals)


# One kernel per transfer function, each compiled on first use, so a call compiles only the
# one it needs (written out: Numba does not cache closures).
@njit(cache=True, parallel=True, error_model="numpy")
def _runs_purelin(starts, p, t, a0, delays, n_fb, has_bias, scale, max_iter, goal, gtol, mu,
                  mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals):
    _runs(_identity, _d_purelin, starts, p, t, a0, delays, n_fb, has_bias, scale, max_iter,
          goal, gtol, mu, mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals)


@njit(cache=True, parallel=True, error_model="numpy")
def _runs_tansig(starts, p, t, a0, delays, n_fb, has_bias, scale, max_iter, goal, gtol, mu,
                 mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals):
    _runs(tanh, _d_tansig, starts, p, t, a0, delays, n_fb, has_bias, scale, max_iter,
          goal, gtol, mu, mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals)


@njit(cache=True, parallel=True, error_model="numpy")
def _runs_logsig(starts, p, t, a0, delays, n_fb, has_bias, scale, max_iter, goal, gtol, mu,
                 mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals):
    _runs(logsig, _d_logsig, starts, p, t, a0, delays, n_fb, has_bias, scale, max_iter,
          goal, gtol, mu, mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals)


_RUNS = {PURELIN: _runs_purelin, TANSIG: _runs_tansig, LOGSIG: _runs_logsig}


def lm_runs(starts, p, t, a0, delays, n_fb, has_bias, code, scale, max_iter, goal, gtol, mu,
            mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals):
    """One LM run per row of ``starts`` (m, P), in parallel, into the output arrays:
    ``thetas`` (m, P), ``losses`` (m,), and (m,) int64 ``steps`` (accepted steps),
    ``reasons`` (codes of REASONS) and ``evals`` (loss evaluations)."""
    _RUNS[code](starts, p, t, a0, delays, n_fb, has_bias, scale, max_iter, goal, gtol, mu,
                mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals)

"""Many independent Levenberg–Marquardt runs of a recurrent neuron in one parallel kernel.

Each run is exactly :func:`fastsurf.train.levenberg_marquardt` (Hagan–Menhaj schedule) on the
SSE of :mod:`fastsurf.kernels.recurrent` (scaled by ``scale``: 1 for "sse", 1/n for "mse"):
solve (J^T J + mu I) delta = -J^T e, take the step when the trial loss is finite and lower
(mu *= mu_dec), else mu *= mu_inc and retry; stop at the loss goal, when
|2 scale J^T e| <= gtol, when mu > mu_max, or after max_iter accepted steps. J^T J and J^T e
are summed from the RTRL sensitivities of :mod:`fastsurf.kernels.recurrent_derivatives`
without forming J. A start whose loss is not finite ends at once (code NONFINITE_START).
Runs are independent and each is sequential code, so a run's bits do not depend on the
threads or on which other runs share the call.
"""

import numpy as np
from numba import njit, prange

from .recurrent import _sse_one_theta
from .recurrent_derivatives import _sequence_sensitivities

MAX_ITER, LOSS_GOAL, GRADIENT, MU_MAX, NONFINITE_START = 0, 1, 2, 3, 4
#: Reason names by code, the strings of :class:`fastsurf.train.TrainResult`.
REASONS = ("max_iter", "loss goal", "gradient", "mu_max", "non-finite start")


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


@njit(cache=True, error_model="numpy")
def _normal_equations(theta, p, t, a0, delays, n_fb, has_bias, code, a, S, A, x, JTJ, g):
    """J^T J into JTJ and J^T e into g (J = de/dtheta = -S, e = t - a), all sequences."""
    P = theta.shape[0]
    JTJ[:, :] = 0.0
    g[:] = 0.0
    for s in range(p.shape[0]):
        _sequence_sensitivities(theta, p[s], a0[s], delays, n_fb, has_bias, code, False, a, S,
                                A, x)
        for k in range(p.shape[1]):
            e = t[s, k] - a[k]
            for i in range(P):
                si = S[k, i]
                g[i] -= si * e
                for q in range(P):
                    JTJ[i, q] += si * S[k, q]


@njit(cache=True, error_model="numpy")
def _run(start, p, t, a0, delays, n_fb, has_bias, code, scale, max_iter, goal, gtol, mu,
         mu_dec, mu_inc, mu_max, theta):
    """One LM run from ``start``; final parameters into ``theta``.
    Returns (loss, accepted steps, reason code, loss evaluations)."""
    P = start.shape[0]
    T = p.shape[1]
    a = np.empty(T)
    S = np.empty((T, P))
    A = np.empty((1, 1, 1))
    x = np.empty(P)
    JTJ = np.empty((P, P))
    M = np.empty((P, P))
    g = np.empty(P)
    delta = np.empty(P)
    trial = np.empty(P)
    theta[:] = start
    loss = scale * _sse_one_theta(theta, p, t, a0, delays, n_fb, has_bias, code, a)
    evals = 1
    if not np.isfinite(loss):
        return loss, 0, NONFINITE_START, evals
    reason = MAX_ITER
    steps = 0
    for _ in range(max_iter):
        if loss <= goal:
            reason = LOSS_GOAL
            break
        _normal_equations(theta, p, t, a0, delays, n_fb, has_bias, code, a, S, A, x, JTJ, g)
        gg = 0.0
        for i in range(P):
            v = 2.0 * g[i] * scale
            gg += v * v
        if np.sqrt(gg) <= gtol:
            reason = GRADIENT
            break
        while True:
            for i in range(P):
                for q in range(P):
                    M[i, q] = JTJ[i, q]
                M[i, i] += mu
                delta[i] = -g[i]
            _solve(M, delta)
            for i in range(P):
                trial[i] = theta[i] + delta[i]
            new = scale * _sse_one_theta(trial, p, t, a0, delays, n_fb, has_bias, code, a)
            evals += 1
            if np.isfinite(new) and new < loss:
                theta[:] = trial
                loss = new
                mu *= mu_dec
                break
            mu *= mu_inc
            if mu > mu_max:
                break
        if mu > mu_max:
            reason = MU_MAX
            break
        steps += 1
    else:
        reason = LOSS_GOAL if loss <= goal else MAX_ITER
    return loss, steps, reason, evals


@njit(cache=True, parallel=True, error_model="numpy")
def lm_runs(starts, p, t, a0, delays, n_fb, has_bias, code, scale, max_iter, goal, gtol, mu,
            mu_dec, mu_inc, mu_max, thetas, losses, steps, reasons, evals):
    """One LM run per row of ``starts`` (m, P), in parallel, into the output arrays:
    ``thetas`` (m, P), ``losses`` (m,), and (m,) int64 ``steps`` (accepted steps),
    ``reasons`` (codes of REASONS) and ``evals`` (loss evaluations)."""
    for r in prange(starts.shape[0]):
        loss, n, why, ne = _run(starts[r], p, t, a0, delays, n_fb, has_bias, code,
                                        scale, max_iter, goal, gtol, mu, mu_dec, mu_inc,
                                        mu_max, thetas[r])
        losses[r] = loss
        steps[r] = n
        reasons[r] = why
        evals[r] = ne

"""Dispatch of plane and grid scans to fused Numba kernels when the model has one."""

from __future__ import annotations

import numpy as np

from ._progress import progress_bar
from .kernels import recurrent as kr

#: Rows per progress/streaming tile of a fused scan (a multiple of the kernel's lane block).
TILE_ROWS = 4 * kr.LANES


def input_drive(model, data, direction: np.ndarray) -> np.ndarray:
    """sum_d direction_iw_d p(k - d) + direction_b for every sequence and step, (n_seq, T).

    The input part of the net input n(k) of a RecurrentNeuron is linear in theta; this is its
    value for the parameter vector ``direction`` (feedback weights ignored).
    """
    p = data.p
    out = np.zeros_like(p)
    for i, d in enumerate(model.input_delays):
        if d < p.shape[1]:
            out[:, d:] += direction[i] * p[:, :p.shape[1] - d]
    if model.bias:
        out += direction[-1]
    return out


def has_fused_kernel(problem) -> bool:
    """Whether plane scans of ``problem`` run the fused kernels of this module."""
    from .models.recurrent import RecurrentNeuron
    from .problem import Problem
    return isinstance(problem, Problem) and isinstance(problem.model, RecurrentNeuron)


def plane_losses(problem, origin, d1, d2, x, y, progress, method="auto"):
    """Fused evaluation of a plane scan, or None when no fused kernel applies.

    Returns the loss (SSE scaled by ``problem.loss_scale``) at origin + x_j d1 + y_i d2 as an
    array (len(y), len(x)). ``method="auto"`` takes the structural fast path when it applies
    (purelin neuron, one direction moving only input weights and the bias); ``"brute"`` always
    runs the time loop at every point.
    """
    if not has_fused_kernel(problem):
        return None
    model, data = problem.model, problem.data
    fb = slice(model.n_inputs, model.n_inputs + model.feedback_delays)
    # Lanes run along y; put the direction that moves a feedback weight there when only one does,
    # so the per-lane work is one multiply-add less.
    if method == "auto" and model.transfer == "purelin" and (
            not np.any(d1[fb]) or not np.any(d2[fb])):
        if np.any(d1[fb]):
            return _linear_fast_path(problem, origin, d2, d1, y, x, progress).T.copy()
        return _linear_fast_path(problem, origin, d1, d2, x, y, progress)
    if not np.any(d2[fb]) and np.any(d1[fb]):
        return plane_losses(problem, origin, d2, d1, y, x, progress, method).T.copy()
    U0, U1, V = (input_drive(model, data, v) for v in (origin, d1, d2))
    a0 = data.initial_outputs(model.feedback_delays)
    out = np.empty((len(y), len(x)))
    starts = range(0, len(y), TILE_ROWS)
    with progress_bar(progress, total=len(starts), unit="tile", desc="scan") as bar:
        for r0 in starts:
            r1 = min(r0 + TILE_ROWS, len(y))
            kr.sse_plane(U0, U1, V, data.t, a0, origin[fb].copy(), d1[fb].copy(),
                         d2[fb].copy(), x, y[r0:r1], model._code, out[r0:r1])
            bar.update(1)
    if problem.loss_scale != 1.0:
        out *= problem.loss_scale
    return out


def _linear_fast_path(problem, origin, d1, d2, x, y, progress):
    """Purelin neuron with d1 moving only input weights and the bias: the SSE is a quadratic in
    x on every row (kernels.recurrent.sse_plane_linear); overflowing rows fall back to the
    brute-force kernel."""
    model, data = problem.model, problem.data
    fb = slice(model.n_inputs, model.n_inputs + model.feedback_delays)
    U0, U1, V = (input_drive(model, data, v) for v in (origin, d1, d2))
    a0 = data.initial_outputs(model.feedback_delays)
    out = np.empty((len(y), len(x)))
    ok = np.empty(len(y), dtype=np.bool_)
    kr.sse_plane_linear(U0, U1, V, data.t, a0, origin[fb].copy(), d2[fb].copy(), x, y, out, ok)
    bad = np.flatnonzero(~ok)
    if bad.size:
        rows = np.empty((bad.size, len(x)))
        kr.sse_plane(U0, U1, V, data.t, a0, origin[fb].copy(), d1[fb].copy(), d2[fb].copy(),
                     x, y[bad], model._code, rows)
        out[bad] = rows
    if problem.loss_scale != 1.0:
        out *= problem.loss_scale
    return out

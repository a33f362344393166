"""Scans that use structure instead of brute force: the loss is a quadratic along directions
that move only parameters the outputs are affine in.

If the outputs are affine in the parameters ``model.linear_params()`` (the output layer of an
MLP or of a LayeredRecurrent net, the input weights and bias of a purelin neuron) and d1 moves
only those, then on every row of a plane scan, theta = o + y_i d2 + x d1, the residuals are
e(x) = e0 - x b with e0 the residuals at x = 0 and b = e0 - e(1). So

    SSE(x) = R_min + C (x - x*)^2,   C = sum b^2,   x* = sum e0 b / C,

and a row costs two forward passes instead of one per column: O(n) passes for an n x n grid
instead of n^2. x* is refined once by its residual and R_min computed directly (as in
``kernels.recurrent.sse_plane_linear``), so near a zero-loss minimum the result stays as
accurate as brute force. Rows whose outputs overflow are evaluated by brute force.
Recurrent neurons have their own fused kernel for this (``RecurrentNeuron.plane_sse``); this
module serves every other model.
"""

from __future__ import annotations

import numpy as np


def moves_only(direction: np.ndarray, params) -> bool:
    """Whether ``direction`` is zero outside the parameter indices ``params``."""
    mask = np.ones(direction.size, dtype=bool)
    mask[list(params)] = False
    return not np.any(direction[mask])


def quadratic_plane_losses(problem, origin, d1, d2, x, y):
    """Losses (len(y), len(x)) at origin + x_j d1 + y_i d2 through the quadratic form, or None
    when neither direction moves only ``problem.linear_params()``."""
    linear = problem.linear_params()
    if not linear:
        return None
    if moves_only(d1, linear):
        return _rows(problem, origin, d1, d2, x, y)
    if moves_only(d2, linear):
        return _rows(problem, origin, d2, d1, y, x).T.copy()
    return None


def _rows(problem, origin, d_lin, d_row, x, y):
    out = np.empty((len(y), len(x)))
    scale = problem.loss_scale
    for i, yi in enumerate(y):
        theta = origin + yi * d_row
        with np.errstate(over="ignore", invalid="ignore"):
            e0 = problem.residuals(theta)
            b = e0 - problem.residuals(theta + d_lin)
            C = float(b @ b)
        if not (np.all(np.isfinite(e0)) and np.isfinite(C)):
            out[i] = problem.losses(theta[None, :] + x[:, None] * d_lin[None, :])
            continue
        if C == 0.0:
            out[i] = scale * float(e0 @ e0)
            continue
        xs = float(e0 @ b) / C
        xs += float((e0 - xs * b) @ b) / C
        r = e0 - xs * b
        out[i] = scale * (float(r @ r) + C * (x - xs) ** 2)
    return out

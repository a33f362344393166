"""Gradient fields and exact Hessian eigenvalue maps over a grid (the eigenvalue maps of
Li et al. 2018, computed exactly instead of by Lanczos estimates)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ._evaluate import check_grid_memory, check_problem, check_ranges, check_shape, grid_axes
from ._progress import progress_bar
from ._results import Result


@dataclass(repr=False)
class CurvatureMap(Result):
    """Loss, gradient and Hessian summaries on a grid (``[i, j]`` at x[j], y[i]).

    Attributes
    ----------
    x, y : ndarray
    loss : ndarray (ny, nx)
    gradient : numpy.ma.MaskedArray (ny, nx, P)
        Full gradient at every point.
    gradient_norm, eig_min, eig_max : numpy.ma.MaskedArray (ny, nx)
        |grad|, smallest and largest eigenvalue of the full P x P Hessian. The derivative maps
        are masked where the loss is not finite (overflowed outputs: no derivative exists
        there), never NaN; ``meta["n_undefined"]`` counts those cells.
    det_sign : ndarray of int8 (ny, nx)
        Sign of the Hessian's determinant (0 where undefined).
    axes : (int, int)
    meta : dict
    """

    x: np.ndarray
    y: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    gradient_norm: np.ndarray
    eig_min: np.ndarray
    eig_max: np.ndarray
    det_sign: np.ndarray
    axes: tuple
    meta: dict = field(default_factory=dict)


def curvature_grid(problem, center, axes=(0, 1), ranges=((-2.0, 2.0), (-4.0, 4.0)),
                   shape=(128, 128), progress=None) -> CurvatureMap:
    """Exact gradient and Hessian summaries on the grid of :func:`fastsurf.scan.grid`.

    Parameters are those of :func:`fastsurf.scan.grid`. Each row of the grid is one call of
    ``problem.gradients`` and ``problem.hessians`` (batched kernels where the model has them,
    e.g. recurrent neurons; loops over the exact single-point derivatives otherwise).
    """
    check_problem(problem, ("n_params", "losses", "gradients", "hessians", "describe"))
    center, (ax0, ax1) = grid_axes(problem, center, axes)
    ranges = check_ranges(ranges)
    ny, nx = check_shape(shape)
    P = problem.n_params
    check_grid_memory(ny, nx, itemsize=8 * (P + 5))
    x = np.linspace(*ranges[0], nx)
    y = np.linspace(*ranges[1], ny)
    G = np.zeros((ny, nx, P))
    loss = np.empty((ny, nx))
    emin = np.zeros((ny, nx))
    emax = np.zeros((ny, nx))
    dsign = np.zeros((ny, nx), dtype=np.int8)
    defined = np.zeros((ny, nx), dtype=bool)
    t0 = time.perf_counter()
    with progress_bar(progress, total=ny, unit="row", desc="curvature") as bar:
        for i in range(ny):
            th = np.repeat(center[None, :], nx, axis=0)
            th[:, ax0] = x
            th[:, ax1] = y[i]
            loss[i] = problem.losses(th)
            # derivatives only where the loss is finite (elsewhere they do not exist)
            live = np.flatnonzero(np.isfinite(loss[i]))
            if live.size:
                g = problem.gradients(th[live])
                H = problem.hessians(th[live])
                ok = np.all(np.isfinite(H), axis=(1, 2)) & np.all(np.isfinite(g), axis=1)
                cells = live[ok]
                G[i, cells] = g[ok]
                w = np.linalg.eigvalsh(H[ok]) if ok.any() else np.zeros((0, P))
                emin[i, cells], emax[i, cells] = w[:, 0], w[:, -1]
                dsign[i, cells] = np.sign(np.prod(np.sign(w), axis=1))
                defined[i, cells] = True
            bar.update(1)
    meta = {**problem.describe(), "ranges": [list(ranges[0]), list(ranges[1])],
            "elapsed_s": time.perf_counter() - t0, "n_undefined": int((~defined).sum())}
    undefined = ~defined
    with np.errstate(over="ignore"):
        norms = np.linalg.norm(G, axis=2)
    return CurvatureMap(x=x, y=y, loss=loss,
                        gradient=np.ma.masked_array(G, np.repeat(undefined[:, :, None], P, 2)),
                        gradient_norm=np.ma.masked_array(norms, undefined),
                        eig_min=np.ma.masked_array(emin, undefined),
                        eig_max=np.ma.masked_array(emax, undefined),
                        det_sign=dsign, axes=(ax0, ax1), meta=meta)

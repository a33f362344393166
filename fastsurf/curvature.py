"""Gradient fields and exact Hessian eigenvalue maps over a grid (the eigenvalue maps of
Li et al. 2018, computed exactly instead of by Lanczos estimates)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _io
from ._progress import progress_bar
from .scan import _check_problem, _check_ranges, _check_shape, check_grid_memory, grid_axes


@dataclass
class CurvatureMap:
    """Loss, gradient and Hessian summaries on a grid (``[i, j]`` at x[j], y[i]).

    Attributes
    ----------
    x, y : ndarray
    loss : ndarray (ny, nx)
    gradient : ndarray (ny, nx, P)
        Full gradient at every point.
    gradient_norm, eig_min, eig_max : ndarray (ny, nx)
        |grad|, smallest and largest eigenvalue of the full P x P Hessian.
    det_sign : ndarray of int8 (ny, nx)
        Sign of the Hessian's determinant.
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

    def save(self, path):
        """Save to ``.npz`` atomically."""
        arrays = {k: getattr(self, k) for k in ("x", "y", "loss", "gradient", "gradient_norm",
                                                "eig_min", "eig_max", "det_sign")}
        return _io.save_npz(path, arrays, {"axes": list(self.axes), "meta": self.meta})

    @classmethod
    def load(cls, path) -> CurvatureMap:
        arrays, meta = _io.load_npz(path)
        return cls(**arrays, axes=tuple(meta["axes"]), meta=meta["meta"])


def _batched(problem):
    """(gradient_batch, hessian_batch) for the problem: fused kernels for recurrent neurons,
    loops over problem.gradient / problem.hessian otherwise."""
    from .models.recurrent import RecurrentNeuron
    from .problem import Problem
    if isinstance(problem, Problem) and isinstance(problem.model, RecurrentNeuron):
        from .kernels import recurrent_derivatives as rd
        args = problem.model.kernel_args(problem.data)
        s = problem.loss_scale
        return (lambda th: s * rd.sse_gradient_batch(th, *args),
                lambda th: s * rd.sse_hessian_batch(th, *args))
    return (lambda th: np.array([problem.gradient(t) for t in th]),
            lambda th: np.array([problem.hessian(t) for t in th]))


def curvature_grid(problem, center, axes=(0, 1), ranges=((-2.0, 2.0), (-4.0, 4.0)),
                   shape=(128, 128), progress=None) -> CurvatureMap:
    """Exact gradient and Hessian summaries on the grid of :func:`fastsurf.scan.grid`.

    Parameters are those of :func:`fastsurf.scan.grid`. Recurrent neurons use the batched
    Numba kernels (one pass per row of the grid); other problems loop over their exact
    ``gradient`` and ``hessian``.
    """
    _check_problem(problem)
    center, (ax0, ax1) = grid_axes(problem, center, axes)
    ranges = _check_ranges(ranges)
    ny, nx = _check_shape(shape)
    P = problem.n_params
    check_grid_memory(ny, nx, itemsize=8 * (P + 5))
    x = np.linspace(*ranges[0], nx)
    y = np.linspace(*ranges[1], ny)
    grad_b, hess_b = _batched(problem)
    G = np.empty((ny, nx, P))
    loss = np.empty((ny, nx))
    emin = np.empty((ny, nx))
    emax = np.empty((ny, nx))
    dsign = np.empty((ny, nx), dtype=np.int8)
    t0 = time.perf_counter()
    with progress_bar(progress, total=ny, unit="row", desc="curvature") as bar:
        for i in range(ny):
            th = np.repeat(center[None, :], nx, axis=0)
            th[:, ax0] = x
            th[:, ax1] = y[i]
            loss[i] = problem.losses(th)
            G[i] = grad_b(th)
            H = hess_b(th)
            ok = np.all(np.isfinite(H), axis=(1, 2))
            w = np.full((nx, P), np.nan)
            if ok.any():
                w[ok] = np.linalg.eigvalsh(H[ok])
            emin[i], emax[i] = w[:, 0], w[:, -1]
            dsign[i] = np.where(ok, np.sign(np.prod(np.sign(w), axis=1)), 0)
            bar.update(1)
    meta = {**problem.describe(), "ranges": [list(ranges[0]), list(ranges[1])],
            "elapsed_s": time.perf_counter() - t0}
    return CurvatureMap(x=x, y=y, loss=loss, gradient=G,
                        gradient_norm=np.linalg.norm(G, axis=2), eig_min=emin, eig_max=emax,
                        det_sign=dsign, axes=(ax0, ax1), meta=meta)

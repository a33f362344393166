"""Evaluation of a plane of losses, and the guards every scan shares (dtype, memory).

One function computes the loss at origin + x_j d1 + y_i d2 for a block of rows, whoever asks:
a whole local scan (:mod:`fastsurf.scan`) and each tile of a ``client=``/``store=`` scan
(:mod:`fastsurf._tiles`). It tries, in order, the problem's fused plane kernel
(``problem.plane_losses``), the structural path along parameters the residuals are affine in
(:mod:`fastsurf.structure`, ``method="auto"`` only), and ``problem.losses`` on batches of at most
``TILE_POINTS`` parameter vectors.
"""

from __future__ import annotations

import numpy as np

from ._arrays import count_nonfinite
from ._memory import check_memory, fits_in_memory
from ._progress import progress_bar
from ._validation import as_theta, check_choice, check_int, check_real
from .structure import quadratic_plane_losses

#: Scan evaluation methods (see :func:`fastsurf.scan.grid`).
SCAN_METHODS = ("auto", "brute")

#: Value types of a scan (see :func:`fastsurf.scan.grid`).
DTYPES = ("float64", "float32")

#: Largest number of parameter vectors materialised at once by the generic (non-fused) path.
TILE_POINTS = 1 << 15

#: Largest size in bytes of one batch of parameter vectors of the generic path (a net with
#: many parameters gets fewer points per batch; the losses do not depend on the batching).
BATCH_BYTES = 64 << 20


def batch_points(problem) -> int:
    """Parameter vectors per batch of the generic path: TILE_POINTS, fewer for large P."""
    return max(1, min(TILE_POINTS, BATCH_BYTES // (8 * problem.n_params)))


def check_dtype(problem, dtype) -> np.dtype:
    """``np.float64`` or ``np.float32``, the latter only where the problem's plane kernel
    computes it (``problem.plane_dtypes()``)."""
    name = np.dtype(dtype).name if isinstance(dtype, (type, np.dtype)) else dtype
    check_choice("dtype", name, DTYPES)
    if name not in problem.plane_dtypes():
        raise ValueError(f"dtype={name!r} is not available for {problem!r} (its plane scans "
                         f"compute {', '.join(problem.plane_dtypes())}); float32 is available "
                         "for RecurrentNeuron problems (fused kernels)")
    return np.dtype(name)


def tile_unit(problem, nx: int) -> int:
    """Rows a block of rows must be a multiple of so that its values are the bits of a whole
    scan: the fused kernel's block, else the point batches of the generic path."""
    unit = problem.plane_block_rows(nx)
    return unit if unit is not None else max(1, batch_points(problem) // nx)


def evaluate_plane(problem, origin, d1, d2, x, y, progress, method,
                   dtype=np.float64) -> tuple[np.ndarray, int]:
    """(loss at origin + x_j d1 + y_i d2 for every (i, j), shape (len(y), len(x)); the
    number of non-finite cells). A fused kernel counts them as it writes the values."""
    fused = problem.plane_losses(origin, d1, d2, x, y, method=method, dtype=dtype,
                                 progress=progress)
    if fused is not None:
        return fused
    if method == "auto":
        quadratic = quadratic_plane_losses(problem, origin, d1, d2, x, y)
        if quadratic is not None:
            return quadratic, int(count_nonfinite(quadratic))
    ny, nx = len(y), len(x)
    out = np.empty((ny, nx))
    points = batch_points(problem)
    rows_per_tile = max(1, points // nx)
    cols = min(nx, points)
    starts = range(0, ny, rows_per_tile)
    with progress_bar(progress, total=len(starts), unit="tile") as bar:
        for r0 in starts:
            rows = y[r0:r0 + rows_per_tile]
            for c0 in range(0, nx, cols):
                xs = x[c0:c0 + cols]
                thetas = (origin[None, None, :] + xs[None, :, None] * d1[None, None, :]
                          + rows[:, None, None] * d2[None, None, :])
                out[r0:r0 + len(rows), c0:c0 + len(xs)] = problem.losses(
                    thetas.reshape(-1, origin.size)).reshape(len(rows), len(xs))
            bar.update(1)
    # a user's function may answer NaN where the loss is undefined: stored as +inf (counted
    # with the overflowed cells), never as NaN
    np.copyto(out, np.inf, where=np.isnan(out))
    return out, int(count_nonfinite(out))


def evaluate_rows(problem, origin, d1, d2, x, y, method, dtype, r0: int, r1: int
                  ) -> tuple[np.ndarray, int]:
    """Rows r0:r1 of a scan and their non-finite count: what a whole local scan computes
    there, bit for bit (the unit of work of a tiled scan, also each Dask task)."""
    return evaluate_plane(problem, origin, d1, d2, x, y[r0:r1], False, method, dtype)


# --- arguments ---------------------------------------------------------------------------------
#: What a scan asks of its problem (see :class:`fastsurf.problem.Objective`).
SCAN_NEEDS = ("n_params", "param_names", "loss_scale", "loss", "losses", "describe",
              "linear_params", "plane_dtypes", "plane_block_rows", "plane_losses")


def check_problem(problem, needs=SCAN_NEEDS) -> None:
    """TypeError unless ``problem`` has every capability in ``needs``."""
    missing = [name for name in needs if not hasattr(problem, name)]
    if missing:
        raise TypeError("problem must be a fastsurf Problem, FunctionProblem or another "
                        "fastsurf.problem.Objective (missing "
                        f"{', '.join(map(repr, missing))}), got {type(problem).__name__}")


def check_ranges(ranges) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x_min, x_max), (y_min, y_max)) of real numbers with a finite span max - min > 0."""
    try:
        (x0, x1), (y0, y1) = ranges
    except (TypeError, ValueError):
        raise ValueError("ranges must be ((x_min, x_max), (y_min, y_max)), "
                         f"got {ranges!r}") from None
    out = []
    for name, lo, hi in (("x", x0, x1), ("y", y0, y1)):
        lo = check_real(f"ranges for {name} (min)", lo)
        hi = check_real(f"ranges for {name} (max)", hi)
        if not hi > lo:
            raise ValueError(f"ranges for {name} must satisfy min < max, got ({lo}, {hi})")
        if not np.isfinite(hi - lo):
            raise ValueError(f"ranges for {name} must have a finite span max - min, got "
                             f"({lo}, {hi}) whose span overflows")
        out.append((lo, hi))
    return out[0], out[1]


def check_shape(shape) -> tuple[int, int]:
    try:
        ny, nx = shape
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (ny, nx), got {shape!r}") from None
    return check_int("shape[0] (ny)", ny, minimum=2), check_int("shape[1] (nx)", nx, minimum=2)


def grid_axes(problem, center, axes) -> tuple[np.ndarray, tuple[int, int]]:
    """Validated centre and pair of distinct parameter indices of a grid scan."""
    P = problem.n_params
    center = as_theta("center", center, P)
    try:
        ax0, ax1 = axes
    except (TypeError, ValueError):
        raise ValueError(f"axes must be a pair of parameter indices, got {axes!r}") from None
    ax0 = check_int("axes[0]", ax0, minimum=0, maximum=P - 1)
    ax1 = check_int("axes[1]", ax1, minimum=0, maximum=P - 1)
    if ax0 == ax1:
        raise ValueError(f"axes must be two different parameters, got ({ax0}, {ax1})")
    return center, (ax0, ax1)


def check_grid_memory(ny: int, nx: int, itemsize: int = 8) -> None:
    """Refuse a grid whose values would not fit in available memory, before allocating it."""
    check_memory(ny * nx * itemsize, f"shape=({ny}, {nx})",
                 "scan it in pieces (sub-ranges) or stream it to disk tile by tile with "
                 "store='path.zarr'")


__all__ = ["DTYPES", "SCAN_METHODS", "TILE_POINTS", "check_dtype", "check_grid_memory",
           "check_problem", "check_ranges", "check_shape", "evaluate_plane", "evaluate_rows",
           "fits_in_memory", "grid_axes", "tile_unit"]

"""Grid, plane and line scans of a loss: whole error surfaces at full resolution.

``grid`` and ``plane`` return a :class:`Surface`; ``line`` returns a :class:`Profile`.
Recurrent neurons run a fused Numba kernel that computes every point's parameters itself and
sums all sequences and time steps in one pass; any other problem is evaluated tile by tile
through ``problem.losses`` (never more than one tile of parameter vectors in memory).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _io
from ._progress import check_progress
from ._validation import as_float_array, as_theta, check_choice, check_int
from .kernels.arrays import count_nonfinite

#: Scan evaluation methods (see :func:`grid`).
METHODS = ("auto", "brute")

#: Value types of a scan (see :func:`grid`).
DTYPES = ("float64", "float32")

#: Largest number of parameter vectors materialised at once by the generic (non-fused) path.
TILE_POINTS = 1 << 15


@dataclass
class Surface:
    """Loss over a 2-D slice of parameter space.

    Attributes
    ----------
    values : ndarray, shape (ny, nx)
        ``values[i, j]`` is the loss at scan coordinates (``x[j]``, ``y[i]``); +inf where the
        network's outputs overflow.
    x, y : ndarray
        Coordinates of the columns and rows.
    kind : {"grid", "plane"}
        ``grid``: theta = origin with theta[axes[0]] = x, theta[axes[1]] = y.
        ``plane``: theta = origin + x * d1 + y * d2.
    origin : ndarray, shape (P,)
        Centre (grid) or origin (plane).
    axes : tuple of int or None
        Varied parameters of a grid.
    d1, d2 : ndarray or None
        Directions of a plane.
    x_label, y_label : str
        Axis names for plots.
    meta : dict
        Model, data fingerprint, ranges, dtype, elapsed time, throughput.
    """

    values: np.ndarray
    x: np.ndarray
    y: np.ndarray
    kind: str
    origin: np.ndarray
    axes: tuple[int, int] | None = None
    d1: np.ndarray | None = None
    d2: np.ndarray | None = None
    x_label: str = "x"
    y_label: str = "y"
    meta: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    @property
    def nonfinite(self) -> np.ndarray:
        """Boolean mask of cells whose loss is not finite (overflowed outputs)."""
        return ~np.isfinite(self.values)

    @property
    def n_nonfinite(self) -> int:
        """Number of non-finite cells."""
        return int(count_nonfinite(np.ascontiguousarray(self.values)))

    def theta_at(self, x: float, y: float) -> np.ndarray:
        """Parameter vector at scan coordinates (x, y)."""
        if self.kind == "grid":
            theta = self.origin.copy()
            theta[self.axes[0]] = x
            theta[self.axes[1]] = y
            return theta
        return self.origin + x * self.d1 + y * self.d2

    def argmin(self) -> tuple[float, float, float]:
        """(x, y, loss) of the smallest finite cell."""
        finite = np.where(np.isfinite(self.values), self.values, np.inf)
        i, j = np.unravel_index(int(np.argmin(finite)), finite.shape)
        return float(self.x[j]), float(self.y[i]), float(self.values[i, j])

    def save(self, path) -> None:
        """Save to ``.npz`` atomically (temporary file, then rename)."""
        arrays = {"values": self.values, "x": self.x, "y": self.y, "origin": self.origin,
                  "d1": self.d1, "d2": self.d2}
        meta = {"kind": self.kind, "axes": list(self.axes) if self.axes else None,
                "x_label": self.x_label, "y_label": self.y_label, "meta": self.meta}
        return _io.save_npz(path, arrays, meta)

    @classmethod
    def load(cls, path) -> Surface:
        """Load a Surface written by :meth:`save`."""
        arrays, meta = _io.load_npz(path)
        return cls(values=arrays["values"], x=arrays["x"], y=arrays["y"], kind=meta["kind"],
                   origin=arrays["origin"], axes=tuple(meta["axes"]) if meta["axes"] else None,
                   d1=arrays.get("d1"), d2=arrays.get("d2"), x_label=meta["x_label"],
                   y_label=meta["y_label"], meta=meta["meta"])

    def to_xarray(self):
        """The surface as an ``xarray.DataArray`` (requires xarray)."""
        import xarray as xr
        return xr.DataArray(self.values, coords={self.y_label: self.y, self.x_label: self.x},
                            dims=(self.y_label, self.x_label), attrs=dict(self.meta))

    def plot(self, log: bool = True, ax=None, contours: int | None = None,
             three_d: bool = False, **kwargs):
        """Draw the surface (see :func:`fastsurf.plot.surface`)."""
        from .plot import surface as plot_surface
        return plot_surface(self, log=log, ax=ax, contours=contours, three_d=three_d, **kwargs)


@dataclass
class Profile:
    """Loss along the segment (1 - alpha) * theta0 + alpha * theta1."""

    alpha: np.ndarray
    values: np.ndarray
    theta0: np.ndarray
    theta1: np.ndarray
    meta: dict = field(default_factory=dict)

    def thetas(self) -> np.ndarray:
        """Parameter vectors at every alpha, shape (n, P)."""
        return (1.0 - self.alpha)[:, None] * self.theta0 + self.alpha[:, None] * self.theta1

    def save(self, path) -> None:
        """Save to ``.npz`` atomically."""
        return _io.save_npz(path, {"alpha": self.alpha, "values": self.values,
                                   "theta0": self.theta0, "theta1": self.theta1},
                            {"meta": self.meta})

    @classmethod
    def load(cls, path) -> Profile:
        arrays, meta = _io.load_npz(path)
        return cls(alpha=arrays["alpha"], values=arrays["values"], theta0=arrays["theta0"],
                   theta1=arrays["theta1"], meta=meta["meta"])

    def plot(self, log: bool = True, ax=None, **kwargs):
        """Loss against alpha (see :func:`fastsurf.plot.profile`)."""
        from .plot import profile as plot_profile
        return plot_profile(self, log=log, ax=ax, **kwargs)


# --- validation helpers --------------------------------------------------------------------------
def _check_problem(problem) -> None:
    for method in ("losses", "loss", "n_params"):
        if not hasattr(problem, method):
            raise TypeError("problem must be a fastsurf Problem or FunctionProblem "
                            f"(missing {method!r}), got {type(problem).__name__}")


def _check_ranges(ranges) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        (x0, x1), (y0, y1) = ranges
    except (TypeError, ValueError):
        raise ValueError("ranges must be ((x_min, x_max), (y_min, y_max)), "
                         f"got {ranges!r}") from None
    out = []
    for name, lo, hi in (("x", x0, x1), ("y", y0, y1)):
        lo, hi = float(lo), float(hi)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ValueError(f"ranges for {name} must be finite, got ({lo}, {hi})")
        if not hi > lo:
            raise ValueError(f"ranges for {name} must satisfy min < max, got ({lo}, {hi})")
        out.append((lo, hi))
    return out[0], out[1]


def _check_shape(shape) -> tuple[int, int]:
    try:
        ny, nx = shape
    except (TypeError, ValueError):
        raise ValueError(f"shape must be (ny, nx), got {shape!r}") from None
    return check_int("shape[0] (ny)", ny, minimum=2), check_int("shape[1] (nx)", nx, minimum=2)


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def check_grid_memory(ny: int, nx: int, itemsize: int = 8) -> None:
    """Refuse a grid whose values would not fit in available memory, before allocating it."""
    need = ny * nx * itemsize
    avail = _available_memory()
    if need > 0.8 * avail:
        raise ValueError(
            f"shape=({ny}, {nx}) needs {need / 2**30:.1f} GiB for the values but only "
            f"{avail / 2**30:.1f} GiB of memory is available; scan it in pieces (sub-ranges) "
            "or stream it to disk tile by tile with store='path.zarr'")


def _check_unsupported(client, store) -> None:
    if client is not None:
        raise NotImplementedError("client= (Dask execution) is not available in this version")
    if store is not None:
        raise NotImplementedError("store= (Zarr streaming) is not available in this version")


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


# --- evaluation ----------------------------------------------------------------------------------
def _check_dtype(problem, dtype) -> np.dtype:
    """``np.float64`` or ``np.float32``, the latter only where a float32 kernel exists."""
    from .fused import has_fused_kernel
    name = np.dtype(dtype).name if isinstance(dtype, (type, np.dtype)) else dtype
    check_choice("dtype", name, DTYPES)
    if name == "float32" and not has_fused_kernel(problem):
        raise ValueError("dtype='float32' is available for RecurrentNeuron problems (fused "
                         f"kernels); {type(getattr(problem, 'model', problem)).__name__} scans "
                         "compute in float64 (use dtype='float64')")
    return np.dtype(name)


def _evaluate_plane(problem, origin, d1, d2, x, y, progress, method,
                    dtype=np.float64) -> np.ndarray:
    """Loss at origin + x_j d1 + y_i d2 for every (i, j)."""
    from ._progress import progress_bar
    from .fused import plane_losses
    fused = plane_losses(problem, origin, d1, d2, x, y, progress, method, dtype)
    if fused is not None:
        return fused
    if method == "auto":
        from .structure import quadratic_plane_losses
        quadratic = quadratic_plane_losses(problem, origin, d1, d2, x, y)
        if quadratic is not None:
            return quadratic
    ny, nx = len(y), len(x)
    out = np.empty((ny, nx))
    rows_per_tile = max(1, TILE_POINTS // nx)
    starts = range(0, ny, rows_per_tile)
    with progress_bar(progress, total=len(starts), unit="tile") as bar:
        for r0 in starts:
            rows = y[r0:r0 + rows_per_tile]
            thetas = (origin[None, None, :] + x[None, :, None] * d1[None, None, :]
                      + rows[:, None, None] * d2[None, None, :])
            out[r0:r0 + len(rows)] = problem.losses(thetas.reshape(-1, origin.size)).reshape(
                len(rows), nx)
            bar.update(1)
    return out


def _run(problem, origin, d1, d2, ranges, shape, progress, method, dtype):
    """Check ranges, shape and dtype, then evaluate origin + x d1 + y d2 on the grid:
    (values, x, y, ranges, elapsed seconds)."""
    check_progress(progress)
    ranges = _check_ranges(ranges)
    ny, nx = _check_shape(shape)
    dtype = _check_dtype(problem, dtype)
    check_grid_memory(ny, nx, dtype.itemsize)
    x = np.linspace(*ranges[0], nx)
    y = np.linspace(*ranges[1], ny)
    t0 = time.perf_counter()
    values = _evaluate_plane(problem, origin, d1, d2, x, y, progress,
                             check_choice("method", method, METHODS), dtype)
    return values, x, y, ranges, time.perf_counter() - t0


def _finish(problem, values, x, y, kind, origin, axes, d1, d2, labels, ranges, elapsed,
            extra) -> Surface:
    T = getattr(getattr(problem, "data", None), "T", None)
    n_seq = getattr(getattr(problem, "data", None), "n_seq", 1)
    meta = {**problem.describe(), "ranges": [list(ranges[0]), list(ranges[1])],
            "shape": list(values.shape), "dtype": values.dtype.name, "elapsed_s": elapsed,
            "n_nonfinite": int(count_nonfinite(values)), **extra}
    if T is not None and elapsed > 0:
        meta["grid_point_steps_per_s"] = values.size * T * n_seq / elapsed
    return Surface(values=values, x=x, y=y, kind=kind, origin=origin, axes=axes, d1=d1, d2=d2,
                   x_label=labels[0], y_label=labels[1], meta=meta)


def grid(problem, center, axes=(0, 1), ranges=((-2.0, 2.0), (-4.0, 4.0)), shape=(512, 512),
         client=None, store=None, progress=None, method: str = "auto",
         dtype: str = "float64") -> Surface:
    """Loss over a grid of two parameters, the others fixed at ``center``.

    Parameters
    ----------
    problem : Problem or FunctionProblem
    center : array_like, shape (P,)
        Values of the parameters that are not varied (the varied ones are overwritten).
    axes : (int, int)
        Indices of the parameters on the x and y axes (distinct, 0 <= axis < P).
    ranges : ((float, float), (float, float))
        Closed intervals of x and y (min < max).
    shape : (int, int)
        (ny, nx) points, both >= 2; ``x = linspace(*ranges[0], nx)``,
        ``y = linspace(*ranges[1], ny)``.
    client, store
        Dask client and Zarr path (reserved; not available in this version).
    progress : bool or None
        Progress bar over tiles; None shows it only when the scan takes longer than 2 s.
    method : {"auto", "brute"}
        ``"auto"`` exploits structure where it applies: along an axis that moves only
        parameters the outputs are affine in (``model.linear_params()``: the input weights and
        bias of a purelin neuron, the output layer of an MLP or LayeredRecurrent net) the SSE
        is a quadratic on every row, so a grid costs O(n) forward passes instead of O(n^2)
        (for purelin neurons a fused kernel: O(n T + n^2) instead of O(n^2 T); see
        :mod:`fastsurf.structure`). Equal to brute force to rounding (tested).
        ``"brute"`` evaluates the model at every point.
    dtype : {"float64", "float32"}
        Precision of the values. ``"float32"`` (RecurrentNeuron problems only) runs the
        recurrence in float32 — inputs, targets, grid coordinates and state rounded to float32,
        8 SIMD lanes instead of 4, about twice as fast; the structural purelin path computes in
        float64 and rounds. Measured against float64 on Horn's grids (T = 100, docs/
        performance.md): median relative difference about 1e-6, growing with T and near
        instability. float64 is the default and the reference.

    Returns
    -------
    Surface
        ``values[i, j]`` = loss at theta = center with theta[axes[0]] = x[j],
        theta[axes[1]] = y[i].
    """
    _check_problem(problem)
    _check_unsupported(client, store)
    P = problem.n_params
    center, (ax0, ax1) = grid_axes(problem, center, axes)
    origin = center.copy()
    origin[ax0] = 0.0
    origin[ax1] = 0.0
    e0 = np.zeros(P)
    e0[ax0] = 1.0
    e1 = np.zeros(P)
    e1[ax1] = 1.0
    values, x, y, ranges, elapsed = _run(problem, origin, e0, e1, ranges, shape, progress,
                                         method, dtype)
    names = problem.param_names
    return _finish(problem, values, x, y, "grid", center, (ax0, ax1), None, None,
                   (names[ax0], names[ax1]), ranges, elapsed,
                   {"axes": [ax0, ax1], "method": method})


def plane(problem, origin, d1, d2, ranges=((-1.0, 1.0), (-1.0, 1.0)), shape=(512, 512),
          normalize: str | None = None, client=None, store=None, progress=None,
          method: str = "auto", dtype: str = "float64") -> Surface:
    """Loss over the plane theta = origin + x * d1 + y * d2.

    Parameters
    ----------
    problem : Problem or FunctionProblem
    origin, d1, d2 : array_like, shape (P,)
        Origin and the two directions (non-zero, not parallel).
    ranges, shape, client, store, progress, method, dtype
        As in :func:`grid`.
    normalize : {None, "unit"}
        ``"unit"`` rescales d1 and d2 to unit length first; None uses them as given.
    """
    _check_problem(problem)
    _check_unsupported(client, store)
    P = problem.n_params
    origin = as_theta("origin", origin, P)
    d1 = as_theta("d1", d1, P)
    d2 = as_theta("d2", d2, P)
    if normalize is not None:
        check_choice("normalize", normalize, ("unit",))
    for name, d in (("d1", d1), ("d2", d2)):
        if not np.any(d):
            raise ValueError(f"{name} must be a non-zero direction")
    cos = abs(d1 @ d2) / (np.linalg.norm(d1) * np.linalg.norm(d2))
    if cos > 1 - 1e-12:
        raise ValueError("d1 and d2 must not be parallel")
    if normalize == "unit":
        d1 = d1 / np.linalg.norm(d1)
        d2 = d2 / np.linalg.norm(d2)
    values, x, y, ranges, elapsed = _run(problem, origin, d1, d2, ranges, shape, progress,
                                         method, dtype)
    return _finish(problem, values, x, y, "plane", origin, None, d1, d2, ("x", "y"), ranges,
                   elapsed, {"normalize": normalize, "method": method})


def line(problem, theta0, theta1, alphas=201) -> Profile:
    """Loss along (1 - alpha) * theta0 + alpha * theta1.

    Parameters
    ----------
    problem : Problem or FunctionProblem
    theta0, theta1 : array_like, shape (P,)
        End points (alpha = 0 and alpha = 1).
    alphas : int or array_like
        Number of equally spaced alphas in [0, 1] (>= 2), or the alphas themselves (finite;
        any values, e.g. a zoom such as ``np.linspace(0.99, 1, 200)`` or an extrapolation).
    """
    _check_problem(problem)
    P = problem.n_params
    theta0 = as_theta("theta0", theta0, P)
    theta1 = as_theta("theta1", theta1, P)
    if isinstance(alphas, (int, np.integer)) and not isinstance(alphas, bool):
        alphas = np.linspace(0.0, 1.0, check_int("alphas", alphas, minimum=2))
    else:
        alphas = as_float_array("alphas", alphas, ndim=1)
    t0 = time.perf_counter()
    thetas = (1.0 - alphas)[:, None] * theta0 + alphas[:, None] * theta1
    # The end points are the given vectors exactly (no rounding of (1 - a) * t0 + a * t1).
    thetas[alphas == 0.0] = theta0
    thetas[alphas == 1.0] = theta1
    values = problem.losses(thetas)
    meta = {**problem.describe(), "elapsed_s": time.perf_counter() - t0}
    return Profile(alpha=alphas, values=values, theta0=theta0, theta1=theta1, meta=meta)

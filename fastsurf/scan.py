"""Grid, plane and line scans of a loss: whole error surfaces at full resolution.

``grid`` and ``plane`` return a :class:`Surface`; ``line`` returns a :class:`Profile`.
The values come from :func:`fastsurf._evaluate.evaluate_plane`: the problem's fused plane kernel
where it has one (recurrent neurons: every point's parameters computed inside the kernel, all
sequences and steps summed in one pass), the structural path along parameters the residuals are
affine in, or ``problem.losses`` tile by tile (never more than one tile of parameter vectors in
memory). With ``client=`` or ``store=`` the grid is cut into tiles of rows
(:mod:`fastsurf._tiles`) that run as Dask tasks and/or stream into a Zarr store, each through the
same function as a local scan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _tiles
from ._arrays import count_nonfinite
from ._dask import check_client
from ._evaluate import (
    DTYPES,
    SCAN_METHODS,
    check_dtype,
    check_grid_memory,
    check_problem,
    check_ranges,
    check_shape,
    evaluate_plane,
    grid_axes,
)
from ._memory import check_memory
from ._progress import check_progress
from ._results import Result
from ._validation import as_float_array, as_theta, check_choice, check_int
from .plot.surfaces import profile as _plot_profile
from .plot.surfaces import surface as _plot_surface

__all__ = ["DTYPES", "SCAN_METHODS", "Profile", "Surface", "grid", "line", "plane"]


@dataclass(repr=False)
class Surface(Result):
    """Loss over a 2-D slice of parameter space.

    Attributes
    ----------
    values : ndarray or zarr.Array, shape (ny, nx)
        ``values[i, j]`` is the loss at scan coordinates (``x[j]``, ``y[i]``); +inf where the
        network's outputs overflow. A NumPy array, except for a ``store=`` scan (or
        :meth:`from_zarr`) whose grid does not fit in memory: then the store's read-only
        ``zarr.Array``. ``shape``, ``n_nonfinite`` and ``argmin`` read such values tile by
        tile; everything else (``nonfinite``, ``save``, ``plot``, ``to_xarray``) loads them.
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
        """Number of non-finite cells (counted when the scan ran: ``meta["n_nonfinite"]``;
        counted again, tile by tile, for a surface built without it)."""
        if "n_nonfinite" in self.meta:
            return int(self.meta["n_nonfinite"])
        return sum(int(count_nonfinite(np.ascontiguousarray(block)))
                   for _, block in _row_blocks(self.values))

    def theta_at(self, x: float, y: float) -> np.ndarray:
        """Parameter vector at scan coordinates (x, y)."""
        if self.kind == "grid":
            theta = self.origin.copy()
            theta[self.axes[0]] = x
            theta[self.axes[1]] = y
            return theta
        return self.origin + x * self.d1 + y * self.d2

    def argmin(self) -> tuple[float, float, float]:
        """(x, y, loss) of the smallest finite cell (the first in row-major order on ties);
        ValueError when no cell is finite."""
        best = None
        for r0, block in _row_blocks(self.values):
            finite = np.where(np.isfinite(block), block, np.inf)
            i, j = np.unravel_index(int(np.argmin(finite)), finite.shape)
            if best is None or finite[i, j] < best[2]:
                best = (r0 + i, j, finite[i, j])
        i, j, v = best
        if not np.isfinite(v):
            raise ValueError(f"the surface has no finite cell (all {self.values.size} cells "
                             "overflowed): there is no minimum")
        return float(self.x[j]), float(self.y[i]), float(self.values[i, j])

    @classmethod
    def from_zarr(cls, path) -> Surface:
        """Reopen the store of a finished ``store=`` scan (see :func:`grid`).

        ``values`` is loaded when the grid fits in memory, else the read-only ``zarr.Array``.
        An unfinished store is a ValueError: run the same scan with it again to finish it.
        """
        return cls(**_tiles.open_surface(path))

    def to_xarray(self):
        """The surface as an ``xarray.DataArray`` (requires xarray)."""
        import xarray as xr
        return xr.DataArray(self.values, coords={self.y_label: self.y, self.x_label: self.x},
                            dims=(self.y_label, self.x_label), attrs=dict(self.meta))

    def plot(self, log: bool = True, ax=None, contours: int | None = None,
             three_d: bool = False, **kwargs):
        """Draw the surface (see :func:`fastsurf.plot.surface`)."""
        return _plot_surface(self, log=log, ax=ax, contours=contours, three_d=three_d, **kwargs)


@dataclass(repr=False)
class Profile(Result):
    """Loss along the segment (1 - alpha) * theta0 + alpha * theta1."""

    alpha: np.ndarray
    values: np.ndarray
    theta0: np.ndarray
    theta1: np.ndarray
    meta: dict = field(default_factory=dict)

    def thetas(self) -> np.ndarray:
        """Parameter vectors at every alpha, shape (n, P)."""
        return (1.0 - self.alpha)[:, None] * self.theta0 + self.alpha[:, None] * self.theta1

    def plot(self, log: bool = True, ax=None, **kwargs):
        """Loss against alpha (see :func:`fastsurf.plot.profile`)."""
        return _plot_profile(self, log=log, ax=ax, **kwargs)


def _row_blocks(values):
    """(first row, block) over the rows of ``values``: a NumPy array whole, a zarr.Array one
    chunk of rows at a time."""
    if isinstance(values, np.ndarray):
        yield 0, values
        return
    rows = values.chunks[0]
    for r0 in range(0, values.shape[0], rows):
        yield r0, np.asarray(values[r0:r0 + rows])


def _scan(problem, frame: Surface, origin, d1, d2, ranges, shape, progress, method, dtype,
          client, store, tile_rows, extra: dict) -> Surface:
    """Check the common arguments, evaluate origin + x d1 + y d2 on the grid (whole, or tile by
    tile for client=/store=/tile_rows=) and fill in ``frame``'s values, coordinates and meta."""
    check_progress(progress)
    check_client(client)
    ranges = check_ranges(ranges)
    ny, nx = check_shape(shape)
    method = check_choice("method", method, SCAN_METHODS)
    dtype = check_dtype(problem, dtype)
    tiled = client is not None or store is not None or tile_rows is not None
    if tiled:
        store = _tiles.check_store(store)
    if store is None:
        check_grid_memory(ny, nx, dtype.itemsize)
    x = np.linspace(*ranges[0], nx)
    y = np.linspace(*ranges[1], ny)
    t0 = time.perf_counter()
    tiles = None
    described = problem.describe()
    if tiled:
        spec = {"kind": frame.kind, "problem": described, "ranges": ranges,
                "shape": [ny, nx], "method": method, "dtype": dtype.name, "origin": frame.origin,
                "axes": frame.axes, "d1": frame.d1, "d2": frame.d2, **extra}
        values, info, tiles = _tiles.scan_tiles(problem, origin, d1, d2, x, y, method, dtype,
                                                spec, client, store, tile_rows, progress)
    else:
        values, n_bad = evaluate_plane(problem, origin, d1, d2, x, y, progress, method, dtype)
        info = {"n_nonfinite": n_bad, "points_computed": values.size}
    elapsed = time.perf_counter() - t0
    points = info.pop("points_computed")
    frame.values, frame.x, frame.y = values, x, y
    frame.meta = {**described, "ranges": [list(ranges[0]), list(ranges[1])],
                  "shape": [ny, nx], "dtype": dtype.name, "elapsed_s": elapsed, **info, **extra}
    T = getattr(getattr(problem, "data", None), "T", None)
    n_seq = getattr(getattr(problem, "data", None), "n_seq", 1)
    if T is not None and elapsed > 0 and points:
        frame.meta["grid_point_steps_per_s"] = points * T * n_seq / elapsed
    if tiles is not None:
        tiles.finish(frame.x_label, frame.y_label, frame.meta)
    return frame


def grid(problem, center, axes=(0, 1), ranges=((-2.0, 2.0), (-4.0, 4.0)), shape=(512, 512),
         client=None, store=None, progress=None, method: str = "auto",
         dtype: str = "float64", tile_rows: int | None = None) -> Surface:
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
        ``y = linspace(*ranges[1], ny)``. Without ``store=`` the values must fit in memory.
    client : dask.distributed.Client or None
        Run the tiles as tasks on this cluster (the problem is sent to every worker once;
        each task runs the local scan's function on its rows, so the values are the same bits
        as a local scan). The workers need fastsurf installed.
    store : str or os.PathLike or None
        Zarr directory to stream the values into, tile by tile (needs zarr >= 3). Each finished
        tile is written, then flagged done; calling again with the same arguments and store
        resumes, computing only the missing tiles (with ``client=`` too). A store written for
        another scan (problem with its data fingerprint, ranges, shape, method, kind, origin,
        axes or directions) is a ValueError, never overwritten: delete the directory to start
        over. The full grid is never held in memory for the computation, so grids larger than
        memory work; the returned values are loaded only when they fit in memory, else they
        are the store's read-only ``zarr.Array`` (see :class:`Surface`). Reopen a finished store
        with :meth:`Surface.from_zarr`. A FunctionProblem is identified by its name only.
    tile_rows : int or None
        Rows per tile with ``client=``/``store=`` (a Zarr chunk, a Dask task); None chooses
        about 2 MB of values per tile, or keeps a resumed store's. Must be a multiple of the
        kernels' block of rows: 256 for recurrent neurons, max(1, 32768 // nx) otherwise.
        Given without client or store, the scan runs tile by tile in process.
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
        twice the SIMD lanes — about 2-3x faster for tansig/logsig; the structural purelin
        path computes in float64 and rounds. Accuracy against float64 (docs/performance.md):
        median relative difference about 1e-7, at most about 1e-3 near zero-loss minima where
        the SSE cancels; float32 overflows to +inf beyond 3.4e38. float64 is the default.
    Returns
    -------
    Surface
        ``values[i, j]`` = loss at theta = center with theta[axes[0]] = x[j],
        theta[axes[1]] = y[i]. ``meta`` also holds ``tiles``, ``tiles_computed`` (by this
        call), ``tile_rows`` and ``store`` for a tiled scan.

    Examples
    --------
    Horn et al.'s Fig. 3: the SSE of the first-order linear neuron over (w1, w2).

    >>> import fastsurf as fs
    >>> model = fs.RecurrentNeuron("purelin")
    >>> prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))
    >>> s = fs.scan.grid(prob, (0.5, 0.5), ranges=((-2, 2), (-5, 5)), shape=(256, 256))
    >>> s.values.shape
    (256, 256)
    >>> x, y, best = s.argmin()          # the teacher's weights, to a cell
    >>> abs(x - 0.5) < 0.02 and abs(y - 0.5) < 0.05
    True
    """
    check_problem(problem)
    P = problem.n_params
    center, (ax0, ax1) = grid_axes(problem, center, axes)
    origin = center.copy()
    origin[ax0] = 0.0
    origin[ax1] = 0.0
    e0 = np.zeros(P)
    e0[ax0] = 1.0
    e1 = np.zeros(P)
    e1[ax1] = 1.0
    names = problem.param_names
    frame = Surface(values=None, x=None, y=None, kind="grid", origin=center, axes=(ax0, ax1),
                    x_label=names[ax0], y_label=names[ax1])
    return _scan(problem, frame, origin, e0, e1, ranges, shape, progress, method, dtype, client,
                 store, tile_rows, {"axes": [ax0, ax1], "method": method})


def plane(problem, origin, d1, d2, ranges=((-1.0, 1.0), (-1.0, 1.0)), shape=(512, 512),
          normalize: str | None = None, client=None, store=None, progress=None,
          method: str = "auto", dtype: str = "float64",
          tile_rows: int | None = None) -> Surface:
    """Loss over the plane theta = origin + x * d1 + y * d2.

    Parameters
    ----------
    problem : Problem or FunctionProblem
    origin, d1, d2 : array_like, shape (P,)
        Origin and the two directions (non-zero, not parallel).
    ranges, shape, client, store, progress, method, dtype, tile_rows
        As in :func:`grid`.
    normalize : {None, "unit"}
        ``"unit"`` rescales d1 and d2 to unit length first; None uses them as given.

    Examples
    --------
    The plane through a minimum spanned by two random directions of an MLP.

    >>> import numpy as np, fastsurf as fs
    >>> x = np.linspace(-1, 1, 32)
    >>> prob = fs.Problem(fs.MLP((1, 4, 1), "tanh"), fs.RegressionData(x, np.sin(3 * x)))
    >>> rng = np.random.default_rng(0)
    >>> theta = prob.model.init(rng)
    >>> d1, d2 = rng.standard_normal((2, prob.n_params))
    >>> s = fs.scan.plane(prob, theta, d1, d2, shape=(64, 64), normalize="unit")
    >>> bool(np.isclose(s.values[32, 32], prob.loss(s.theta_at(s.x[32], s.y[32]))))
    True
    """
    check_problem(problem)
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
    frame = Surface(values=None, x=None, y=None, kind="plane", origin=origin, d1=d1, d2=d2,
                    x_label="x", y_label="y")
    return _scan(problem, frame, origin, d1, d2, ranges, shape, progress, method, dtype, client,
                 store, tile_rows, {"normalize": normalize, "method": method})


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

    Examples
    --------
    >>> import fastsurf as fs
    >>> model = fs.RecurrentNeuron("tansig")
    >>> prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=50, seed=0))
    >>> p = fs.scan.line(prob, (0.5, 0.5), (0.5, 3.0), alphas=101)
    >>> float(p.values[0])               # the teacher: zero loss
    0.0
    """
    check_problem(problem)
    P = problem.n_params
    theta0 = as_theta("theta0", theta0, P)
    theta1 = as_theta("theta1", theta1, P)
    if isinstance(alphas, (int, np.integer)) and not isinstance(alphas, bool):
        n = check_int("alphas", alphas, minimum=2)
        check_memory(8 * n * (P + 2), f"alphas={n} points of {P} parameters")
        alphas = np.linspace(0.0, 1.0, n)
    else:
        alphas = as_float_array("alphas", alphas, ndim=1)
        check_memory(8 * alphas.size * (P + 2), f"{alphas.size} alphas of {P} parameters")
    t0 = time.perf_counter()
    thetas = (1.0 - alphas)[:, None] * theta0 + alphas[:, None] * theta1
    # The end points are the given vectors exactly (no rounding of (1 - a) * t0 + a * t1).
    thetas[alphas == 0.0] = theta0
    thetas[alphas == 1.0] = theta1
    values = problem.losses(thetas)
    meta = {**problem.describe(), "elapsed_s": time.perf_counter() - t0}
    return Profile(alpha=alphas, values=values, theta0=theta0, theta1=theta1, meta=meta)

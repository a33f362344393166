"""Row tiles of a plane scan: the unit of ``client=`` (Dask tasks) and ``store=`` (Zarr chunks).

A tile is a block of consecutive grid rows, evaluated by the function a whole local scan runs
(:func:`fastsurf._evaluate.evaluate_rows`). Every row depends only on its own y, and tiles start
on the boundaries of the blocks the kernels work in (the lane blocks of the fused kernels, the
point batches of the generic path), so a tiled scan gives the same bits as a whole one.

Imported only when ``client=`` or ``store=`` is given; Zarr only when ``store=`` is. A store is a
Zarr v3 group (one directory):

- ``values`` (ny, nx) of the scan's dtype (float64 or float32), chunks (tile_rows, nx); NaN
  where no tile has been written;
- ``x`` (nx,), ``y`` (ny,): the coordinates;
- ``tile_nonfinite`` (n_tiles,) int64, one chunk per tile: -1 until tile t is finished, then
  its number of non-finite cells. It is written after the tile's values, so it is the tile's
  "done" flag, and the surface's non-finite count needs no pass over the values;
- attribute ``fastsurf``: ``format``, ``tile_rows``, ``scan`` (what identifies the scan:
  problem description with data fingerprint, kind, ranges, shape, method, dtype, origin, axes or
  directions) and, once the scan has finished, ``surface`` (labels and metadata).

Zarr's local store writes every chunk to a temporary file and renames it into place, and the
store itself is built in a temporary directory and renamed, so a killed scan leaves whole tiles
and flags only. Two processes that start the same scan on a fresh store together both build a
temporary store; the first rename wins and the other opens the winner's store. Temporaries left
by killed processes are removed. One scan at a time writes a store.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import _io
from ._dask import run_tasks
from ._evaluate import evaluate_rows, tile_unit
from ._memory import check_disk, check_memory, fits_in_memory, remove_stale_temporaries
from ._progress import progress_bar
from ._validation import check_int

#: Target size in bytes of one tile's values (a Zarr chunk, a Dask task's result).
TILE_BYTES = 2 << 20
#: Version of the store layout above.
FORMAT = 1
_ATTR = "fastsurf"


def _zarr():
    try:
        import zarr
    except ImportError:
        raise ImportError("store= needs zarr >= 3: pip install 'fastsurf[distributed]'") from None
    if int(zarr.__version__.split(".")[0]) < 3:
        raise ImportError(f"store= needs zarr >= 3, found {zarr.__version__}: "
                          "pip install 'fastsurf[distributed]'")
    return zarr


def check_store(store, name: str = "store") -> Path | None:
    """None, or the store path (str or os.PathLike) once Zarr is known to be importable."""
    if store is None:
        return None
    if not isinstance(store, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike) of a Zarr directory, "
                        f"got {type(store).__name__}")
    _zarr()
    return Path(store)


def choose_tile_rows(problem, nx: int, tile_rows: int | None, itemsize: int = 8) -> int:
    """Validated ``tile_rows``, or the largest multiple of the unit within TILE_BYTES."""
    unit = tile_unit(problem, nx)
    if tile_rows is None:
        return unit * max(1, TILE_BYTES // (itemsize * nx * unit))
    tile_rows = check_int("tile_rows", tile_rows, minimum=1)
    if tile_rows % unit:
        raise ValueError(f"tile_rows must be a multiple of {unit} for this problem and nx = {nx} "
                         f"(the kernels' block of rows), got {tile_rows}")
    return tile_rows


def scan_tiles(problem, origin, d1, d2, x, y, method, dtype, spec, client, store, tile_rows,
               progress):
    """Evaluate the scan tile by tile, locally or on ``client``, streaming to ``store``.

    Returns (values, info, tile_store): values a NumPy array, or the store's read-only
    ``zarr.Array`` when the grid does not fit in memory; info the tile counts for the metadata.
    """
    ny, nx = len(y), len(x)
    rows = choose_tile_rows(problem, nx, tile_rows, dtype.itemsize)
    # a tile being computed and the one being written are in memory together
    check_memory(2 * rows * nx * dtype.itemsize, f"a tile of {rows} rows x nx = {nx}",
                 "tiles are at least the kernels' block of rows: use fewer columns (nx)")
    tiles = None
    if store is not None:
        if not store.exists():
            check_disk(store, ny * nx * dtype.itemsize, f"the store of shape=({ny}, {nx})")
        tiles = TileStore.open(store, spec, x, y, rows, adopt=tile_rows is None)
        rows = tiles.tile_rows
    bounds = [(r0, min(r0 + rows, ny)) for r0 in range(0, ny, rows)]
    counts = np.full(len(bounds), -1, dtype=np.int64) if tiles is None else tiles.counts()
    todo = [t for t in range(len(bounds)) if counts[t] < 0]
    out = (np.empty((ny, nx), dtype) if tiles is None or fits_in_memory(ny * nx * dtype.itemsize)
           else None)
    if out is not None and tiles is not None:
        for t in np.flatnonzero(counts >= 0):
            r0, r1 = bounds[t]
            out[r0:r1] = read_chunk(tiles.values, slice(r0, r1), tiles.path, f"tile {t}")

    if client is None:
        blocks = _local_tiles(problem, origin, d1, d2, x, y, method, dtype, bounds, todo,
                              progress)
    else:
        results = run_tasks(client, evaluate_rows, [bounds[t] for t in todo],
                            shared=(problem, origin, d1, d2, x, y, method, dtype),
                            progress=progress,
                            desc="scan", unit="tile")
        blocks = ((todo[i], block) for i, block in results)
    # One writer thread stores tile t while tile t + 1 is computed; leaving the block (also
    # on an exception) waits for the last write, so a tile once computed is kept.
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending = None
        for t, (block, n_bad) in blocks:
            r0, r1 = bounds[t]
            counts[t] = n_bad
            if out is not None:
                out[r0:r1] = block
            if tiles is not None:
                if pending is not None:
                    pending.result()
                pending = writer.submit(tiles.write, t, r0, block, counts[t])
        if pending is not None:
            pending.result()
    info = {"tiles": len(bounds), "tile_rows": rows, "tiles_computed": len(todo),
            "points_computed": sum(bounds[t][1] - bounds[t][0] for t in todo) * nx,
            "n_nonfinite": int(counts.sum())}
    if tiles is not None:
        info["store"] = str(tiles.path)
    return (tiles.read_only() if out is None else out), info, tiles


def _local_tiles(problem, origin, d1, d2, x, y, method, dtype, bounds, todo, progress):
    """(t, values of tile t) for every t in ``todo``, computed in process."""
    with progress_bar(progress, total=len(todo), unit="tile", desc="scan") as bar:
        for t in todo:
            yield t, evaluate_rows(problem, origin, d1, d2, x, y, method, dtype, *bounds[t])
            bar.update(1)


class TileStore:
    """An open scan store (layout in the module docstring)."""

    def __init__(self, path: Path, group):
        self.path = path
        self.group = group
        self.values = group["values"]
        self.flags = group["tile_nonfinite"]
        self.tile_rows = int(group.attrs[_ATTR]["tile_rows"])

    @classmethod
    def open(cls, path: Path, spec: dict, x, y, tile_rows: int, adopt: bool) -> TileStore:
        """Create the store for ``spec`` or reopen it to resume; ValueError when ``path``
        holds something else. With ``adopt`` a resumed store keeps its own tile size."""
        spec = _io.plain(spec)
        if not path.exists():
            cls._create(path, spec, x, y, tile_rows)
        group, attrs = _open(path, "r+")
        diff = _differences(attrs["scan"], spec)
        if diff:
            raise ValueError(f"store {str(path)!r} holds a different scan ({', '.join(diff)} "
                             "differ); delete that directory to start over, or pass another "
                             "store path")
        if not adopt and tile_rows != attrs["tile_rows"]:
            raise ValueError(f"store {str(path)!r} was written with tile_rows = "
                             f"{attrs['tile_rows']}, got tile_rows = {tile_rows}; pass "
                             "tile_rows=None to resume it")
        return cls(path, group)

    @staticmethod
    def _create(path: Path, spec: dict, x, y, tile_rows: int) -> None:
        zarr = _zarr()
        ny, nx = spec["shape"]
        remove_stale_temporaries(path)
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            group = zarr.open_group(tmp, mode="w", attributes={_ATTR: {
                "format": FORMAT, "tile_rows": tile_rows, "scan": spec}})
            group.create_array("values", shape=(ny, nx), chunks=(tile_rows, nx),
                               dtype=spec["dtype"], fill_value=np.nan, compressors=None)
            group.create_array("tile_nonfinite", shape=(-(-ny // tile_rows),), chunks=(1,),
                               dtype="int64", fill_value=-1)
            for name, coords in (("x", x), ("y", y)):
                group.create_array(name, data=np.asarray(coords, dtype=np.float64))
            try:
                os.rename(tmp, path)
            except OSError:
                # another process created the store first: open the winner's store (whose
                # description is then compared with ours like any resumed store)
                if not path.is_dir():
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def counts(self) -> np.ndarray:
        """Per tile: -1 where unfinished, else its number of non-finite cells."""
        return np.asarray(read_chunk(self.flags, slice(None), self.path, "the tile flags"),
                          dtype=np.int64)

    def write(self, t: int, r0: int, block: np.ndarray, n_nonfinite: int) -> None:
        """Tile t's values, then its flag (never a flag without its values)."""
        self.values[r0:r0 + block.shape[0]] = block
        self.flags[t] = n_nonfinite

    def finish(self, x_label: str, y_label: str, meta: dict) -> None:
        """Record the finished surface's labels and metadata (for :func:`open_surface`)."""
        attrs = dict(self.group.attrs[_ATTR])
        attrs["surface"] = _io.plain({"x_label": x_label, "y_label": y_label, "meta": meta})
        self.group.attrs[_ATTR] = attrs

    def read_only(self):
        """The values as a read-only ``zarr.Array``."""
        return _open(self.path, "r")[0]["values"]


def _open(path: Path, mode: str):
    zarr = _zarr()
    try:
        if not path.is_dir():
            raise ValueError("not a directory")
        group = zarr.open_group(path, mode=mode)
        attrs = group.attrs[_ATTR]
        if attrs["format"] != FORMAT:
            raise ValueError(f"layout version {attrs['format']}")
        for name in ("values", "tile_nonfinite", "x", "y"):
            group[name]
    except (FileNotFoundError, KeyError, TypeError, ValueError) as err:
        raise ValueError(f"store {str(path)!r} exists but is not a fastsurf scan store "
                         f"({err}); delete it or pass another store path") from None
    return group, attrs


def read_chunk(array, rows: slice, path: Path, what: str) -> np.ndarray:
    """``array[rows]``; a chunk that cannot be decoded is reported as damage of the store."""
    try:
        return array[rows]
    except Exception as err:  # zarr raises codec-specific errors for a damaged chunk
        raise ValueError(f"store {str(path)!r} is damaged: {what} could not be read "
                         f"({type(err).__name__}: {err}); delete the store (or the damaged "
                         "chunk file and its tile flag) and run the scan again") from None


def _differences(stored: dict, wanted: dict) -> list[str]:
    keys = sorted(set(stored) | set(wanted))
    out = []
    for key in keys:
        a, b = stored.get(key), wanted.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f"{key}.{k}" for k in _differences(a, b)]
        elif a != b:
            out.append(key)
    return out


def open_surface(path) -> dict:
    """The fields of the :class:`~fastsurf.scan.Surface` of a finished store."""
    if path is None:
        raise TypeError("path must be a path (str or os.PathLike) of a Zarr directory, got None")
    path = check_store(path, "path")
    if not path.exists():
        raise FileNotFoundError(f"no scan store at {str(path)!r}")
    group, attrs = _open(path, "r")
    flags = np.asarray(read_chunk(group["tile_nonfinite"], slice(None), path, "the tile flags"))
    if "surface" not in attrs:
        raise ValueError(f"store {str(path)!r} is unfinished ({np.count_nonzero(flags >= 0)} of "
                         f"{flags.size} tiles done); run the same scan with this store= again "
                         "to finish it")
    spec, surface = attrs["scan"], attrs["surface"]
    values = group["values"]
    ny, nx = values.shape
    if fits_in_memory(ny * nx * values.dtype.itemsize):
        values = read_chunk(values, slice(None), path, "the values")

    def vector(key):
        return None if spec.get(key) is None else np.asarray(spec[key], dtype=np.float64)

    return {"values": values, "x": group["x"][:], "y": group["y"][:], "kind": spec["kind"],
            "origin": vector("origin"), "axes": tuple(spec["axes"]) if spec.get("axes") else None,
            "d1": vector("d1"), "d2": vector("d2"), "x_label": surface["x_label"],
            "y_label": surface["y_label"], "meta": surface["meta"]}

"""store= (Zarr streaming) scans: the same bits as an in-memory scan, resume after a failure or a
kill, grids larger than memory, and refusal of a store written for another scan."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

import fastsurf as fs
from fastsurf import _tiles, scan
from tests import naive
from tests.test_scan import _assert_matches, _problem

ROOT = Path(__file__).resolve().parents[1]
GRID = {"center": [0.3, -0.2], "ranges": ((-1.3, 1.1), (-1.2, 1.4)), "shape": (600, 37),
        "progress": False}


def _neuron_naive(prob):
    m, d = prob.model, prob.data
    return lambda theta: naive.sse_neuron(theta, d.p, d.t, d.a0, m.transfer, m.input_delays,
                                          m.feedback_delays, m.bias)


def _tansig_grid():
    prob, _ = _problem("tansig", 1, (0,), False)
    return prob, scan.grid, GRID, 256, _neuron_naive(prob)


def _purelin_grid(method):
    # x moves the input weight, y the feedback weight: method="auto" takes the quadratic path.
    prob, _ = _problem("purelin", 1, (0,), False, T=30)
    return prob, scan.grid, {**GRID, "method": method}, 256, _neuron_naive(prob)


def _plane_feedback_on_x(transfer):
    # d1 moves the feedback weights and d2 does not: the kernels run with x and y swapped.
    prob, rng = _problem(transfer, 2, (0, 1), True, seed=5)
    d1, d2 = rng.standard_normal((2, prob.n_params))
    d2[2:4] = 0.0
    args = {"origin": 0.2 * rng.standard_normal(prob.n_params), "d1": d1, "d2": d2,
            "ranges": ((-0.3, 0.3), (-0.5, 0.4)), "shape": (530, 21), "progress": False}
    return prob, scan.plane, args, 256, _neuron_naive(prob)


def _mlp_plane():
    rng = np.random.default_rng(2)
    xs, ys = rng.standard_normal(12), rng.standard_normal(12)
    model = fs.MLP((1, 4, 1), activation="tanh")
    prob = fs.Problem(model, fs.RegressionData(xs, ys))
    o, d1, d2 = rng.standard_normal((3, prob.n_params))
    args = {"origin": o, "d1": d1, "d2": d2, "shape": (500, 300), "progress": False}

    def ref(theta):
        return naive.mlp_sse(list(theta), (1, 4, 1), "tanh", 1.0, [[v] for v in xs],
                             [[v] for v in ys]) / len(xs)

    # The generic path evaluates 32768 // 300 = 109 rows per batch; tiles are multiples of it.
    return prob, scan.plane, args, 218, ref


def _function_grid():
    def f(t):
        return (t[0] - 1) ** 2 + 3 * t[1] ** 2 + np.sin(t[2])

    prob = fs.FunctionProblem(f, n_params=3, name="quadratic-sine")
    args = {"center": [0.0, 0.4, 0.0], "axes": (2, 0), "ranges": ((0, 1), (-1, 2)),
            "shape": (40, 2000), "progress": False}
    return prob, scan.grid, args, 16, lambda t: (t[0] - 1) ** 2 + 3 * t[1] ** 2 + np.sin(t[2])


CASES = {
    "tansig-grid": _tansig_grid,
    "purelin-grid-auto": lambda: _purelin_grid("auto"),
    "purelin-grid-brute": lambda: _purelin_grid("brute"),
    "tansig-plane-swapped": lambda: _plane_feedback_on_x("tansig"),
    "purelin-plane-swapped": lambda: _plane_feedback_on_x("purelin"),
    "mlp-plane": _mlp_plane,
    "function-grid": _function_grid,
}


def _sampled_rows(surf, ref, tile_rows):
    """Naive losses on rows either side of every tile boundary (every 7th column)."""
    ny = surf.shape[0]
    rows = sorted({r for b in range(0, ny, tile_rows) for r in (b - 1, b) if 0 <= r < ny}
                  | {ny - 1})
    cols = np.arange(0, surf.shape[1], 7)
    expected = np.array([[ref(surf.theta_at(surf.x[j], surf.y[i])) for j in cols] for i in rows])
    return np.asarray(surf.values)[np.ix_(rows, cols)], expected


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.usefixtures("structural_always")
def test_store_scan_is_the_in_memory_scan_bit_for_bit(case, tmp_path):
    prob, func, args, tile_rows, ref = CASES[case]()
    local = func(prob, **args)
    _assert_matches(*_sampled_rows(local, ref, tile_rows))
    stored = func(prob, **args, store=tmp_path / "s.zarr", tile_rows=tile_rows)
    assert isinstance(stored.values, np.ndarray)
    assert np.array_equal(stored.values, local.values)
    n_tiles = -(-local.shape[0] // tile_rows)
    assert stored.meta["tiles"] == stored.meta["tiles_computed"] == n_tiles > 1
    assert stored.meta["n_nonfinite"] == local.meta["n_nonfinite"]
    on_disk = zarr.open_group(tmp_path / "s.zarr", mode="r")
    assert np.array_equal(on_disk["values"][:], local.values)
    assert on_disk["values"].chunks == (tile_rows, local.shape[1])
    np.testing.assert_array_equal(on_disk["x"][:], local.x)
    back = scan.Surface.from_zarr(tmp_path / "s.zarr")
    assert np.array_equal(back.values, local.values)
    assert (back.kind, back.axes, back.x_label, back.meta) == (
        local.kind, local.axes, local.x_label, stored.meta)
    np.testing.assert_array_equal(back.origin, local.origin)
    if local.kind == "plane":
        np.testing.assert_array_equal(back.d1, local.d1)
    assert back.argmin() == local.argmin()


def _counting(monkeypatch, fail_after=None):
    """Replace the tile function by one that counts its calls (and fails after some)."""
    calls = []
    original = _tiles.evaluate_rows

    def wrapper(*args):
        if fail_after is not None and len(calls) == fail_after:
            raise KeyboardInterrupt("stopped")
        calls.append(args[-2:])
        return original(*args)

    monkeypatch.setattr(_tiles, "evaluate_rows", wrapper)
    return calls


def test_resume_after_an_interruption_computes_only_missing_tiles(tmp_path, monkeypatch):
    prob, _ = _problem("tansig", 1, (0,), False)
    args = {**GRID, "shape": (1300, 19), "store": tmp_path / "r.zarr", "tile_rows": 256}
    whole = scan.grid(prob, **{**args, "store": None})
    with monkeypatch.context() as m:
        _counting(m, fail_after=3)
        with pytest.raises(KeyboardInterrupt):
            scan.grid(prob, **args)
    flags = zarr.open_group(tmp_path / "r.zarr", mode="r")["tile_nonfinite"][:]
    assert list(flags >= 0) == [True] * 3 + [False] * 3
    with pytest.raises(ValueError, match="unfinished .3 of 6 tiles"):
        scan.Surface.from_zarr(tmp_path / "r.zarr")
    calls = _counting(monkeypatch)
    resumed = scan.grid(prob, **{**args, "tile_rows": None})
    assert calls == [(768, 1024), (1024, 1280), (1280, 1300)]
    assert resumed.meta["tiles_computed"] == 3 and resumed.meta["tiles"] == 6
    assert np.array_equal(resumed.values, whole.values)
    again = scan.grid(prob, **args)
    assert len(calls) == 3 and again.meta["tiles_computed"] == 0
    assert np.array_equal(again.values, whole.values)


KILLED = """
import sys, time
import numpy as np
from fastsurf import _tiles, scan
from tests.test_scan import _problem

original = _tiles.evaluate_rows

def slow(*args):
    time.sleep(0.15)
    return original(*args)

_tiles.evaluate_rows = slow
prob, _ = _problem("tansig", 1, (0,), False)
scan.grid(prob, [0.3, -0.2], ranges=((-1.3, 1.1), (-1.2, 1.4)), shape=(4096, 23),
          store=sys.argv[1], tile_rows=256, progress=False)
"""


def test_resume_after_the_process_is_killed(tmp_path, monkeypatch):
    path = tmp_path / "k.zarr"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", KILLED, str(path)], cwd=ROOT, env=env)
    try:
        done = 0
        deadline = time.monotonic() + 60
        while done < 4 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
            if path.exists():
                done = int(np.count_nonzero(
                    zarr.open_group(path, mode="r")["tile_nonfinite"][:] >= 0))
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the scan ended before it was killed"
    flags = zarr.open_group(path, mode="r")["tile_nonfinite"][:]
    n_done = int(np.count_nonzero(flags >= 0))
    assert 4 <= n_done < 16
    prob, _ = _problem("tansig", 1, (0,), False)
    args = {**GRID, "shape": (4096, 23)}
    calls = _counting(monkeypatch)
    resumed = scan.grid(prob, **args, store=path)
    assert len(calls) == resumed.meta["tiles_computed"] == 16 - n_done
    assert {r0 // 256 for r0, _ in calls} == set(np.flatnonzero(flags < 0))
    assert np.array_equal(resumed.values, scan.grid(prob, **args).values)


LARGE = """
import json, resource, sys
import numpy as np
from fastsurf import scan
from tests.test_store import large_problem, LARGE_ARGS

def vm_size():
    with open("/proc/self/status") as fh:
        return next(int(l.split()[1]) * 1024 for l in fh if l.startswith("VmSize:"))

prob = large_problem()
# Warm up: load the kernels, start Zarr's I/O threads (several tiles), reopen a store.
scan.grid(prob, **{**LARGE_ARGS, "shape": (2048, 64)}, store=sys.argv[1] + "/warm.zarr",
          tile_rows=256)
scan.Surface.from_zarr(sys.argv[1] + "/warm.zarr").argmin()
resource.setrlimit(resource.RLIMIT_AS,
                   (vm_size() + (128 << 20), resource.getrlimit(resource.RLIMIT_AS)[1]))
ny, nx = LARGE_ARGS["shape"]
try:
    np.empty((ny, nx))
    sys.exit("np.empty of the whole grid did not raise MemoryError")
except MemoryError:
    pass
try:
    scan.grid(prob, **LARGE_ARGS)
    sys.exit("the in-memory scan was not refused")
except ValueError as err:
    assert "store='path.zarr'" in str(err), err
surf = scan.grid(prob, **LARGE_ARGS, store=sys.argv[1] + "/big.zarr")
print(json.dumps({"values": type(surf.values).__name__, "n_nonfinite": surf.n_nonfinite,
                  "meta": surf.meta, "argmin": surf.argmin()}))
"""
LARGE_ARGS = {"center": [0.1, 0.2], "ranges": ((-2.0, 2.0), (-1.5, 1.5)), "shape": (8192, 4096),
              "progress": False}


def large_problem():
    model = fs.RecurrentNeuron("tansig")
    rng = np.random.default_rng(3)
    return fs.Problem(model, fs.SequenceData(rng.standard_normal((1, 10)),
                                             rng.standard_normal((1, 10)), [[0.1]]))


def test_grid_larger_than_the_memory_limit(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MALLOC_ARENA_MAX": "2"}
    run = subprocess.run([sys.executable, "-c", LARGE, str(tmp_path)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["values"] == "Array"
    assert out["meta"]["tiles"] == out["meta"]["tiles_computed"] == 32
    assert out["n_nonfinite"] == out["meta"]["n_nonfinite"] == 0
    values = zarr.open_group(tmp_path / "big.zarr", mode="r")["values"]
    prob = large_problem()
    ny, nx = LARGE_ARGS["shape"]
    x = np.linspace(*LARGE_ARGS["ranges"][0], nx)
    y = np.linspace(*LARGE_ARGS["ranges"][1], ny)
    d = prob.data
    cols = np.arange(0, nx, 97)
    for i in (0, 255, 256, 4000, ny - 1):
        row = values[i]
        ref = [naive.sse_neuron([x[j], y[i]], d.p, d.t, d.a0, "tansig") for j in cols]
        _assert_matches(row[cols], np.array(ref))
    # The smallest cell, found tile by tile, against a direct search of the whole store.
    whole = values[:]
    i, j = np.unravel_index(int(np.argmin(whole)), whole.shape)
    assert out["argmin"] == [x[j], y[i], whole[i, j]]


def test_values_too_large_for_memory_stay_in_the_store(tmp_path, monkeypatch):
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=1200, seed=0))
    args = {"center": [0.5, 0.5], "ranges": ((-2, 2), (-5, 5)), "shape": (700, 16),
            "progress": False}
    local = scan.grid(prob, **args)
    monkeypatch.setattr(_tiles, "fits_in_memory", lambda nbytes: False)
    stored = scan.grid(prob, **args, store=tmp_path / "o.zarr", tile_rows=256)
    back = scan.Surface.from_zarr(tmp_path / "o.zarr")
    for surf in (stored, back):
        assert isinstance(surf.values, zarr.Array) and surf.values.read_only
        assert surf.shape == (700, 16)
        assert surf.n_nonfinite == np.count_nonzero(~np.isfinite(local.values)) > 0
        assert surf.argmin() == local.argmin()
        assert np.array_equal(surf.values[:], local.values)
    assert stored.meta["n_nonfinite"] == local.meta["n_nonfinite"]


@pytest.mark.parametrize("change,differ", [
    ({"ranges": ((-1.3, 1.1), (-1.2, 1.5))}, "ranges"),
    ({"shape": (600, 38)}, "shape"),
    ({"method": "brute"}, "method"),
    ({"axes": (1, 0)}, "axes"),
    ({"center": [0.3, -0.1]}, "origin"),
    ({"seed": 1}, "problem.data_fingerprint"),
    ({"transfer": "logsig"}, "problem.transfer"),
])
def test_a_store_of_another_scan_is_refused(change, differ, tmp_path):
    path = tmp_path / "m.zarr"
    prob, _ = _problem("tansig", 1, (0,), False)
    scan.grid(prob, **GRID, store=path)
    before = zarr.open_group(path, mode="r")["values"][:]
    other, _ = _problem(change.pop("transfer", "tansig"), 1, (0,), False,
                        seed=change.pop("seed", 0))
    with pytest.raises(ValueError, match=rf"different scan \({differ} differ\).*delete"):
        scan.grid(other, **{**GRID, **change}, store=path)
    assert np.array_equal(zarr.open_group(path, mode="r")["values"][:], before)


def test_a_plane_store_is_refused_for_other_directions(tmp_path):
    prob, _ = _problem("tansig", 1, (0,), False)
    args = {"origin": [0.1, 0.2], "d1": [1.0, 0.5], "d2": [0.0, 1.0], "shape": (8, 8),
            "progress": False, "store": tmp_path / "p.zarr"}
    scan.plane(prob, **args)
    with pytest.raises(ValueError, match=r"\(d2 differ\)"):
        scan.plane(prob, **{**args, "d2": [0.0, 2.0]})
    with pytest.raises(ValueError, match=r"\(d1, normalize differ\)"):
        scan.plane(prob, **args, normalize="unit")
    with pytest.raises(ValueError, match=r"\(axes, d1, d2, kind differ\)"):
        scan.grid(prob, [0.1, 0.2], ranges=((-1, 1), (-1, 1)), shape=(8, 8), progress=False,
                  store=tmp_path / "p.zarr")


def test_bad_store_client_and_tile_rows(tmp_path):
    prob, _ = _problem("tansig", 1, (0,), False)
    args = {**GRID, "shape": (600, 8)}
    with pytest.raises(TypeError, match="store must be a path"):
        scan.grid(prob, **args, store=123)
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        scan.grid(prob, **args, client="tcp://scheduler:8786")
    (tmp_path / "file.zarr").write_text("not a store")
    (tmp_path / "dir.zarr").mkdir()
    for name in ("file.zarr", "dir.zarr"):
        with pytest.raises(ValueError, match="not a fastsurf scan store"):
            scan.grid(prob, **args, store=tmp_path / name)
    assert (tmp_path / "file.zarr").read_text() == "not a store"
    with pytest.raises(ValueError, match="tile_rows must be a multiple of 256"):
        scan.grid(prob, **args, tile_rows=100)
    with pytest.raises(ValueError, match="tile_rows must be >= 1"):
        scan.grid(prob, **args, tile_rows=0)
    with pytest.raises(TypeError, match="tile_rows"):
        scan.grid(prob, **args, tile_rows=2.5)
    scan.grid(prob, **args, store=str(tmp_path / "t.zarr"), tile_rows=256)
    with pytest.raises(ValueError, match="tile_rows = 256, got tile_rows = 512"):
        scan.grid(prob, **args, store=tmp_path / "t.zarr", tile_rows=512)
    with pytest.raises(FileNotFoundError, match="no scan store"):
        scan.Surface.from_zarr(tmp_path / "missing.zarr")
    with pytest.raises(TypeError, match="path must be a path"):
        scan.Surface.from_zarr(3.5)
    assert not list(tmp_path.glob("*.tmp-*"))


def test_tiles_without_a_store_and_the_progress_bar(capsys):
    prob, _ = _problem("tansig", 1, (0,), False)
    whole = scan.grid(prob, **GRID)
    tiled = scan.grid(prob, **{**GRID, "progress": True}, tile_rows=256)
    assert np.array_equal(tiled.values, whole.values) and tiled.meta["tiles"] == 3
    assert "3/3" in capsys.readouterr().err

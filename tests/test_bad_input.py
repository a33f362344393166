"""The attack list: bad input gets a clear error naming the argument (never a traceback, NaN,
MemoryError or silent coercion), sizes are refused before allocating, files of the wrong kind
are named as such, and stores stay safe when two writers race."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import _evaluate, _io, _memory

REPO = Path(__file__).resolve().parents[1]


def _linear(T=20, seed=0):
    model = fs.RecurrentNeuron("purelin")
    return fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=T, seed=seed))


def bowl(theta):
    return float(theta[0] ** 2 + 2 * theta[1] ** 2)


# --- 1. ranges ----------------------------------------------------------------------------------
def test_a_range_whose_span_overflows_is_refused():
    with pytest.raises(ValueError, match="ranges for x must have a finite span"):
        fs.scan.grid(_linear(), (0.5, 0.5), ranges=((-1e308, 1e308), (-5, 5)), shape=(16, 16))


@pytest.mark.parametrize("ranges", [(("-2", "2"), (-1, 1)), ((-2, 2), (False, True))])
def test_string_and_bool_ranges_are_refused(ranges):
    with pytest.raises(TypeError, match="ranges for . \\(min\\) must be a real number"):
        fs.scan.grid(_linear(), (0.5, 0.5), ranges=ranges, shape=(8, 8))


# --- 2. memory and disk of stores -------------------------------------------------------------
def test_a_store_tile_that_cannot_fit_is_refused_before_allocating(tmp_path):
    store = tmp_path / "wide.zarr"
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="a tile of 256 rows x nx = 10000000 needs"):
        fs.scan.grid(_linear(), (0.5, 0.5), shape=(512, 10**7), store=store)
    assert time.perf_counter() - t0 < 5 and not store.exists()


def test_a_store_larger_than_the_free_disk_is_refused_before_it_is_created(tmp_path,
                                                                            monkeypatch):
    real = _memory.shutil.disk_usage

    def small(path):
        return real(path)._replace(free=1 << 20)

    monkeypatch.setattr(_memory.shutil, "disk_usage", small)
    store = tmp_path / "big.zarr"
    with pytest.raises(ValueError, match="needs .* GiB of disk"):
        fs.scan.grid(_linear(), (0.5, 0.5), shape=(1024, 1024), store=store)
    assert not store.exists()


def test_the_generic_path_batches_fewer_points_for_many_parameters():
    big = fs.Problem(fs.MLP((1, 1000, 1000, 1)), fs.RegressionData(np.zeros(4), np.zeros(4)))
    points = _evaluate.batch_points(big)
    assert points * big.n_params * 8 <= _evaluate.BATCH_BYTES
    assert _evaluate.batch_points(_linear()) == _evaluate.TILE_POINTS


def test_generic_batches_split_rows_with_the_same_values(monkeypatch):
    prob = fs.FunctionProblem(bowl)
    whole = fs.scan.grid(prob, (0, 0), shape=(9, 7), method="brute").values
    monkeypatch.setattr(_evaluate, "BATCH_BYTES", 8 * 2 * 3)      # 3 points per batch
    split = fs.scan.grid(prob, (0, 0), shape=(9, 7), method="brute").values
    np.testing.assert_array_equal(split, whole)


# --- 3. stores under races and after killed runs -----------------------------------------------
RACER = textwrap.dedent("""
    import sys
    import numpy as np
    import fastsurf as fs
    from tests.test_bad_input import bowl
    s = fs.scan.grid(fs.FunctionProblem(bowl), (0, 0), shape=(64, 32), store=sys.argv[1],
                     progress=False)
    np.save(sys.argv[2], np.asarray(s.values))
""")


def test_two_writers_starting_together_on_a_fresh_store(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for trial in range(3):
        store = tmp_path / f"race{trial}.zarr"
        procs = [subprocess.Popen([sys.executable, "-c", RACER, str(store),
                                   str(tmp_path / f"v{trial}{k}.npy")], cwd=REPO, env=env,
                                  stderr=subprocess.PIPE, text=True) for k in range(2)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        a, b = (np.load(tmp_path / f"v{trial}{k}.npy") for k in range(2))
        np.testing.assert_array_equal(a, b)
        assert not list(tmp_path.glob(f"race{trial}.zarr.tmp-*"))


def test_temporaries_of_killed_runs_are_removed(tmp_path):
    store = tmp_path / "s.zarr"
    dead = 2 ** 22 + 12345                      # above any pid this machine hands out
    stale_dir = tmp_path / f"s.zarr.tmp-{dead}"
    stale_dir.mkdir()
    (stale_dir / "junk").write_text("x")
    live_dir = tmp_path / "s.zarr.tmp-1"        # pid 1 is alive
    live_dir.mkdir()
    fs.scan.grid(fs.FunctionProblem(bowl), (0, 0), shape=(8, 8), store=store)
    assert not stale_dir.exists() and live_dir.exists()
    stale_file = tmp_path / f"r.npz.tmp-{dead}"
    stale_file.write_bytes(b"partial")
    fs.scan.line(fs.FunctionProblem(bowl), (0, 0), (1, 1), 5).save(tmp_path / "r.npz")
    assert not stale_file.exists()


def test_a_damaged_chunk_is_reported_as_damage(tmp_path):
    store = tmp_path / "d.zarr"
    fs.scan.grid(fs.FunctionProblem(bowl), (0, 0), shape=(8, 8), store=store)
    chunk = [c for c in sorted((store / "values" / "c").rglob("*")) if c.is_file()][0]
    chunk.write_bytes(b"\x00\x01")              # truncated
    with pytest.raises(ValueError, match="is damaged: the values could not be read"):
        fs.scan.Surface.from_zarr(store)


# --- 4. files of the wrong kind ----------------------------------------------------------------
def _files(tmp_path):
    good = fs.scan.grid(fs.FunctionProblem(bowl), (0, 0), shape=(4, 4)).save(tmp_path / "s.npz")
    npy = tmp_path / "a.npy"
    np.save(npy, np.zeros(3))
    garbage = tmp_path / "g.npz"
    garbage.write_bytes(b"not a zip at all")
    truncated = tmp_path / "t.npz"
    truncated.write_bytes(good.read_bytes()[:100])
    plain = tmp_path / "p.npz"
    np.savez(plain, values=np.zeros(3))
    pickled = tmp_path / "o.npz"
    np.savez(pickled, __meta__=np.array([{"a": 1}], dtype=object))
    folder = tmp_path / "dir.npz"
    folder.mkdir()
    return {"npy": npy, "garbage": garbage, "truncated": truncated, "no meta": plain,
            "pickled": pickled, "directory": folder}


@pytest.mark.parametrize("kind", ["npy", "garbage", "truncated", "no meta", "pickled",
                                  "directory"])
def test_loading_a_file_that_is_not_a_result_names_it(tmp_path, kind):
    path = _files(tmp_path)[kind]
    with pytest.raises(ValueError, match=f"{path.name}.* is not a fastsurf Surface file"):
        fs.scan.Surface.load(path)


def test_loading_a_result_of_another_kind_names_both(tmp_path):
    prof = fs.scan.line(fs.FunctionProblem(bowl), (0, 0), (1, 1), 5).save(tmp_path / "p.npz")
    with pytest.raises(ValueError, match="holds a fastsurf Profile, not a Surface"):
        fs.scan.Surface.load(prof)
    surf = fs.scan.grid(fs.FunctionProblem(bowl), (0, 0), shape=(4, 4)).save(tmp_path / "s")
    with pytest.raises(ValueError, match="holds a fastsurf Surface, not a Profile"):
        fs.scan.Profile.load(surf)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="expected a fastsurf Surface file"):
        fs.scan.Surface.load(tmp_path / "nope.npz")
    assert zipfile  # (the archive module is what raised BadZipFile before)


# --- 5. the command line -----------------------------------------------------------------------
def _cli(*argv, cwd):
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "fastsurf", *argv], cwd=cwd, capture_output=True,
                       text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    return r, time.perf_counter() - t0


@pytest.mark.parametrize("case", ["out is a file", "out below a file", "out unwritable",
                                  "store is a file", "huge T", "huge shape"])
def test_cli_user_errors_are_one_line_and_exit_2(tmp_path, case):
    afile = tmp_path / "afile"
    afile.write_text("x")
    args = {"out is a file": ["scan", "--out", str(afile)],
            "out below a file": ["scan", "--out", str(afile / "sub")],
            "out unwritable": ["scan", "--out", "/proc/fastsurf-no-such-dir"],
            "store is a file": ["scan", "--store", str(afile), "--out", str(tmp_path)],
            "huge T": ["scan", "--T", "1000000000", "--out", str(tmp_path)],
            "huge shape": ["scan", "--shape", "1000000,1000000", "--out", str(tmp_path)],
            }[case]
    r, _ = _cli(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastsurf scan: error:"), r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "surface.npz").exists()


# --- 6. sizes refused before allocating --------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: fs.RecurrentNeuron("purelin", feedback_delays=10**10),
    lambda: fs.LayeredRecurrent(hidden=10**5),
    lambda: fs.MLP((1, 10**9, 1)),
    lambda: fs.make_sequence_data(fs.RecurrentNeuron(), (0.5, 0.5), T=10**11),
    lambda: fs.scan.line(_linear(), (0, 0), (1, 1), alphas=10**11),
])
def test_sizes_are_refused_before_allocating(make):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="needs .* GiB of memory"):
        make()
    assert time.perf_counter() - t0 < 2


def test_a_hessian_too_large_for_memory_is_refused():
    prob = fs.Problem(fs.MLP((1, 3000, 3000, 1), "tanh"),
                      fs.RegressionData(np.zeros(2), np.zeros(2)))
    with pytest.raises(ValueError, match="the Hessian .* needs"):
        prob.hessian(np.zeros(prob.n_params))


# --- 7. silent coercions -----------------------------------------------------------------------
def test_bool_parameters_and_data_are_refused():
    prob = _linear()
    with pytest.raises(TypeError, match="theta must be an array of real numbers, got bool"):
        prob.loss([True, False])
    with pytest.raises(TypeError, match="p must be an array of real numbers, got bool"):
        fs.SequenceData([True, False], [0.0, 1.0])


# --- 8. degenerate inputs ----------------------------------------------------------------------
def test_argmin_of_an_all_overflowed_surface_is_refused():
    s = fs.scan.grid(fs.FunctionProblem(lambda th: np.inf), (0, 0), shape=(4, 4))
    assert s.n_nonfinite == 16
    with pytest.raises(ValueError, match="no finite cell"):
        s.argmin()


def test_nan_from_a_users_function_is_stored_as_inf_and_counted():
    def hole(theta):
        return np.nan if theta[0] > 0 else float(theta @ theta)

    s = fs.scan.grid(fs.FunctionProblem(hole), (0, 0), ranges=((-1, 1), (-1, 1)), shape=(4, 6))
    assert not np.isnan(s.values).any()
    assert np.all(np.isposinf(s.values[:, 3:])) and np.all(np.isfinite(s.values[:, :3]))
    assert s.meta["n_nonfinite"] == 12


def test_layered_simulate_refuses_initial_outputs():
    model = fs.LayeredRecurrent(2)
    data = fs.SequenceData(np.ones(5), np.ones(5), a0=0.5)
    with pytest.raises(ValueError, match="data.a0"):
        model.simulate(model.init(0), data)


def test_two_functions_of_one_name_do_not_share_a_store(tmp_path):
    def f(theta):
        return float(theta @ theta)

    first = fs.FunctionProblem(f, name="surface")

    def f(theta):  # noqa: F811 - a different function of the same name
        return float(theta @ theta) + 1.0

    second = fs.FunctionProblem(f, name="surface")
    store = tmp_path / "shared.zarr"
    fs.scan.grid(first, (0, 0), shape=(4, 4), store=store)
    with pytest.raises(ValueError, match="holds a different scan .*problem.fingerprint"):
        fs.scan.grid(second, (0, 0), shape=(4, 4), store=store)


# --- 9. messages that name the argument --------------------------------------------------------
def test_messages_name_the_argument():
    with pytest.raises(ValueError, match=r"p must be a regular \(not ragged\) array"):
        fs.SequenceData([[1.0, 2.0], [3.0]], [[1.0, 2.0], [3.0]])
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        fs.make_sequence_data(fs.RecurrentNeuron(), (0.5, 0.5), T=5, seed=-1)
    with pytest.raises(TypeError, match="data must be an array of real numbers"):
        fs.RecurrentNeuron().simulate((0.5, 0.5), "abc")
    with pytest.raises(ValueError, match="theta_true must have length n_params=2, got 3"):
        fs.make_sequence_data(fs.RecurrentNeuron(), (0.5, 0.5, 0.1), T=5)


# --- derivatives where the loss overflows (Horn's unstable region) ----------------------------
@pytest.mark.parametrize("make", [
    lambda: (_linear(T=1000), np.array([0.5, 10.0])),
    lambda: (fs.Problem(fs.MLP((1, 3, 1), "tanh"), fs.RegressionData(np.ones(3), np.ones(3))),
             np.full(10, 1e300)),
])
def test_a_derivative_where_the_loss_overflows_is_refused(make):
    prob, theta = make()
    assert prob.loss(theta) == np.inf
    for derivative in (prob.gradient, prob.hessian):
        with pytest.raises(fs.NonFiniteLossError, match="the loss is not finite at theta"):
            derivative(theta)
    assert issubclass(fs.NonFiniteLossError, ValueError)


def test_curvature_maps_are_masked_where_the_loss_overflows(tmp_path):
    prob = _linear(T=200)
    cm = fs.curvature.curvature_grid(prob, [0.5, 0.5], ranges=((-1, 1), (0.5, 8.0)),
                                     shape=(6, 5), progress=False)
    overflowed = ~np.isfinite(cm.loss)
    assert overflowed.any() and (~overflowed).any()
    mask = np.ma.getmaskarray(cm.eig_min)
    assert np.all(mask[overflowed])
    # also masked: finite loss whose derivatives overflow float64 (w1 = 0, |w2| > 1)
    for i, j in np.argwhere(mask & ~overflowed):
        H = prob.hessian([cm.x[j], cm.y[i]])
        assert not np.all(np.isfinite(H))
    for field in (cm.eig_min, cm.eig_max, cm.gradient_norm):
        np.testing.assert_array_equal(np.ma.getmaskarray(field), mask)
        assert not np.isnan(np.ma.getdata(field)).any()
    assert cm.meta["n_undefined"] == int(mask.sum())
    i, j = np.argwhere(~overflowed)[0]
    theta = np.array([cm.x[j], cm.y[i]])
    np.testing.assert_allclose(cm.gradient[i, j], prob.gradient(theta), rtol=1e-12)
    back = fs.curvature.CurvatureMap.load(cm.save(tmp_path / "c.npz"))
    np.testing.assert_array_equal(np.ma.getmaskarray(back.eig_min), mask)
    np.testing.assert_array_equal(back.eig_min.filled(0), cm.eig_min.filled(0))


def test_detect_refuses_a_bare_array():
    with pytest.raises(TypeError, match="surface must be a fastsurf.scan.Surface"):
        fs.valleys.detect(np.ones((10, 10)))


def test_loading_a_path_from_another_kind_of_file_is_clear(tmp_path):
    surf = fs.scan.grid(fs.FunctionProblem(bowl), (0, 0), shape=(4, 4)).save(tmp_path / "s")
    with pytest.raises(ValueError, match="holds a fastsurf Surface, not a Path"):
        fs.paths.Path.load(surf)
    old = _io.save_npz(tmp_path / "old.npz", {"images": np.zeros((3, 2))}, {"meta": {}})
    with pytest.raises(ValueError, match="not a fastsurf Path file .missing"):
        fs.paths.Path.load(old)


def test_a_band_too_large_for_memory_is_refused_before_allocating():
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"neb\(n_images=100000000\) .* needs"):
        fs.paths.neb(fs.FunctionProblem(bowl), [-1, 0], [1, 0], n_images=10**8)
    assert time.perf_counter() - t0 < 2

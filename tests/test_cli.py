"""The fastsurf command on small grids."""

import subprocess
import sys

import numpy as np
import pytest

from fastsurf import scan
from fastsurf.cli import main


def test_scan_writes_surface_and_picture(tmp_path, capsys):
    rc = main(["scan", "--shape", "24,16", "--T", "30", "--out", str(tmp_path), "--no-progress"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "minimum" in out and "non-finite" in out and "G grid-point-steps/s" in out
    surf = scan.Surface.load(tmp_path / "surface.npz")
    assert surf.values.shape == (24, 16)
    np.testing.assert_array_equal(surf.x, np.linspace(-2, 2, 16))
    np.testing.assert_array_equal(surf.y, np.linspace(-5, 5, 24))
    assert (tmp_path / "surface.png").stat().st_size > 1000


def test_scan_options_and_errors(tmp_path, capsys):
    rc = main(["scan", "--net", "second-order", "--shape", "8", "--T", "10", "--n-seq", "2",
               "--x-range=-1,1", "--y-range=-2,2", "--out", str(tmp_path), "--no-plot"])
    assert rc == 0
    assert not (tmp_path / "surface.png").exists()
    assert main(["scan", "--x-range", "1,-1", "--out", str(tmp_path)]) == 2
    assert "min < max" in capsys.readouterr().err


def test_python_dash_m(tmp_path):
    res = subprocess.run([sys.executable, "-m", "fastsurf", "scan", "--shape", "8,8", "--T", "5",
                          "--out", str(tmp_path), "--no-plot"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "minimum" in res.stdout


def test_scan_dtype_and_method(tmp_path, capsys):
    base = ["scan", "--net", "tansig", "--shape", "16,12", "--T", "20", "--no-plot",
            "--no-progress"]
    assert main(base + ["--out", str(tmp_path / "f64")]) == 0
    assert main(base + ["--dtype", "float32", "--method", "brute",
                        "--out", str(tmp_path / "f32")]) == 0
    assert "float32, method=brute" in capsys.readouterr().out
    s64 = scan.Surface.load(tmp_path / "f64" / "surface.npz")
    s32 = scan.Surface.load(tmp_path / "f32" / "surface.npz")
    assert s32.values.dtype == np.float32 and s32.meta["dtype"] == "float32"
    np.testing.assert_allclose(s32.values, s64.values, rtol=1e-4)


def test_scan_store_resumes(tmp_path, capsys):
    args = ["scan", "--shape", "60,8", "--T", "10", "--no-plot", "--no-progress",
            "--store", str(tmp_path / "s.zarr"), "--out", str(tmp_path)]
    assert main(args) == 0
    assert "1 of 1 tiles computed now" in capsys.readouterr().out
    assert main(args) == 0
    assert "0 of 1 tiles computed now" in capsys.readouterr().out
    np.testing.assert_array_equal(scan.Surface.from_zarr(tmp_path / "s.zarr").values,
                                  scan.Surface.load(tmp_path / "surface.npz").values)


# --- Horn's nets: one table ------------------------------------------------------------------
def test_one_table_of_horns_nets():
    import fastsurf as fs
    from fastsurf import horn
    assert list(horn.NETS) == ["linear", "tansig", "second-order"]
    for name, (transfer, delays, theta_true, _) in horn.NETS.items():
        prob = horn.problem(name, T=40, n_seq=2, seed=3)
        model = fs.RecurrentNeuron(transfer, feedback_delays=delays)
        data = fs.make_sequence_data(model, theta_true, T=40, n_seq=2, seed=3)
        assert repr(prob.model) == repr(model)
        np.testing.assert_array_equal(prob.data.p, data.p)
        np.testing.assert_array_equal(prob.data.t, data.t)
        assert prob.loss(theta_true) == 0.0
        # the documented box is what problem.init (the default starts) draws
        lo, hi = horn.start_box(name)
        np.testing.assert_array_equal(lo, -hi)
        np.testing.assert_array_equal(hi, [2.0] + [1.5] * delays)
        a, b = np.random.default_rng(1), np.random.default_rng(1)
        np.testing.assert_array_equal([prob.init(a) for _ in range(50)],
                                      b.uniform(lo, hi, (50, delays + 1)))
    assert horn.problem("linear").data.T == 100
    with pytest.raises(ValueError, match="net must be one of"):
        horn.problem("elman")


def test_scan_and_train_take_their_nets_from_horn():
    from fastsurf import _cli_train, cli, horn
    assert cli.NETS is horn.NETS and _cli_train.NETS is horn.NETS


# --- fastsurf train --------------------------------------------------------------------------
def _summary(out: str) -> dict:
    from fastsurf.multistart import LABELS
    counts = {}
    for line in out.splitlines():
        for label in LABELS:
            if line.strip().startswith(label + " "):
                counts[label] = int(line.split()[-2])
    return counts


def test_train_runs_one_multistart_after_a_warm_up_inside_the_compile_notice(monkeypatch,
                                                                               capsys):
    from contextlib import contextmanager

    from fastsurf import _cli_train, horn, multistart
    calls, inside = [], []

    def recording(problem, n, **kw):
        calls.append((n, bool(inside)))
        res = multistart.multistart(problem, n, **kw)
        calls[-1] += (res,)
        return res

    @contextmanager
    def notice():
        inside.append(True)
        yield
        inside.clear()

    monkeypatch.setattr(_cli_train, "multistart", recording)
    monkeypatch.setattr(_cli_train, "compile_notice", notice)
    assert main(["train", "--net", "tansig", "--starts", "300", "--T", "40", "--seed", "5",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert [c[:2] for c in calls] == [(2, True), (300, False)]
    res = calls[1][2]
    assert res.meta == {"method": "lm", "engine": "numba"}
    # the runs are multistart's on Horn's problem, from its default starts
    ref = multistart.multistart(horn.problem("tansig", T=40), 300, seed=5,
                                theta_true=(0.5, 0.5), tol=1e-3, progress=False)
    np.testing.assert_array_equal(res.starts, ref.starts)
    np.testing.assert_array_equal(res.labels, ref.labels)
    counts = _summary(out)
    assert list(counts) == list(multistart.LABELS)
    assert counts == {k: int(np.sum(ref.labels == k)) for k in multistart.LABELS}
    assert "(numba engine)" in out and "runs/s" in out and "compilation excluded" in out


@pytest.mark.parametrize("procedure,method,engine", [("plain", "bfgs", "python"),
                                                     ("segments", "lm", "numba"),
                                                     ("curriculum", "lm", "python"),
                                                     ("detector", "lm", "python")])
def test_train_procedures(procedure, method, engine, capsys):
    assert main(["train", "--starts", "8", "--T", "30", "--procedure", procedure,
                 "--method", method, "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"({engine} engine)" in out and f"{method}, {procedure}, 8 starts" in out
    assert sum(_summary(out).values()) == 8


def test_train_refuses_bad_arguments(capsys):
    assert main(["train", "--starts", "0"]) == 2
    assert "--starts must be >= 1" in capsys.readouterr().err
    assert main(["train", "--procedure", "detector", "--method", "gd", "--starts", "2"]) == 2
    assert "--procedure detector works with --method lm" in capsys.readouterr().err

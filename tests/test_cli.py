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

"""The reproduction scripts run as they are (quick settings)."""

import importlib.util
from pathlib import Path

import numpy as np

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reproduce_horn2009_quick(tmp_path, capsys):
    _load("reproduce_horn2009").main(["--out", str(tmp_path), "--quick"])
    for fig in ("fig03_linear_surface", "fig04_cross_sections", "fig05_kac_density",
                "fig06_expected_real_roots", "fig07_random_polynomial_roots",
                "fig08_root_tracks", "fig10_tansig_surface", "fig11_tansig_valley_types",
                "extra_second_order_surface"):
        assert (tmp_path / f"{fig}.png").stat().st_size > 5000
    report = (tmp_path / "report.txt").read_text()
    assert "matched 5, predicted-not-found 0" in report      # Horn's Fig. 3 set-up
    assert "first-order purelin, seed 0: agree with reasons" in report
    assert "Frozen over the last 10 orders: +3.962179" in report     # seed 2, like Horn's
    assert "E_k = 3.1287204568" in report


def test_prelude_shows_failed_line_searches(tmp_path, capsys):
    res = _load("horn2009_prelude").main(["--out", str(tmp_path)])
    failed = res.meta["failed_line_searches"]
    assert failed and res.reason == "line search"
    # the first failure's direction was scanned and the stalled point's gradient is huge
    assert len(res.meta["line_profiles"]) == failed[-1] + 1
    assert "stalled point: |grad|" in capsys.readouterr().out
    for fig in ("line_profiles", "line_profile_zoom"):
        assert (tmp_path / f"{fig}.png").stat().st_size > 5000


def test_neb_mlp_runs_between_trained_minima(tmp_path, capsys):
    path = _load("neb_mlp").main(["--out", str(tmp_path), "--max-iter", "300"])
    out = capsys.readouterr().out
    assert "end A: loss" in out and "straight line A -> B" in out and "climbing image:" in out
    assert path.n_iter == 300 and path.climbing_index is not None
    assert np.all(np.isfinite(path.losses)) and path.barrier >= 0
    for fig in ("path_losses", "turning_angles"):
        assert (tmp_path / f"{fig}.png").stat().st_size > 5000

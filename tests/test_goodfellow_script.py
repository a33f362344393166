"""scripts/reproduce_goodfellow2015.py runs (--quick) and reports what it measured."""

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "reproduce_goodfellow2015.py"
FIGURES = ("fig1_learning_curves", "fig2_interpolation", "fig3_zooms_logsig", "fig3_zooms_relu",
           "fig4_minima", "fig5_off_path", "fig7_trajectory_plane")


def _load():
    spec = importlib.util.spec_from_file_location("reproduce_goodfellow2015", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_the_figures_and_the_report(tmp_path, capsys):
    facts = _load().main(["--quick", "--out", str(tmp_path)])
    for fig in FIGURES:
        assert (tmp_path / f"{fig}.png").stat().st_size > 5000, fig
    report = (tmp_path / "report.md").read_text()
    assert report == capsys.readouterr().out
    # the nets are trained below the paper's "negligible" training error
    assert facts["relu_train_error"] < 0.02 and facts["logsig_train_error"] < 0.02
    assert report.count("| yes |") == 3
    # the straight line from the start: the claims and the verdict printed from the numbers
    assert facts["monotone"] is True
    assert "Monotone decrease of the training loss in every window: yes" in report
    assert facts["barrier_two_solutions"] > 0 and facts["random_interior_minima"] == 0
    assert 0.0 < facts["relu_share"] < 1.0 and 0.0 < facts["logsig_share"] < 1.0
    assert "Settings the paper leaves unstated" in report


def test_without_scikit_learn_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(SystemExit, match="pip install scikit-learn"):
        _load().load_digits_split()

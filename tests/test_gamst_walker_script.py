"""scripts/reproduce_gamst_walker.py runs as documented (--quick: tiny counts)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "reproduce_gamst_walker.py"
FIGURES = ("fig01_perfect_fit", "fig02_example_fit", "fig03_mean_sd", "fig04_best_fits",
           "fig05_loss_histograms", "fig06_pairwise_distances", "fig07_distance_to_wf",
           "fig08_neb_paths", "fig09_output_along_path", "fig10_turning_angles",
           "fig11_hessian_spectra", "fig12_basin_jitter", "fig13_other_targets",
           "fig14_fits_3p2", "fig15_large_net")

pytest.importorskip("statsmodels")


def _load():
    spec = importlib.util.spec_from_file_location("reproduce_gamst_walker", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gamst_walker")
    return out, _load().main(["--quick", "--fits", "6", "--out", str(out)])


def test_quick_run_writes_every_figure_and_the_report(run):
    out, res = run
    for fig in FIGURES:
        assert (out / f"{fig}.png").stat().st_size > 5000, fig
    report = (out / "report.md").read_text()
    assert report == res["report"]
    assert "| quantity | paper | fastsurf |" in report
    assert "--quick --fits 6" in report and "the numbers mean nothing" in report
    for paper in ("~0.0045", "~4 (both)", "~10 (shell 9.5-10.5)", "~0.6",
                  "all eigenvalues positive", "identically 0"):
        assert f"| {paper} |" in report


def test_quick_run_numbers_are_measured(run):
    out, res = run
    f, cfg = res["found"], res["cfg"]
    assert cfg["fits"] == 6 and f["n"] == 320
    assert f["wf_loss"] < 1e-25                      # W_f fits its training set
    # canonical distances: the minima are far from W_f (nothing returns from a random start)
    assert all(0 < lo <= med <= hi for lo, med, hi in f["to_wf"].values())
    h = f["hess"]
    wf = h["wf"][5000.0]
    # Gauss-Newton PSD to rounding; the indefinite part comes from residual x softplus''
    assert wf["gn_min"] > -1e-10 * wf["max"] and wf["residual_min"] < 0 and wf["neg"] > 0
    # moving the data off the kinks removes the negative part as beta grows
    assert h["off"][50_000.0]["neg_tol"] < wf["neg_tol"]
    assert h["polish"]["loss"] < wf["loss"]
    # the saved fits are the ones reported
    gd = np.load(out / "fits_gd.npz")
    assert gd["losses"].shape == (6,)
    assert f["loss_gd"]["min"] == pytest.approx(gd["losses"].min())

"""The MLP's BLAS layers (np.dot inside the Numba kernels) give the loops' derivatives to
1e-12; blas="auto" follows the measured crossover, for one vector and for batches; the
crossover benchmark runs."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import fastsurf as fs
from fastsurf.kernels import mlp as km

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _pair(widths, activation, data, loss=None):
    return [fs.Problem(fs.MLP(widths, activation=activation, beta=3.0, blas=b), data, loss=loss)
            for b in (False, True)]


@pytest.mark.parametrize("activation", ["relu", "softplus", "tanh", "logsig"])
def test_blas_gradient_is_the_loops_gradient_on_a_wide_net(activation):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((57, 20))
    widths = (20, 48, 40, 6)
    cls = fs.ClassificationData(x, np.arange(57) % 6)
    reg = fs.RegressionData(x, rng.standard_normal((57, 6)))
    for data, loss in ((cls, "cross_entropy"), (reg, "sse")):
        loops, blas = _pair(widths, activation, data, loss)
        theta = rng.standard_normal(loops.n_params) * 0.3
        g0, g1 = loops.gradient(theta), blas.gradient(theta)
        scale = np.max(np.abs(g0))
        assert scale > 0
        np.testing.assert_allclose(g1, g0, rtol=1e-12, atol=1e-12 * scale)
        assert blas.loss(theta) == pytest.approx(loops.loss(theta), rel=1e-13)
        # and both are the derivative: a central difference along a random direction
        d = rng.standard_normal(theta.size)
        h = 1e-6
        fd = (loops.loss(theta + h * d) - loops.loss(theta - h * d)) / (2 * h)
        assert g1 @ d == pytest.approx(fd, rel=1e-6, abs=1e-8 * scale)


def test_auto_follows_the_measured_crossover():
    assert km.BLAS_MIN_WORK == 1 << 12
    net = fs.MLP((4, 32, 32, 1))
    # per layer n_in * n_out * n against 2^12: 32 * 32 * 4 = 4096 is the first on BLAS
    np.testing.assert_array_equal(net.blas_flags(3), [0, 0, 0, 0])
    np.testing.assert_array_equal(net.blas_flags(4), [0, 0, 1, 0])
    np.testing.assert_array_equal(net.blas_flags(32), [0, 1, 1, 0])
    np.testing.assert_array_equal(net.blas_flags(128), [0, 1, 1, 1])
    # narrow layers too, for one vector; batches keep parallel loops below 2^17 / width 8
    thin = fs.MLP((1, 2, 1))
    np.testing.assert_array_equal(thin.blas_flags(2048), [0, 1, 1])
    assert not thin.blas_flags(10 ** 6, batch=True).any()
    wide = fs.MLP((64, 256, 256, 10))
    np.testing.assert_array_equal(wide.blas_flags(4, batch=True), [0, 0, 1, 0])
    np.testing.assert_array_equal(wide.blas_flags(4), [0, 1, 1, 1])
    # forced flags ignore the rule
    np.testing.assert_array_equal(fs.MLP((4, 32, 32, 1), blas=False).blas_flags(10 ** 6),
                                  [0, 0, 0, 0])


def test_auto_batches_agree_with_single_evaluations():
    rng = np.random.default_rng(1)
    # a batch on parallel loops while single vectors take BLAS: equal to rounding
    x = rng.standard_normal((40, 8))
    prob = fs.Problem(fs.MLP((8, 16, 16, 3), activation="tanh"),
                      fs.ClassificationData(x, np.arange(40) % 3))
    assert prob.model.blas_flags(40).any() and not prob.model.blas_flags(40, True).any()
    thetas = rng.standard_normal((4, prob.n_params))
    np.testing.assert_allclose(prob.gradients(thetas), [prob.gradient(t) for t in thetas],
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(prob.losses(thetas), [prob.loss(t) for t in thetas], rtol=1e-13)
    # a batch past the batch crossover runs vector by vector with the single flags: same bits
    x = rng.standard_normal((64, 64))
    wide = fs.Problem(fs.MLP((64, 40, 40, 10), activation="relu"),
                      fs.ClassificationData(x, np.arange(64) % 10))
    assert wide.model.blas_flags(64, batch=True).any()
    thetas = rng.standard_normal((3, wide.n_params)) * 0.1
    np.testing.assert_array_equal(wide.gradients(thetas), [wide.gradient(t) for t in thetas])
    np.testing.assert_array_equal(wide.losses(thetas), [wide.loss(t) for t in thetas])


def test_the_crossover_benchmark_runs(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("mlp_blas", BENCH / "mlp_blas.py")
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "mlp_blas", bench)
    spec.loader.exec_module(bench)
    rows = bench.main(["--quick", "--repeats", "1"])
    assert [(r["N"], r["n"]) for r in rows] == [(8, 64), (64, 64)]
    assert all(r["max_rel_diff"] < 1e-12 for r in rows)           # NumPy backprop agrees too
    assert rows[1]["auto_layers"] == "111"                         # 64*64*64 >= 2^12
    bins = bench.main(["--layers", "--quick", "--repeats", "1"])
    assert sum(b[1] for b in bins) == 4                            # 2 x 2 shapes, n = 8
    assert "| multiply-adds a*b*n |" in capsys.readouterr().out

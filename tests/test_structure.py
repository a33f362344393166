"""Structural scans (fastsurf.structure): along directions that move only the parameters the
outputs are affine in, the quadratic form equals brute force and the naive references."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import scan
from tests import naive


def _mlp_problem(activation="softplus", seed=0, widths=(1, 4, 3, 1)):
    rng = np.random.default_rng(seed)
    model = fs.MLP(widths, activation=activation, beta=5.0)
    x = np.linspace(-1, 1, 23)
    return fs.Problem(model, fs.RegressionData(x, np.sin(2 * x) + 0.1 * rng.standard_normal(23))
                      ), rng


def _layered_problem(seed=0):
    rng = np.random.default_rng(seed)
    model = fs.LayeredRecurrent(2)
    return fs.Problem(model, fs.SequenceData(rng.standard_normal((2, 15)),
                                             rng.standard_normal((2, 15)))), rng


def _mlp_naive(prob, surf):
    m, d = prob.model, prob.data
    xs = [[v] for v in d.x.ravel()]
    ys = [[v] for v in d.y.ravel()]
    return np.array([[naive.mlp_sse(surf.theta_at(a, b), m.widths, m.activation, m.beta, xs, ys)
                      .real for a in surf.x] for b in surf.y]) * prob.loss_scale


def _layered_naive(prob, surf):
    d = prob.data
    return np.array([[naive.layered_sse(surf.theta_at(a, b), prob.model.hidden, d.p, d.t).real
                      for a in surf.x] for b in surf.y])


def _close(values, ref, median=1e-14, worst=1e-11):
    rel = np.abs(values - ref) / np.abs(ref)
    assert np.median(rel) <= median and rel.max() <= worst


@pytest.mark.parametrize("activation", ["softplus", "tanh", "relu", "logsig"])
def test_linear_params_are_exactly_the_affine_ones(activation):
    prob, rng = _mlp_problem(activation)
    theta = rng.standard_normal(prob.n_params)
    lin = list(prob.model.linear_params())
    assert lin == list(range(prob.n_params - 4, prob.n_params))       # W3 (1x3) and b3
    for params, affine in ((lin, True), ([0], False)):
        d = np.zeros(prob.n_params)
        d[params] = rng.standard_normal(len(params))
        r = [prob.residuals(theta + a * d) for a in (0.0, 1.0, 2.0)]
        second_difference = np.max(np.abs(r[0] - 2 * r[1] + r[2]))
        assert (second_difference <= 1e-12) == affine


@pytest.mark.parametrize("activation", ["softplus", "tanh", "relu"])
def test_mlp_grid_over_an_output_weight_matches_naive_and_brute(activation):
    prob, rng = _mlp_problem(activation)
    center = rng.standard_normal(prob.n_params)
    out_w = prob.model.linear_params()[0]
    for axes in ((out_w, 2), (5, prob.n_params - 1)):          # linear axis on x, then on y
        kw = dict(center=center, axes=axes, ranges=((-2, 2), (-1.5, 1.5)), shape=(9, 11),
                  progress=False)
        auto = scan.grid(prob, **kw)
        brute = scan.grid(prob, method="brute", **kw)
        _close(auto.values, _mlp_naive(prob, auto), median=1e-13, worst=1e-10)
        _close(auto.values, brute.values, median=1e-13, worst=1e-10)


def test_layered_recurrent_grid_and_plane_over_the_output_layer():
    prob, rng = _layered_problem()
    center = rng.uniform(-0.5, 0.5, prob.n_params)
    lin = prob.model.linear_params()
    assert lin == tuple(range(prob.n_params - 3, prob.n_params))
    surf = scan.grid(prob, center, axes=(lin[0], 1), ranges=((-2, 2), (-1, 1)), shape=(7, 12),
                     progress=False)
    _close(surf.values, _layered_naive(prob, surf), median=1e-13, worst=1e-10)
    d1 = np.zeros(prob.n_params)
    d1[list(lin)] = rng.standard_normal(3)
    d2 = rng.standard_normal(prob.n_params)
    plane = scan.plane(prob, center, d1, d2, ranges=((-1, 1), (-0.3, 0.3)), shape=(8, 10),
                       progress=False)
    brute = scan.plane(prob, center, d1, d2, ranges=((-1, 1), (-0.3, 0.3)), shape=(8, 10),
                       progress=False, method="brute")
    _close(plane.values, brute.values, median=1e-13, worst=1e-10)


def test_quadratic_rows_stay_accurate_at_a_zero_loss_minimum():
    model = fs.MLP((1, 3, 1), activation="tanh")
    teacher = np.random.default_rng(5).standard_normal(model.n_params)
    x = np.linspace(-1, 1, 40)
    prob = fs.Problem(model, fs.RegressionData(x, model.simulate(teacher, fs.RegressionData(
        x, np.zeros(40))).ravel()))
    w = model.linear_params()[0]
    h = 1e-7
    surf = scan.grid(prob, teacher, axes=(w, 0),
                     ranges=((teacher[w] - h, teacher[w] + h), (teacher[0] - h, teacher[0] + h)),
                     shape=(5, 5), progress=False)
    # the exact loss is quadratic in the offsets with curvature of order 1: about h^2
    ref = _mlp_naive(prob, surf)
    assert np.all(np.abs(surf.values - ref) <= 1e-6 * h * h + 1e-30)


def test_directions_that_move_other_parameters_use_brute_force():
    prob, rng = _mlp_problem()
    center = rng.standard_normal(prob.n_params)
    surf = scan.grid(prob, center, axes=(0, 1), shape=(6, 5), progress=False)
    _close(surf.values, _mlp_naive(prob, surf), median=1e-13, worst=1e-10)


def test_auto_evaluates_rows_not_cells(monkeypatch):
    prob, rng = _mlp_problem()
    calls = []
    original = prob.residuals
    monkeypatch.setattr(prob, "residuals", lambda th: calls.append(1) or original(th))
    monkeypatch.setattr(prob, "losses", lambda th: pytest.fail("brute force was used"))
    scan.grid(prob, rng.standard_normal(prob.n_params), axes=(prob.n_params - 1, 0),
              shape=(16, 30), progress=False)
    assert len(calls) == 2 * 16            # two forward passes per row

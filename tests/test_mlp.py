"""The MLP model: outputs against a plain-loop net, derivatives against the complex-step
derivative and central differences."""

import numpy as np
import pytest

import fastsurf as fs
from tests import naive
from tests.checks import assert_hessian_matches_differences, assert_jacobian_matches_differences

CONFIGS = [((1, 4, 3, 1), "softplus", 4.0), ((2, 3, 2), "tanh", 1.0), ((1, 3, 3, 2), "logsig", 1.0)]


def _case(widths, activation, beta, n=15, seed=0):
    rng = np.random.default_rng(seed)
    model = fs.MLP(widths, activation=activation, beta=beta)
    x = rng.uniform(-1, 1, (n, widths[0]))
    y = rng.standard_normal((n, widths[-1]))
    return model, fs.RegressionData(x, y), rng


@pytest.mark.parametrize("widths,activation,beta", CONFIGS + [((1, 5, 1), "relu", 1.0)])
def test_outputs_and_loss_match_naive(widths, activation, beta):
    model, data, rng = _case(widths, activation, beta)
    prob = fs.Problem(model, data)
    theta = rng.standard_normal(model.n_params)
    ref = np.real(naive.mlp_outputs(theta, widths, activation, beta, data.x.tolist()))
    np.testing.assert_allclose(model.simulate(theta, data), ref, rtol=1e-12, atol=1e-14)
    sse = naive.mlp_sse(theta, widths, activation, beta, data.x.tolist(), data.y.tolist())
    assert prob.loss(theta) == pytest.approx(np.real(sse) / data.n_residuals, rel=1e-12)
    thetas = rng.standard_normal((9, model.n_params))
    np.testing.assert_array_equal(prob.losses(thetas), [prob.loss(t) for t in thetas])


@pytest.mark.parametrize("widths,activation,beta", CONFIGS)
def test_derivatives_against_complex_step(widths, activation, beta):
    model, data, rng = _case(widths, activation, beta, seed=1)
    prob = fs.Problem(model, data, loss="sse")
    theta = 0.7 * rng.standard_normal(model.n_params)
    h = 1e-30
    eye = np.eye(model.n_params)
    args = (widths, activation, beta, data.x.tolist(), data.y.tolist())
    cs = np.array([naive.mlp_sse(theta + 1j * h * e, *args).imag / h for e in eye])
    g = prob.gradient(theta)
    np.testing.assert_allclose(g, cs, rtol=1e-10, atol=1e-12 * np.abs(cs).max())
    J = prob.jacobian(theta)
    np.testing.assert_allclose(g, 2 * J.T @ prob.residuals(theta), rtol=1e-12, atol=1e-13)
    assert_hessian_matches_differences(prob, theta)


def test_jacobian_against_central_differences():
    model, data, rng = _case((1, 3, 3, 2), "tanh", 1.0, seed=2)
    prob = fs.Problem(model, data)
    theta = rng.standard_normal(model.n_params)
    assert_jacobian_matches_differences(prob, theta)


def test_zero_residual_hessian_is_gauss_newton():
    model = fs.MLP((1, 4, 4, 1), activation="softplus", beta=5.0)
    rng = np.random.default_rng(3)
    theta = model.init(rng)
    x = rng.uniform(-1, 1, 30)
    data = fs.RegressionData(x, model.simulate(theta, x))
    prob = fs.Problem(model, data, loss="sse")
    J = prob.jacobian(theta)
    np.testing.assert_allclose(prob.hessian(theta), 2 * J.T @ J, rtol=1e-10, atol=1e-13)


def test_softplus_is_stable_for_large_beta():
    model = fs.MLP((1, 5, 1), activation="softplus", beta=1e4)
    relu = fs.MLP((1, 5, 1), activation="relu")
    theta = relu.init(0)
    x = np.linspace(-1, 1, 101)
    out = model.simulate(theta, x)
    assert np.all(np.isfinite(out))
    # softplus_beta - relu lies in [0, log(2)/beta] per unit
    assert np.max(np.abs(out - relu.simulate(theta, x))) < 5 * np.log(2) / 1e4 * 10
    prob = fs.Problem(model, fs.RegressionData(x, np.abs(x)))
    assert np.all(np.isfinite(prob.hessian(theta)))


def test_gamst_walker_net_and_rescaling_zero_modes():
    model = fs.MLP()
    assert model.n_params == 136 and model.param_names[0] == "W1[0,0]"
    assert model.param_names[5] == "b1[0]"
    theta = model.init(0)
    x = np.linspace(-1, 1, 40)
    relu = fs.Problem(model, fs.RegressionData(x, np.abs(x)))
    dirs = model.rescaling_directions(theta)
    assert dirs.shape == (25, 136)
    for d in dirs[:5]:
        # moving along a rescaling direction changes the ReLU loss only at second order
        eps = 1e-4
        change = relu.loss(theta + eps * d) - relu.loss(theta)
        assert abs(change) < 1e-6 * max(1.0, relu.loss(theta))

    # at a minimum (zero-residual data made by the net) they are exact zero modes of the
    # softplus(5000) Hessian, and the spectrum attributes one null direction to each
    small = fs.MLP((1, 4, 4, 1), activation="softplus", beta=5000.0)
    th = small.init(2)
    xs = np.linspace(-1, 1, 60)
    prob = fs.Problem(small, fs.RegressionData(xs, small.simulate(th, xs)))
    H = prob.hessian(th)
    D = small.rescaling_directions(th)
    D /= np.linalg.norm(D, axis=1, keepdims=True)
    top = np.linalg.eigvalsh(H)[-1]
    assert np.max(np.abs(np.einsum("ij,jk,ik->i", D, H, D))) < 1e-10 * top
    spec = fs.spectra.hessian_spectrum(prob, th, zero_tol=1e-6 * top)
    assert spec.zero_modes_explained == np.linalg.matrix_rank(D) == 8
    assert spec.n_near_zero >= 8


def test_bad_input():
    with pytest.raises(ValueError, match="widths"):
        fs.MLP((1,))
    with pytest.raises(ValueError, match="widths must be positive"):
        fs.MLP((1, 0, 1))
    with pytest.raises(ValueError, match="activation"):
        fs.MLP(activation="gelu")
    with pytest.raises(ValueError, match="beta"):
        fs.MLP(activation="softplus", beta=0.0)
    model = fs.MLP((1, 3, 1))
    prob = fs.Problem(model, fs.RegressionData([0.1, 0.2], [1.0, 2.0]))
    with pytest.raises(ValueError, match="softplus"):
        prob.hessian(np.zeros(model.n_params))
    with pytest.raises(ValueError, match="theta must have length"):
        prob.gradient(np.zeros(3))
    with pytest.raises(ValueError, match="input and 1 output"):
        fs.Problem(model, fs.RegressionData(np.zeros((3, 2)), np.zeros(3)))

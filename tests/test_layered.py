"""LayeredRecurrent against a plain-loop net and the complex-step derivative."""

import numpy as np
import pytest

import fastsurf as fs
from tests import naive
from tests.checks import assert_hessian_matches_differences, assert_jacobian_matches_differences


def _case(S=3, n_seq=2, T=12, seed=0):
    rng = np.random.default_rng(seed)
    model = fs.LayeredRecurrent(S)
    data = fs.SequenceData(rng.standard_normal((n_seq, T)), rng.standard_normal((n_seq, T)))
    return model, data, fs.Problem(model, data), rng


@pytest.mark.parametrize("S", [1, 2, 4])
def test_loss_and_gradient_against_complex_step(S):
    model, data, prob, rng = _case(S)
    assert model.n_params == S * S + 3 * S + 1
    theta = rng.uniform(-0.8, 0.8, model.n_params)
    ref = naive.layered_sse(theta, S, data.p.tolist(), data.t.tolist())
    assert prob.loss(theta) == pytest.approx(ref.real, rel=1e-12)
    h = 1e-30
    cs = np.array([naive.layered_sse(theta + 1j * h * e, S, data.p.tolist(),
                                     data.t.tolist()).imag / h for e in np.eye(model.n_params)])
    np.testing.assert_allclose(prob.gradient(theta), cs, rtol=1e-10, atol=1e-12 * abs(cs).max())
    J = prob.jacobian(theta)
    np.testing.assert_allclose(prob.gradient(theta), 2 * J.T @ prob.residuals(theta),
                               rtol=1e-11, atol=1e-12)
    thetas = rng.uniform(-1, 1, (5, model.n_params))
    np.testing.assert_array_equal(prob.losses(thetas), [prob.loss(t) for t in thetas])


def test_hessian_against_central_differences_and_gauss_newton():
    model, data, prob, rng = _case(3, seed=1)
    theta = rng.uniform(-0.8, 0.8, model.n_params)
    assert_hessian_matches_differences(prob, theta)
    teacher = fs.make_sequence_data(model, theta, T=20, n_seq=2, seed=2)
    zero = fs.Problem(model, teacher)
    J = zero.jacobian(theta)
    np.testing.assert_allclose(zero.hessian(theta), 2 * J.T @ J, rtol=1e-9, atol=1e-12)


def test_jacobian_against_central_differences():
    model, data, prob, rng = _case(2, seed=3)
    theta = rng.uniform(-0.8, 0.8, model.n_params)
    assert_jacobian_matches_differences(prob, theta)


def test_bad_input():
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        fs.LayeredRecurrent(0)
    model = fs.LayeredRecurrent(2)
    with pytest.raises(ValueError, match="a0"):
        fs.Problem(model, fs.SequenceData([1.0, 2.0], [0.0, 1.0], a0=0.5))
    prob = fs.Problem(model, fs.SequenceData([1.0, 2.0], [0.0, 1.0]))
    with pytest.raises(ValueError, match="theta must have length n_params=11"):
        prob.hessian(np.zeros(3))

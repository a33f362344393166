"""Exact derivatives of the recurrent neuron against the complex-step derivative, central
differences and each other (RTRL, BPTT, second-order sensitivities)."""

import numpy as np
import pytest

import fastsurf as fs
from tests import naive
from tests.checks import assert_jacobian_matches_differences

CONFIGS = [
    ("purelin", 1, (0,), False),
    ("tansig", 1, (0,), False),
    ("logsig", 1, (0,), False),
    ("tansig", 2, (0,), False),
    ("tansig", 3, (0, 1, 3), True),
    ("logsig", 2, (1, 2), True),
    ("purelin", 2, (0, 2), True),
]


def _case(transfer, D, delays, bias, seed=0, n_seq=2, T=12):
    rng = np.random.default_rng(seed)
    model = fs.RecurrentNeuron(transfer, feedback_delays=D, input_delays=delays, bias=bias)
    data = fs.SequenceData(rng.standard_normal((n_seq, T)), rng.standard_normal((n_seq, T)),
                           0.4 * rng.standard_normal((n_seq, D)))
    return model, data, fs.Problem(model, data), rng


def _naive_args(model, data):
    return (data.p.tolist(), data.t.tolist(), data.a0.tolist(), model.transfer,
            model.input_delays, model.feedback_delays, model.bias)


@pytest.mark.parametrize("transfer,D,delays,bias", CONFIGS)
def test_gradient_and_hessian_against_complex_step(transfer, D, delays, bias):
    model, data, prob, rng = _case(transfer, D, delays, bias, seed=D + len(delays))
    args = _naive_args(model, data)
    h = 1e-30
    for _ in range(3):
        theta = rng.uniform(-0.8, 0.8, model.n_params)
        eye = np.eye(model.n_params)
        cs_grad = np.array([naive.sse_neuron_complex(theta + 1j * h * e, *args).imag / h
                            for e in eye])
        np.testing.assert_allclose(prob.gradient(theta), cs_grad, rtol=1e-11,
                                   atol=1e-12 * np.abs(cs_grad).max())
        cs_hess = np.array([np.array(naive.gradient_neuron_rtrl(theta + 1j * h * e, *args))
                            .imag / h for e in eye])
        H = prob.hessian(theta)
        np.testing.assert_allclose(H, cs_hess, rtol=1e-10, atol=1e-11 * np.abs(cs_hess).max())
        np.testing.assert_array_equal(H, H.T)


@pytest.mark.parametrize("transfer,D,delays,bias", CONFIGS[:4])
def test_jacobian_against_central_differences_and_bptt(transfer, D, delays, bias):
    model, data, prob, rng = _case(transfer, D, delays, bias, seed=11)
    theta = rng.uniform(-0.8, 0.8, model.n_params)
    J = assert_jacobian_matches_differences(prob, theta)
    # BPTT gradient equals RTRL's 2 J^T e
    np.testing.assert_allclose(prob.gradient(theta), 2 * J.T @ prob.residuals(theta),
                               rtol=1e-12, atol=1e-13)


def test_zero_residual_hessian_is_gauss_newton():
    model = fs.RecurrentNeuron("tansig", feedback_delays=2)
    data = fs.make_sequence_data(model, (0.5, 0.5, -0.2), T=30, n_seq=2, seed=3)
    prob = fs.Problem(model, data)
    theta = np.array([0.5, 0.5, -0.2])
    J = prob.jacobian(theta)
    np.testing.assert_allclose(prob.hessian(theta), 2 * J.T @ J, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(prob.gradient(theta), 0.0, atol=1e-14)


def test_mse_scales_derivatives():
    model, data, prob, rng = _case("tansig", 1, (0,), False)
    mse = fs.Problem(model, data, loss="mse")
    theta = rng.uniform(-1, 1, 2)
    n = data.n_residuals
    np.testing.assert_allclose(mse.gradient(theta), prob.gradient(theta) / n, rtol=1e-15)
    np.testing.assert_allclose(mse.hessian(theta), prob.hessian(theta) / n, rtol=1e-15)


def test_batched_derivatives_equal_single_ones():
    from fastsurf.kernels import recurrent_derivatives as rd
    model, data, prob, rng = _case("logsig", 2, (0, 1), True, T=20)
    thetas = rng.uniform(-1, 1, (70, model.n_params))
    args = model.kernel_args(data)
    G = rd.sse_gradient_batch(thetas, *args)
    H = rd.sse_hessian_batch(thetas, *args)
    for r in (0, 31, 32, 69):
        np.testing.assert_array_equal(G[r], prob.gradient(thetas[r]))
        np.testing.assert_array_equal(H[r], prob.hessian(thetas[r]))


def test_unstable_weights_are_refused_clearly_not_crash():
    """Where the loss overflows there is no derivative: a clear NonFiniteLossError (a
    ValueError), never a crash or an all-NaN gradient."""
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=2000))
    assert prob.loss([1.0, 3.0]) == np.inf
    with pytest.raises(fs.NonFiniteLossError, match="not finite"):
        prob.gradient([1.0, 3.0])


def test_bad_input():
    model, data, prob, _ = _case("tansig", 1, (0,), False)
    with pytest.raises(ValueError, match="theta must have length"):
        prob.gradient([1.0])
    with pytest.raises(ValueError, match="theta must contain only finite"):
        prob.hessian([np.nan, 1.0])
    with pytest.raises(ValueError, match="theta must have length"):
        prob.jacobian([1.0, 2.0, 3.0])

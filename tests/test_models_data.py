"""Models, data and Problem: kernels against the naive simulator, and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastsurf as fs
from tests import naive

CONFIGS = [
    ("purelin", 1, (0,), False),
    ("tansig", 1, (0,), False),
    ("logsig", 1, (0,), True),
    ("tansig", 2, (0,), False),
    ("purelin", 3, (0, 2), True),
    ("logsig", 2, (1, 3), False),
]


def _random_problem(transfer, D, delays, bias, seed, n_seq=3, T=25):
    rng = np.random.default_rng(seed)
    model = fs.RecurrentNeuron(transfer, feedback_delays=D, input_delays=delays, bias=bias)
    data = fs.SequenceData(rng.standard_normal((n_seq, T)), rng.standard_normal((n_seq, T)),
                           0.5 * rng.standard_normal((n_seq, D)))
    return model, data, fs.Problem(model, data), rng


@pytest.mark.parametrize("transfer,D,delays,bias", CONFIGS)
def test_loss_and_simulation_match_naive(transfer, D, delays, bias):
    model, data, prob, rng = _random_problem(transfer, D, delays, bias, seed=D + len(delays))
    for _ in range(5):
        theta = rng.uniform(-0.9, 0.9, model.n_params)
        ref_out = [naive.simulate_neuron(theta, data.p[s], data.a0[s], transfer, delays, D, bias)
                   for s in range(data.n_seq)]
        np.testing.assert_allclose(model.simulate(theta, data), ref_out, rtol=1e-13, atol=1e-15)
        ref = naive.sse_neuron(theta, data.p, data.t, data.a0, transfer, delays, D, bias)
        assert prob.loss(theta) == pytest.approx(ref, rel=1e-13)
        np.testing.assert_allclose(prob.residuals(theta),
                                   (data.t - np.array(ref_out)).ravel(), rtol=1e-12, atol=1e-14)


def test_mse_is_sse_over_residual_count():
    model, data, prob, rng = _random_problem("tansig", 1, (0,), False, seed=1)
    theta = rng.uniform(-1, 1, 2)
    mse = fs.Problem(model, data, loss="mse")
    assert mse.loss(theta) == pytest.approx(prob.loss(theta) / data.n_residuals, rel=1e-15)


def test_horn_teacher_data():
    model = fs.RecurrentNeuron("purelin")
    data = fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0)
    p = np.random.default_rng(0).standard_normal((1, 100))
    np.testing.assert_array_equal(data.p, p)
    expected = naive.simulate_neuron((0.5, 0.5), p[0], [0.0], "purelin")
    np.testing.assert_allclose(data.t[0], expected, rtol=1e-14)
    assert fs.Problem(model, data).loss([0.5, 0.5]) == 0.0
    assert model.param_names == ("w1", "w2")
    assert fs.RecurrentNeuron("tansig", feedback_delays=2).param_names == ("w1", "w2", "w3")


def test_overflow_gives_inf_not_nan():
    model = fs.RecurrentNeuron("purelin", feedback_delays=2)
    data = fs.make_sequence_data(model, (0.5, 0.5, 0.1), T=2000, seed=1)
    prob = fs.Problem(model, data)
    assert prob.loss([1.0, 3.0, -4.0]) == np.inf
    assert prob.loss([1.0, 0.0, 5.0]) == np.inf
    out = prob.losses(np.array([[1.0, 3.0, -4.0], [0.5, 0.5, 0.1]]))
    assert out[0] == np.inf and out[1] == 0.0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(-1.5, 1.5)), min_size=1, max_size=20),
       st.sampled_from(["purelin", "tansig", "logsig"]))
def test_losses_equals_loop_of_loss(points, transfer):
    model = fs.RecurrentNeuron(transfer)
    data = fs.make_sequence_data(model, (0.5, 0.5), T=30, n_seq=2, seed=5)
    prob = fs.Problem(model, data)
    thetas = np.array(points, dtype=float)
    np.testing.assert_array_equal(prob.losses(thetas), [prob.loss(t) for t in thetas])


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"transfer": "relu"}, ValueError, "transfer"),
    ({"feedback_delays": 0}, ValueError, "feedback_delays"),
    ({"feedback_delays": 1.5}, TypeError, "feedback_delays"),
    ({"input_delays": (0, 0)}, ValueError, "distinct"),
    ({"input_delays": (-1,)}, ValueError, "input_delays"),
    ({"input_delays": ()}, ValueError, "input_delays"),
    ({"bias": "yes"}, TypeError, "bias"),
])
def test_bad_model_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fs.RecurrentNeuron(**kwargs)


def test_bad_data_and_theta():
    with pytest.raises(ValueError, match="p must contain only finite"):
        fs.SequenceData([1.0, np.nan], [0.0, 0.0])
    with pytest.raises(ValueError, match="same shape"):
        fs.SequenceData([1.0, 2.0], [0.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="t must contain only finite"):
        fs.SequenceData([1.0, 2.0], [0.0, np.inf])
    with pytest.raises(TypeError, match="p must be an array of real"):
        fs.SequenceData("abc", [0.0])
    with pytest.raises(ValueError, match="a0"):
        fs.SequenceData(np.zeros((2, 5)), np.zeros((2, 5)), a0=[1.0, 2.0, 3.0])
    model = fs.RecurrentNeuron("purelin")
    data = fs.SequenceData(np.zeros((2, 5)), np.zeros((2, 5)), a0=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="feedback delay"):
        fs.Problem(model, data)
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=10))
    with pytest.raises(ValueError, match="theta must have length n_params=2"):
        prob.loss([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="theta must contain only finite"):
        prob.loss([np.nan, 1.0])
    with pytest.raises(ValueError, match="thetas must have shape"):
        prob.losses(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="loss must be one of"):
        fs.Problem(model, prob.data, loss="mae")
    with pytest.raises(TypeError, match="model must be"):
        fs.Problem("net", prob.data)
    with pytest.raises(TypeError, match="data for RecurrentNeuron must be SequenceData"):
        fs.Problem(model, fs.RegressionData([1.0], [2.0]))
    with pytest.raises(ValueError, match="T must be >= 1"):
        fs.make_sequence_data(model, (0.5, 0.5), T=0)


def test_function_problem_derivative_fallbacks():
    f = lambda x: x[0] ** 3 * np.sin(x[1])  # noqa: E731
    prob = fs.FunctionProblem(f, n_params=2)
    x = np.array([0.7, -1.1])
    exact_g = [3 * x[0] ** 2 * np.sin(x[1]), x[0] ** 3 * np.cos(x[1])]
    np.testing.assert_allclose(prob.gradient(x), exact_g, rtol=1e-14)
    exact_h = [[6 * x[0] * np.sin(x[1]), 3 * x[0] ** 2 * np.cos(x[1])],
               [3 * x[0] ** 2 * np.cos(x[1]), -x[0] ** 3 * np.sin(x[1])]]
    np.testing.assert_allclose(prob.hessian(x), exact_h, rtol=1e-7, atol=1e-9)
    real_only = fs.FunctionProblem(lambda x: float(np.abs(x[0]) ** 3 + x[1] ** 2), n_params=2)
    np.testing.assert_allclose(real_only.gradient(x), [3 * 0.7 ** 2, -2.2], rtol=1e-8)


@pytest.mark.parametrize("transfer", ["purelin", "tansig", "logsig"])
@pytest.mark.parametrize("delay", [0, 2])
def test_first_order_batch_path_equals_loss_and_naive(transfer, delay):
    """The specialised first-order batch loop (one input weight, one feedback delay, no bias)
    gives Problem.loss's bits and the naive simulator's values, with delayed input, several
    sequences, nonzero initial outputs and a partial last lane block."""
    rng = np.random.default_rng(delay)
    model = fs.RecurrentNeuron(transfer, input_delays=(delay,))
    data = fs.SequenceData(rng.standard_normal((3, 25)), rng.standard_normal((3, 25)),
                           0.4 * rng.standard_normal((3, 1)))
    prob = fs.Problem(model, data)
    thetas = rng.uniform(-1.5, 1.5, (300, 2))
    values = prob.losses(thetas)
    np.testing.assert_array_equal(values, [prob.loss(t) for t in thetas])
    ref = [naive.sse_neuron(t, data.p, data.t, data.a0, transfer, (delay,), 1, False)
           for t in thetas]
    np.testing.assert_allclose(values, ref, rtol=1e-13)


@pytest.mark.parametrize("transfer,D,bias,delays", [("tansig", 1, False, (0,)),
                                                    ("logsig", 2, True, (0, 2)),
                                                    ("purelin", 3, False, (0,))])
def test_outputs_at_a_step_match_the_naive_simulator(transfer, D, bias, delays):
    model = fs.RecurrentNeuron(transfer, feedback_delays=D, bias=bias, input_delays=delays)
    rng = np.random.default_rng(4)
    data = fs.SequenceData(rng.standard_normal((3, 30)), rng.standard_normal((3, 30)),
                           a0=np.array([0.1, -0.2, 0.3]))
    prob = fs.Problem(model, data)
    thetas = rng.uniform(-1.2, 1.2, (300, model.n_params))      # more than one lane block
    got = prob.outputs_at(thetas, 17)
    a0 = data.initial_outputs(D)
    for r in (0, 150, 299):
        for s in range(3):
            ref = naive.simulate_neuron(thetas[r], data.p[s, :17], a0[s], transfer, delays, D,
                                        bias)
            assert got[r, s] == pytest.approx(ref[-1], rel=1e-13, abs=1e-13)

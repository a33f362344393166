"""Minibatch SGD / Nesterov / Adam (fastsurf.minibatch) against plain-loop training on the same
batches; Problem.subset; thinned trajectories, per-epoch records, stopping and bad input."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import minibatch, train

from . import naive

WIDTHS = (2, 3, 3)


def _classifier(activation="tanh", n=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    labels = np.arange(n) % 3
    model = fs.MLP(WIDTHS, activation=activation)
    return fs.Problem(model, fs.ClassificationData(x, labels)), rng


def _documented_batches(n, batch_size, epochs, seed):
    """The batches the docstring promises: rng.permutation(n) per epoch, cut in order."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        perm = rng.permutation(n)
        out += [perm[k:k + batch_size] for k in range(0, n, batch_size)]
    return out


@pytest.mark.parametrize("method,kw", [("sgd", {"lr": 0.3, "momentum": 0.9}),
                                       ("sgd", {"lr": 0.3, "momentum": 0.8, "nesterov": True}),
                                       ("sgd", {"lr": 0.5, "momentum": 0.0}),
                                       ("adam", {"lr": 0.05})])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_matches_plain_loop_training_on_the_same_batches(method, kw, activation):
    prob, rng = _classifier(activation)
    theta0 = rng.standard_normal(prob.n_params)
    res = getattr(train, method)(prob, theta0, batch_size=4, epochs=3, seed=7, record_every=1,
                                 **kw)
    batches = _documented_batches(10, 4, 3, 7)
    assert len(batches) == 9 and [len(b) for b in batches[:3]] == [4, 4, 2]
    opts = {k: v for k, v in kw.items() if k != "lr"}
    ref = naive.minibatch_train(method, theta0, WIDTHS, activation, 1.0,
                                prob.data.x.tolist(), prob.data.labels.tolist(), batches,
                                kw["lr"], **opts)
    assert res.n_iter == 9 and res.n_epochs == 3 and res.reason == "max_epochs"
    np.testing.assert_array_equal(res.trajectory_steps, np.arange(10))
    np.testing.assert_allclose(res.trajectory, ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(res.theta, res.trajectory[-1])
    assert res.loss == prob.loss(res.theta)


def test_problem_subset_is_the_loss_on_those_samples():
    prob, rng = _classifier("tanh", n=12)
    theta = rng.standard_normal(prob.n_params)
    rows = np.array([5, 0, 5, 11])                                  # repeats allowed
    sub = prob.subset(rows)
    xs, labels = prob.data.x[rows].tolist(), prob.data.labels[rows].tolist()
    ref = naive.mlp_softmax_xent(theta.tolist(), WIDTHS, "tanh", 1.0, xs, labels).real / 4
    assert sub.loss(theta) == pytest.approx(ref, rel=1e-13)
    np.testing.assert_allclose(sub.gradient(theta), naive.mlp_mean_xent_gradient(
        theta.tolist(), WIDTHS, "tanh", 1.0, xs, labels), rtol=1e-12, atol=1e-14)
    one = prob.subset(np.array([1]))                # a batch without most classes
    assert one.data.n_classes == 3 and one.loss_kind == "cross_entropy"
    # regression: the MSE of the rows
    x = rng.standard_normal((8, 2))
    reg = fs.Problem(fs.MLP((2, 3, 1), activation="tanh"), fs.RegressionData(x, x[:, 0]))
    t = reg.init(1)
    r = reg.subset([2, 3]).loss(t)
    ref = naive.mlp_sse(t.tolist(), (2, 3, 1), "tanh", 1.0, x[2:4].tolist(),
                        [[v] for v in x[2:4, 0]]).real / 2
    assert r == pytest.approx(ref, rel=1e-13)
    for bad, err in (([], ValueError), ([0.5], ValueError), ([True, False], ValueError),
                     ([[0, 1]], ValueError), ([12], ValueError), ([-1], ValueError)):
        with pytest.raises(err, match="rows"):
            prob.subset(bad)
    neuron = fs.RecurrentNeuron("tansig")
    seq = fs.Problem(neuron, fs.make_sequence_data(neuron, (0.5, 0.5), T=5, seed=0))
    with pytest.raises(TypeError, match="subset needs RegressionData"):
        seq.subset([0])


def test_same_seed_same_bits_and_seed_matters():
    prob, rng = _classifier("relu", n=30)
    theta0 = prob.init(3)
    a = train.sgd(prob, theta0, lr=0.1, batch_size=7, epochs=4, seed=11, nesterov=True)
    b = train.sgd(prob, theta0, lr=0.1, batch_size=7, epochs=4, seed=11, nesterov=True)
    c = train.sgd(prob, theta0, lr=0.1, batch_size=7, epochs=4, seed=12, nesterov=True)
    g = train.sgd(prob, theta0, lr=0.1, batch_size=7, epochs=4,
                  seed=np.random.default_rng(11), nesterov=True)
    for name in ("trajectory", "epoch_loss", "epoch_error", "theta"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(a, name), getattr(g, name))
    assert not np.array_equal(a.theta, c.theta)
    assert a.meta["seed"] == 11 and g.meta["seed"] is None


def test_full_batch_without_momentum_is_gradient_descent():
    prob, _ = _classifier("tanh", n=12)
    theta0 = prob.init(0)
    mb = train.sgd(prob, theta0, lr=0.2, momentum=0.0, batch_size=12, epochs=15, seed=0,
                   record_every=1)
    gd = train.gd(prob, theta0, lr=0.2, momentum=0.0, max_iter=15, gtol=0.0)
    # the same steps; only the order of the samples in each sum differs
    np.testing.assert_allclose(mb.trajectory, gd.trajectory, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mb.epoch_loss, gd.history, rtol=1e-12)


def test_trajectory_is_thinned_and_epochs_are_recorded():
    prob, rng = _classifier("relu", n=40)
    x = rng.standard_normal((15, 2))
    val = fs.Problem(prob.model, fs.ClassificationData(x, np.arange(15) % 3))
    theta0 = prob.init(2)
    res = train.sgd(prob, theta0, lr=0.05, batch_size=1, epochs=30, seed=0, val=val)
    assert res.n_iter == 1200 and res.meta["record_every"] == 2
    assert res.trajectory.shape == (601, prob.n_params) and 601 <= minibatch.MAX_RECORDS + 1
    np.testing.assert_array_equal(res.trajectory_steps, np.arange(0, 1201, 2))
    np.testing.assert_array_equal(res.trajectory[0], theta0)
    # one row per epoch end: the records are the full-data losses there
    per_epoch = train.sgd(prob, theta0, lr=0.05, batch_size=1, epochs=30, seed=0, val=val,
                          record_every=40)
    np.testing.assert_array_equal(per_epoch.theta, res.theta)
    traj = per_epoch.trajectory
    assert traj.shape[0] == 31
    np.testing.assert_array_equal(per_epoch.epoch_loss, prob.losses(traj))
    np.testing.assert_array_equal(per_epoch.epoch_error, prob.error_rates(traj))
    np.testing.assert_array_equal(per_epoch.val_loss, val.losses(traj))
    np.testing.assert_array_equal(per_epoch.val_error, val.error_rates(traj))
    # an interval that does not divide the steps: the end is kept too
    odd = train.adam(prob, theta0, lr=0.01, batch_size=9, epochs=2, seed=0, record_every=4)
    np.testing.assert_array_equal(odd.trajectory_steps, [0, 4, 8, 10])
    np.testing.assert_array_equal(odd.trajectory[-1], odd.theta)


def test_goals_stop_at_an_epoch_end_and_results_save(tmp_path):
    prob, _ = _classifier("relu", n=30)
    theta0 = prob.init(0)
    full = train.sgd(prob, theta0, lr=0.2, batch_size=5, epochs=40, seed=0)
    k = int(np.argmax(full.epoch_error <= 0.5))
    assert 0 < k < 40
    res = train.sgd(prob, theta0, lr=0.2, batch_size=5, epochs=40, seed=0, error_goal=0.5)
    assert res.converged and res.reason == "error goal" and res.n_epochs == k
    np.testing.assert_array_equal(res.epoch_loss, full.epoch_loss[:k + 1])
    goal = float(full.epoch_loss[k])
    res2 = train.sgd(prob, theta0, lr=0.2, batch_size=5, epochs=40, seed=0, goal=goal)
    assert res2.reason == "loss goal" and res2.n_epochs <= k and res2.loss <= goal
    assert not full.converged and full.reason == "max_epochs"
    path = res.save(tmp_path / "run")
    back = minibatch.MinibatchResult.load(path)
    for name in ("trajectory", "trajectory_steps", "epoch_loss", "epoch_error", "val_loss"):
        np.testing.assert_array_equal(getattr(back, name), getattr(res, name))
    assert back.meta == res.meta and back.reason == "error goal"
    assert "MinibatchResult(" in repr(res) and "meta" not in repr(res)


def test_a_diverging_run_stops_at_its_last_finite_point():
    x = np.linspace(-1, 1, 16).reshape(8, 2)
    prob = fs.Problem(fs.MLP((2, 4, 1), activation="relu"),
                      fs.RegressionData(x, 3 * x[:, :1]), loss="sse")
    res = train.sgd(prob, prob.init(0), lr=50.0, batch_size=4, epochs=50, seed=0,
                    record_every=1)
    assert res.reason == "diverged" and not res.converged
    # theta is the last finite point; its full-data loss overflows (no step checks it)
    assert np.all(np.isfinite(res.theta)) and res.loss == prob.loss(res.theta)
    np.testing.assert_array_equal(res.trajectory[-1], res.theta)
    assert res.trajectory.shape[0] == res.n_iter + 1
    assert res.epoch_loss.size == res.n_epochs + 1 and res.epoch_error.size == 0


def test_bad_input_names_the_argument():
    prob, _ = _classifier()
    t = prob.init(0)
    cases = [(dict(batch_size=0), ValueError, "batch_size"),
             (dict(batch_size=11), ValueError, "batch_size"),
             (dict(batch_size=2.0), TypeError, "batch_size"),
             (dict(epochs=0), ValueError, "epochs"),
             (dict(record_every=0), ValueError, "record_every"),
             (dict(lr=-1.0), ValueError, "lr"),
             (dict(momentum=1.5), ValueError, "momentum"),
             (dict(nesterov="yes"), TypeError, "nesterov"),
             (dict(seed=True), TypeError, "seed"),
             (dict(progress=1), TypeError, "progress"),
             (dict(goal=np.nan), ValueError, "goal"),
             (dict(error_goal=2.0), ValueError, "error_goal"),
             (dict(val=fs.Problem(fs.MLP((2, 4, 3)), prob.data)), ValueError, "val")]
    for kw, err, word in cases:
        with pytest.raises(err, match=word):
            train.sgd(prob, t, **{"batch_size": 4, **kw})
    with pytest.raises(ValueError, match="beta1"):
        train.adam(prob, t, beta1=1.0, batch_size=4)
    with pytest.raises(ValueError, match="theta0"):
        train.sgd(prob, t[:-1], batch_size=4)
    with pytest.raises(TypeError, match="subset"):
        train.sgd(fs.FunctionProblem(lambda v: float(v @ v), n_params=2), [1.0, 1.0])
    x = np.zeros((4, 2))
    reg = fs.Problem(fs.MLP((2, 2, 1)), fs.RegressionData(x, x[:, 0]))
    with pytest.raises(ValueError, match="error_goal needs ClassificationData"):
        train.sgd(reg, reg.init(0), batch_size=2, error_goal=0.1)

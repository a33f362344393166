"""fastsurf.ensemble: many training runs in the parallel kernel, bit for bit the single-run
trainers (train.adadelta / train.gd) and a plain-loop reference (tests/naive.py); what a run
does when it diverges, starts badly or stops early; Dask batches with the same bits."""

import importlib.util
from pathlib import Path

import numba
import numpy as np
import pytest

import fastsurf as fs
from fastsurf import _memory, train
from fastsurf.ensemble import EnsembleResult, ensemble
from tests import naive

GW = (1, 5, 5, 5, 5, 5, 1)  # Gamst & Walker's 5x5 net, 136 parameters


def _problem(widths=GW, n=61, activation="relu", loss="mse", seed=0):
    """n (not a multiple of the kernel's sample chunks) points of a sawtooth-like target."""
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, (n, widths[0])), axis=0)
    base = np.sin(4 * np.pi * x[:, :1]) + np.abs(x[:, :1]) / 2
    y = np.hstack([base * (o + 1) for o in range(widths[-1])])
    return fs.Problem(fs.MLP(widths, activation=activation, beta=4.0), fs.RegressionData(x, y),
                      loss=loss)


def _starts(prob, m, seed=1):
    rng = np.random.default_rng(seed)
    return np.array([prob.model.init(rng) for _ in range(m)])


def _bits_equal(a, b):
    return np.array_equal(np.asarray(a).view(np.int64), np.asarray(b).view(np.int64))


@pytest.mark.parametrize("method,kw", [("adadelta", {"lr": 1.0, "rho": 0.95, "eps": 1e-7}),
                                       ("gd", {"lr": 0.02, "momentum": 0.9})])
def test_bit_identical_to_single_run_trainers_on_the_5x5_net(method, kw):
    prob = _problem()
    assert prob.n_params == 136
    starts = _starts(prob, 19)
    res = ensemble(prob, starts, method=method, steps=25, record_every=5, progress=False, **kw)
    trainer = train.adadelta if method == "adadelta" else train.gd
    for i in range(len(starts)):
        one = trainer(prob, starts[i], max_iter=25, goal=0.0, gtol=0.0, **kw)
        assert _bits_equal(res.thetas[i], one.theta), i
        assert res.losses[i] == one.loss == prob.loss(res.thetas[i])
        assert res.reason[i] == one.reason == "max_iter"
        assert res.n_iter[i] == one.n_iter == 25 and res.n_evals[i] == 26
        assert _bits_equal(res.history[i], one.history[::5])
        assert res.grad_norms[i] == pytest.approx(np.linalg.norm(prob.gradient(res.thetas[i])),
                                                  rel=1e-14)
    assert not res.converged.any()
    assert res.meta["method"] == method and res.meta["steps"] == 25


@pytest.mark.parametrize("widths,activation,loss", [
    ((1, 7, 6, 2), "relu", "sse"),      # wider than a register tile, two outputs
    ((2, 4, 3, 1), "tanh", "mse"),      # the activation pass and stored f'(z)
    ((1, 5, 5, 1), "softplus", "mse"),
])
def test_bit_identical_on_other_shapes_and_activations(widths, activation, loss):
    prob = _problem(widths, n=37, activation=activation, loss=loss, seed=2)
    starts = _starts(prob, 5, seed=3)
    res = ensemble(prob, starts, steps=12, progress=False)
    for i in range(5):
        one = train.adadelta(prob, starts[i], max_iter=12, goal=0.0, gtol=0.0)
        assert _bits_equal(res.thetas[i], one.theta)
        assert res.losses[i] == one.loss


@pytest.mark.parametrize("method,lr", [("adadelta", 0.5), ("gd", 0.05)])
def test_bit_identical_to_the_plain_loop_reference(method, lr):
    widths = (1, 3, 3, 1)
    prob = _problem(widths, n=13, seed=4)
    starts = _starts(prob, 3, seed=5)
    res = ensemble(prob, starts, method=method, steps=6, lr=lr, progress=False)
    xs, ys = prob.data.x.tolist(), prob.data.y.tolist()
    for i in range(3):
        theta, loss, done, why = naive.relu_mlp_train(method, starts[i].tolist(), widths, xs, ys,
                                                      prob.loss_scale, 6, lr)
        assert why == "max_iter" and done == 6
        assert _bits_equal(res.thetas[i], theta)
        assert res.losses[i] == loss
        loss0, g0 = naive.relu_mlp_loss_gradient(starts[i].tolist(), widths, xs, ys,
                                                 prob.loss_scale)
        assert _bits_equal(prob.gradient(starts[i]), g0) and prob.loss(starts[i]) == loss0


def test_runs_do_not_depend_on_lanes_batches_or_threads():
    prob = _problem(n=23)
    starts = _starts(prob, 40, seed=6)
    ref = ensemble(prob, starts, steps=8, progress=False)
    sub = ensemble(prob, starts[29:33], steps=8, progress=False)          # other lanes
    small = ensemble(prob, starts, steps=8, batch=3, progress=False)    # 14 kernel calls
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one = ensemble(prob, starts, steps=8, progress=False)
    finally:
        numba.set_num_threads(threads)
    assert _bits_equal(sub.thetas, ref.thetas[29:33])
    for other in (small, one):
        assert _bits_equal(other.thetas, ref.thetas) and _bits_equal(other.losses, ref.losses)


def test_a_diverged_run_keeps_its_last_finite_theta():
    prob = _problem((1, 5, 5, 1), n=20, seed=7)
    starts = _starts(prob, 6, seed=8)
    res = ensemble(prob, starts, method="gd", lr=5.0, momentum=0.9, steps=250, record_every=1,
                   progress=False)
    xs, ys = prob.data.x.tolist(), prob.data.y.tolist()
    diverged = np.flatnonzero(res.reason == "diverged")
    assert diverged.size >= 3
    for i in diverged:
        one = train.gd(prob, starts[i], lr=5.0, momentum=0.9, max_iter=250, goal=0.0, gtol=0.0)
        # both the single-run trainer and the ensemble keep the last finite theta
        assert one.reason == "diverged" and np.isfinite(one.loss)
        assert _bits_equal(res.thetas[i], one.theta) and res.losses[i] == one.loss
        assert res.n_iter[i] == one.n_iter and res.n_evals[i] == one.n_iter + 2
        assert np.isfinite(res.losses[i]) and res.losses[i] == prob.loss(res.thetas[i])
        assert np.all(res.history[i, res.n_iter[i]:] == res.losses[i])
        assert _bits_equal(res.history[i, :res.n_iter[i] + 1], one.history)
        theta, loss, done, why = naive.relu_mlp_train("gd", starts[i].tolist(), (1, 5, 5, 1),
                                                      xs, ys, prob.loss_scale, 250, 5.0)
        assert why == "diverged" and done == res.n_iter[i] and _bits_equal(res.thetas[i], theta)
    assert not res.converged[diverged].any()


def test_non_finite_start_goal_and_gradient_stops():
    prob = _problem((1, 5, 5, 1), n=20, seed=9)
    starts = _starts(prob, 4, seed=10)
    starts[1] *= 1e120                      # the outputs overflow: the loss is inf
    assert not np.isfinite(prob.loss(starts[1]))
    res = ensemble(prob, starts, steps=5, progress=False)
    assert res.reason[1] == "non-finite start" and res.n_iter[1] == 0 and res.n_evals[1] == 1
    assert _bits_equal(res.thetas[1], starts[1]) and res.losses[1] == np.inf
    assert np.isnan(res.grad_norms[1])
    assert list(res.reason[[0, 2, 3]]) == ["max_iter"] * 3
    g0 = np.linalg.norm(prob.gradient(starts[0]))
    res = ensemble(prob, starts[[0]], steps=5, gtol=1.5 * g0, progress=False)
    assert res.reason[0] == "gradient" and res.converged[0] and res.n_iter[0] == 0
    assert _bits_equal(res.thetas[0], starts[0])
    assert train.adadelta(prob, starts[0], max_iter=5, gtol=1.5 * g0).reason == "gradient"
    res = ensemble(prob, starts[[0, 2]], steps=5, goal=1e6, progress=False)
    assert list(res.reason) == ["loss goal"] * 2 and res.converged.all()


def test_history_records_the_losses_along_the_way():
    prob = _problem((1, 4, 4, 1), n=30, seed=11)
    starts = _starts(prob, 3, seed=12)
    res = ensemble(prob, starts, steps=10, record_every=3, progress=False)
    assert res.history.shape == (3, 4)      # steps 0, 3, 6, 9
    np.testing.assert_array_equal(res.history[:, 0], prob.losses(starts))
    one = train.adadelta(prob, starts[2], max_iter=10, goal=0.0, gtol=0.0)
    assert _bits_equal(res.history[2], one.history[0:10:3])
    assert ensemble(prob, starts, steps=10, progress=False).history is None


def test_result_saves_loads_and_shows_a_progress_bar(tmp_path, capsys):
    prob = _problem((1, 3, 1), n=10, seed=13)
    res = ensemble(prob, _starts(prob, 5), steps=4, record_every=2, batch=2, progress=True)
    assert "fit" in capsys.readouterr().err
    back = EnsembleResult.load(res.save(tmp_path / "ens"))
    for name in ("thetas", "losses", "grad_norms", "history", "converged", "reason", "n_iter",
                 "n_evals"):
        np.testing.assert_array_equal(getattr(back, name), getattr(res, name))
    assert back.meta["method"] == "adadelta" and "EnsembleResult(" in repr(back)


def test_dask_batches_give_the_bits_of_a_local_run():
    distributed = pytest.importorskip("distributed")
    prob = _problem(n=23, seed=14)
    starts = _starts(prob, 9, seed=15)
    local = ensemble(prob, starts, method="gd", lr=0.02, steps=6, record_every=2,
                     progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = ensemble(prob, starts, method="gd", lr=0.02, steps=6, record_every=2,
                          batch=4, client=client, progress=False)
    for name in ("thetas", "losses", "grad_norms", "history", "n_iter"):
        assert _bits_equal(getattr(remote, name), getattr(local, name)), name
    assert list(remote.reason) == list(local.reason)


def test_bad_input_is_refused(monkeypatch):
    prob = _problem((1, 3, 1), n=10, seed=16)
    starts = _starts(prob, 2)
    with pytest.raises(ValueError, match="method must be one of"):
        ensemble(prob, starts, method="adam")
    with pytest.raises(ValueError, match=r"thetas0 must have shape \(m, 10\)"):
        ensemble(prob, starts[:, :4])
    with pytest.raises(ValueError, match="at least one row"):
        ensemble(prob, starts[:0])
    with pytest.raises(ValueError, match="only finite values"):
        ensemble(prob, np.full((1, 10), np.nan))
    for kw, msg in [({"steps": 0}, "steps must be >= 1"), ({"lr": 0.0}, "lr must be > 0"),
                    ({"momentum": 1.5}, "momentum must be <= 1"),
                    ({"rho": -0.1}, "rho must be >= 0"), ({"eps": 0.0}, "eps must be > 0"),
                    ({"record_every": -1}, "record_every must be >= 0"),
                    ({"goal": -1.0}, "goal must be >= 0"),
                    ({"gtol": np.inf}, "gtol must be finite"),
                    ({"batch": 0}, "batch must be >= 1")]:
        with pytest.raises(ValueError, match=msg):
            ensemble(prob, starts, **kw)
    with pytest.raises(TypeError, match="steps must be an integer"):
        ensemble(prob, starts, steps=10.0)
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        ensemble(prob, starts, client=object())
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        ensemble(prob, starts, progress="yes")
    fp = fs.FunctionProblem(lambda t: float(t @ t), n_params=2)
    with pytest.raises(ValueError, match="parallel ensemble kernel"):
        ensemble(fp, np.zeros((1, 2)))
    neuron = fs.RecurrentNeuron()
    seq = fs.make_sequence_data(neuron, np.full(neuron.n_params, 0.5), T=5)
    with pytest.raises(ValueError, match="ensemble kernel"):
        ensemble(fs.Problem(neuron, seq), np.zeros((1, neuron.n_params)))
    monkeypatch.setattr(_memory, "available_memory", lambda: 1000)
    monkeypatch.setattr(_memory, "UNCHECKED_BYTES", 0)
    with pytest.raises(ValueError, match="an ensemble of 2 runs .* needs"):
        ensemble(prob, starts, record_every=1)


def test_peer_benchmark_script_runs_and_counts_the_multiply_adds(monkeypatch):
    bench = Path(__file__).resolve().parents[1] / "bench"
    monkeypatch.syspath_prepend(str(bench))
    spec = importlib.util.spec_from_file_location("peers_ensemble", bench / "peers_ensemble.py")
    peers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peers)
    # forward sums, weight-gradient sums, back-propagated sums: 110 + 110 + 105 per sample
    assert peers.fmas_per_step() == 320 * (2 * (5 + 4 * 25 + 5) + (4 * 25 + 5)) == 104_000
    assert peers.fmas_per_step((2, 3, 1), 10) == 10 * (2 * (6 + 3) + 3)
    out = peers.run(fits=3, steps=2, repeats=1)
    assert out["same_bits"] and out["fs"] > 0 and out["one"] > 0 and out["limit"] > 0

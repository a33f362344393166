"""train.multistart: the parallel LM kernel against a plain-loop LM and the Python engine,
reproducibility, overflow, Dask batches, the default starts, results, bad input."""

import warnings

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import multistart, train

from . import naive


def _data(model, theta, T, n_seq=1, a0=None, noise=0.0, seed=0):
    d = fs.make_sequence_data(model, theta, T=T, n_seq=n_seq, seed=seed, a0=a0)
    eps = noise * np.random.default_rng(seed + 1).standard_normal(d.t.shape)
    return fs.SequenceData(d.p, d.t + eps, d.a0)


def _stable_init(model, spread=0.45):
    """Inputs and bias in U(-1, 1), feedback in U(-spread, spread): stable starts, so the normal
    equations are well conditioned and rounding cannot change the path."""
    lw = [model.feedback_index(d) for d in range(1, model.feedback_delays + 1)]

    def init(rng):
        theta = rng.uniform(-1.0, 1.0, model.n_params)
        theta[lw] *= spread
        return theta
    return init


def _unit_init(model):
    """U(-1, 1) in every parameter: RecurrentNeuron.init before its default became Horn's box
    (the starts these tests were measured with)."""
    return lambda rng: rng.uniform(-1.0, 1.0, model.n_params)


# (model, teacher, n_seq, a0, loss, noise)
CASES = {
    "purelin": (fs.RecurrentNeuron("purelin"), (0.5, 0.5), 1, None, None, 0.05),
    "tansig": (fs.RecurrentNeuron("tansig"), (0.5, 0.5), 1, None, None, 0.05),
    "tansig2_bias": (fs.RecurrentNeuron("tansig", feedback_delays=2, bias=True),
                     (0.5, 0.5, -0.2, 0.1), 1, None, None, 0.05),
    "logsig2_delays_seqs_mse": (fs.RecurrentNeuron("logsig", feedback_delays=2,
                                                   input_delays=(0, 2)),
                                (1.0, -0.5, 0.5, -0.2), 3,
                                np.array([[0.3, 0.1], [0.2, 0.5], [0.7, 0.4]]), "mse", 0.05),
    "purelin2_bias_seqs": (fs.RecurrentNeuron("purelin", feedback_delays=2, bias=True),
                           (0.5, 0.5, -0.2, 0.1), 2, np.array([0.3, -0.4]), None, 0.05),
}


def _problem(name, T=40, noisy=True, seed=0):
    model, theta, n_seq, a0, loss, noise = CASES[name]
    data = _data(model, theta, T, n_seq, a0, noise if noisy else 0.0, seed)
    return fs.Problem(model, data, loss=loss)


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_follows_the_plain_loop_lm_step_by_step(name):
    prob = _problem(name, T=20, seed=3)
    model, data = prob.model, prob.data
    opts = {"max_iter": 6, "mu": 0.01, "mu_dec": 0.3, "mu_inc": 7.0}
    res = train.multistart(prob, 6, seed=11, init=_stable_init(model), engine="numba",
                           progress=False, **opts)
    assert res.meta["engine"] == "numba"
    A0 = data.initial_outputs(model.feedback_delays)
    for r in range(6):
        theta, loss, steps, reason, evals = naive.lm_neuron(
            res.starts[r], data.p.tolist(), data.t.tolist(), A0.tolist(), model.transfer,
            model.input_delays, model.feedback_delays, model.bias, scale=prob.loss_scale,
            **opts)
        assert (res.n_iter[r], res.reason[r], res.n_evals[r]) == (steps, reason, evals)
        np.testing.assert_allclose(res.thetas[r], theta, rtol=1e-10, atol=1e-12)
        assert res.losses[r] == pytest.approx(loss, rel=1e-10)
        assert res.losses[r] == prob.loss(res.thetas[r])        # the same bits as Problem.loss


@pytest.mark.parametrize("name", sorted(CASES))
def test_numba_engine_equals_python_engine_step_by_step(name):
    prob = _problem(name)
    kw = {"seed": 2, "init": _stable_init(prob.model), "progress": False, "max_iter": 5}
    a = train.multistart(prob, 200, engine="numba", **kw)
    b = train.multistart(prob, 200, engine="python", **kw)
    np.testing.assert_array_equal(a.starts, b.starts)
    np.testing.assert_array_equal(a.reason, b.reason)
    np.testing.assert_array_equal(a.n_iter, b.n_iter)
    np.testing.assert_array_equal(a.n_evals, b.n_evals)
    np.testing.assert_allclose(a.thetas, b.thetas, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.losses, b.losses, rtol=1e-10)


@pytest.mark.parametrize("name", ["purelin", "tansig", "tansig2_bias", "purelin2_bias_seqs"])
def test_numba_engine_equals_python_engine_on_whole_runs(name):
    # Teacher data (a zero-residual minimum), U(-1, 1) starts and default options. Runs agree
    # step by step until the end game, where "gradient" and "loss goal" (loss exactly 0) can
    # swap on rounding; unstable starts make J^T J ill-conditioned (cond ~ 1e16), so a few
    # paths part there.
    prob = _problem(name, noisy=False)
    init = _unit_init(prob.model)
    a = train.multistart(prob, 300, seed=7, init=init, progress=False)
    b = train.multistart(prob, 300, seed=7, init=init, engine="python", progress=False)
    assert (a.meta["engine"], b.meta["engine"]) == ("numba", "python")
    np.testing.assert_array_equal(a.starts, b.starts)
    same = (a.n_iter == b.n_iter) & (a.n_evals == b.n_evals)
    assert same.mean() >= 0.95                   # measured 0.993-1 (seeds 7, 8)
    assert np.mean(a.converged == b.converged) >= 0.95
    assert np.mean(a.reason == b.reason) >= 0.85   # measured 0.917-1
    both = a.converged & b.converged
    assert both.mean() >= 0.8
    np.testing.assert_allclose(a.thetas[both], b.thetas[both], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(a.labels[both], b.labels[both])


def test_same_seed_same_bits_whatever_the_batch():
    prob = _problem("tansig2_bias")
    init = _unit_init(prob.model)
    a = train.multistart(prob, 600, seed=3, init=init, progress=False)
    b = train.multistart(prob, 600, seed=3, init=init, progress=False)
    c = train.multistart(prob, 70, seed=3, init=init, progress=False)   # the first 70 starts
    for field in ("starts", "thetas", "losses", "n_iter", "reason", "n_evals", "labels"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        np.testing.assert_array_equal(getattr(a, field)[:70], getattr(c, field))


@pytest.mark.filterwarnings("ignore:overflow encountered")
@pytest.mark.parametrize("engine", ["numba", "python"])
def test_overflow_is_a_rejected_step_and_a_non_finite_start_ends_at_once(engine):
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, _data(model, (0.5, 0.5), T=100))
    starts = iter([[0.5, 60.0], [1.0, -3.0], [0.2, 2.5], [-1.0, 40.0], [1e-5, 37.0]])
    res = train.multistart(prob, 5, init=lambda rng: np.array(next(starts)), engine=engine,
                           progress=False)
    assert np.isinf(prob.loss([0.5, 60.0])) and np.isinf(prob.loss([-1.0, 40.0]))
    for r in (0, 3):        # 60^100 overflows: the run ends where it started
        assert res.reason[r] == "non-finite start" and res.losses[r] == np.inf
        assert res.n_iter[r] == 0 and res.n_evals[r] == 1 and not res.converged[r]
        np.testing.assert_array_equal(res.thetas[r], res.starts[r])
    # unstable but finite starts (3^100 ~ 5e47): their first trial steps overflow; at
    # (1e-5, 37) the loss is finite (5e298) but J^T J overflows to inf
    assert not np.all(np.isfinite(prob.jacobian([1e-5, 37.0]).T @ prob.jacobian([1e-5, 37.0])))
    ok = [1, 2, 4]
    assert np.all(np.isfinite(res.losses[ok])) and np.all(np.isfinite(res.thetas))
    assert np.all(res.losses[ok] < np.array([prob.loss(s) for s in res.starts[ok]]))
    assert res.labels[0] != "global"


def test_singular_normal_equations_are_a_rejected_step():
    from fastsurf.kernels.lm import _solve
    # e = 1 - 1e10 (x0 + x1): J^T J = 1e20 [[1, 1], [1, 1]] absorbs mu = 1e-3 exactly, so the
    # system is singular until mu has grown; LM rejects those steps and goes on.
    prob = fs.FunctionProblem(lambda x: (1 - 1e10 * (x[0] + x[1])) ** 2, n_params=2,
                              residuals=lambda x: np.array([1 - 1e10 * (x[0] + x[1])]),
                              jacobian=lambda x: np.array([[-1e10, -1e10]]))
    res = train.levenberg_marquardt(prob, [0.0, 0.0], max_iter=3)
    assert res.n_evals > res.n_iter + 1 and res.loss < 1.0
    x = np.ones(2)
    _solve(np.array([[1.0, 2.0], [2.0, 4.0]]), x)
    assert not np.all(np.isfinite(x))
    M = np.random.default_rng(0).standard_normal((5, 5))
    b = np.arange(5.0)
    x = b.copy()
    _solve(M.copy(), x)
    np.testing.assert_allclose(M @ x, b, atol=1e-12)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def test_client_batches_equal_a_local_run(client):
    prob = _problem("tansig2_bias")
    init = _unit_init(prob.model)
    local = train.multistart(prob, 150, seed=9, init=init, progress=False)
    remote = train.multistart(prob, 150, seed=9, init=init, client=client, batch=40,
                              progress=False)
    for field in ("starts", "thetas", "losses", "n_iter", "reason", "n_evals", "labels"):
        np.testing.assert_array_equal(getattr(remote, field), getattr(local, field))
    local = train.multistart(prob, 12, seed=9, init=init, method="bfgs", progress=False)
    remote = train.multistart(prob, 12, seed=9, init=init, method="bfgs", client=client,
                              batch=5, progress=False)
    np.testing.assert_array_equal(remote.thetas, local.thetas)
    np.testing.assert_array_equal(remote.reason, local.reason)


def test_bad_input():
    prob = _problem("tansig")
    with pytest.raises(ValueError, match="n must be >= 1"):
        train.multistart(prob, 0)
    with pytest.raises(ValueError, match="method must be one of"):
        train.multistart(prob, 2, method="newton")
    with pytest.raises(ValueError, match="engine must be one of"):
        train.multistart(prob, 2, engine="cuda")
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        train.multistart(prob, 2, client=object())
    with pytest.raises(ValueError, match="batch must be >= 1"):
        train.multistart(prob, 2, batch=0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'lr'"):
        train.multistart(prob, 2, lr=0.1)
    with pytest.raises(ValueError, match="mu_inc must be > 1"):
        train.multistart(prob, 2, mu_inc=1.0)
    with pytest.raises(ValueError, match="init\\(rng\\) must have shape \\(m, 2\\)"):
        train.multistart(prob, 2, init=lambda rng: np.zeros(3))
    with pytest.raises(ValueError, match="no parallel kernel for method='bfgs'"):
        train.multistart(prob, 2, method="bfgs", engine="numba")
    with pytest.raises(ValueError, match="no detector= option"):
        train.multistart(prob, 2, engine="numba", detector=train.InstabilityDetector())
    mlp = fs.MLP((1, 3, 1), activation="tanh")
    x = np.linspace(-1, 1, 8)
    mlp_prob = fs.Problem(mlp, fs.RegressionData(x, np.sin(x)))
    with pytest.raises(ValueError, match="has no parallel kernel for method=.lm."):
        train.multistart(mlp_prob, 2, engine="numba")
    assert train.multistart(mlp_prob, 2, max_iter=3, progress=False).meta["engine"] == "python"


def test_default_starts_follow_the_documented_rule():
    prob = _problem("tansig2_bias")
    assert multistart.default_init(prob) == prob.init
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(prob.init(a), prob.model.init(b))
    # a recurrent neuron's default box: inputs and bias U(-2, 2), feedback U(-1.5, 1.5)
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal([prob.init(a) for _ in range(5)],
                                  b.uniform([-2.0, -1.5, -1.5, -2.0], [2.0, 1.5, 1.5, 2.0],
                                            (5, 4)))
    quad = fs.FunctionProblem(lambda x: float(x @ x), n_params=3)
    draw = multistart.default_init(quad)
    a, b = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(draw(a), b.uniform(-1.0, 1.0, 3))

    class WithInit(fs.FunctionProblem):
        def init(self, rng):
            return np.full(self.n_params, 0.25)

    obj = WithInit(lambda x: float(x @ x), n_params=2)
    res = train.multistart(obj, 3, method="gd", max_iter=2, progress=False)
    np.testing.assert_array_equal(res.starts, 0.25)


def test_result_vocabulary_deprecated_names_and_save_load(tmp_path):
    res = train.multistart(_problem("tansig"), 20, seed=1, progress=False)
    with pytest.warns(DeprecationWarning, match="use n_iter"):
        assert res.iterations is res.n_iter
    with pytest.warns(DeprecationWarning, match="use reason"):
        assert res.reasons is res.reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = train.MultistartResult.load(res.save(tmp_path / "runs"))
    for name in ("thetas", "losses", "n_iter", "converged", "labels", "starts", "reason",
                 "n_evals"):
        np.testing.assert_array_equal(getattr(back, name), getattr(res, name))
    assert back.meta == res.meta == {"method": "lm", "engine": "numba"}
    assert repr(res).startswith("MultistartResult(thetas=<20x2 float64")


def test_the_docstring_example_runs():
    import doctest
    assert doctest.testmod(multistart, verbose=False).failed == 0


def test_sizes_are_refused_before_any_start_is_drawn():
    prob = _problem("tansig")

    def init(rng):
        raise AssertionError("no start may be drawn")

    with pytest.raises(ValueError, match=r"multistart\(n=1000000000\) with 2 parameters needs "
                                         r".* GiB of memory"):
        train.multistart(prob, 10**9, init=init)
    with pytest.raises(ValueError, match="theta_true must have length n_params=2"):
        train.multistart(prob, 3, init=init, theta_true=(0.5,))
    with pytest.raises(ValueError, match="tol must be >= 0"):
        train.multistart(prob, 3, init=init, tol=-1.0)


def test_a_callable_method_runs_on_the_python_engine():
    import functools
    prob = _problem("tansig", T=24)
    fn = functools.partial(train.curriculum, method="lm")
    res = train.multistart(prob, 5, method=fn, seed=4, theta_true=(0.5, 0.5), progress=False,
                           lengths=[6, 12, 24], max_iter=30)
    assert res.meta == {"method": "curriculum", "engine": "python"}
    for r, start in enumerate(res.starts):
        one = train.curriculum(prob, start, lengths=[6, 12, 24], max_iter=30)
        np.testing.assert_array_equal(res.thetas[r], one.theta)
        assert (res.losses[r], res.n_iter[r], res.reason[r], res.n_evals[r]) == (
            one.loss, one.n_iter, one.reason, one.n_evals)
    np.testing.assert_array_equal(
        res.labels, train.label_runs(prob, res.thetas, res.losses, res.reason, res.n_iter,
                                     theta_true=(0.5, 0.5)))
    with pytest.raises(ValueError, match="no parallel kernel for method='curriculum'"):
        train.multistart(prob, 2, method=fn, engine="numba")
    with pytest.raises(TypeError, match="unexpected keyword argument 'lr'"):
        train.multistart(prob, 2, method=train.levenberg_marquardt, lr=0.1)


def test_labels_are_label_end_point_of_every_run():
    prob = _problem("purelin", noisy=False)
    res = train.multistart(prob, 300, seed=2, init=lambda rng: rng.uniform(-2, 2, 2),
                           theta_true=(0.5, 0.5), progress=False)
    assert {"global", "spurious valley"} <= set(res.labels)
    for r in range(len(res.labels)):
        assert res.labels[r] == train.label_end_point(
            prob, res.thetas[r], res.losses[r], theta_true=(0.5, 0.5), reason=res.reason[r],
            n_iter=res.n_iter[r])


def test_default_starts_reach_horns_spurious_valleys():
    # the box reaches |w2| > 1, where the linear neuron's spurious valleys are; U(-1, 1), the
    # former default, never left the stable region and showed none
    prob = _problem("purelin", T=100, noisy=False)
    res = train.multistart(prob, 400, seed=0, theta_true=(0.5, 0.5), tol=1e-3, progress=False)
    assert np.all(np.abs(res.starts) <= [2.0, 1.5]) and np.max(np.abs(res.starts[:, 1])) > 1.4
    assert 0.05 < np.mean(res.labels == "spurious valley") < 0.3       # measured 0.13
    old = train.multistart(prob, 400, seed=0, init=_unit_init(prob.model),
                           theta_true=(0.5, 0.5), tol=1e-3, progress=False)
    assert np.all(old.labels == "global")
    with pytest.raises(ValueError, match="feedback_range must be > 0"):
        prob.model.init(0, feedback_range=0.0)


def test_lm_goal_none_means_no_goal_in_the_kernel_too():
    prob = _problem("tansig", noisy=False)
    kw = {"seed": 5, "init": _stable_init(prob.model), "progress": False, "max_iter": 8}
    a = train.multistart(prob, 50, goal=None, engine="numba", **kw)
    b = train.multistart(prob, 50, goal=None, engine="python", **kw)
    np.testing.assert_array_equal(a.reason, b.reason)
    np.testing.assert_allclose(a.thetas, b.thetas, rtol=1e-10, atol=1e-12)
    assert "loss goal" not in a.reason
    # a goal above every loss stops every run at once
    high = train.multistart(prob, 50, goal=1e6, **kw)
    assert np.all(high.reason == "loss goal") and np.all(high.n_iter == 0)

"""Where training runs end: the one label set (multistart.LABELS) and its rules, in
label_end_point, label_runs and multistart; diverged and stalled runs are not spurious valleys."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import multistart, train


def _linear(T=100):
    model = fs.RecurrentNeuron("purelin")
    return fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=T, seed=0))


def _fixed(*starts):
    it = iter(starts)
    return lambda rng: np.array(next(it), float)


def test_the_label_set_is_one_documented_constant():
    assert list(multistart.LABELS) == ["diverged", "global", "stalled", "spurious valley",
                                       "other"]
    assert all(isinstance(v, str) and v for v in multistart.LABELS.values())
    assert train.label_end_point.__module__ == "fastsurf.multistart"
    assert "LABELS" in multistart.__all__ and "label_runs" in multistart.__all__


def test_rules_in_order():
    prob = _linear(T=30)
    thetas = np.array([[0.5, 0.5], [0.5, 0.5], [0.2, 1.3], [0.2, 1.3], [0.2, 1.3], [0.3, 0.2],
                       [np.nan, 0.1]])
    losses = np.array([0.0, np.inf, 1.0, 1.0, 1.0, 1.0, 1.0])
    reason = np.array(["gradient", "mu_max", "diverged", "line search", "mu_max", "gradient",
                       "max_iter"])
    n_iter = np.array([0, 5, 3, 0, 4, 6, 2])
    labels = multistart.label_runs(prob, thetas, losses, reason, n_iter, theta_true=(0.5, 0.5))
    assert labels.tolist() == ["global",            # at the teacher, even after 0 steps
                               "diverged",          # a non-finite loss, even at the teacher
                               "diverged",          # stopped for divergence
                               "stalled",           # no accepted step, unstable or not
                               "spurious valley",   # |w2| > 1
                               "other",
                               "diverged"]          # a non-finite theta
    for r in range(len(thetas)):
        assert multistart.label_end_point(prob, thetas[r], losses[r], theta_true=(0.5, 0.5),
                                          reason=reason[r], n_iter=n_iter[r]) == labels[r]
    # without reason and n_iter: the rules of before (a finite end point of an unstable net is
    # a spurious valley; without theta_true a finite loss is "global" against itself)
    assert multistart.label_end_point(prob, [0.2, 1.3], 1.0, theta_true=(0.5, 0.5)) == (
        "spurious valley")
    assert multistart.label_end_point(prob, [0.2, 1.3], 1.0) == "global"
    assert multistart.label_end_point(prob, [0.2, 1.3], np.inf) == "diverged"
    # best: the smallest finite loss without theta_true
    labels = multistart.label_runs(prob, thetas[2:6], [3.0, 1.0, 1.0, 1.0])
    assert labels.tolist() == ["spurious valley", "global", "global", "global"]


def test_label_end_point_refuses_a_theta_of_another_length():
    prob = _linear(T=30)
    with pytest.raises(ValueError, match="theta must have length n_params=2, got 3"):
        train.label_end_point(prob, [0.5, 0.5, 0.1], 0.0, theta_true=(0.5, 0.5))
    with pytest.raises(ValueError, match="theta must have 1 dimension"):
        train.label_end_point(prob, [[0.5, 0.5]], 0.0)
    with pytest.raises(ValueError, match="theta_true must have length n_params=2"):
        train.label_end_point(prob, [0.5, 0.5], 0.0, theta_true=(0.5,))
    with pytest.raises(ValueError, match=r"losses must have shape \(2,\)"):
        multistart.label_runs(prob, np.zeros((2, 2)), [0.0])


def test_bfgs_stopping_at_iteration_zero_is_stalled():
    # from (-1.5, 1.2) the loss is 1.4e15 and the first line search fails
    prob = _linear()
    res = train.bfgs(prob, [-1.5, 1.2])
    assert (res.reason, res.n_iter) == ("line search", 0) and res.loss > 1e15
    assert train.label_end_point(prob, res.theta, res.loss, theta_true=(0.5, 0.5), tol=1e-3,
                                 reason=res.reason, n_iter=res.n_iter) == "stalled"
    runs = train.multistart(prob, 2, method="bfgs", init=_fixed([-1.5, 1.2], [0.3, 0.3]),
                            theta_true=(0.5, 0.5), tol=1e-3, progress=False)
    assert runs.labels.tolist() == ["stalled", "global"]


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_diverged_gd_runs_are_diverged_not_spurious():
    prob = _linear()
    def box(rng):
        return rng.uniform([-2.0, -1.5], [2.0, 1.5])

    runs = train.multistart(prob, 20, method="gd", seed=0, init=box, theta_true=(0.5, 0.5),
                            tol=1e-3, progress=False)
    assert np.all(runs.reason == "diverged") and np.all(runs.labels == "diverged")
    assert np.all(np.isfinite(runs.losses))          # the last finite loss of each run
    assert "spurious valley" not in runs.labels


@pytest.mark.filterwarnings("ignore:overflow encountered")
@pytest.mark.parametrize("engine", ["numba", "python"])
def test_non_finite_start_and_stalled_lm(engine):
    prob = _linear()
    det = {} if engine == "numba" else {"detector": train.InstabilityDetector()}
    runs = train.multistart(prob, 3, init=_fixed([0.5, 60.0], [0.3, 0.3], [0.2, 1.4]),
                            theta_true=(0.5, 0.5), tol=1e-3, engine=engine, progress=False,
                            **det)
    assert runs.reason[0] == "non-finite start" and runs.labels[0] == "diverged"
    assert runs.labels[1] == "global"
    if det:     # the detector rejects every step out of the unstable start: mu_max at once
        assert (runs.reason[2], runs.n_iter[2], runs.labels[2]) == ("mu_max", 0, "stalled")
    assert set(runs.labels) <= set(multistart.LABELS)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_the_train_command_prints_every_label(capsys):
    from fastsurf.cli import main
    assert main(["train", "--method", "gd", "--starts", "20", "--no-progress"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines()[1:len(multistart.LABELS) + 1]}
    assert list(lines) == [label.split()[0] for label in multistart.LABELS]
    assert "20  (100.0%)" in lines["diverged"] and "0  (0.0%)" in lines["spurious"]
    assert main(["train", "--method", "bfgs", "--starts", "40", "--no-progress"]) == 0
    out = capsys.readouterr().out
    stalled = next(line for line in out.splitlines() if line.strip().startswith("stalled"))
    assert int(stalled.split()[1]) > 0            # first line searches that fail

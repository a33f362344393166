"""fastsurf.basins: jitter a minimum, retrain, P(return) (Gamst & Walker §4.8, Fig. 12)."""

import numpy as np
import pytest
from scipy import optimize, stats

import fastsurf as fs
from fastsurf.basins import JitterResult, jitter, return_probability

pytest.importorskip("statsmodels")


@pytest.fixture(scope="module")
def small():
    """The 1 x (2 + 0) perfect fit: 7 parameters, 20 points, loss 0 at theta."""
    model, theta, data = fs.constructions.sawtooth_spline(depth=1, n_saw=2, n_spline=0)
    return fs.Problem(model, data), theta


def test_starts_have_the_drawn_norms_uniform_and_isotropic(small):
    prob, theta = small
    res = jitter(prob, theta, n=2000, max_norm=1.5, steps=1, lr=1e-3, seed=4, progress=False)
    d = res.starts - theta
    assert np.allclose(np.linalg.norm(d, axis=1), res.noise_norms, rtol=1e-13, atol=0)
    assert np.all((res.noise_norms >= 0) & (res.noise_norms <= 1.5))
    # s ~ U[0, 1.5] (Kolmogorov-Smirnov) and the directions uniform on the sphere: mean ~ 0,
    # second moment I / P
    assert stats.kstest(res.noise_norms, stats.uniform(0, 1.5).cdf).pvalue > 1e-3
    u = d / res.noise_norms[:, None]
    P = prob.n_params
    assert np.abs(u.mean(axis=0)).max() < 4 / np.sqrt(2000 * P)
    assert np.abs(u.T @ u / 2000 - np.eye(P) / P).max() < 0.03
    again = jitter(prob, theta, n=2000, max_norm=1.5, steps=1, lr=1e-3, seed=4, progress=False)
    assert np.array_equal(again.starts, res.starts)


def test_retraining_is_the_ensemble_of_the_starts(small):
    prob, theta = small
    res = jitter(prob, theta, n=16, max_norm=1.0, method="adadelta", steps=300,
                 return_tol=1e-3, seed=1, progress=False)
    ref = fs.train.ensemble(prob, res.starts, method="adadelta", steps=300, progress=False)
    assert np.array_equal(res.thetas, ref.thetas)
    assert np.array_equal(res.losses, ref.losses)
    assert np.array_equal(res.returned, ref.losses <= 1e-3)
    assert res.meta["method"] == "adadelta" and res.meta["max_norm"] == 1.0


def test_small_jitters_return_and_large_ones_need_not(small):
    prob, theta = small
    near = jitter(prob, theta, n=8, max_norm=0.05, steps=3000, lr=0.05, return_tol=1e-8,
                  progress=False)
    assert near.returned.all() and np.all(near.losses < 1e-8)
    # from far away gradient descent ends in other minima too
    far = jitter(prob, theta, n=64, max_norm=20.0, steps=3000, lr=0.01, return_tol=1e-8,
                 seed=2, progress=False)
    assert not far.returned.all()


def test_jitter_result_saves_and_loads(small, tmp_path):
    prob, theta = small
    res = jitter(prob, theta, n=4, steps=5, lr=1e-3, progress=False)
    back = JitterResult.load(res.save(tmp_path / "j.npz"))
    assert np.array_equal(back.starts, res.starts) and back.return_tol == res.return_tol
    assert back.reason.tolist() == res.reason.tolist()


def _result(s, back, losses=None):
    n = s.size
    return JitterResult(theta=np.zeros(1), noise_norms=s, starts=s[:, None], thetas=s[:, None],
                        losses=np.where(back, 1e-9, 1e-2) if losses is None else losses,
                        returned=back, converged=back, reason=np.array(["max_iter"] * n),
                        n_iter=np.zeros(n, int), return_tol=1e-5)


def test_logistic_fit_is_the_maximum_likelihood_estimate():
    rng = np.random.default_rng(0)
    s = rng.uniform(0, 2, 400)
    back = rng.uniform(size=400) < 1 / (1 + np.exp(-(3.0 - 4.0 * s)))
    fit = return_probability(_result(s, back))

    def nll(c):        # independent reference: the logistic negative log-likelihood
        z = c[0] + c[1] * s
        return np.sum(np.logaddexp(0, z) - back * z)

    ref = optimize.minimize(nll, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10}).x
    assert fit.intercept == pytest.approx(ref[0], rel=1e-5)
    assert fit.slope == pytest.approx(ref[1], rel=1e-5)
    assert fit.s50 == pytest.approx(-ref[0] / ref[1], rel=1e-5)
    assert np.allclose(fit.probability, 1 / (1 + np.exp(-(ref[0] + ref[1] * fit.grid))),
                       atol=1e-6)
    assert not fit.separated and fit.fraction == pytest.approx(back.mean())


def test_lowess_of_a_line_is_the_line():
    s = np.linspace(0, 2, 50)[::-1]
    losses = 10.0 ** (-8 + 3 * s)                  # log10 loss linear in s
    fit = return_probability(_result(s, s < 1, losses))
    assert np.all(np.diff(fit.lowess_x) >= 0)
    assert np.allclose(fit.lowess_y, -8 + 3 * fit.lowess_x, atol=1e-10)


def test_equal_outcomes_and_separation():
    s = np.linspace(0, 2, 30)
    none = return_probability(_result(s, np.zeros(30, bool)))
    assert none.fraction == 0 and np.isnan(none.slope) and np.all(none.probability == 0)
    every = return_probability(_result(s, np.ones(30, bool)))
    assert every.fraction == 1 and np.all(every.probability == 1)
    step = return_probability(_result(s, s < 0.7))
    assert step.separated and s[s < 0.7].max() <= step.s50 <= s[s >= 0.7].min()


@pytest.mark.parametrize("kwargs, word", [({"n": 0}, "n"), ({"max_norm": 0.0}, "max_norm"),
                                          ({"return_tol": -1.0}, "return_tol"),
                                          ({"method": "lbfgs"}, "method")])
def test_jitter_bad_input(small, kwargs, word):
    prob, theta = small
    with pytest.raises(ValueError, match=word):
        jitter(prob, theta, **{"steps": 1, "progress": False, **kwargs})


def test_jitter_bad_theta(small):
    prob, _ = small
    with pytest.raises(ValueError, match="theta"):
        jitter(prob, np.zeros(3), steps=1, progress=False)


def test_return_probability_bad_input():
    s = np.linspace(0, 2, 10)
    res = _result(s, s < 1)
    with pytest.raises(ValueError, match="frac"):
        return_probability(res, frac=0.0)
    res.returned = res.returned[:5]
    with pytest.raises(ValueError, match="returned"):
        return_probability(res)
    with pytest.raises(ValueError, match="at least 2"):
        return_probability(_result(s[:1], s[:1] < 1))

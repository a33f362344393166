"""fastsurf.symmetry against plain-loop and scipy references (Gamst & Walker §3, §4.5)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import fastsurf as fs
from fastsurf import symmetry

WIDTHS = [(1, 5, 5, 5, 5, 5, 1), (1, 3, 1), (2, 4, 3, 2), (3, 1, 4, 1)]


# --- independent references: the parameter layout walked with plain loops -----------------------
def layout(widths):
    """index[l][(o, i)] of W_l[o, i] and bias[l][o] of b_l[o], l = 1..L, by counting."""
    W, B, pos = {}, {}, 0
    for l in range(1, len(widths)):
        W[l], B[l] = {}, {}
        for o in range(widths[l]):
            for i in range(widths[l - 1]):
                W[l][(o, i)] = pos
                pos += 1
        for o in range(widths[l]):
            B[l][o] = pos
            pos += 1
    return W, B


def apply_scales(widths, theta, logc):
    """Rescale hidden unit (l, u) by exp(logc[l][u]) with loops."""
    W, B = layout(widths)
    out = np.array(theta, dtype=float)
    L = len(widths) - 1
    for l in range(1, L + 1):
        for (o, i), k in W[l].items():
            s_out = logc[l][o] if l < L else 0.0
            s_in = logc[l - 1][i] if l > 1 else 0.0
            out[k] *= np.exp(s_out - s_in)
        for o, k in B[l].items():
            out[k] *= np.exp(logc[l][o]) if l < L else 1.0
    return out


def apply_perms(widths, theta, perms):
    """New unit j of hidden layer l is old unit perms[l][j]."""
    W, B = layout(widths)
    L = len(widths) - 1
    out = np.empty(len(theta))
    ident = {0: list(range(widths[0])), L: list(range(widths[L]))}
    P = {**ident, **perms}
    for l in range(1, L + 1):
        for (o, i), k in W[l].items():
            out[k] = theta[W[l][(P[l][o], P[l - 1][i])]]
        for o, k in B[l].items():
            out[k] = theta[B[l][P[l][o]]]
    return out


def norms(widths, theta, l, u):
    """(incoming norm^2 with bias, outgoing norm^2) of hidden unit (l, u), by loops."""
    W, B = layout(widths)
    n_in = sum(theta[W[l][(u, i)]] ** 2 for i in range(widths[l - 1])) + theta[B[l][u]] ** 2
    n_out = sum(theta[W[l + 1][(o, u)]] ** 2 for o in range(widths[l + 1]))
    return n_in, n_out


def random_symmetry(widths, rng, scale=1.0):
    hidden = range(1, len(widths) - 1)
    logc = {l: rng.uniform(-scale, scale, widths[l]) for l in hidden}
    perms = {l: list(rng.permutation(widths[l])) for l in hidden}
    return logc, perms


def transform(widths, theta, rng, scale=1.0):
    logc, perms = random_symmetry(widths, rng, scale)
    return apply_perms(widths, apply_scales(widths, theta, logc), perms)


def scipy_balance(widths, theta, fixed=()):
    """Minimise ||theta(s)||^2 over the log-scales s of the hidden units not in ``fixed``."""
    units = [(l, u) for l in range(1, len(widths) - 1) for u in range(widths[l])
             if (l, u) not in fixed]

    def energy(s):
        logc = {l: np.zeros(widths[l]) for l in range(1, len(widths) - 1)}
        for (l, u), v in zip(units, s):
            logc[l][u] = v
        t = apply_scales(widths, theta, logc)
        return float(t @ t)

    res = minimize(energy, np.zeros(len(units)), method="BFGS",
                   options={"gtol": 1e-11, "maxiter": 20_000})
    return res.fun, dict(zip(units, res.x))


def inputs(widths, n=9, seed=5):
    return np.random.default_rng(seed).uniform(-2, 2, (n, widths[0]))


# --- balance -------------------------------------------------------------------------------------
@pytest.mark.parametrize("widths", WIDTHS)
def test_balance_keeps_function_and_equalises_norms(widths):
    model = fs.MLP(widths)
    theta = model.init(np.random.default_rng(1))
    theta[model.layer_slices(1)[1]] = np.random.default_rng(2).normal(size=widths[1])
    res = symmetry.balance(model, theta)
    x = inputs(widths)
    np.testing.assert_allclose(model.simulate(res.theta, x), model.simulate(theta, x),
                               rtol=1e-12, atol=1e-12)
    assert res.converged and res.dead == []
    for l in range(1, len(widths) - 1):
        for u in range(widths[l]):
            n_in, n_out = norms(widths, res.theta, l, u)
            assert abs(n_in - n_out) <= 1e-10 * n_in
    assert res.energy_before == pytest.approx(float(theta @ theta), rel=1e-15)
    assert res.energy_after == pytest.approx(float(res.theta @ res.theta), rel=1e-15)
    assert res.energy_after < res.energy_before


@pytest.mark.parametrize("widths", WIDTHS[:3])
def test_balance_is_the_rescaling_by_its_scales(widths):
    model = fs.MLP(widths)
    theta = model.init(np.random.default_rng(3))
    res = symmetry.balance(model, theta)
    assert res.scales.shape == (sum(widths[1:-1]),)
    assert np.all(res.scales > 0)
    parts = np.split(res.scales, np.cumsum(widths[1:-1])[:-1])
    logc = {l: np.log(parts[l - 1]) for l in range(1, len(widths) - 1)}
    np.testing.assert_allclose(apply_scales(widths, theta, logc), res.theta, rtol=1e-12,
                               atol=1e-14)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("widths", [(1, 5, 5, 5, 5, 5, 1), (2, 3, 4, 1)])
def test_balance_is_the_global_minimum(widths, seed):
    model = fs.MLP(widths)
    theta = model.init(np.random.default_rng(seed)) * np.random.default_rng(seed + 9).lognormal(
        0, 0.7, model.n_params)
    res = symmetry.balance(model, theta)
    e_ref, s_ref = scipy_balance(widths, theta)
    assert res.energy_after == pytest.approx(e_ref, rel=1e-10)
    assert res.energy_after <= e_ref * (1 + 1e-12)
    ours = dict(zip([(l, u) for l in range(1, len(widths) - 1) for u in range(widths[l])],
                    np.log(res.scales)))
    for key, v in s_ref.items():
        assert ours[key] == pytest.approx(v, abs=1e-5)


def test_balance_of_the_constructed_fit_is_the_global_minimum():
    model, theta, data = fs.constructions.sawtooth_spline()
    res = symmetry.balance(model, theta)
    e_ref, _ = scipy_balance(model.widths, theta)
    assert res.energy_after == pytest.approx(e_ref, rel=1e-10)
    assert res.energy_after < 0.7 * res.energy_before
    assert fs.Problem(model, data).loss(res.theta) < 1e-24


def test_balance_of_a_balanced_net_does_nothing():
    model = fs.MLP((1, 4, 4, 1))
    first = symmetry.balance(model, model.init(np.random.default_rng(4)))
    again = symmetry.balance(model, first.theta)
    np.testing.assert_allclose(again.scales, 1.0, atol=1e-11)
    np.testing.assert_allclose(again.theta, first.theta, rtol=1e-11, atol=1e-13)
    assert again.sweeps < first.sweeps


def test_rescaled_inputs_balance_to_the_same_point():
    widths = (1, 5, 5, 5, 1)
    model = fs.MLP(widths)
    rng = np.random.default_rng(6)
    theta = model.init(rng)
    logc, _ = random_symmetry(widths, rng, scale=2.0)
    a = symmetry.balance(model, theta).theta
    b = symmetry.balance(model, apply_scales(widths, theta, logc)).theta
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_dead_units_are_skipped_and_reported():
    widths = (1, 4, 3, 1)
    model = fs.MLP(widths)
    W, B = layout(widths)
    theta = model.init(np.random.default_rng(7)) + 0.3
    theta[W[1][(2, 0)]] = theta[B[1][2]] = 0.0           # unit (1, 2): no input
    for o in range(widths[3]):
        theta[W[3][(o, 0)]] = 0.0                        # unit (2, 0): no output
    res = symmetry.balance(model, theta)
    assert sorted(res.dead) == [(1, 2), (2, 0)]
    parts = np.split(res.scales, np.cumsum(widths[1:-1])[:-1])
    assert parts[0][2] == 1.0 and parts[1][0] == 1.0
    x = inputs(widths)
    np.testing.assert_allclose(model.simulate(res.theta, x), model.simulate(theta, x),
                               rtol=1e-12, atol=1e-12)
    for l, u in [(1, 0), (1, 1), (1, 3), (2, 1), (2, 2)]:
        n_in, n_out = norms(widths, res.theta, l, u)
        assert abs(n_in - n_out) <= 1e-10 * n_in
    e_ref, _ = scipy_balance(widths, theta, fixed={(1, 2), (2, 0)})
    assert res.energy_after == pytest.approx(e_ref, rel=1e-10)


def test_balance_warns_when_sweeps_run_out():
    model = fs.MLP((1, 5, 5, 5, 1))
    theta = model.init(np.random.default_rng(8))
    with pytest.warns(RuntimeWarning, match="sweeps"):
        res = symmetry.balance(model, theta, max_sweeps=2)
    assert res.sweeps == 2 and not res.converged
    assert res.energy_after < res.energy_before


def test_balance_refuses_other_activations_and_bad_input():
    theta = fs.MLP((1, 3, 1)).init(np.random.default_rng(0))
    for act in ("softplus", "tanh", "logsig"):
        with pytest.raises(ValueError, match="relu"):
            symmetry.balance(fs.MLP((1, 3, 1), act), theta)
        with pytest.raises(ValueError, match="relu"):
            symmetry.canonical(fs.MLP((1, 3, 1), act), theta)
    model = fs.MLP((1, 3, 1))
    with pytest.raises(TypeError, match="model"):
        symmetry.balance(fs.RecurrentNeuron(), theta)
    with pytest.raises(ValueError, match="theta"):
        symmetry.balance(model, theta[:-1])
    with pytest.raises(ValueError, match="theta"):
        symmetry.balance(model, np.full(model.n_params, np.nan))
    with pytest.raises(ValueError, match="tol"):
        symmetry.balance(model, theta, tol=0.0)
    with pytest.raises(TypeError, match="max_sweeps"):
        symmetry.balance(model, theta, max_sweeps=2.5)
    with pytest.raises(ValueError, match="max_sweeps"):
        symmetry.balance(model, theta, max_sweeps=0)


# --- canonical -----------------------------------------------------------------------------------
def test_canonical_sorts_by_incoming_norm_and_keeps_function():
    widths = (1, 5, 5, 5, 5, 5, 1)
    model = fs.MLP(widths)
    theta = model.init(np.random.default_rng(10))
    c = symmetry.canonical(model, theta)
    x = inputs(widths)
    np.testing.assert_allclose(model.simulate(c, x), model.simulate(theta, x), rtol=1e-12,
                               atol=1e-12)
    for l in range(1, len(widths) - 1):
        n = [norms(widths, c, l, u)[0] for u in range(widths[l])]
        assert all(a <= b for a, b in zip(n, n[1:]))
    assert float(c @ c) == pytest.approx(symmetry.balance(model, theta).energy_after, rel=1e-12)


def test_canonical_is_idempotent():
    model = fs.MLP((2, 4, 4, 4, 1))
    for seed in range(5):
        c = symmetry.canonical(model, model.init(np.random.default_rng(seed)))
        np.testing.assert_allclose(symmetry.canonical(model, c), c, rtol=1e-10, atol=1e-12)


@st.composite
def nets(draw):
    d_in = draw(st.integers(1, 2))
    hidden = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    d_out = draw(st.integers(1, 2))
    return (d_in, *hidden, d_out), draw(st.integers(0, 2**31 - 1))


@settings(max_examples=40, deadline=None)
@given(nets())
def test_canonical_is_invariant_under_permutation_and_rescaling(net):
    widths, seed = net
    model = fs.MLP(widths)
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=model.n_params)
    moved = transform(widths, theta, rng, scale=1.5)
    a, b = symmetry.canonical(model, theta), symmetry.canonical(model, moved)
    np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9 * np.abs(a).max())
    assert symmetry.distance(model, theta, moved) <= 1e-7 * np.linalg.norm(a)


@pytest.mark.parametrize("kw", [{}, {"n_saw": 5, "n_spline": 0}, {"depth": 3, "n_saw": 3,
                                                                  "n_spline": 2}])
def test_canonical_of_the_constructed_fit_is_invariant(kw):
    """The constructions have exact ties (mirror-image units) that hold only to rounding."""
    model, theta, data = fs.constructions.sawtooth_spline(**kw)
    ref = symmetry.canonical(model, theta)
    rng = np.random.default_rng(11)
    for _ in range(10):
        moved = transform(model.widths, theta, rng)
        np.testing.assert_allclose(symmetry.canonical(model, moved), ref, rtol=1e-7,
                                   atol=1e-9 * np.abs(ref).max())
    assert fs.Problem(model, data).loss(ref) < 1e-20


def test_canonical_does_not_modify_its_input():
    model = fs.MLP((1, 3, 3, 1))
    theta = model.init(np.random.default_rng(12))
    keep = theta.copy()
    symmetry.canonical(model, theta)
    symmetry.balance(model, theta)
    np.testing.assert_array_equal(theta, keep)


# --- distance and cosines ------------------------------------------------------------------------
def test_distance_between_orbits():
    widths = (1, 5, 5, 5, 5, 5, 1)
    model = fs.MLP(widths)
    rng = np.random.default_rng(13)
    a, b = model.init(rng), model.init(rng)
    ca, cb = symmetry.canonical(model, a), symmetry.canonical(model, b)
    d = symmetry.distance(model, a, b)
    assert d == pytest.approx(np.sqrt(np.sum((ca - cb) ** 2)), rel=1e-12)
    assert d > 0.1
    assert symmetry.distance(model, b, a) == pytest.approx(d, rel=1e-12)
    moved_a, moved_b = transform(widths, a, rng), transform(widths, b, rng)
    assert symmetry.distance(model, moved_a, moved_b) == pytest.approx(d, rel=1e-8)
    assert symmetry.distance(model, a, moved_a) < 1e-8
    with pytest.raises(ValueError, match="b"):
        symmetry.distance(model, a, b[:-1])


def test_cosines_are_the_direction_cosines_from_the_reference():
    widths = (1, 4, 4, 1)
    model = fs.MLP(widths)
    rng = np.random.default_rng(14)
    canon = [symmetry.canonical(model, model.init(rng)) for _ in range(6)]
    ref, fits = canon[0], canon[1:]
    # inputs are arbitrary members of the orbits of canonical points
    C = symmetry.cosines(model, [transform(widths, f, rng) for f in fits],
                         transform(widths, ref, rng))
    m = len(fits)
    assert C.shape == (m, m)
    for i in range(m):
        for j in range(m):
            di, dj = fits[i] - ref, fits[j] - ref
            expect = sum(p * q for p, q in zip(di, dj)) / np.sqrt(
                sum(p * p for p in di) * sum(q * q for q in dj))
            assert C[i, j] == pytest.approx(expect, abs=1e-8)
    assert np.all(np.diag(C) == 1.0)
    np.testing.assert_array_equal(C, C.T)
    assert np.min(C[np.triu_indices(m, 1)]) < 0.999


def test_cosines_mark_a_fit_at_the_reference():
    model = fs.MLP((1, 3, 3, 1))
    rng = np.random.default_rng(15)
    ref, other = model.init(rng), model.init(rng)
    C = symmetry.cosines(model, np.array([other, transform(model.widths, ref, rng)]), ref)
    assert C[0, 0] == 1.0 and np.all(np.isnan(C[1])) and np.all(np.isnan(C[:, 1]))
    with pytest.raises(ValueError, match="thetas"):
        symmetry.cosines(model, ref, ref)
    with pytest.raises(ValueError, match="reference"):
        symmetry.cosines(model, np.array([ref]), ref[:3])

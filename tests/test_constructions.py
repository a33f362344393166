"""fastsurf.constructions.sawtooth_spline (Gamst & Walker §2, §4.2) against independent formulas."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf.constructions import sawtooth_spline

CONFIGS = [
    {},                                               # the paper's 5 x (2 + 3)
    {"n_saw": 5, "n_spline": 0},                      # Fig. 13 left: 3125 teeth
    {"n_saw": 3, "n_spline": 2, "amp": 0.3},          # Fig. 13 right: 5 x (3 + 2)
    {"depth": 2, "n_saw": 4, "n_spline": 4, "amp": 1.5, "seed": 3},
    {"depth": 3, "n_saw": 1, "n_spline": 2, "amp": 2.0, "heights": [0.1, -0.4, 0.2]},
]


def reference(x, depth, n_saw, amp, knots, heights):
    """Tent map by interpolation, composed K times, plus the spline piece by piece."""
    nodes = np.arange(n_saw + 1) / n_saw
    tops = np.array([k % 2 for k in range(n_saw + 1)], dtype=float)
    u = (np.asarray(x) + 1) / 2
    for _ in range(depth):
        u = np.interp(u, nodes, tops)
    out = amp * (2 * u - 1)
    if len(heights):
        xs = [-1.0, *knots, 1.0]
        for i, xi in enumerate(np.asarray(x)):
            for j in range(len(xs) - 1):
                if xs[j] <= xi <= xs[j + 1]:
                    w = (xi - xs[j]) / (xs[j + 1] - xs[j])
                    out[i] += (1 - w) * heights[j] + w * heights[j + 1]
                    break
    return out


def spline_of(model, theta, n_saw):
    """The spline block read back from theta: knots -b/W of the layer-1 spline units."""
    ws, bs = model.layer_slices(1)
    return -theta[bs][n_saw:] / theta[ws][n_saw:]


def monotone_pieces(model, theta, n_grid):
    x = np.linspace(-1, 1, n_grid)
    f = model.simulate(theta, x).ravel()
    s = np.sign(np.diff(f))
    s = s[s != 0]
    return 1 + int(np.count_nonzero(s[1:] != s[:-1]))


@pytest.mark.parametrize("kw", CONFIGS)
def test_fits_its_training_set_exactly(kw):
    model, theta, data = sawtooth_spline(**kw)
    assert model.activation == "relu"
    loss = fs.Problem(model, data).loss(theta)
    assert loss <= 1e-20
    resid = data.y.ravel() - model.simulate(theta, data).ravel()
    slope = kw.get("amp", 0.7) * kw.get("n_saw", 2) ** kw.get("depth", 5)
    assert np.max(np.abs(resid)) <= 1e-13 * max(slope, 1.0)


def test_targets_are_the_intended_function():
    knots, heights = [-0.5, 0.25], [0.2, -0.3, 0.4, 0.1]
    for depth, n_saw, amp in [(5, 2, 0.7), (3, 3, 0.4), (2, 5, 0.25)]:
        model, theta, data = sawtooth_spline(depth=depth, n_saw=n_saw, n_spline=3, amp=amp,
                                             knots=knots, heights=heights)
        x = data.x.ravel()
        np.testing.assert_allclose(data.y.ravel(), reference(x, depth, n_saw, amp, knots,
                                                             heights), rtol=0, atol=1e-12)
        grid = np.random.default_rng(0).uniform(-1, 1, 2000)
        np.testing.assert_allclose(model.simulate(theta, grid).ravel(),
                                   reference(grid, depth, n_saw, amp, knots, heights), rtol=0,
                                   atol=1e-11)


def test_sawtooth_alone_runs_between_minus_amp_and_amp():
    model, theta, data = sawtooth_spline(depth=4, n_saw=3, n_spline=0, amp=0.5)
    x = data.x.ravel()
    teeth = -1 + 2 * np.arange(3**4) / 3**4
    np.testing.assert_allclose(x[::10], teeth, atol=1e-15)
    # the teeth alternate: -amp at even knots, +amp at odd ones
    np.testing.assert_allclose(data.y.ravel()[::10], 0.5 * (-1) ** (np.arange(81) + 1),
                               atol=1e-12)
    assert np.max(np.abs(model.simulate(theta, np.linspace(-1, 1, 5001)))) <= 0.5 + 1e-12


@pytest.mark.parametrize("kw, pieces", [({}, 32), ({"n_saw": 5, "n_spline": 0}, 3125),
                                        ({"n_saw": 3, "n_spline": 2, "amp": 0.3}, 243),
                                        ({"depth": 3, "n_saw": 1, "n_spline": 2, "amp": 2.0,
                                          "heights": [0.1, -0.4, 0.2]}, 1)])
def test_number_of_monotone_pieces(kw, pieces):
    model, theta, _ = sawtooth_spline(**kw)
    assert monotone_pieces(model, theta, 20 * pieces + 7) == pieces
    assert monotone_pieces(model, theta, 40 * pieces + 3) == pieces


@pytest.mark.parametrize("kw", [{}, {"n_saw": 5, "n_spline": 0}])
def test_paper_nets_have_136_parameters(kw):
    model, theta, _ = sawtooth_spline(**kw)
    assert model.widths == (1, 5, 5, 5, 5, 5, 1)
    assert model.n_params == theta.shape[0] == 1 * 5 + 5 + 4 * (5 * 5 + 5) + 5 + 1 == 136


def test_blocks_are_disconnected_and_spline_passes_through():
    n_saw, n_spline, depth = 2, 3, 5
    model, theta, _ = sawtooth_spline(depth=depth, n_saw=n_saw, n_spline=n_spline)
    for l in range(2, depth + 1):
        ws, bs = model.layer_slices(l)
        W = theta[ws].reshape(5, 5)
        assert np.all(W[:n_saw, n_saw:] == 0) and np.all(W[n_saw:, :n_saw] == 0)
        np.testing.assert_array_equal(W[n_saw:, n_saw:], np.eye(n_spline))
        np.testing.assert_array_equal(theta[bs][n_saw:], 0.0)
    # layer 1 spline units: relu(x - t) at t = -1 and the default knots -1/3, 1/3
    np.testing.assert_allclose(spline_of(model, theta, n_saw), [-1, -1 / 3, 1 / 3], atol=1e-15)


def test_default_heights_are_random_with_zero_ends():
    a = sawtooth_spline(seed=0)[2]
    b = sawtooth_spline(seed=0)[2]
    c = sawtooth_spline(seed=1)[2]
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.allclose(a.y, c.y)
    # x = -1 is the first training point; the sawtooth is -amp there and the spline 0
    assert a.x[0, 0] == -1.0 and a.y[0, 0] == pytest.approx(-0.7, abs=1e-14)


def test_training_points_per_piece():
    _, _, mono = sawtooth_spline()
    _, _, lin = sawtooth_spline(pieces="linear")
    assert mono.n_samples == 320 and lin.n_samples == 340
    for data, n_pieces in [(mono, 32), (lin, 34)]:
        x = data.x.ravel()
        assert np.all(np.diff(x) > 0) and x[0] == -1.0 and x[-1] < 1.0
        lefts = x[::10]
        assert len(lefts) == n_pieces
        spans = np.diff(np.append(lefts, 1.0))
        np.testing.assert_allclose(x.reshape(n_pieces, 10),
                                   lefts[:, None] + spans[:, None] * np.arange(10) / 10,
                                   atol=1e-15)
        teeth = -1 + 2 * np.arange(33) / 32
        assert np.all(np.isin(teeth[:-1], x))
        assert 1.0 not in x
    # the linear pieces are also cut at the spline knots -1/3 and 1/3
    x = lin.x.ravel()
    for k in (-1 / 3, 1 / 3):
        assert np.min(np.abs(x - k)) < 1e-15
        assert np.min(np.abs(mono.x.ravel() - k)) > 1e-3
    # 10 points in each of the 32 teeth for "monotone"
    counts = np.bincount(np.floor((mono.x.ravel() + 1) * 16 + 1e-9).astype(int), minlength=32)
    np.testing.assert_array_equal(counts, 10)
    _, _, few = sawtooth_spline(samples_per_piece=3)
    assert few.n_samples == 96


def test_bad_arguments():
    with pytest.raises(ValueError, match="depth"):
        sawtooth_spline(depth=0)
    with pytest.raises(TypeError, match="n_saw"):
        sawtooth_spline(n_saw=2.0)
    with pytest.raises(ValueError, match="n_saw"):
        sawtooth_spline(n_saw=0)
    with pytest.raises(ValueError, match="amp"):
        sawtooth_spline(amp=0.0)
    with pytest.raises(ValueError, match="knots"):
        sawtooth_spline(knots=[0.5])
    with pytest.raises(ValueError, match="knots"):
        sawtooth_spline(knots=[0.5, -0.5])
    with pytest.raises(ValueError, match="knots"):
        sawtooth_spline(knots=[-1.0, 0.5])
    with pytest.raises(ValueError, match="heights"):
        sawtooth_spline(heights=[0, 1, 0])
    with pytest.raises(ValueError, match="steep"):
        sawtooth_spline(amp=0.05, heights=[0, 3, -3, 0])
    with pytest.raises(ValueError, match="knots"):
        sawtooth_spline(n_spline=0, knots=[0.1])
    with pytest.raises(ValueError, match="pieces"):
        sawtooth_spline(pieces="all")
    with pytest.raises(ValueError, match="samples_per_piece"):
        sawtooth_spline(samples_per_piece=0)

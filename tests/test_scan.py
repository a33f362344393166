"""Scans: fused kernels against the naive simulator, orientation, overflow, I/O, bad input."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import scan
from tests import naive

CONFIGS = [
    ("purelin", 1, (0,), False),
    ("tansig", 1, (0,), False),
    ("logsig", 1, (0,), True),
    ("tansig", 2, (0, 1), True),
    ("purelin", 3, (0,), False),
]


def _problem(transfer, D, delays, bias, seed=0, n_seq=2, T=20):
    rng = np.random.default_rng(seed)
    model = fs.RecurrentNeuron(transfer, feedback_delays=D, input_delays=delays, bias=bias)
    data = fs.SequenceData(rng.standard_normal((n_seq, T)), rng.standard_normal((n_seq, T)),
                           0.3 * rng.standard_normal((n_seq, D)))
    return fs.Problem(model, data), rng


def _naive_surface(prob, surf):
    m, d = prob.model, prob.data
    return np.array([[naive.sse_neuron(surf.theta_at(x, y), d.p, d.t, d.a0, m.transfer,
                                       m.input_delays, m.feedback_delays, m.bias)
                      for x in surf.x] for y in surf.y])


def _assert_matches(values, ref):
    finite = np.isfinite(ref)
    np.testing.assert_array_equal(finite, np.isfinite(values))
    rel = np.abs(values[finite] - ref[finite]) / np.maximum(np.abs(ref[finite]), 1e-300)
    assert np.median(rel) <= 1e-14
    assert rel.max() <= 1e-9


@pytest.mark.parametrize("transfer,D,delays,bias", CONFIGS)
def test_grid_matches_naive_for_every_axis_pair(transfer, D, delays, bias):
    prob, rng = _problem(transfer, D, delays, bias)
    center = rng.uniform(-0.8, 0.8, prob.n_params)
    P = prob.n_params
    for axes in {(0, len(delays)), (len(delays), 0), (P - 1, 0)}:
        if axes[0] == axes[1]:
            continue
        surf = scan.grid(prob, center, axes=axes, ranges=((-1.3, 1.1), (-1.2, 1.4)),
                         shape=(131, 9), progress=False)
        _assert_matches(surf.values, _naive_surface(prob, surf))


@pytest.mark.parametrize("transfer,D,delays,bias", CONFIGS[:4])
def test_plane_matches_naive(transfer, D, delays, bias):
    prob, rng = _problem(transfer, D, delays, bias, seed=7)
    o, d1, d2 = (rng.standard_normal(prob.n_params) for _ in range(3))
    surf = scan.plane(prob, o * 0.3, d1, d2, ranges=((-0.4, 0.4), (-0.5, 0.3)), shape=(140, 7),
                      progress=False)
    _assert_matches(surf.values, _naive_surface(prob, surf))


def test_grid_orientation_and_coordinates():
    prob, _ = _problem("tansig", 1, (0,), False)
    surf = scan.grid(prob, [0.1, 0.2], axes=(0, 1), ranges=((-2, 2), (-4, 4)), shape=(9, 5),
                     progress=False)
    np.testing.assert_array_equal(surf.x, np.linspace(-2, 2, 5))
    np.testing.assert_array_equal(surf.y, np.linspace(-4, 4, 9))
    assert surf.values.shape == (9, 5)
    assert surf.values[7, 3] == prob.loss([surf.x[3], surf.y[7]])
    swapped = scan.grid(prob, [0.1, 0.2], axes=(1, 0), ranges=((-4, 4), (-2, 2)), shape=(5, 9),
                        progress=False)
    np.testing.assert_allclose(swapped.values, surf.values.T, rtol=1e-15)
    assert (surf.x_label, surf.y_label) == ("w1", "w2")
    assert surf.meta["shape"] == [9, 5] and surf.meta["data_fingerprint"]


def test_generic_path_for_function_problems():
    prob = fs.FunctionProblem(lambda t: (t[0] - 1) ** 2 + 3 * t[1] ** 2 + t[2], n_params=3)
    surf = scan.grid(prob, [0.0, 0.0, 0.5], axes=(2, 0), ranges=((0, 1), (-1, 2)), shape=(4, 3),
                     progress=False)
    expected = [[(y - 1) ** 2 + x for x in surf.x] for y in surf.y]
    np.testing.assert_allclose(surf.values, expected, rtol=1e-15)


def test_overflow_cells_are_inf_and_counted():
    model = fs.RecurrentNeuron("purelin")
    data = fs.make_sequence_data(model, (0.5, 0.5), T=1200, seed=0)
    prob = fs.Problem(model, data)
    surf = scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(64, 16), progress=False)
    unstable = np.abs(surf.y) > 1.9
    assert np.all(np.isinf(surf.values[unstable][:, surf.x != 0]))
    assert not np.isnan(surf.values).any()
    assert surf.n_nonfinite == np.count_nonzero(~np.isfinite(surf.values)) > 0
    assert surf.meta["n_nonfinite"] == surf.n_nonfinite


def test_line_profile_and_exact_endpoints():
    prob, rng = _problem("tansig", 2, (0,), False)
    t0, t1 = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    prof = scan.line(prob, t0, t1, 11)
    assert prof.values[0] == prob.loss(t0) and prof.values[-1] == prob.loss(t1)
    np.testing.assert_allclose(prof.values, [prob.loss(t) for t in prof.thetas()], rtol=1e-15)
    zoom = scan.line(prob, t0, t1, np.linspace(0.99, 1.0, 5))
    assert zoom.values[-1] == prob.loss(t1)


def test_save_load_round_trip(tmp_path):
    prob, _ = _problem("purelin", 1, (0,), False, T=400)
    surf = scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(8, 6), progress=False)
    path = surf.save(tmp_path / "s")
    assert path.name == "s.npz" and not list(tmp_path.glob("*.tmp*"))
    back = scan.Surface.load(path)
    np.testing.assert_array_equal(back.values, surf.values)
    np.testing.assert_array_equal(back.x, surf.x)
    assert back.axes == surf.axes and back.meta == surf.meta and back.kind == "grid"
    prof = scan.line(prob, [0, 0], [0.5, 0.5], 5)
    back_p = scan.Profile.load(prof.save(tmp_path / "p.npz"))
    np.testing.assert_array_equal(back_p.values, prof.values)


def test_plot_draws_nonfinite_cells():
    prob, _ = _problem("purelin", 1, (0,), False, T=800)
    surf = scan.grid(prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(20, 20), progress=False)
    fig = surf.plot(log=True, contours=5)
    assert fig.axes and fig.axes[0].get_xlabel() == "w1"
    fig3 = surf.plot(three_d=True)
    assert fig3.axes


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"ranges": ((1, -1), (0, 1))}, ValueError, "min < max"),
    ({"ranges": ((0, 0), (0, 1))}, ValueError, "min < max"),
    ({"ranges": ((0, np.inf), (0, 1))}, ValueError, "finite"),
    ({"ranges": (0, 1)}, ValueError, "ranges must be"),
    ({"axes": (0, 0)}, ValueError, "different"),
    ({"axes": (0, 2)}, ValueError, "axes\\[1\\]"),
    ({"shape": (1, 10)}, ValueError, "shape\\[0\\]"),
    ({"shape": (10,)}, ValueError, "shape must be"),
    ({"shape": (10.5, 3)}, TypeError, "shape\\[0\\]"),
    ({"shape": (400_000, 400_000)}, ValueError, "memory"),
    ({"center": [0.1, 0.2, 0.3]}, ValueError, "center must have length"),
    ({"center": [np.nan, 0.2]}, ValueError, "center must contain only finite"),
    ({"progress": "yes"}, TypeError, "progress"),
])
def test_grid_bad_input(kwargs, exc, match):
    prob, _ = _problem("purelin", 1, (0,), False)
    args = {"center": [0.5, 0.5], "ranges": ((-1, 1), (-1, 1)), "shape": (4, 4), **kwargs}
    with pytest.raises(exc, match=match):
        scan.grid(prob, **args)


def test_plane_and_line_bad_input():
    prob, _ = _problem("purelin", 1, (0,), False)
    with pytest.raises(ValueError, match="d1 must be a non-zero"):
        scan.plane(prob, [0, 0], [0, 0], [0, 1])
    with pytest.raises(ValueError, match="parallel"):
        scan.plane(prob, [0, 0], [1, 1], [2, 2])
    with pytest.raises(ValueError, match="normalize"):
        scan.plane(prob, [0, 0], [1, 0], [0, 1], normalize="filter")
    with pytest.raises(ValueError, match="alphas must be >= 2"):
        scan.line(prob, [0, 0], [1, 1], 1)
    with pytest.raises(ValueError, match="alphas must contain only finite"):
        scan.line(prob, [0, 0], [1, 1], [0.0, np.nan])
    with pytest.raises(TypeError, match="problem must be"):
        scan.grid("problem", [0, 0])


@pytest.mark.parametrize("transfer", ["purelin", "tansig"])
@pytest.mark.parametrize("method", ["auto", "brute"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.usefixtures("structural_always")
def test_the_kernels_count_the_overflowed_cells_they_write(transfer, method, dtype):
    model = fs.RecurrentNeuron(transfer, feedback_delays=2 if transfer == "tansig" else 1)
    theta = (0.5, 0.5, -0.2) if transfer == "tansig" else (0.5, 0.5)
    prob = fs.Problem(model, fs.make_sequence_data(model, theta, T=400, seed=1))
    axes = (1, 2) if transfer == "tansig" else (0, 1)
    s = fs.scan.grid(prob, theta, axes=axes, ranges=((-3, 3), (-8, 8)), shape=(300, 70),
                     method=method, dtype=dtype)
    bad = int(np.count_nonzero(~np.isfinite(s.values)))
    assert s.meta["n_nonfinite"] == bad == s.n_nonfinite
    if transfer == "purelin":
        assert bad > 0          # |w2| large enough to overflow at T = 400

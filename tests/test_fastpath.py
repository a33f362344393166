"""The structural fast path (purelin: SSE quadratic in input weights and bias) against brute
force."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import scan

# every test here but the cost model's checks compares the structural path with brute force
STRUCTURAL = pytest.mark.usefixtures("structural_always")


def _problem(D, delays, bias, T=40, seed=0, loss=None):
    rng = np.random.default_rng(seed)
    model = fs.RecurrentNeuron("purelin", feedback_delays=D, input_delays=delays, bias=bias)
    data = fs.SequenceData(rng.standard_normal((2, T)), rng.standard_normal((2, T)),
                           0.3 * rng.standard_normal((2, D)))
    return fs.Problem(model, data, loss=loss), rng


def _assert_equal_to_rounding(fast, brute):
    fin = np.isfinite(brute)
    np.testing.assert_array_equal(fin, np.isfinite(fast))
    rel = np.abs(fast[fin] - brute[fin]) / np.maximum(brute[fin], 1e-300)
    assert np.median(rel) <= 1e-14 and rel.max() <= 1e-12


@STRUCTURAL
@pytest.mark.parametrize("D,delays,bias", [(1, (0,), False), (2, (0, 1), True),
                                           (3, (0,), True)])
def test_grid_fast_path_equals_brute_force(D, delays, bias):
    prob, rng = _problem(D, delays, bias)
    c = rng.uniform(-0.5, 0.5, prob.n_params)
    n_in = len(delays)
    for axes in [(0, n_in), (n_in, 0), (prob.n_params - 1, n_in)]:
        if axes[0] == axes[1]:
            continue
        kw = dict(axes=axes, ranges=((-2, 2), (-1.5, 1.5)), shape=(50, 40), progress=False)
        fast = scan.grid(prob, c, **kw)
        brute = scan.grid(prob, c, method="brute", **kw)
        assert fast.meta["method"] == "auto" and brute.meta["method"] == "brute"
        assert _path(prob, c, axes, 40, 50, ranges=kw["ranges"]) == "structural"
        _assert_equal_to_rounding(fast.values, brute.values)


@STRUCTURAL
def test_plane_fast_path_and_mse_scale():
    prob, rng = _problem(2, (0, 2), True, loss="mse")
    o = rng.uniform(-0.4, 0.4, prob.n_params)
    d1 = np.zeros(prob.n_params)
    d1[[0, 1, 4]] = rng.standard_normal(3)          # input weights and bias only
    d2 = rng.standard_normal(prob.n_params)         # everything
    kw = dict(ranges=((-1, 1), (-0.3, 0.3)), shape=(30, 30), progress=False)
    _assert_equal_to_rounding(scan.plane(prob, o, d1, d2, **kw).values,
                              scan.plane(prob, o, d1, d2, method="brute", **kw).values)
    _assert_equal_to_rounding(scan.plane(prob, o, d2, d1, **kw).values,
                              scan.plane(prob, o, d2, d1, method="brute", **kw).values)


@STRUCTURAL
def test_accurate_near_the_zero_loss_minimum():
    # around the teacher the SSE is ~1e-12; both methods are compared with an extended
    # precision simulation (brute force itself cancels in t - a there)
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=200, seed=3))
    kw = dict(ranges=((0.5 - 1e-6, 0.5 + 1e-6), (0.5 - 1e-6, 0.5 + 1e-6)), shape=(11, 11),
              progress=False)
    fast = scan.grid(prob, [0.5, 0.5], **kw)
    brute = scan.grid(prob, [0.5, 0.5], method="brute", **kw)
    p, t = (v[0].astype(np.longdouble) for v in (prob.data.p, prob.data.t))

    def reference(w1, w2):
        a, total = np.longdouble(0), np.longdouble(0)
        for k in range(p.size):
            a = np.longdouble(w1) * p[k] + np.longdouble(w2) * a
            total += (t[k] - a) ** 2
        return total

    ref = np.array([[reference(x, y) for x in fast.x] for y in fast.y])
    far = ref > 1e-20                       # the centre cell is the teacher (SSE 0 here)
    err_fast = np.abs(fast.values[far] - ref[far]) / ref[far]
    err_brute = np.abs(brute.values[far] - ref[far]) / ref[far]
    assert np.median(err_fast) <= max(10 * np.median(err_brute), 1e-12)
    assert err_fast.max() <= 1e-9


@STRUCTURAL
def test_overflowing_rows_fall_back_to_brute_force():
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=1500, seed=0))
    kw = dict(ranges=((-2, 2), (-5, 5)), shape=(41, 21), progress=False)
    fast = scan.grid(prob, [0.5, 0.5], **kw)
    brute = scan.grid(prob, [0.5, 0.5], method="brute", **kw)
    assert fast.n_nonfinite == brute.n_nonfinite > 0
    _assert_equal_to_rounding(fast.values, brute.values)


def test_bad_method():
    prob, _ = _problem(1, (0,), False)
    with pytest.raises(ValueError, match="method must be one of"):
        scan.grid(prob, [0.5, 0.5], shape=(4, 4), method="fast")


def _unit(P, i):
    d = np.zeros(P)
    d[i] = 1.0
    return d


def _path(prob, origin, axes, nx, ny, ranges=((-2, 2), (-0.9, 0.9))):
    x, y = np.linspace(*ranges[0], nx), np.linspace(*ranges[1], ny)
    P = prob.n_params
    return prob.model.plane_path(prob.data, np.asarray(origin, float), _unit(P, axes[0]),
                                 _unit(P, axes[1]), x, y)


def test_auto_takes_the_structural_path_on_large_grids_and_brute_force_on_short_rows():
    # Horn's linear neuron, T = 100: x moves the input weight, y the feedback weight
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))
    assert _path(prob, [0.5, 0.5], (0, 1), 2048, 2048) == "structural"
    # many short rows: three O(T) recurrences a row cost more than the row's cells
    assert _path(prob, [0.5, 0.5], (0, 1), 4, 2048) == "brute"
    # the structural path's rows run along the feedback weight: few long rows pay, on either axis
    assert _path(prob, [0.5, 0.5], (0, 1), 2048, 4) == "structural"
    assert _path(prob, [0.5, 0.5], (1, 0), 4, 2048) == "structural"
    assert _path(prob, [0.5, 0.5], (1, 0), 2048, 4) == "brute"
    # both directions move the feedback weight, or the neuron is not linear: no structure
    second = fs.RecurrentNeuron("purelin", feedback_delays=2)
    prob2 = fs.Problem(second, fs.make_sequence_data(second, (0.5, 0.3, -0.2), T=100, seed=0))
    assert _path(prob2, [0.5, 0.3, -0.2], (1, 2), 2048, 2048) == "brute"
    tansig = fs.RecurrentNeuron("tansig")
    prob3 = fs.Problem(tansig, fs.make_sequence_data(tansig, (0.5, 0.5), T=100, seed=0))
    assert _path(prob3, [0.5, 0.5], (0, 1), 2048, 2048) == "brute"


def test_auto_leaves_grids_whose_rows_overflow_to_brute_force():
    # T = 1000: rows with |w2| > 1.41 overflow (1.41^1000 > 1e150), so the structural path
    # would compute them twice; over (-20, 20) nearly all do and brute force is cheaper
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=1000, seed=0))
    assert _path(prob, [0.5, 0.5], (0, 1), 1024, 256, ranges=((-2, 2), (-0.9, 0.9))) == (
        "structural")
    assert _path(prob, [0.5, 0.0], (0, 1), 1024, 256, ranges=((-2, 2), (-20, 20))) == "brute"


@pytest.mark.parametrize("shape", [(2048, 4), (64, 64)])
def test_auto_equals_brute_force_whichever_path_it_takes(shape):
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))
    kw = dict(ranges=((-2, 2), (-0.9, 0.9)), shape=shape, progress=False)
    _assert_equal_to_rounding(scan.grid(prob, [0.5, 0.5], **kw).values,
                              scan.grid(prob, [0.5, 0.5], method="brute", **kw).values)

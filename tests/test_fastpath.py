"""The structural fast path (purelin: SSE quadratic in input weights and bias) against brute
force."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import scan


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
        _assert_equal_to_rounding(fast.values, brute.values)


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

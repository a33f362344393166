"""float32 scans: the float32 transfer functions (<= 2 ulp) and the float32 plane kernel
against the naive simulator on float32-rounded inputs."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import scan
from fastsurf.kernels.activations import LOGSIG, PURELIN, TANSIG
from fastsurf.kernels.activations32 import transfer_array
from tests import naive


def _ulp32(got, ref64):
    """|got - ref| in units of the float32 spacing at ref (float64 references are exact to far
    below a float32 ulp)."""
    spacing = np.spacing(np.abs(ref64.astype(np.float32))).astype(np.float64)
    spacing = np.where(spacing == 0, np.float64(np.finfo(np.float32).smallest_subnormal),
                       spacing)
    return np.abs(got.astype(np.float64) - ref64) / spacing


def _samples32(seed):
    rng = np.random.default_rng(seed)
    n = 300_000
    special = [0.0, -0.0, np.inf, -np.inf, 9.0, -9.0, 9.012, 9.5, 8.99, 88.0, -88.0, -103.0, -104.5,
               -1e4, 1e-45, -1e-45, 0.3465736, 1e-30]
    x = np.concatenate([10.0 ** rng.uniform(-45, 2.2, n) * rng.choice([-1.0, 1.0], n),
                        rng.uniform(-20, 20, n), rng.uniform(-0.7, 0.7, n), special])
    return x.astype(np.float32)


def test_tanh32_within_two_ulp_and_odd():
    x = _samples32(1)
    out = np.empty_like(x)
    transfer_array(TANSIG, x, out)
    assert out.dtype == np.float32 and not np.isnan(out).any()
    assert _ulp32(out, np.tanh(x.astype(np.float64))).max() <= 2.0
    assert np.all(np.abs(out) <= 1.0)
    neg = np.empty_like(x)
    transfer_array(TANSIG, -x, neg)
    np.testing.assert_array_equal(neg, -out)
    assert np.signbit(out[x == 0]).tolist() == np.signbit(x[x == 0]).tolist()
    assert out[np.abs(x) >= 9.5].tolist() == np.sign(x[np.abs(x) >= 9.5]).tolist()


def test_logsig32_within_two_ulp_into_the_subnormals():
    x = _samples32(2)
    out = np.empty_like(x)
    transfer_array(LOGSIG, x, out)
    xd = x.astype(np.float64)
    with np.errstate(over="ignore"):
        ref = np.exp(-np.logaddexp(0.0, -xd))
    assert out.dtype == np.float32 and not np.isnan(out).any()
    assert _ulp32(out, ref).max() <= 2.0
    assert np.all((out >= 0) & (out <= 1))


def test_float64_arguments_still_take_the_float64_functions():
    x = np.linspace(-30, 30, 10_001)
    out = np.empty_like(x)
    transfer_array(TANSIG, x, out)
    np.testing.assert_allclose(out, np.tanh(x), rtol=5e-16, atol=0)
    transfer_array(PURELIN, x, out)
    np.testing.assert_array_equal(out, x)


CONFIGS = [("purelin", 1, (0,), False), ("tansig", 1, (0,), False),
           ("logsig", 1, (0,), True), ("tansig", 2, (0, 1), True)]


def _rounded_problem(transfer, D, delays, bias, seed=0, n_seq=2, T=20):
    """A problem whose data are float32 numbers, so the float32 kernel sees them exactly."""
    rng = np.random.default_rng(seed)
    model = fs.RecurrentNeuron(transfer, feedback_delays=D, input_delays=delays, bias=bias)
    r32 = [v.astype(np.float32).astype(np.float64) for v in
           (rng.standard_normal((n_seq, T)), rng.standard_normal((n_seq, T)),
            0.3 * rng.standard_normal((n_seq, D)))]
    return fs.Problem(model, fs.SequenceData(*r32)), rng


@pytest.mark.parametrize("transfer,D,delays,bias", CONFIGS)
def test_float32_grid_matches_naive_to_float32_rounding(transfer, D, delays, bias):
    prob, rng = _rounded_problem(transfer, D, delays, bias)
    center = rng.uniform(-0.8, 0.8, prob.n_params).astype(np.float32).astype(np.float64)
    m, d = prob.model, prob.data
    surf = scan.grid(prob, center, axes=(0, len(delays)), ranges=((-1.25, 1.0), (-1.0, 1.25)),
                     shape=(140, 9), progress=False, method="brute", dtype="float32")
    assert surf.values.dtype == np.float32 and surf.meta["dtype"] == "float32"
    ref = np.array([[naive.sse_neuron(surf.theta_at(x, y), d.p, d.t, d.a0, m.transfer,
                                      m.input_delays, m.feedback_delays, m.bias)
                     for x in surf.x.astype(np.float32)] for y in surf.y.astype(np.float32)])
    assert np.all(np.isfinite(ref)) and np.all(np.isfinite(surf.values))
    rel = np.abs(surf.values - ref) / ref
    assert np.median(rel) <= 2e-6
    assert rel.max() <= 1e-4


def test_float32_plane_and_overflow_to_inf():
    prob, rng = _rounded_problem("purelin", 1, (0,), False, T=60)
    s64 = scan.grid(prob, [0.5, 0.5], ranges=((-1, 1), (-3, 3)), shape=(64, 16),
                    progress=False, method="brute")
    s32 = scan.grid(prob, [0.5, 0.5], ranges=((-1, 1), (-3, 3)), shape=(64, 16),
                    progress=False, method="brute", dtype=np.float32)
    # float32 overflows earlier (3.4e38): wherever float64 is beyond that, float32 is +inf
    beyond = ~(s64.values < 3.4e38)
    assert beyond.any() and np.all(np.isposinf(s32.values[beyond]))
    ok = np.isfinite(s32.values)
    assert ok.sum() > s32.values.size // 2
    rel = np.abs(s32.values[ok] - s64.values[ok]) / s64.values[ok]
    assert np.median(rel) <= 1e-5
    assert s32.n_nonfinite == int((~ok).sum())
    o, d1, d2 = (rng.standard_normal(2) for _ in range(3))
    p64 = scan.plane(prob, o, d1, d2, shape=(33, 12), progress=False)
    p32 = scan.plane(prob, o, d1, d2, shape=(33, 12), progress=False, dtype="float32")
    rel = np.abs(p32.values - p64.values) / p64.values
    assert p32.values.dtype == np.float32 and np.median(rel) <= 1e-5


@pytest.mark.usefixtures("structural_always")
def test_float32_structural_path_is_the_float64_result_rounded():
    prob, _ = _rounded_problem("purelin", 1, (0,), True)
    kw = dict(center=[0.4, 0.3, 0.1], axes=(2, 1), ranges=((-1, 1), (-0.9, 0.9)),
              shape=(40, 30), progress=False)
    s64 = scan.grid(prob, **kw)
    s32 = scan.grid(prob, dtype="float32", **kw)
    np.testing.assert_array_equal(s32.values, s64.values.astype(np.float32))


def test_dtype_bad_input():
    prob, _ = _rounded_problem("tansig", 1, (0,), False)
    with pytest.raises(ValueError, match="dtype must be one of"):
        scan.grid(prob, [0.5, 0.5], shape=(4, 4), dtype="float16")
    mlp = fs.Problem(fs.MLP((1, 2, 1)), fs.RegressionData(np.linspace(-1, 1, 5),
                                                          np.zeros(5)))
    with pytest.raises(ValueError, match="float32.*RecurrentNeuron"):
        scan.grid(mlp, np.zeros(mlp.n_params), shape=(4, 4), dtype="float32")
    f = fs.FunctionProblem(lambda th: float(th @ th), n_params=2)
    with pytest.raises(ValueError, match="float32.*RecurrentNeuron"):
        scan.plane(f, [0, 0], [1, 0], [0, 1], shape=(4, 4), dtype="float32")
    with pytest.raises(ValueError, match="memory"):
        scan.grid(prob, [0.5, 0.5], shape=(300_000, 300_000), dtype="float32")


def test_float32_store_resumes_bit_identical_and_refuses_float64(tmp_path):
    prob, _ = _rounded_problem("tansig", 1, (0,), False, T=30)
    kw = dict(ranges=((-2, 2), (-1.5, 1.5)), shape=(600, 40), progress=False)
    mem = scan.grid(prob, [0.5, 0.5], dtype="float32", **kw)
    stored = scan.grid(prob, [0.5, 0.5], dtype="float32", store=tmp_path / "s.zarr",
                       tile_rows=256, **kw)
    assert stored.values.dtype == np.float32 and stored.meta["tiles"] == 3
    np.testing.assert_array_equal(stored.values, mem.values)
    np.testing.assert_array_equal(scan.Surface.from_zarr(tmp_path / "s.zarr").values,
                                  mem.values)
    with pytest.raises(ValueError, match="dtype"):
        scan.grid(prob, [0.5, 0.5], store=tmp_path / "s.zarr", **kw)

"""The vectorizable transfer functions against extended-precision references (<= 2 ulp)."""

import numpy as np
import pytest

from fastsurf.kernels.activations import logsig_array, tanh_array


def _ulp_error(got, ref_long):
    ref = ref_long.astype(np.float64)
    spacing = np.where(ref == 0, 5e-324, np.spacing(np.abs(ref)))
    return np.abs(got.astype(np.longdouble) - ref_long) / spacing.astype(np.longdouble)


def _samples(seed=3, n=400_000):
    rng = np.random.default_rng(seed)
    magnitudes = 10.0 ** rng.uniform(-310, 3.2, n)
    special = [0.0, -0.0, np.inf, -np.inf, 22.0, -22.0, 19.06, 709.0, -709.0, -745.0,
               -745.2, -746.0, -1e4, 1e-320, -5e-324, np.log(2) / 2, 0.5 * np.log(2)]
    return np.concatenate([magnitudes * rng.choice([-1.0, 1.0], n), rng.uniform(-25, 25, n),
                           rng.uniform(-0.8, 0.8, n), special])


@pytest.mark.skipif(np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps,
                    reason="needs an extended-precision long double for the reference")
def test_tanh_within_two_ulp_over_the_real_line():
    x = _samples()
    out = np.empty_like(x)
    tanh_array(x, out)
    assert not np.isnan(out).any()
    assert _ulp_error(out, np.tanh(x.astype(np.longdouble))).max() <= 2.0
    assert np.all(np.abs(out) <= 1.0)
    assert out[np.isposinf(x)].tolist() == [1.0] and out[np.isneginf(x)].tolist() == [-1.0]


@pytest.mark.skipif(np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps,
                    reason="needs an extended-precision long double for the reference")
def test_logsig_within_two_ulp_over_the_real_line():
    x = _samples(seed=4)
    out = np.empty_like(x)
    logsig_array(x, out)
    xl = x.astype(np.longdouble)
    with np.errstate(over="ignore", invalid="ignore"):
        ref = np.where(xl >= 0, 1 / (1 + np.exp(-np.abs(xl))),
                       np.exp(-np.abs(xl)) / (1 + np.exp(-np.abs(xl))))
    assert not np.isnan(out).any()
    assert _ulp_error(out, ref).max() <= 2.0
    assert np.all((out >= 0) & (out <= 1))


def test_tanh_agrees_with_numpy_and_is_odd():
    x = np.linspace(-30, 30, 100_001)
    out = np.empty_like(x)
    tanh_array(x, out)
    np.testing.assert_allclose(out, np.tanh(x), rtol=5e-16, atol=0)
    neg = np.empty_like(x)
    tanh_array(-x, neg)
    np.testing.assert_array_equal(neg, -out)


def test_nan_propagates():
    out = np.empty(1)
    tanh_array(np.array([np.nan]), out)
    assert np.isnan(out[0])


@pytest.mark.skipif(np.finfo(np.longdouble).eps >= np.finfo(np.float64).eps,
                    reason="needs an extended-precision long double for the reference")
def test_log1p_unit_within_two_ulp():
    from numba import njit

    from fastsurf.kernels.activations import log1p_unit

    @njit
    def apply(u, out):
        for i in range(u.shape[0]):
            out[i] = log1p_unit(u[i])

    rng = np.random.default_rng(5)
    u = np.concatenate([10.0 ** rng.uniform(-320, 0, 200_000), np.linspace(0, 1, 20_001)])
    out = np.empty_like(u)
    apply(u, out)
    assert _ulp_error(out, np.log1p(u.astype(np.longdouble))).max() <= 2.0

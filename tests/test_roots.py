"""Response polynomials, roots, sensitivities and random-polynomial statistics (Horn §III–IV)."""

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import roots as R
from tests import naive

REFERENCE_E = {1: 1.0, 2: 1.29702357413160, 10: 2.15027225345042, 50: 3.12872045678213}
U = 2.0 ** -53     # unit roundoff
WILKINSON = np.polynomial.polynomial.polyfromroots(np.arange(1, 21))   # prod (w - k), k = 1..20


def _mp_roots(c, dps=30):
    """Roots of the exact float64 coefficients ``c`` (ascending) by mpmath's Durand–Kerner at
    ``dps`` digits, started from ``numpy.roots`` (an independent implementation), with the
    relative condition number (Gautschi) of each root evaluated at that precision."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(dps):
        init = [mpmath.mpc(complex(z)) for z in np.roots(c[::-1])]
        ref = mpmath.polyroots([mpmath.mpf(float(x)) for x in c[::-1]], maxsteps=200,
                               extraprec=2 * dps + 40, roots_init=init)
        desc = [mpmath.mpf(float(x)) for x in c[::-1]]
        kappa = []
        for z in ref:
            _, dp = mpmath.polyval(desc, z, derivative=True)
            num = mpmath.polyval([abs(x) for x in desc], abs(z))
            kappa.append(float(num / (abs(z) * abs(dp))))
        real = np.array([mpmath.im(z) == 0 for z in ref])
        return ref, np.array(kappa), real


def _relative_errors(r, ref):
    """Optimal one-to-one matching of computed roots ``r`` to the mpmath roots ``ref``; the
    relative error of each reference root's match (computed at high precision)."""
    import mpmath
    from scipy.optimize import linear_sum_assignment
    refc = np.array([complex(z) for z in ref])
    rows, cols = linear_sum_assignment(np.abs(r[:, None] - refc[None, :]))
    err = np.empty(len(ref))
    with mpmath.workdps(40):
        for i, j in zip(rows, cols):
            err[j] = float(abs(mpmath.mpc(complex(r[i])) - ref[j]) / abs(ref[j]))
    return err, rows, cols


def _bound(k, kappa):
    """Newton with compensated residuals (Graillat 2008): |r~ - r| <= (2u + 16 k u^2 kappa) |r|."""
    return 2 * U + 16 * k * U * U * kappa


def test_coefficients_reproduce_the_simulated_output():
    rng = np.random.default_rng(0)
    p = rng.standard_normal(12)
    for w1, w2, a0 in [(0.5, 0.5, 0.0), (-1.3, 1.7, 0.4), (2.0, -0.9, -1.0)]:
        out = naive.simulate_neuron((w1, w2), p, [a0], "purelin")
        c = R.response_coefficients(p, w1=w1, a0=a0)
        assert naive.poly_value(c, w2) == pytest.approx(out[-1], rel=1e-12)
        family = R.response_coefficients(p, w1=w1, a0=a0, all_orders=True)
        for k in range(1, 13):
            assert naive.poly_value(family[k - 1], w2) == pytest.approx(out[k - 1], rel=1e-12)
    np.testing.assert_array_equal(R.response_coefficients([1.0, 2.0, 3.0], a0=5.0),
                                  [3.0, 2.0, 1.0, 5.0])


def test_roots_of_known_polynomial_and_zero_roots():
    # (w - 2)(w + 0.5)(w^2 + 1) w^2 = w^6 - 1.5 w^5 + 0 w^4 - 1.5 w^3 - w^2
    c = [0.0, 0.0, -1.0, -1.5, 0.0, -1.5, 1.0]
    r = R.polynomial_roots(c)
    assert r.size == 6
    expected = np.array([0, 0, -0.5, 2.0, 1j, -1j])
    for z in expected:
        assert np.min(np.abs(r - z)) < 1e-14
    for z in r:
        assert np.min(np.abs(expected - z)) < 1e-14
    np.testing.assert_allclose(R.real_roots(c), [-0.5, 0.0, 0.0, 2.0], atol=1e-15)
    assert np.all(R.real_roots(c) == R.real_roots(c + [0.0, 0.0]))   # trailing zeros dropped


@pytest.mark.parametrize("degree", [10, 200, 1000])
def test_roots_are_backward_stable_up_to_degree_1000(degree):
    c = np.random.default_rng(degree).standard_normal(degree + 1)
    r = R.polynomial_roots(c)
    assert r.size == degree
    for z in r:
        # evaluate in the reversed polynomial outside the unit circle (no overflow)
        if abs(z) <= 1:
            val = naive.poly_value(c, z)
            scale = sum(abs(ci) * abs(z) ** i for i, ci in enumerate(c))
        else:
            val = naive.poly_value(c[::-1], 1 / z)
            scale = sum(abs(ci) * abs(1 / z) ** i for i, ci in enumerate(c[::-1]))
        assert abs(val) <= 1e-12 * scale
    real = r[r.imag == 0].real
    assert real.size == np.count_nonzero(np.abs(np.roots(c[::-1]).imag) < 1e-9)


def test_wilkinson_polynomial_against_mpmath():
    # the float64 coefficients of prod (w - k) have 20 real roots near 1..20 (within 2e-4), with
    # condition numbers up to 5.4e13: eigenvalues alone are off by ~1e-2 near 14, numpy.roots by
    # 0.06; the last-column companion gave a spurious pair 14.52 +- 0.21i and polishing merged
    # two roots onto 11.
    ref, kappa, real = _mp_roots(WILKINSON)
    assert real.all() and kappa.max() > 1e13
    r = R.polynomial_roots(WILKINSON)
    assert r.size == 20 and np.all(r.imag == 0.0)
    err, _, _ = _relative_errors(r, ref)
    assert np.all(err <= _bound(20, kappa)), err / _bound(20, kappa)
    # one root next to each integer: nothing merged, nothing missing
    assert np.array_equal(np.sort(np.round(r.real)), np.arange(1.0, 21.0))
    np.testing.assert_array_equal(R.real_roots(WILKINSON), np.sort(r.real))


@pytest.mark.parametrize("degree", [10, 50, 100, 200])
def test_random_gaussian_roots_against_mpmath(degree):
    # Horn's case: iid N(0, 1) coefficients; every root within Graillat's bound of its
    # condition number, the real ones found real
    c = np.random.default_rng(1000 + degree).standard_normal(degree + 1)
    ref, kappa, real = _mp_roots(c)
    r = R.polynomial_roots(c)
    assert r.size == degree
    err, rows, cols = _relative_errors(r, ref)
    assert np.all(err <= _bound(degree, kappa)), np.max(err / _bound(degree, kappa))
    is_real = np.empty(degree, dtype=bool)
    is_real[cols] = r[rows].imag == 0.0
    np.testing.assert_array_equal(is_real, real)
    cplx = np.sort_complex(r[r.imag != 0])
    np.testing.assert_array_equal(cplx, np.sort_complex(np.conj(cplx)))   # exact pairs


def test_scaled_wilkinson_polynomials_keep_their_accuracy():
    # w = 2^e u maps the roots k to k 2^e; the coefficients c_i 2^(-e i) (exact) spread over
    # more than 2^1000, where the unscaled companion loses everything
    ref, kappa, _ = _mp_roots(WILKINSON)
    i = np.arange(21)
    for e, c in ((50, np.ldexp(WILKINSON, -50 * i)), (-50, np.ldexp(WILKINSON, 50 * i - 1000))):
        r = np.ldexp(R.polynomial_roots(c).real, -e)     # back to the unscaled roots, exactly
        err, _, _ = _relative_errors(r.astype(complex), ref)
        assert np.all(err <= _bound(20, kappa)), (e, err / _bound(20, kappa))


def test_degenerate_coefficients_are_rescaled():
    mpmath = pytest.importorskip("mpmath")
    # 1 + v w^2 with v = 1e-320 (subnormal): w = +- i / sqrt(v) = +- 1.0000057e160 i
    v = 1e-320
    with mpmath.workdps(40):
        expected = float(1 / mpmath.sqrt(mpmath.mpf(v)))
    r = np.sort_complex(R.polynomial_roots([1.0, 0.0, v]))
    np.testing.assert_allclose(r, [-1j * expected, 1j * expected], rtol=2 * U, atol=0)
    # 1e-200 + 1e200 w^2: +- 1e-200 i (the unscaled companion underflowed to 0, 0)
    r = np.sort_complex(R.polynomial_roots([1e-200, 0.0, 1e200]))
    np.testing.assert_allclose(r.imag, [-1e-200, 1e-200], rtol=2 * U, atol=0)
    assert np.all(r.real == 0)
    # 1e300 + 1e-300 w^2: +- 1e300 i
    r = np.sort_complex(R.polynomial_roots([1e300, 0.0, 1e-300]))
    np.testing.assert_allclose(r.imag, [-1e300, 1e300], rtol=2 * U, atol=0)
    # 1e-300 + w + w^2 = (w + 1)(w + 1e-300) + O(1e-600): roots -1 and -1e-300
    np.testing.assert_allclose(R.real_roots([1e-300, 1.0, 1.0]), [-1.0, -1e-300], rtol=2 * U)
    # 1e300 + 1e-300 w: the root -1e600 is beyond float64 and overflows to -inf
    r = R.polynomial_roots([1e300, 1e-300])
    assert r.shape == (1,) and r[0].real == -np.inf and r[0].imag == 0


def test_double_double_horner_against_mpmath():
    # the residuals that drive the polishing: p(x) to ~u^2 sum |c_i| |x|^i, p'(x) to ~k u
    mpmath = pytest.importorskip("mpmath")
    from fastsurf import _poly as kp
    rng = np.random.default_rng(11)
    for k in (1, 5, 20, 200):
        c = rng.standard_normal(k + 1)
        c /= np.max(np.abs(c))
        with mpmath.workdps(50):
            desc = [mpmath.mpf(float(v)) for v in c[::-1]]
            for x in np.r_[rng.uniform(-1, 1, 5), np.real(np.roots(c[::-1]))[:3]]:
                h, lo, dp = kp.horner_dd(c, float(x))
                p_ref, dp_ref = mpmath.polyval(desc, mpmath.mpf(float(x)), derivative=True)
                scale = float(mpmath.polyval([abs(v) for v in desc], abs(mpmath.mpf(float(x)))))
                assert abs(float(mpmath.mpf(h) + mpmath.mpf(lo) - p_ref)) <= 8 * k * U * U * scale
                assert abs(dp - float(dp_ref)) <= 4 * k * U * k * scale
            for z in rng.uniform(-1, 1, 4) + 1j * rng.uniform(-1, 1, 4):
                v, dpz = kp.horner_dd_complex(c, complex(z))
                p_ref, dp_ref = mpmath.polyval(desc, mpmath.mpc(complex(z)), derivative=True)
                scale = float(mpmath.polyval([abs(q) for q in desc], abs(mpmath.mpc(complex(z)))))
                # the double-double value rounded to complex128: u |p| + ~u^2 scale
                assert abs(complex(p_ref) - v) <= U * abs(complex(p_ref)) + 16 * k * U * U * scale
                assert abs(dpz - complex(dp_ref)) <= 8 * k * U * k * scale


def test_polishing_never_merges_distinct_roots():
    # clustered and multiple roots: distinct eigenvalues stay distinct after polishing
    rng = np.random.default_rng(7)
    P = np.polynomial.polynomial
    cases = [P.polyfromroots([1.0] * 5), P.polyfromroots([1, 1, 2]),
             P.polyfromroots([1, 1 + 1e-7, 3]), P.polyfromroots(np.r_[np.arange(1, 16), 1.5])]
    for _ in range(20):
        centres = rng.uniform(-3, 3, 3)
        cases.append(P.polyfromroots(np.repeat(centres, 4) + 1e-3 * rng.standard_normal(12)))
    for c in cases:
        r = R.polynomial_roots(c)
        assert np.unique(r).size == r.size
    # the kernel's guard, from poor starting points: (w-1)(w-2)(w-3) started at 1, 1.9, 2.45 --
    # Newton from 2.45 would run to 3, more than half the distance to 1.9, so it is refused
    from fastsurf.roots import _polish, _scaling
    s, d = _scaling(P.polyfromroots([1.0, 2.0, 3.0]))      # roots 2^-s (1, 2, 3) of d
    z = np.array([1.0, 1.9, 2.45], dtype=complex) * 2.0 ** -s
    out, accepted = _polish(d, z)
    np.testing.assert_allclose(out[:2].real * 2.0 ** s, [1.0, 2.0], rtol=2 * U)
    assert accepted[:2].all() and not accepted[2] and out[2] == z[2]


def test_sensitivity_and_condition_number_against_finite_differences():
    c = np.array([0.3, -1.2, 0.7, 0.9, -0.4])
    root = R.real_roots(c)[-1]
    sens = R.root_sensitivity(c, root)
    for j in range(c.size):
        h = 1e-7
        cp, cm = c.copy(), c.copy()
        cp[j] += h
        cm[j] -= h
        rp = R.real_roots(cp)[np.argmin(np.abs(R.real_roots(cp) - root))]
        rm = R.real_roots(cm)[np.argmin(np.abs(R.real_roots(cm) - root))]
        assert sens[j] == pytest.approx((rp - rm) / (2 * h), rel=1e-6)
    kappa = R.condition_number(c, root)
    # Gautschi: kappa = sum_j |c_j| |d root / d c_j| / |root|
    assert kappa == pytest.approx(np.sum(np.abs(c) * np.abs(sens)) / abs(root), rel=1e-12)
    i = np.arange(1, 6)
    assert R.derivative_variance(1.3, 5) == pytest.approx(np.sum(i ** 2 * 1.3 ** (2 * (i - 1))))


def test_frozen_root_of_a_constructed_sequence():
    # g_k(w) = sum_i p(k-i) w^i. A root w0 with |w0| > 1 moves by about -p(k+1)/(w0 g'(w0)):
    # p = (1, -1.5, 0, 0, ...) puts a root near w0 = 1.5 (of g_2 = -1.5 + w) that hardly moves.
    p = np.zeros(40)
    p[0], p[1] = 1.0, -1.5
    p[2:] = 1e-3 * np.random.default_rng(1).standard_normal(38)
    fr = R.frozen_roots(p, m=10, tol=1e-6)
    assert fr.roots.size >= 1
    assert np.min(np.abs(fr.roots - 1.5)) < 1e-2
    assert np.all(fr.movement < 1e-6)
    j = np.argmin(np.abs(fr.roots - 1.5))
    assert abs(fr.predicted_shift[j]) < 1e-6


def test_track_roots_matches_trajectories():
    p = np.random.default_rng(3).standard_normal(30)
    tr = R.track_roots(p, orders=np.arange(10, 31))
    assert tr.tracks.shape[0] == 21
    last = tr.tracks[-1][~np.isnan(tr.tracks[-1])]
    np.testing.assert_allclose(np.sort_complex(last), np.sort_complex(tr.roots[-1]))
    # consecutive orders: every existing trajectory moves to the nearest-ish root
    steps = np.abs(np.diff(tr.tracks, axis=0))
    assert np.nanmedian(steps) < 0.2


def test_kac_density_values_and_symmetries():
    k = 10
    at_one = math.sqrt(k * (k + 2) / 12) / math.pi
    np.testing.assert_allclose(R.kac_density([1.0, -1.0], k), [at_one, at_one], rtol=1e-14)
    r = np.concatenate([np.linspace(0.01, 0.999, 200), np.linspace(0.9999, 1.0001, 21)])
    f = R.kac_density(r, k)
    np.testing.assert_allclose(R.kac_density(-r, k), f, rtol=1e-15)
    np.testing.assert_allclose(R.kac_density(1 / r, k) / r ** 2, f, rtol=1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = np.sqrt(1 / (r ** 2 - 1) ** 2 - (k + 1) ** 2 * r ** (2 * k)
                         / (r ** (2 * k + 2) - 1) ** 2) / math.pi
    far = np.abs(1 - r) > 0.05
    np.testing.assert_allclose(f[far], closed[far], rtol=1e-12)
    assert np.all(np.abs(np.diff(R.kac_density(np.linspace(0.99999, 1.00001, 11), k))) < 1e-4)


@pytest.mark.parametrize("k", sorted(REFERENCE_E))
def test_expected_real_roots_reference_values(k):
    assert R.expected_real_roots(k) == pytest.approx(REFERENCE_E[k], rel=1e-10)


def test_expected_real_roots_asymptote_and_bound():
    for k in (100, 1000, 10_000):
        # the asymptote's remainder is O(1/k^2); the quadrature must converge to it that fast
        asym = 2 / math.pi * math.log(k) + R.EDELMAN_KOSTLAN_C + 2 / (math.pi * k)
        assert abs(R.expected_real_roots(k) - asym) < 1.0 / k ** 2
    assert R.expected_real_roots(10 ** 6) == pytest.approx(
        2 / math.pi * math.log(1e6) + R.EDELMAN_KOSTLAN_C, rel=1e-6)
    for k in (1, 10, 1000):
        assert R.expected_real_roots(k) < R.kac_bound(k)


@pytest.mark.parametrize("k", [10, 50])
def test_monte_carlo_within_four_standard_errors(k):
    s = R.sample_real_roots(k, 20_000, seed=k, progress=False)
    assert abs(s.mean - REFERENCE_E[k]) < 4 * s.stderr
    for share in s.shares.values():
        assert abs(share - 0.25) < 0.02
    assert s.n_outside == np.count_nonzero(np.abs(s.roots) > 1)
    assert s.roots.size == s.counts.sum()


def test_grid_sampler_agrees_with_eigenvalues():
    g = R.sample_real_roots(30, 500, seed=9, progress=False)
    e = R.sample_real_roots(30, 500, seed=9, method="eig", progress=False)
    np.testing.assert_array_equal(g.counts, e.counts)
    np.testing.assert_allclose(np.sort(g.roots), np.sort(e.roots), rtol=1e-9)
    again = R.sample_real_roots(30, 500, seed=9, progress=False)
    np.testing.assert_array_equal(again.roots, g.roots)


def test_random_polynomial_roots_cluster_on_unit_circle():
    r = R.random_polynomial_roots(500, seed=0)
    assert r.size == 500
    assert np.median(np.abs(np.abs(r) - 1)) < 0.02


def test_bad_input():
    with pytest.raises(ValueError, match="p must not be empty"):
        R.response_coefficients([])
    with pytest.raises(ValueError, match="p must contain only finite"):
        R.response_coefficients([1.0, np.nan])
    with pytest.raises(ValueError, match="coeffs must contain only finite"):
        R.polynomial_roots([1.0, np.inf])
    with pytest.raises(ValueError, match="at least one non-zero"):
        R.polynomial_roots([0.0, 0.0])
    with pytest.raises(ValueError, match="k must be >= 1"):
        R.expected_real_roots(0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        R.kac_density([0.5], 0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        R.sample_real_roots(10, 0)
    with pytest.raises(ValueError, match="method"):
        R.sample_real_roots(10, 5, method="sturm")
    with pytest.raises(ValueError, match="orders"):
        R.track_roots([1.0, 2.0], orders=[3])
    with pytest.raises(ValueError, match="multiple root"):
        R.root_sensitivity([1.0, -2.0, 1.0], 1.0)


def test_package_exposes_roots():
    assert fs.roots.expected_real_roots is R.expected_real_roots


def test_root_figures():
    from fastsurf import plot
    s = R.sample_real_roots(10, 500, seed=0, progress=False)
    fig = plot.kac_histogram(s)
    assert fig.axes[0].get_xlabel() == "r"
    r, f = fig.axes[0].lines[0].get_data()
    np.testing.assert_array_equal(r, np.linspace(-4, 4, 2001))
    with np.errstate(divide="ignore", invalid="ignore"):      # Kac's closed form away from +-1
        closed = np.sqrt(1 / (r ** 2 - 1) ** 2 - 11 ** 2 * r ** 20 / (r ** 22 - 1) ** 2) / math.pi
    far = np.abs(np.abs(r) - 1) > 0.05
    np.testing.assert_allclose(f[far], closed[far], rtol=1e-12)
    hist = fig.axes[0].patches
    assert sum(p.get_height() * p.get_width() for p in hist) == pytest.approx(
        np.count_nonzero(np.abs(s.roots) < 4) / 500)
    ks = [1, 10, 50, 100]
    fig = plot.expected_roots(R.expected_real_roots_curves(ks), samples={10: s})
    lines = fig.axes[0].lines
    assert len(lines) >= 3
    np.testing.assert_allclose(lines[0].get_ydata()[:3], [REFERENCE_E[k] for k in ks[:3]],
                               rtol=1e-10)
    kf = np.array(ks, dtype=float)
    np.testing.assert_allclose(lines[1].get_ydata(), 2 / math.pi * np.log(kf)
                               + 0.6257358072052700 + 2 / (math.pi * kf), rtol=1e-15)
    np.testing.assert_allclose(lines[2].get_ydata(), 2 / math.pi * np.log(kf) + 14 / math.pi,
                               rtol=1e-15)
    with pytest.raises(TypeError, match="expected_real_roots_curves"):
        plot.expected_roots([1, 10, 100])
    assert plot.complex_roots(R.random_polynomial_roots(50)).axes
    tr = R.track_roots(np.random.default_rng(0).standard_normal(20), orders=np.arange(5, 21))
    assert plot.root_tracks(tr).axes


def test_plot_module_only_draws():
    # fastsurf/plot/roots.py imports nothing from fastsurf: the curves come from its arguments
    source = Path(R.__file__).parent / "plot" / "roots.py"
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("fastsurf"), node.module
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("fastsurf") for a in node.names)


def test_roots_command(tmp_path, capsys):
    from fastsurf.cli import main
    assert main(["roots", "--T", "60", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    p = np.random.default_rng(1).standard_normal(60)
    outside = R.real_roots(R.response_coefficients(p))
    outside = outside[np.abs(outside) > 1]
    assert f"{outside.size} outside the unit circle" in out
    for r in outside:
        assert f"{r:+.10f}" in out
    path = tmp_path / "p.txt"
    np.savetxt(path, p)
    assert main(["roots", "--input", str(path)]) == 0
    assert f"{outside.size} outside the unit circle" in capsys.readouterr().out
    assert main(["roots", "--input", str(tmp_path / "missing.npy")]) == 2

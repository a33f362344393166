"""Critical points, spectra and curvature maps on surfaces whose critical points are known."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import critical, spectra
from fastsurf.curvature import CurvatureMap, curvature_grid


def saddle_problem():
    return fs.FunctionProblem(lambda v: v[0] ** 2 - v[1] ** 2,
                              grad=lambda v: np.array([2 * v[0], -2 * v[1]]),
                              hess=lambda v: np.diag([2.0, -2.0]), n_params=2)


def rosenbrock():
    def f(v):
        return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2

    def g(v):
        return np.array([-2 * (1 - v[0]) - 400 * v[0] * (v[1] - v[0] ** 2),
                         200 * (v[1] - v[0] ** 2)])

    def h(v):
        return np.array([[2 - 400 * (v[1] - 3 * v[0] ** 2), -400 * v[0]],
                         [-400 * v[0], 200.0]])

    return fs.FunctionProblem(f, grad=g, hess=h, n_params=2)


def himmelblau():
    def f(v):
        return (v[0] ** 2 + v[1] - 11) ** 2 + (v[0] + v[1] ** 2 - 7) ** 2

    def g(v):
        a, b = v[0] ** 2 + v[1] - 11, v[0] + v[1] ** 2 - 7
        return np.array([4 * v[0] * a + 2 * b, 2 * a + 4 * v[1] * b])

    def h(v):
        a, b = v[0] ** 2 + v[1] - 11, v[0] + v[1] ** 2 - 7
        return np.array([[4 * a + 8 * v[0] ** 2 + 2, 4 * v[0] + 4 * v[1]],
                         [4 * v[0] + 4 * v[1], 2 + 4 * b + 8 * v[1] ** 2]])

    return fs.FunctionProblem(f, grad=g, hess=h, n_params=2)


# Himmelblau's critical points (literature values, 6 digits): 4 minima, 1 maximum, 4 saddles.
HIMMELBLAU = {
    "minimum": [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186),
                (3.584428, -1.848126)],
    "maximum": [(-0.270845, -0.923039)],
    "saddle": [(0.086677, 2.884254), (-3.073026, -0.081353), (3.385154, 0.073852),
               (-0.127961, -1.953715)],
}


def test_classify_analytic_points():
    cp = critical.classify(saddle_problem(), [0.0, 0.0])
    assert (cp.kind, cp.index, cp.null_dim) == ("saddle", 1, 0)
    np.testing.assert_allclose(cp.eigenvalues, [-2, 2])
    r = critical.classify(rosenbrock(), [1.0, 1.0])
    assert r.kind == "minimum" and r.gradient_norm == 0.0 and r.loss == 0.0
    flat = fs.FunctionProblem(lambda v: v[0] ** 4 + v[1] ** 2,
                              grad=lambda v: np.array([4 * v[0] ** 3, 2 * v[1]]),
                              hess=lambda v: np.diag([12 * v[0] ** 2, 2.0]), n_params=2)
    d = critical.classify(flat, [0.0, 0.0])
    assert d.kind == "degenerate" and d.null_dim == 1
    mx = fs.FunctionProblem(lambda v: -v @ v, grad=lambda v: -2 * v,
                            hess=lambda v: -2 * np.eye(3), n_params=3)
    assert critical.classify(mx, np.zeros(3)).kind == "maximum"


def test_one_zero_rule_for_classify_spectrum_and_on_surface():
    # eigenvalues all within an absolute tol of zero: degenerate, never a maximum
    tiny = fs.FunctionProblem(lambda v: -1e-12 * (v @ v), grad=lambda v: -2e-12 * v,
                              hess=lambda v: -2e-12 * np.eye(3), n_params=3)
    assert critical.classify(tiny, np.zeros(3)).kind == "maximum"          # relative rule
    d = critical.classify(tiny, np.zeros(3), tol=1e-10)
    assert (d.kind, d.null_dim, d.index) == ("degenerate", 3, 0)
    zero = fs.FunctionProblem(lambda v: 0.0 * v[0], grad=lambda v: 0.0 * v,
                              hess=lambda v: np.zeros((2, 2)), n_params=2)
    z = critical.classify(zero, [0.0, 0.0])
    assert (z.kind, z.null_dim) == ("degenerate", 2)
    # |lambda| <= rtol * max |lambda| counts as zero: the same rule in all three places
    eps = 1e-12
    f = fs.FunctionProblem(lambda v: v[0] ** 2 - eps * v[1] ** 2,
                           grad=lambda v: np.array([2 * v[0], -2 * eps * v[1]]),
                           hess=lambda v: np.diag([2.0, -2 * eps]), n_params=2)
    surf = fs.scan.grid(f, [0.0, 0.0], ranges=((-1, 1), (-1, 1)), shape=(21, 21),
                        progress=False)
    for rtol, kind in ((1e-8, "degenerate"), (1e-14, "saddle")):
        assert critical.classify(f, [0.0, 0.0], rtol=rtol).kind == kind
        assert spectra.hessian_spectrum(f, [0.0, 0.0], rtol=rtol).kind == kind
        (c,) = [c for c in critical.on_surface(surf, f, rtol=rtol) if np.allclose(c.theta, 0)]
        assert c.kind == kind and c.null_dim == (kind == "degenerate")
    assert critical.classify(f, [0.0, 0.0], tol=1e-13).kind == "saddle"
    assert spectra.zero_tolerance([-3.0, 1.0]) == 1e-8 * 3.0
    assert spectra.zero_tolerance([-3.0, 1.0], tol=0.5) == 0.5
    with pytest.raises(ValueError, match="rtol"):
        critical.classify(f, [0.0, 0.0], rtol=-1.0)
    with pytest.raises(ValueError, match="tol"):
        critical.find(f, [[0.0, 0.0]], tol=-1.0)


def test_critical_points_and_spectra_save_and_load_whole(tmp_path):
    cp = critical.find(himmelblau(), [[3.1, 2.1]], progress=False)[0]
    cp.meta["note"] = "himmelblau"
    back = critical.CriticalPoint.load(cp.save(tmp_path / "cp"))
    assert (back.kind, back.index, back.null_dim, back.loss, back.gradient_norm, back.meta) == (
        cp.kind, cp.index, cp.null_dim, cp.loss, cp.gradient_norm, cp.meta)
    np.testing.assert_array_equal(back.theta, cp.theta)
    np.testing.assert_array_equal(back.eigenvalues, cp.eigenvalues)
    spec = spectra.hessian_spectrum(himmelblau(), [3.0, 2.0])
    sback = spectra.Spectrum.load(spec.save(tmp_path / "spec"))
    np.testing.assert_array_equal(sback.eigenvectors, spec.eigenvectors)
    assert (sback.kind, sback.condition_number, sback.zero_tol, sback.zero_modes_explained) == (
        spec.kind, spec.condition_number, spec.zero_tol, None)
    assert "CriticalPoint(theta=<2 float64" in repr(cp)
    with pytest.raises(ValueError, match="CriticalPoint"):
        spectra.Spectrum.load(tmp_path / "cp.npz")


def test_find_recovers_all_himmelblau_points():
    prob = himmelblau()
    starts = np.random.default_rng(0).uniform(-5, 5, (300, 2))
    found = critical.find(prob, starts, progress=False)
    assert len(found) == 9
    for kind, points in HIMMELBLAU.items():
        for x in points:
            near = [c for c in found if np.linalg.norm(c.theta - x) < 1e-5]
            assert len(near) == 1 and near[0].kind == kind, (kind, x)
            assert near[0].gradient_norm < 1e-9
    assert [c.loss for c in found] == sorted(c.loss for c in found)


def test_find_rosenbrock_and_saddle():
    r = critical.find(rosenbrock(), [[-1.2, 1.0], [2.0, 2.0]], progress=False)
    assert len(r) == 1
    np.testing.assert_allclose(r[0].theta, [1.0, 1.0], atol=1e-10)
    s = critical.find(saddle_problem(), [[0.3, -0.7]], progress=False)
    assert len(s) == 1 and s[0].kind == "saddle" and np.allclose(s[0].theta, 0)


def test_find_on_a_recurrent_neuron_finds_the_teacher():
    model = fs.RecurrentNeuron("tansig")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=50, seed=1))
    pts = critical.find(prob, [[0.45, 0.55], [0.6, 0.4]], progress=False)
    assert pts[0].kind == "minimum"
    np.testing.assert_allclose(pts[0].theta, [0.5, 0.5], atol=1e-10)


def test_on_surface_finds_slice_critical_points():
    prob = himmelblau()
    surf = fs.scan.grid(prob, [0.0, 0.0], ranges=((-5, 5), (-5, 5)), shape=(101, 101),
                        progress=False)
    pts = critical.on_surface(surf, prob)
    kinds = sorted(c.kind for c in pts)
    assert kinds.count("minimum") == 4 and kinds.count("saddle") == 4
    assert kinds.count("maximum") == 1
    for c in pts:
        assert c.meta["critical_in_full_space"]
    # a plane slice through a 3-D function: slice critical points need not be critical in 3-D
    f3 = fs.FunctionProblem(lambda v: v[0] ** 2 + v[1] ** 2 + v[2],
                            grad=lambda v: np.array([2 * v[0], 2 * v[1], 1.0]),
                            hess=lambda v: np.diag([2.0, 2.0, 0.0]), n_params=3)
    plane = fs.scan.plane(f3, [0.3, -0.2, 0.0], [1, 0, 0], [0, 1, 0], ranges=((-1, 1), (-1, 1)),
                          shape=(21, 21), progress=False)
    (c,) = critical.on_surface(plane, f3)
    assert c.kind == "minimum" and not c.meta["critical_in_full_space"]
    np.testing.assert_allclose(c.theta, [0, 0, 0], atol=1e-9)


def test_spectrum():
    spec = spectra.hessian_spectrum(himmelblau(), [3.0, 2.0])
    H = himmelblau().hessian(np.array([3.0, 2.0]))
    np.testing.assert_allclose(spec.eigenvalues, np.linalg.eigvalsh(H))
    assert spec.condition_number == pytest.approx(spec.eigenvalues[-1] / spec.eigenvalues[0])
    assert spec.n_negative == 0 and spec.n_near_zero == 0 and spec.zero_modes_explained is None
    fig = fs.plot.spectrum(spec)
    assert fig.axes


def test_curvature_grid_matches_pointwise_derivatives(tmp_path):
    model = fs.RecurrentNeuron("tansig", feedback_delays=2)
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5, -0.2), T=40, seed=2))
    cm = curvature_grid(prob, [0.5, 0.5, -0.2], axes=(1, 2), ranges=((-1, 1), (-1, 1)),
                        shape=(7, 5), progress=False)
    for i, j in [(0, 0), (3, 2), (6, 4)]:
        th = np.array([0.5, cm.x[j], cm.y[i]])
        np.testing.assert_allclose(cm.gradient[i, j], prob.gradient(th), rtol=1e-13)
        w = np.linalg.eigvalsh(prob.hessian(th))
        assert cm.eig_min[i, j] == pytest.approx(w[0], rel=1e-10, abs=1e-12)
        assert cm.eig_max[i, j] == pytest.approx(w[-1], rel=1e-10)
        assert cm.det_sign[i, j] == np.sign(np.linalg.det(prob.hessian(th)))
        assert cm.loss[i, j] == prob.loss(th)
    back = CurvatureMap.load(cm.save(tmp_path / "c"))
    np.testing.assert_array_equal(back.eig_min, cm.eig_min)
    assert fs.plot.gradient_field(cm).axes and len(fs.plot.eigenvalue_maps(cm).axes) >= 3
    generic = curvature_grid(himmelblau(), [0, 0], ranges=((-4, 4), (-4, 4)), shape=(4, 4),
                             progress=False)
    assert generic.det_sign.shape == (4, 4)


def test_bad_input():
    with pytest.raises(ValueError, match="starts must have shape"):
        critical.find(himmelblau(), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="theta must have length"):
        critical.classify(himmelblau(), [1.0])
    with pytest.raises(ValueError, match="gtol"):
        critical.find(himmelblau(), [[0.0, 0.0]], gtol=0.0)
    with pytest.raises(ValueError, match="axes must be two different"):
        curvature_grid(himmelblau(), [0, 0], axes=(1, 1))

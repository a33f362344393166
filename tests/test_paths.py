"""Paths: interpolation, off-path residuals, NEB with climbing image, curves, analysis."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import paths


def double_well():
    """f = (x^2 - 1)^2 + 2 (y - x^2 / 2)^2: minima (+-1, 1/2), first-order saddle (0, 0) with
    f = 1 (grad = 0 needs y = x^2/2 and 4x(x^2 - 1) = 0)."""
    def f(v):
        return (v[0] ** 2 - 1) ** 2 + 2 * (v[1] - 0.5 * v[0] ** 2) ** 2

    def g(v):
        q = v[1] - 0.5 * v[0] ** 2
        return np.array([4 * v[0] * (v[0] ** 2 - 1) - 4 * v[0] * q, 4 * q])

    def h(v):
        q = v[1] - 0.5 * v[0] ** 2
        return np.array([[12 * v[0] ** 2 - 4 - 4 * q + 4 * v[0] ** 2, -4 * v[0]],
                         [-4 * v[0], 4.0]])

    return fs.FunctionProblem(f, g, h, n_params=2)


def ring():
    """f = 10 (r - 1)^2 + y^2 / r^2: minima (+-1, 0), saddles (0, +-1) with f = 1; the
    minimum-energy path is the unit circle (df/dr = 0 there and grad f is tangent to it)."""
    return fs.FunctionProblem(
        lambda v: 10 * (np.sqrt(v[0] ** 2 + v[1] ** 2) - 1) ** 2
        + v[1] ** 2 / (v[0] ** 2 + v[1] ** 2), n_params=2)


def _arc_band(radius, n=11):
    t = np.linspace(0, np.pi, n)
    return np.column_stack([radius * np.cos(t), radius * np.sin(t)])


@pytest.mark.parametrize("optimizer", ["fire", "lbfgs"])
def test_climbing_neb_finds_the_saddle(optimizer):
    p = paths.neb(double_well(), [-1, 0.5], [1, 0.5], n_images=9, optimizer=optimizer,
                  tol=1e-6, progress=False)
    assert p.converged and p.history[-1] <= 1e-6
    np.testing.assert_allclose(p.images[p.climbing_index], [0, 0], atol=1e-4)
    assert p.saddle.kind == "saddle" and p.saddle.index == 1
    assert p.barrier == pytest.approx(1.0, abs=1e-8)
    assert np.all(p.forces[[0, -1]] == 0)


@pytest.mark.parametrize("tangent", ["improved", "bisection"])
def test_neb_on_a_curved_path(tangent):
    p = paths.neb(ring(), [1, 0], [-1, 0], n_images=11, tangent=tangent, tol=1e-6,
                  images=_arc_band(1.3), progress=False)
    assert p.converged
    np.testing.assert_allclose(p.images[p.climbing_index], [0, 1], atol=1e-4)
    assert p.saddle.index == 1
    # the improved tangent follows one-sided chords, which cut the corner by O(spacing^2)
    atol = 1e-2 if tangent == "improved" else 1e-6
    np.testing.assert_allclose(np.linalg.norm(p.images, axis=1), 1.0, atol=atol)


def test_band_started_on_the_mep_stays_on_it():
    start = _arc_band(1.0)
    # on an equally spaced arc the bisection tangent is the exact tangent of the MEP, so every
    # NEB force vanishes and the band must not move
    p = paths.neb(ring(), [1, 0], [-1, 0], n_images=11, climbing=False, tol=1e-8,
                  tangent="bisection", images=start, progress=False)
    assert p.converged
    np.testing.assert_allclose(np.linalg.norm(p.images, axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose(p.images, start, atol=1e-7)   # equally spaced already


def test_interpolation_windows_and_exact_endpoints():
    prob = double_well()
    a, b = np.array([-1.0, 0.5]), np.array([1.0, 0.5])
    profs = paths.interpolate(prob, a, b)
    assert [(p.alpha[0], p.alpha[-1]) for p in profs] == [(0, 1), (0, 0.01), (0.99, 1)]
    assert all(len(p.alpha) == 200 for p in profs)
    assert profs[0].values[0] == prob.loss(a) and profs[2].values[-1] == prob.loss(b)
    assert fs.plot.interpolation(profs).axes


def test_off_path_residual_matches_definition():
    rng = np.random.default_rng(0)
    ti, tf = rng.standard_normal(5), rng.standard_normal(5)
    u = tf - ti
    alphas = np.array([0.0, 0.3, 0.7, 1.0])
    perp = rng.standard_normal(5)
    perp -= perp @ u / (u @ u) * u
    offsets = np.array([0.0, 0.5, 2.0, 0.0])
    traj = ti + alphas[:, None] * u + offsets[:, None] * perp
    alpha, resid = paths.off_path_residual(traj, ti, tf)
    np.testing.assert_allclose(alpha, alphas, atol=1e-14)
    np.testing.assert_allclose(resid, offsets * np.linalg.norm(perp), rtol=1e-12, atol=1e-14)
    summ = paths.summarize_trajectory(traj, ti, tf)
    assert summ.argmax == 2 and summ.max_residual == pytest.approx(resid[2])
    assert summ.in_line_length == pytest.approx(np.linalg.norm(u))
    np.testing.assert_allclose(abs(summ.direction @ perp), np.linalg.norm(perp), rtol=1e-12)


def test_curves_go_around_the_barrier():
    prob = double_well()
    a, b = [-1, 0.5], [1, 0.5]
    straight = paths.interpolate(prob, a, b, windows=((0, 1),), n=61)[0]
    for kind in ("bezier", "polychain"):
        c = paths.curve(prob, a, b, kind=kind, steps=600, lr=0.02, progress=False)
        assert c.losses.shape == (61,)
        assert c.losses.max() < straight.values.max() - 0.1
        np.testing.assert_allclose(c.points([0.0, 1.0]), [a, b], atol=1e-15)


def test_analysis_and_figures(tmp_path):
    prob = double_well()
    p = paths.neb(prob, [-1, 0.5], [1, 0.5], n_images=7, optimizer="lbfgs", progress=False)
    s, ang = paths.turning_angles(p)
    assert s.shape == ang.shape == (5,) and np.all((ang >= 0) & (ang <= 180))
    seg_s, seg_v = paths.segment_profiles(prob, p, n=5)
    assert seg_v.max() >= p.losses.max() - 1e-12
    back = paths.Path.load(p.save(tmp_path / "path"))
    np.testing.assert_array_equal(back.images, p.images)
    assert back.meta["saddle"]["index"] == 1
    surf = fs.scan.grid(prob, [0, 0], ranges=((-1.5, 1.5), (-0.5, 1.0)), shape=(40, 40),
                        progress=False)
    assert fs.plot.band(surf, p).axes and fs.plot.angles(p).axes
    assert fs.plot.path_losses(p, (seg_s, seg_v)).axes
    traj = np.array([[-1, 0.5], [-0.5, 0.2], [0.0, 0.0], [0.6, 0.3], [1, 0.5]])
    assert fs.plot.trajectory_projection(prob, traj, traj[0], traj[-1], shape=(20, 20)).axes


def test_bad_input():
    prob = double_well()
    with pytest.raises(ValueError, match="n_images must be >= 3"):
        paths.neb(prob, [-1, 0.5], [1, 0.5], n_images=2)
    with pytest.raises(ValueError, match="different points"):
        paths.neb(prob, [1, 0.5], [1, 0.5])
    with pytest.raises(ValueError, match="theta_b must have length"):
        paths.neb(prob, [1, 0.5], [1, 0.5, 0.0])
    with pytest.raises(ValueError, match="theta_a must contain only finite"):
        paths.neb(prob, [np.nan, 0.5], [1, 0.5])
    with pytest.raises(ValueError, match="optimizer"):
        paths.neb(prob, [-1, 0.5], [1, 0.5], optimizer="sgd")
    with pytest.raises(ValueError, match="images must have shape"):
        paths.neb(prob, [-1, 0.5], [1, 0.5], n_images=5, images=np.zeros((4, 2)))
    with pytest.raises(ValueError, match="differ"):
        paths.off_path_residual(np.zeros((3, 2)), [1, 1], [1, 1])
    with pytest.raises(ValueError, match="trajectory must have 2"):
        paths.off_path_residual(np.zeros(3), [0, 0], [1, 1])
    with pytest.raises(ValueError, match="kind"):
        paths.curve(prob, [-1, 0.5], [1, 0.5], kind="spline")

"""Paths: interpolation, off-path residuals, NEB with climbing image, curves, analysis, results
that save and load, figures that only draw."""

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import _io, optim, paths
from fastsurf._results import Result


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


@pytest.mark.parametrize("case", ["double_well", "ring"])
def test_lbfgs_needs_fewer_iterations_than_fire(case):
    if case == "double_well":
        prob, a, b, kw, saddle = double_well(), [-1, 0.5], [1, 0.5], {"n_images": 9}, [0, 0]
    else:
        prob, a, b, kw, saddle = ring(), [1, 0], [-1, 0], {"images": _arc_band(1.3)}, [0, 1]
    runs = {opt: paths.neb(prob, a, b, optimizer=opt, tol=1e-6, progress=False, **kw)
            for opt in ("fire", "lbfgs")}
    for p in runs.values():
        assert p.converged and p.history[-1] <= 1e-6
        np.testing.assert_allclose(p.images[p.climbing_index], saddle, atol=1e-4)
        assert p.saddle.index == 1
    assert runs["lbfgs"].n_iter < runs["fire"].n_iter / 2


def test_climbing_image_keeps_its_role_on_a_flat_top():
    rule = paths.ClimbingRule(switch=0.05)
    V = np.array([0.0, 1.0, 1.02, 0.5, 0.1])
    assert rule.select(V, None) == 2            # the highest interior image
    assert rule.select(V, 1) == 1               # 1.02 < 1.0 + 0.05 * 1.02: keep image 1
    V[2] = 1.06
    assert rule.select(V, 1) == 2               # 1.06 > 1.0 + 0.05 * 1.06: switch
    assert paths.ClimbingRule(switch=0.0).select(np.array([0, 1.0, 1.0 + 1e-12, 0]), 1) == 2


def test_neb_uses_the_shared_band_optimizers():
    # their unit tests (formulas, huge forces, undone steps) are in tests/test_optim.py
    assert paths.FIRE is optim.FIRE and paths.LBFGS is optim.LBFGS
    assert paths.OPTIMIZERS == {"fire": optim.FIRE, "lbfgs": optim.LBFGS}
    assert all(cls.takes == "force" for cls in paths.OPTIMIZERS.values())


def _teacher(widths=(1, 3, 1), beta=5.0, n=40, scale=1.0):
    """Data made by a softplus net, its exact zero-loss minimum theta and the same net with
    hidden units 0 and 1 swapped (another minimum of the same loss)."""
    model = fs.MLP(widths, activation="softplus", beta=beta)
    theta = model.init(np.random.default_rng(0)) * scale
    for layer in range(1, len(widths)):
        _, bs = model.layer_slices(layer)
        theta[bs] = np.random.default_rng(1).uniform(-1, 1, bs.stop - bs.start)
    if widths[0] == 1:
        x = np.linspace(-1, 1, n)
    else:
        x = np.random.default_rng(2).uniform(-1, 1, (n, widths[0]))
    prob = fs.Problem(model, fs.RegressionData(x, model.simulate(theta, x)))
    return prob, theta, _swap_units(model, theta, 1, 0, 1)


def _swap_units(model, theta, layer, i, j):
    out = theta.copy()
    n_in, n_out, n_next = model.widths[layer - 1], model.widths[layer], model.widths[layer + 1]
    ws, bs = model.layer_slices(layer)
    wn, _ = model.layer_slices(layer + 1)
    W = out[ws].reshape(n_out, n_in)
    W[[i, j]] = W[[j, i]]
    b = out[bs]
    b[[i, j]] = b[[j, i]]
    Wn = out[wn].reshape(n_next, n_out)
    Wn[:, [i, j]] = Wn[:, [j, i]]
    out[ws], out[bs], out[wn] = W.ravel(), b, Wn.ravel()
    return out


@pytest.mark.parametrize("optimizer", ["fire", "lbfgs"])
def test_neb_between_permuted_minima_of_a_small_mlp(optimizer):
    prob, a, b = _teacher()
    assert prob.loss(a) == 0.0 and prob.loss(b) == 0.0
    p = paths.neb(prob, a, b, n_images=11, optimizer=optimizer, tol=1e-6, max_iter=20_000,
                  progress=False)
    assert p.converged and p.history[-1] <= 1e-6
    s = p.saddle
    assert s.gradient_norm <= 2e-6 and p.barrier > 0
    # the swap maps the path onto itself reversed, so the top of the path lies near the
    # swap-invariant plane where units 0 and 1 coincide (far closer than the ends, 1.53 apart)
    assert np.linalg.norm(s.theta - _swap_units(prob.model, s.theta, 1, 0, 1)) < 0.05
    c = fs.critical.classify(prob, s.theta, tol=1e-5 * np.max(np.abs(s.eigenvalues)))
    assert c.kind in ("saddle", "degenerate") and c.index <= 1 < c.eigenvalues.size


def test_climbing_image_is_an_index_one_saddle_on_the_swap_plane():
    # 2 inputs make the Hessian far better conditioned than 1-D data; FIRE is the robust choice
    prob, a, b = _teacher(widths=(2, 3, 1), scale=2.0)
    p = paths.neb(prob, a, b, n_images=11, tol=1e-6, max_iter=20_000, progress=False)
    assert p.converged
    s = p.saddle
    assert np.linalg.norm(s.theta - _swap_units(prob.model, s.theta, 1, 0, 1)) < 1e-6
    assert p.barrier == pytest.approx(s.loss - max(p.losses[0], p.losses[-1]), abs=1e-12)
    assert p.barrier > 1e-5
    # its gradient 1e-6 leaves eigenvalues below ~1e-5 of the largest unresolved
    c = fs.critical.classify(prob, s.theta, tol=1e-5 * np.max(np.abs(s.eigenvalues)))
    assert c.kind == "saddle" and c.index == 1
    # the negative mode is odd under the swap: it moves units 0 and 1 apart
    H = prob.hessian(s.theta)
    v = np.linalg.eigh(H)[1][:, 0]
    np.testing.assert_allclose(_swap_units(prob.model, v, 1, 0, 1), -v, atol=1e-6)


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
    assert back.saddle.index == 1
    surf = fs.scan.grid(prob, [0, 0], ranges=((-1.5, 1.5), (-0.5, 1.0)), shape=(40, 40),
                        progress=False)
    assert fs.plot.band(surf, p).axes and fs.plot.angles(p).axes
    assert fs.plot.path_losses(p, (seg_s, seg_v)).axes
    traj = np.array([[-1, 0.5], [-0.5, 0.2], [0.0, 0.0], [0.6, 0.3], [1, 0.5]])
    tplane = paths.trajectory_plane(prob, traj, traj[0], traj[-1], shape=(20, 20))
    assert fs.plot.trajectory_projection(tplane).axes


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


def _equal_fields(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
        elif dataclasses.is_dataclass(x):
            _equal_fields(x, y)
        else:
            assert x == y, f.name


def test_path_vocabulary_and_save_load_of_the_whole_object(tmp_path):
    prob = double_well()
    p = paths.neb(prob, [-1, 0.5], [1, 0.5], n_images=7, progress=False)
    assert p.converged and p.reason == "converged" and p.n_evals == 7 * (p.n_iter + 1)
    assert p.meta["n_gradients"] == 5 * p.n_iter
    short = paths.neb(prob, [-1, 0.5], [1, 0.5], n_images=7, max_iter=3, progress=False)
    assert not short.converged and short.reason == "max_iter" and short.n_iter == 3
    assert isinstance(p.saddle, fs.critical.CriticalPoint)
    back = paths.Path.load(p.save(tmp_path / "p"))
    assert isinstance(back.saddle, fs.critical.CriticalPoint)
    _equal_fields(back, p)
    p.profile(prob, points_per_segment=5)           # a nested result is saved too
    back = paths.Path.load(p.save(tmp_path / "p"))
    assert isinstance(back.segment_profile, paths.PathProfile)
    _equal_fields(back, p)
    assert back.barrier == p.barrier
    none = paths.neb(prob, [-1, 0.5], [1, 0.5], n_images=5, climbing=False, progress=False)
    assert none.saddle is None and none.climbing_index is None
    _equal_fields(paths.Path.load(none.save(tmp_path / "none")), none)
    rec = dataclasses.replace(p, saddle=SaddleRecord(theta=np.zeros(2), index=1))
    back = paths.Path.load(rec.save(tmp_path / "rec"))
    assert isinstance(back.saddle, SaddleRecord) and back.saddle.index == 1
    assert repr(p).startswith("Path(images=<7x2 float64") and "'tangent'" not in repr(p)


@dataclasses.dataclass(repr=False)
class SaddleRecord(Result):
    """A saddle that is a Result (as CriticalPoint is to become): stored as one."""

    theta: np.ndarray
    index: int


def test_path_files_of_the_old_format_still_load(tmp_path):
    # what Path.save wrote at d3d54ad: arrays, and meta with the saddle's classification
    arrays = {"images": np.zeros((3, 2)), "losses": np.zeros(3), "forces": np.zeros((3, 2)),
              "arc_length": np.arange(3.0), "history": np.ones(4)}
    meta = {"converged": True, "n_iter": 4, "climbing_index": 1, "meta": {"k": 1.0},
            "saddle": {"kind": "saddle", "index": 1, "eigenvalues": [-1.0, 2.0]}}
    p = paths.Path.load(_io.save_npz(tmp_path / "old", arrays, meta))
    assert (p.n_iter, p.climbing_index, p.reason, p.meta) == (4, 1, "converged", {"k": 1.0})
    assert p.saddle["index"] == 1


def test_dense_barrier_between_the_images():
    prob = double_well()
    # a band stopped early: its images miss the top of the straight segments
    p = paths.neb(prob, [-1, 0.5], [1, 0.5], n_images=4, climbing=False, max_iter=5,
                  progress=False)
    image_barrier = p.barrier
    assert image_barrier == paths.barrier_height(p)
    prof = p.profile(prob, points_per_segment=33)
    assert p.segment_profile is prof and prof.values.shape == (3 * 33,)
    # independent: scan.line along each segment
    top = max(fs.scan.line(prob, p.images[i], p.images[i + 1], 33).values.max()
              for i in range(3))
    assert prof.barrier == top - max(p.losses[0], p.losses[-1])
    assert p.barrier == prof.barrier >= image_barrier
    assert p.barrier > image_barrier + 1e-3       # the segments cross higher ground here
    assert paths.barrier_height(p) == image_barrier          # still the images' barrier
    np.testing.assert_array_equal(prof.values[::33], p.losses[:-1])
    np.testing.assert_array_equal(prof.segment, np.repeat([0, 1, 2], 33))
    s, v = paths.segment_profiles(prob, p, n=33)
    np.testing.assert_array_equal(s, prof.arc_length)
    np.testing.assert_array_equal(v, prof.values)
    with pytest.raises(ValueError, match="points_per_segment must be >= 2"):
        paths.path_profile(prob, p, points_per_segment=1)


def test_turning_angles_method_and_function_agree():
    p = paths.neb(ring(), [1, 0], [-1, 0], n_images=7, images=_arc_band(1.3, 7), max_iter=50,
                  progress=False)
    s, ang = p.turning_angles()
    s2, ang2 = paths.turning_angles(p)
    np.testing.assert_array_equal(s, s2)
    np.testing.assert_array_equal(ang, ang2)
    np.testing.assert_allclose(ang, 30.0, atol=15.0)       # seven images round a half circle


def test_trajectory_results_save_and_load(tmp_path):
    prob = double_well()
    traj = np.array([[-1, 0.5], [-0.5, 0.2], [0.0, 0.0], [0.6, 0.3], [1, 0.5]])
    summ = paths.summarize_trajectory(traj, traj[0], traj[-1])
    _equal_fields(paths.TrajectorySummary.load(summ.save(tmp_path / "s")), summ)
    tp = paths.trajectory_plane(prob, traj, traj[0], traj[-1], shape=(12, 10), margin=0.1)
    np.testing.assert_allclose(tp.surface.theta_at(tp.alpha[2], tp.beta[2]), traj[2],
                               atol=1e-12)
    assert tp.surface.shape == (12, 10) and tp.surface.x[0] == pytest.approx(-0.1)
    back = paths.TrajectoryPlane.load(tp.save(tmp_path / "tp"))
    _equal_fields(back, tp)
    c = paths.curve(prob, [-1, 0.5], [1, 0.5], steps=20, progress=False)
    _equal_fields(paths.Curve.load(c.save(tmp_path / "c")), c)
    with pytest.raises(TypeError, match="trajectory_plane"):
        fs.plot.trajectory_projection(prob, traj, traj[0], traj[-1])


def test_path_figures_import_nothing_outside_plot():
    root = Path(fs.__file__).resolve().parent / "plot"
    for name in ("paths.py", "training.py"):
        tree = ast.parse((root / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1 and not (node.module or "").startswith("fastsurf"), (
                    name, node.module)
            elif isinstance(node, ast.Import):
                assert all(not a.name.startswith("fastsurf") for a in node.names), name


def test_the_neb_docstring_example_runs():
    import doctest
    result = doctest.testmod(paths, verbose=False)
    assert result.failed == 0 and result.attempted >= 8

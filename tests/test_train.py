"""Trainers on a convex quadratic, on Horn's teacher problem, and one LM step by hand; the same
bits as the loops of d3d54ad; results that save and load; the module structure of training."""

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import line_search

import fastsurf as fs
from fastsurf import ensemble, minibatch, multistart, procedures, train, trainers

A = np.array([[3.0, 1.0], [1.0, 2.0], [0.0, 1.0]])
B = np.array([1.0, -2.0, 0.5])
X_STAR = np.linalg.lstsq(A, B, rcond=None)[0]


def quadratic():
    """Least squares |A x - b|^2: residuals b - A x, Jacobian -A, minimum at lstsq(A, b)."""
    return fs.FunctionProblem(lambda x: float(np.sum((B - A @ x) ** 2)),
                              grad=lambda x: -2 * A.T @ (B - A @ x),
                              hess=lambda x: 2 * A.T @ A, n_params=2,
                              residuals=lambda x: B - A @ x, jacobian=lambda x: -A)


@pytest.mark.parametrize("method,kw", [("lm", {}), ("bfgs", {}),
                                       ("gd", {"lr": 0.02, "max_iter": 5000}),
                                       ("adadelta", {"lr": 0.1, "max_iter": 20000,
                                                     "gtol": 1e-6})])
def test_convex_quadratic(method, kw):
    res = train.METHODS[method](quadratic(), [3.0, -3.0], **kw)
    assert res.converged, res.reason
    np.testing.assert_allclose(res.theta, X_STAR, atol=1e-5)
    assert res.trajectory.shape == (res.n_iter + 1, 2)
    assert np.all(np.diff(res.history) <= 1e-12) or method in ("gd", "adadelta")


@pytest.mark.parametrize("method", ["lm", "bfgs"])
def test_teacher_problem_from_near_the_optimum(method):
    model = fs.RecurrentNeuron("tansig")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=60, seed=2))
    res = train.METHODS[method](prob, [0.45, 0.58], gtol=1e-10)
    assert res.converged
    np.testing.assert_allclose(res.theta, [0.5, 0.5], atol=1e-7)


def test_one_lm_step_by_hand():
    # residuals e = (1 - x0, 4 - 2 x1): J = -diag(1, 2); at 0, e = (1, 4),
    # (J^T J + mu I) delta = -J^T e  ->  delta = (1 / 1.001, 8 / 4.001) with mu = 1e-3
    prob = fs.FunctionProblem(lambda x: (1 - x[0]) ** 2 + (4 - 2 * x[1]) ** 2, n_params=2,
                              residuals=lambda x: np.array([1 - x[0], 4 - 2 * x[1]]),
                              jacobian=lambda x: -np.diag([1.0, 2.0]))
    res = train.levenberg_marquardt(prob, [0.0, 0.0], max_iter=1)
    np.testing.assert_allclose(res.trajectory[1], [1 / 1.001, 8 / 4.001], rtol=1e-15)
    assert res.meta["mu"] == pytest.approx(1e-4)


def test_bfgs_records_line_profiles():
    res = train.bfgs(quadratic(), [3.0, -3.0], record_line_profiles=True, profile_points=11)
    profiles = res.meta["line_profiles"]
    assert len(profiles) == res.n_iter and all(len(p.values) == 11 for p in profiles)
    assert res.meta["failed_line_searches"] == []


def test_multistart_is_reproducible_and_labels_follow_their_definition():
    model = fs.RecurrentNeuron("purelin")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=40, seed=0))

    def init(rng):
        return rng.uniform([-2, -3], [2, 3])

    a = train.multistart(prob, 12, seed=4, init=init, theta_true=[0.5, 0.5], progress=False)
    b = train.multistart(prob, 12, seed=4, init=init, theta_true=[0.5, 0.5], progress=False)
    np.testing.assert_array_equal(a.thetas, b.thetas)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert "global" in a.labels
    for theta, label in zip(a.thetas, a.labels):
        near = np.linalg.norm(theta - [0.5, 0.5]) <= 1e-4 * np.linalg.norm([0.5, 0.5])
        expected = "global" if near else ("spurious valley" if abs(theta[1]) > 1 else "other")
        assert label == expected


def test_bad_input():
    prob = quadratic()
    with pytest.raises(ValueError, match="n must be >= 1"):
        train.multistart(prob, 0)
    with pytest.raises(ValueError, match="method must be one of"):
        train.multistart(prob, 2, method="newton")
    with pytest.raises(ValueError, match="theta0 must contain only finite"):
        train.levenberg_marquardt(prob, [np.nan, 0.0])
    with pytest.raises(ValueError, match="lr must be >"):
        train.gd(prob, [0.0, 0.0], lr=0.0)
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        train.multistart(prob, 2, client=object())


def test_segmented_builds_the_documented_batch():
    model = fs.RecurrentNeuron("tansig", feedback_delays=2)
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5, -0.2), T=23, seed=1))
    seg = train.segmented(prob, 5)
    d, s = prob.data, seg.data
    assert s.p.shape == (4, 5)                                  # 23 // 5 segments
    np.testing.assert_array_equal(s.p[2], d.p[0, 10:15])
    np.testing.assert_array_equal(s.a0[2], [d.t[0, 9], d.t[0, 8]])   # a(10), a(9)
    np.testing.assert_array_equal(s.a0[0], [0.0, 0.0])
    assert seg.loss([0.5, 0.5, -0.2]) == 0.0                    # the teacher still fits
    zero = train.segmented(prob, 5, initial="zero")
    np.testing.assert_array_equal(zero.data.a0[1:], 0.0)
    assert zero.loss([0.5, 0.5, -0.2]) > 0.0
    with pytest.raises(ValueError, match="length must be <="):
        train.segmented(prob, 50)


def test_curriculum_and_detector():
    model = fs.RecurrentNeuron("tansig")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=64, seed=3))
    res = train.curriculum(prob, [0.2, 0.9], gtol=1e-10)
    assert res.meta["lengths"] == [8, 16, 32, 64]
    np.testing.assert_allclose(res.theta, [0.5, 0.5], atol=1e-6)
    det = train.InstabilityDetector(jump=2.0, growth=10.0)
    seg = train.segmented(prob, 16)
    assert det.accept(seg, np.array([0.4, 0.4]), np.array([0.5, 0.5]))
    # a step into the unstable region makes the response grow: rejected
    lin = fs.RecurrentNeuron("purelin")
    lprob = fs.Problem(lin, fs.make_sequence_data(lin, (0.5, 0.5), T=64, seed=3))
    assert not det.accept(lprob, np.array([0.5, 0.5]), np.array([0.5, 1.3]))
    r = train.levenberg_marquardt(seg, [0.3, 0.2], detector=det)
    assert r.converged


def test_train_command_and_experiment_script(tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    from fastsurf.cli import main
    assert main(["train", "--starts", "6", "--T", "30", "--procedure", "segments"]) == 0
    out = capsys.readouterr().out
    counts = [int(line.split()[-2]) for line in out.splitlines()
              if line.strip().startswith(tuple(train.LABELS))]
    assert len(counts) == len(train.LABELS) and sum(counts) == 6
    assert main(["train", "--starts", "0"]) == 2
    path = Path(__file__).resolve().parent.parent / "scripts" / "horn2009_training.py"
    spec = importlib.util.spec_from_file_location("horn2009_training", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rows = script.run(starts_per_cell=3)
    assert len(rows) == 18 and all(r["global"] + r["spurious"] <= 3 for r in rows)
    lo, hi = script.wilson(5, 10)
    assert lo < 0.5 < hi
    script.trajectory_figure(tmp_path / "traj.png", runs=4)
    assert (tmp_path / "traj.png").stat().st_size > 5000


def test_bfgs_restarts_and_training_figures():
    # a gradient of the wrong sign makes every search direction uphill, so every line search
    # fails: BFGS resets to steepest descent and gives up after ``restarts`` failures
    prob = fs.FunctionProblem(lambda x: float(np.sum(x ** 2)), grad=lambda x: -2 * x,
                              n_params=2)
    res = train.bfgs(prob, [1.0, 0.0], restarts=2, record_line_profiles=True,
                     profile_points=5, profile_span=4.0)
    assert res.reason == "line search"
    assert res.meta["failed_line_searches"] == [0, 1, 2]
    assert len(res.meta["line_profiles"]) == 3
    fig = fs.plot.line_profiles(res)
    assert "failed" in fig.axes[0].get_title()
    model = fs.RecurrentNeuron("purelin")
    lp = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=30, seed=0))
    runs = [train.levenberg_marquardt(lp, th) for th in ([0.1, 0.2], [1.5, 1.2])]
    labels = [train.label_end_point(lp, r.theta, r.loss, theta_true=(0.5, 0.5))
              for r in runs]
    surf = fs.scan.grid(lp, [0.5, 0.5], ranges=((-2, 2), (-1.5, 1.5)), shape=(30, 30),
                        progress=False)
    fig = fs.plot.trajectories(surf, runs, labels, fs.valleys.predict(lp, ((-2, 2), (-1.5, 1.5))))
    assert len(fig.axes[0].lines) >= 6
    with pytest.raises(ValueError, match="record_line_profiles"):
        fs.plot.line_profiles(runs[0])


# --- same seed, same bits as before the split ------------------------------------------------
def _old_lm(problem, theta, max_iter=200, goal=0.0, gtol=1e-10, mu=1e-3, mu_dec=0.1,
            mu_inc=10.0, mu_max=1e10):
    """The loop of train.levenberg_marquardt at d3d54ad, written out: (trajectory, evals, mu)."""
    loss, traj, evals = problem.loss(theta), [theta], 1
    for _ in range(max_iter):
        if loss <= goal:
            break
        e, J = problem.residuals(theta), problem.jacobian(theta)
        g = J.T @ e
        if np.linalg.norm(2 * g * problem.loss_scale) <= gtol:
            break
        JTJ = J.T @ J
        while True:
            try:
                delta = np.linalg.solve(JTJ + mu * np.eye(theta.size), -g)
            except np.linalg.LinAlgError:
                delta = np.full(theta.size, np.nan)
            trial = theta + delta
            new = problem.loss(trial) if np.all(np.isfinite(trial)) else np.inf
            evals += 1
            if np.isfinite(new) and new < loss:
                theta, loss, mu = trial, new, mu * mu_dec
                break
            mu *= mu_inc
            if mu > mu_max:
                break
        if mu > mu_max:
            break
        traj.append(theta)
    return np.array(traj), evals, mu


def _old_bfgs(problem, theta, max_iter=500, gtol=1e-8):
    """The loop of train.bfgs at d3d54ad (no restarts, no profiles): (trajectory, evals)."""
    loss, g, H = problem.loss(theta), problem.gradient(theta), np.eye(theta.size)
    traj, evals = [theta], 1
    for _ in range(max_iter):
        if loss <= 0.0 or np.linalg.norm(g) <= gtol:
            break
        d = -H @ g
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The line search algorithm")
            res = line_search(problem.loss, problem.gradient, theta, d, gfk=g, old_fval=loss)
        evals += res[1]
        if res[0] is None:
            break
        s = res[0] * d
        g_new = problem.gradient(theta + s)
        y = g_new - g
        if float(s @ y) > 1e-300:
            rho = 1.0 / float(s @ y)
            V = np.eye(theta.size) - rho * np.outer(s, y)
            H = V @ H @ V.T + rho * np.outer(s, s)
        theta, g = theta + s, g_new
        loss = problem.loss(theta)
        evals += 1
        traj.append(theta)
    return np.array(traj), evals


def _bit_problems():
    neuron = fs.RecurrentNeuron("tansig", feedback_delays=2, bias=True)
    pn = fs.Problem(neuron, fs.make_sequence_data(neuron, (0.5, 0.5, -0.2, 0.1), T=30, seed=1))
    mlp = fs.MLP((1, 3, 1), activation="tanh")
    x = np.linspace(-1, 1, 12)
    pm = fs.Problem(mlp, fs.RegressionData(x, np.sin(2 * x)), loss="mse")
    ros = fs.FunctionProblem(lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
                             n_params=2, residuals=lambda x: np.array([1 - x[0],
                                                                       10 * (x[1] - x[0] ** 2)]),
                             jacobian=lambda x: np.array([[-1.0, 0.0], [-20 * x[0], 10.0]]))
    return {"quadratic": (quadratic(), np.array([3.0, -3.0])),
            "rosenbrock": (ros, np.array([-1.2, 1.0])),
            "neuron": (pn, np.array([0.1, 0.2, -0.1, 0.3])),
            "mlp": (pm, mlp.init(np.random.default_rng(0)))}


@pytest.mark.parametrize("name", ["quadratic", "rosenbrock", "neuron", "mlp"])
def test_lm_and_bfgs_are_the_bits_of_the_old_loops(name):
    # gd and adadelta: tests/test_optim.py against their old update formulas
    problem, theta0 = _bit_problems()[name]
    res = train.levenberg_marquardt(problem, theta0, max_iter=40)
    traj, evals, mu = _old_lm(problem, theta0, max_iter=40)
    np.testing.assert_array_equal(res.trajectory, traj)
    assert (res.n_evals, res.meta["mu"], res.n_iter) == (evals, mu, len(traj) - 1)
    res = train.bfgs(problem, theta0, max_iter=40)
    traj, evals = _old_bfgs(problem, theta0, max_iter=40)
    np.testing.assert_array_equal(res.trajectory, traj)
    assert res.n_evals == evals


@pytest.mark.parametrize("method,kw", [("lm", {"max_iter": 30}), ("bfgs", {"max_iter": 30}),
                                       ("gd", {"lr": 0.01, "max_iter": 50}),
                                       ("adadelta", {"max_iter": 50})])
def test_same_seed_same_bits_for_every_trainer(method, kw):
    # the starts of d3d54ad (one model.init(rng) per run then: U(-1, 1) for a neuron, passed
    # as init= since the neuron's default became Horn's box; He normal for an MLP), then one
    # trainer call per start
    for name in ("neuron", "mlp"):
        problem, _ = _bit_problems()[name]
        init = (lambda rng, P=problem.n_params: rng.uniform(-1.0, 1.0, P)) if (
            name == "neuron") else None
        rng = np.random.default_rng(7)
        starts = np.array([(init or problem.model.init)(rng) for _ in range(4)])
        res = train.multistart(problem, 4, method=method, seed=7, init=init, engine="python",
                               progress=False, **kw)
        np.testing.assert_array_equal(res.starts, starts)
        for r, start in enumerate(starts):
            one = train.TRAINERS[method](problem, start, **kw)
            np.testing.assert_array_equal(res.thetas[r], one.theta)
            assert (res.n_iter[r], res.reason[r], res.n_evals[r]) == (
                one.n_iter, one.reason, one.n_evals)


# --- results ---------------------------------------------------------------------------------
def test_train_result_saves_and_loads_every_field(tmp_path):
    res = train.bfgs(quadratic(), [3.0, -3.0], record_line_profiles=True, profile_points=7)
    assert res.n_iter == len(res.history) - 1 and "TrainResult(theta=<2 float64" in repr(res)
    back = train.TrainResult.load(res.save(tmp_path / "run"))
    for name in ("theta", "history", "trajectory"):
        np.testing.assert_array_equal(getattr(back, name), getattr(res, name))
    assert (back.loss, back.converged, back.reason, back.n_iter, back.n_evals) == (
        res.loss, res.converged, res.reason, res.n_iter, res.n_evals)
    assert back.meta["failed_line_searches"] == []
    profiles = back.meta["line_profiles"]
    assert len(profiles) == res.n_iter and isinstance(profiles[0], fs.scan.Profile)
    np.testing.assert_array_equal(profiles[-1].values, res.meta["line_profiles"][-1].values)
    with pytest.raises(ValueError, match="holds a fastsurf TrainResult"):
        train.MultistartResult.load(tmp_path / "run.npz")


def test_facade_names_the_objects_of_the_modules():
    assert train.METHODS is train.TRAINERS is trainers.TRAINERS
    assert list(train.TRAINERS) == ["lm", "bfgs", "gd", "adadelta"]
    for name in train.__all__:
        obj = getattr(train, name)
        homes = [m for m in (trainers, multistart, procedures, ensemble, minibatch)
                 if getattr(m, name, None) is obj]
        assert homes or name == "METHODS", name
    assert train.multistart is multistart.multistart and train.curriculum is procedures.curriculum


# --- module structure ------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent / "fastsurf"


def _fastsurf_imports(path: Path):
    """(module-level, function-level) fastsurf modules imported by a source file."""
    tree = ast.parse(path.read_text())
    package = ["fastsurf"] + list(path.relative_to(ROOT).parent.parts)

    def names(node):
        if isinstance(node, ast.Import):
            return [a.name for a in node.names if a.name.split(".")[0] == "fastsurf"]
        if node.level == 0:
            return [node.module] if node.module.split(".")[0] == "fastsurf" else []
        base = ".".join(package[:len(package) - node.level + 1])
        if node.module:
            return [f"{base}.{node.module}"]
        return [f"{base}.{a.name}" for a in node.names]

    top = {n for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
           for n in names(node)}
    inner = {n for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.ClassDef))
             for node in ast.walk(fn) if isinstance(node, (ast.Import, ast.ImportFrom))
             for n in names(node)}
    return top, inner


TRAINING = ("trainers", "multistart", "procedures", "optim", "train", "paths", "_cli_train")


def test_training_modules_import_one_way_and_at_module_level():
    imports = {m: _fastsurf_imports(ROOT / f"{m}.py") for m in TRAINING}
    for m, (_, inner) in imports.items():
        assert not inner, f"{m} imports {inner} inside a function"
    top = {m: v[0] for m, v in imports.items()}
    assert top["optim"] <= {"fastsurf._validation"}
    assert not top["trainers"] & {"fastsurf.multistart", "fastsurf.procedures"}
    assert "fastsurf.trainers" in top["multistart"] and "fastsurf.procedures" not in top[
        "multistart"]
    assert {"fastsurf.trainers", "fastsurf.problem"} <= top["procedures"]
    assert {"fastsurf.trainers", "fastsurf.multistart", "fastsurf.procedures"} <= top["train"]
    # nothing but the package itself imports the facade
    for path in ROOT.rglob("*.py"):
        if path.name != "__init__.py" or path.parent != ROOT:
            assert "fastsurf.train" not in set().union(*_fastsurf_imports(path)), path


# --- loss goals, divergence, argument checks --------------------------------------------------
def _camel():
    """Six-hump camel: minima -1.0316 at +-(0.0898, -0.7126), a negative loss surface."""
    def f(v):
        x, y = v
        return (4 - 2.1 * x ** 2 + x ** 4 / 3) * x ** 2 + x * y + (-4 + 4 * y ** 2) * y ** 2
    return fs.FunctionProblem(f, n_params=2)


@pytest.mark.parametrize("method,kw", [("gd", {}), ("adadelta", {"lr": 0.1, "max_iter": 5000}),
                                       ("bfgs", {})])
def test_first_order_trainers_have_no_loss_goal_by_default(method, kw):
    prob = _camel()
    start = [0.3, -0.5]
    assert prob.loss(start) < 0            # with goal 0 every trainer stopped here at once
    res = train.TRAINERS[method](prob, start, **kw)
    assert res.reason == "gradient" and res.n_iter > 5
    assert res.loss == pytest.approx(-1.0316284534898774, abs=1e-9)
    # a negative goal is a goal
    res = train.TRAINERS[method](prob, start, goal=-1.0, **kw)
    assert res.reason == "loss goal" and -1.0316285 < res.loss <= -1.0
    # LM keeps goal 0.0 (its losses are sums of squares); None means no goal
    lm = train.levenberg_marquardt(quadratic(), [3.0, -3.0], goal=None)
    assert lm.reason == "gradient"
    with pytest.raises(TypeError, match="goal must be a real number"):
        train.gd(prob, start, goal="0")


@pytest.mark.filterwarnings("ignore:overflow encountered")
@pytest.mark.parametrize("lr", [1.5, 1e308])
def test_divergence_ends_at_the_last_finite_point(lr):
    # x.x with lr 1.5 and no momentum: x <- -2 x, the loss grows by 4 each step until it
    # overflows; lr 1e308 jumps to an infinite theta at the first step
    prob = fs.FunctionProblem(lambda x: float(x @ x), grad=lambda x: 2 * x, n_params=2)
    res = train.gd(prob, [1.0, 1.0], lr=lr, momentum=0.0, max_iter=10_000)
    assert res.reason == "diverged" and not res.converged
    np.testing.assert_array_equal(res.theta, res.trajectory[-1])
    assert np.isfinite(res.loss) and res.loss == res.history[-1] == prob.loss(res.theta)
    assert res.trajectory.shape == (res.n_iter + 1, 2)
    if lr == 1.5:
        assert res.n_iter > 400 and res.n_evals == res.n_iter + 2   # the diverged trial too
    else:
        assert res.n_iter == 0 and res.n_evals == 1                 # theta = inf: no loss
        np.testing.assert_array_equal(res.theta, [1.0, 1.0])


def test_bfgs_refuses_negative_restarts():
    with pytest.raises(ValueError, match="restarts must be >= 0"):
        train.bfgs(quadratic(), [3.0, -3.0], restarts=-1)
    with pytest.raises(TypeError, match="restarts must be an integer"):
        train.bfgs(quadratic(), [3.0, -3.0], restarts=1.5)

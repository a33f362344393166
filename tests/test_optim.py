"""fastsurf.optim: every optimizer against its update formulas written out by hand, on a convex
quadratic, and the trainers and curves that use them against the loops they replaced (same
bits)."""

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import optim, paths, train

RNG = np.random.default_rng(0)
GRADS = RNG.standard_normal((25, 3)) * np.array([1.0, 1e-3, 30.0])
X0 = np.array([0.3, -1.2, 2.0])

Q = np.linalg.qr(np.random.default_rng(3).standard_normal((4, 4)))[0]
A_QUAD = Q @ np.diag([0.5, 1.0, 2.0, 4.0]) @ Q.T          # f = x^T A x / 2, minimum at 0


def _run(opt, x, grads):
    out = [x]
    for g in grads:
        x = opt.step(x, g)
        out.append(x)
    return np.array(out)


def test_gd_momentum_is_the_heavy_ball_formula():
    lr, mom = 0.05, 0.8
    x, v, ref = X0.copy(), np.zeros(3), [X0]
    for g in GRADS:
        v = mom * v - lr * g
        x = x + v
        ref.append(x)
    np.testing.assert_array_equal(_run(optim.GDMomentum(lr, mom), X0, GRADS), ref)


def test_adadelta_is_zeilers_algorithm():
    rho, eps, lr = 0.9, 1e-6, 0.5
    x, eg, ed, ref = X0.copy(), np.zeros(3), np.zeros(3), [X0]
    for g in GRADS:
        eg = rho * eg + (1 - rho) * g * g
        dx = -np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * dx * dx
        x = x + lr * dx
        ref.append(x)
    np.testing.assert_array_equal(_run(optim.Adadelta(rho, eps, lr), X0, GRADS), ref)


def test_adam_is_kingma_and_ba_with_bias_correction():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    x, m, v, ref = X0.copy(), np.zeros(3), np.zeros(3), [X0]
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + 0.1 * g                  # 1 - beta1, from the decimal 0.9
        v = b2 * v + 0.001 * g * g
        x = x - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        ref.append(x)
    np.testing.assert_array_equal(_run(optim.Adam(lr, b1, b2, eps), X0, GRADS), ref)
    # the first step of Adam has length lr in every coordinate (m_hat / sqrt(v_hat) = sign g)
    first = optim.Adam(lr=0.1, eps=1e-300).step(np.zeros(3), GRADS[0])
    np.testing.assert_allclose(first, -0.1 * np.sign(GRADS[0]), rtol=1e-12)
    # other betas: 1 - beta taken exactly from the decimal value
    opt = optim.Adam(beta1=0.75, beta2=0.99)
    assert (opt._c1, opt._c2) == (0.25, 0.01)


@pytest.mark.parametrize("make,steps,tol", [
    (lambda: optim.GDMomentum(lr=0.1, momentum=0.5), 300, 1e-10),
    (lambda: optim.Adadelta(lr=0.1), 20_000, 1e-4),
    (lambda: optim.Adam(lr=0.05), 3000, 1e-6),
    (lambda: optim.FIRE(), 500, 1e-10),
    (lambda: optim.LBFGS(memory=10, max_step=10.0, alpha=8.0), 15, 1e-10),
])
def test_every_optimizer_minimises_a_convex_quadratic(make, steps, tol):
    opt = make()
    x = np.array([1.0, -2.0, 0.5, 3.0])
    for _ in range(steps):
        grad = A_QUAD @ x
        x = opt.step(x, grad if opt.takes == "gradient" else -grad)
    np.testing.assert_allclose(x, 0.0, atol=tol)


@pytest.mark.parametrize("make", [lambda: optim.GDMomentum(0.1), lambda: optim.Adadelta(),
                                  lambda: optim.Adam(0.1), lambda: optim.FIRE(),
                                  lambda: optim.LBFGS()])
def test_sign_conventions_and_reset(make):
    opt = make()
    g = np.array([1.0, -2.0])
    # a first step goes against a gradient, along a force
    step = opt.step(np.zeros(2), g if opt.takes == "gradient" else -g)
    assert opt.takes in ("gradient", "force") and float(step @ g) < 0
    x = np.array([0.5, 0.5])
    fresh = make()
    a = [opt.step(x, gi) for gi in GRADS[:5, :2]]
    opt.reset()
    if isinstance(opt, optim.FIRE):      # FIRE's reset keeps the time step (documented)
        fresh.dt, fresh.alpha, fresh.n_pos = opt.dt, opt.alpha, opt.n_pos
    if isinstance(opt, optim.LBFGS):     # and L-BFGS's its trust radius
        fresh.trust = opt.trust
    b = [fresh.step(x, gi) for gi in GRADS[:5, :2]]
    c = [opt.step(x, gi) for gi in GRADS[:5, :2]]
    np.testing.assert_array_equal(b, c)
    assert len(a) == 5


def test_bad_options():
    with pytest.raises(ValueError, match="lr must be >"):
        optim.GDMomentum(lr=0.0)
    with pytest.raises(ValueError, match="momentum must be <= 1"):
        optim.GDMomentum(momentum=1.5)
    with pytest.raises(ValueError, match="eps must be >"):
        optim.Adadelta(eps=0.0)
    with pytest.raises(ValueError, match="beta1 must be < 1"):
        optim.Adam(beta1=1.0)
    with pytest.raises(ValueError, match="beta2 must be >= 0"):
        optim.Adam(beta2=-0.1)
    with pytest.raises(ValueError, match="memory must be >= 1"):
        optim.LBFGS(memory=0)


def test_lbfgs_is_exact_on_a_quadratic_and_undoes_bad_steps():
    # force -A x of a quadratic: with exact curvature pairs the two-loop recursion reproduces
    # A^-1 on the span of the steps, and a dozen steps reach the minimum to rounding
    rng = np.random.default_rng(3)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    A = Q @ np.diag([0.5, 1.0, 2.0, 4.0]) @ Q.T
    opt = optim.LBFGS(memory=10, max_step=10.0, alpha=8.0)
    x = rng.standard_normal(4)
    for _ in range(12):
        x = opt.step(x, -A @ x)
    np.testing.assert_allclose(x, 0.0, atol=1e-10)
    # a step after which the force is more than `grow` times larger is undone
    opt = optim.LBFGS(max_step=1.0, alpha=2.0, grow=10.0)
    x0, f0 = np.zeros(2), np.array([1.0, 0.0])
    x1 = opt.step(x0, f0)
    np.testing.assert_allclose(x1, [0.5, 0.0])
    np.testing.assert_array_equal(opt.step(x1, np.array([-20.0, 0.0])), x0)
    assert opt.trust == pytest.approx(0.25) and opt.s == []


def test_fire_moves_at_most_max_step_even_under_huge_forces():
    """The step back after an uphill move is half the move made, not half of dt * v (the
    velocity is uncapped and grows with the force)."""
    opt = optim.FIRE(max_step=0.2)
    x = np.zeros(3)
    for force in [np.full(3, 1e300)] * 8 + [np.full(3, -1e300)] * 3 + [np.full(3, 1e-3)] * 3:
        new = opt.step(x, force)
        assert np.all(np.isfinite(new))
        assert np.linalg.norm(new - x) <= 1.5 * 0.2 + 1e-12
        x = new


def test_fire_follows_bitzek_et_al():
    # constant force: the first step (no velocity yet, F.v = 0) halves dt; then the velocity
    # stays along F, and after n_min steps with F.v > 0 dt grows by f_inc
    opt = optim.FIRE(dt=0.1, dt_max=1.0, max_step=1e9, n_min=2, f_inc=1.5, f_dec=0.5)
    x, f = np.zeros(1), np.ones(1)
    v = 0.0
    for k in range(6):
        x_new = opt.step(x, f)
        dt = 0.05 * 1.5 ** max(0, k - 2)
        v = v + dt * 1.0                      # mixing with F/|F| |v| keeps v along F in 1-D
        np.testing.assert_allclose(x_new - x, dt * v, rtol=1e-12)
        x = x_new
    # an uphill move: half of the last move back, velocity zeroed, dt halved
    last = opt.last_dx.copy()
    dt0 = opt.dt
    out = opt.step(x, -f)
    np.testing.assert_allclose(out, x - 0.5 * last + (0.5 * dt0) ** 2 * -f, rtol=1e-12)


# --- trainers and curves: the bits of the loops the optimizers replaced ------------------------
def _problems():
    A = np.array([[3.0, 1.0], [1.0, 2.0], [0.0, 1.0]])
    B = np.array([1.0, -2.0, 0.5])
    quad = fs.FunctionProblem(lambda x: float(np.sum((B - A @ x) ** 2)),
                              grad=lambda x: -2 * A.T @ (B - A @ x), n_params=2)
    neuron = fs.RecurrentNeuron("tansig")
    pn = fs.Problem(neuron, fs.make_sequence_data(neuron, (0.5, 0.5), T=40, seed=2))
    mlp = fs.MLP((1, 3, 1), activation="tanh")
    x = np.linspace(-1, 1, 12)
    pm = fs.Problem(mlp, fs.RegressionData(x, np.sin(2 * x)))
    return [(quad, np.array([3.0, -3.0])), (pn, np.array([0.2, 0.9])),
            (pm, mlp.init(np.random.default_rng(0)))]


def _old_first_order(problem, theta, max_iter, gtol, update):
    """The loop of train._first_order at d3d54ad, with its update closure."""
    traj = [theta]
    for _ in range(max_iter):
        g = problem.gradient(theta)
        if np.linalg.norm(g) <= gtol:
            break
        theta = theta + update(g)
        if not np.isfinite(problem.loss(theta)):
            break
        traj.append(theta)
    return np.array(traj)


@pytest.mark.parametrize("case", range(3))
def test_gd_and_adadelta_trajectories_are_those_of_the_old_formulas(case):
    problem, theta0 = _problems()[case]
    lr, mom = 0.002, 0.9
    v = np.zeros(theta0.size)

    def gd_update(g):
        nonlocal v
        v = mom * v - lr * g
        return v

    res = train.gd(problem, theta0, lr=lr, momentum=mom, max_iter=300)
    np.testing.assert_array_equal(res.trajectory,
                                  _old_first_order(problem, theta0, 300, 1e-8, gd_update))
    rho, eps, alr = 0.95, 1e-7, 0.5
    eg = np.zeros(theta0.size)
    ed = np.zeros(theta0.size)

    def adadelta_update(g):
        nonlocal eg, ed
        eg = rho * eg + (1 - rho) * g * g
        delta = -np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * delta * delta
        return alr * delta

    res = train.adadelta(problem, theta0, lr=alr, max_iter=300)
    np.testing.assert_array_equal(res.trajectory,
                                  _old_first_order(problem, theta0, 300, 1e-8, adadelta_update))
    assert res.n_evals == len(res.history) and res.n_iter == len(res.history) - 1


@pytest.mark.parametrize("kind", ["bezier", "polychain"])
def test_curve_training_is_the_old_inline_adam(kind):
    problem, theta0 = _problems()[2]
    a, b = theta0, theta0[::-1].copy()
    steps, batch, lr = 40, 4, 0.02
    rng = np.random.default_rng(5)
    c = 0.5 * (a + b)
    m = np.zeros(a.size)
    v = np.zeros(a.size)
    history = []
    for step in range(1, steps + 1):
        t = rng.uniform(0, 1, batch)[:, None]
        if kind == "bezier":
            pts = (1 - t) ** 2 * a + 2 * t * (1 - t) * c + t ** 2 * b
            w = (2 * t * (1 - t))[:, 0]
        else:
            pts = np.where(t < 0.5, a + 2 * t * (c - a), c + (2 * t - 1) * (b - c))
            w = np.where(t < 0.5, 2 * t, 2 * (1 - t))[:, 0]
        grad = np.mean([wi * problem.gradient(p) for wi, p in zip(w, pts)], axis=0)
        history.append(float(np.mean(problem.losses(pts))))
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        c = c - lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-12)
    res = paths.curve(problem, a, b, kind=kind, steps=steps, batch=batch, lr=lr, seed=5,
                      progress=False)
    np.testing.assert_array_equal(res.control, c)
    np.testing.assert_array_equal(res.history, history)
    assert res.n_iter == steps and res.n_evals == steps * batch + 61
    assert not res.converged and res.reason == "max_iter"

"""Single training runs: Levenberg–Marquardt, BFGS, gradient descent with momentum and
Adadelta, each returning a :class:`TrainResult`.

Every trainer takes an objective (a :class:`~fastsurf.problem.Problem`, a
:class:`~fastsurf.problem.FunctionProblem`, or anything with ``loss``, ``gradient`` and, for LM,
``residuals``/``jacobian``) and a start. The first-order trainers step with the optimizers of
:mod:`fastsurf.optim`. :data:`TRAINERS` names them for :mod:`fastsurf.multistart` and
:mod:`fastsurf.procedures`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import line_search

from ._results import Result
from ._validation import as_theta, check_int, check_real
from .optim import Adadelta, GDMomentum
from .scan import line

__all__ = ["LM_OPTIONS", "TRAINERS", "InstabilityDetector", "TrainResult", "adadelta", "bfgs",
           "check_lm_options", "gd", "levenberg_marquardt"]

#: Reasons for which a run counts as converged.
CONVERGED_REASONS = ("loss goal", "gradient")


class InstabilityDetector:
    """Rejects a step when any one sequence's SSE grows by more than the factor ``jump`` or the
    largest |output| exceeds ``growth`` times the largest |target| (the response blows up).

    Works on problems whose residuals come sequence by sequence (``problem.data`` with
    ``n_seq`` and ``T``)."""

    def __init__(self, jump: float = 2.0, growth: float = 10.0):
        self.jump = check_real("jump", jump, minimum=1.0)
        self.growth = check_real("growth", growth, minimum=1.0)

    def accept(self, problem, theta_old, theta_new) -> bool:
        d = problem.data
        e_old = problem.residuals(theta_old).reshape(d.n_seq, d.T)
        e_new = problem.residuals(theta_new).reshape(d.n_seq, d.T)
        per_old = np.sum(e_old ** 2, axis=1)
        per_new = np.sum(e_new ** 2, axis=1)
        if np.any(per_new > self.jump * np.maximum(per_old, 1e-300)):
            return False
        outputs = d.t - e_new
        return bool(np.max(np.abs(outputs)) <= self.growth * max(np.max(np.abs(d.t)), 1e-300))


@dataclass(repr=False)
class TrainResult(Result):
    """Outcome of one training run.

    Attributes
    ----------
    theta : ndarray
        Final parameters.
    loss : float
    history : ndarray
        Loss after every iteration (``history[0]`` at the start).
    trajectory : ndarray (n_iter + 1, P)
        Parameters after every iteration.
    converged : bool
        True when the loss goal or the gradient tolerance was reached.
    reason : str
        Why training stopped: "loss goal", "gradient", "max_iter", "mu_max", "line search",
        "diverged".
    n_evals : int
        Loss evaluations.
    meta : dict
        Method-specific records (e.g. line profiles of BFGS).
    n_iter : int
        Accepted iterations, ``len(history) - 1`` (filled in when not given).
    """

    theta: np.ndarray
    loss: float
    history: np.ndarray
    trajectory: np.ndarray
    converged: bool
    reason: str
    n_evals: int
    meta: dict = field(default_factory=dict)
    n_iter: int | None = None

    _repr_skip = ("meta",)

    def __post_init__(self):
        if self.n_iter is None:
            self.n_iter = len(self.history) - 1


def _result(theta, loss, history, trajectory, reason, n_evals, meta=None) -> TrainResult:
    return TrainResult(theta=theta, loss=float(loss), history=np.array(history),
                       trajectory=np.array(trajectory), converged=reason in CONVERGED_REASONS,
                       reason=reason, n_evals=n_evals, meta={} if meta is None else meta,
                       n_iter=len(history) - 1)


def _start(problem, theta0):
    theta = as_theta("theta0", theta0, problem.n_params)
    loss = problem.loss(theta)
    if not np.isfinite(loss):
        raise ValueError("theta0 gives a non-finite loss; start from a stable point")
    return theta, loss


def check_goal(goal: float | None) -> float:
    """The loss ``goal`` as a float: None (no goal) is -inf, which no finite loss reaches; any
    finite real is allowed (a loss can be negative on a general surface)."""
    return -np.inf if goal is None else check_real("goal", goal)


def _common(max_iter, goal, gtol):
    return (check_int("max_iter", max_iter, minimum=1), check_goal(goal),
            check_real("gtol", gtol, minimum=0.0))


#: The numeric options of :func:`levenberg_marquardt`, in the order the parallel kernels
#: (``problem.kernel_runs("lm", ...)``) take them.
LM_OPTIONS = ("max_iter", "goal", "gtol", "mu", "mu_dec", "mu_inc", "mu_max")


def _lm_checks(max_iter, goal, gtol, mu, mu_dec, mu_inc, mu_max):
    mu_max = check_real("mu_max", mu_max, minimum=0.0, strict_min=True)
    return (*_common(max_iter, goal, gtol),
            check_real("mu", mu, minimum=0.0, maximum=mu_max, strict_min=True),
            check_real("mu_dec", mu_dec, minimum=0.0, maximum=1.0, strict_min=True),
            check_real("mu_inc", mu_inc, minimum=1.0, strict_min=True), mu_max)


def check_lm_options(options: dict) -> dict:
    """The :data:`LM_OPTIONS` of ``options`` checked as :func:`levenberg_marquardt` checks
    them (ValueError/TypeError naming the option), as a dict in kernel order."""
    return dict(zip(LM_OPTIONS, _lm_checks(*(options[k] for k in LM_OPTIONS))))


def levenberg_marquardt(problem, theta0, max_iter: int = 200, goal: float | None = 0.0,
                        gtol: float = 1e-10, mu: float = 1e-3, mu_dec: float = 0.1,
                        mu_inc: float = 10.0, mu_max: float = 1e10,
                        detector: InstabilityDetector | None = None) -> TrainResult:
    """Levenberg–Marquardt with the mu schedule of Hagan & Menhaj (1994, "Training feedforward
    networks with the Marquardt algorithm", IEEE Trans. Neural Netw. 5(6), 989–993).

    Each iteration solves (J^T J + mu I) delta = -J^T e for the residuals e and Jacobian J;
    a step that lowers the loss is taken and mu is multiplied by ``mu_dec``, otherwise mu is
    multiplied by ``mu_inc`` and the step is tried again. A ``detector`` can reject a step that
    lowers the total loss (it then counts as a failure); so is a step with a non-finite trial
    loss (overflow) or from an exactly singular system.

    Parameters
    ----------
    problem : Problem or FunctionProblem
        Needs ``loss``, ``residuals`` and ``jacobian``.
    theta0 : array_like, shape (P,)
        Start; its loss must be finite.
    max_iter : int
        Most iterations (>= 1).
    goal : float or None
        Stop when the loss is <= ``goal`` (default 0.0: LM's losses are sums of squares, >= 0,
        so this stops only at an exact fit). None: no loss goal.
    gtol : float
        Stop when |grad| <= ``gtol``.
    mu, mu_dec, mu_inc, mu_max : float
        The damping schedule: 0 < ``mu`` <= ``mu_max``, 0 < ``mu_dec`` <= 1 < ``mu_inc``; stops
        with reason "mu_max" when mu exceeds ``mu_max``.
    detector : InstabilityDetector, optional
        Rejects steps it does not accept.

    Returns
    -------
    TrainResult
        ``reason`` one of "loss goal", "gradient", "max_iter", "mu_max".
    """
    max_iter, goal, gtol, mu, mu_dec, mu_inc, mu_max = _lm_checks(
        max_iter, goal, gtol, mu, mu_dec, mu_inc, mu_max)
    theta, loss = _start(problem, theta0)
    history, traj, evals = [loss], [theta.copy()], 1
    reason = "max_iter"
    eye = np.eye(problem.n_params)
    for _ in range(max_iter):
        if loss <= goal:
            reason = "loss goal"
            break
        e = problem.residuals(theta)
        J = problem.jacobian(theta)
        g = J.T @ e
        if np.linalg.norm(2 * g * getattr(problem, "loss_scale", 1.0)) <= gtol:
            reason = "gradient"
            break
        JTJ = J.T @ J
        while True:
            try:
                delta = np.linalg.solve(JTJ + mu * eye, -g)
            except np.linalg.LinAlgError:      # exactly singular: a rejected step
                delta = np.full(problem.n_params, np.nan)
            trial = theta + delta
            new = problem.loss(trial) if np.all(np.isfinite(trial)) else np.inf
            evals += 1
            if np.isfinite(new) and new < loss and (
                    detector is None or detector.accept(problem, theta, trial)):
                theta, loss = trial, new
                mu *= mu_dec
                break
            mu *= mu_inc
            if mu > mu_max:
                break
        if mu > mu_max:
            reason = "mu_max"
            break
        history.append(loss)
        traj.append(theta.copy())
    else:
        reason = "loss goal" if loss <= goal else "max_iter"
    return _result(theta, loss, history, traj, reason, evals, {"mu": mu})


def bfgs(problem, theta0, max_iter: int = 500, goal: float | None = None, gtol: float = 1e-8,
         record_line_profiles: bool = False, profile_points: int = 201,
         profile_span: float = 2.0, restarts: int = 0) -> TrainResult:
    """BFGS (Nocedal & Wright 2006, Algorithm 6.1) with a strong-Wolfe line search
    (``scipy.optimize.line_search``).

    After a failed line search the inverse-Hessian estimate is reset to the identity (steepest
    descent) up to ``restarts`` times; then training stops with reason "line search". Failed
    searches are the symptom of the Prelude of Horn et al. 2009, §II: line profiles full of
    narrow cusped valleys.

    Parameters
    ----------
    problem : Problem or FunctionProblem
        Needs ``loss`` and ``gradient``.
    theta0 : array_like, shape (P,)
        Start; its loss must be finite.
    max_iter : int
        Most iterations (>= 1).
    goal : float or None
        Stop when the loss is <= ``goal``; None (default): no loss goal, so a surface whose
        minimum is negative trains on.
    gtol : float
        Stop when |grad| <= ``gtol``.
    record_line_profiles : bool
        Scan the loss along every search direction, theta + alpha d for alpha in
        [0, profile_span * alpha_taken] (or [0, profile_span / 2] after a failure), with
        :func:`fastsurf.scan.line`, into ``meta["line_profiles"]``.
    profile_points : int
        Points of each profile.
    profile_span : float
        Extent of each profile in units of the step taken.
    restarts : int
        Steepest-descent restarts after failed line searches (>= 0).

    Returns
    -------
    TrainResult
        ``reason`` one of "loss goal", "gradient", "max_iter", "line search";
        ``meta["failed_line_searches"]`` lists the iterations whose search failed.
    """
    max_iter, goal, gtol = _common(max_iter, goal, gtol)
    restarts = check_int("restarts", restarts, minimum=0)
    theta, loss = _start(problem, theta0)
    g = problem.gradient(theta)
    Hinv = np.eye(problem.n_params)
    history, traj, evals = [loss], [theta.copy()], 1
    profiles, failed = [], []
    reason = "max_iter"
    for it in range(max_iter):
        if loss <= goal:
            reason = "loss goal"
            break
        if np.linalg.norm(g) <= gtol:
            reason = "gradient"
            break
        d = -Hinv @ g
        with warnings.catch_warnings():
            # a failed search is recorded in meta["failed_line_searches"] instead
            warnings.filterwarnings("ignore", message="The line search algorithm")
            res = line_search(problem.loss, problem.gradient, theta, d, gfk=g, old_fval=loss)
        alpha = res[0]
        evals += res[1]
        if record_line_profiles:
            top = profile_span * alpha if alpha else profile_span / 2
            profiles.append(line(problem, theta, theta + top * d, profile_points))
        if alpha is None:
            failed.append(it)
            if len(failed) > restarts:
                reason = "line search"
                break
            Hinv = np.eye(problem.n_params)
            continue
        s = alpha * d
        theta_new = theta + s
        g_new = problem.gradient(theta_new)
        y = g_new - g
        sy = float(s @ y)
        if sy > 1e-300:
            rho = 1.0 / sy
            V = np.eye(problem.n_params) - rho * np.outer(s, y)
            Hinv = V @ Hinv @ V.T + rho * np.outer(s, s)
        theta, g = theta_new, g_new
        loss = problem.loss(theta)
        evals += 1
        history.append(loss)
        traj.append(theta.copy())
    meta = {"failed_line_searches": failed}
    if record_line_profiles:
        meta["line_profiles"] = profiles
    return _result(theta, loss, history, traj, reason, evals, meta)


def _first_order(problem, theta0, max_iter, goal, gtol, optimizer) -> TrainResult:
    """Steps of a gradient optimizer of :mod:`fastsurf.optim` until the loss goal, the
    gradient tolerance, ``max_iter`` steps or a step to a non-finite θ or loss ("diverged":
    the run then ends at the last finite θ, with its loss, which is ``trajectory[-1]``)."""
    max_iter, goal, gtol = _common(max_iter, goal, gtol)
    theta, loss = _start(problem, theta0)
    history, traj, evals = [loss], [theta.copy()], 1
    reason = "max_iter"
    for _ in range(max_iter):
        if loss <= goal:
            reason = "loss goal"
            break
        g = problem.gradient(theta)
        with np.errstate(over="ignore"):        # a huge gradient is a step to divergence
            gnorm = np.linalg.norm(g)
        if gnorm <= gtol:
            reason = "gradient"
            break
        with np.errstate(over="ignore", invalid="ignore"):
            trial = optimizer.step(theta, g)
        new = np.inf
        if np.all(np.isfinite(trial)):
            new = problem.loss(trial)
            evals += 1
        if not np.isfinite(new):
            reason = "diverged"
            break
        theta, loss = trial, new
        history.append(loss)
        traj.append(theta.copy())
    return _result(theta, loss, history, traj, reason, evals)


def gd(problem, theta0, lr: float = 0.01, momentum: float = 0.9, max_iter: int = 1000,
       goal: float | None = None, gtol: float = 1e-8) -> TrainResult:
    """Gradient descent with heavy-ball momentum (:class:`fastsurf.optim.GDMomentum`):
    v = momentum v - lr grad; theta += v.

    Parameters
    ----------
    problem : Problem or FunctionProblem
        Needs ``loss`` and ``gradient``.
    theta0 : array_like, shape (P,)
        Start; its loss must be finite.
    lr : float
        Learning rate (> 0).
    momentum : float
        Momentum in [0, 1] (0: plain gradient descent).
    max_iter : int
        Most steps (>= 1).
    goal : float or None
        Stop when the loss is <= ``goal``; None (default): no loss goal.
    gtol : float
        Stop when |grad| <= ``gtol``.
    Returns
    -------
    TrainResult
        ``reason`` one of "loss goal", "gradient", "max_iter", "diverged" (a step reached a
        non-finite θ or loss: ``theta``, ``loss`` and ``trajectory[-1]`` are then the last
        finite point).
    """
    return _first_order(problem, theta0, max_iter, goal, gtol, GDMomentum(lr, momentum))


def adadelta(problem, theta0, rho: float = 0.95, eps: float = 1e-7, lr: float = 1.0,
             max_iter: int = 1000, goal: float | None = None,
             gtol: float = 1e-8) -> TrainResult:
    """Adadelta (Zeiler 2012, Algorithm 1; :class:`fastsurf.optim.Adadelta`): running averages
    of g^2 and of the squared updates, delta = -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) g,
    scaled by ``lr``.

    Zeiler's method has no learning rate (lr = 1, the default; his MNIST runs used rho = 0.95,
    eps = 1e-6). With lr = 1 it hovers around a minimum rather than converging (the step ratio
    does not vanish); lr < 1 lets it converge (lr = 0.1: to 1e-7 on a convex quadratic in about
    10^4 iterations, tested).

    Parameters
    ----------
    problem : Problem or FunctionProblem
        Needs ``loss`` and ``gradient``.
    theta0 : array_like, shape (P,)
        Start; its loss must be finite.
    rho : float
        Decay of the running averages.
    eps : float
        Conditioning constant.
    lr : float
        Scale of the update (> 0).
    max_iter : int
        Most steps (>= 1).
    goal : float or None
        Stop when the loss is <= ``goal``; None (default): no loss goal.
    gtol : float
        Stop when |grad| <= ``gtol``.
    Returns
    -------
    TrainResult
        ``reason`` one of "loss goal", "gradient", "max_iter", "diverged" (a step reached a
        non-finite θ or loss: ``theta``, ``loss`` and ``trajectory[-1]`` are then the last
        finite point).
    """
    return _first_order(problem, theta0, max_iter, goal, gtol, Adadelta(rho, eps, lr))


#: Single-run trainers by name (the ``method=`` of :func:`fastsurf.multistart.multistart` and
#: :func:`fastsurf.procedures.curriculum`).
TRAINERS = {"lm": levenberg_marquardt, "bfgs": bfgs, "gd": gd, "adadelta": adadelta}

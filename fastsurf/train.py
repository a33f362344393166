"""Training on error surfaces: Levenberg–Marquardt, BFGS, gradient descent with momentum,
Adadelta, and many independent starts (DESIGN §7).

Every trainer takes a Problem (or anything with ``loss``, ``gradient`` and, for LM,
``residuals``/``jacobian``) and returns a :class:`TrainResult`.

Valley-avoiding procedures (a reconstruction: Horn et al.'s Sections VI–VII are lost; their
analysis names the causes, zero initial conditions and the particular input sequence):
(a)+(b) :func:`segmented` — cut the sequence into segments whose initial outputs are the
preceding targets (or zero); (c) :func:`curriculum` — train on growing prefixes; (d)
``detector=`` of :func:`levenberg_marquardt` — reject a step (raising mu) when one sequence's
error jumps or the response grows. ``scripts/horn2009_training.py`` measures which help.
Many starts: :func:`multistart` runs LM on a Problem over a RecurrentNeuron in a parallel
Numba kernel (:mod:`fastsurf.kernels.lm`: lanes of runs advance together in SIMD), other
problems and methods with one trainer call per start; ``client=`` runs batches of starts on a
Dask cluster with the same bits as a local run.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._progress import progress_bar
from ._validation import as_rng, as_theta, as_theta_batch, check_choice, check_int, check_real


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


@dataclass
class TrainResult:
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
        Why training stopped: "loss goal", "gradient", "max_iter", "mu_max", "line search".
    n_evals : int
        Loss evaluations.
    meta : dict
        Method-specific records (e.g. line profiles of BFGS).
    """

    theta: np.ndarray
    loss: float
    history: np.ndarray
    trajectory: np.ndarray
    converged: bool
    reason: str
    n_evals: int
    meta: dict = field(default_factory=dict)

    @property
    def n_iter(self) -> int:
        return len(self.history) - 1


def _start(problem, theta0):
    theta = as_theta("theta0", theta0, problem.n_params)
    loss = problem.loss(theta)
    if not np.isfinite(loss):
        raise ValueError("theta0 gives a non-finite loss; start from a stable point")
    return theta, loss


def _common(max_iter, goal, gtol):
    return (check_int("max_iter", max_iter, minimum=1), check_real("goal", goal, minimum=0.0),
            check_real("gtol", gtol, minimum=0.0))


def _lm_checks(max_iter, goal, gtol, mu, mu_dec, mu_inc, mu_max):
    mu_max = check_real("mu_max", mu_max, minimum=0.0, strict_min=True)
    return (*_common(max_iter, goal, gtol),
            check_real("mu", mu, minimum=0.0, maximum=mu_max, strict_min=True),
            check_real("mu_dec", mu_dec, minimum=0.0, maximum=1.0, strict_min=True),
            check_real("mu_inc", mu_inc, minimum=1.0, strict_min=True), mu_max)


def levenberg_marquardt(problem, theta0, max_iter: int = 200, goal: float = 0.0,
                        gtol: float = 1e-10, mu: float = 1e-3, mu_dec: float = 0.1,
                        mu_inc: float = 10.0, mu_max: float = 1e10,
                        detector: InstabilityDetector | None = None) -> TrainResult:
    """Levenberg–Marquardt with Hagan & Menhaj's schedule (DESIGN §7).

    Each iteration solves (J^T J + mu I) delta = -J^T e for the residuals e and Jacobian J;
    a step that lowers the loss is taken and mu is multiplied by ``mu_dec``, otherwise mu is
    multiplied by ``mu_inc`` and the step is tried again. Stops at the loss ``goal``, when
    |grad| <= ``gtol``, after ``max_iter`` iterations, or when mu exceeds ``mu_max``. A
    ``detector`` can reject a step that lowers the total loss (it then counts as a failure);
    so is a step with a non-finite trial loss (overflow) or from an exactly singular system.
    Requires 0 < ``mu_dec`` <= 1 < ``mu_inc`` and 0 < ``mu`` <= ``mu_max``.
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
    return TrainResult(theta=theta, loss=float(loss), history=np.array(history),
                       trajectory=np.array(traj), converged=reason in ("loss goal", "gradient"),
                       reason=reason, n_evals=evals, meta={"mu": mu})


def bfgs(problem, theta0, max_iter: int = 500, goal: float = 0.0, gtol: float = 1e-8,
         record_line_profiles: bool = False, profile_points: int = 201,
         profile_span: float = 2.0, restarts: int = 0) -> TrainResult:
    """BFGS with a strong-Wolfe line search (``scipy.optimize.line_search``).

    With ``record_line_profiles`` the loss along every search direction,
    theta + alpha d for alpha in [0, profile_span * alpha_taken] (or [0, profile_span / 2]
    after a failure), is scanned
    with :func:`fastsurf.scan.line` and kept in ``meta["line_profiles"]``; iterations whose
    line search failed are listed in ``meta["failed_line_searches"]`` (the Prelude's symptom
    of Horn et al.: profiles full of narrow cusped valleys). After a failed line search the
    inverse-Hessian estimate is reset to the identity (steepest descent) up to ``restarts``
    times; then training stops with reason "line search".
    """
    from scipy.optimize import line_search

    from .scan import line
    max_iter, goal, gtol = _common(max_iter, goal, gtol)
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
    return TrainResult(theta=theta, loss=float(loss), history=np.array(history),
                       trajectory=np.array(traj), converged=reason in ("loss goal", "gradient"),
                       reason=reason, n_evals=evals, meta=meta)


def _first_order(problem, theta0, max_iter, goal, gtol, update) -> TrainResult:
    max_iter, goal, gtol = _common(max_iter, goal, gtol)
    theta, loss = _start(problem, theta0)
    history, traj = [loss], [theta.copy()]
    reason = "max_iter"
    for _ in range(max_iter):
        if loss <= goal:
            reason = "loss goal"
            break
        g = problem.gradient(theta)
        if np.linalg.norm(g) <= gtol:
            reason = "gradient"
            break
        theta = theta + update(g)
        loss = problem.loss(theta)
        if not np.isfinite(loss):
            reason = "diverged"
            break
        history.append(loss)
        traj.append(theta.copy())
    return TrainResult(theta=theta, loss=float(loss), history=np.array(history),
                       trajectory=np.array(traj), converged=reason in ("loss goal", "gradient"),
                       reason=reason, n_evals=len(history))


def gd(problem, theta0, lr: float = 0.01, momentum: float = 0.9, max_iter: int = 1000,
       goal: float = 0.0, gtol: float = 1e-8) -> TrainResult:
    """Gradient descent with (heavy-ball) momentum: v = momentum v - lr grad; theta += v."""
    lr = check_real("lr", lr, minimum=0.0, strict_min=True)
    momentum = check_real("momentum", momentum, minimum=0.0, maximum=1.0)
    v = np.zeros(problem.n_params)

    def update(g):
        nonlocal v
        v = momentum * v - lr * g
        return v

    return _first_order(problem, theta0, max_iter, goal, gtol, update)


def adadelta(problem, theta0, rho: float = 0.95, eps: float = 1e-7, lr: float = 1.0,
             max_iter: int = 1000, goal: float = 0.0, gtol: float = 1e-8) -> TrainResult:
    """Adadelta (Zeiler 2012): running averages of g^2 and of the squared updates,
    delta = -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) g, scaled by ``lr``.

    With the defaults of DESIGN §7 (lr = 1) it hovers around a minimum rather than converging
    (the step ratio does not vanish); lr < 1 lets it converge (lr = 0.1: to 1e-7 on a convex
    quadratic in about 10^4 iterations, tested)."""
    rho = check_real("rho", rho, minimum=0.0, maximum=1.0)
    eps = check_real("eps", eps, minimum=0.0, strict_min=True)
    lr = check_real("lr", lr, minimum=0.0, strict_min=True)
    eg = np.zeros(problem.n_params)
    ed = np.zeros(problem.n_params)

    def update(g):
        nonlocal eg, ed
        eg = rho * eg + (1 - rho) * g * g
        delta = -np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * delta * delta
        return lr * delta

    return _first_order(problem, theta0, max_iter, goal, gtol, update)


METHODS = {"lm": levenberg_marquardt, "bfgs": bfgs, "gd": gd, "adadelta": adadelta}
#: Engines of :func:`multistart`.
ENGINES = ("auto", "python", "numba")
#: Starts per call of the parallel LM kernel (one progress-bar step).
KERNEL_CHUNK = 4096


@dataclass
class MultistartResult:
    """Many independent runs: final parameters, losses, iterations (accepted steps),
    convergence, why each run stopped, loss evaluations, and a label per run ("global" within
    ``tol`` of the reference, "spurious valley" for a recurrent neuron whose feedback is
    unstable at the end point, else "other"). ``meta`` holds the method and the engine."""

    thetas: np.ndarray
    losses: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    labels: np.ndarray
    starts: np.ndarray
    reasons: np.ndarray
    n_evals: np.ndarray
    meta: dict = field(default_factory=dict)


def label_end_point(problem, theta, loss, theta_true=None, best=None, tol: float = 1e-4) -> str:
    """"global" within relative distance ``tol`` of ``theta_true`` (or, without it, a loss
    within ``tol`` of ``best``); "spurious valley" when a recurrent neuron's linearised
    feedback is unstable at ``theta`` (the end point lies in a valley outside the stability
    region, Horn §III); otherwise "other"."""
    return _label(problem, np.asarray(theta, float), loss,
                  None if theta_true is None else np.asarray(theta_true, float),
                  loss if best is None else best, tol)


def _label(problem, theta, loss, theta_true, best, tol):
    if theta_true is not None:
        if np.linalg.norm(theta - theta_true) <= tol * max(1.0, np.linalg.norm(theta_true)):
            return "global"
    elif np.isfinite(loss) and loss <= best + tol * max(1.0, abs(best)):
        return "global"
    unstable = problem.unstable(theta[None, :])
    if unstable is not None and bool(unstable[0]):
        return "spurious valley"
    return "other"


def _kernel_refusal(problem, method, options) -> str | None:
    """Why the parallel LM kernel cannot run this work (None: it can)."""
    if method not in problem.kernel_methods():
        return f"{problem!r} has no parallel kernel for method={method!r}"
    if options.get("detector") is not None:
        return "it has no detector= option"
    return None


def _bind_options(trainer, options) -> dict:
    """All keyword options of ``trainer`` with defaults filled in (TypeError for unknown)."""
    bound = inspect.signature(trainer).bind(None, None, **options)
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items() if k not in ("problem", "theta0")}


def _lm_values(options) -> tuple:
    """The checked numeric options of :func:`levenberg_marquardt`, in the kernel's order."""
    return _lm_checks(*(options[k] for k in ("max_iter", "goal", "gtol", "mu", "mu_dec",
                                             "mu_inc", "mu_max")))


def _run_batch(problem, method: str, engine: str, options: dict, starts: np.ndarray,
               bar=None) -> dict:
    """Runs of ``method`` from each row of ``starts``: the local work of :func:`multistart`
    (also each Dask task). ``options`` are all of the trainer's options."""
    if engine == "numba":
        return _kernel_batch(problem, method, options, starts, bar)
    trainer = METHODS[method]
    m = starts.shape[0]
    out = {"thetas": starts.copy(), "losses": np.full(m, np.inf),
           "iterations": np.zeros(m, np.int64), "reasons": np.full(m, "non-finite start"),
           "n_evals": np.ones(m, np.int64)}
    for r, s in enumerate(starts):
        # a start whose loss overflows ends at once (the trainers refuse it)
        if np.isfinite(problem.loss(s)):
            res = trainer(problem, s, **options)
            out["thetas"][r] = res.theta
            out["losses"][r] = res.loss
            out["iterations"][r] = res.n_iter
            out["reasons"][r] = res.reason
            out["n_evals"][r] = res.n_evals
        if bar is not None:
            bar.update(1)
    return out


def _kernel_batch(problem, method, options, starts, bar) -> dict:
    opts = dict(zip(("max_iter", "goal", "gtol", "mu", "mu_dec", "mu_inc", "mu_max"),
                    _lm_values(options)))
    parts = []
    for lo in range(0, starts.shape[0], KERNEL_CHUNK):
        parts.append(problem.kernel_runs(method, starts[lo:lo + KERNEL_CHUNK], opts))
        if bar is not None:
            bar.update(len(parts[-1]["losses"]))
    out = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    out["iterations"], out["reasons"] = out.pop("n_iter"), out.pop("reason")
    return out


def multistart(problem, n: int, method: str = "lm", seed=0, init=None, theta_true=None,
               tol: float = 1e-4, client=None, progress=None, engine: str = "auto",
               batch: int = 1024, **options) -> MultistartResult:
    """``n`` independent runs of ``method`` from random starts (same seed, same bits).

    Parameters
    ----------
    problem : Problem or FunctionProblem
    n : int
        Number of runs (>= 1).
    method : {"lm", "bfgs", "gd", "adadelta"}
    seed : int or Generator
    init : callable, optional
        ``init(rng) -> theta``; default ``problem.model.init`` or U(-1, 1). The starts are
        drawn in this order, one call per run, whatever the engine or client.
    theta_true : array_like, optional
        Reference for the "global" label (default: the best finite loss found).
    tol : float
        Relative distance (or loss difference) for the "global" label.
    client : dask.distributed.Client, optional
        Run batches of ``batch`` starts as tasks on the cluster (the same local function on
        each batch: the results are those of a local run).
    progress : bool or None
        Progress bar over runs (None: only after 2 s).
    engine : {"auto", "python", "numba"}
        "numba": the parallel LM kernel (:mod:`fastsurf.kernels.lm`), for ``method="lm"`` on a
        ``Problem`` over a ``RecurrentNeuron`` without ``detector=`` (else ValueError); it
        runs exactly the algorithm of :func:`levenberg_marquardt` (only the order of the
        sums in J^T J, J^T e and the solve differ: end points agree to 1e-10 relative or
        better; near a flat minimum, or where J^T J is ill-conditioned, rounding can decide
        a last step or the stopping test differently) and keeps no histories or
        trajectories. "python": one call
        of the trainer per start. "auto": "numba" where it applies.
    batch : int
        Starts per Dask task (with ``client``).
    **options
        Passed to the trainer (the kernel takes those of :func:`levenberg_marquardt`).

    Notes
    -----
    A start whose loss is not finite ends at once: its theta is the start, loss inf,
    0 iterations, reason "non-finite start" (a single trainer call refuses such a start).
    """
    from ._dask import check_client, run_tasks
    n = check_int("n", n, minimum=1)
    trainer = METHODS[check_choice("method", method, METHODS)]
    check_choice("engine", engine, ENGINES)
    check_client(client)
    batch = check_int("batch", batch, minimum=1)
    options = _bind_options(trainer, options)
    refusal = _kernel_refusal(problem, method, options)
    if engine == "numba" and refusal is not None:
        raise ValueError(f"engine='numba' cannot run this multistart: {refusal}")
    if engine == "auto":
        engine = "python" if refusal is not None else "numba"
    if engine == "numba":
        _lm_values(options)
    rng = as_rng(seed)
    if init is None:
        model = getattr(problem, "model", None)
        init = model.init if model is not None else (
            lambda r: r.uniform(-1.0, 1.0, problem.n_params))
    draws = [init(rng) for _ in range(n)]
    try:
        starts = np.array(draws, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("init(rng) must return vectors of n_params="
                         f"{problem.n_params} real numbers") from None
    starts = as_theta_batch("init(rng)", starts, problem.n_params)
    if client is None:
        with progress_bar(progress, total=n, unit="run", desc=method) as bar:
            out = _run_batch(problem, method, engine, options, starts, bar)
    else:
        pieces = [(method, engine, options, starts[lo:lo + batch])
                  for lo in range(0, n, batch)]
        parts = [None] * len(pieces)
        for i, part in run_tasks(client, _run_batch, pieces, shared=(problem,),
                                 progress=progress, desc=method, unit="batch"):
            parts[i] = part
        out = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    thetas, losses = out["thetas"], out["losses"]
    ref = None if theta_true is None else as_theta("theta_true", theta_true, problem.n_params)
    finite = losses[np.isfinite(losses)]
    best = float(np.min(finite)) if finite.size else np.inf
    labels = np.array([_label(problem, t, v, ref, best, tol) for t, v in zip(thetas, losses)])
    return MultistartResult(thetas=thetas, losses=losses, iterations=out["iterations"],
                            converged=np.isin(out["reasons"], ("loss goal", "gradient")),
                            labels=labels, starts=starts, reasons=out["reasons"],
                            n_evals=out["n_evals"], meta={"method": method, "engine": engine})


def segmented(problem, length: int, initial: str = "targets"):
    """The same training data cut into segments of ``length`` steps, as several sequences.

    ``initial="targets"`` gives each segment the preceding targets as initial outputs (known
    at training time: estimated, non-zero initial conditions, procedures (a) + (b));
    ``"zero"`` gives zero initial outputs (procedure (a) alone). The first segment keeps the
    original initial outputs; a last partial segment (T not a multiple of ``length``) is
    dropped. A teacher's parameters stay an exact zero of the loss with ``"targets"``.
    Returns a new Problem of the same model and loss.
    """
    from .data import SequenceData
    from .problem import Problem
    length = check_int("length", length, minimum=1)
    check_choice("initial", initial, ("targets", "zero"))
    d = problem.data
    D = problem.model.feedback_delays
    if length > d.T:
        raise ValueError(f"length must be <= T={d.T}, got {length}")
    a0_full = d.initial_outputs(D)
    p, t, a0 = [], [], []
    for s in range(d.n_seq):
        for k0 in range(0, d.T - length + 1, length):
            p.append(d.p[s, k0:k0 + length])
            t.append(d.t[s, k0:k0 + length])
            init = np.zeros(D)
            for j in range(D):          # a(k0 - j), 1-based time k0 - j
                k = k0 - 1 - j
                if k >= 0:
                    init[j] = d.t[s, k] if initial == "targets" else 0.0
                else:
                    init[j] = a0_full[s, -k - 1]
            a0.append(init)
    return Problem(problem.model, SequenceData(np.array(p), np.array(t), np.array(a0)),
                   loss=problem.loss_kind)


def prefix(problem, T: int):
    """The first ``T`` steps of every sequence, as a new Problem."""
    from .data import SequenceData
    from .problem import Problem
    d = problem.data
    T = check_int("T", T, minimum=1, maximum=d.T)
    return Problem(problem.model, SequenceData(d.p[:, :T], d.t[:, :T], d.a0),
                   loss=problem.loss_kind)


def curriculum(problem, theta0, lengths=None, method: str = "lm", **options) -> TrainResult:
    """Train on growing prefixes of the sequences (procedure (c)): each stage starts where the
    previous stopped. ``lengths`` default T/8, T/4, T/2, T. Returns the last stage's result
    with the whole trajectory and history and the total evaluations."""
    trainer = METHODS[check_choice("method", method, METHODS)]
    T = problem.data.T
    lengths = lengths or sorted({max(1, T // 8), max(1, T // 4), max(1, T // 2), T})
    theta = as_theta("theta0", theta0, problem.n_params)
    traj, hist, evals = [theta.copy()], [problem.loss(theta)], 0
    res = None
    for L in lengths:
        stage = prefix(problem, L)
        if not np.isfinite(stage.loss(theta)):
            break
        res = trainer(stage, theta, **options)
        theta = res.theta
        traj.extend(res.trajectory[1:])
        hist.extend(problem.loss(x) for x in res.trajectory[1:])
        evals += res.n_evals
    loss = problem.loss(theta)
    last = res.reason if res is not None else "diverged"
    return TrainResult(theta=theta, loss=float(loss), history=np.array(hist),
                       trajectory=np.array(traj), converged=bool(res and res.converged),
                       reason=last, n_evals=evals, meta={"lengths": list(lengths)})

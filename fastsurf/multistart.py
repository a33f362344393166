"""Many independent training runs from random starts, labelled by where they end.

:func:`multistart` runs a trainer of :data:`fastsurf.trainers.TRAINERS` from ``n`` starts. Where
the objective runs the method in a parallel kernel (``problem.kernel_methods()``; recurrent
neurons run LM in :mod:`fastsurf.kernels.lm`, lanes of runs advancing together in SIMD) the
runs go through ``problem.kernel_runs``; otherwise one trainer call per start. ``client=`` runs
batches of starts as Dask tasks, each the same function a local run calls, so the results are
the same bits. End points are labelled with ``problem.unstable`` (:func:`label_end_point`).
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._dask import check_client, run_tasks
from ._progress import progress_bar
from ._results import Result
from ._validation import as_rng, as_theta, as_theta_batch, check_choice, check_int
from .trainers import CONVERGED_REASONS, TRAINERS, check_lm_options

__all__ = ["ENGINES", "KERNEL_CHUNK", "MultistartResult", "default_init", "label_end_point",
           "multistart"]

#: Engines of :func:`multistart`.
ENGINES = ("auto", "python", "numba")
#: Starts per call of the parallel kernel (one progress-bar step).
KERNEL_CHUNK = 4096
#: Methods a parallel kernel can run, with the checker of their numeric options.
_KERNEL_OPTIONS = {"lm": check_lm_options}


@dataclass(repr=False)
class MultistartResult(Result):
    """Many independent runs, one row (or entry) per run.

    Attributes
    ----------
    thetas : ndarray (n, P)
        End points.
    losses : ndarray (n,)
    n_iter : ndarray (n,) of int
        Accepted iterations of each run.
    converged : ndarray (n,) of bool
        Reason "loss goal" or "gradient".
    labels : ndarray (n,) of str
        "global" within ``tol`` of the reference, "spurious valley" where ``problem.unstable``
        says the dynamics are unstable at the end point, else "other".
    starts : ndarray (n, P)
    reason : ndarray (n,) of str
        Why each run stopped (the reasons of :class:`~fastsurf.trainers.TrainResult`, or
        "non-finite start").
    n_evals : ndarray (n,) of int
        Loss evaluations of each run.
    meta : dict
        The method and the engine.
    """

    thetas: np.ndarray
    losses: np.ndarray
    n_iter: np.ndarray
    converged: np.ndarray
    labels: np.ndarray
    starts: np.ndarray
    reason: np.ndarray
    n_evals: np.ndarray
    meta: dict = field(default_factory=dict)

    @property
    def iterations(self) -> np.ndarray:
        """Deprecated name of :attr:`n_iter`."""
        warnings.warn("MultistartResult.iterations is deprecated; use n_iter",
                      DeprecationWarning, stacklevel=2)
        return self.n_iter

    @property
    def reasons(self) -> np.ndarray:
        """Deprecated name of :attr:`reason`."""
        warnings.warn("MultistartResult.reasons is deprecated; use reason",
                      DeprecationWarning, stacklevel=2)
        return self.reason


def label_end_point(problem, theta, loss, theta_true=None, best=None, tol: float = 1e-4) -> str:
    """"global" within relative distance ``tol`` of ``theta_true`` (or, without it, a loss
    within ``tol`` of ``best``); "spurious valley" when ``problem.unstable`` says the
    linearised dynamics are unstable at ``theta`` (for a recurrent neuron: feedback outside
    the stability region, where Horn et al. 2009, §III, find the spurious valleys); otherwise
    "other"."""
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


def default_init(problem):
    """The default start rule of :func:`multistart`: ``problem.init`` (a callable
    ``init(rng) -> theta``, the model's own initialisation for a Problem) where the objective
    has one, else U(-1, 1) in every parameter."""
    init = getattr(problem, "init", None)
    if init is None:
        P = problem.n_params
        return lambda rng: rng.uniform(-1.0, 1.0, P)
    return init


def _kernel_refusal(problem, method, options) -> str | None:
    """Why the parallel kernel cannot run this work (None: it can)."""
    if method not in problem.kernel_methods() or method not in _KERNEL_OPTIONS:
        return f"{problem!r} has no parallel kernel for method={method!r}"
    if options.get("detector") is not None:
        return "it has no detector= option"
    return None


def _bind_options(trainer, options) -> dict:
    """All keyword options of ``trainer`` with defaults filled in (TypeError for unknown)."""
    bound = inspect.signature(trainer).bind(None, None, **options)
    bound.apply_defaults()
    return {k: v for k, v in bound.arguments.items() if k not in ("problem", "theta0")}


def _run_batch(problem, method: str, engine: str, options: dict, starts: np.ndarray,
               bar=None) -> dict:
    """Runs of ``method`` from each row of ``starts``: the local work of :func:`multistart`
    (also each Dask task). ``options`` are all of the trainer's options. Returns arrays
    ``thetas``, ``losses``, ``n_iter``, ``reason``, ``n_evals``."""
    if engine == "numba":
        return _kernel_batch(problem, method, options, starts, bar)
    trainer = TRAINERS[method]
    m = starts.shape[0]
    out = {"thetas": starts.copy(), "losses": np.full(m, np.inf),
           "n_iter": np.zeros(m, np.int64), "reason": np.full(m, "non-finite start"),
           "n_evals": np.ones(m, np.int64)}
    for r, s in enumerate(starts):
        # a start whose loss overflows ends at once (the trainers refuse it)
        if np.isfinite(problem.loss(s)):
            res = trainer(problem, s, **options)
            out["thetas"][r] = res.theta
            out["losses"][r] = res.loss
            out["n_iter"][r] = res.n_iter
            out["reason"][r] = res.reason
            out["n_evals"][r] = res.n_evals
        if bar is not None:
            bar.update(1)
    return out


def _kernel_batch(problem, method, options, starts, bar) -> dict:
    opts = _KERNEL_OPTIONS[method](options)
    parts = []
    for lo in range(0, starts.shape[0], KERNEL_CHUNK):
        parts.append(problem.kernel_runs(method, starts[lo:lo + KERNEL_CHUNK], opts))
        if bar is not None:
            bar.update(len(parts[-1]["losses"]))
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


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
        A trainer of :data:`fastsurf.trainers.TRAINERS`.
    seed : int or Generator
    init : callable, optional
        ``init(rng) -> theta``; default :func:`default_init`: ``problem.init`` where the
        objective has one (a Problem: its model's ``init``), else U(-1, 1). The starts are drawn
        in this order, one call per run, whatever the engine or client.
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
        "numba": the objective's parallel kernel (``problem.kernel_runs``; for a Problem over a
        ``RecurrentNeuron``, LM in :mod:`fastsurf.kernels.lm`), for a method in
        ``problem.kernel_methods()`` without ``detector=`` (else ValueError). The LM kernel
        runs exactly the algorithm of :func:`~fastsurf.trainers.levenberg_marquardt` (only
        the order of the sums in J^T J, J^T e and the solve differ: end points agree to 1e-10
        relative or better; near a flat minimum, or where J^T J is ill-conditioned, rounding
        can decide a last step or the stopping test differently) and keeps no histories or
        trajectories. "python": one call of the trainer per start. "auto": "numba" where it
        applies.
    batch : int
        Starts per Dask task (with ``client``).
    **options
        Passed to the trainer (the kernel takes those of
        :func:`~fastsurf.trainers.levenberg_marquardt`).

    Returns
    -------
    MultistartResult

    Notes
    -----
    A start whose loss is not finite ends at once: its theta is the start, loss inf,
    0 iterations, reason "non-finite start" (a single trainer call refuses such a start).

    Example
    -------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> model = fs.RecurrentNeuron("purelin")
    >>> problem = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=40, seed=0))
    >>> def init(rng):                 # Horn's starts: feedback weight w2 up to 1.5
    ...     return rng.uniform([-2.0, -1.5], [2.0, 1.5])
    >>> res = fs.train.multistart(problem, 200, seed=0, init=init, theta_true=(0.5, 0.5),
    ...                           progress=False)
    >>> res.meta
    {'method': 'lm', 'engine': 'numba'}
    >>> {label: int((res.labels == label).sum()) for label in ("global", "spurious valley")}
    {'global': 173, 'spurious valley': 27}
    >>> bool(np.all(res.converged[res.labels == "global"])), float(np.median(res.n_iter))
    (True, 7.0)
    """
    n = check_int("n", n, minimum=1)
    trainer = TRAINERS[check_choice("method", method, TRAINERS)]
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
        _KERNEL_OPTIONS[method](options)
    rng = as_rng(seed)
    init = default_init(problem) if init is None else init
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
    return MultistartResult(thetas=thetas, losses=losses, n_iter=out["n_iter"],
                            converged=np.isin(out["reason"], CONVERGED_REASONS),
                            labels=labels, starts=starts, reason=out["reason"],
                            n_evals=out["n_evals"], meta={"method": method, "engine": engine})

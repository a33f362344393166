"""Many independent training runs from random starts, labelled by where they end.

:func:`multistart` runs a trainer of :data:`fastsurf.trainers.TRAINERS` from ``n`` starts. Where
the objective runs the method in a parallel kernel (``problem.kernel_methods()``; recurrent
neurons run LM in :mod:`fastsurf.kernels.lm`, lanes of runs advancing together in SIMD) the
runs go through ``problem.kernel_runs``; otherwise one trainer call per start. ``client=`` runs
batches of starts as Dask tasks, each the same function a local run calls, so the results are
the same bits. Every run gets one of the :data:`LABELS` (:func:`label_runs`,
:func:`label_end_point`).
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._compile import compile_notice
from ._dask import check_client, run_tasks
from ._memory import check_memory
from ._progress import progress_bar
from ._results import Result
from ._validation import (
    as_float_array,
    as_rng,
    as_theta,
    as_theta_batch,
    check_choice,
    check_int,
    check_real,
)
from .trainers import CONVERGED_REASONS, TRAINERS, check_lm_options

__all__ = ["BYTES_PER_RUN", "ENGINES", "KERNEL_CHUNK", "LABELS", "MultistartResult",
           "default_init", "label_end_point", "label_runs", "multistart"]

#: Engines of :func:`multistart`.
ENGINES = ("auto", "python", "numba")
#: Starts per call of the parallel kernel (one progress-bar step).
KERNEL_CHUNK = 4096
#: Methods a parallel kernel can run, with the checker of their numeric options.
_KERNEL_OPTIONS = {"lm": check_lm_options}

#: Where a run ended: every label a training run can get, with its meaning, in the order the
#: rules are applied (the first that holds wins). The one list of labels of fastsurf.
LABELS = {
    "diverged": "the loss or theta at the end point is not finite, or the run stopped because "
                "a step diverged (reason 'diverged'); a start whose loss overflows is one",
    "global": "within relative distance tol of theta_true (without it: a loss within tol of "
              "the best finite loss)",
    "stalled": "no accepted step (zero iterations) and not at the reference: e.g. a failed "
               "line search or mu_max at iteration 0",
    "spurious valley": "problem.unstable says the linearised dynamics are unstable at the end "
                       "point (a recurrent neuron: feedback outside the stability region, "
                       "where Horn et al. 2009, §III, find the spurious valleys)",
    "other": "none of the above (e.g. a stable local minimum)",
}

#: Bytes :func:`multistart` holds per run beyond P floats: the drawn start as a Python object,
#: the start, end point and work arrays (3 x 8 P), losses, counts, reason and label strings.
BYTES_PER_RUN = 512


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
        Where each run ended, one of :data:`LABELS` ("diverged", "global", "stalled",
        "spurious valley", "other").
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


def label_runs(problem, thetas, losses, reason=None, n_iter=None, theta_true=None,
               best: float | None = None, tol: float = 1e-4) -> np.ndarray:
    """The :data:`LABELS` of many end points, by the rules in their order.

    Parameters
    ----------
    problem : Problem or FunctionProblem
        Gives ``unstable`` (None: no "spurious valley").
    thetas : array_like (n, P)
        End points (non-finite rows are "diverged").
    losses : array_like (n,)
    reason : array_like (n,) of str, optional
        Why each run stopped; "diverged" makes a run "diverged".
    n_iter : array_like (n,) of int, optional
        Accepted iterations; 0 makes a run not at the reference "stalled".
    theta_true : array_like (P,), optional
        Reference of "global"; without it, a loss within ``tol`` of ``best``.
    best : float, optional
        Reference loss without ``theta_true`` (default: the smallest finite loss).
    tol : float
        Relative distance (or loss difference) of "global".

    Returns
    -------
    ndarray (n,) of str
    """
    P = problem.n_params
    thetas = as_float_array("thetas", thetas, ndim=2, finite=False, allow_empty=True)
    if thetas.shape[1] != P:
        raise ValueError(f"thetas must have shape (n, {P}), got {thetas.shape}")
    n = thetas.shape[0]
    losses = _per_run("losses", losses, n, float)
    reason = None if reason is None else _per_run("reason", reason, n, str)
    n_iter = None if n_iter is None else _per_run("n_iter", n_iter, n, np.int64)
    tol = check_real("tol", tol, minimum=0.0)
    finite_theta = np.all(np.isfinite(thetas), axis=1)
    diverged = ~finite_theta | ~np.isfinite(losses)
    if reason is not None:
        diverged |= reason == "diverged"
    if theta_true is not None:
        ref = as_theta("theta_true", theta_true, P)
        dist = np.full(n, np.inf)
        dist[finite_theta] = np.linalg.norm(thetas[finite_theta] - ref, axis=1)
        near = dist <= tol * max(1.0, float(np.linalg.norm(ref)))
    else:
        if best is None:
            finite = losses[np.isfinite(losses)]
            best = float(np.min(finite)) if finite.size else np.inf
        best = float(best)
        near = np.isfinite(losses) & (losses <= best + tol * max(1.0, abs(best)))
    stalled = np.zeros(n, bool) if n_iter is None else n_iter == 0
    unstable = np.zeros(n, bool)
    ask = finite_theta & ~diverged & ~near & ~stalled
    if np.any(ask):
        answer = problem.unstable(thetas[ask])
        if answer is not None:
            unstable[ask] = np.asarray(answer, bool)
    return np.select([diverged, near, stalled, unstable],
                     ["diverged", "global", "stalled", "spurious valley"], "other")


def _per_run(name: str, value, n: int, dtype) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one entry per run, got {arr.shape}")
    return arr


def label_end_point(problem, theta, loss, theta_true=None, best=None, tol: float = 1e-4,
                    reason: str | None = None, n_iter: int | None = None) -> str:
    """The :data:`LABELS` label of one end point (:func:`label_runs` on one run).

    Parameters
    ----------
    problem : Problem or FunctionProblem
    theta : array_like (P,)
        End point (ValueError for another length).
    loss : float
        Its loss.
    theta_true : array_like (P,), optional
        Reference of "global"; without it, a loss within ``tol`` of ``best`` (default: the
        run's own loss, so any finite loss is "global").
    best : float, optional
    tol : float
    reason : str, optional
        Why the run stopped ("diverged" makes it "diverged").
    n_iter : int, optional
        Its accepted iterations (0 makes it "stalled" unless it is at the reference).

    Returns
    -------
    str
    """
    theta = as_float_array("theta", theta, ndim=1, finite=False)
    if theta.shape[0] != problem.n_params:
        raise ValueError(f"theta must have length n_params={problem.n_params}, "
                         f"got {theta.shape[0]}")
    loss = float(loss)
    return str(label_runs(problem, theta[None, :], [loss],
                          None if reason is None else [reason],
                          None if n_iter is None else [n_iter], theta_true,
                          loss if best is None else best, tol)[0])


def default_init(problem):
    """The default start rule of :func:`multistart`: ``problem.init`` (a callable
    ``init(rng) -> theta``, the model's own initialisation for a Problem) where the objective
    has one, else U(-1, 1) in every parameter."""
    init = getattr(problem, "init", None)
    if init is None:
        P = problem.n_params
        return lambda rng: rng.uniform(-1.0, 1.0, P)
    return init


def _trainer(method):
    """The single-run trainer of ``method``: a name of :data:`TRAINERS` or a callable."""
    if callable(method):
        return method
    return TRAINERS[check_choice("method", method, TRAINERS)]


def _method_name(method) -> str:
    """A name of ``method`` for messages and ``meta["method"]``."""
    if isinstance(method, str):
        return method
    fn = getattr(method, "func", method)          # functools.partial
    return getattr(fn, "__name__", type(fn).__name__)


def _kernel_refusal(problem, method, options) -> str | None:
    """Why the parallel kernel cannot run this work (None: it can)."""
    if not isinstance(method, str) or method not in problem.kernel_methods() or (
            method not in _KERNEL_OPTIONS):
        return f"{problem!r} has no parallel kernel for method={_method_name(method)!r}"
    if options.get("detector") is not None:
        return "it has no detector= option"
    return None


def _bind_options(trainer, options) -> dict:
    """All keyword options of ``trainer`` with defaults filled in (TypeError for unknown): the
    parameters after the first two (the objective and the start), ``**kwargs`` flattened."""
    sig = inspect.signature(trainer)
    bound = sig.bind(None, None, **options)
    bound.apply_defaults()
    skip = list(sig.parameters)[:2]
    out = {}
    for k, v in bound.arguments.items():
        if k in skip:
            continue
        if sig.parameters[k].kind is inspect.Parameter.VAR_KEYWORD:
            out.update(v)
        else:
            out[k] = v
    return out


def _run_batch(problem, method, engine: str, options: dict, starts: np.ndarray,
               bar=None) -> dict:
    """Runs of ``method`` from each row of ``starts``: the local work of :func:`multistart`
    (also each Dask task). ``options`` are all of the trainer's options. Returns arrays
    ``thetas``, ``losses``, ``n_iter``, ``reason``, ``n_evals``."""
    if engine == "numba":
        return _kernel_batch(problem, method, options, starts, bar)
    trainer = _trainer(method)
    m = starts.shape[0]
    out = {"thetas": starts.copy(), "losses": np.full(m, np.inf),
           "n_iter": np.zeros(m, np.int64), "n_evals": np.ones(m, np.int64)}
    reason = ["non-finite start"] * m
    for r, s in enumerate(starts):
        # a start whose loss overflows ends at once (the trainers refuse it)
        if np.isfinite(problem.loss(s)):
            res = trainer(problem, s, **options)
            out["thetas"][r] = res.theta
            out["losses"][r] = res.loss
            out["n_iter"][r] = res.n_iter
            reason[r] = res.reason
            out["n_evals"][r] = res.n_evals
        if bar is not None:
            bar.update(1)
    out["reason"] = np.array(reason, dtype=str)
    return out


def _kernel_batch(problem, method, options, starts, bar) -> dict:
    opts = _KERNEL_OPTIONS[method](options)
    parts = []
    for lo in range(0, starts.shape[0], KERNEL_CHUNK):
        parts.append(problem.kernel_runs(method, starts[lo:lo + KERNEL_CHUNK], opts))
        if bar is not None:
            bar.update(len(parts[-1]["losses"]))
    return {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}


def multistart(problem, n: int, method="lm", seed=0, init=None, theta_true=None,
               tol: float = 1e-4, client=None, progress=None, engine: str = "auto",
               batch: int = 1024, **options) -> MultistartResult:
    """``n`` independent runs of ``method`` from random starts (same seed, same bits).

    Parameters
    ----------
    problem : Problem or FunctionProblem
    n : int
        Number of runs (>= 1; refused before any start is drawn when the runs' arrays would not
        fit in memory, :data:`BYTES_PER_RUN` + 24 P bytes each).
    method : {"lm", "bfgs", "gd", "adadelta"} or callable
        A trainer of :data:`fastsurf.trainers.TRAINERS`, or any callable
        ``method(problem, theta0, **options) -> TrainResult`` (e.g.
        ``functools.partial(fastsurf.procedures.curriculum, method="lm")``), which runs on the
        "python" engine.
    seed : int or Generator
    init : callable, optional
        ``init(rng) -> theta``; default :func:`default_init`: ``problem.init`` where the
        objective has one (a Problem: its model's ``init``; a recurrent neuron draws Horn's box,
        see :meth:`fastsurf.models.RecurrentNeuron.init`), else U(-1, 1). The starts are drawn
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
        ``labels`` from :func:`label_runs` (the :data:`LABELS`).

    Notes
    -----
    A start whose loss is not finite ends at once: its theta is the start, loss inf,
    0 iterations, reason "non-finite start", label "diverged" (a single trainer call refuses
    such a start).

    Example
    -------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> model = fs.RecurrentNeuron("purelin")
    >>> problem = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=40, seed=0))
    >>> res = fs.train.multistart(problem, 200, seed=0, theta_true=(0.5, 0.5), progress=False)
    >>> res.meta                        # starts: U([-2, 2] x [-1.5, 1.5]), the model's init
    {'method': 'lm', 'engine': 'numba'}
    >>> {label: int((res.labels == label).sum()) for label in fs.multistart.LABELS}
    {'diverged': 0, 'global': 173, 'stalled': 0, 'spurious valley': 27, 'other': 0}
    >>> bool(np.all(res.converged[res.labels == "global"])), float(np.median(res.n_iter))
    (True, 7.0)
    """
    n = check_int("n", n, minimum=1)
    trainer = _trainer(method)
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
    P = problem.n_params
    if theta_true is not None:
        as_theta("theta_true", theta_true, P)
    check_real("tol", tol, minimum=0.0)
    check_memory(n * (BYTES_PER_RUN + 24 * P), f"multistart(n={n}) with {P} parameters",
                 hint="run fewer starts per call (or in Dask batches with client=)")
    rng = as_rng(seed)
    init = default_init(problem) if init is None else init
    draws = [init(rng) for _ in range(n)]
    try:
        starts = np.array(draws, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("init(rng) must return vectors of n_params="
                         f"{P} real numbers") from None
    del draws
    starts = as_theta_batch("init(rng)", starts, P)
    name = _method_name(method)
    if client is None:
        if engine == "numba":
            # one step of one run first, so that a first-run compile is announced and kept out
            # of the bar
            with compile_notice():
                _kernel_batch(problem, method, {**options, "max_iter": 1}, starts[:1], None)
        with progress_bar(progress, total=n, unit="run", desc=name) as bar:
            out = _run_batch(problem, method, engine, options, starts, bar)
    else:
        pieces = [(method, engine, options, starts[lo:lo + batch])
                  for lo in range(0, n, batch)]
        parts = [None] * len(pieces)
        for i, part in run_tasks(client, _run_batch, pieces, shared=(problem,),
                                 progress=progress, desc=name, unit="batch"):
            parts[i] = part
        out = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    thetas, losses = out["thetas"], out["losses"]
    labels = label_runs(problem, thetas, losses, out["reason"], out["n_iter"], theta_true,
                        tol=tol)
    return MultistartResult(thetas=thetas, losses=losses, n_iter=out["n_iter"],
                            converged=np.isin(out["reason"], CONVERGED_REASONS),
                            labels=labels, starts=starts, reason=out["reason"],
                            n_evals=out["n_evals"], meta={"method": name, "engine": engine})

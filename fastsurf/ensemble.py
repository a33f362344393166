"""Thousands of full-batch training runs of a small net at once (Gamst & Walker, §4.2: 320,000
fits of a 5x5 ReLU net, 50,000 steps each of gradient descent with momentum or Adadelta).

:func:`ensemble` hands the starts to the problem's parallel ensemble kernel
(``problem.kernel_runs``; for an MLP, :mod:`fastsurf.kernels.ensemble`: lanes of runs advance
together in SIMD, exact backprop, no Python per step) in batches, locally or as Dask tasks, and
gathers the end points into an :class:`EnsembleResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._compile import compile_notice
from ._dask import check_client, run_tasks
from ._memory import check_memory
from ._progress import check_progress, progress_bar
from ._results import Result
from ._validation import as_theta_batch, check_choice, check_int, check_real

#: Methods of :func:`ensemble` (the kernel method of each is ``"ensemble-" + name``).
METHODS = ("adadelta", "gd")
#: Losses the ensemble kernels minimise (the problem's scaled SSE).
LOSSES = ("sse", "mse")


@dataclass(repr=False)
class EnsembleResult(Result):
    """End points of many training runs, one row per start.

    Attributes
    ----------
    thetas : ndarray (m, P)
        Final parameters (for a diverged run: its last parameters of finite loss).
    losses : ndarray (m,)
        Loss at ``thetas`` (+inf for a start whose loss is not finite).
    grad_norms : ndarray (m,)
        Euclidean norm of the gradient at ``thetas`` (NaN for a non-finite start).
    history : ndarray (m, steps // record_every + 1) or None
        ``history[i, j]``: run i's loss after min(j record_every, n_iter[i]) steps (a stopped
        run keeps its last loss); None when ``record_every`` is 0.
    converged : ndarray of bool (m,)
        Reason "loss goal" or "gradient".
    reason : ndarray of str (m,)
        "max_iter" (ran every step), "loss goal", "gradient", "diverged" (the loss became
        non-finite) or "non-finite start".
    n_iter : ndarray of int (m,)
        Updates made to reach ``thetas``.
    n_evals : ndarray of int (m,)
        Loss-and-gradient evaluations (the one that stopped the run included).
    meta : dict
        Method, its options, the batch size, the problem's description.
    """

    thetas: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    history: np.ndarray | None
    converged: np.ndarray
    reason: np.ndarray
    n_iter: np.ndarray
    n_evals: np.ndarray
    meta: dict = field(default_factory=dict)


def _run_batch(problem, method: str, options: dict, starts: np.ndarray) -> dict:
    """The runs from ``starts`` in the problem's kernel: the local work of :func:`ensemble`
    and each of its Dask tasks (the same function, so the same bits)."""
    return problem.kernel_runs(f"ensemble-{method}", starts, options)


def _check_problem(problem, method: str) -> None:
    kernel = f"ensemble-{method}"
    methods = getattr(problem, "kernel_methods", None)
    if methods is None or kernel not in methods():
        raise ValueError(f"ensemble needs a problem with a parallel ensemble kernel for "
                         f"method={method!r} (a Problem over an MLP with regression data); "
                         f"{problem!r} has none")
    loss = problem.describe().get("loss")
    if loss not in LOSSES:
        raise ValueError(f"ensemble minimises the squared error (loss 'sse' or 'mse'); "
                         f"{problem!r} has loss {loss!r}")


def ensemble(prob, thetas0, method: str = "adadelta", steps: int = 50_000, lr: float = 1.0,
             momentum: float = 0.9, rho: float = 0.95, eps: float = 1e-7, record_every: int = 0,
             goal: float = 0.0, gtol: float = 0.0, batch: int = 1024, client=None,
             progress: bool | None = None) -> EnsembleResult:
    """Train a net from every row of ``thetas0`` at once: full-batch Adadelta or gradient
    descent with heavy-ball momentum, exact gradients, in a parallel SIMD kernel.

    Each run is bit for bit the single-run trainer: ``train.adadelta(prob, theta0, rho=rho,
    eps=eps, lr=lr, max_iter=steps, goal=goal, gtol=gtol)`` or ``train.gd(prob, theta0, lr=lr,
    momentum=momentum, ...)`` gives the same final theta, except after a divergence (below),
    on a net whose gradient runs the loop kernels (``MLP(..., blas=False)``; where
    ``blas="auto"`` sends a layer to BLAS, the single-run gradient sums in another order and
    agrees to rounding only).

    Parameters
    ----------
    prob : Problem
        A problem whose model has an ensemble kernel (``fs.MLP`` on ``RegressionData``, loss
        "mse" or "sse").
    thetas0 : array_like (m, P)
        Starting parameters, one run per row (finite).
    method : {"adadelta", "gd"}
        Adadelta (Zeiler 2012) scaled by ``lr``::

            eg = rho eg + (1 - rho) g^2
            d  = -sqrt(ed + eps) / sqrt(eg + eps) g
            ed = rho ed + (1 - rho) d^2
            theta += lr d

        or gradient descent with heavy-ball momentum (Polyak 1964)::

            v = momentum v - lr g;  theta += v

        (eg, ed and v start at zero).
    steps : int
        Updates per run (>= 1); Gamst & Walker use 50,000.
    lr : float
        Learning rate (> 0). The default 1 is Zeiler's Adadelta; gradient descent needs a far
        smaller one (``train.gd`` defaults to 0.01).
    momentum : float
        Heavy-ball coefficient in [0, 1] ("gd" only).
    rho, eps : float
        Adadelta's decay in [0, 1] and its conditioning constant (> 0) ("adadelta" only).
    record_every : int
        Record every run's loss every ``record_every`` steps (>= 0; 0: no history).
    goal, gtol : float
        A run stops early when its loss <= ``goal`` or its gradient norm <= ``gtol`` (both
        >= 0; with the defaults only at an exact zero). The norm is summed in another order
        than ``numpy.linalg.norm``: at |g| within rounding of ``gtol`` the two may decide
        differently.
    batch : int
        Runs per kernel call (one progress-bar step) and per Dask task (>= 1).
    client : dask.distributed.Client, optional
        Run the batches as tasks on the cluster (the same kernel on each batch: the results
        are the bits of a local run).
    progress : bool or None
        Progress bar over runs (None: only after 2 s).

    Returns
    -------
    EnsembleResult
        ``thetas``, ``losses``, ``grad_norms``, ``history``, ``converged``, ``reason``,
        ``n_iter``, ``n_evals`` and ``meta``.

    Notes
    -----
    Every step evaluates the loss and the gradient at the current theta of each run (the loss
    costs nothing extra: it comes from the residuals of the backward pass) and then stops the
    run or updates it. Per run:

    - a start whose loss is not finite ends at once: theta = the start, loss inf, reason
      "non-finite start" (``train.adadelta`` raises a ValueError instead);
    - a run whose loss becomes non-finite stops with reason "diverged" and **keeps its last
      theta of finite loss** (``train.adadelta`` returns the overflowing theta with loss inf);
      ``n_iter`` counts the updates up to that theta;
    - loss <= ``goal``: "loss goal"; gradient norm <= ``gtol``: "gradient"; after ``steps``
      updates: "max_iter".

    Runs never mix: a run's bits do not depend on the batch, the thread, the worker or which
    runs share its SIMD block.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> from fastsurf.ensemble import ensemble
    >>> x = np.linspace(-1, 1, 64)
    >>> prob = fs.Problem(fs.MLP((1, 5, 5, 1)), fs.RegressionData(x, np.abs(x)))
    >>> rng = np.random.default_rng(0)
    >>> starts = np.array([prob.model.init(rng) for _ in range(8)])
    >>> res = ensemble(prob, starts, steps=200, record_every=100, progress=False)
    >>> res.thetas.shape, res.history.shape
    ((8, 46), (8, 3))
    >>> bool(np.all(res.losses < res.history[:, 0]))
    True
    >>> one = fs.train.adadelta(prob, starts[3], max_iter=200, goal=0.0, gtol=0.0)
    >>> bool(np.array_equal(one.theta, res.thetas[3]))
    True
    """
    method = check_choice("method", method, METHODS)
    _check_problem(prob, method)
    starts = as_theta_batch("thetas0", thetas0, prob.n_params)
    m = starts.shape[0]
    if m == 0:
        raise ValueError("thetas0 must have at least one row")
    options = {
        "steps": check_int("steps", steps, minimum=1),
        "lr": check_real("lr", lr, minimum=0.0, strict_min=True),
        "momentum": check_real("momentum", momentum, minimum=0.0, maximum=1.0),
        "rho": check_real("rho", rho, minimum=0.0, maximum=1.0),
        "eps": check_real("eps", eps, minimum=0.0, strict_min=True),
        "goal": check_real("goal", goal, minimum=0.0),
        "gtol": check_real("gtol", gtol, minimum=0.0),
        "record_every": check_int("record_every", record_every, minimum=0),
    }
    batch = check_int("batch", batch, minimum=1)
    check_client(client)
    check_progress(progress)
    n_rec = options["steps"] // options["record_every"] + 1 if options["record_every"] else 0
    # the result (thetas, history, five vectors), and the parts it is gathered from
    check_memory(2 * 8 * m * (prob.n_params + n_rec + 5),
                 f"an ensemble of {m} runs ({prob.n_params} parameters"
                 + (f", {n_rec} recorded losses each)" if n_rec else ")"),
                 hint="use fewer runs per call or a larger record_every")
    pieces = [(method, options, starts[lo:lo + batch]) for lo in range(0, m, batch)]
    parts: list = [None] * len(pieces)
    if client is None:
        # one step of one run first, so that a first-run compile is announced and kept out of
        # the bar
        with compile_notice():
            _run_batch(prob, method, {**options, "steps": 1, "record_every": 0}, starts[:1])
        with progress_bar(progress, total=m, unit="fit", desc=method) as bar:
            for i, piece in enumerate(pieces):
                parts[i] = _run_batch(prob, *piece)
                bar.update(piece[2].shape[0])
    else:
        for i, part in run_tasks(client, _run_batch, pieces, shared=(prob,), progress=progress,
                                 desc=method, unit="batch"):
            parts[i] = part
    out = {k: (None if parts[0][k] is None else np.concatenate([p[k] for p in parts]))
           for k in ("thetas", "losses", "grad_norms", "history", "reason", "n_iter",
                     "n_evals")}
    reason = out["reason"].astype(str)
    meta = {"method": method, **options, "batch": batch, "lanes": parts[0].get("lanes"),
            "problem": prob.describe()}
    return EnsembleResult(thetas=out["thetas"], losses=out["losses"],
                          grad_norms=out["grad_norms"], history=out["history"],
                          converged=np.isin(reason, ("loss goal", "gradient")), reason=reason,
                          n_iter=out["n_iter"], n_evals=out["n_evals"], meta=meta)

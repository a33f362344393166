"""Minibatch training: stochastic gradient descent with (Nesterov) momentum and Adam, the
training of Goodfellow & Vinyals (ICLR 2015, §2: "stochastic gradient descent (usually with
extra features such as momentum)").

Each epoch draws a fresh permutation of the samples from one ``numpy.random.Generator``
(``rng.permutation(n)``, ``rng = numpy.random.default_rng(seed)``) and cuts it into
consecutive batches of ``batch_size`` (the last one shorter when ``batch_size`` does not divide
n); every batch makes one step of an optimizer of :mod:`fastsurf.optim` on the gradient of the
batch's loss (:meth:`fastsurf.Problem.subset`: for the mean losses, the mean over the batch).
The same seed gives the same bits.

The result keeps a thinned trajectory (every ``record_every``-th step, at most
:data:`MAX_RECORDS` + 1 points by default) and the full-data training loss and error rate at
every epoch's end (and on a validation objective, if given): what the linear-interpolation and
off-path analyses of :mod:`fastsurf.paths` need, without storing every step.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ._memory import check_memory
from ._progress import check_progress, progress_bar
from ._results import Result
from ._validation import as_rng, as_theta, check_int, check_real
from .data import ClassificationData
from .optim import Adam, GDMomentum
from .problem import NonFiniteLossError

__all__ = ["MAX_RECORDS", "MinibatchResult", "adam", "sgd"]

#: Most trajectory points (beyond the start) that the default ``record_every`` keeps.
MAX_RECORDS = 1000

#: Reasons for which a minibatch run counts as converged.
CONVERGED_REASONS = ("loss goal", "error goal")


@dataclass(repr=False)
class MinibatchResult(Result):
    """Outcome of one minibatch training run.

    Attributes
    ----------
    theta : ndarray (P,)
        Final parameters.
    loss : float
        Training loss (full data) at ``theta``.
    converged : bool
        True when the loss goal or the error goal was reached at an epoch's end.
    reason : str
        "loss goal", "error goal", "max_epochs" or "diverged" (a minibatch's loss, gradient
        or step was not finite: ``theta`` is then the last finite point, whose full-data loss
        may itself overflow; or the training loss at an epoch's end was not finite).
    n_iter : int
        Optimizer steps (minibatches) taken.
    n_epochs : int
        Epochs completed.
    trajectory : ndarray (m, P)
        Parameters at the start, after every ``record_every``-th step and at the end.
    trajectory_steps : ndarray of int (m,)
        The step after which each trajectory row was taken (0: the start).
    epoch_loss, epoch_error : ndarray (n_epochs + 1,)
        Training loss and error rate at the start and after every epoch (``epoch_error`` is
        empty for data without class labels).
    val_loss, val_error : ndarray (n_epochs + 1,)
        The same on the validation objective (empty without one).
    meta : dict
        Method and settings (``method``, ``lr``, ``batch_size``, ``seed``, ...).
    """

    theta: np.ndarray
    loss: float
    converged: bool
    reason: str
    n_iter: int
    n_epochs: int
    trajectory: np.ndarray
    trajectory_steps: np.ndarray
    epoch_loss: np.ndarray
    epoch_error: np.ndarray
    val_loss: np.ndarray
    val_error: np.ndarray
    meta: dict = field(default_factory=dict)

    _repr_skip = ("meta",)


def _classifies(objective) -> bool:
    return isinstance(getattr(objective, "data", None), ClassificationData)


class _Monitor:
    """Full-data loss and error rate of the training (and validation) objective per epoch."""

    def __init__(self, problem, val):
        self.targets = [problem] + ([] if val is None else [val])
        self.loss = [[] for _ in self.targets]
        self.error = [[] for _ in self.targets]

    def record(self, theta) -> float:
        for k, obj in enumerate(self.targets):
            self.loss[k].append(obj.loss(theta))
            if _classifies(obj):
                self.error[k].append(obj.error_rate(theta))
        return self.loss[0][-1]

    def arrays(self):
        out = [np.array(v, dtype=float) for pair in zip(self.loss, self.error) for v in pair]
        return out + [np.empty(0)] * (4 - len(out))


def _check_run(problem, theta0, batch_size, epochs, record_every, val, goal, error_goal):
    if not callable(getattr(problem, "subset", None)):
        raise TypeError(f"minibatch training needs an objective with subset(rows) (a "
                        f"fastsurf.Problem on RegressionData or ClassificationData), got "
                        f"{type(problem).__name__}")
    theta = as_theta("theta0", theta0, problem.n_params)
    n = int(problem.data.n_samples) if hasattr(problem.data, "n_samples") else None
    if n is None:
        raise TypeError(f"minibatch training needs data with samples (RegressionData or "
                        f"ClassificationData), got {type(problem.data).__name__}")
    batch_size = check_int("batch_size", batch_size, minimum=1, maximum=n)
    epochs = check_int("epochs", epochs, minimum=1)
    steps = epochs * math.ceil(n / batch_size)
    if record_every is None:
        record_every = max(1, math.ceil(steps / MAX_RECORDS))
    record_every = check_int("record_every", record_every, minimum=1)
    if val is not None and getattr(val, "n_params", None) != problem.n_params:
        raise ValueError(f"val must be an objective with n_params={problem.n_params} (e.g. "
                         f"fastsurf.Problem(model, validation_data)), got "
                         f"{getattr(val, 'n_params', type(val).__name__)}")
    goal = -np.inf if goal is None else check_real("goal", goal)
    if error_goal is not None:
        error_goal = check_real("error_goal", error_goal, minimum=0.0, maximum=1.0)
        if not _classifies(problem):
            raise ValueError("error_goal needs ClassificationData (an error rate); use goal= "
                             "for a loss goal")
    return theta, n, batch_size, epochs, steps, record_every, goal, error_goal


def _train(problem, theta0, optimizer, lookahead, batch_size, epochs, seed, record_every,
           progress, val, goal, error_goal, meta) -> MinibatchResult:
    """The minibatch loop shared by :func:`sgd` and :func:`adam`. With ``lookahead`` the
    batch gradient is taken at theta + momentum v (Sutskever et al. 2013, eq. 3-4: Nesterov's
    accelerated gradient as heavy-ball momentum on a look-ahead gradient)."""
    theta, n, batch_size, epochs, steps, record_every, goal, error_goal = _check_run(
        problem, theta0, batch_size, epochs, record_every, val, goal, error_goal)
    check_progress(progress)
    rng = as_rng(seed)
    n_rec = steps // record_every + 2
    check_memory(8 * n_rec * problem.n_params,
                 f"a trajectory of {n_rec} points x {problem.n_params} parameters")
    traj = np.empty((n_rec, problem.n_params))
    rec_steps = np.empty(n_rec, dtype=np.int64)
    traj[0], rec_steps[0], m = theta, 0, 1
    monitor = _Monitor(problem, val)
    loss = monitor.record(theta)
    if not np.isfinite(loss):
        raise ValueError("theta0 gives a non-finite loss; start from a stable point")
    optimizer.reset()
    step, epoch, reason, mid_epoch = 0, 0, "max_epochs", False
    with progress_bar(progress, steps, unit="step", desc=meta["method"]) as bar:
        for epoch in range(1, epochs + 1):
            perm = rng.permutation(n)
            for start in range(0, n, batch_size):
                batch = problem.subset(perm[start:start + batch_size])
                at = theta
                if lookahead and optimizer.v is not None:
                    at = theta + optimizer.momentum * optimizer.v
                try:
                    new = optimizer.step(theta, batch.gradient(at))
                except NonFiniteLossError:
                    new = None
                if new is None or not np.all(np.isfinite(new)):
                    reason, mid_epoch = "diverged", True
                    break
                theta = new
                step += 1
                bar.update(1)
                if step % record_every == 0:
                    traj[m], rec_steps[m] = theta, step
                    m += 1
            if mid_epoch:
                epoch -= 1
                break
            loss = monitor.record(theta)
            if not np.isfinite(loss):
                reason = "diverged"
                break
            if loss <= goal:
                reason = "loss goal"
                break
            if error_goal is not None and monitor.error[0][-1] <= error_goal:
                reason = "error goal"
                break
    if rec_steps[m - 1] != step:
        traj[m], rec_steps[m] = theta, step
        m += 1
    if mid_epoch:
        loss = problem.loss(theta)     # the last finite point, inside an unfinished epoch
    epoch_loss, epoch_error, val_loss, val_error = monitor.arrays()
    return MinibatchResult(
        theta=theta, loss=float(loss), converged=reason in CONVERGED_REASONS, reason=reason,
        n_iter=step, n_epochs=epoch, trajectory=traj[:m].copy(),
        trajectory_steps=rec_steps[:m].copy(), epoch_loss=epoch_loss, epoch_error=epoch_error,
        val_loss=val_loss, val_error=val_error,
        meta={**meta, "batch_size": batch_size, "epochs": epochs, "record_every": record_every,
              "seed": int(seed) if isinstance(seed, numbers.Integral) else None})


_COMMON_DOC = """
    batch_size : int
        Samples per minibatch, 1 <= batch_size <= n (n: one full batch per step).
    epochs : int
        Passes over the data (>= 1).
    seed : int, Generator or None
        Seed of the generator whose ``permutation(n)`` orders every epoch (same seed, same
        bits).
    record_every : int or None
        Keep theta after every ``record_every``-th step (>= 1); None (default): the smallest
        interval that keeps at most ``MAX_RECORDS`` points. The start and the end are always
        kept.
    progress : bool or None
        A tqdm bar over the steps: always (True), never (False), after 2 s (None).
    val : objective, optional
        A validation objective with the same parameters (``fastsurf.Problem(model,
        val_data)``): its loss (and error rate, for ClassificationData) at every epoch's end.
    goal : float or None
        Stop when the training loss at an epoch's end is <= ``goal``.
    error_goal : float or None
        Stop when the training error rate at an epoch's end is <= ``error_goal`` (in [0, 1];
        ClassificationData only).

    Returns
    -------
    MinibatchResult
        ``reason`` one of "loss goal", "error goal", "max_epochs", "diverged".
"""


def sgd(problem, theta0, lr: float = 0.01, momentum: float = 0.9, nesterov: bool = False,
        batch_size: int = 32, epochs: int = 10, seed=0, record_every: int | None = None,
        progress: bool | None = None, val=None, goal: float | None = None,
        error_goal: float | None = None) -> MinibatchResult:
    """Minibatch stochastic gradient descent with heavy-ball momentum
    (:class:`fastsurf.optim.GDMomentum`: v <- momentum v - lr g; theta <- theta + v, g the
    gradient of one minibatch's loss) or, with ``nesterov=True``, Nesterov's accelerated
    gradient in the form of Sutskever et al. (2013, eq. 3-4): the same update with g taken at
    the look-ahead point theta + momentum v.

    Parameters
    ----------
    problem : Problem
        On RegressionData or ClassificationData (needs ``subset``, ``loss``, ``gradient``).
    theta0 : array_like, shape (P,)
        Start; its loss must be finite.
    lr : float
        Learning rate (> 0).
    momentum : float
        Momentum in [0, 1] (0: plain SGD).
    nesterov : bool
        Nesterov's look-ahead gradient.
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((60, 2))
    >>> prob = fs.Problem(fs.MLP((2, 8, 2), activation="relu"),
    ...                   fs.ClassificationData(x, (x[:, 0] > 0).astype(int)))
    >>> res = fs.train.sgd(prob, prob.init(0), lr=0.1, batch_size=10, epochs=20, seed=1)
    >>> res.n_iter, res.trajectory.shape, res.epoch_loss.shape
    (120, (121, 42), (21,))
    >>> bool(res.epoch_error[-1] < 0.1)
    True
    """
    if not isinstance(nesterov, (bool, np.bool_)):
        raise TypeError(f"nesterov must be True or False, got {type(nesterov).__name__}")
    opt = GDMomentum(lr, momentum)
    return _train(problem, theta0, opt, bool(nesterov), batch_size, epochs, seed, record_every,
                  progress, val, goal, error_goal,
                  {"method": "sgd", "lr": opt.lr, "momentum": opt.momentum,
                   "nesterov": bool(nesterov)})


def adam(problem, theta0, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
         eps: float = 1e-8, batch_size: int = 32, epochs: int = 10, seed=0,
         record_every: int | None = None, progress: bool | None = None, val=None,
         goal: float | None = None, error_goal: float | None = None) -> MinibatchResult:
    """Minibatch Adam (Kingma & Ba 2015, Algorithm 1; :class:`fastsurf.optim.Adam`) on the
    gradient of one minibatch's loss per step.

    Parameters
    ----------
    problem : Problem
        On RegressionData or ClassificationData (needs ``subset``, ``loss``, ``gradient``).
    theta0 : array_like, shape (P,)
        Start; its loss must be finite.
    lr : float
        Step size (> 0).
    beta1, beta2 : float
        Decay rates of the moment estimates, in [0, 1).
    eps : float
        Conditioning constant (> 0).
    {common}
    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((50, 1))
    >>> prob = fs.Problem(fs.MLP((1, 6, 1), activation="tanh"), fs.RegressionData(x, x ** 2))
    >>> res = fs.train.adam(prob, prob.init(0), lr=0.01, batch_size=16, epochs=30, seed=0)
    >>> bool(res.loss < res.epoch_loss[0]), res.epoch_error.size
    (True, 0)
    """
    opt = Adam(lr, beta1, beta2, eps)
    return _train(problem, theta0, opt, False, batch_size, epochs, seed, record_every,
                  progress, val, goal, error_goal,
                  {"method": "adam", "lr": opt.lr, "beta1": opt.beta1, "beta2": opt.beta2,
                   "eps": opt.eps})


for _f in (sgd, adam):
    if _f.__doc__:                      # None under python -OO
        _f.__doc__ = _f.__doc__.replace("    {common}\n", _COMMON_DOC.lstrip("\n"))

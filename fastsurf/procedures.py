"""Training procedures that avoid spurious valleys, after Horn, De Jesús & Hagan (2009),
Sections VI–VII.

A reconstruction: the text of those sections is missing from our copy. Their analysis
(Sections III–V) names two causes of spurious valleys, zero initial conditions and the
particular input sequence; the procedures here follow from them:

* (a) + (b) :func:`segmented` — cut the sequence into segments whose initial outputs are the
  preceding targets (or zero, (a) alone);
* (c) :func:`curriculum` — train on growing prefixes (:func:`prefix`);
* (d) the ``detector=`` of :func:`~fastsurf.trainers.levenberg_marquardt` — reject a step
  (raising mu) when one sequence's error jumps or the response grows
  (:class:`~fastsurf.trainers.InstabilityDetector`).

``scripts/horn2009_training.py`` measures which help (``docs/training.md``). These functions
build new Problems from a Problem's data, model and loss: they need sequence data.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_theta, check_choice, check_int
from .data import SequenceData
from .problem import Problem
from .trainers import TRAINERS, TrainResult

__all__ = ["curriculum", "prefix", "segmented"]


def segmented(problem, length: int, initial: str = "targets") -> Problem:
    """The same training data cut into segments of ``length`` steps, as several sequences.

    ``initial="targets"`` gives each segment the preceding targets as initial outputs (known
    at training time: estimated, non-zero initial conditions, procedures (a) + (b));
    ``"zero"`` gives zero initial outputs (procedure (a) alone). The first segment keeps the
    original initial outputs; a last partial segment (T not a multiple of ``length``) is
    dropped. A teacher's parameters stay an exact zero of the loss with ``"targets"``.
    Returns a new Problem of the same model and loss.
    """
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


def prefix(problem, T: int) -> Problem:
    """The first ``T`` steps of every sequence, as a new Problem."""
    d = problem.data
    T = check_int("T", T, minimum=1, maximum=d.T)
    return Problem(problem.model, SequenceData(d.p[:, :T], d.t[:, :T], d.a0),
                   loss=problem.loss_kind)


def curriculum(problem, theta0, lengths=None, method: str = "lm", **options) -> TrainResult:
    """Train on growing prefixes of the sequences (procedure (c)): each stage starts where the
    previous stopped. ``lengths`` default T/8, T/4, T/2, T. Returns the last stage's result
    with the whole trajectory and history (the loss on the whole sequences) and the total
    evaluations."""
    trainer = TRAINERS[check_choice("method", method, TRAINERS)]
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

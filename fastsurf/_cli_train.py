"""``fastsurf train``: many training runs of Horn's neurons, summarised."""

from __future__ import annotations

import time

import numpy as np

from .data import make_sequence_data
from .models import RecurrentNeuron
from .multistart import label_end_point
from .problem import Problem
from .procedures import curriculum, segmented
from .trainers import TRAINERS, InstabilityDetector

NETS = {"linear": ("purelin", 1, (0.5, 0.5)), "tansig": ("tansig", 1, (0.5, 0.5)),
        "second-order": ("tansig", 2, (0.5, 0.5, -0.3))}
PROCEDURES = ("plain", "segments", "curriculum", "detector")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="many LM/BFGS/GD/Adadelta runs of a recurrent neuron, summarised",
        description="Train Horn et al.'s neuron on teacher data from many random starts and "
                    "print how many runs reach the teacher and how many end in spurious "
                    "valleys.")
    p.add_argument("--net", choices=sorted(NETS), default="linear")
    p.add_argument("--method", choices=tuple(TRAINERS), default="lm")
    p.add_argument("--procedure", choices=PROCEDURES, default="plain",
                   help="segments: 10-step segments with target initial outputs; curriculum: "
                        "growing prefixes; detector: LM rejecting unstable steps")
    p.add_argument("--starts", type=int, default=200, help="number of runs (default 200)")
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args) -> int:
    transfer, delays, theta_true = NETS[args.net]
    model = RecurrentNeuron(transfer, feedback_delays=delays)
    problem = Problem(model, make_sequence_data(model, theta_true, T=args.T, seed=0))
    if args.starts < 1:
        raise ValueError(f"--starts must be >= 1, got {args.starts}")
    if args.procedure == "curriculum":
        def fn(th):
            return curriculum(problem, th, method=args.method)
    else:
        target = segmented(problem, 10) if args.procedure == "segments" else problem
        opts = {"detector": InstabilityDetector()} if args.procedure == "detector" else {}
        if opts and args.method != "lm":
            raise ValueError("--procedure detector works with --method lm")

        def fn(th):
            return TRAINERS[args.method](target, th, **opts)
    rng = np.random.default_rng(args.seed)
    lo = [-2.0] + [-1.5] * (model.n_params - 1)
    hi = [2.0] + [1.5] * (model.n_params - 1)
    t0 = time.perf_counter()
    labels, iters = [], []
    for th in rng.uniform(lo, hi, (args.starts, model.n_params)):
        res = fn(th)
        labels.append(label_end_point(problem, res.theta, problem.loss(res.theta),
                                      theta_true=theta_true, tol=1e-3))
        iters.append(res.n_iter)
    wall = time.perf_counter() - t0
    labels = np.array(labels)
    print(f"fastsurf train: {args.net} neuron, {args.method}, {args.procedure}, "
          f"{args.starts} starts, T={args.T}")
    for kind in ("global", "spurious valley", "other"):
        k = int(np.sum(labels == kind))
        print(f"  {kind:16s} {k:6d}  ({100 * k / args.starts:.1f}%)")
    print(f"  median iterations {np.median(iters):.0f}; {args.starts / wall:.0f} runs/s")
    return 0

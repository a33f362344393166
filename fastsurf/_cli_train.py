"""``fastsurf train``: many training runs of Horn's neurons, summarised.

Every procedure goes through :func:`fastsurf.multistart.multistart`, so the starts (the
documented box of :func:`fastsurf.horn.start_box`, drawn by ``problem.init``), the labels
(:data:`fastsurf.multistart.LABELS`) and the progress bar are those of the library:

* plain and segments with ``--method lm``: the parallel LM kernel (``engine="numba"``);
* detector (LM rejecting unstable steps), and bfgs, gd, adadelta: the "python" engine, one
  trainer call per start (no kernel has these);
* curriculum: the "python" engine with :func:`fastsurf.procedures.curriculum` as the trainer.

The printed rate excludes compilation: the same work runs first on a couple of starts inside
:func:`fastsurf._compile.compile_notice`.
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np

from . import horn
from ._compile import compile_notice
from .multistart import LABELS, MultistartResult, multistart
from .procedures import curriculum, segmented
from .trainers import TRAINERS, InstabilityDetector

#: Horn's nets (the one table, :data:`fastsurf.horn.NETS`).
NETS = horn.NETS
PROCEDURES = ("plain", "segments", "curriculum", "detector")
#: Starts of the warm-up run that compiles (or loads) the kernels before the timed run.
WARMUP_STARTS = 2
#: Relative distance to the teacher of a "global" run.
TOL = 1e-3


def register(subparsers) -> None:
    """Add the ``train`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "train", help="many LM/BFGS/GD/Adadelta runs of a recurrent neuron, summarised",
        description="Train Horn et al.'s neuron on teacher data from many random starts "
                    "(uniform in the box of fastsurf.horn.start_box: w1 in [-2, 2], feedback "
                    "weights in [-1.5, 1.5]) and print how the runs end: "
                    + "; ".join(f"{k}: {v}" for k, v in LABELS.items()) + ".")
    p.add_argument("--net", choices=sorted(NETS), default="linear")
    p.add_argument("--method", choices=tuple(TRAINERS), default="lm")
    p.add_argument("--procedure", choices=PROCEDURES, default="plain",
                   help="segments: 10-step segments with target initial outputs; curriculum: "
                        "growing prefixes; detector: LM rejecting unstable steps")
    p.add_argument("--starts", type=int, default=200, help="number of runs (default 200)")
    p.add_argument("--T", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def _work(args: argparse.Namespace):
    """(objective to train on, method for multistart, its options) of the procedure."""
    problem = horn.problem(args.net, T=args.T)
    if args.procedure == "curriculum":
        return problem, functools.partial(curriculum, method=args.method), {}
    if args.procedure == "detector":
        if args.method != "lm":
            raise ValueError("--procedure detector works with --method lm")
        return problem, "lm", {"detector": InstabilityDetector()}
    target = segmented(problem, 10) if args.procedure == "segments" else problem
    return target, args.method, {}


def train_runs(args: argparse.Namespace) -> tuple[MultistartResult, float]:
    """The runs of ``fastsurf train`` and their wall time in seconds (compilation excluded)."""
    if args.starts < 1:
        raise ValueError(f"--starts must be >= 1, got {args.starts}")
    target, method, options = _work(args)
    kw = {"method": method, "seed": args.seed, "theta_true": NETS[args.net].theta_true,
          "tol": TOL, **options}
    with compile_notice():
        multistart(target, min(WARMUP_STARTS, args.starts), progress=False, **kw)
    t0 = time.perf_counter()
    res = multistart(target, args.starts, progress=False if args.no_progress else None, **kw)
    return res, time.perf_counter() - t0


def run(args: argparse.Namespace) -> int:
    """``fastsurf train``: print the share of runs of every label, iterations and rate."""
    res, wall = train_runs(args)
    n = args.starts
    print(f"fastsurf train: {args.net} neuron, {args.method}, {args.procedure}, "
          f"{n} starts, T={args.T} ({res.meta['engine']} engine)")
    for kind in LABELS:
        k = int(np.sum(res.labels == kind))
        print(f"  {kind:16s} {k:6d}  ({100 * k / n:.1f}%)")
    print(f"  median iterations {np.median(res.n_iter):.0f}; {n / wall:.0f} runs/s "
          f"({wall:.3f} s, compilation excluded)")
    return 0

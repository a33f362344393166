"""``fastsurf roots``: roots and frozen roots of an input sequence's response polynomial.

Every user error (bad flag value, unreadable or malformed ``--input``, a sequence too long for the
root finder) raises ``ValueError`` with a message naming the flag, before any root is computed;
``fastsurf.cli.main`` prints it on one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import warnings
from pathlib import Path

import numpy as np

from . import roots as R


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``roots`` sub-command to an ``argparse`` sub-parser collection."""
    p = subparsers.add_parser(
        "roots", help="real roots (valleys) of the linear neuron's response polynomial",
        description="Roots of a(T) of the linear neuron as a polynomial in w2 (Horn eq. 2) for a "
                    "white-noise input (or one read from a file): real roots outside the unit "
                    "circle are spurious valleys w2 = r; frozen ones stay as T grows.")
    p.add_argument("--T", type=int, default=100,
                   help="sequence length (default 100; at most about 5000, the degree limit of "
                        "the root finder)")
    p.add_argument("--seed", type=int, default=0, help="seed of the N(0, 1) input")
    p.add_argument("--input", type=Path, default=None,
                   help="read p(1..T) from a .npy or text file instead (a 1-D sequence; then "
                        "--T is ignored)")
    p.add_argument("--w1", type=float, default=1.0, help="input weight (default 1)")
    p.add_argument("--a0", type=float, default=0.0, help="initial output a(0) (default 0)")
    p.add_argument("--frozen-window", type=int, default=10,
                   help="orders over which a frozen root must not move (default 10)")
    p.add_argument("--tol", type=float, default=1e-6, help="movement tolerance (default 1e-6)")
    p.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> None:
    """Flag values, each refused with a message naming the flag."""
    if args.input is None and args.T < 1:
        raise ValueError(f"--T must be >= 1, got {args.T}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    for flag, value in (("--w1", args.w1), ("--a0", args.a0), ("--tol", args.tol)):
        if not math.isfinite(value):
            raise ValueError(f"{flag} must be a finite number, got {value}")
    if args.tol < 0:
        raise ValueError(f"--tol must be >= 0, got {args.tol}")
    if args.frozen_window < 1:
        raise ValueError(f"--frozen-window must be >= 1, got {args.frozen_window}")


def _read_input(path: Path) -> np.ndarray:
    """The 1-D finite real sequence stored in a .npy or text file."""
    if not path.exists():
        raise ValueError(f"--input file {path} does not exist")
    if not path.is_file():
        raise ValueError(f"--input {path} is not a file (a directory?)")
    if path.suffix == ".npz":
        raise ValueError(f"--input {path}: .npz archives are not read; save the sequence with "
                         "numpy.save (.npy) or as a text file with one number per line")
    try:
        if path.suffix == ".npy":
            p = np.load(path, allow_pickle=False)
        else:
            with warnings.catch_warnings():          # an empty file is reported below
                warnings.simplefilter("ignore", UserWarning)
                p = np.loadtxt(path, ndmin=1)
    except (OSError, ValueError, EOFError, UnicodeDecodeError) as err:
        kind = ".npy" if path.suffix == ".npy" else "text"
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"--input {path}: not a readable {kind} file of numbers ({first})") \
            from None
    p = np.asarray(p)
    if p.dtype == bool or not (np.issubdtype(p.dtype, np.integer)
                               or np.issubdtype(p.dtype, np.floating)):
        raise ValueError(f"--input {path} must hold real numbers, got dtype {p.dtype}")
    if p.ndim != 1:
        raise ValueError(f"--input {path} must hold a 1-D sequence p(1..T), got an array of "
                         f"shape {p.shape}")
    if p.size == 0:
        raise ValueError(f"--input {path} holds no numbers")
    p = p.astype(float)
    bad = int(p.size - np.count_nonzero(np.isfinite(p)))
    if bad:
        raise ValueError(f"--input {path} must hold finite numbers; found {bad} NaN/inf")
    return p


def _check_size(where: str, degree: int, T: int, window: int, frozen: bool) -> None:
    """Refuse sequences whose root computations exceed the root finder's limits."""
    if degree > R.MAX_DEGREE:
        raise ValueError(
            f"{where} gives a polynomial of degree {degree}, above the root finder's limit of "
            f"{R.MAX_DEGREE} (companion-matrix eigenvalues cost O(k^3): degree {degree} would "
            f"take about {(degree / R.MAX_DEGREE) ** 3:.0f} min); use a shorter sequence")
    work = (window + 1) * float(T - 1) ** 3
    if frozen and work > R.MAX_WORK:
        raise ValueError(
            f"{where} with --frozen-window {window} needs {window + 1} root computations of "
            f"degree {T - 1}, above the work limit of {R.MAX_WORK:.3g} = {R.MAX_DEGREE}^3 "
            f"(about {work / R.MAX_WORK:.0f} min); lower --frozen-window or T")


def run(args: argparse.Namespace) -> int:
    """Run ``fastsurf roots``: print the roots outside the unit circle and the frozen ones."""
    _check_args(args)
    if args.input is not None:
        p = _read_input(args.input)
        where = f"--input {args.input} (T={p.size})"
    else:
        p = np.random.default_rng(args.seed).standard_normal(args.T)
        where = f"--T {args.T}"
    c = R.response_coefficients(p, w1=args.w1, a0=args.a0)
    if not np.any(c):
        raise ValueError("a(T) vanishes for every w2 (" + ("--w1 is 0" if args.w1 == 0 else
                         "the input is all zero") + " and --a0 is 0): there are no roots to find")
    degree = int(np.flatnonzero(c)[-1])
    frozen = p.size > args.frozen_window and args.a0 == 0.0
    _check_size(where, degree, p.size, args.frozen_window, frozen)

    real = R.real_roots(c)
    outside = real[np.abs(real) > 1]
    print(f"fastsurf roots: T={p.size}, degree {degree}, "
          f"{real.size} real roots, {outside.size} outside the unit circle")
    for r in outside:
        kappa = R.condition_number(c, r) if math.isfinite(r) else math.inf
        print(f"  w2 = {r:+.10f}   condition number {kappa:.3g}")
    if frozen:
        fr = R.frozen_roots(p, w1=args.w1, m=args.frozen_window, tol=args.tol)
        print(f"frozen over the last {args.frozen_window} orders (moved < {args.tol:g}): "
              f"{fr.roots.size}")
        for r, move, shift in zip(fr.roots, fr.movement, fr.predicted_shift):
            print(f"  w2 = {r:+.10f}   moved {move:.2e}   predicted shift per unit input "
                  f"{shift:+.2e}")
    return 0

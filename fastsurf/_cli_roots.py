"""``fastsurf roots``: roots and frozen roots of an input sequence's response polynomial."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "roots", help="real roots (valleys) of the linear neuron's response polynomial",
        description="Roots of a(T) of the linear neuron as a polynomial in w2 (Horn eq. 2) for a "
                    "white-noise input (or one read from a file): real roots outside the unit "
                    "circle are spurious valleys w2 = r; frozen ones stay as T grows.")
    p.add_argument("--T", type=int, default=100, help="sequence length (default 100)")
    p.add_argument("--seed", type=int, default=0, help="seed of the N(0, 1) input")
    p.add_argument("--input", type=Path, default=None,
                   help="read p(1..T) from a .npy or text file instead (then --T is ignored)")
    p.add_argument("--w1", type=float, default=1.0, help="input weight (default 1)")
    p.add_argument("--a0", type=float, default=0.0, help="initial output a(0) (default 0)")
    p.add_argument("--frozen-window", type=int, default=10,
                   help="orders over which a frozen root must not move (default 10)")
    p.add_argument("--tol", type=float, default=1e-6, help="movement tolerance (default 1e-6)")
    p.set_defaults(func=run)


def _read_input(path: Path) -> np.ndarray:
    if not path.exists():
        raise ValueError(f"--input file {path} does not exist")
    return np.load(path) if path.suffix == ".npy" else np.loadtxt(path)


def run(args) -> int:
    from . import roots as R
    p = (_read_input(args.input) if args.input is not None
         else np.random.default_rng(args.seed).standard_normal(args.T))
    p = np.ravel(p)
    c = R.response_coefficients(p, w1=args.w1, a0=args.a0)
    real = R.real_roots(c)
    outside = real[np.abs(real) > 1]
    print(f"fastsurf roots: T={p.size}, degree {c.size - 1 if args.a0 else c.size - 2}, "
          f"{real.size} real roots, {outside.size} outside the unit circle")
    for r in outside:
        print(f"  w2 = {r:+.10f}   condition number {R.condition_number(c, r):.3g}")
    if p.size > args.frozen_window and args.a0 == 0.0:
        fr = R.frozen_roots(p, w1=args.w1, m=args.frozen_window, tol=args.tol)
        print(f"frozen over the last {args.frozen_window} orders (moved < {args.tol:g}): "
              f"{fr.roots.size}")
        for r, move, shift in zip(fr.roots, fr.movement, fr.predicted_shift):
            print(f"  w2 = {r:+.10f}   moved {move:.2e}   predicted shift per unit input "
                  f"{shift:+.2e}")
    return 0

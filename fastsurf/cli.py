"""The ``fastsurf`` command (also ``python -m fastsurf``)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from . import _cli_roots, _cli_train, horn, plot, scan, valleys
from ._compile import compile_notice
from ._evaluate import check_grid_memory

#: Horn's nets (the one table, :data:`fastsurf.horn.NETS`).
NETS = horn.NETS


def _pair(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MIN,MAX, got {text!r}") from None
    return lo, hi


def _shape(text: str) -> tuple[int, int]:
    try:
        parts = [int(v) for v in text.lower().replace("x", ",").split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NY,NX (or N), got {text!r}") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"expected NY,NX (or N), got {text!r}")
    return parts[0], parts[1]


def _add_scan(subparsers) -> None:
    p = subparsers.add_parser(
        "scan", help="error surface of a recurrent neuron over (w1, w2)",
        description="Scan the SSE of Horn et al.'s recurrent neuron over a grid of (w1, w2) "
                    "(Fig. 3 set-up by default) and write surface.npz and surface.png.")
    p.add_argument("--net", choices=sorted(NETS), default="linear",
                   help="linear: a(k) = w1 p(k) + w2 a(k-1); tansig: tanh of that; "
                        "second-order: tansig with two feedback delays (w3 fixed at -0.3)")
    p.add_argument("--T", type=int, default=100, help="sequence length (default 100)")
    p.add_argument("--n-seq", type=int, default=1, help="number of sequences (default 1)")
    p.add_argument("--x-range", type=_pair, default=(-2.0, 2.0),
                   help="w1 range, e.g. --x-range=-2,2")
    p.add_argument("--y-range", type=_pair, default=(-5.0, 5.0),
                   help="w2 range, e.g. --y-range=-5,5")
    p.add_argument("--shape", type=_shape, default=(1024, 1024), help="NY,NX (default 1024)")
    p.add_argument("--seed", type=int, default=0, help="seed of the white-noise input")
    p.add_argument("--out", type=Path, default=Path("."), help="output folder (default .)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--no-plot", action="store_true", help="do not write surface.png")
    p.add_argument("--method", choices=("auto", "brute"), default="auto",
                   help="auto: exploit structure where it applies (default); brute: run the "
                        "recurrence at every point")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of the recurrence (float32: about twice as fast, ~1e-7 "
                        "relative; default float64)")
    p.add_argument("--store", type=Path, default=None,
                   help="stream the grid tile by tile into this Zarr directory; running the "
                        "same command again resumes an interrupted scan")
    p.add_argument("--valleys", action="store_true",
                   help="overlay the valleys predicted by theory (and list them)")
    p.set_defaults(func=run_scan)


def writable_folder(path: Path, option: str) -> Path:
    """Create ``path`` (a folder) if needed and check that files can be written in it, before
    any work is done; ValueError naming ``option`` otherwise."""
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.is_dir():
            raise ValueError(f"{option} {str(path)!r}: {str(parent)!r} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"{option} {str(path)!r} cannot be created ({err.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {str(path)!r} is not writable")
    return path


def run_scan(args) -> int:
    writable_folder(args.out, "--out")
    if args.store is not None:
        if args.store.exists() and not args.store.is_dir():
            raise ValueError(f"--store {str(args.store)!r} is a file, not a Zarr directory")
        writable_folder(args.store.parent, "--store (its folder)")
    theta_true = NETS[args.net].theta_true
    problem = horn.problem(args.net, T=args.T, n_seq=args.n_seq, seed=args.seed)
    progress = False if args.no_progress else None
    if args.store is None:
        # refuse an impossible grid before the warm-up compile prints anything
        check_grid_memory(*args.shape, np.dtype(args.dtype).itemsize)
    with compile_notice():
        # the same kernels on a tiny grid first, so the time below excludes compilation
        scan.grid(problem, np.array(theta_true), axes=(0, 1), ranges=(args.x_range, args.y_range),
                  shape=(8, 8), progress=False, method=args.method, dtype=args.dtype)
    t0 = time.perf_counter()
    surface = scan.grid(problem, np.array(theta_true), axes=(0, 1),
                        ranges=(args.x_range, args.y_range), shape=args.shape, progress=progress,
                        method=args.method, dtype=args.dtype, store=args.store)
    elapsed = time.perf_counter() - t0
    npz = surface.save(args.out / "surface.npz")
    ny, nx = surface.shape
    steps = ny * nx * args.T * args.n_seq
    print(f"fastsurf scan: {args.net} neuron, T={args.T}, n_seq={args.n_seq}, "
          f"grid {ny}x{nx} over w1 in {args.x_range}, w2 in {args.y_range}"
          + ("" if args.dtype == "float64" else f", {args.dtype}")
          + ("" if args.method == "auto" else f", method={args.method}"))
    print(f"  time        {elapsed:.3f} s  ({steps / elapsed / 1e9:.2f} G grid-point-steps/s)")
    if surface.n_nonfinite < surface.values.size:
        x, y, best = surface.argmin()
        print(f"  minimum     SSE = {best:.6g} at w1 = {x:.4f}, w2 = {y:.4f}")
    else:
        print("  minimum     none: every cell overflowed")
    share = 100 * surface.n_nonfinite / surface.values.size
    print(f"  non-finite  {surface.n_nonfinite} cells ({share:.2f}%)")
    print(f"  wrote       {npz}")
    if args.store is not None:
        print(f"  store       {args.store} ({surface.meta['tiles_computed']} of "
              f"{surface.meta['tiles']} tiles computed now)")
    if args.valleys:
        predicted = valleys.predict(problem, ranges=(args.x_range, args.y_range), axes=(0, 1),
                            center=theta_true)
        print(f"  valleys     {len(predicted)} predicted by theory:")
        for v in predicted:
            where = f"w2 = {v.root:+.6f}" if v.root is not None else f"{len(v.x)} points"
            print(f"              {v.kind:12s} {where}")
    if not args.no_plot:
        import matplotlib
        matplotlib.use("Agg")
        title = f"log10 SSE, {args.net} neuron, T = {args.T}"
        if args.valleys:
            fig = plot.surface_with_valleys(surface, predicted, title=title)
        else:
            fig = surface.plot(log=True, title=title)
        png = args.out / "surface.png"
        fig.savefig(png, dpi=110)
        print(f"  wrote       {png}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastsurf", description="Exact, high-resolution error surfaces of small neural nets.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    _add_scan(subparsers)
    _cli_roots.register(subparsers)
    _cli_train.register(subparsers)
    for p in (parser, *subparsers.choices.values()):
        _one_line_errors(p)
    return parser


def _one_line_errors(p: argparse.ArgumentParser) -> None:
    """argparse prints the usage, then the error; a user error here is one line, exit 2."""
    def error(message: str):
        p.exit(2, f"{p.prog}: error: {message}\n")
    p.error = error


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, TypeError) as err:
        print(f"fastsurf {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Which training procedures avoid spurious valleys? Many LM runs per configuration.

    python scripts/horn2009_training.py [--starts 1000] [--out horn2009_training] [--quick]

A reconstruction, not Horn et al.'s procedure: their Sections VI–VII are lost. Their analysis
names two causes of spurious valleys, zero initial conditions and the particular input
sequence; the procedures below follow from them (fastsurf.procedures, fastsurf.trainers):

  plain          LM on the whole sequence (T = 100, a(0) = 0)
  segments+a0    10 segments of 10 steps, initial outputs = preceding targets   (a)+(b)
  segments       10 segments of 10 steps, zero initial outputs                  (a)
  curriculum     LM on prefixes of 12, 25, 50, 100 steps                        (c)
  detector       LM rejecting steps where one sequence's SSE doubles or the
                 response exceeds 10x the targets (mu is raised)                (d)
  segments+a0+detector

For each cell: % of runs ending at the teacher's weights (within 1e-3 relative), % ending in a
spurious valley (unstable feedback at the end point), with Wilson 95 % intervals, % that
stalled (no accepted step) or diverged (fastsurf.multistart.LABELS), median LM iterations and
wall time per run. Starts are the default starts of fastsurf.horn.problem(net).init, uniform in
fastsurf.horn.start_box: [-2, 2] x [-1.5, 1.5] (x [-1.5, 1.5] for the second-order net), the
same starts for every procedure. Every cell runs through fastsurf.multistart.multistart, by
default on its "python" engine (one LM call per start, as the table in docs/training.md);
--engine auto runs plain and segmented LM in the parallel kernel.
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import fastsurf as fs  # noqa: E402
from fastsurf import horn  # noqa: E402
from fastsurf.multistart import label_end_point, multistart  # noqa: E402
from fastsurf.procedures import curriculum, segmented  # noqa: E402
from fastsurf.trainers import InstabilityDetector, levenberg_marquardt  # noqa: E402

#: Row names of the table and their nets in fastsurf.horn.NETS.
CONFIGS = {"first-order linear": "linear", "first-order tansig": "tansig",
           "second-order tansig": "second-order"}


def procedures(problem):
    """(objective, method, options) of multistart for every procedure."""
    det = InstabilityDetector(jump=2.0, growth=10.0)
    seg = segmented(problem, 10)
    zero = segmented(problem, 10, initial="zero")
    return {
        "plain": (problem, "lm", {}),
        "segments+a0": (seg, "lm", {}),
        "segments": (zero, "lm", {}),
        "curriculum": (problem, functools.partial(curriculum, lengths=[12, 25, 50, 100]), {}),
        "detector": (problem, "lm", {"detector": det}),
        "segments+a0+detector": (seg, "lm", {"detector": det}),
    }


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion k / n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


def run(starts_per_cell: int, seed: int = 0, engine: str = "python"):
    """One row per (net, procedure): label counts with Wilson intervals, iterations, time."""
    rows = []
    for name, net in CONFIGS.items():
        problem = horn.problem(net, T=100, seed=0)
        theta_true = horn.NETS[net].theta_true
        for proc, (target, method, options) in procedures(problem).items():
            kw = {"seed": seed, "theta_true": theta_true, "tol": 1e-3, "progress": False,
                  "engine": engine if method == "lm" and not options else "python", **options}
            multistart(target, 2, method, **kw)                  # compile / load the kernels
            t0 = time.perf_counter()
            res = multistart(target, starts_per_cell, method, **kw)
            wall = (time.perf_counter() - t0) / starts_per_cell
            count = {label: int(np.sum(res.labels == label)) for label in fs.multistart.LABELS}
            n_g, n_s = count["global"], count["spurious valley"]
            rows.append({"config": name, "procedure": proc, "n": starts_per_cell,
                         "global": n_g, "spurious": n_s, "stalled": count["stalled"],
                         "diverged": count["diverged"], "other": count["other"],
                         "global_ci": wilson(n_g, starts_per_cell),
                         "spurious_ci": wilson(n_s, starts_per_cell),
                         "median_iter": float(np.median(res.n_iter)), "ms_per_run": 1e3 * wall})
            r = rows[-1]
            print(f"{name:20s} {proc:22s} global {100 * n_g / starts_per_cell:5.1f}%  "
                  f"spurious {100 * n_s / starts_per_cell:5.1f}%  "
                  f"stalled {100 * r['stalled'] / starts_per_cell:5.1f}%  "
                  f"iters {r['median_iter']:.0f}  {r['ms_per_run']:.1f} ms/run", flush=True)
    return rows


def table(rows) -> str:
    """The rows as the Markdown table of docs/training.md."""
    lines = ["| network | procedure | runs | at the teacher (95% CI) | in a spurious valley "
             "(95% CI) | stalled | diverged | median iterations | ms / run |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        g0, g1 = r["global_ci"]
        s0, s1 = r["spurious_ci"]
        lines.append(f"| {r['config']} | {r['procedure']} | {r['n']} | "
                     f"{100 * r['global'] / r['n']:.1f}% ({100 * g0:.1f}–{100 * g1:.1f}) | "
                     f"{100 * r['spurious'] / r['n']:.1f}% ({100 * s0:.1f}–{100 * s1:.1f}) | "
                     f"{100 * r['stalled'] / r['n']:.1f}% | "
                     f"{100 * r['diverged'] / r['n']:.1f}% | "
                     f"{r['median_iter']:.0f} | {r['ms_per_run']:.1f} |")
    return "\n".join(lines)


def trajectory_figure(path: Path, runs: int = 40, seed: int = 0) -> None:
    """Trapped and escaped plain-LM runs of the linear neuron over its error surface, with the
    valleys theory predicts."""
    problem = horn.problem("linear", T=100, seed=0)
    theta_true = horn.NETS["linear"].theta_true
    rng = np.random.default_rng(seed)
    starts = [problem.init(rng) for _ in range(runs)]         # the box of horn.start_box
    results = [levenberg_marquardt(problem, th) for th in starts]
    labels = [label_end_point(problem, r.theta, r.loss, theta_true=theta_true, tol=1e-3,
                              reason=r.reason, n_iter=r.n_iter) for r in results]
    lo, hi = horn.start_box("linear")
    ranges = tuple((float(a), float(b)) for a, b in zip(lo, hi))
    surf = fs.scan.grid(problem, list(theta_true), ranges=ranges, shape=(400, 400),
                        progress=False)
    fig = fs.plot.trajectories(surf, results, labels, fs.valleys.predict(problem, ranges))
    fig.axes[0].set_title("plain LM: green reached the teacher, red ended in a valley")
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--starts", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="20 starts per cell")
    ap.add_argument("--engine", choices=("python", "auto"), default="python",
                    help="python: one LM call per start (the table's timings); auto: the "
                         "parallel LM kernel for plain and segmented LM")
    ap.add_argument("--out", type=Path, default=Path("horn2009_training"))
    args = ap.parse_args(argv)
    rows = run(20 if args.quick else args.starts, args.seed, args.engine)
    args.out.mkdir(parents=True, exist_ok=True)
    text = table(rows)
    (args.out / "table.md").write_text(text + "\n")
    trajectory_figure(args.out / "trajectories_linear.png")
    print(text)


if __name__ == "__main__":
    main()

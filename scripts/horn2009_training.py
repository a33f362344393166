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
spurious valley (unstable feedback at the end point), with Wilson 95 % intervals, median LM
iterations and wall time per run. Starts are uniform in [-2, 2] x [-1.5, 1.5] (x [-1.5, 1.5]
for the second-order net), the same starts for every procedure.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import fastsurf as fs  # noqa: E402
from fastsurf.multistart import label_end_point  # noqa: E402
from fastsurf.procedures import curriculum, segmented  # noqa: E402
from fastsurf.trainers import InstabilityDetector, levenberg_marquardt  # noqa: E402

CONFIGS = {
    "first-order linear": (fs.RecurrentNeuron("purelin"), (0.5, 0.5)),
    "first-order tansig": (fs.RecurrentNeuron("tansig"), (0.5, 0.5)),
    "second-order tansig": (fs.RecurrentNeuron("tansig", feedback_delays=2), (0.5, 0.5, -0.3)),
}


def procedures(problem):
    det = InstabilityDetector(jump=2.0, growth=10.0)
    seg = segmented(problem, 10)
    zero = segmented(problem, 10, initial="zero")
    return {
        "plain": lambda th: levenberg_marquardt(problem, th),
        "segments+a0": lambda th: levenberg_marquardt(seg, th),
        "segments": lambda th: levenberg_marquardt(zero, th),
        "curriculum": lambda th: curriculum(problem, th, lengths=[12, 25, 50, 100]),
        "detector": lambda th: levenberg_marquardt(problem, th, detector=det),
        "segments+a0+detector": lambda th: levenberg_marquardt(seg, th, detector=det),
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


def run(starts_per_cell: int, seed: int = 0):
    rows = []
    for name, (model, theta_true) in CONFIGS.items():
        problem = fs.Problem(model, fs.make_sequence_data(model, theta_true, T=100, seed=0))
        rng = np.random.default_rng(seed)
        lo = [-2.0] + [-1.5] * (model.n_params - 1)
        hi = [2.0] + [1.5] * (model.n_params - 1)
        starts = rng.uniform(lo, hi, (starts_per_cell, model.n_params))
        for proc, fn in procedures(problem).items():
            labels, iters = [], []
            t0 = time.perf_counter()
            for th in starts:
                res = fn(th)
                labels.append(label_end_point(problem, res.theta, problem.loss(res.theta),
                                              theta_true=theta_true, tol=1e-3))
                iters.append(res.n_iter)
            wall = (time.perf_counter() - t0) / starts_per_cell
            labels = np.array(labels)
            n_g = int(np.sum(labels == "global"))
            n_s = int(np.sum(labels == "spurious valley"))
            rows.append({"config": name, "procedure": proc, "n": starts_per_cell,
                         "global": n_g, "spurious": n_s, "global_ci": wilson(n_g, starts_per_cell),
                         "spurious_ci": wilson(n_s, starts_per_cell),
                         "median_iter": float(np.median(iters)), "ms_per_run": 1e3 * wall})
            r = rows[-1]
            print(f"{name:20s} {proc:22s} global {100 * n_g / starts_per_cell:5.1f}%  "
                  f"spurious {100 * n_s / starts_per_cell:5.1f}%  "
                  f"iters {r['median_iter']:.0f}  {r['ms_per_run']:.1f} ms/run", flush=True)
    return rows


def table(rows) -> str:
    lines = ["| network | procedure | runs | at the teacher (95% CI) | in a spurious valley "
             "(95% CI) | median iterations | ms / run |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        g0, g1 = r["global_ci"]
        s0, s1 = r["spurious_ci"]
        lines.append(f"| {r['config']} | {r['procedure']} | {r['n']} | "
                     f"{100 * r['global'] / r['n']:.1f}% ({100 * g0:.1f}–{100 * g1:.1f}) | "
                     f"{100 * r['spurious'] / r['n']:.1f}% ({100 * s0:.1f}–{100 * s1:.1f}) | "
                     f"{r['median_iter']:.0f} | {r['ms_per_run']:.1f} |")
    return "\n".join(lines)


def trajectory_figure(path: Path, runs: int = 40, seed: int = 0) -> None:
    """Trapped and escaped plain-LM runs of the linear neuron over its error surface, with the
    valleys theory predicts."""
    model, theta_true = CONFIGS["first-order linear"]
    problem = fs.Problem(model, fs.make_sequence_data(model, theta_true, T=100, seed=0))
    rng = np.random.default_rng(seed)
    starts = rng.uniform([-2.0, -1.5], [2.0, 1.5], (runs, 2))
    results = [levenberg_marquardt(problem, th) for th in starts]
    labels = [label_end_point(problem, r.theta, r.loss, theta_true=theta_true, tol=1e-3)
              for r in results]
    ranges = ((-2.0, 2.0), (-1.5, 1.5))
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
    ap.add_argument("--out", type=Path, default=Path("horn2009_training"))
    args = ap.parse_args(argv)
    rows = run(20 if args.quick else args.starts, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    text = table(rows)
    (args.out / "table.md").write_text(text + "\n")
    trajectory_figure(args.out / "trajectories_linear.png")
    print(text)


if __name__ == "__main__":
    main()

"""Horn et al.'s Prelude: BFGS on a layered recurrent net for system identification, with the
loss scanned along every search direction.

    python scripts/horn2009_prelude.py [--hidden 6] [--iterations 60] [--out horn2009_prelude]

Plant (Narendra & Parthasarathy): y(k) = y(k-1) / (1 + y(k-1)^2) + u(k)^3, u ~ U(-1, 1),
T = 200. The net is LayeredRecurrent(hidden=6) (55 weights). At each BFGS iteration the loss
along theta + alpha d, alpha in [0, span * alpha_taken] (span 20 by default, far beyond the
step, into the unstable region), is scanned at 801 points
(``train.bfgs(..., record_line_profiles=True)``); iterations whose strong-Wolfe line search
failed are drawn in red (BFGS then restarts from steepest descent).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import fastsurf as fs  # noqa: E402
from fastsurf import train  # noqa: E402


def plant(u):
    y = np.zeros_like(u)
    for k in range(u.size):
        prev = y[k - 1] if k else 0.0
        y[k] = prev / (1 + prev * prev) + u[k] ** 3
    return y


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=6)
    ap.add_argument("--iterations", type=int, default=60)
    ap.add_argument("--T", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--span", type=float, default=20.0,
                    help="scan each direction to span x the step taken (default 20)")
    ap.add_argument("--out", type=Path, default=Path("horn2009_prelude"))
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    u = rng.uniform(-1, 1, args.T)
    model = fs.LayeredRecurrent(args.hidden)
    prob = fs.Problem(model, fs.SequenceData(u, plant(u)))
    res = train.bfgs(prob, model.init(rng), max_iter=args.iterations,
                     record_line_profiles=True, profile_points=801, profile_span=args.span,
                     restarts=args.iterations)
    failed = res.meta["failed_line_searches"]
    print(f"LayeredRecurrent({args.hidden}): {model.n_params} weights, T = {args.T}")
    print(f"BFGS: {res.n_iter} steps, loss {res.history[0]:.4g} -> {res.loss:.4g}, "
          f"{len(failed)} failed line searches (iterations {failed}), stop: {res.reason}")
    args.out.mkdir(parents=True, exist_ok=True)
    fs.plot.line_profiles(res, max_panels=16).savefig(args.out / "line_profiles.png", dpi=100)
    np.savez(args.out / "history.npz", history=res.history, failed=np.array(failed))


if __name__ == "__main__":
    main()

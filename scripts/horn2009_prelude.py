"""Horn et al.'s Prelude: BFGS on a layered recurrent net for system identification, with the
loss scanned along every search direction, until the line search fails.

    python scripts/horn2009_prelude.py [--hidden 7] [--seed 4] [--iterations 400]
                                       [--out horn2009_prelude]

Plant (Narendra & Parthasarathy): y(k) = y(k-1) / (1 + y(k-1)^2) + u(k)^3, u ~ U(-1, 1),
T = 200. The net is LayeredRecurrent(hidden=7): 71 weights (Horn et al. trained 65). At each
BFGS iteration the loss along theta + alpha d, alpha in [0, span * alpha_taken] (span 20 by
default, far beyond the step, into the unstable region), is scanned at 801 points
(``trainers.bfgs(..., record_line_profiles=True)``). Iterations whose strong-Wolfe line search
failed are drawn in red; BFGS then restarts from steepest descent, up to ``--restarts`` times.

Finding (seed 4, the default): the loss falls from 72 to 2.19 in 233 iterations; at iteration
234 the line search fails, and so does every steepest-descent restart from the same point: the
search direction runs into a narrow cusped valley where no step satisfies the Wolfe
conditions — the symptom that led Horn et al. to the spurious valleys. Of seeds 0-7 (hidden 7,
initial weights x1 and x2) this is the one run of 16 that stalls this way; the others train
on without a failed search.

At the stalled point (loss 2.19) the gradient norm is 1.5e4 and the largest Hessian
eigenvalue 7e12. Along -grad the loss decreases only within about 1e-9 of the point; at widths
1e-1 and 1e-5 the profile is full of narrow cusped valleys and walls that rise by O(1) — the
point sits at the bottom of a valley about 1e-8 wide (Horn et al. saw widths down to 1e-19).
``line_profiles.png`` shows the profiles before the failure and the failed ones (each BFGS
direction cuts through several such walls); ``line_profile_zoom.png`` the valley at widths
1e-1, 1e-5 and 1e-9.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import fastsurf as fs  # noqa: E402
from fastsurf import trainers  # noqa: E402


def plant(u):
    y = np.zeros_like(u)
    for k in range(u.size):
        prev = y[k - 1] if k else 0.0
        y[k] = prev / (1 + prev * prev) + u[k] ** 3
    return y


def _valley_zoom(prob, theta):
    """The loss along the steepest-descent direction through ``theta`` at three widths: the
    stalled point sits in a valley about 1e-8 wide whose walls rise by O(1) within 1e-5."""
    import matplotlib.pyplot as plt
    g = prob.gradient(theta)
    lam = np.linalg.eigvalsh(prob.hessian(theta))
    print(f"stalled point: |grad| = {np.linalg.norm(g):.3g}, Hessian eigenvalues in "
          f"[{lam[0]:.3g}, {lam[-1]:.3g}]")
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
    base = prob.loss(theta)
    for ax, width in zip(axes, (1e-1, 1e-5, 1e-9)):
        s = np.linspace(-width, width, 801)
        values = prob.losses(theta[None, :] - s[:, None] * (g / np.linalg.norm(g))[None, :])
        ax.plot(s, values - base, lw=0.8, color="C3")
        ax.set_title(f"width {width:g}", fontsize=9)
        ax.set_xlabel("step along -grad / |grad|", fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0].set_ylabel("loss - loss at the stalled point", fontsize=8)
    fig.suptitle(f"where the line search failed: |grad| = {np.linalg.norm(g):.3g}, largest "
                 f"Hessian eigenvalue {lam[-1]:.2g}", fontsize=9)
    fig.tight_layout()
    return fig


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hidden", type=int, default=7)
    ap.add_argument("--iterations", type=int, default=400)
    ap.add_argument("--T", type=int, default=200)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--restarts", type=int, default=3,
                    help="steepest-descent restarts after failed line searches (default 3)")
    ap.add_argument("--span", type=float, default=20.0,
                    help="scan each direction to span x the step taken (default 20)")
    ap.add_argument("--out", type=Path, default=Path("horn2009_prelude"))
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    u = rng.uniform(-1, 1, args.T)
    model = fs.LayeredRecurrent(args.hidden)
    prob = fs.Problem(model, fs.SequenceData(u, plant(u)))
    res = trainers.bfgs(prob, model.init(rng), max_iter=args.iterations,
                     record_line_profiles=True, profile_points=801, profile_span=args.span,
                     restarts=args.restarts)
    failed = res.meta["failed_line_searches"]
    print(f"LayeredRecurrent({args.hidden}): {model.n_params} weights, T = {args.T}")
    print(f"BFGS: {res.n_iter} steps, loss {res.history[0]:.4g} -> {res.loss:.4g}, "
          f"{len(failed)} failed line searches (iterations {failed}), stop: {res.reason}")
    args.out.mkdir(parents=True, exist_ok=True)
    last = failed[0] if failed else len(res.meta["line_profiles"]) - 1
    shown = list(range(max(0, last - 8), last)) + failed[:4]
    fs.plot.line_profiles(res, iterations=shown).savefig(args.out / "line_profiles.png",
                                                         dpi=100)
    if failed:
        _valley_zoom(prob, res.theta).savefig(args.out / "line_profile_zoom.png", dpi=100)
    np.savez(args.out / "history.npz", history=res.history, failed=np.array(failed))
    return res


if __name__ == "__main__":
    main()

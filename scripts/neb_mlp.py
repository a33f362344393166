"""Minimum-energy path between two trained minima of Gamst & Walker's 5x5 net (136 parameters,
softplus hidden units) by climbing-image NEB, with the saddle checked by the exact Hessian.

    python scripts/neb_mlp.py [--beta 20] [--images 11] [--max-iter 40000] [--out neb_mlp]

Finding so far (2 cores, beta = 20, 320 points of sin(pi x) + |x|/2): the two L-BFGS fits
reach MSE ~1e-7 with |grad| ~ 3e-6 on degenerate minima; the straight line between them
climbs to MSE 1.5, but NEB (FIRE, 11 images) finds a nearly flat connection (barrier ~4e-5)
and reaches max |F| ~1.4e-4 after 40,000 iterations (~100 s), not 1e-6; its top image lies in
a degenerate region with many small negative Hessian eigenvalues rather than at a clean
first-order saddle.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

import fastsurf as fs  # noqa: E402


def train(prob, theta0):
    """A minimum from theta0: L-BFGS with the exact gradient, polished by Newton with the exact
    Hessian (fastsurf.critical.find)."""
    res = minimize(prob.loss, theta0, jac=prob.gradient, method="L-BFGS-B",
                   options={"maxiter": 20_000, "gtol": 1e-12, "ftol": 0})
    pts = fs.critical.find(prob, res.x[None, :], gtol=1e-9, progress=False)
    # the fits are degenerate minima: count eigenvalues within 1e-6 of the largest as zero
    theta = pts[0].theta if pts else res.x
    H = prob.hessian(theta)
    return fs.critical.classify(prob, theta, tol=1e-6 * np.max(np.abs(np.linalg.eigvalsh(H))))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beta", type=float, default=20.0)
    ap.add_argument("--images", type=int, default=11)
    ap.add_argument("--tol", type=float, default=1e-6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-iter", type=int, default=40_000)
    ap.add_argument("--optimizer", choices=("fire", "lbfgs"), default="fire")
    ap.add_argument("--out", type=Path, default=Path("neb_mlp"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    model = fs.MLP((1, 5, 5, 5, 5, 5, 1), activation="softplus", beta=args.beta)
    x = np.linspace(-1, 1, 320)
    y = np.sin(np.pi * x) + 0.5 * np.abs(x)
    prob = fs.Problem(model, fs.RegressionData(x, y))
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    a, b = train(prob, model.init(rng)), train(prob, model.init(rng))
    t_train = time.perf_counter() - t0
    print(f"minimum A: loss {a.loss:.3e}, |grad| {a.gradient_norm:.1e}, {a.kind} "
          f"(smallest eigenvalue {a.eigenvalues[0]:.2e})")
    print(f"minimum B: loss {b.loss:.3e}, |grad| {b.gradient_norm:.1e}, {b.kind} "
          f"(smallest eigenvalue {b.eigenvalues[0]:.2e})")
    print(f"|A - B| = {np.linalg.norm(a.theta - b.theta):.3f}; training {t_train:.1f} s")
    t0 = time.perf_counter()
    path = fs.paths.neb(prob, a.theta, b.theta, n_images=args.images, optimizer=args.optimizer,
                        tol=args.tol, max_iter=args.max_iter, progress=None)
    t_neb = time.perf_counter() - t0
    path.save(args.out / "path.npz")
    s = path.saddle
    print(f"NEB: converged {path.converged} after {path.n_iter} iterations, {t_neb:.1f} s, "
          f"max |F| {path.history[-1]:.1e}")
    print(f"barrier height {path.barrier:.4e} (loss: ends {path.losses[0]:.4e}, "
          f"{path.losses[-1]:.4e}; top {path.losses.max():.4e})")
    print(f"climbing image: {s.kind}, index {s.index}, null dimension {s.null_dim}, "
          f"|grad| {s.gradient_norm:.1e}, eigenvalues {s.eigenvalues[:3]} ...")
    seg = fs.paths.segment_profiles(prob, path)
    fs.plot.path_losses(path, seg).savefig(args.out / "path_losses.png", dpi=110)
    fs.plot.angles(path).savefig(args.out / "turning_angles.png", dpi=110)


if __name__ == "__main__":
    main()

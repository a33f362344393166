"""Exact Hessian of Gamst & Walker's 136-parameter 5x5 softplus net on 320 points: fastsurf
against jax.hessian and torch.func.hessian, in one process.

    python bench/peers_mlp.py [--repeats 7]

Peers that are not installed are skipped (install them with ``pip install -e ".[peers]"``).
Prints a Markdown table of median times, ratios to fastsurf and the largest relative
difference of each peer's Hessian from fastsurf's.
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_time

import fastsurf as fs

WIDTHS = (1, 5, 5, 5, 5, 5, 1)
BETA = 20.0


def _layers(theta):
    out, pos = [], 0
    for l in range(1, len(WIDTHS)):
        n_in, n_out = WIDTHS[l - 1], WIDTHS[l]
        W = theta[pos:pos + n_in * n_out].reshape(n_out, n_in)
        pos += n_in * n_out
        b = theta[pos:pos + n_out]
        pos += n_out
        out.append((W, b))
    return out


def run(repeats: int = 7) -> list[dict]:
    model = fs.MLP(WIDTHS, activation="softplus", beta=BETA)
    x = np.linspace(-1, 1, 320)
    y = np.abs(x)
    prob = fs.Problem(model, fs.RegressionData(x, y))
    theta = model.init(0)
    ref = prob.hessian(theta)
    rows = [{"implementation": "fastsurf (Numba, exact)",
             "time_s": median_time(lambda: prob.hessian(theta), repeats), "max_rel_diff": 0.0}]
    try:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)

        def loss(th):
            h = jnp.asarray(x)[:, None]
            layers = _layers(th)
            for W, b in layers[:-1]:
                z = h @ W.T + b
                h = jax.nn.relu(z) + jnp.log1p(jnp.exp(-BETA * jnp.abs(z))) / BETA
            W, b = layers[-1]
            return jnp.mean((jnp.asarray(y)[:, None] - (h @ W.T + b)) ** 2)

        hess = jax.jit(jax.hessian(loss))
        th = jnp.asarray(theta)
        H = np.asarray(hess(th))
        rows.append({"implementation": f"jax {jax.__version__} (jit(hessian))",
                     "time_s": median_time(lambda: hess(th).block_until_ready(), repeats),
                     "max_rel_diff": float(np.max(np.abs(H - ref)) / np.max(np.abs(ref)))})
    except ImportError:
        pass
    try:
        import torch
        from torch.func import hessian

        xt = torch.tensor(x, dtype=torch.float64)[:, None]
        yt = torch.tensor(y, dtype=torch.float64)[:, None]

        def tloss(th):
            h = xt
            layers = _layers(th)
            for W, b in layers[:-1]:
                z = h @ W.T + b
                h = torch.relu(z) + torch.log1p(torch.exp(-BETA * z.abs())) / BETA
            W, b = layers[-1]
            return torch.mean((yt - (h @ W.T + b)) ** 2)

        tth = torch.tensor(theta, dtype=torch.float64)
        H = hessian(tloss)(tth).numpy()
        rows.append({"implementation": f"torch {torch.__version__} (torch.func.hessian)",
                     "time_s": median_time(lambda: hessian(tloss)(tth), repeats),
                     "max_rel_diff": float(np.max(np.abs(H - ref)) / np.max(np.abs(ref)))})
    except ImportError:
        pass
    base = rows[0]["time_s"]
    for r in rows:
        r["ratio_to_fastsurf"] = r["time_s"] / base
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    rows = run(args.repeats)
    print("| implementation | median time | time / fastsurf | max rel. difference |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['implementation']} | {r['time_s'] * 1e3:.2f} ms | "
              f"{r['ratio_to_fastsurf']:.2f} | {r['max_rel_diff']:.1e} |")


if __name__ == "__main__":
    main()

"""fastsurf against NumPy, PyTorch and JAX on the same work, in one process.

    python bench/peers.py [--sizes 1024 2048] [--T 100] [--repeats 5] [--out bench/peers_out]

Work: the SSE grid of Horn's first-order neuron (purelin and tansig) over (w1, w2), and the
losses of 10^5 random parameter vectors. Peers that are not installed are skipped
(``pip install -e ".[peers]"``). Every peer is compared with a NumPy float64 reference
(``np.tanh``) by median and maximum relative difference. Writes ``peers.md`` (a Markdown
table of median times, throughput in grid-point-steps/s and each peer's time relative to
fastsurf) and ``peers.png`` (a bar chart). fastsurf appears twice for purelin: brute force
(``method="brute"``) and with its structural fast path (``method="auto"``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from _timing import median_time

import fastsurf as fs


def numpy_grid(p, t, w1, w2, transfer):
    """Vectorized over the grid, time loop outside (the reference)."""
    W1, W2 = np.meshgrid(w1, w2)
    a = np.zeros_like(W1)
    sse = np.zeros_like(W1)
    f = np.tanh if transfer == "tansig" else (lambda v: v)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(p.size):
            a = f(W1 * p[k] + W2 * a)
            sse += (t[k] - a) ** 2
    return np.where(np.isnan(sse), np.inf, sse)


def torch_grid_fn(transfer, compiled):
    import torch

    def grid(p, t, w1, w2):
        W2, W1 = torch.meshgrid(w2, w1, indexing="ij")
        a = torch.zeros_like(W1)
        sse = torch.zeros_like(W1)
        for k in range(p.shape[0]):
            n = W1 * p[k] + W2 * a
            a = torch.tanh(n) if transfer == "tansig" else n
            sse = sse + (t[k] - a) ** 2
        return sse

    return torch.compile(grid) if compiled else grid


def jax_grid_fn(transfer):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def point(w1, w2, p, t):
        def step(a, pt):
            n = w1 * pt[0] + w2 * a
            a = jnp.tanh(n) if transfer == "tansig" else n
            return a, (pt[1] - a) ** 2
        _, e2 = jax.lax.scan(step, 0.0, jnp.stack([p, t], axis=1))
        return e2.sum()

    row = jax.vmap(point, in_axes=(0, None, None, None))
    grid = jax.vmap(row, in_axes=(None, 0, None, None))
    return jax.jit(grid)


def agreement(values, ref):
    fin = np.isfinite(ref) & np.isfinite(values) & (ref > 0)
    rel = np.abs(values[fin] - ref[fin]) / ref[fin]
    return float(np.median(rel)), float(rel.max())


def _cases(transfer, prob, p, t, w1, w2):
    """(label, callable returning the grid of SSE values) for every available implementation."""
    n = w1.size
    cases = []
    for method in (("brute", "auto") if transfer == "purelin" else ("brute",)):
        def fsurf(method=method):
            return fs.scan.grid(prob, [0.5, 0.5], ranges=((w1[0], w1[-1]), (w2[0], w2[-1])),
                                shape=(n, n), progress=False, method=method).values
        cases.append(("fastsurf" + (" (structure)" if method == "auto" else ""), fsurf))
    cases.append(("NumPy", lambda: numpy_grid(p, t, w1, w2, transfer)))
    try:
        import torch
        tp, tt, t1, t2 = (torch.tensor(v) for v in (p, t, w1, w2))
        for compiled in (False, True):
            fn = torch_grid_fn(transfer, compiled)
            cases.append(("PyTorch " + ("compile" if compiled else "eager"),
                          lambda fn=fn: fn(tp, tt, t1, t2).numpy()))
    except ImportError:
        pass
    try:
        import jax.numpy as jnp
        jfn = jax_grid_fn(transfer)
        jp, jt, j1, j2 = (jnp.asarray(v) for v in (p, t, w1, w2))
        cases.append(("JAX", lambda: np.asarray(jfn(j1, j2, jp, jt).block_until_ready())))
    except ImportError:
        pass
    return cases


def run(sizes=(1024, 2048), T=100, repeats=5):
    rows = []
    for transfer in ("purelin", "tansig"):
        model = fs.RecurrentNeuron(transfer)
        data = fs.make_sequence_data(model, (0.5, 0.5), T=T, seed=0)
        prob = fs.Problem(model, data)
        p, t = data.p[0], data.t[0]
        for n in sizes:
            w1 = np.linspace(-2, 2, n)
            w2 = np.linspace(-1.5, 1.5, n)
            ref = numpy_grid(p, t, w1, w2, transfer)
            base = None
            for label, fn in _cases(transfer, prob, p, t, w1, w2):
                med, mx = agreement(np.asarray(fn(), dtype=float), ref)
                secs = median_time(fn, repeats if label != "PyTorch eager" else 2)
                base = secs if base is None else base
                rows.append({"work": f"{transfer} grid {n}², T={T}", "implementation": label,
                             "time_s": secs, "gsteps": n * n * T / secs / 1e9,
                             "vs_fastsurf": secs / base, "median_rel": med, "max_rel": mx})
                print(rows[-1], flush=True)
    return rows


def write(rows, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    lines = ["| work | implementation | median time | G grid-point-steps/s | time / fastsurf "
             "| median rel. diff | max rel. diff |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['work']} | {r['implementation']} | {r['time_s'] * 1e3:.1f} ms | "
                     f"{r['gsteps']:.2f} | {r['vs_fastsurf']:.2f} | {r['median_rel']:.1e} | "
                     f"{r['max_rel']:.1e} |")
    (out / "peers.md").write_text("\n".join(lines) + "\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    works = list(dict.fromkeys(r["work"] for r in rows))
    fig, axes = plt.subplots(1, len(works), figsize=(4 * len(works), 4), squeeze=False)
    for ax, w in zip(axes[0], works):
        sel = [r for r in rows if r["work"] == w]
        ax.barh([r["implementation"] for r in sel], [r["gsteps"] for r in sel])
        ax.set_xscale("log")
        ax.set_title(w, fontsize=9)
        ax.set_xlabel("G grid-point-steps/s")
    fig.tight_layout()
    fig.savefig(out / "peers.png", dpi=100)
    print("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", type=Path, default=Path("bench/peers_out"))
    args = ap.parse_args(argv)
    write(run(args.sizes, args.T, args.repeats), args.out)


if __name__ == "__main__":
    main()

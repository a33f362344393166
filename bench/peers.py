"""fastsurf against NumPy, PyTorch and JAX on the same work, in one process.

    python bench/peers.py [--sizes 1024 2048] [--T 100] [--repeats 5] [--out bench/peers_out]

Work: the SSE grid of Horn's first-order neuron (purelin and tansig) over (w1, w2), the
losses of 10^5 random parameter vectors, Levenberg-Marquardt from 1000 random starts (against
a SciPy MINPACK loop), and the exact Hessian of the 136-parameter MLP (``peers_mlp.py``).
Peers that are not installed are skipped (``pip install -e ".[peers]"``). Every grid peer is
compared with a NumPy float64 reference (``np.tanh``) by median and maximum relative
difference. Writes ``peers.md`` (a Markdown
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


def numpy_sse(p, t, W1, W2, transfer):
    """SSE at every (W1, W2) pair (arrays of one shape), time loop outside (the reference)."""
    a = np.zeros_like(W1)
    sse = np.zeros_like(W1)
    f = np.tanh if transfer == "tansig" else (lambda v: v)
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(p.size):
            a = f(W1 * p[k] + W2 * a)
            sse += (t[k] - a) ** 2
    return np.where(np.isnan(sse), np.inf, sse)


def torch_sse_fn(transfer, compiled):
    import torch

    def sse_fn(p, t, W1, W2):
        a = torch.zeros_like(W1)
        sse = torch.zeros_like(W1)
        for k in range(p.shape[0]):
            n = W1 * p[k] + W2 * a
            a = torch.tanh(n) if transfer == "tansig" else n
            sse = sse + (t[k] - a) ** 2
        return sse

    return torch.compile(sse_fn) if compiled else sse_fn


def jax_sse_fn(transfer):
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

    return jax.jit(jax.vmap(point, in_axes=(0, 0, None, None)))


def agreement(values, ref):
    fin = np.isfinite(ref) & np.isfinite(values) & (ref > 0)
    rel = np.abs(values[fin] - ref[fin]) / ref[fin]
    return float(np.median(rel)), float(rel.max())


class Work:
    """One piece of work: the SSE of a first-order neuron at a set of (w1, w2) pairs, either a
    grid (fastsurf computes the coordinates in its kernel) or a batch of 10^5 vectors."""

    def __init__(self, transfer, T, n=None, batch=None):
        model = fs.RecurrentNeuron(transfer)
        data = fs.make_sequence_data(model, (0.5, 0.5), T=T, seed=0)
        self.transfer, self.T, self.n = transfer, T, n
        self.prob = fs.Problem(model, data)
        self.p, self.t = data.p[0], data.t[0]
        if n is not None:
            self.w1, self.w2 = np.linspace(-2, 2, n), np.linspace(-1.5, 1.5, n)
            W1, W2 = np.meshgrid(self.w1, self.w2)
            self.label = f"{transfer} grid {n}², T={T}"
        else:
            thetas = np.random.default_rng(0).uniform((-2, -1.5), (2, 1.5), (batch, 2))
            self.thetas = thetas
            W1, W2 = thetas[:, 0].copy(), thetas[:, 1].copy()
            self.label = f"{transfer} losses of {batch:,} θ, T={T}"
        self.W1, self.W2 = W1, W2
        self.steps = W1.size * T
        self.ref = numpy_sse(self.p, self.t, W1, W2, transfer)

    def fastsurf_cases(self):
        if self.n is None:
            return [("fastsurf", lambda: self.prob.losses(self.thetas))]
        cases = []
        ranges = ((self.w1[0], self.w1[-1]), (self.w2[0], self.w2[-1]))
        for method in (("brute", "auto") if self.transfer == "purelin" else ("brute",)):
            def fsurf(method=method):
                return fs.scan.grid(self.prob, [0.5, 0.5], ranges=ranges,
                                    shape=(self.n, self.n), progress=False,
                                    method=method).values
            cases.append(("fastsurf" + (" (structure)" if method == "auto" else ""), fsurf))
        return cases

    def peer_cases(self):
        cases = [("NumPy", lambda: numpy_sse(self.p, self.t, self.W1, self.W2, self.transfer))]
        try:
            import torch
            args = [torch.tensor(v) for v in (self.p, self.t, self.W1, self.W2)]
            for compiled in (False, True):
                fn = torch_sse_fn(self.transfer, compiled)
                cases.append(("PyTorch " + ("compile" if compiled else "eager"),
                              lambda fn=fn: fn(*args).numpy()))
        except ImportError:
            pass
        try:
            import jax.numpy as jnp
            jfn = jax_sse_fn(self.transfer)
            jp, jt, j1, j2 = (jnp.asarray(v.ravel()) for v in (self.p, self.t, self.W1, self.W2))
            shape = self.W1.shape
            cases.append(("JAX (jit, vmap, lax.scan)",
                          lambda: np.asarray(jfn(j1, j2, jp, jt).block_until_ready()
                                             ).reshape(shape)))
        except ImportError:
            pass
        return cases

    def measure(self, label, fn, repeats, base):
        med, mx = agreement(np.asarray(fn(), dtype=float), self.ref)
        secs = median_time(fn, repeats if label != "PyTorch eager" else min(repeats, 2))
        return {"work": self.label, "implementation": label, "time_s": secs,
                "gsteps": self.steps / secs / 1e9, "vs_fastsurf": secs / (base or secs),
                "median_rel": med, "max_rel": mx}


def lm_rows(n_starts, T, repeats):
    """Levenberg-Marquardt from ``n_starts`` random starts on the first-order tansig neuron:
    ``train.multistart`` (the parallel kernel) against a loop of SciPy's MINPACK LM
    (``least_squares(method="lm")``) given fastsurf's exact residuals and Jacobian, the tool a
    user would otherwise script. Agreement: relative distance between the end points of the
    same start, |theta_scipy - theta_fastsurf| / max(1, |theta_fastsurf|) (the two LM
    variants may end some runs in different minima, which shows in the maximum)."""
    from scipy.optimize import least_squares
    model = fs.RecurrentNeuron("tansig")
    prob = fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=T, seed=0))
    label = f"LM multistart, {n_starts} starts, tansig T={T}"
    first = fs.train.multistart(prob, n_starts, seed=0, progress=False)
    starts = first.starts

    def scipy_loop():
        return np.array([least_squares(prob.residuals, s, jac=prob.jacobian, method="lm",
                                       xtol=1e-12, ftol=1e-12, gtol=1e-12).x for s in starts])

    base = median_time(lambda: fs.train.multistart(prob, n_starts, seed=0, progress=False),
                       repeats)
    rows = [{"work": label, "implementation": "fastsurf (LM kernel)", "time_s": base,
             "gsteps": float("nan"), "vs_fastsurf": 1.0, "median_rel": 0.0, "max_rel": 0.0}]
    ref = first.thetas
    ok = np.isfinite(first.losses)
    rel = (np.linalg.norm(scipy_loop()[ok] - ref[ok], axis=1)
           / np.maximum(1.0, np.linalg.norm(ref[ok], axis=1)))
    secs = median_time(scipy_loop, min(repeats, 3))
    rows.append({"work": label, "implementation": "SciPy least_squares(lm) loop",
                 "time_s": secs, "gsteps": float("nan"), "vs_fastsurf": secs / base,
                 "median_rel": float(np.median(rel)), "max_rel": float(rel.max())})
    for r in rows:
        print(r, flush=True)
    return rows


def run(sizes=(1024, 2048), T=100, repeats=5, batch=100_000, mlp=True, lm_starts=1000):
    """Every work, fastsurf first for all of them, then the peers.

    PyTorch's and JAX's thread pools keep spinning after their calls and would slow the Numba
    threads timed after them, so every fastsurf timing is taken before any peer has run; the
    peers then run in the same process against those baselines.
    """
    works = [Work(tr, T, n=n) for tr in ("purelin", "tansig") for n in sizes]
    if batch:
        works += [Work(tr, T, batch=batch) for tr in ("purelin", "tansig")]
    rows, base = {}, {}
    for w in works:
        for label, fn in w.fastsurf_cases():
            row = w.measure(label, fn, repeats, base.get(w.label))
            base.setdefault(w.label, row["time_s"])
            rows.setdefault(w.label, []).append(row)
            print(row, flush=True)
    for w in works:
        for label, fn in w.peer_cases():
            rows[w.label].append(w.measure(label, fn, repeats, base[w.label]))
            print(rows[w.label][-1], flush=True)
    out = [r for w in works for r in rows[w.label]]
    if lm_starts:
        out += lm_rows(lm_starts, T, repeats)
    if mlp:
        from peers_mlp import run as run_mlp
        for r in run_mlp(repeats):
            out.append({"work": "MLP Hessian (136 weights, 320 points)",
                        "implementation": r["implementation"], "time_s": r["time_s"],
                        "gsteps": float("nan"), "vs_fastsurf": r["ratio_to_fastsurf"],
                        "median_rel": float("nan"), "max_rel": r["max_rel_diff"]})
    return out


def write(rows, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    lines = ["| work | implementation | median time | G grid-point-steps/s | time / fastsurf "
             "| median rel. diff | max rel. diff |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        gsteps = "–" if np.isnan(r["gsteps"]) else f"{r['gsteps']:.2f}"
        med = "–" if np.isnan(r["median_rel"]) else f"{r['median_rel']:.1e}"
        lines.append(f"| {r['work']} | {r['implementation']} | {r['time_s'] * 1e3:.1f} ms | "
                     f"{gsteps} | {r['vs_fastsurf']:.2f} | {med} | {r['max_rel']:.1e} |")
    (out / "peers.md").write_text("\n".join(lines) + "\n")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    works = list(dict.fromkeys(r["work"] for r in rows))
    ncol = min(3, len(works))
    nrow = -(-len(works) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.5 * ncol, 3 * nrow), squeeze=False)
    for ax in axes.flat[len(works):]:
        ax.set_visible(False)
    for ax, w in zip(axes.flat, works):
        sel = [r for r in rows if r["work"] == w]
        ax.barh([r["implementation"] for r in sel], [r["vs_fastsurf"] for r in sel])
        ax.axvline(1.0, color="k", lw=0.8)
        ax.axvline(3.0, color="r", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_title(w, fontsize=9)
        ax.set_xlabel("time / fastsurf (dashed: 3x)")
    fig.tight_layout()
    fig.savefig(out / "peers.png", dpi=100)
    print("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1024, 2048])
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=100_000,
                    help="size of the batched-losses work (0 to skip)")
    ap.add_argument("--no-mlp", action="store_true", help="skip the MLP Hessian rows")
    ap.add_argument("--lm-starts", type=int, default=1000,
                    help="starts of the LM multistart work (0 to skip)")
    ap.add_argument("--out", type=Path, default=Path("bench/peers_out"))
    args = ap.parse_args(argv)
    write(run(args.sizes, args.T, args.repeats, args.batch, not args.no_mlp, args.lm_starts),
          args.out)


if __name__ == "__main__":
    main()

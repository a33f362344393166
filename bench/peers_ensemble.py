"""Many Adadelta fits of Gamst & Walker's 136-parameter 5x5 ReLU net on n = 320 points:
fastsurf.ensemble against train.adadelta one fit at a time and a jax.vmap-ed Adadelta of the
same fits and steps, in one process.

    python bench/peers_ensemble.py [--fits 512] [--steps 200] [--repeats 5] [--asm]

Prints fits x steps per second of each, the ratios, the kernel's share of this machine's FMA
limit (bench/limits.py's measurement, repeated here) and the projected time of the paper's
320,000 fits x 50,000 steps. Every fastsurf fit is checked against train.adadelta (the same
bits) and jax's end points are compared with fastsurf's. jax is skipped when it is not
installed (``pip install jax``). ``--asm`` compiles the kernel afresh in a subprocess (about
two minutes) and counts the vector and scalar arithmetic instructions of its hot loops.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numba
import numpy as np
from _timing import median_time
from limits import CHAINS, _chains, _chains_parallel

import fastsurf as fs
from fastsurf.ensemble import ensemble

WIDTHS = (1, 5, 5, 5, 5, 5, 1)
N = 320
PAPER_FITS, PAPER_STEPS = 320_000, 50_000
RHO, EPS, LR = 0.95, 1e-7, 1.0


def problem() -> fs.Problem:
    """The 5x5 ReLU net on a sawtooth-like target, sin(4 pi x) + |x| / 2 at 320 points."""
    x = np.linspace(-1.0, 1.0, N)
    # blas=False: the single-run trainer then sums the gradient in the kernel's order (same bits)
    return fs.Problem(fs.MLP(WIDTHS, blas=False),
                      fs.RegressionData(x, np.sin(4 * np.pi * x) + np.abs(x) / 2))


def fmas_per_step(widths=WIDTHS, n: int = N) -> int:
    """Multiply-adds of one full-batch loss-and-gradient evaluation of one fit: the forward
    sums (n_in n_out per layer and sample), the weight-gradient sums (the same) and the
    back-propagated sums (n_in n_out for every layer but the first)."""
    per = [widths[l - 1] * widths[l] for l in range(1, len(widths))]
    return n * (2 * sum(per) + sum(per[1:]))


def fma_limit() -> tuple[float, float]:
    """This machine's FMA throughput, FMA/s (bench/limits.py's loops): the limit, threads x
    the rate of one thread (every thread on its own core), and the rate measured on all
    threads at once (lower when another process holds a core)."""
    threads = numba.get_num_threads()
    x, reps = np.ones(CHAINS), 1_000_000
    one = CHAINS * reps / median_time(lambda: _chains(x, reps))
    every = threads * CHAINS * reps / median_time(lambda: _chains_parallel(x, reps, threads))
    return threads * one, every


def _jax_runner(prob, steps):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    X = jnp.asarray(prob.data.x)
    Y = jnp.asarray(prob.data.y)

    def loss(th):
        h, pos = X, 0
        for l in range(1, len(WIDTHS)):
            n_in, n_out = WIDTHS[l - 1], WIDTHS[l]
            W = th[pos:pos + n_in * n_out].reshape(n_out, n_in)
            pos += n_in * n_out
            b = th[pos:pos + n_out]
            pos += n_out
            h = h @ W.T + b
            if l < len(WIDTHS) - 1:
                h = jax.nn.relu(h)
        return jnp.mean((Y - h) ** 2)

    grad = jax.grad(loss)

    def run(th0):
        def body(_, state):
            th, eg, ed = state
            g = grad(th)
            eg = RHO * eg + (1 - RHO) * g * g
            d = -jnp.sqrt(ed + EPS) / jnp.sqrt(eg + EPS) * g
            ed = RHO * ed + (1 - RHO) * d * d
            return th + LR * d, eg, ed

        zero = jnp.zeros_like(th0)
        return jax.lax.fori_loop(0, steps, body, (th0, zero, zero))[0]

    return jax.__version__, jax.jit(jax.vmap(run))


_ASM_CODE = """
import re, numpy as np, fastsurf as fs
from fastsurf.kernels import ensemble as ke
m = fs.MLP(); x = np.linspace(-1, 1, 40)
X, Y, w, wo, bo, uo, c, b = m._args(fs.RegressionData(x, np.abs(x)))
ke.ensemble_runs(np.array([m.init(0)]), X, Y, w, wo, bo, uo, c, b, 1.0, 1, 2, 1.0, 0.9, 0.95,
                 1e-7, 0.0, 0.0, 0, 1)
for f in (ke._forward_chunk, ke._backward_chunk):
    print(f.inspect_asm(f.signatures[0]))
"""


def _loops(asm: str) -> list[tuple[int, int, int, int]]:
    """(packed 512-bit, packed 256-bit, scalar, fused) multiply/add counts of every loop body
    (a label up to a backward jump to it) that does arithmetic."""
    lines = asm.splitlines()
    labels = {m.group(1): i for i, line in enumerate(lines)
              if (m := re.match(r"^(\.LBB\d+_\d+):", line))}
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^\s+j\w+\s+(\.LBB\d+_\d+)", line)
        if not m or labels.get(m.group(1), i) >= i or i - labels[m.group(1)] > 400:
            continue
        body = "\n".join(lines[labels[m.group(1)]:i + 1])
        counts = tuple(len(re.findall(p, body)) for p in (
            r"v(?:mul|add)pd\s[^\n]*zmm", r"v(?:mul|add)pd\s[^\n]*ymm", r"v(?:mul|add)sd\s",
            r"vfn?m(?:add|sub)"))
        if any(counts):
            out.append(counts)
    return out


def asm_report() -> str:
    """What the compiled forward and backward passes of a chunk (the kernel's hot loops) do,
    loop by loop, from a fresh compile in a subprocess (a function loaded from Numba's cache
    keeps no assembly)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": tmp}
        asm = subprocess.run([sys.executable, "-c", _ASM_CODE], env=env, capture_output=True,
                             text=True, check=True).stdout
    loops = _loops(asm)
    packed = [c for c in loops if c[0] + c[1] > 0]
    widest = sorted({c[0] for c in packed}, reverse=True)[:4]
    scalar = [c for c in loops if c[0] + c[1] == 0]
    fused = [c for c in loops if c[3]]
    return (f"{len(loops)} loops do arithmetic: {len(packed)} with packed multiplies/adds "
            f"(most per body, 512-bit: {widest}), {len(scalar)} scalar only (the lane "
            f"remainders and overlap-check fallbacks of the vectorized loops, not run when a "
            f"block's lanes are a multiple of 8, and the last partial chunk of samples). "
            f"Fused multiply-adds: "
            f"{sum(c[3] for c in fused)} of the code's "
            f"{len(re.findall(r'vfn?m(?:add|sub)', asm))}, in {len(fused)} loops of at most "
            f"{max((c[0] + c[2] for c in fused), default=0)} multiplies/adds: the activation "
            f"functions, whose polynomials call llvm.fma on purpose (kernels/activations.py); "
            f"none in the sums.")


def run(fits: int = 512, steps: int = 200, repeats: int = 5) -> dict:
    prob = problem()
    rng = np.random.default_rng(0)
    starts = np.array([prob.model.init(rng) for _ in range(fits)])
    load0 = os.getloadavg()[0]
    res = ensemble(prob, starts, steps=steps, lr=LR, rho=RHO, eps=EPS, progress=False)
    t_fs = median_time(lambda: ensemble(prob, starts, steps=steps, lr=LR, rho=RHO, eps=EPS,
                                        progress=False), repeats)
    # one fit at a time, every fit (also the check that the bits agree)
    fs.train.adadelta(prob, starts[0], rho=RHO, eps=EPS, lr=LR, max_iter=2, goal=0, gtol=0)
    t0 = time.perf_counter()
    singles = [fs.train.adadelta(prob, s, rho=RHO, eps=EPS, lr=LR, max_iter=steps, goal=0,
                                 gtol=0).theta for s in starts]
    t_one = time.perf_counter() - t0
    same = bool(np.array_equal(np.array(singles), res.thetas))
    out = {"fits": fits, "steps": steps, "fs": fits * steps / t_fs,
           "one": fits * steps / t_one, "same_bits": same, "jax": None}
    try:
        version, vrun = _jax_runner(prob, steps)
        import jax.numpy as jnp
        th0 = jnp.asarray(starts)
        ends = np.asarray(vrun(th0).block_until_ready())
        t_jax = median_time(lambda: vrun(th0).block_until_ready(), max(1, repeats // 2))
        out["jax"] = fits * steps / t_jax
        out["jax_version"] = version
        out["jax_diff"] = float(np.max(np.abs(ends - res.thetas)))
    except ImportError:
        pass
    out["fmas"] = fmas_per_step()
    out["limit"], out["limit_measured"] = fma_limit()
    out["threads"] = numba.get_num_threads()
    out["load"] = (load0, os.getloadavg()[0])
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fits", type=int, default=512)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--asm", action="store_true", help="count the hot loops' instructions")
    args = ap.parse_args(argv)
    r = run(args.fits, args.steps, args.repeats)
    print(f"{r['fits']} fits x {r['steps']} Adadelta steps, 5x5 ReLU net (136 parameters), "
          f"n = {N}, float64, {r['threads']} threads, load average {r['load'][0]:.2f} -> "
          f"{r['load'][1]:.2f}\n")
    print("| implementation | fits x steps / s | fastsurf / it |")
    print("|---|---|---|")
    print(f"| fastsurf.ensemble (Numba lanes) | {r['fs']:,.0f} | 1.00 |")
    print(f"| train.adadelta, one fit at a time | {r['one']:,.0f} | {r['fs'] / r['one']:.1f} |")
    if r["jax"] is None:
        print("| jax.vmap (jit, lax.fori_loop) | jax is not installed | - |")
    else:
        print(f"| jax {r['jax_version']} vmap (jit, lax.fori_loop) | {r['jax']:,.0f} | "
              f"{r['fs'] / r['jax']:.1f} |")
    print()
    print(f"same bits as train.adadelta on every fit: {r['same_bits']}")
    if r["jax"] is not None:
        print(f"largest |theta_jax - theta_fastsurf|: {r['jax_diff']:.2e}")
    rate = r["fs"] * r["fmas"]
    print(f"multiply-adds per fit-step (forward + backward): {r['fmas']:,}")
    print(f"kernel: {rate / 1e9:.1f} G multiply-adds/s = {rate / r['limit']:.1%} of the FMA limit "
          f"({r['limit'] / 1e9:.1f} G FMA/s: {r['threads']} threads x one thread's rate; "
          f"{r['limit_measured'] / 1e9:.1f} G FMA/s measured on all threads at once). The "
          "kernel rounds each multiply and add separately, as the single-run kernels do.")
    hours = PAPER_FITS * PAPER_STEPS / r["fs"] / 3600
    print(f"projected: {PAPER_FITS:,} fits x {PAPER_STEPS:,} steps = {hours:.1f} h here "
          f"(train.adadelta one at a time: {PAPER_FITS * PAPER_STEPS / r['one'] / 86400:.0f} "
          "days)")
    if args.asm:
        print("\nthe kernel's compiled forward and backward passes: " + asm_report())


if __name__ == "__main__":
    main()

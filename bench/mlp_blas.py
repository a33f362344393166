"""Where the MLP kernels should hand a layer to BLAS.

    OPENBLAS_NUM_THREADS=1 python bench/mlp_blas.py [--repeats 5] [--quick] [--layers]

Default: the exact cross-entropy gradient of a (64, N, N, 10) ReLU net with every layer on the
hand-written loops (``blas=False``), every layer through ``np.dot`` inside the Numba kernel
(``blas=True``), the automatic choice (``blas="auto"``,
:func:`fastsurf.kernels.mlp.blas_layers`) and a plain NumPy backprop, over widths N and
batch sizes n: a Markdown table of median times (ms), the fastest path, and the largest
relative difference of every path's gradient from the loops'.

``--layers``: the crossover itself. One hidden layer (a x b) of a (4, a, b, 1) net on BLAS
(``blas=(False, True, False)``) against all loops, for a, b in 2..64 and n in 8..512; the
time ratio BLAS / loops binned by the layer's multiply-adds a * b * n (powers of two), with
the share of shapes where BLAS was faster. ``BLAS_MIN_WORK`` in ``fastsurf/kernels/mlp.py`` is
read off this table.

Run it with one BLAS thread on a shared or busy machine: multi-threaded OpenBLAS stalls when
its threads find no free core (a 2-core machine with another job: gradients 10-50x slower).
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import median_time

import fastsurf as fs
from fastsurf.kernels.mlp import BLAS_MIN_WIDTH, BLAS_MIN_WORK

WIDTHS = (4, 8, 16, 32, 64, 128, 256)
SAMPLES = (32, 256, 1797)


def numpy_gradient(model, theta, x, labels):
    """Mean softmax cross-entropy gradient of a ReLU MLP by backprop in NumPy (row-major
    W_l (n_out, n_in), then b_l, layer by layer: fastsurf's layout)."""
    layers = [(theta[model.layer_slices(l)[0]].reshape(model.widths[l], model.widths[l - 1]),
               theta[model.layer_slices(l)[1]]) for l in range(1, len(model.widths))]
    hs = [x]
    for W, b in layers[:-1]:
        hs.append(np.maximum(hs[-1] @ W.T + b, 0.0))
    z = hs[-1] @ layers[-1][0].T + layers[-1][1]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1.0
    g = p / len(labels)
    grads = []
    for l in range(len(layers) - 1, -1, -1):
        W, _ = layers[l]
        grads.append((g.T @ hs[l]).ravel())
        grads.append(g.sum(axis=0))
        if l:
            g = (g @ W) * (hs[l] > 0)
    out = []
    for k in range(len(layers) - 1, -1, -1):
        out += [grads[2 * k], grads[2 * k + 1]]
    return np.concatenate(out)


def run(repeats: int = 5, widths=WIDTHS, samples=SAMPLES) -> list[dict]:
    rng = np.random.default_rng(0)
    rows = []
    for n in samples:
        x = rng.random((n, 64))
        labels = np.arange(n) % 10
        data = fs.ClassificationData(x, labels)
        for N in widths:
            probs = {mode: fs.Problem(fs.MLP((64, N, N, 10), activation="relu", blas=mode), data)
                     for mode in (False, True, "auto")}
            model = probs[False].model
            theta = model.init(1)
            ref = probs[False].gradient(theta)
            row = {"N": N, "n": n, "P": model.n_params, "work_hidden": N * N * n,
                   "work_first": 64 * N * n,
                   "auto_layers": "".join(str(int(f)) for f in
                                          probs["auto"].model.blas_flags(n)[1:])}
            diffs = {}
            for mode, name in ((False, "loops"), (True, "blas"), ("auto", "auto")):
                row[name] = 1e3 * median_time(lambda p=probs[mode], t=theta: p.gradient(t),
                                              repeats)
                diffs[name] = float(np.max(np.abs(probs[mode].gradient(theta) - ref))
                                    / np.max(np.abs(ref)))
            args = (model, theta, x, labels)
            row["numpy"] = 1e3 * median_time(lambda a=args: numpy_gradient(*a), repeats)
            diffs["numpy"] = float(np.max(np.abs(numpy_gradient(*args) - ref))
                                   / np.max(np.abs(ref)))
            row["max_rel_diff"] = max(diffs.values())
            row["fastest"] = min(("loops", "blas", "numpy"), key=lambda k: row[k])
            rows.append(row)
    return rows


LAYER_WIDTHS = (2, 4, 8, 16, 32, 64)
LAYER_SAMPLES = (8, 32, 128, 512)


def layer_crossover(repeats: int = 31, widths=LAYER_WIDTHS, samples=LAYER_SAMPLES):
    """Rows (work, a, b, n, BLAS time / loop time) for the hidden layer a x b of a
    (4, a, b, 1) ReLU net: the gradient with that layer on BLAS against all loops."""
    rng = np.random.default_rng(0)
    rows = []
    for n in samples:
        x = rng.standard_normal((n, 4))
        data = fs.RegressionData(x, rng.standard_normal((n, 1)))
        for a in widths:
            for b in widths:
                t = {}
                for flag in (False, True):
                    prob = fs.Problem(fs.MLP((4, a, b, 1), activation="relu",
                                             blas=(False, flag, False)), data)
                    theta = prob.init(0)
                    t[flag] = median_time(lambda p=prob, th=theta: p.gradient(th), repeats)
                rows.append((a * b * n, a, b, n, t[True] / t[False]))
    return sorted(rows)


def print_crossover(rows, repeats: int) -> list[tuple]:
    """The ratios binned by the power of two of the work: (bin, shapes, mean ratio, share of
    shapes where BLAS was faster)."""
    bins = {}
    for work, *_, ratio in rows:
        bins.setdefault(1 << (int(work).bit_length() - 1), []).append(ratio)
    print(f"Hidden layer a x b of a (4, a, b, 1) ReLU net on n samples, gradient time with the "
          f"layer on BLAS / on the loops (median of {repeats} calls each), a, b in "
          f"{sorted({r[1] for r in rows})}, n in {sorted({r[3] for r in rows})}. "
          f"BLAS_MIN_WORK = {BLAS_MIN_WORK}.\n")
    print("| multiply-adds a*b*n | shapes | mean ratio BLAS / loops | BLAS faster |")
    print("|---|---|---|---|")
    out = []
    for k in sorted(bins):
        r = np.array(bins[k])
        out.append((k, r.size, float(r.mean()), float(np.mean(r < 1))))
        print(f"| [2^{k.bit_length() - 1}, 2^{k.bit_length()}) | {r.size} | {r.mean():.2f} | "
              f"{np.mean(r < 1):.0%} |")
    return out


def main(argv=None) -> list:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="two widths, one batch size")
    ap.add_argument("--layers", action="store_true", help="the per-layer crossover scan")
    args = ap.parse_args(argv)
    if args.layers:
        small = ((2, 16), (8,)) if args.quick else ()
        repeats = 6 * args.repeats + 1
        return print_crossover(layer_crossover(repeats, *small), repeats)
    rows = run(args.repeats, *(((8, 64), (64,)) if args.quick else ()))
    print(f"Exact cross-entropy gradient of a (64, N, N, 10) ReLU net on n samples, median of "
          f"{args.repeats} (ms). auto: per-layer flags of blas='auto' (BLAS_MIN_WORK = "
          f"{BLAS_MIN_WORK}, BLAS_MIN_WIDTH = {BLAS_MIN_WIDTH}).\n")
    print("| N | n | P | N*N*n | loops | BLAS | auto (layers) | NumPy | fastest | "
          "max rel. diff |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['N']} | {r['n']} | {r['P']} | {r['work_hidden']} | {r['loops']:.3f} | "
              f"{r['blas']:.3f} | {r['auto']:.3f} ({r['auto_layers']}) | {r['numpy']:.3f} | "
              f"{r['fastest']} | {r['max_rel_diff']:.1e} |")
    return rows


if __name__ == "__main__":
    main()

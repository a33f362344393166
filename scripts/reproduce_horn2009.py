"""Reproduce the figures of Horn, De Jesús & Hagan (2009), §III–V, and write a short report.

    python scripts/reproduce_horn2009.py --out horn2009 [--quick]

Figures: fig03 linear surface with predicted valleys, fig04 SSE cross-sections for several T,
fig05 Kac density against Monte Carlo, fig06 E_k with bound and asymptote, fig07 roots of a
degree-500 random polynomial, fig08 roots moving with the order, fig10 tansig surface with
predicted and detected valleys, fig11 second-order net over (w2, w3). report.txt: roots and
frozen roots of the input, predicted against detected valleys, E_k against Monte Carlo.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import fastsurf as fs  # noqa: E402
from fastsurf import plot  # noqa: E402
from fastsurf import roots as R  # noqa: E402
from fastsurf import valleys as V  # noqa: E402


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("horn2009"))
    ap.add_argument("--quick", action="store_true", help="smaller grids and samples")
    args = ap.parse_args(argv)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    n = 512 if args.quick else 1024
    n_mc = 20_000 if args.quick else 100_000
    report = [f"Horn et al. (2009) reproduced with fastsurf {fs.__version__}", ""]
    t_start = time.perf_counter()

    def save(fig, name):
        fig.savefig(out / name, dpi=110)
        matplotlib.pyplot.close(fig)

    # Fig. 3: first-order linear neuron, theta_true = (0.5, 0.5), p ~ N(0, 1) seed 0, T = 100
    ranges = ((-2.0, 2.0), (-5.0, 5.0))
    lin = fs.RecurrentNeuron("purelin")
    data = fs.make_sequence_data(lin, (0.5, 0.5), T=100, seed=0)
    prob = fs.Problem(lin, data)
    surf = fs.scan.grid(prob, [0.5, 0.5], ranges=ranges, shape=(n, n), progress=False)
    pred = V.predict(prob, ranges)
    det = V.detect(surf)
    save(plot.surface_with_valleys(surf, pred, det, "Fig. 3: linear neuron, T = 100"),
         "fig03_linear_surface.png")
    cmp = V.compare(pred, det, surf)
    report += ["Linear neuron (Fig. 3)", cmp.summary(), ""]

    c = R.response_coefficients(data.p[0])
    real = R.real_roots(c)
    fr = R.frozen_roots(data.p[0], m=10)
    report += ["Real roots of a(100) as a polynomial in w2: "
               + ", ".join(f"{r:+.6f}" for r in real),
               "Outside the unit circle (valleys): "
               + ", ".join(f"{r:+.6f}" for r in real[np.abs(real) > 1]),
               "Frozen over the last 10 orders: "
               + ", ".join(f"{r:+.6f} (moved {m:.1e})" for r, m in zip(fr.roots, fr.movement)),
               ""]

    sections = V.cross_sections(prob, w1=0.5, w2_range=(-3, 3), lengths=(10, 20, 50, 100))
    save(plot.cross_sections(sections), "fig04_cross_sections.png")

    # Figs. 5-6: random Gaussian polynomials
    sample = R.sample_real_roots(50, n_mc, seed=1, progress=False)
    save(plot.kac_histogram(sample), "fig05_kac_density.png")
    samples = {k: R.sample_real_roots(k, n_mc // 5, seed=k, progress=False)
               for k in (2, 5, 10, 20, 50, 100, 200)}
    ks = np.unique(np.geomspace(1, 1000, 40).astype(int))
    save(plot.expected_roots(R.expected_real_roots_curves(ks), samples),
         "fig06_expected_real_roots.png")
    report.append("E_k: quadrature against Monte Carlo (mean ± standard error)")
    for k, s in sorted({**samples, 50: sample}.items()):
        e = R.expected_real_roots(k)
        report.append(f"  k = {k:4d}: E_k = {e:.10f}, MC = {s.mean:.4f} ± {s.stderr:.4f} "
                      f"({(s.mean - e) / s.stderr:+.1f} s.e.), shares "
                      + " ".join(f"{v:.3f}" for v in s.shares.values()))
    report.append(f"  sampler: {sample.polys_per_s:,.0f} polynomials/s (degree 50)")
    report.append("")

    # Fig. 7: roots of one degree-500 random polynomial; Fig. 8: roots moving with the order
    save(plot.complex_roots(R.random_polynomial_roots(500, seed=0),
                            title="Fig. 7: roots of a degree-500 random polynomial"),
         "fig07_random_polynomial_roots.png")
    tracks = R.track_roots(data.p[0], orders=np.arange(5, 101))
    fig = plot.root_tracks(tracks)
    fig.axes[0].set_ylim(-4, 4)
    save(fig, "fig08_root_tracks.png")

    # Fig. 10: first-order tansig neuron
    tan = fs.RecurrentNeuron("tansig")
    tprob = fs.Problem(tan, fs.make_sequence_data(tan, (0.5, 0.5), T=100, seed=0))
    tsurf = fs.scan.grid(tprob, [0.5, 0.5], ranges=ranges, shape=(n, n), progress=False)
    tpred = V.predict(tprob, ranges)
    tdet = V.detect(tsurf, prominence=0.01, min_cells=10)
    save(plot.surface_with_valleys(tsurf, [v for v in tpred if v.kind != "saturation"], tdet,
                                   "Fig. 10: tansig neuron, T = 100"), "fig10_tansig_surface.png")
    tcmp = V.compare(tpred, tdet, tsurf, tol=1.5)
    kinds = {}
    for p, *_ in tcmp.matched:
        kinds.setdefault(p.kind, [0, 0])[0] += 1
    for p in tcmp.missed:
        kinds.setdefault(p.kind, [0, 0])[1] += 1
    report += ["tansig neuron (Fig. 10), detection prominence 0.01 decades, tolerance 1.5 cells:"]
    report += [f"  {k:12s} matched {m}, not found {nf}" for k, (m, nf) in sorted(kinds.items())]
    cascades = [V.characterize(tprob, d, tsurf).kind for d in tcmp.unexpected]
    report += [f"  found-not-predicted {len(tcmp.unexpected)}: "
               + ", ".join(f"{c} {cascades.count(c)}" for c in sorted(set(cascades))), ""]

    # Fig. 11: second-order linear neuron over (w2, w3) at w1 = 0.5
    sec = fs.RecurrentNeuron("purelin", feedback_delays=2)
    sprob = fs.Problem(sec, fs.make_sequence_data(sec, (0.5, 0.5, -0.3), T=100, seed=0))
    sranges = ((-3.0, 3.0), (-3.0, 3.0))
    ssurf = fs.scan.grid(sprob, [0.5, 0.5, -0.3], axes=(1, 2), ranges=sranges,
                         shape=(n // 2, n // 2), progress=False)
    spred = V.predict(sprob, sranges, center=[0.5, 0.5, -0.3], resolution=200)
    sdet = V.detect(ssurf)
    save(plot.surface_with_valleys(ssurf, spred, sdet, "Fig. 11: second-order linear neuron"),
         "fig11_second_order_surface.png")
    report += ["Second-order linear neuron (Fig. 11), zero set of a(T) in (w2, w3):",
               V.compare(spred, sdet, ssurf, tol=1.5).summary(), ""]
    report.append(f"total time {time.perf_counter() - t_start:.1f} s")
    (out / "report.txt").write_text("\n".join(report) + "\n")
    print("\n".join(report))


if __name__ == "__main__":
    main()

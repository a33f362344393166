"""Training figures: trajectories over an error surface, BFGS line profiles."""

from __future__ import annotations

import numpy as np

from .surfaces import surface as plot_surface
from .valleys import overlay


def trajectories(surface, results, labels=None, predicted=None, max_runs: int = 40):
    """Training trajectories (in the surface's two axes) over the log error surface, coloured
    by outcome ("global" green, "spurious valley" red, other grey), with predicted valleys."""
    fig = plot_surface(surface, log=True)
    ax = fig.axes[0]
    if predicted:
        overlay(ax, predicted, label=False)
    colours = {"global": "#2ca02c", "spurious valley": "#d62728"}
    ax0, ax1 = surface.axes
    for k, res in enumerate(results[:max_runs]):
        lab = labels[k] if labels is not None else "other"
        tr = np.asarray(res.trajectory)
        ax.plot(tr[:, ax0], tr[:, ax1], "-", color=colours.get(lab, "0.7"), lw=0.8)
        ax.plot(tr[0, ax0], tr[0, ax1], "o", color=colours.get(lab, "0.7"), ms=2)
        ax.plot(tr[-1, ax0], tr[-1, ax1], "x", color=colours.get(lab, "0.7"), ms=4)
    ax.set_xlim(surface.x[0], surface.x[-1])
    ax.set_ylim(surface.y[0], surface.y[-1])
    return fig


def line_profiles(result, max_panels: int = 12, log: bool = True, iterations=None):
    """The loss along each BFGS search direction (``bfgs(..., record_line_profiles=True)``),
    one panel per iteration; iterations whose line search failed are drawn in red.

    ``iterations`` chooses the iterations drawn (default: the first ``max_panels``)."""
    import matplotlib.pyplot as plt
    profiles = result.meta.get("line_profiles", [])
    if not profiles:
        raise ValueError("result has no line profiles: train with record_line_profiles=True")
    failed = set(result.meta.get("failed_line_searches", []))
    if iterations is None:
        iterations = range(min(len(profiles), max_panels))
    iterations = [int(k) for k in iterations]
    bad = [k for k in iterations if not 0 <= k < len(profiles)]
    if bad:
        raise ValueError(f"iterations must lie in [0, {len(profiles) - 1}], got {bad}")
    n = len(iterations)
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.5 * rows), squeeze=False)
    for panel, ax in enumerate(axes.ravel()):
        if panel >= n:
            ax.axis("off")
            continue
        k = iterations[panel]
        prof = profiles[k]
        ax.plot(prof.alpha, prof.values, color="C3" if k in failed else "C0", lw=0.8)
        if log:
            ax.set_yscale("log")
        ax.set_title(f"iteration {k}" + (" (line search failed)" if k in failed else ""),
                     fontsize=8, color="C3" if k in failed else "k")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig

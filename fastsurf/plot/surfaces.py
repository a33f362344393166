"""Error surfaces and profiles."""

from __future__ import annotations

import numpy as np


def surface(surf, log: bool = True, ax=None, contours=None, three_d: bool = False,
            cmap: str = "viridis", nonfinite_color: str = "#d62728", title: str | None = None):
    """Image of a :class:`~fastsurf.scan.Surface` (log10 loss by default).

    Non-finite cells (overflowed outputs) are drawn in ``nonfinite_color``; zero-loss cells on a
    log scale are drawn at the smallest positive value. ``contours`` adds that many contour lines.
    ``three_d=True`` draws a 3-D surface instead.
    """
    import matplotlib.pyplot as plt
    vals = np.array(surf.values, dtype=float)
    finite = np.isfinite(vals)
    label = "loss"
    if log:
        positive = finite & (vals > 0)
        floor = vals[positive].min() if positive.any() else 1.0
        vals = np.where(finite, np.log10(np.maximum(vals, floor)), np.nan)
        label = "log10 loss"
    else:
        vals = np.where(finite, vals, np.nan)
    if three_d:
        fig = plt.figure(figsize=(7, 5.5)) if ax is None else ax.figure
        ax = fig.add_subplot(projection="3d") if ax is None else ax
        X, Y = np.meshgrid(surf.x, surf.y)
        ax.plot_surface(X, Y, np.ma.masked_invalid(vals), cmap=cmap, linewidth=0)
        ax.set_zlabel(label)
    else:
        fig, ax = plt.subplots(figsize=(7, 5.5)) if ax is None else (ax.figure, ax)
        cm = plt.get_cmap(cmap).with_extremes(bad=nonfinite_color)
        extent = (surf.x[0], surf.x[-1], surf.y[0], surf.y[-1])
        im = ax.imshow(np.ma.masked_invalid(vals), origin="lower", extent=extent, aspect="auto",
                       cmap=cm, interpolation="nearest")
        fig.colorbar(im, ax=ax, label=label)
        if contours:
            ax.contour(surf.x, surf.y, np.ma.masked_invalid(vals), levels=contours,
                       colors="white", linewidths=0.5, alpha=0.6)
        if (~finite).any():
            ax.plot([], [], "s", color=nonfinite_color, label="overflow (+inf)")
            ax.legend(loc="upper right", fontsize=8)
    ax.set_xlabel(surf.x_label)
    ax.set_ylabel(surf.y_label)
    if title:
        ax.set_title(title)
    return fig


def profile(prof, log: bool = True, ax=None, **kwargs):
    """Loss along a :class:`~fastsurf.scan.Profile` against alpha."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4)) if ax is None else (ax.figure, ax)
    ax.plot(prof.alpha, prof.values, **kwargs)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("alpha")
    ax.set_ylabel("loss")
    return fig

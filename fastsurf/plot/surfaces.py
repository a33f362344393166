"""Error surfaces and profiles."""

from __future__ import annotations

import numpy as np

#: Colour scales of :func:`surface`.
SCALES = ("quantile", "robust", "full")


def _norm(vals: np.ndarray, scale: str, robust: tuple[float, float]):
    """The matplotlib norm of a colour scale over the finite cells of ``vals``.

    "quantile": colour steps of equal area (256 quantiles of the finite cells), so a surface
    whose log loss spans 140 decades still shows valleys a few decades deep in every band;
    "robust": linear between the ``robust`` percentiles (outliers take the end colours);
    "full": linear between the smallest and largest finite cell.
    """
    import matplotlib.colors as mcolors
    finite = vals[np.isfinite(vals)]
    if finite.size == 0:
        return mcolors.Normalize(0.0, 1.0)
    if scale == "quantile":
        edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, 257)))
        if edges.size >= 3:
            return mcolors.BoundaryNorm(edges, 256)
        scale = "full"
    lo, hi = ((np.percentile(finite, robust[0]), np.percentile(finite, robust[1]))
              if scale == "robust" else (finite.min(), finite.max()))
    return mcolors.Normalize(lo, hi if hi > lo else lo + 1.0)


def surface(surf, log: bool = True, ax=None, contours=None, three_d: bool = False,
            cmap: str = "viridis", nonfinite_color: str = "#d62728", title: str | None = None,
            scale: str = "quantile", robust: tuple[float, float] = (1.0, 99.0),
            mark_minimum: bool = True):
    """Image of a :class:`~fastsurf.scan.Surface` (log10 loss by default).

    Non-finite cells (overflowed outputs) are drawn in ``nonfinite_color`` (with a legend
    entry); zero-loss cells on a log scale are drawn at the smallest positive value.
    ``contours`` adds that many contour lines. ``three_d=True`` draws a 3-D surface instead.

    Parameters
    ----------
    scale : {"quantile", "robust", "full"}
        Colour scale over the finite cells: "quantile" (default) gives each of 256 colours an
        equal share of the cells, so the flat stable band and the valleys of an unstable
        region that rises by 140 decades are both visible (the colour bar's ticks are then
        unevenly spaced values); "robust" is linear between the ``robust`` percentiles;
        "full" linear over the whole finite range.
    robust : (float, float)
        Percentiles of the "robust" scale.
    mark_minimum : bool
        Mark the smallest finite cell (a white star, with a legend entry).
    """
    import matplotlib.pyplot as plt
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
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
        norm = _norm(vals, scale, robust)
        im = ax.imshow(np.ma.masked_invalid(vals), origin="lower", extent=extent, aspect="auto",
                       cmap=cm, norm=norm, interpolation="nearest")
        how = {"quantile": "equal-area colour steps", "robust":
               f"{robust[0]:g}-{robust[1]:g} percentile range", "full": "full range"}[scale]
        bar = fig.colorbar(im, ax=ax, label=f"{label} ({how})")
        if scale == "quantile" and hasattr(norm, "boundaries"):
            bar.set_ticks(np.quantile(norm.boundaries, np.linspace(0, 1, 9)))
            bar.ax.yaxis.set_major_formatter(plt.FormatStrFormatter("%.3g"))
        if contours:
            ax.contour(surf.x, surf.y, np.ma.masked_invalid(vals), levels=contours,
                       colors="white", linewidths=0.5, alpha=0.6)
        if (~finite).any():
            ax.plot([], [], "s", color=nonfinite_color, label="overflow (+inf)")
        if mark_minimum and finite.any():
            i, j = np.unravel_index(int(np.nanargmin(vals)), vals.shape)
            ax.plot(surf.x[j], surf.y[i], "*", ms=11, color="white", mec="black", mew=0.8,
                    label=f"minimum ({surf.x[j]:.3g}, {surf.y[i]:.3g})")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right", fontsize=7, framealpha=0.85)
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

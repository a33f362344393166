"""Valley figures: predicted valleys over a surface (Horn et al. 2009, Figs. 3, 10, 11) and loss
cross-sections for several sequence lengths (Fig. 4). They draw the results they are handed
(``fastsurf.valleys.predict``/``detect``/``cross_sections``) and compute nothing."""

from __future__ import annotations

from .surfaces import surface as plot_surface

#: kind -> (colour, line style or marker, legend label). Predicted valleys are thin, partly
#: transparent lines (or dots for point sets that can fill a region), never white, so that they
#: neither hide the surface nor look like missing cells.
STYLES = {"input-zero": ("tab:orange", "-", "predicted: input-zero (w1 = 0)"),
          "root": ("magenta", "--", "predicted: root valley (eq. 2)"),
          "near-root": ("violet", ":", "predicted: near-root (complex pair)"),
          "output-zero": ("magenta", ".", "predicted: a(T) = 0 (bent root, eq. 18)"),
          "saturation": ("deepskyblue", "-", "predicted: saturation (eq. 19)"),
          "detected": ("black", ".", "detected (cross-section minima)")}


def overlay(ax, valleys, lw: float = 0.9, label: bool = True):
    """Draw valleys on an existing axes (e.g. of :func:`fastsurf.plot.surface`).

    Parameters
    ----------
    ax : matplotlib Axes
    valleys : iterable of Valley
        Predicted valleys are drawn as thin lines (output-zero point sets as dots), detected
        ones as small black dots.
    lw : float
        Line width.
    label : bool
        Add a legend entry per kind.

    Returns
    -------
    matplotlib Figure
    """
    seen = set()
    for v in valleys:
        color, style, name = STYLES.get(v.kind, ("C0", "-", v.kind))
        name = name if label and v.kind not in seen else None
        seen.add(v.kind)
        if style == ".":
            ax.plot(v.x, v.y, ".", ms=1.2 if v.kind == "detected" else 1.5, color=color,
                    alpha=0.8 if v.kind == "detected" else 0.6, mew=0)
            if name:                            # a legend marker large enough to see
                ax.plot([], [], ".", ms=6, color=color, label=name)
        else:
            ax.plot(v.x, v.y, style, color=color, lw=lw, alpha=0.8, label=name)
    if label and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=6.5, framealpha=0.85)
    return ax.figure


def surface_with_valleys(surface, predicted, detected=None, title: str | None = None,
                         scale: str = "quantile", ax=None):
    """Log error surface with predicted (lines) and detected (dots) valleys and the minimum.

    Parameters
    ----------
    surface : Surface
    predicted : iterable of Valley
    detected : iterable of Valley, optional
    title : str, optional
    scale : {"quantile", "robust", "full"}
        Colour scale (see :func:`fastsurf.plot.surface`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    fig = plot_surface(surface, log=True, title=title, scale=scale, ax=ax)
    ax = fig.axes[0] if ax is None else ax
    overlay(ax, list(predicted) + list(detected or []))
    ax.set_xlim(surface.x[0], surface.x[-1])
    ax.set_ylim(surface.y[0], surface.y[-1])
    return fig


def cross_sections(profiles, ax=None, marks=(), title: str | None = None):
    """Loss against w2 at fixed w1, one curve per sequence length T (Horn et al. Fig. 4).

    Parameters
    ----------
    profiles : list of Profile
        From :func:`fastsurf.valleys.cross_sections` (each segment runs along w2 at fixed w1,
        ``meta["T"]`` its length).
    ax : matplotlib Axes, optional
    marks : sequence of (float, str)
        Positions of w2 to mark with a labelled vertical line (e.g. the frozen roots where
        the loss dips).
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    if not isinstance(profiles, (list, tuple)) or not all(
            hasattr(p, "alpha") and hasattr(p, "theta0") for p in profiles):
        raise TypeError("plot.cross_sections draws the profiles of "
                        "fastsurf.valleys.cross_sections(problem, w1, w2_range, lengths, n); "
                        f"got {type(profiles).__name__}")
    fig, ax = plt.subplots(figsize=(6.5, 4.5)) if ax is None else (ax.figure, ax)
    for prof in profiles:
        w2 = prof.theta0[1] + prof.alpha * (prof.theta1[1] - prof.theta0[1])
        ax.semilogy(w2, prof.values, lw=0.8, label=f"T = {prof.meta.get('T', '?')}")
    ax.set_xlabel("w2")
    if profiles:
        loss = str(profiles[0].meta.get("loss", "loss")).upper()
        ax.set_ylabel(f"{loss} at w1 = {profiles[0].theta0[0]:g}")
    for n, (w2, text) in enumerate(marks):
        ax.axvline(w2, color="0.4", ls=":", lw=0.9, zorder=0,
                   label="dips: frozen roots" if n == 0 else None)
        ax.annotate(text, (w2, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -10),
                    textcoords="offset points", fontsize=7, rotation=90, va="top")
    ax.set_xlabel("w2")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return fig

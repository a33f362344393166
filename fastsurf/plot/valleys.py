"""Valley figures: predicted valleys over a surface (Horn et al. 2009, Figs. 3, 10, 11) and loss
cross-sections for several sequence lengths (Fig. 4). They draw the results they are handed
(``fastsurf.valleys.predict``/``detect``/``cross_sections``) and compute nothing."""

from __future__ import annotations

from .surfaces import surface as plot_surface

STYLES = {"input-zero": ("C3", "-"), "root": ("w", "--"), "near-root": ("C1", "--"),
          "output-zero": ("w", "--"), "saturation": ("C6", ":"), "detected": ("k", "")}


def overlay(ax, valleys, lw: float = 1.0, label: bool = True):
    """Draw valleys on an existing axes (e.g. of :func:`fastsurf.plot.surface`).

    Parameters
    ----------
    ax : matplotlib Axes
    valleys : iterable of Valley
        Predicted valleys are drawn as lines, detected ones as dots.
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
        color, ls = STYLES.get(v.kind, ("C0", "-"))
        name = v.kind if label and v.kind not in seen else None
        seen.add(v.kind)
        if v.kind == "detected":
            ax.plot(v.x, v.y, ".", ms=1.5, color=color, label=name)
        else:
            ax.plot(v.x, v.y, ls, color=color, lw=lw, label=name)
    if label and seen:
        ax.legend(loc="upper right", fontsize=7)
    return ax.figure


def surface_with_valleys(surface, predicted, detected=None, title: str | None = None):
    """Log error surface with predicted (lines) and detected (dots) valleys.

    Parameters
    ----------
    surface : Surface
    predicted : iterable of Valley
    detected : iterable of Valley, optional
    title : str, optional

    Returns
    -------
    matplotlib Figure
    """
    fig = plot_surface(surface, log=True, title=title)
    ax = fig.axes[0]
    overlay(ax, list(predicted) + list(detected or []))
    ax.set_xlim(surface.x[0], surface.x[-1])
    ax.set_ylim(surface.y[0], surface.y[-1])
    return fig


def cross_sections(profiles, ax=None):
    """Loss against w2 at fixed w1, one curve per sequence length T (Horn et al. Fig. 4).

    Parameters
    ----------
    profiles : list of Profile
        From :func:`fastsurf.valleys.cross_sections` (each segment runs along w2 at fixed w1,
        ``meta["T"]`` its length).
    ax : matplotlib Axes, optional

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
    ax.legend(fontsize=8)
    return fig

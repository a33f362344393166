"""Valley figures: predicted valleys over a surface (Horn Figs. 3, 10, 11) and SSE
cross-sections for several sequence lengths (Fig. 4)."""

from __future__ import annotations

STYLES = {"input-zero": ("C3", "-"), "root": ("w", "--"), "near-root": ("C1", "--"),
          "output-zero": ("w", "--"), "saturation": ("C6", ":"), "detected": ("k", "")}


def overlay(ax, valleys, lw: float = 1.0, label: bool = True):
    """Draw valleys on an existing axes (e.g. of :func:`fastsurf.plot.surface`)."""
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
    """Log error surface with predicted (lines) and detected (dots) valleys."""
    from .surfaces import surface as plot_surface
    fig = plot_surface(surface, log=True, title=title)
    ax = fig.axes[0]
    overlay(ax, list(predicted) + list(detected or []))
    ax.set_xlim(surface.x[0], surface.x[-1])
    ax.set_ylim(surface.y[0], surface.y[-1])
    return fig


def cross_sections(problem, w1: float = 0.5, w2_range=(-3.0, 3.0), lengths=(10, 20, 50, 100),
                   n: int = 2000, ax=None):
    """SSE against w2 at fixed w1 for several sequence lengths T (Horn Fig. 4).

    Uses the first T steps of ``problem``'s sequences for each T (first-order neuron).
    """
    import matplotlib.pyplot as plt

    from ..data import SequenceData
    from ..problem import Problem
    from ..scan import line
    fig, ax = plt.subplots(figsize=(6.5, 4.5)) if ax is None else (ax.figure, ax)
    d = problem.data
    for T in lengths:
        if T > d.T:
            raise ValueError(f"lengths must not exceed the data's T={d.T}, got {T}")
        sub = Problem(problem.model, SequenceData(d.p[:, :T], d.t[:, :T], d.a0))
        prof = line(sub, [w1, w2_range[0]], [w1, w2_range[1]], n)
        w2 = w2_range[0] + prof.alpha * (w2_range[1] - w2_range[0])
        ax.semilogy(w2, prof.values, lw=0.8, label=f"T = {T}")
    ax.set_xlabel("w2")
    ax.set_ylabel(f"SSE at w1 = {w1}")
    ax.legend(fontsize=8)
    return fig

"""Figures of polynomial roots (Horn et al. Figs. 5–8).

These functions only draw: the curves come from the objects they are given
(:class:`fastsurf.roots.RealRootSample`, :class:`fastsurf.roots.ExpectedRootCurves`,
:class:`fastsurf.roots.RootTracks`), so this module imports no other part of fastsurf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _axes(ax, size=(6, 4.5)):
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def kac_histogram(sample: Any, bins: int = 200, limit: float = 4.0, ax: Axes | None = None,
                  density: tuple[np.ndarray, np.ndarray] | None = None) -> Figure:
    """Histogram of Monte-Carlo real roots against Kac's density (Horn Fig. 5).

    Parameters
    ----------
    sample : RealRootSample
        From :func:`fastsurf.roots.sample_real_roots`; the histogram is normalised to the number
        of roots per polynomial so it estimates f(r; k) directly.
    bins : int
        Number of bins over [-limit, limit].
    limit : float
        Half-width of the plotted range.
    ax : matplotlib Axes, optional
    density : (r, f) pair of arrays, optional
        The density curve to draw; default ``sample.kac_curve(limit)`` (Kac's density on 2001
        points of [-limit, limit]).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from fastsurf import plot, roots
    >>> fig = plot.kac_histogram(roots.sample_real_roots(10, 500, progress=False))
    """
    r, f = sample.kac_curve(limit) if density is None else density
    fig, ax = _axes(ax)
    edges = np.linspace(-limit, limit, bins + 1)
    hist, _ = np.histogram(sample.roots, bins=edges)
    width = edges[1] - edges[0]
    ax.bar(edges[:-1], hist / (sample.counts.size * width), width=width, align="edge",
           color="#9ecae1", label=f"Monte Carlo, {sample.counts.size} polynomials")
    ax.plot(r, f, "k", lw=1.2, label="Kac density")
    ax.set_xlabel("r")
    ax.set_ylabel(f"density of real roots, degree {sample.k}")
    ax.legend(fontsize=8)
    return fig


def expected_roots(curves: Any, samples: dict | None = None, ax: Axes | None = None) -> Figure:
    """E_k against k with Kac's bound and the Edelman–Kostlan asymptote (Horn Fig. 6).

    Parameters
    ----------
    curves : ExpectedRootCurves
        From :func:`fastsurf.roots.expected_real_roots_curves` (attributes ``k``, ``expected``,
        ``asymptote``, ``bound``).
    samples : dict, optional
        Maps k to a RealRootSample drawn as points with 2-sigma bars.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from fastsurf import plot, roots
    >>> fig = plot.expected_roots(roots.expected_real_roots_curves([1, 10, 100]))
    """
    if not all(hasattr(curves, a) for a in ("k", "expected", "asymptote", "bound")):
        raise TypeError(
            "curves must be the ExpectedRootCurves to draw, e.g. "
            "fastsurf.roots.expected_real_roots_curves(ks); got "
            f"{type(curves).__name__} (this function no longer computes E_k itself)")
    fig, ax = _axes(ax)
    ks = np.asarray(curves.k)
    ax.plot(ks, curves.expected, "k", label="E_k (quadrature)")
    ax.plot(ks, curves.asymptote, "--", label="asymptote (2/π) ln k + 0.6257 + 2/(πk)")
    ax.plot(ks, curves.bound, ":", label="Kac bound (2/π) ln k + 14/π")
    if samples:
        kk = sorted(samples)
        ax.errorbar(kk, [samples[k].mean for k in kk], yerr=[2 * samples[k].stderr for k in kk],
                    fmt="o", ms=4, label="Monte Carlo ± 2 s.e.")
    ax.set_xscale("log")
    ax.set_xlabel("degree k")
    ax.set_ylabel("expected number of real roots")
    ax.legend(fontsize=8)
    return fig


def complex_roots(roots: np.ndarray, ax: Axes | None = None, title: str | None = None) -> Figure:
    """Roots in the complex plane with the unit circle (Horn Fig. 7).

    Parameters
    ----------
    roots : array_like of complex
        E.g. :func:`fastsurf.roots.random_polynomial_roots`; those with imaginary part exactly 0
        are drawn as real roots.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from fastsurf import plot, roots
    >>> fig = plot.complex_roots(roots.random_polynomial_roots(100), title="degree 100")
    """
    fig, ax = _axes(ax, (5, 5))
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), "k", lw=0.8, label="unit circle")
    roots = np.asarray(roots)
    real = roots.imag == 0
    ax.plot(roots[~real].real, roots[~real].imag, ".", ms=3, label="complex roots")
    ax.plot(roots[real].real, roots[real].imag, "o", ms=5, color="C3", label="real roots")
    ax.set_aspect("equal")
    ax.set_xlabel("Re")
    ax.set_ylabel("Im")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()                 # keep the axis labels inside the square figure
    return fig


def root_tracks(tracks: Any, real_only: bool = True, ax: Axes | None = None,
                title: str | None = None) -> Figure:
    """Roots of a(k) against the order k, one line per trajectory (Horn Fig. 8).

    ``tracks`` is a :class:`fastsurf.roots.RootTracks`. With ``real_only`` only real positions
    are drawn (the real roots are the valleys); the unit interval (stable |w2| < 1) is
    shaded. The legend names the band and the tracks (one colour per root).
    """
    fig, ax = _axes(ax)
    for j in range(tracks.tracks.shape[1]):
        z = tracks.tracks[:, j]
        y = np.where(np.abs(z.imag) == 0, z.real, np.nan) if real_only else np.abs(z)
        ax.plot(tracks.orders, y, ".-", ms=3, lw=0.8,
                label="one root of a(k), followed over k (a colour per root)" if j == 0
                else None)
    ax.axhspan(-1, 1, color="0.9", zorder=0, label="|w2| < 1: stable, no valley")
    ax.set_xlabel("order k (sequence length)")
    ax.set_ylabel("real root of a(k) (a valley at w2 = root)" if real_only
                  else "|root| of a(k)")
    ax.legend(fontsize=7, loc="lower right")
    if title:
        ax.set_title(title)
    return fig

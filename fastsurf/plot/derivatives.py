"""Figures from exact derivatives: gradient fields, Hessian eigenvalue maps, spectra."""

from __future__ import annotations

import numpy as np


def gradient_field(cmap, stride: int | None = None, log: bool = True, ax=None):
    """Loss image with the negative gradient (in the grid's two axes) as arrows.

    Parameters
    ----------
    cmap : CurvatureMap
        From :func:`fastsurf.curvature.curvature_grid`.
    stride : int, optional
        Arrows every ``stride`` cells (default: about 24 per axis); they are normalised
        (direction only).
    log : bool
        Colour by log10 loss.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 5)) if ax is None else (ax.figure, ax)
    L = cmap.loss
    img = np.log10(np.where(L > 0, L, np.nan)) if log else L
    im = ax.imshow(np.ma.masked_invalid(img), origin="lower", aspect="auto",
                   extent=(cmap.x[0], cmap.x[-1], cmap.y[0], cmap.y[-1]))
    fig.colorbar(im, ax=ax, label="log10 loss" if log else "loss")
    s = stride or max(1, max(L.shape) // 24)
    gx = -cmap.gradient[::s, ::s, cmap.axes[0]]
    gy = -cmap.gradient[::s, ::s, cmap.axes[1]]
    norm = np.hypot(gx, gy)
    norm[norm == 0] = 1.0
    X, Y = np.meshgrid(cmap.x[::s], cmap.y[::s])
    ax.quiver(X, Y, gx / norm, gy / norm, color="white", width=0.003)
    ax.set_xlabel(f"theta[{cmap.axes[0]}]")
    ax.set_ylabel(f"theta[{cmap.axes[1]}]")
    return fig


def eigenvalue_maps(cmap):
    """Three panels: smallest and largest Hessian eigenvalue (symmetric log colour scale)
    and the sign of the determinant.

    Parameters
    ----------
    cmap : CurvatureMap
        From :func:`fastsurf.curvature.curvature_grid`.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import SymLogNorm
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    extent = (cmap.x[0], cmap.x[-1], cmap.y[0], cmap.y[-1])
    for ax, data, title in ((axes[0], cmap.eig_min, "smallest eigenvalue"),
                            (axes[1], cmap.eig_max, "largest eigenvalue")):
        finite = np.abs(data[np.isfinite(data)])
        lin = float(np.percentile(finite[finite > 0], 5)) if np.any(finite > 0) else 1.0
        im = ax.imshow(np.ma.masked_invalid(data), origin="lower", aspect="auto", extent=extent,
                       cmap="RdBu_r", norm=SymLogNorm(linthresh=lin))
        fig.colorbar(im, ax=ax)
        ax.set_title(title)
    im = axes[2].imshow(cmap.det_sign, origin="lower", aspect="auto", extent=extent,
                        cmap="coolwarm", vmin=-1, vmax=1)
    fig.colorbar(im, ax=axes[2], ticks=[-1, 0, 1])
    axes[2].set_title("sign of det(Hessian)")
    for ax in axes:
        ax.set_xlabel(f"theta[{cmap.axes[0]}]")
        ax.set_ylabel(f"theta[{cmap.axes[1]}]")
    fig.tight_layout()
    return fig


def spectrum(spec, ax=None):
    """Eigenvalues of a spectrum, sorted, on a symmetric log scale, with the zero band shaded.

    Parameters
    ----------
    spec : Spectrum
        From :func:`fastsurf.spectra.hessian_spectrum` (its ``zero_tol`` is the band: the
        eigenvalues inside count as zero).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4)) if ax is None else (ax.figure, ax)
    w = spec.eigenvalues
    ax.plot(np.arange(w.size), w, "o", ms=3)
    ax.set_yscale("symlog", linthresh=max(spec.zero_tol, 1e-300))
    ax.axhspan(-spec.zero_tol, spec.zero_tol, color="0.85", label="|λ| ≤ zero_tol")
    ax.set_xlabel("index")
    ax.set_ylabel("Hessian eigenvalue")
    ax.legend(fontsize=8)
    return fig

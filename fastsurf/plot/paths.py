"""Path figures: interpolation profiles, bands over surfaces, losses and turning angles."""

from __future__ import annotations

import numpy as np


def interpolation(profiles, log: bool = False):
    """One panel per alpha window of :func:`fastsurf.paths.interpolate`."""
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(profiles), figsize=(4.2 * len(profiles), 3.6), squeeze=False)
    for ax, prof in zip(axes[0], profiles):
        ax.plot(prof.alpha, prof.values)
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("alpha")
        ax.set_title(f"[{prof.alpha[0]:g}, {prof.alpha[-1]:g}]")
    axes[0][0].set_ylabel("loss")
    fig.tight_layout()
    return fig


def band(surface, path, ax=None):
    """A NEB band (images joined, climbing image marked) over a 2-D surface. The surface must
    be a grid over the two parameters of a 2-parameter problem, or a plane whose theta_at
    covers the images."""
    from .surfaces import surface as plot_surface
    fig = plot_surface(surface, log=True) if ax is None else ax.figure
    ax = fig.axes[0] if ax is None else ax
    R = np.asarray(path.images)
    if surface.kind == "grid":
        xs, ys = R[:, surface.axes[0]], R[:, surface.axes[1]]
    else:
        D = np.column_stack([surface.d1, surface.d2])
        xy = np.linalg.lstsq(D, (R - surface.origin).T, rcond=None)[0]
        xs, ys = xy
    ax.plot(xs, ys, "o-", color="white", ms=4, lw=1)
    if path.climbing_index is not None:
        ax.plot(xs[path.climbing_index], ys[path.climbing_index], "*", color="C3", ms=14,
                label="climbing image")
        ax.legend(loc="upper right", fontsize=8)
    return fig


def path_losses(path, segments=None, ax=None):
    """Loss of the images against arc length, with the straight segments between images
    (``segments`` from :func:`fastsurf.paths.segment_profiles`) for comparison."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4)) if ax is None else (ax.figure, ax)
    if segments is not None:
        ax.plot(segments[0], segments[1], "-", color="0.6", lw=1, label="straight segments")
    ax.plot(path.arc_length, path.losses, "o-", label="images")
    ax.set_xlabel("arc length")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    return fig


def angles(path, ax=None):
    """Turning angles between successive segments against arc length (Gamst & Walker
    Fig. 10)."""
    import matplotlib.pyplot as plt

    from ..paths import turning_angles
    fig, ax = plt.subplots(figsize=(6, 4)) if ax is None else (ax.figure, ax)
    s, ang = turning_angles(path)
    ax.plot(s, ang, "o-")
    ax.set_xlabel("arc length")
    ax.set_ylabel("turning angle (degrees)")
    return fig


def trajectory_projection(problem, trajectory, theta_i, theta_f, shape=(80, 80), margin=0.2):
    """A trajectory projected on the plane of its straight line (alpha) and its largest
    off-line direction (beta), with the loss on that plane underneath."""
    from ..paths import summarize_trajectory
    from ..scan import plane
    from .surfaces import surface as plot_surface
    summ = summarize_trajectory(trajectory, theta_i, theta_f)
    u = np.asarray(theta_f, float) - np.asarray(theta_i, float)
    d2 = summ.direction if np.any(summ.direction) else np.eye(u.size)[np.argmin(np.abs(u))]
    traj = np.asarray(trajectory, float)
    beta = (traj - theta_i - summ.alpha[:, None] * u) @ d2
    lo_a, hi_a = min(summ.alpha.min(), 0.0), max(summ.alpha.max(), 1.0)
    span_b = max(np.ptp(beta), 1e-3 * np.linalg.norm(u))
    ranges = ((lo_a - margin, hi_a + margin),
              (beta.min() - margin * span_b, beta.max() + margin * span_b))
    surf = plane(problem, theta_i, u, d2, ranges=ranges, shape=shape, progress=False)
    fig = plot_surface(surf, log=True)
    ax = fig.axes[0]
    ax.plot(summ.alpha, beta, "-", color="white", lw=1.2, label="trajectory")
    ax.plot([0, 1], [0, 0], "--", color="C1", label="straight line")
    ax.set_xlabel("alpha (along theta_f - theta_i)")
    ax.set_ylabel("beta (largest off-line direction)")
    ax.legend(fontsize=8)
    return fig

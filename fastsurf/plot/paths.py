"""Path figures: interpolation profiles, bands over surfaces, losses and turning angles.

These functions only draw: the computations (:func:`fastsurf.paths.path_profile`,
:meth:`fastsurf.paths.Path.turning_angles`, :func:`fastsurf.paths.trajectory_plane`) happen
in :mod:`fastsurf.paths`, and nothing here imports from fastsurf outside ``fastsurf.plot``.
"""

from __future__ import annotations

import numpy as np

from .surfaces import surface as plot_surface


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
    """Loss of the images against arc length, with the straight segments between images for
    comparison: ``segments`` is a :class:`~fastsurf.paths.PathProfile`
    (:func:`fastsurf.paths.path_profile`) or the (arc length, loss) pair of
    :func:`fastsurf.paths.segment_profiles`; by default the path's own ``segment_profile``
    when :meth:`~fastsurf.paths.Path.profile` has computed it."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4)) if ax is None else (ax.figure, ax)
    if segments is None:
        segments = getattr(path, "segment_profile", None)
    if segments is not None:
        s, v = ((segments.arc_length, segments.values) if hasattr(segments, "arc_length")
                else segments)
        ax.plot(s, v, "-", color="0.6", lw=1, label="straight segments")
    ax.plot(path.arc_length, path.losses, "o-", label="images")
    ax.set_xlabel("arc length")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    return fig


def angles(path, ax=None):
    """Turning angles between successive segments against arc length (Gamst & Walker 2017,
    Fig. 10), from :meth:`fastsurf.paths.Path.turning_angles`."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4)) if ax is None else (ax.figure, ax)
    s, ang = path.turning_angles()
    ax.plot(s, ang, "o-")
    ax.set_xlabel("arc length")
    ax.set_ylabel("turning angle (degrees)")
    return fig


def trajectory_projection(tplane, *args, ax=None, **kwargs):
    """A trajectory projected on the plane of its straight line (alpha) and its largest
    off-line direction (beta), with the loss on that plane underneath: ``tplane`` from
    :func:`fastsurf.paths.trajectory_plane`. ``ax`` (keyword): draw there.

    The former call ``trajectory_projection(problem, trajectory, theta_i, theta_f, ...)``,
    which computed the plane, is a TypeError that says how to compute it."""
    if args or kwargs or not hasattr(tplane, "surface") or not hasattr(tplane, "beta"):
        raise TypeError("trajectory_projection draws a TrajectoryPlane: compute it with "
                        "fastsurf.paths.trajectory_plane(problem, trajectory, theta_i, theta_f)")
    fig = plot_surface(tplane.surface, log=True, ax=ax)
    ax = fig.axes[0] if ax is None else ax
    ax.plot(tplane.alpha, tplane.beta, "-", color="white", lw=1.2, label="trajectory")
    ax.plot([0, 1], [0, 0], "--", color="C1", label="straight line")
    ax.legend(fontsize=8)
    return fig

"""Paths through weight space: straight lines, training trajectories, minimum-energy paths and
curves between minima.

* :func:`interpolate` — the loss along straight lines, with zooms at the ends (Goodfellow,
  Vinyals & Saxe 2015).
* :func:`off_path_residual`, :func:`summarize_trajectory`, :func:`trajectory_plane` — how far
  a training trajectory leaves the straight line from its start to its end, and the loss on
  the plane of that line and the largest departure (Goodfellow, Vinyals & Saxe 2015).
* :func:`neb` — nudged elastic band (Jónsson, Mills & Jacobsen 1998) with the improved tangent
  of Henkelman & Jónsson (2000, J. Chem. Phys. 113, 9978) and the climbing image of
  Henkelman, Uberuaga & Jónsson (2000, J. Chem. Phys. 113, 9901), built from small
  strategy classes (:class:`ImprovedTangent`, :class:`ClimbingRule`, and the optimizers
  :class:`~fastsurf.optim.FIRE` of Bitzek et al. 2006 and :class:`~fastsurf.optim.LBFGS`) as
  in ASE. It returns a :class:`Path`.
* :func:`curve` — quadratic Bézier and polychain curves between minima trained on the expected
  loss over the curve (Garipov et al. 2018, NeurIPS), with :class:`~fastsurf.optim.Adam`.
* :func:`path_profile` (:meth:`Path.profile`), :func:`barrier_height`,
  :func:`turning_angles` (:meth:`Path.turning_angles`), :func:`segment_profiles` — analysis
  of a band (Gamst & Walker 2017).

:class:`Path` is a band of images, not a file system path: import this module
(``from fastsurf import paths``; ``paths.Path``) rather than ``from fastsurf.paths import Path``,
which would shadow :class:`pathlib.Path` in the importing module. No fastsurf module imports the
name.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from ._memory import check_memory
from ._progress import progress_bar
from ._results import Result
from ._validation import as_float_array, as_rng, as_theta, check_choice, check_int, check_real
from .critical import CriticalPoint, classify
from .optim import FIRE, LBFGS, Adam
from .scan import Profile, Surface, line, plane

__all__ = ["OPTIMIZERS", "TANGENTS", "ZOOMS", "BisectionTangent", "ClimbingRule", "Curve",
           "FIRE", "ImprovedTangent", "LBFGS", "Path", "PathProfile", "TrajectoryPlane",
           "TrajectorySummary", "barrier_height", "curve", "interpolate", "neb",
           "off_path_residual", "path_profile", "segment_profiles", "summarize_trajectory",
           "trajectory_plane", "turning_angles"]

ZOOMS = ((0.0, 1.0), (0.0, 0.01), (0.99, 1.0))


# --- straight lines ------------------------------------------------------------------------------
def interpolate(problem, theta0, theta1, windows=ZOOMS, n: int = 200) -> list[Profile]:
    """Loss along (1 - alpha) theta0 + alpha theta1 in each alpha window (Goodfellow, Vinyals &
    Saxe 2015 use [0, 1], [0, 0.01] and [0.99, 1] at 200 points). End points are evaluated
    exactly."""
    n = check_int("n", n, minimum=2)
    out = []
    for window in windows:
        lo, hi = (check_real("windows", v) for v in window)
        if not hi > lo:
            raise ValueError(f"each window must satisfy lo < hi, got {window}")
        out.append(line(problem, theta0, theta1, np.linspace(lo, hi, n)))
    return out


def off_path_residual(trajectory, theta_i, theta_f) -> tuple[np.ndarray, np.ndarray]:
    """Position along and distance from the line theta_i -> theta_f (the straight line of
    Goodfellow, Vinyals & Saxe 2015, from the initial to the final parameters of a run).

    With u = theta_f - theta_i: alpha_t = <theta_t - theta_i, u> / |u|^2 and
    r_t = |theta_t - theta_i - alpha_t u|.

    Parameters
    ----------
    trajectory : array_like, shape (n, P)
    theta_i, theta_f : array_like, shape (P,)
    """
    traj = as_float_array("trajectory", trajectory, ndim=2)
    P = traj.shape[1]
    theta_i = as_theta("theta_i", theta_i, P)
    theta_f = as_theta("theta_f", theta_f, P)
    u = theta_f - theta_i
    uu = float(u @ u)
    if uu == 0.0:
        raise ValueError("theta_i and theta_f must differ")
    d = traj - theta_i
    alpha = d @ u / uu
    resid = np.linalg.norm(d - alpha[:, None] * u, axis=1)
    return alpha, resid


@dataclass(repr=False)
class TrajectorySummary(Result):
    """Summary of a trajectory against its straight line.

    ``in_line_length``: distance travelled along the line (sum |d alpha| |u|);
    ``total_length``: distance travelled; ``max_residual`` and where it occurs (``argmax``);
    ``direction``: unit vector of the largest off-line displacement (for 2-D projections).
    """

    alpha: np.ndarray
    residual: np.ndarray
    in_line_length: float
    total_length: float
    max_residual: float
    argmax: int
    direction: np.ndarray


def summarize_trajectory(trajectory, theta_i, theta_f) -> TrajectorySummary:
    """:func:`off_path_residual` plus lengths and the largest-residual direction."""
    traj = as_float_array("trajectory", trajectory, ndim=2)
    alpha, resid = off_path_residual(traj, theta_i, theta_f)
    u = np.asarray(theta_f, float) - np.asarray(theta_i, float)
    k = int(np.argmax(resid))
    off = traj[k] - theta_i - alpha[k] * u
    norm = np.linalg.norm(off)
    direction = off / norm if norm > 0 else np.zeros_like(u)
    return TrajectorySummary(
        alpha=alpha, residual=resid,
        in_line_length=float(np.sum(np.abs(np.diff(alpha))) * np.linalg.norm(u)),
        total_length=float(np.sum(np.linalg.norm(np.diff(traj, axis=0), axis=1))),
        max_residual=float(resid[k]), argmax=k, direction=direction)


@dataclass(repr=False)
class TrajectoryPlane(Result):
    """A trajectory on the plane of its straight line and its largest off-line direction.

    Attributes
    ----------
    surface : Surface
        The loss on the plane theta_i + alpha (theta_f - theta_i) + beta d, with d the unit
        direction of the largest off-line displacement (``surface.d2``).
    alpha, beta : ndarray (n,)
        Coordinates of the trajectory's points on that plane (beta: the component of the
        off-line displacement along d).
    """

    surface: Surface
    alpha: np.ndarray
    beta: np.ndarray


def trajectory_plane(problem, trajectory, theta_i, theta_f, shape=(80, 80), margin=0.2,
                     progress=False) -> TrajectoryPlane:
    """The loss on the plane of a trajectory's straight line (alpha) and its largest off-line
    direction (beta), with the trajectory's coordinates there (Goodfellow, Vinyals & Saxe
    2015): the plane covers the trajectory and alpha in [0, 1], widened by ``margin`` (in alpha
    units, and in units of the trajectory's beta span). Draw it with
    :func:`fastsurf.plot.trajectory_projection`.
    """
    traj = as_float_array("trajectory", trajectory, ndim=2)
    P = traj.shape[1]
    theta_i = as_theta("theta_i", theta_i, P)
    theta_f = as_theta("theta_f", theta_f, P)
    margin = check_real("margin", margin, minimum=0.0)
    summ = summarize_trajectory(traj, theta_i, theta_f)
    u = theta_f - theta_i
    d2 = summ.direction if np.any(summ.direction) else np.eye(u.size)[np.argmin(np.abs(u))]
    beta = (traj - theta_i - summ.alpha[:, None] * u) @ d2
    lo_a, hi_a = min(summ.alpha.min(), 0.0), max(summ.alpha.max(), 1.0)
    span_b = max(np.ptp(beta), 1e-3 * np.linalg.norm(u))
    ranges = ((lo_a - margin, hi_a + margin),
              (beta.min() - margin * span_b, beta.max() + margin * span_b))
    surf = plane(problem, theta_i, u, d2, ranges=ranges, shape=shape, progress=progress)
    surf.x_label = "alpha (along theta_f - theta_i)"
    surf.y_label = "beta (largest off-line direction)"
    return TrajectoryPlane(surface=surf, alpha=summ.alpha, beta=beta)


# --- nudged elastic band -------------------------------------------------------------------------
class ImprovedTangent:
    """Henkelman & Jónsson (2000) tangent: towards the higher neighbour, energy-weighted
    bisection at extrema of the band. It suppresses kinks; on a curved path its one-sided
    chords put the images O(spacing^2) inside the minimum-energy path (more images, closer)."""

    def __call__(self, R: np.ndarray, V: np.ndarray, i: int) -> np.ndarray:
        tp, tm = R[i + 1] - R[i], R[i] - R[i - 1]
        vp, v0, vm = V[i + 1], V[i], V[i - 1]
        if vp > v0 > vm:
            tau = tp
        elif vp < v0 < vm:
            tau = tm
        else:
            dmax = max(abs(vp - v0), abs(vm - v0))
            dmin = min(abs(vp - v0), abs(vm - v0))
            tau = tp * dmax + tm * dmin if vp > vm else tp * dmin + tm * dmax
        n = np.linalg.norm(tau)
        return tau / n if n > 0 else tau


class BisectionTangent:
    """The original NEB tangent: bisection of the two unit segment vectors."""

    def __call__(self, R: np.ndarray, V: np.ndarray, i: int) -> np.ndarray:
        a = R[i + 1] - R[i]
        b = R[i] - R[i - 1]
        tau = a / np.linalg.norm(a) + b / np.linalg.norm(b)
        n = np.linalg.norm(tau)
        return tau / n if n > 0 else tau


TANGENTS = {"improved": ImprovedTangent, "bisection": BisectionTangent}


class ClimbingRule:
    """Switch the highest interior image to climbing once the band has settled: when the
    largest NEB force falls below ``settle_tol`` or after ``after`` iterations.

    The climbing image then keeps its role until another image is higher than it by more than
    ``switch`` times the band's barrier (highest loss minus the higher end point). Without this
    hysteresis two images of nearly equal loss on a flat top trade places every few steps, and
    every trade resets the optimizer.
    """

    def __init__(self, settle_tol: float = 1e-2, after: int = 500, switch: float = 0.05):
        self.settle_tol = check_real("settle_tol", settle_tol, minimum=0.0)
        self.after = check_int("after", after, minimum=0)
        self.switch = check_real("switch", switch, minimum=0.0)
        self.active = False

    def update(self, iteration: int, fmax: float) -> bool:
        if not self.active and (fmax < self.settle_tol or iteration >= self.after):
            self.active = True
        return self.active

    def select(self, V: np.ndarray, current: int | None) -> int:
        """Index of the climbing image given the losses V of the whole band."""
        top = 1 + int(np.argmax(V[1:-1]))
        if current is None or top == current:
            return top
        margin = self.switch * max(V[top] - max(V[0], V[-1]), 0.0)
        return top if V[top] > V[current] + margin else current


#: Band optimizers of :func:`neb` (both take the NEB force: ``takes = "force"``).
OPTIMIZERS = {"fire": FIRE, "lbfgs": LBFGS}


@dataclass(repr=False)
class PathProfile(Result):
    """The loss along the straight segments between the successive images of a band.

    Attributes
    ----------
    arc_length : ndarray (n_segments * points_per_segment,)
        Position along the band (the images' cumulative distance, linear within a segment;
        each interior image appears twice, as the end of one segment and the start of the next).
    values : ndarray
        The loss there.
    segment : ndarray of int
        The segment of each point (segment i joins images i and i + 1).
    alpha : ndarray
        Position within the segment, in [0, 1].
    meta : dict
    """

    arc_length: np.ndarray
    values: np.ndarray
    segment: np.ndarray
    alpha: np.ndarray
    meta: dict = field(default_factory=dict)

    _repr_skip = ("meta",)

    @property
    def barrier(self) -> float:
        """Highest loss along the segments minus the higher of the band's two end points."""
        return float(np.max(self.values) - max(self.values[0], self.values[-1]))


@dataclass(repr=False)
class Path(Result):
    """A converged (or not) band of images from theta_a to theta_b, from :func:`neb`.

    Not a file system path (see the module notes): refer to it as ``paths.Path``.

    Attributes
    ----------
    images : ndarray (n_images, P)
    losses : ndarray (n_images,)
    forces : ndarray (n_images, P)
        NEB forces at the end (zero at the fixed end points).
    arc_length : ndarray (n_images,)
        Cumulative distance along the band.
    history : ndarray
        Largest image force per iteration.
    converged : bool
    n_iter : int
    climbing_index : int or None
    saddle : CriticalPoint or None
        ``fastsurf.critical.classify`` of the climbing image (index 1 at a first-order saddle).
    meta : dict
    reason : str
        "converged" (largest force <= tol) or "max_iter" (filled in from ``converged`` when
        not given).
    n_evals : int or None
        Losses evaluated at single points (n_images per iteration and for the final band;
        None when not counted).
    segment_profile : PathProfile or None
        The dense loss between the images, once :meth:`profile` has computed it.
    """

    images: np.ndarray
    losses: np.ndarray
    forces: np.ndarray
    arc_length: np.ndarray
    history: np.ndarray
    converged: bool
    n_iter: int
    climbing_index: int | None = None
    saddle: object = None
    meta: dict = field(default_factory=dict)
    reason: str | None = None
    n_evals: int | None = None
    segment_profile: PathProfile | None = None

    _repr_skip = ("meta",)

    def __post_init__(self):
        if self.reason is None:
            self.reason = "converged" if self.converged else "max_iter"

    @property
    def barrier(self) -> float:
        """Highest loss minus the higher end point: along the straight segments between the
        images once :meth:`profile` has computed them (``segment_profile.barrier``), else over
        the images (:func:`barrier_height`)."""
        if self.segment_profile is not None:
            return self.segment_profile.barrier
        return barrier_height(self)

    def profile(self, problem, points_per_segment: int = 21) -> PathProfile:
        """The loss along the straight segments between the images (:func:`path_profile`),
        kept in :attr:`segment_profile`, so that :attr:`barrier` is then the dense one."""
        self.segment_profile = path_profile(problem, self, points_per_segment)
        return self.segment_profile

    def turning_angles(self) -> tuple[np.ndarray, np.ndarray]:
        """Angles (degrees) between successive segments against the arc length of the image
        where they meet (Gamst & Walker 2017, Fig. 10)."""
        return _turning_angles(self.images)

    def save(self, path):
        """Save every field to ``path`` (``.npz``) atomically, the saddle included (a saddle
        that is not a :class:`~fastsurf._results.Result` is stored as the dict of its fields
        and comes back as a CriticalPoint)."""
        saddle = self.saddle
        if saddle is None or isinstance(saddle, (Result, dict)):
            return super().save(path)
        return dataclasses.replace(self, saddle=dataclasses.asdict(saddle)).save(path)

    @classmethod
    def load(cls, path) -> Path:
        """Load a path written by :meth:`save` (or by fastsurf before results shared one
        format: then a saddle is the partial dict that was stored)."""
        obj = super().load(path)
        if isinstance(obj.saddle, dict) and set(obj.saddle) == _CRITICAL_FIELDS:
            obj.saddle = CriticalPoint(**obj.saddle)
        return obj


_CRITICAL_FIELDS = {f.name for f in dataclasses.fields(CriticalPoint)}


def _arc(images):
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(images, axis=0), axis=1))])


def neb(problem, theta_a, theta_b, n_images: int = 11, k: float = 1.0, climbing: bool = True,
        tangent: str = "improved", optimizer: str = "fire", tol: float = 1e-6,
        max_iter: int = 20_000, climb: ClimbingRule | None = None, images=None,
        progress=None) -> Path:
    """Minimum-energy path between two points by the nudged elastic band (Jónsson, Mills &
    Jacobsen 1998), with the climbing image of Henkelman, Uberuaga & Jónsson (2000).

    F_i = -grad V_perp + k (|R_{i+1} - R_i| - |R_i - R_{i-1}|) tau_i for the interior images
    (the spring force along the tangent tau_i, of Henkelman & Jónsson 2000 by default);
    with ``climbing``, once ``climb`` says the band has settled, the highest image feels
    F = -grad V + 2 (grad V . tau) tau and no spring. Converged when the largest image force
    norm is <= ``tol``. The end points stay fixed (they should be minima).

    Parameters
    ----------
    problem : Problem or FunctionProblem
        Needs ``loss``/``losses`` and an exact ``gradient`` (and ``hessian`` to classify the
        climbing image).
    theta_a, theta_b : array_like, shape (P,)
        End points (distinct, finite).
    n_images : int
        Images including the end points (>= 3).
    k : float
        Spring constant (> 0).
    climbing : bool
    tangent : {"improved", "bisection"}
    optimizer : {"fire", "lbfgs"}
        FIRE (Bitzek et al. 2006) is robust; L-BFGS is much faster on smooth surfaces but can
        drift uphill on MLP losses (see :class:`~fastsurf.optim.LBFGS`).
    tol : float
        Convergence on max_i |F_i|.
    max_iter : int
    climb : ClimbingRule, optional
        When to switch climbing on (default ``ClimbingRule()``).
    images : array_like (n_images, P), optional
        Initial band (default: straight line).
    progress : bool or None

    Returns
    -------
    Path
        With ``reason`` "converged" or "max_iter"; ``barrier`` is over the images until
        :meth:`Path.profile` has computed the loss between them.

    Raises
    ------
    ValueError
        When the band reaches non-finite losses.

    Example
    -------
    The double well f = (x^2 - 1)^2 + 2 (y - x^2 / 2)^2 has minima (+-1, 1/2) and a
    first-order saddle at (0, 0) with f = 1:

    >>> import numpy as np
    >>> import fastsurf as fs
    >>> def f(v):
    ...     return (v[0] ** 2 - 1) ** 2 + 2 * (v[1] - 0.5 * v[0] ** 2) ** 2
    >>> problem = fs.FunctionProblem(f, n_params=2)
    >>> path = fs.paths.neb(problem, [-1, 0.5], [1, 0.5], n_images=9, progress=False)
    >>> path.converged, path.reason
    (True, 'converged')
    >>> bool(np.allclose(path.images[path.climbing_index], [0, 0], atol=1e-5))
    True
    >>> path.saddle.kind, path.saddle.index, round(path.barrier, 6)
    ('saddle', 1, 1.0)
    >>> bool(path.profile(problem).barrier >= path.barrier - 1e-12)
    True
    """
    P = problem.n_params
    theta_a = as_theta("theta_a", theta_a, P)
    theta_b = as_theta("theta_b", theta_b, P)
    if np.array_equal(theta_a, theta_b):
        raise ValueError("theta_a and theta_b must be different points")
    n_images = check_int("n_images", n_images, minimum=3)
    # the band, its forces, gradients and optimizer state: a few (n_images, P) arrays
    check_memory(n_images * (48 * P + 256), f"neb(n_images={n_images}) with {P} parameters",
                 "use fewer images")
    k = check_real("k", k, minimum=0.0, strict_min=True)
    tol = check_real("tol", tol, minimum=0.0, strict_min=True)
    max_iter = check_int("max_iter", max_iter, minimum=1)
    tangent_fn = TANGENTS[check_choice("tangent", tangent, TANGENTS)]()
    opt = OPTIMIZERS[check_choice("optimizer", optimizer, OPTIMIZERS)]()
    rule = climb if climb is not None else ClimbingRule()
    if images is None:
        R = np.linspace(0.0, 1.0, n_images)[:, None] * (theta_b - theta_a) + theta_a
    else:
        R = as_float_array("images", images, ndim=2).copy()
        if R.shape != (n_images, P):
            raise ValueError(f"images must have shape ({n_images}, {P}), got {R.shape}")
        R[0], R[-1] = theta_a, theta_b
    t0 = time.perf_counter()
    history = []
    climbing_index = None
    F = np.zeros_like(R)
    converged = False
    it = 0
    with progress_bar(progress, total=max_iter, unit="it", desc="neb") as bar:
        for it in range(1, max_iter + 1):
            V = problem.losses(R)
            if not np.all(np.isfinite(V)):
                raise ValueError("the band reached non-finite losses; choose other end points "
                                 "or more images")
            G = np.array([problem.gradient(r) for r in R[1:-1]])
            fmax_spring = _neb_forces(R, V, G, k, tangent_fn, None, F)
            if climbing and rule.update(it, fmax_spring):
                new = rule.select(V, climbing_index)
                if new != climbing_index:
                    climbing_index = new
                    opt.reset()
                _neb_forces(R, V, G, k, tangent_fn, climbing_index, F)
            fmax = float(np.max(np.linalg.norm(F[1:-1], axis=1)))
            history.append(fmax)
            if fmax <= tol and (not climbing or climbing_index is not None):
                converged = True
                break
            flat = opt.step(R[1:-1].ravel(), F[1:-1].ravel())
            R[1:-1] = flat.reshape(n_images - 2, P)
            bar.update(1)
    losses = problem.losses(R)
    saddle = None
    if climbing_index is not None and hasattr(problem, "hessian"):
        saddle = classify(problem, R[climbing_index])
    return Path(images=R, losses=losses, forces=F, arc_length=_arc(R),
                history=np.array(history), converged=converged, n_iter=it,
                climbing_index=climbing_index, saddle=saddle,
                meta={"k": k, "tangent": tangent, "optimizer": optimizer, "tol": tol,
                      "n_gradients": (n_images - 2) * len(history),
                      "elapsed_s": time.perf_counter() - t0, **problem.describe()},
                reason="converged" if converged else "max_iter",
                n_evals=n_images * (len(history) + 1))


def _neb_forces(R, V, G, k, tangent_fn, climbing_index, F) -> float:
    """NEB forces into F (interior rows); returns the largest force norm."""
    for i in range(1, R.shape[0] - 1):
        tau = tangent_fn(R, V, i)
        g = G[i - 1]
        gt = float(g @ tau)
        if i == climbing_index:
            F[i] = -g + 2.0 * gt * tau
        else:
            spring = k * (np.linalg.norm(R[i + 1] - R[i]) - np.linalg.norm(R[i] - R[i - 1]))
            F[i] = -(g - gt * tau) + spring * tau
    return float(np.max(np.linalg.norm(F[1:-1], axis=1)))


# --- curves --------------------------------------------------------------------------------------
@dataclass(repr=False)
class Curve(Result):
    """A parametric curve between two points with one trained control point (Garipov et al.
    2018).

    ``kind`` "bezier": phi(t) = (1-t)^2 a + 2 t (1-t) c + t^2 b; "polychain": a -> c -> b
    (c at t = 1/2). ``t``/``losses``: the loss at 61 equally spaced t; ``history``: the
    expected loss estimate per training step. Training runs a fixed number of steps with no
    convergence test: ``converged`` is False and ``reason`` "max_iter"; ``n_iter`` is the
    number of steps (``len(history)`` when not given) and ``n_evals`` the losses evaluated at
    single points (``batch`` per step and the 61 of ``losses``; None when not counted).
    """

    kind: str
    theta_a: np.ndarray
    theta_b: np.ndarray
    control: np.ndarray
    t: np.ndarray
    losses: np.ndarray
    history: np.ndarray
    converged: bool = False
    reason: str = "max_iter"
    n_iter: int | None = None
    n_evals: int | None = None

    def __post_init__(self):
        if self.n_iter is None:
            self.n_iter = len(self.history)

    def points(self, t) -> np.ndarray:
        """Points of the curve at parameters t, (len(t), P)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))[:, None]
        return _curve_points(self.kind, self.theta_a, self.theta_b, self.control, t)


def _curve_points(kind, a, b, c, t):
    if kind == "bezier":
        return (1 - t) ** 2 * a + 2 * t * (1 - t) * c + t ** 2 * b
    return np.where(t < 0.5, a + 2 * t * (c - a), c + (2 * t - 1) * (b - c))


def _curve_weight(kind, t):
    """d phi(t) / d c."""
    if kind == "bezier":
        return 2 * t * (1 - t)
    return np.where(t < 0.5, 2 * t, 2 * (1 - t))


#: Points at which a trained curve is evaluated (``Curve.t``).
CURVE_POINTS = 61


def curve(problem, theta_a, theta_b, kind: str = "bezier", steps: int = 2000,
          batch: int = 8, lr: float = 0.01, seed=0, progress=None) -> Curve:
    """Train the control point of a Bézier or polychain curve on the expected loss over
    t ~ U(0, 1) (Garipov et al. 2018) with Adam (:class:`fastsurf.optim.Adam`, beta1 = 0.9,
    beta2 = 0.999, eps = 1e-12), then evaluate it at 61 points.

    The gradient of E_t L(phi(t)) with respect to the control point c is
    E_t [w(t) grad L(phi(t))] with w(t) = d phi / d c; each step averages ``batch`` samples.
    """
    P = problem.n_params
    a = as_theta("theta_a", theta_a, P)
    b = as_theta("theta_b", theta_b, P)
    if np.array_equal(a, b):
        raise ValueError("theta_a and theta_b must be different points")
    kind = check_choice("kind", kind, ("bezier", "polychain"))
    steps = check_int("steps", steps, minimum=1)
    batch = check_int("batch", batch, minimum=1)
    lr = check_real("lr", lr, minimum=0.0, strict_min=True)
    rng = as_rng(seed)
    c = 0.5 * (a + b)
    adam = Adam(lr=lr, eps=1e-12)
    history = []
    with progress_bar(progress, total=steps, unit="step", desc="curve") as bar:
        for _ in range(steps):
            t = rng.uniform(0, 1, batch)[:, None]
            pts = _curve_points(kind, a, b, c, t)
            w = _curve_weight(kind, t)[:, 0]
            grad = np.mean([wi * problem.gradient(p) for wi, p in zip(w, pts)], axis=0)
            history.append(float(np.mean(problem.losses(pts))))
            c = adam.step(c, grad)
            bar.update(1)
    ts = np.linspace(0, 1, CURVE_POINTS)
    return Curve(kind=kind, theta_a=a, theta_b=b, control=c, t=ts,
                 losses=problem.losses(_curve_points(kind, a, b, c, ts[:, None])),
                 history=np.array(history), n_iter=steps,
                 n_evals=steps * batch + CURVE_POINTS)


# --- analysis ------------------------------------------------------------------------------------
def barrier_height(path) -> float:
    """Highest loss over the images of a band minus the higher of its two end points (see
    :attr:`Path.barrier` for the dense barrier between the images)."""
    losses = np.asarray(path.losses)
    return float(np.max(losses) - max(losses[0], losses[-1]))


def _turning_angles(images) -> tuple[np.ndarray, np.ndarray]:
    R = np.asarray(images)
    seg = np.diff(R, axis=0)
    norms = np.linalg.norm(seg, axis=1)
    cos = np.sum(seg[1:] * seg[:-1], axis=1) / (norms[1:] * norms[:-1])
    return _arc(R)[1:-1], np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def turning_angles(path) -> tuple[np.ndarray, np.ndarray]:
    """Angles (degrees) between successive segments of a band (anything with ``images``),
    against the arc length of the image where they meet (Gamst & Walker 2017, Fig. 10);
    :meth:`Path.turning_angles`."""
    return _turning_angles(path.images)


def path_profile(problem, path, points_per_segment: int = 21) -> PathProfile:
    """The loss along the straight segments between the successive images of a band
    (anything with ``images``), ``points_per_segment`` equally spaced points on each segment,
    its end points included (exactly the images), each segment by :func:`fastsurf.scan.line`.

    Its ``barrier`` is at least the images' (:func:`barrier_height`): the dense profile
    contains every image.
    """
    k = check_int("points_per_segment", points_per_segment, minimum=2)
    R = as_float_array("images", path.images, ndim=2)
    arc = _arc(R)
    alphas = np.linspace(0, 1, k)
    s_all, v_all = [], []
    for i in range(R.shape[0] - 1):
        prof = line(problem, R[i], R[i + 1], alphas)
        s_all.append(arc[i] + alphas * (arc[i + 1] - arc[i]))
        v_all.append(prof.values)
    n_seg = R.shape[0] - 1
    return PathProfile(arc_length=np.concatenate(s_all), values=np.concatenate(v_all),
                       segment=np.repeat(np.arange(n_seg), k), alpha=np.tile(alphas, n_seg),
                       meta={"points_per_segment": k, **problem.describe()})


def segment_profiles(problem, path, n: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """Loss along the straight segments between successive images: (arc length, loss) with
    ``n`` points per segment, for comparison with the images' own losses (the arrays of
    :func:`path_profile`)."""
    n = check_int("n", n, minimum=2)
    prof = path_profile(problem, path, n)
    return prof.arc_length, prof.values

"""Paths through weight space (Goodfellow & Vinyals 2015; Gamst & Walker 2017; DESIGN §8).

* :func:`interpolate` — the loss along straight lines, with zooms at the ends.
* :func:`off_path_residual` — how far a training trajectory leaves the straight line.
* :func:`neb` — nudged elastic band (Jónsson, Mills & Jacobsen) with the Henkelman–Jónsson
  improved tangent and the climbing image of Henkelman, Uberuaga & Jónsson, built from small
  strategy classes (:class:`ImprovedTangent`, :class:`ClimbingRule`, :class:`FIRE`,
  :class:`LBFGS`) as in ASE.
* :func:`curve` — quadratic Bézier and polychain curves between minima (Garipov et al. 2018).
* :func:`barrier_height`, :func:`turning_angles`, :func:`segment_profiles` — path analysis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _io
from ._progress import progress_bar
from ._validation import as_float_array, as_rng, as_theta, check_choice, check_int, check_real
from .scan import Profile, line

ZOOMS = ((0.0, 1.0), (0.0, 0.01), (0.99, 1.0))


# --- straight lines ------------------------------------------------------------------------------
def interpolate(problem, theta0, theta1, windows=ZOOMS, n: int = 200) -> list[Profile]:
    """Loss along (1 - alpha) theta0 + alpha theta1 in each alpha window (Goodfellow & Vinyals
    use [0, 1], [0, 0.01] and [0.99, 1] at 200 points). End points are evaluated exactly."""
    n = check_int("n", n, minimum=2)
    out = []
    for window in windows:
        lo, hi = (check_real("windows", v) for v in window)
        if not hi > lo:
            raise ValueError(f"each window must satisfy lo < hi, got {window}")
        out.append(line(problem, theta0, theta1, np.linspace(lo, hi, n)))
    return out


def off_path_residual(trajectory, theta_i, theta_f) -> tuple[np.ndarray, np.ndarray]:
    """Position along and distance from the line theta_i -> theta_f (DESIGN §8).

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


@dataclass
class TrajectorySummary:
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


class FIRE:
    """Fast inertial relaxation engine (Bitzek et al. 2006) with the corrections of FIRE 2.0
    (Guénolé et al. 2020): a floor ``dt_min`` on the time step and half a step back after an
    uphill move (without them the step can shrink geometrically until the band freezes), and
    a maximum step length."""

    def __init__(self, dt: float = 0.05, dt_max: float = 0.5, dt_min: float = 0.005,
                 max_step: float = 0.2, n_min: int = 5, f_inc: float = 1.1, f_dec: float = 0.5,
                 alpha0: float = 0.1, f_alpha: float = 0.99):
        self.dt, self.dt_max, self.dt_min, self.max_step = dt, dt_max, dt_min, max_step
        self.n_min, self.f_inc, self.f_dec = n_min, f_inc, f_dec
        self.alpha0, self.f_alpha = alpha0, f_alpha
        self.v = None
        self.last_dx = None
        self.alpha = alpha0
        self.n_pos = 0

    def reset(self):
        self.v = None
        self.last_dx = None

    def step(self, x: np.ndarray, force: np.ndarray) -> np.ndarray:
        if self.v is None:
            self.v = np.zeros_like(x)
        fn = _norm(force)
        # the sign of F . v, computed on F / |F| so that huge forces do not overflow it
        power = float(np.sum((force / fn) * self.v)) if fn > 0 else 0.0
        if power > 0:
            self.v = (1 - self.alpha) * self.v + self.alpha * (force / fn) * _norm(self.v)
            self.n_pos += 1
            if self.n_pos > self.n_min:
                self.dt = min(self.dt * self.f_inc, self.dt_max)
                self.alpha *= self.f_alpha
        else:
            # half of the move actually made (capped at max_step), never 0.5 dt v: the
            # velocity is not capped and can be huge where the forces are
            if self.last_dx is not None:
                x = x - 0.5 * self.last_dx
            self.v[:] = 0.0
            self.dt = max(self.dt * self.f_dec, self.dt_min)
            self.alpha = self.alpha0
            self.n_pos = 0
        self.v = self.v + self.dt * force
        dx = self.dt * self.v
        n = _norm(dx)
        if n > self.max_step:
            # cap the move and the velocity with it, so both stay bounded however large the
            # forces (steep walls of unstable regions)
            dx *= self.max_step / n
            self.v *= self.max_step / n
        self.last_dx = dx
        return x + dx


def _norm(v: np.ndarray) -> float:
    """Euclidean norm without overflow of the squares (entries up to the float64 maximum)."""
    m = float(np.max(np.abs(v))) if v.size else 0.0
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.linalg.norm(v / m))


class LBFGS:
    """Limited-memory BFGS on the whole band, the NEB force taken as minus a gradient
    ("global L-BFGS" of Sheppard, Terrell & Henkelman 2008), without a line search, kept safe
    by a trust radius:

    * a curvature pair (s, y) enters the memory only if s.y > 1e-10 |s| |y| (positive
      curvature, relative to the scale of the step and force change);
    * a step that makes |F| more than ``grow`` times larger is undone, the memory cleared and
      the trust radius set to half that step; it doubles after every kept step, up to
      ``max_step``;
    * a direction that is not along the force restarts along the force, scaled by 1/alpha.

    It needs far fewer iterations than :class:`FIRE` on smooth, well-scaled surfaces, but the
    force is not a gradient: on bands through the sharply curved, degenerate valleys of MLP
    losses (e.g. permuted minima of a (2, 3, 1) softplus net) its directions, though along the
    force (dx . F > 0), mix the spring and perpendicular parts and climb the loss, with or
    without the climbing image and for any step cap tried (0.01 to 0.2). Use FIRE there.
    """

    def __init__(self, memory: int = 20, max_step: float = 0.2, alpha: float = 70.0,
                 grow: float = 10.0):
        self.memory = check_int("memory", memory, minimum=1)
        self.max_step = check_real("max_step", max_step, minimum=0.0, strict_min=True)
        self.h0 = 1.0 / check_real("alpha", alpha, minimum=0.0, strict_min=True)
        self.grow = check_real("grow", grow, minimum=1.0)
        self.trust = self.max_step
        self.reset()

    def reset(self):
        self.s, self.y = [], []
        self.x_prev = self.f_prev = None

    def step(self, x: np.ndarray, force: np.ndarray) -> np.ndarray:
        if self.x_prev is not None:
            if np.linalg.norm(force) > self.grow * np.linalg.norm(self.f_prev):
                back = self.x_prev
                self.trust = 0.5 * float(np.linalg.norm(x - back))
                self.reset()
                return back
            s, y = x - self.x_prev, self.f_prev - force
            if float(s @ y) > 1e-10 * float(np.linalg.norm(s) * np.linalg.norm(y)):
                self.s.append(s)
                self.y.append(y)
                if len(self.s) > self.memory:
                    self.s.pop(0)
                    self.y.pop(0)
        dx = self._direction(force)
        if float(dx @ force) <= 0:
            self.s, self.y = [], []
            dx = self.h0 * force
        n = float(np.linalg.norm(dx))
        if n > self.trust:
            dx *= self.trust / n
        self.trust = min(self.max_step, 2.0 * self.trust)
        self.x_prev, self.f_prev = x.copy(), force.copy()
        return x + dx

    def _direction(self, force):
        """The two-loop recursion: the inverse-Hessian estimate times the force."""
        q = force.copy()
        rho = [1.0 / float(y @ s) for s, y in zip(self.s, self.y)]
        a = []
        for s, y, r in reversed(list(zip(self.s, self.y, rho))):
            a.append(r * float(s @ q))
            q -= a[-1] * y
        q *= float(self.s[-1] @ self.y[-1]) / float(self.y[-1] @ self.y[-1]) if self.s else self.h0
        for (s, y, r), ai in zip(zip(self.s, self.y, rho), reversed(a)):
            q += s * (ai - r * float(y @ q))
        return q


OPTIMIZERS = {"fire": FIRE, "lbfgs": LBFGS}


@dataclass
class Path:
    """A converged (or not) band of images from theta_a to theta_b.

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

    @property
    def barrier(self) -> float:
        """:func:`barrier_height` of this path."""
        return barrier_height(self)

    def save(self, path):
        """Save to ``.npz`` atomically (the saddle's classification is stored in meta)."""
        meta = {"converged": self.converged, "n_iter": self.n_iter,
                "climbing_index": self.climbing_index, "meta": self.meta}
        if self.saddle is not None:
            meta["saddle"] = {"kind": self.saddle.kind, "index": self.saddle.index,
                              "eigenvalues": self.saddle.eigenvalues.tolist()}
        return _io.save_npz(path, {"images": self.images, "losses": self.losses,
                                   "forces": self.forces, "arc_length": self.arc_length,
                                   "history": self.history}, meta)

    @classmethod
    def load(cls, path) -> Path:
        arrays, meta = _io.load_npz(path)
        m = dict(meta["meta"])
        if "saddle" in meta:
            m["saddle"] = meta["saddle"]
        return cls(**arrays, converged=meta["converged"], n_iter=meta["n_iter"],
                   climbing_index=meta["climbing_index"], meta=m)


def _arc(images):
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(images, axis=0), axis=1))])


def neb(problem, theta_a, theta_b, n_images: int = 11, k: float = 1.0, climbing: bool = True,
        tangent: str = "improved", optimizer: str = "fire", tol: float = 1e-6,
        max_iter: int = 20_000, climb: ClimbingRule | None = None, images=None,
        progress=None) -> Path:
    """Minimum-energy path between two points by the nudged elastic band.

    F_i = -grad V_perp + k (|R_{i+1} - R_i| - |R_i - R_{i-1}|) tau_i for the interior images;
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
        FIRE is robust; L-BFGS is much faster on smooth surfaces but can drift uphill on
        MLP losses (see :class:`LBFGS`).
    tol : float
        Convergence on max_i |F_i|.
    max_iter : int
    climb : ClimbingRule, optional
        When to switch climbing on (default ``ClimbingRule()``).
    images : array_like (n_images, P), optional
        Initial band (default: straight line).
    progress : bool or None
    """
    P = problem.n_params
    theta_a = as_theta("theta_a", theta_a, P)
    theta_b = as_theta("theta_b", theta_b, P)
    if np.array_equal(theta_a, theta_b):
        raise ValueError("theta_a and theta_b must be different points")
    n_images = check_int("n_images", n_images, minimum=3)
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
        from .critical import classify
        saddle = classify(problem, R[climbing_index])
    return Path(images=R, losses=losses, forces=F, arc_length=_arc(R),
                history=np.array(history), converged=converged, n_iter=it,
                climbing_index=climbing_index, saddle=saddle,
                meta={"k": k, "tangent": tangent, "optimizer": optimizer, "tol": tol,
                      "elapsed_s": time.perf_counter() - t0, **problem.describe()})


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
@dataclass
class Curve:
    """A parametric curve between two points with one trained control point.

    ``kind`` "bezier": phi(t) = (1-t)^2 a + 2 t (1-t) c + t^2 b; "polychain": a -> c -> b
    (c at t = 1/2). ``t``/``losses``: the loss at 61 equally spaced t; ``history``: the
    expected loss estimate per training step.
    """

    kind: str
    theta_a: np.ndarray
    theta_b: np.ndarray
    control: np.ndarray
    t: np.ndarray
    losses: np.ndarray
    history: np.ndarray

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


def curve(problem, theta_a, theta_b, kind: str = "bezier", steps: int = 2000,
          batch: int = 8, lr: float = 0.01, seed=0, progress=None) -> Curve:
    """Train the control point of a Bézier or polychain curve on the expected loss over
    t ~ U(0, 1) (Garipov et al. 2018) with Adam, then evaluate it at 61 points.

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
    m = np.zeros(P)
    v = np.zeros(P)
    history = []
    with progress_bar(progress, total=steps, unit="step", desc="curve") as bar:
        for step in range(1, steps + 1):
            t = rng.uniform(0, 1, batch)[:, None]
            pts = _curve_points(kind, a, b, c, t)
            w = _curve_weight(kind, t)[:, 0]
            grad = np.mean([wi * problem.gradient(p) for wi, p in zip(w, pts)], axis=0)
            history.append(float(np.mean(problem.losses(pts))))
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad * grad
            c = c - lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-12)
            bar.update(1)
    ts = np.linspace(0, 1, 61)
    return Curve(kind=kind, theta_a=a, theta_b=b, control=c, t=ts,
                 losses=problem.losses(_curve_points(kind, a, b, c, ts[:, None])),
                 history=np.array(history))


# --- analysis ------------------------------------------------------------------------------------
def barrier_height(path) -> float:
    """Highest loss along the path minus the higher of its two end points."""
    losses = np.asarray(path.losses)
    return float(np.max(losses) - max(losses[0], losses[-1]))


def turning_angles(path) -> tuple[np.ndarray, np.ndarray]:
    """Angles (degrees) between successive segments of a band, against the arc length of the
    image where they meet (Gamst & Walker Fig. 10)."""
    R = np.asarray(path.images)
    seg = np.diff(R, axis=0)
    norms = np.linalg.norm(seg, axis=1)
    cos = np.sum(seg[1:] * seg[:-1], axis=1) / (norms[1:] * norms[:-1])
    return _arc(R)[1:-1], np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def segment_profiles(problem, path, n: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """Loss along the straight segments between successive images: (arc length, loss) with
    ``n`` points per segment, for comparison with the images' own losses."""
    n = check_int("n", n, minimum=2)
    R = np.asarray(path.images)
    arc = _arc(R)
    s_all, v_all = [], []
    for i in range(R.shape[0] - 1):
        alphas = np.linspace(0, 1, n)
        prof = line(problem, R[i], R[i + 1], alphas)
        s_all.append(arc[i] + alphas * (arc[i + 1] - arc[i]))
        v_all.append(prof.values)
    return np.concatenate(s_all), np.concatenate(v_all)

"""Optimizers as small stateful classes (in the manner of ASE's): ``reset()`` and
``step(x, ...) -> new x``, shared by the trainers (:mod:`fastsurf.trainers`) and the path
methods (:mod:`fastsurf.paths`).

Sign conventions (the class attribute ``takes`` says which):

* ``takes = "gradient"`` — :class:`GDMomentum`, :class:`Adadelta`, :class:`Adam`:
  ``step(x, g)`` with g the gradient of the function minimised; the step goes against it.
* ``takes = "force"`` — :class:`FIRE`, :class:`LBFGS`: ``step(x, f)`` with f a force, the
  direction to move in (minus a gradient for a plain minimisation; a NEB force, which is not
  a gradient, for a band).

``x`` is a flat float array; ``step`` never modifies it and returns a new array. State (velocity,
running averages, memory) lives in the object from one call to the next; ``reset()`` forgets it.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ._validation import check_int, check_real

__all__ = ["FIRE", "LBFGS", "Adadelta", "Adam", "GDMomentum"]


def _norm(v: np.ndarray) -> float:
    """Euclidean norm without overflow of the squares (entries up to the float64 maximum)."""
    m = float(np.max(np.abs(v))) if v.size else 0.0
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.linalg.norm(v / m))


def _beta(name: str, beta) -> float:
    """A decay rate in [0, 1)."""
    beta = check_real(name, beta, minimum=0.0, maximum=1.0)
    if beta == 1.0:
        raise ValueError(f"{name} must be < 1, got 1.0")
    return beta


def _complement(beta: float) -> float:
    """1 - beta computed from beta's shortest decimal form and rounded once: 0.9 gives exactly
    0.1 (in floating point 1.0 - 0.9 is 0.09999999999999998)."""
    return float(1 - Fraction(repr(float(beta))))


class GDMomentum:
    """Gradient descent with heavy-ball momentum (Polyak 1964):
    v <- momentum v - lr g; x <- x + v.

    ``takes = "gradient"``. ``momentum = 0`` is plain gradient descent.
    """

    takes = "gradient"

    def __init__(self, lr: float = 0.01, momentum: float = 0.9):
        self.lr = check_real("lr", lr, minimum=0.0, strict_min=True)
        self.momentum = check_real("momentum", momentum, minimum=0.0, maximum=1.0)
        self.reset()

    def reset(self):
        self.v = None

    def step(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.v is None:
            self.v = np.zeros_like(x)
        self.v = self.momentum * self.v - self.lr * g
        return x + self.v


class Adadelta:
    """Adadelta (Zeiler 2012, Algorithm 1), with a learning rate ``lr`` on the update:

    E[g^2] <- rho E[g^2] + (1 - rho) g^2;
    dx = -sqrt(E[dx^2] + eps) / sqrt(E[g^2] + eps) g;
    E[dx^2] <- rho E[dx^2] + (1 - rho) dx^2;  x <- x + lr dx.

    ``takes = "gradient"``. Zeiler's method is ``lr = 1``.
    """

    takes = "gradient"

    def __init__(self, rho: float = 0.95, eps: float = 1e-7, lr: float = 1.0):
        self.rho = check_real("rho", rho, minimum=0.0, maximum=1.0)
        self.eps = check_real("eps", eps, minimum=0.0, strict_min=True)
        self.lr = check_real("lr", lr, minimum=0.0, strict_min=True)
        self.reset()

    def reset(self):
        self.eg = self.ed = None

    def step(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.eg is None:
            self.eg = np.zeros_like(x)
            self.ed = np.zeros_like(x)
        rho = self.rho
        self.eg = rho * self.eg + (1 - rho) * g * g
        delta = -np.sqrt(self.ed + self.eps) / np.sqrt(self.eg + self.eps) * g
        self.ed = rho * self.ed + (1 - rho) * delta * delta
        return x + self.lr * delta


class Adam:
    """Adam (Kingma & Ba 2015, Algorithm 1): at step t = 1, 2, ...

    m <- beta1 m + (1 - beta1) g;  v <- beta2 v + (1 - beta2) g^2;
    x <- x - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps).

    ``takes = "gradient"``. The factors 1 - beta are taken from the betas' decimal forms
    (beta1 = 0.9 gives exactly 0.1, not 1.0 - 0.9). ``reset()`` restarts t at 1.
    """

    takes = "gradient"

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        self.lr = check_real("lr", lr, minimum=0.0, strict_min=True)
        self.beta1, self.beta2 = (_beta(name, b) for name, b in (("beta1", beta1),
                                                                   ("beta2", beta2)))
        self.eps = check_real("eps", eps, minimum=0.0, strict_min=True)
        self._c1, self._c2 = _complement(self.beta1), _complement(self.beta2)
        self.reset()

    def reset(self):
        self.m = self.v = None
        self.t = 0

    def step(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.m is None:
            self.m = np.zeros_like(x)
            self.v = np.zeros_like(x)
        self.t += 1
        self.m = self.beta1 * self.m + self._c1 * g
        self.v = self.beta2 * self.v + self._c2 * g * g
        m_hat = self.m / (1 - self.beta1 ** self.t)
        return x - self.lr * m_hat / (np.sqrt(self.v / (1 - self.beta2 ** self.t)) + self.eps)


class FIRE:
    """Fast inertial relaxation engine (Bitzek et al. 2006) with the corrections of FIRE 2.0
    (Guénolé et al. 2020): a floor ``dt_min`` on the time step and half a step back after an
    uphill move (without them the step can shrink geometrically until the band freezes), and
    a maximum step length.

    ``takes = "force"``. ``reset()`` (called by NEB when the climbing image changes) drops the
    velocity and the last move; the time step and mixing factor carry over.
    """

    takes = "force"

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

    ``takes = "force"``. It needs far fewer iterations than :class:`FIRE` on smooth,
    well-scaled surfaces, but the force is not a gradient: on bands through the sharply curved,
    degenerate valleys of MLP losses (e.g. permuted minima of a (2, 3, 1) softplus net) its
    directions, though along the force (dx . F > 0), mix the spring and perpendicular parts and
    climb the loss, with or without the climbing image and for any step cap tried (0.01 to
    0.2). Use FIRE there.
    """

    takes = "force"

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

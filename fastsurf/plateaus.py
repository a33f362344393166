"""Plateaus of piecewise-constant 1-D losses, and Gao's floor-ReLU toy (Gao 2018, *Escape the
local minima by error reflection*, §2 and Fig. 1).

A loss that only changes at isolated breakpoints is a sequence of plateaus: intervals of
constant value whose ends are open or closed depending on which side of each breakpoint takes
the breakpoint's own value (or a single point, where it takes neither). :func:`plateaus` lists
them; a plateau is a *local minimum* when its neighbouring plateaus are both higher, and a
*global minimum* when no plateau is lower.

With known breakpoints the result is exact: the loss is evaluated at every breakpoint and inside
every gap between consecutive ones, so each end is placed, and marked open or closed, by
evaluation, not by sampling. Without them the interval is sampled on a grid and every change
is bracketed by bisection over the floating-point numbers down to two adjacent doubles, so the
ends are the last sampled doubles on each side; plateaus narrower than the grid can be missed.
The exact mode describes ``f`` between breakpoints by its value at a few interior points, which
is right for the real-valued function; a floating-point ``f`` whose rounding moves a breakpoint
by an ulp (``floor(1 - b)`` with b = nextafter(-1, 0) rounds 1 - b up to 2) shows that sliver
only in the sampled mode. The toy's model tests ``m <= x - b`` exactly, so it has none.

The toy (§2): one parameter b, model f_b(x) = floor(max(x - b, 0)) and data x in
{-5, ..., 1} u {4, 4.5} with targets 0 for x <= 0 and 1 elsewhere (the paper writes the domain
as {x <= 1} u {4, 4.5}; Fig. 1 shows the integer points). ``floor(max(x_i - b, 0))`` equals
m >= 1 for b in (x_i - m - 1, x_i - m] and 0 for b > x_i - 1, so it changes exactly at
b = x_i - m for integers m >= 1, and every plateau of every loss of it is left-open and
right-closed. b = x_i (m = 0) is *not* a change: the max clips both sides to 0. Three losses:

* ``"zero_one"`` — mean of 1[f_b(x) != t], an exact-match error. This is the reading that
  reproduces Fig. 1 and the text (a local minimum "around b = 0", b in (-1, 0), and the global
  minimum at b = 3): 2/9 on (-1, 0] and 1/9 on (2.5, 3].
* ``"misclassified"`` — fraction of points whose thresholded output 1[f_b(x) >= 1/2] differs
  from the target. Since b <= x - 1 sends x to class 1, this loss is a single well: it is 0 on
  (-1, 0] and has no other local minimum, so it is not the loss of Fig. 1.
* ``"mse"`` — mean of (f_b(x) - t)^2: a staircase that falls to the global plateau (2.5, 3]
  (1/9) and rises after it, with no other local minimum.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ._results import Result
from ._validation import as_float_array, check_choice, check_int, check_real

__all__ = ["FloorReluToy", "Plateau", "PlateauResult", "floor_relu_toy", "plateaus"]


@dataclass(repr=False)
class Plateau(Result):
    """One interval on which the loss is constant.

    Attributes
    ----------
    lo, hi : float
        Ends (``lo == hi`` for a single point).
    lo_closed, hi_closed : bool
        Whether each end belongs to the plateau.
    value : float
        The loss on the plateau.
    local_min : bool
        Both neighbouring plateaus are higher (see ``edge_minima`` of :func:`plateaus` for
        plateaus at the ends of the domain).
    global_min : bool
        No plateau is lower.
    """

    lo: float
    hi: float
    lo_closed: bool
    hi_closed: bool
    value: float
    local_min: bool = False
    global_min: bool = False

    def __contains__(self, b: float) -> bool:
        above = b >= self.lo if self.lo_closed else b > self.lo
        below = b <= self.hi if self.hi_closed else b < self.hi
        return bool(above and below)

    @property
    def width(self) -> float:
        """``hi - lo``."""
        return self.hi - self.lo

    def __str__(self) -> str:
        if self.lo == self.hi:
            return f"{{{self.lo:g}}}: {self.value:.6g}"
        return (f"{'[' if self.lo_closed else '('}{self.lo:g}, {self.hi:g}"
                f"{']' if self.hi_closed else ')'}: {self.value:.6g}")


@dataclass(repr=False)
class PlateauResult(Result):
    """Plateaus of a piecewise-constant function on ``[lo, hi]``, left to right.

    Attributes
    ----------
    plateaus : list of Plateau
        Adjacent plateaus have different values (beyond ``atol``).
    lo, hi : float
        The domain.
    exact : bool
        True when the breakpoints were given (ends placed by evaluation); False when they were
        found by sampling and bisection.
    n_evaluations : int
        Calls of the function.
    breakpoints : ndarray
        The breakpoints used (given, inside the domain) or found (the right double of each
        bracket).
    """

    plateaus: list[Plateau]
    lo: float
    hi: float
    exact: bool
    n_evaluations: int
    breakpoints: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.plateaus)

    def __iter__(self):
        return iter(self.plateaus)

    def __getitem__(self, i: int) -> Plateau:
        return self.plateaus[i]

    @property
    def values(self) -> np.ndarray:
        """Value of every plateau."""
        return np.array([p.value for p in self.plateaus])

    @property
    def local_minima(self) -> list[Plateau]:
        """Plateaus that are local minima (the global ones included)."""
        return [p for p in self.plateaus if p.local_min]

    @property
    def global_minima(self) -> list[Plateau]:
        """Plateaus with the lowest value."""
        return [p for p in self.plateaus if p.global_min]

    def locate(self, b: float) -> Plateau | None:
        """The plateau containing ``b`` (None outside the covered set).

        Examples
        --------
        >>> res = plateaus(lambda b: float(b > 0), -1.0, 1.0, breakpoints=[0.0])
        >>> res.locate(0.0).value, res.locate(0.5).value
        (0.0, 1.0)
        """
        for p in self.plateaus:
            if b in p:
                return p
        return None

    def __str__(self) -> str:
        marks = ["global" if p.global_min else "local" if p.local_min else "" for p in self]
        return "\n".join(f"{p}  {m}".rstrip() for p, m in zip(self.plateaus, marks))


# --- float bisection ---------------------------------------------------------------------------
def _key(x: float) -> int:
    """Order-preserving integer of a double (adjacent doubles differ by 1; -0.0 maps to 0)."""
    i = int(np.float64(x).view(np.int64))
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)


def _unkey(k: int) -> float:
    i = k if k >= 0 else (-k) | -0x8000000000000000
    return float(np.int64(i).view(np.float64))


def _bracket(f, a: float, fa: float, b: float, fb: float, same, count: list[int],
             out: list[tuple[float, float, float, float]]) -> None:
    """All changes of ``f`` in (a, b], each as adjacent doubles (a', f(a'), b', f(b'))."""
    stack = [(a, fa, b, fb)]
    while stack:
        a, fa, b, fb = stack.pop()
        ka, kb = _key(a), _key(b)
        if kb - ka <= 1:
            out.append((a, fa, b, fb))
            continue
        m = _unkey((ka + kb) // 2)
        fm = f(m)
        count[0] += 1
        if not same(fm, fa):
            stack.append((a, fa, m, fm))
        if not same(fm, fb):
            stack.append((m, fm, b, fb))


def plateaus(f: Callable[[float], float], lo: float, hi: float,
             breakpoints: Sequence[float] | np.ndarray | None = None, *, atol: float = 0.0,
             n_grid: int = 4097, n_check: int = 2, edge_minima: bool = True) -> PlateauResult:
    """Plateaus of a piecewise-constant function of one variable on ``[lo, hi]``.

    Parameters
    ----------
    f : callable
        ``f(b) -> float`` for a float ``b``; constant between consecutive breakpoints.
    lo, hi : float
        The domain, ``lo < hi``; both ends belong to it.
    breakpoints : array_like, optional
        Every point of ``(lo, hi)`` where ``f`` may change (extra points are harmless: equal
        neighbours are merged). Points outside ``(lo, hi)`` are ignored. Given them, the ends
        are exact. Without them, ``f`` is sampled on ``n_grid`` points and each change is
        bisected down to adjacent doubles.
    atol : float, default 0.0
        Values within ``atol`` count as equal.
    n_grid : int, default 4097
        Grid size when ``breakpoints`` is None (>= 2).
    n_check : int, default 2
        With breakpoints: extra evaluations inside every gap, checking that ``f`` is constant
        there; a ValueError reports a missing breakpoint (>= 0).
    edge_minima : bool, default True
        A plateau touching ``lo`` or ``hi`` has one neighbour; with True it is a local minimum
        when that neighbour is higher (a minimum of ``f`` restricted to the domain), with False
        it never is (it may still be a global minimum).

    Returns
    -------
    PlateauResult

    Examples
    --------
    >>> res = plateaus(lambda b: abs(math.floor(b)), -2.0, 2.0, breakpoints=[-1, 0, 1])
    >>> [str(p) for p in res]
    ['[-2, -1): 2', '[-1, 0): 1', '[0, 1): 0', '[1, 2): 1', '{2}: 2']
    >>> [str(p) for p in res.global_minima]
    ['[0, 1): 0']
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    lo = check_real("lo", lo)
    hi = check_real("hi", hi)
    if not lo < hi:
        raise ValueError(f"hi must be > lo, got lo={lo}, hi={hi}")
    atol = check_real("atol", atol, minimum=0.0)
    n_check = check_int("n_check", n_check, minimum=0)
    if not isinstance(edge_minima, (bool, np.bool_)):
        raise TypeError(f"edge_minima must be a bool, got {type(edge_minima).__name__}")

    def same(u: float, v: float) -> bool:
        return u == v or abs(u - v) <= atol

    count = [0]

    def ev(b: float) -> float:
        count[0] += 1
        v = float(f(float(b)))
        if math.isnan(v):
            raise ValueError(f"f returned NaN at b={b!r}")
        return v

    # Elements left to right: ("pt", x, value) or ("gap", a, b, value).
    elems: list[tuple] = []
    if breakpoints is not None:
        bp = as_float_array("breakpoints", breakpoints, ndim=1, allow_empty=True)
        bp = np.unique(bp[(bp > lo) & (bp < hi)])
        knots = [lo, *bp.tolist(), hi]
        for k, c in enumerate(knots):
            elems.append(("pt", c, ev(c)))
            if k + 1 < len(knots):
                a, b = c, knots[k + 1]
                if _key(b) - _key(a) <= 1:
                    continue  # no double strictly inside
                mid = a + (b - a) / 2
                v = ev(mid)
                for t in range(1, n_check + 1):
                    x = a + (b - a) * t / (n_check + 1)
                    if a < x < b and x != mid and not same(ev(x), v):
                        raise ValueError(
                            f"f is not constant between breakpoints {a!r} and {b!r} "
                            f"(f({mid!r}) = {v!r}, f({x!r}) = {f(x)!r}): a breakpoint is "
                            "missing")
                elems.append(("gap", a, b, v))
        found = bp
        exact = True
    else:
        n_grid = check_int("n_grid", n_grid, minimum=2)
        grid = np.linspace(lo, hi, n_grid)
        grid[-1] = hi
        vals = [ev(x) for x in grid]
        changes: list[tuple[float, float, float, float]] = []
        for k in range(n_grid - 1):
            if not same(vals[k], vals[k + 1]):
                _bracket(ev, float(grid[k]), vals[k], float(grid[k + 1]), vals[k + 1], same,
                         [0], changes)
        changes.sort()
        # Each bracket (a, fa, b, fb): a closes the left plateau, b opens the right one.
        start, v = lo, vals[0]
        for a, fa, b, fb in changes:
            elems.append(("pt", start, v))
            if a != start:
                elems.append(("pt", a, fa))
            start, v = b, fb
        elems.append(("pt", start, v))
        if start != hi:
            elems.append(("pt", hi, vals[-1]))
        found = np.array([c[2] for c in changes])
        exact = False

    # Merge runs of equal value into plateaus.
    out: list[Plateau] = []
    run: list[tuple] = []

    def close(run: list[tuple]) -> None:
        first, last = run[0], run[-1]
        lo_, lo_closed = (first[1], True) if first[0] == "pt" else (first[1], False)
        hi_, hi_closed = (last[1], True) if last[0] == "pt" else (last[2], False)
        out.append(Plateau(lo=float(lo_), hi=float(hi_), lo_closed=lo_closed,
                           hi_closed=hi_closed, value=run[0][-1]))

    for e in elems:
        if run and not same(e[-1], run[0][-1]):
            close(run)
            run = []
        run.append(e)
    close(run)
    if not exact:
        # Sampled runs are point sets: a run from one sampled double to another is the closed
        # interval between them (changes inside it were bisected away).
        for p in out:
            p.lo_closed = p.hi_closed = True

    vmin = min(p.value for p in out)
    for i, p in enumerate(out):
        nbrs = [out[j].value for j in (i - 1, i + 1) if 0 <= j < len(out)]
        at_edge = len(nbrs) < 2
        higher = all(w > p.value and not same(w, p.value) for w in nbrs)
        p.local_min = higher and (edge_minima or not at_edge)
        p.global_min = same(p.value, vmin)
    return PlateauResult(plateaus=out, lo=lo, hi=hi, exact=exact, n_evaluations=count[0],
                         breakpoints=np.asarray(found, dtype=np.float64))


# --- Gao's floor-ReLU toy ---------------------------------------------------------------------
_LOSSES = ("zero_one", "misclassified", "mse")


@dataclass(frozen=True)
class FloorReluToy:
    """Gao's floor-ReLU example (2018, §2, Fig. 1).

    Attributes
    ----------
    x : ndarray
        Inputs -5, ..., 1, 4, 4.5.
    t : ndarray
        Targets: 0 for x <= 0, 1 elsewhere.
    """

    x: np.ndarray
    t: np.ndarray

    def model(self, b, x=None) -> np.ndarray:
        """f_b(x) = floor(max(x - b, 0)), exact for every double b.

        The floor is taken of the real number x - b, not of its rounded difference: for
        half-integer inputs (the data) and |b| < 2**50 the result is exact.

        Parameters
        ----------
        b : float or array_like
            Parameter(s); the output has shape ``np.shape(b) + np.shape(x)``.
        x : array_like, optional
            Inputs (default: the data).

        Examples
        --------
        >>> floor_relu_toy().model(0.0).tolist()
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 4.0, 4.0]
        """
        xs = self.x if x is None else as_float_array("x", x, ndim=(0, 1)).reshape(np.shape(x))
        # as_float_array returns at least 1-D; keep a scalar b scalar.
        bs = as_float_array("b", b, ndim=(0, 1, 2)).reshape(np.shape(b))
        xb, bb = (xs, bs[..., None]) if bs.ndim and xs.ndim else (xs, bs)
        # floor(x - b) with x - b rounded can be off by one next to a breakpoint (1 - b rounds
        # to 2.0 for b = nextafter(-1, 0)); fix it with the exact test m <= x - b <=> b <= x - m
        # (x - m is exact for half-integer x and |m| < 2**51).
        m = np.floor(xb - bb)
        m = np.where(xb - m < bb, m - 1.0, m)
        m = np.where(xb - (m + 1.0) >= bb, m + 1.0, m)
        return np.maximum(m, 0.0)

    def loss(self, b, kind: str = "zero_one"):
        """Loss of the data at ``b``.

        Parameters
        ----------
        b : float or array_like
            Parameter(s).
        kind : {"zero_one", "misclassified", "mse"}
            ``"zero_one"``: mean of 1[f_b(x) != t] (Fig. 1's loss); ``"misclassified"``: mean
            of 1[(f_b(x) >= 1/2) != t]; ``"mse"``: mean of (f_b(x) - t)^2.

        Returns
        -------
        float or ndarray
            A float for scalar ``b``.

        Examples
        --------
        >>> toy = floor_relu_toy()
        >>> round(toy.loss(0.0) * 9), round(toy.loss(3.0) * 9)
        (2, 1)
        """
        check_choice("kind", kind, _LOSSES)
        y = self.model(b)
        if kind == "zero_one":
            err = (y != self.t).astype(np.float64)
        elif kind == "misclassified":
            err = ((y >= 0.5) != (self.t >= 0.5)).astype(np.float64)
        else:
            err = (y - self.t) ** 2
        out = err.mean(axis=-1)
        return float(out) if np.ndim(out) == 0 else out

    def breakpoints(self, lo: float, hi: float) -> np.ndarray:
        """Every b in [lo, hi] where some f_b(x_i) changes: b = x_i - m, integer m >= 1.

        b = x_i itself (m = 0) is not one: f_b(x_i) = 0 on both sides of it.

        Parameters
        ----------
        lo, hi : float
            Range, ``lo < hi``.

        Returns
        -------
        ndarray
            Sorted, unique.

        Examples
        --------
        >>> floor_relu_toy().breakpoints(2.0, 4.0).tolist()
        [2.0, 2.5, 3.0, 3.5]
        """
        lo = check_real("lo", lo)
        hi = check_real("hi", hi)
        if not lo < hi:
            raise ValueError(f"hi must be > lo, got lo={lo}, hi={hi}")
        pts = []
        for xi in np.unique(self.x):
            m = np.arange(max(1, math.ceil(xi - hi)), math.floor(xi - lo) + 1)
            pts.append(xi - m)
        bp = np.unique(np.concatenate(pts)) if pts else np.zeros(0)
        return bp[(bp >= lo) & (bp <= hi)]

    def plateaus(self, kind: str = "zero_one", lo: float = -6.0, hi: float = 6.0,
                 **kwargs) -> PlateauResult:
        """Exact plateaus of :meth:`loss` on ``[lo, hi]`` (:func:`plateaus` with the exact
        breakpoints).

        Examples
        --------
        >>> res = floor_relu_toy().plateaus("zero_one")
        >>> [str(p) for p in res.local_minima]
        ['(-1, 0]: 0.222222', '(2.5, 3]: 0.111111']
        """
        check_choice("kind", kind, _LOSSES)
        return plateaus(lambda b: self.loss(b, kind), lo, hi,
                        breakpoints=self.breakpoints(lo, hi), **kwargs)


def floor_relu_toy() -> FloorReluToy:
    """The data of Gao's floor-ReLU example (2018, §2): x = -5, ..., 1, 4, 4.5 with targets 0
    for x <= 0 and 1 elsewhere; the model and its breakpoints are methods.

    Returns
    -------
    FloorReluToy

    Examples
    --------
    >>> toy = floor_relu_toy()
    >>> toy.x.tolist()
    [-5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 4.0, 4.5]
    >>> toy.t.tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    """
    x = np.array([-5.0, -4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 4.0, 4.5])
    x.setflags(write=False)
    t = (x > 0).astype(np.float64)
    t.setflags(write=False)
    return FloorReluToy(x=x, t=t)

"""Hand-constructed perfect fits (Gamst & Walker §2).

:func:`sawtooth_spline` builds Gamst & Walker's K x (N1 + N2) ReLU net: a high-frequency sawtooth
block plus a low-frequency linear-spline block summed at the output, with the training set the
net fits exactly.
"""

from __future__ import annotations

import numpy as np

from ._validation import as_float_array, as_rng, check_choice, check_int, check_real
from .data import RegressionData
from .models import MLP

__all__ = ["sawtooth_spline", "sawtooth_spline_function"]

PIECES = ("monotone", "linear")


def _zigzag_coefficients(n_saw: int) -> np.ndarray:
    """a_k of z(u) = sum_k a_k relu(u - k / N1): a_0 = N1, a_k = (-1)^k 2 N1 for k >= 1."""
    a = np.array([2.0 * n_saw * (-1.0) ** k for k in range(n_saw)])
    a[0] = float(n_saw)
    return a


def _zigzag(u: np.ndarray, n_saw: int) -> np.ndarray:
    """The N1-piece zigzag on [0, 1] through (k / N1, k mod 2): fold u * N1 back and forth."""
    v = np.clip(u, 0.0, 1.0) * n_saw
    k = np.minimum(np.floor(v), n_saw - 1)
    r = v - k
    return np.where(k % 2 == 0, r, 1.0 - r)


def _spline_slopes(knots: np.ndarray, heights: np.ndarray) -> np.ndarray:
    return np.diff(heights) / np.diff(np.concatenate(([-1.0], knots, [1.0])))


def sawtooth_spline_function(x, depth: int, n_saw: int, amp: float, knots, heights) -> np.ndarray:
    """The function f that :func:`sawtooth_spline` constructs, in closed form, on [-1, 1].

    f(x) = amp (2 z^K((x + 1) / 2) - 1) + s(x), where z is the N1-piece zigzag of [0, 1] onto
    itself through the points (k / N1, k mod 2) and z^K its K-fold composition, and s is the
    piecewise-linear interpolant of ``heights`` at (-1, *knots, 1) (s = 0 without knots and
    heights). Outside [-1, 1] the network differs from this formula.

    Parameters
    ----------
    x : array_like
        Points in [-1, 1].
    depth, n_saw, amp, knots, heights
        As in :func:`sawtooth_spline` (``knots`` and ``heights`` explicit; empty for no spline).

    Returns
    -------
    ndarray, the shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> from fastsurf.constructions import sawtooth_spline_function
    >>> f = sawtooth_spline_function(np.array([-1.0, -0.5, 0.0]), 1, 2, 1.0, [], [])
    >>> f.tolist()
    [-1.0, 0.0, 1.0]
    """
    x = as_float_array("x", x, allow_empty=True)
    u = (x + 1.0) / 2.0
    for _ in range(depth):
        u = _zigzag(u, n_saw)
    out = amp * (2.0 * u - 1.0)
    heights = np.asarray(heights, dtype=float)
    if heights.size:
        out = out + np.interp(x, np.concatenate(([-1.0], np.asarray(knots, float), [1.0])),
                              heights)
    return out


def _check_spline(n_spline: int, knots, heights, rng) -> tuple[np.ndarray, np.ndarray]:
    if n_spline == 0:
        for name, v in (("knots", knots), ("heights", heights)):
            if v is not None and np.size(v) != 0:
                raise ValueError(f"{name} must be None or empty when n_spline=0")
        return np.zeros(0), np.zeros(0)
    if knots is None:
        knots = -1.0 + 2.0 * np.arange(1, n_spline) / n_spline
    knots = as_float_array("knots", knots, ndim=1, allow_empty=True)
    if knots.shape[0] != n_spline - 1:
        raise ValueError(f"knots must hold n_spline - 1 = {n_spline - 1} interior knots, "
                         f"got {knots.shape[0]}")
    if knots.size and not (np.all(np.diff(knots) > 0) and knots[0] > -1 and knots[-1] < 1):
        raise ValueError(f"knots must increase strictly inside (-1, 1), got {knots.tolist()}")
    if heights is None:
        z = rng.standard_normal(n_spline)
        heights = np.concatenate((z - z[0], [0.0]))
    heights = as_float_array("heights", heights, ndim=1)
    if heights.shape[0] != n_spline + 1:
        raise ValueError(f"heights must hold n_spline + 1 = {n_spline + 1} values (at -1, the "
                         f"knots and 1), got {heights.shape[0]}")
    return knots, heights


def sawtooth_spline(depth: int = 5, n_saw: int = 2, n_spline: int = 3, amp: float = 0.7,
                    knots=None, heights=None, samples_per_piece: int = 10,
                    pieces: str = "monotone", seed=0) -> tuple[MLP, np.ndarray, RegressionData]:
    """Gamst & Walker's K x (N1 + N2) perfect fit of a sawtooth plus a spline (§2, Fig. 1).

    A ReLU net with one input, ``depth`` = K hidden layers of N1 + N2 units and a linear output,
    whose weights are set by hand so that its output on [-1, 1] is

        f(x) = amp (2 z^K((x + 1) / 2) - 1) + s(x)

    (:func:`sawtooth_spline_function`), and the training set of that f which it fits exactly.

    *Sawtooth block* (units 0..N1-1 of every layer). z(u) = sum_k a_k relu(u - k/N1) with
    a_0 = N1 and a_k = 2 N1 (-1)^k is the zigzag of [0, 1] onto itself with N1 monotone pieces of
    slope +-N1, and z^K has N1^K pieces. Layer 1 unit k computes relu(x/2 + 1/2 - k/N1)
    (W = 1/2, b = 1/2 - k/N1, so that u = (x + 1)/2 runs over [0, 1]); layer l > 1 unit k
    computes relu(z_{l-1} - k/N1) with z_{l-1} = sum_j a_j h_{l-1, j} (W[k, j] = a_j,
    b = -k/N1); the output adds 2 amp a_j h_{K, j} and the bias -amp. The sawtooth runs between
    -amp and amp with slope +-amp N1^K and its N1^K teeth have knots at -1 + 2 j / N1^K.

    *Spline block* (units N1..N1+N2-1). s is the continuous piecewise-linear function through
    (-1, heights[0]), (knots[i], heights[i+1]), (1, heights[-1]) with slopes m_0..m_{N2-1}. Layer 1
    unit j computes relu(x - t_j) with t_0 = -1 and t_j = knots[j-1]; every later layer passes it
    on unchanged with weight 1 and bias 0, since relu(h) = h for h >= 0 (the "(relued) identity"
    of §2); the output adds (m_j - m_{j-1}) h_{K, j} (m_{-1} = 0) and the bias heights[0].
    All weights between the blocks are 0 (the bold lines of Fig. 1).

    Parameters
    ----------
    depth : int
        K, the number of hidden layers (>= 1).
    n_saw : int
        N1, sawtooth units per layer (>= 1); the sawtooth has N1^K monotone pieces.
    n_spline : int
        N2, spline units (>= 0); the spline has N2 linear pieces and N2 - 1 interior knots.
    amp : float
        Half the peak-to-peak height of the sawtooth (> 0). The default 0.7 is the ``saw_amp``
        of the authors' demonstration script; the paper does not state its value (its smooth
        fits' MSE of about 0.0045 would match amp of about 0.12, since the sawtooth's mean
        square is amp^2 / 3).
    knots : array_like, shape (n_spline - 1,), optional
        Interior spline knots, increasing inside (-1, 1). Default: -1 + 2 j / N2, j = 1..N2-1
        (equally spaced, as in the authors' code; for N2 = 3, -1/3 and 1/3).
    heights : array_like, shape (n_spline + 1,), optional
        Spline values at -1, the knots and 1. Default (random, as the paper's "random spline"):
        z - z_0 for z ~ N(0, 1)^N2 drawn from ``seed``, then 0 at x = 1, so s(-1) = s(1) = 0.
        The spline must stay less steep than the sawtooth (max |m_j| < amp N1^K) so that f keeps
        its N1^K monotone pieces; otherwise a ValueError says so.
    samples_per_piece : int
        Training points per piece (>= 1): the piece's left end plus ``samples_per_piece - 1``
        equally spaced interior points (Gamst & Walker: "all knots ... plus 9 points on each of
        the linear segments", i.e. 10). x = 1 is not included, so n = samples_per_piece * pieces.
    pieces : {"monotone", "linear"}
        Which pieces: "monotone" — the N1^K teeth of the sawtooth, which are the monotone pieces
        of f (n = 10 * 32 = 320 for the 5 x (2 + 3) net, the paper's count); "linear" — every
        linear piece of f, split also at the spline's interior knots (n = 10 * 34 = 340 for the
        default knots -1/3 and 1/3, which fall inside teeth; the authors' code). See Notes.
    seed : int, numpy.random.Generator or None
        Draws the default ``heights``; nothing else is random.

    Returns
    -------
    model : MLP
        ``MLP((1,) + (N1 + N2,) * K + (1,), "relu")``.
    theta : ndarray, shape (model.n_params,)
        The constructed weights W_f (not balanced; see :func:`fastsurf.symmetry.canonical`).
    data : RegressionData
        The training inputs and the targets f(x) from the closed form; the net reproduces them to
        rounding (MSE ~ 1e-30).

    Notes
    -----
    *320 or 340 points.* Gamst & Walker §4.2 train on "the set of all knots in the linear spline
    of f, plus 9 points on each of the linear segments between knots", n = 32 x 10 = 320. Their
    published script (``fit_another_model`` in aldenwalker/energy, ``noisy_spline_model.py``)
    takes the knots of every unit of the net, which include the spline block's knots -1/3 and
    1/3 as well as the sawtooth's 33 knots at multiples of 1/16, and puts 10 points
    (x = k_i + t (k_{i+1} - k_i), t = 0, 0.1, ..., 0.9) on every gap between consecutive knots,
    then keeps those in [-1, 1]. The two spline knots split two teeth, giving 34 linear
    segments and 340 distinct points: the paper's formula counts the 32 teeth (N1^K), the code
    counts the 34 linear pieces of f. (The code also lists the knot -1 twice, from the first
    sawtooth unit and the first spline unit, so its array has 350 rows with x = -1 eleven
    times; ``pieces="linear"`` gives the 340 distinct points.) With both choices the right end
    x = 1 is not a training point, as in the code.

    ``depth=5, n_saw=5, n_spline=0`` is the 5 x (5 + 0) sawtooth of Fig. 13 with 3125 pieces;
    ``depth=5, n_saw=2, n_spline=3`` the paper's main 5 x (2 + 3) example with 136 parameters.

    Examples
    --------
    >>> import fastsurf as fs
    >>> model, theta, data = fs.constructions.sawtooth_spline()
    >>> model.widths, model.n_params, data.n_samples
    ((1, 5, 5, 5, 5, 5, 1), 136, 320)
    >>> bool(fs.Problem(model, data).loss(theta) < 1e-20)
    True
    """
    depth = check_int("depth", depth, minimum=1)
    n_saw = check_int("n_saw", n_saw, minimum=1)
    n_spline = check_int("n_spline", n_spline, minimum=0)
    amp = check_real("amp", amp, minimum=0.0, strict_min=True)
    samples_per_piece = check_int("samples_per_piece", samples_per_piece, minimum=1)
    pieces = check_choice("pieces", pieces, PIECES)
    n_teeth = n_saw ** depth
    if n_teeth > 10**7:
        raise ValueError(f"n_saw ** depth must be <= 1e7 teeth, got {n_teeth}")
    rng = as_rng(seed)
    knots, heights = _check_spline(n_spline, knots, heights, rng)
    slopes = _spline_slopes(knots, heights) if n_spline else np.zeros(0)
    saw_slope = amp * n_teeth
    if slopes.size and np.max(np.abs(slopes)) >= saw_slope:
        raise ValueError(
            f"the spline (max |slope| {np.max(np.abs(slopes)):.4g}) must be less steep than the "
            f"sawtooth (slope amp * n_saw**depth = {saw_slope:.4g}), or f loses monotone "
            f"pieces; pass a larger amp or smaller heights")

    N = n_saw + n_spline
    model = MLP((1,) + (N,) * depth + (1,), "relu")
    theta = np.zeros(model.n_params)
    a = _zigzag_coefficients(n_saw)
    ks = np.arange(n_saw) / n_saw
    t = np.concatenate(([-1.0], knots))
    for l in range(1, depth + 2):
        ws, bs = model.layer_slices(l)
        W = theta[ws].reshape(model.widths[l], model.widths[l - 1])
        b = theta[bs]
        if l == 1:
            W[:n_saw, 0] = 0.5
            b[:n_saw] = 0.5 - ks
            W[n_saw:, 0] = 1.0
            b[n_saw:] = -t
        elif l <= depth:
            W[:n_saw, :n_saw] = a[None, :]
            b[:n_saw] = -ks
            W[n_saw:, n_saw:] = np.eye(n_spline)
        else:
            W[0, :n_saw] = 2.0 * amp * a
            W[0, n_saw:] = np.diff(np.concatenate(([0.0], slopes)))
            b[0] = -amp + (heights[0] if n_spline else 0.0)

    breaks = -1.0 + 2.0 * np.arange(n_teeth + 1) / n_teeth
    if pieces == "linear" and knots.size:
        breaks = np.union1d(breaks, knots)
    left, width = breaks[:-1], np.diff(breaks)
    x = (left[:, None] + width[:, None] * np.arange(samples_per_piece) / samples_per_piece).ravel()
    y = sawtooth_spline_function(x, depth, n_saw, amp, knots, heights)
    return model, theta, RegressionData(x.reshape(-1, 1), y.reshape(-1, 1))

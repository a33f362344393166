"""Symmetries of ReLU MLPs: minimal-energy rescaling and a permutation canonical form.

Gamst & Walker §3 ("Symmetrization"): the weights of a K x N ReLU net are acted on by
R_+^{KN} ⋊ S_N^K without changing the function. Hidden unit i of layer l may be rescaled by
c > 0 (its incoming weights *and bias* times c, its outgoing weights times 1/c) because
relu(c z) = c relu(z), and the units of every hidden layer may be permuted. Their representative
of an orbit is the "minimal energy weights" (the rescaling that minimises the L2 norm of the whole
weight vector) followed by sorting the units of each layer by norm.

* :func:`balance` — the minimal-energy rescaling by Gauss–Seidel sweeps.
* :func:`canonical` — balance, then sort each hidden layer by incoming norm.
* :func:`distance` — L2 distance between canonical forms (Gamst & Walker Figs. 6 and 7).
* :func:`cosines` — cosines between the directions from a reference minimum to fitted minima
  (the dot products reported in Gamst & Walker §4.5).

All functions take an :class:`~fastsurf.MLP` with ``activation="relu"`` and parameter vectors in
its layout (layer by layer: W_l row-major with shape (n_out, n_in), then b_l).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._results import Result
from ._validation import as_theta, as_theta_batch, check_int, check_real
from .models import MLP

__all__ = ["BalanceResult", "balance", "canonical", "cosines", "distance"]


@dataclass(repr=False)
class BalanceResult(Result):
    """The minimal-energy rescaling of a ReLU net (:func:`balance`).

    Fields
    ------
    theta : ndarray, shape (P,)
        The balanced parameters (same function as the input).
    scales : ndarray, shape (n_hidden,)
        The accumulated factor c of every hidden unit, layer by layer (layer 1's units first,
        each layer in unit order); ``np.split(scales, np.cumsum(model.widths[1:-1])[:-1])`` gives
        one array per layer. Dead units have c = 1.
    energy_before, energy_after : float
        Total squared norm ||theta||^2 of the input and of the balanced parameters.
    sweeps : int
        Gauss–Seidel sweeps run (the last one changed no factor by more than ``tol``).
    dead : list of (int, int)
        (layer, unit) of the hidden units left alone because their incoming norm (with bias) or
        their outgoing norm is exactly zero; layers are 1-based, units 0-based.
    converged : bool
        False when ``max_sweeps`` ran out before the relative change fell below ``tol``.
    """

    theta: np.ndarray
    scales: np.ndarray
    energy_before: float
    energy_after: float
    sweeps: int
    dead: list[tuple[int, int]] = field(default_factory=list)
    converged: bool = True


# --- input checks --------------------------------------------------------------------------------
def _check_model(model) -> MLP:
    if not isinstance(model, MLP):
        raise TypeError(f"model must be a fastsurf.MLP, got {type(model).__name__}")
    if model.activation != "relu":
        raise ValueError(
            f"model.activation must be 'relu' (positively homogeneous: relu(c z) = c relu(z) "
            f"for c > 0), got {model.activation!r}. Rescaling is not an exact symmetry of "
            f"{model.activation!r} nets: softplus_beta(c z) = c softplus_{{c beta}}(z), so it "
            f"changes beta unit by unit. To symmetrise the same weights, pass "
            f"MLP({model.widths}, 'relu') and evaluate the result with your own model.")
    return model


# --- layout helpers ------------------------------------------------------------------------------
def _layers(model: MLP, theta: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Views W_l (n_out, n_in) and b_l (n_out,) into ``theta`` for l = 1..L (list index l-1)."""
    Ws, bs = [], []
    for l in range(1, len(model.widths)):
        ws, bsl = model.layer_slices(l)
        Ws.append(theta[ws].reshape(model.widths[l], model.widths[l - 1]))
        bs.append(theta[bsl])
    return Ws, bs


def _in_out(Ws, bs, l: int) -> tuple[np.ndarray, np.ndarray]:
    """Incoming norm^2 (with bias) and outgoing norm^2 of every unit of hidden layer l (1-based)."""
    W, b, W_next = Ws[l - 1], bs[l - 1], Ws[l]
    return np.einsum("ij,ij->i", W, W) + b * b, np.einsum("ji,ji->i", W_next, W_next)


# --- balance -------------------------------------------------------------------------------------
def balance(model: MLP, theta, tol: float = 1e-13, max_sweeps: int = 10_000) -> BalanceResult:
    """Minimal-energy positive rescaling of every hidden ReLU unit (Gamst & Walker §3).

    Rescaling hidden unit i by c_i > 0 multiplies its incoming weights and bias by c_i and its
    outgoing weights by 1/c_i; a ReLU net computes the same function. With s = log c the total
    squared norm E(s) = sum over weights w_ij^2 exp(2 (s_i - s_j)) + sum over biases
    b_i^2 exp(2 s_i) (s = 0 for inputs and outputs) is convex, and strictly convex with a unique
    minimiser when no unit is dead. At the minimum every hidden unit's incoming norm^2 (with bias)
    equals its outgoing norm^2. Holding all other units fixed, E depends on c_i as
    c_i^2 in_i + out_i / c_i^2, minimised by c_i = (out_i / in_i)^(1/4); sweeping these exact
    coordinate minimisations (Gauss–Seidel) over the layers 1..K converges to the global minimum.
    Units of one layer do not interact, so each layer is updated at once.

    Parameters
    ----------
    model : MLP
        A ReLU MLP (``activation="relu"``); other activations are refused with a ValueError
        because rescaling is not an exact symmetry of them.
    theta : array_like, shape (model.n_params,)
        Parameters in the model's layout.
    tol : float
        Stop after the first sweep in which every factor satisfies |c - 1| < tol (> 0).
    max_sweeps : int
        Upper bound on the sweeps (>= 1); a RuntimeWarning says when it is reached.

    Returns
    -------
    BalanceResult
        Balanced ``theta``, per-unit ``scales``, energies, ``sweeps``, ``dead`` and
        ``converged``.

    Notes
    -----
    A unit whose incoming norm (with bias) is zero computes relu(0) = 0; one whose outgoing norm
    is zero is not seen by the output. Neither has a finite balancing factor (the energy keeps
    falling as c -> 0 or infinity, or does not change), so they are skipped (c = 1) and listed in
    ``dead``. Only exact zeros count: a unit that is inactive on every training input but has
    nonzero weights is balanced like any other. Rescaling never turns a zero weight nonzero, so the
    set of dead units is fixed by the input.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> model = fs.MLP((1, 5, 5, 1))
    >>> theta = model.init(np.random.default_rng(0))
    >>> res = fs.symmetry.balance(model, theta)
    >>> bool(res.energy_after <= res.energy_before)
    True
    >>> x = np.linspace(-1, 1, 7)
    >>> bool(np.allclose(model.simulate(res.theta, x), model.simulate(theta, x)))
    True
    """
    model = _check_model(model)
    theta = as_theta("theta", theta, model.n_params).copy()
    tol = check_real("tol", tol, minimum=0.0, strict_min=True)
    max_sweeps = check_int("max_sweeps", max_sweeps, minimum=1)
    return _balance(model, theta, tol, max_sweeps)


def _balance(model: MLP, theta: np.ndarray, tol: float, max_sweeps: int) -> BalanceResult:
    """:func:`balance` on a validated, writable copy of ``theta`` (modified in place)."""
    energy_before = float(theta @ theta)
    Ws, bs = _layers(model, theta)
    hidden = range(1, len(model.widths) - 1)
    live, scales, dead = {}, {}, []
    for l in hidden:
        n_in2, n_out2 = _in_out(Ws, bs, l)
        live[l] = (n_in2 > 0) & (n_out2 > 0)
        scales[l] = np.ones(model.widths[l])
        dead += [(l, int(i)) for i in np.flatnonzero(~live[l])]
    sweeps, converged = 0, not len(hidden)
    while not converged and sweeps < max_sweeps:
        sweeps += 1
        change = 0.0
        for l in hidden:
            n_in2, n_out2 = _in_out(Ws, bs, l)
            c = np.ones(model.widths[l])
            m = live[l]
            c[m] = np.sqrt(np.sqrt(n_out2[m] / n_in2[m]))
            Ws[l - 1] *= c[:, None]
            bs[l - 1] *= c
            Ws[l] /= c[None, :]
            scales[l] *= c
            change = max(change, float(np.max(np.abs(c - 1.0))))
        converged = change < tol
    if not converged:
        warnings.warn(f"balance: {max_sweeps} sweeps did not bring the relative change below "
                      f"tol={tol}", RuntimeWarning, stacklevel=3)
    flat = np.concatenate([scales[l] for l in hidden]) if len(hidden) else np.ones(0)
    return BalanceResult(theta=theta, scales=flat, energy_before=energy_before,
                         energy_after=float(theta @ theta), sweeps=sweeps, dead=dead,
                         converged=converged)


# --- canonical form ------------------------------------------------------------------------------
TIE_RTOL = 1e-9
"""Key entries closer than this times the largest magnitude of that entry in the layer tie."""


def _order(keys: np.ndarray) -> list[int]:
    """Rows of ``keys`` in ascending lexicographic order, comparing each column to a tolerance.

    Entries of column k within ``TIE_RTOL * max |keys[:, k]|`` compare equal, so that values
    which agree only to rounding (after balancing a permuted or rescaled copy) fall through to
    the next column instead of being ordered by their rounding errors.
    """
    tol = TIE_RTOL * np.max(np.abs(keys), axis=0)

    def cmp(i: int, j: int) -> int:
        for k in range(keys.shape[1]):
            d = keys[i, k] - keys[j, k]
            if abs(d) > tol[k]:
                return -1 if d < 0 else 1
        return 0

    return sorted(range(keys.shape[0]), key=functools.cmp_to_key(cmp))


def _canonical(model: MLP, theta: np.ndarray) -> np.ndarray:
    theta = _balance(model, theta.copy(), 1e-13, 10_000).theta
    Ws, bs = _layers(model, theta)
    for l in range(1, len(model.widths) - 1):
        W, b, W_next = Ws[l - 1], bs[l - 1], Ws[l]
        n_in2, _ = _in_out(Ws, bs, l)
        # incoming norm^2, then the bias, the incoming weights (columns already canonical),
        # and the outgoing weights
        keys = np.column_stack([n_in2, b, W, W_next.T])
        order = _order(keys)
        W[:] = W[order]
        b[:] = b[order]
        W_next[:] = W_next[:, order]
    return theta


def canonical(model: MLP, theta) -> np.ndarray:
    """Canonical representative of a ReLU net's symmetry orbit (Gamst & Walker §3).

    :func:`balance` (minimal energy, default ``tol``), then, layer by layer from the input, sort
    the hidden units by incoming norm (ascending), permuting the incoming rows and biases and the
    next layer's columns to match. After balancing the incoming and outgoing norms of a live unit
    are equal, so this is also Gamst & Walker's "columns in increasing L2 norm order". Ties are
    broken by the bias, then the incoming weights (whose columns are already in canonical order),
    then the outgoing weights, lexicographically. Values that agree to a relative 1e-9 (of the
    largest such value in the layer) count as tied, so that ties which hold exactly in theory
    but only to rounding in floating point — the mirror-image units of the constructed sawtooth
    nets, for example — do not sort by their rounding errors.

    Parameters
    ----------
    model : MLP
        A ReLU MLP.
    theta : array_like, shape (model.n_params,)
        Parameters in the model's layout.

    Returns
    -------
    ndarray, shape (model.n_params,)
        The canonical parameters; the net's function is unchanged to rounding.

    Notes
    -----
    The result is the same (to rounding and the balance tolerance) for every parameter vector
    obtained from ``theta`` by permuting hidden units and rescaling live hidden units, and
    ``canonical(model, canonical(model, theta))`` equals ``canonical(model, theta)``. Two
    limits: units whose sort keys all agree to within the tie tolerance (or differ by about the
    tolerance) may sort either way when the input is permuted, and dead units (see
    :func:`balance`) are not rescaled, so rescaling a dead unit of the input changes the result.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> model = fs.MLP((1, 4, 4, 1))
    >>> theta = model.init(np.random.default_rng(1))
    >>> c = fs.symmetry.canonical(model, theta)
    >>> bool(np.allclose(fs.symmetry.canonical(model, c), c))
    True
    """
    model = _check_model(model)
    theta = as_theta("theta", theta, model.n_params)
    return _canonical(model, theta)


def distance(model: MLP, a, b) -> float:
    """L2 distance between the canonical forms of two parameter vectors.

    ``distance(model, a, b) = ||canonical(model, a) - canonical(model, b)||_2``: the distance
    Gamst & Walker §4.5 histogram between pairs of fitted minima (Fig. 6) and between fitted
    minima and the constructed global minimum W_f (Fig. 7). It is zero for two parameter vectors
    related by hidden-unit permutations and rescalings, and symmetric in ``a`` and ``b``.

    Parameters
    ----------
    model : MLP
        A ReLU MLP.
    a, b : array_like, shape (model.n_params,)
        Parameter vectors.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> model = fs.MLP((1, 3, 1))
    >>> theta = model.init(np.random.default_rng(2))
    >>> other = theta.copy()
    >>> other[:3] *= 2.0; other[3:6] *= 2.0; other[6:9] /= 2.0   # rescale all hidden units
    >>> bool(fs.symmetry.distance(model, theta, other) < 1e-9)
    True
    """
    model = _check_model(model)
    a = as_theta("a", a, model.n_params)
    b = as_theta("b", b, model.n_params)
    return float(np.linalg.norm(_canonical(model, a) - _canonical(model, b)))


SAME_ORBIT_RTOL = 1e-9
"""Canonical forms closer than this times the reference's norm are the same point to rounding."""


def cosines(model: MLP, thetas, reference) -> np.ndarray:
    """Cosines between the directions from a reference minimum to each fitted minimum.

    Gamst & Walker §4.5, after Fig. 7 (which histograms the distances
    ``distance(model, thetas[i], reference)`` to the constructed global minimum W_f): "compute
    the direction vectors from the global minimum to each local minimum and take dot products of
    pairs of these vectors"; the minimum they report, about 0.6, shows the fitted minima lie to
    one side of W_f. The direction of fit i is d_i = canonical(thetas[i]) - canonical(reference)
    and u_i = d_i / ||d_i||; this returns the matrix of u_i . u_j, so
    ``C[np.triu_indices(m, 1)].min()`` is the paper's statistic.

    Parameters
    ----------
    model : MLP
        A ReLU MLP.
    thetas : array_like, shape (m, model.n_params)
        Fitted parameter vectors (any representatives; each is made canonical).
    reference : array_like, shape (model.n_params,)
        The reference minimum (Gamst & Walker: W_f).

    Returns
    -------
    ndarray, shape (m, m)
        Symmetric, with ones on the diagonal. A fit in the reference's orbit has no direction:
        when its canonical form is within ``SAME_ORBIT_RTOL`` (1e-9) times
        ||canonical(reference)|| of the reference's, its row and column are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> model = fs.MLP((1, 3, 3, 1))
    >>> rng = np.random.default_rng(3)
    >>> thetas = np.array([model.init(rng) for _ in range(4)])
    >>> C = fs.symmetry.cosines(model, thetas, model.init(rng))
    >>> C.shape, bool(np.allclose(np.diag(C), 1.0))
    ((4, 4), True)
    """
    model = _check_model(model)
    thetas = as_theta_batch("thetas", thetas, model.n_params)
    reference = as_theta("reference", reference, model.n_params)
    ref = _canonical(model, reference)
    D = np.array([_canonical(model, t) - ref for t in thetas]).reshape(-1, model.n_params)
    norms = np.linalg.norm(D, axis=1)
    same = norms <= SAME_ORBIT_RTOL * np.linalg.norm(ref)
    U = D / np.where(same, 1.0, norms)[:, None]
    U[same] = np.nan
    C = np.clip(U @ U.T, -1.0, 1.0)
    ok = np.flatnonzero(~same)
    C[ok, ok] = 1.0
    return C

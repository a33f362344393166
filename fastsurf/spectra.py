"""Hessian spectra at a point: eigenvalues, conditioning, zero modes and the curvature type
(Gamst & Walker 2017, §4.7 and Fig. 11: Hessian eigenvalues at minima of a softplus net).

The one rule for "zero" lives here (:func:`zero_tolerance`) and every classification uses it,
:func:`fastsurf.critical.classify` and :func:`fastsurf.critical.on_surface` included: an
eigenvalue with |lambda| <= rtol * max |lambda| (default rtol = 1e-8) counts as zero, or with
|lambda| <= tol when an absolute ``tol`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ._results import Result
from ._validation import as_float_array, as_theta, check_real

#: Curvature types of a point, from the signs of the Hessian's eigenvalues.
KINDS = ("minimum", "maximum", "saddle", "degenerate")
#: Default relative zero tolerance: |lambda| <= RTOL * max |lambda| counts as zero.
RTOL = 1e-8


@dataclass(repr=False)
class Spectrum(Result):
    """Eigen-decomposition of a symmetric matrix (the exact Hessian at a point).

    Attributes
    ----------
    eigenvalues : ndarray
        Ascending.
    eigenvectors : ndarray, shape (P, P)
        Columns, in the order of ``eigenvalues``.
    condition_number : float
        max |lambda| / min |lambda| (inf when some eigenvalue is exactly zero).
    n_near_zero : int
        Eigenvalues with |lambda| <= ``zero_tol``.
    n_negative : int
        Eigenvalues below -``zero_tol``.
    zero_tol : float
        The zero band used (see :func:`zero_tolerance`).
    zero_modes_explained : int or None
        Dimension of the part of the near-null eigenspace spanned by the model's known symmetry
        directions (e.g. ReLU rescalings): the number of principal angles between the two
        subspaces with cosine >= 0.99. None if the model declares none.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    condition_number: float
    n_near_zero: int
    n_negative: int
    zero_tol: float
    zero_modes_explained: int | None = None

    @property
    def n_positive(self) -> int:
        """Eigenvalues above ``zero_tol``."""
        return int(self.eigenvalues.size) - self.n_near_zero - self.n_negative

    @property
    def kind(self) -> str:
        """Curvature type, one of :data:`KINDS`.

        "minimum" when every eigenvalue is above the zero band, "maximum" when every one is
        below it, "saddle" when both signs occur (zeros allowed), else "degenerate": some
        eigenvalue lies within the zero band and the rest share one sign, so the Hessian cannot
        decide. A point whose eigenvalues all lie within the band is "degenerate", never a
        "maximum" or "minimum".
        """
        neg, pos = self.n_negative, self.n_positive
        if neg and pos:
            return "saddle"
        if self.n_near_zero or not (neg or pos):
            return "degenerate"
        return "minimum" if pos else "maximum"


def zero_tolerance(eigenvalues, tol: float | None = None, rtol: float = RTOL,
                   name: str = "tol") -> float:
    """The zero band of a spectrum: eigenvalues with |lambda| <= the result count as zero.

    Parameters
    ----------
    eigenvalues : array_like
        The spectrum.
    tol : float, optional
        Absolute tolerance (>= 0); when given it is the result.
    rtol : float
        Relative tolerance (>= 0), used without ``tol``: the result is rtol * max |lambda|
        (0 for an empty or all-zero spectrum, whose eigenvalues then all count as zero).
    name : str
        Name of ``tol`` in error messages (the caller's argument name).

    Returns
    -------
    float
    """
    tol, rtol = check_tolerances(tol, rtol, name)
    if tol is not None:
        return tol
    w = np.asarray(eigenvalues, dtype=float)
    return rtol * float(np.max(np.abs(w))) if w.size else 0.0


def check_tolerances(tol: float | None, rtol: float, name: str = "tol"
                     ) -> tuple[float | None, float]:
    """``(tol, rtol)`` checked (finite, >= 0; ``tol`` may be None), for callers that check
    their arguments before the work that needs them.

    Parameters
    ----------
    tol : float or None
        Absolute zero tolerance.
    rtol : float
        Relative zero tolerance.
    name : str
        Name of ``tol`` in error messages.

    Returns
    -------
    (float or None, float)
    """
    tol = None if tol is None else check_real(name, tol, minimum=0.0)
    return tol, check_real("rtol", rtol, minimum=0.0)


def matrix_spectrum(H, zero_tol: float | None = None, rtol: float = RTOL) -> Spectrum:
    """Spectrum of a symmetric matrix (symmetrised as (H + H^T) / 2).

    Parameters
    ----------
    H : array_like, shape (P, P)
        Finite; e.g. an exact Hessian, or a slice's D^T H D.
    zero_tol, rtol : float, optional
        The zero band, by :func:`zero_tolerance`.

    Returns
    -------
    Spectrum
        With ``zero_modes_explained`` None (a bare matrix has no symmetry directions).
    """
    H = as_float_array("H", H, ndim=2)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be square, got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError("the Hessian at theta is not finite (unstable weights?)")
    w, V = np.linalg.eigh(0.5 * (H + H.T))
    tol = zero_tolerance(w, zero_tol, rtol, name="zero_tol")
    absw = np.abs(w)
    cond = float(absw.max() / absw.min()) if w.size and absw.min() > 0 else float("inf")
    return Spectrum(eigenvalues=w, eigenvectors=V, condition_number=cond,
                    n_near_zero=int(np.count_nonzero(absw <= tol)),
                    n_negative=int(np.count_nonzero(w < -tol)), zero_tol=tol)


def hessian_spectrum(problem, theta, zero_tol: float | None = None,
                     rtol: float = RTOL) -> Spectrum:
    """Full spectrum of the exact Hessian of ``problem`` at ``theta``.

    Parameters
    ----------
    problem : Objective
        Any objective with ``hessian`` (``Problem``, ``FunctionProblem``).
    theta : array_like, shape (P,)
    zero_tol : float, optional
        Absolute zero tolerance; default ``rtol`` times the largest |eigenvalue|
        (:func:`zero_tolerance`).
    rtol : float
        Relative zero tolerance without ``zero_tol``.

    Returns
    -------
    Spectrum

    Notes
    -----
    Near-zero eigenvalues are usually degenerate, so their eigenvectors are arbitrary within
    the null space; the symmetry directions are therefore compared with the whole near-null
    eigenspace (principal angles).

    Examples
    --------
    >>> import numpy as np, fastsurf as fs
    >>> f = fs.FunctionProblem(lambda v: v[0] ** 2 - v[1] ** 4, n_params=2,
    ...                        hess=lambda v: np.diag([2.0, -12 * v[1] ** 2]))
    >>> s = fs.spectra.hessian_spectrum(f, [0.0, 0.0])
    >>> s.kind, s.n_near_zero
    ('degenerate', 1)
    """
    theta = as_theta("theta", theta, problem.n_params)
    spec = matrix_spectrum(problem.hessian(theta), zero_tol=zero_tol, rtol=rtol)
    dirs = _symmetry_directions(problem, theta)
    if dirs is None:
        return spec
    explained = 0
    if dirs.size:
        small = np.abs(spec.eigenvalues) <= spec.zero_tol
        Q, _ = np.linalg.qr(dirs.T)
        # cosines of the principal angles between span(dirs) and the near-null eigenspace
        if small.any():
            cos = np.linalg.svd(Q.T @ spec.eigenvectors[:, small], compute_uv=False)
            explained = int(np.count_nonzero(cos >= 0.99))
    return replace(spec, zero_modes_explained=explained)


def _symmetry_directions(problem, theta: np.ndarray) -> np.ndarray | None:
    """Known symmetry directions of the objective at theta, (k, P), or None.

    Asked of the objective's ``rescaling_directions`` capability (None without one).
    """
    if not hasattr(problem, "rescaling_directions"):
        return None
    dirs = problem.rescaling_directions(theta)
    return None if dirs is None else np.atleast_2d(np.asarray(dirs, dtype=float))

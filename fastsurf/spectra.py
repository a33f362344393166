"""Hessian spectra at a point: eigenvalues, conditioning, zero modes (Gamst & Walker §4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_theta, check_real


@dataclass
class Spectrum:
    """Eigen-decomposition of the exact Hessian at ``theta``.

    Attributes
    ----------
    eigenvalues : ndarray, ascending
    eigenvectors : ndarray, (P, P), columns
    condition_number : float
        max |lambda| / min |lambda| (inf when some eigenvalue is exactly zero).
    n_near_zero, n_negative : int
        Eigenvalues with |lambda| <= zero_tol, and below -zero_tol.
    zero_tol : float
    zero_modes_explained : int or None
        Dimension of the part of the near-null eigenspace spanned by the model's known symmetry
        directions (``model.rescaling_directions(theta)``, e.g. ReLU rescalings): the number of
        principal angles between the two subspaces with cosine >= 0.99. None if the model
        declares none.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    condition_number: float
    n_near_zero: int
    n_negative: int
    zero_tol: float
    zero_modes_explained: int | None


def hessian_spectrum(problem, theta, zero_tol: float | None = None) -> Spectrum:
    """Full spectrum of the exact Hessian of ``problem`` at ``theta``.

    ``zero_tol`` defaults to 1e-8 times the largest |eigenvalue|. Near-zero eigenvalues are
    usually degenerate, so their eigenvectors are arbitrary within the null space; the symmetry
    directions are therefore compared with the whole near-null eigenspace (principal angles).
    """
    theta = as_theta("theta", theta, problem.n_params)
    H = np.asarray(problem.hessian(theta), dtype=float)
    if not np.all(np.isfinite(H)):
        raise ValueError("the Hessian at theta is not finite (unstable weights?)")
    w, V = np.linalg.eigh(0.5 * (H + H.T))
    scale = float(np.max(np.abs(w))) if w.size else 0.0
    tol = (1e-8 * scale if scale > 0 else 1e-12) if zero_tol is None else check_real(
        "zero_tol", zero_tol, minimum=0.0)
    small = np.abs(w) <= tol
    absw = np.abs(w)
    cond = float(absw.max() / absw.min()) if absw.min() > 0 else float("inf")
    explained = None
    model = getattr(problem, "model", None)
    if model is not None and hasattr(model, "rescaling_directions"):
        dirs = np.atleast_2d(np.asarray(model.rescaling_directions(theta), dtype=float))
        if dirs.size:
            Q, _ = np.linalg.qr(dirs.T)
            # cosines of the principal angles between span(dirs) and the near-null eigenspace
            cos = np.linalg.svd(Q.T @ V[:, small], compute_uv=False) if small.any() else []
            explained = int(np.count_nonzero(np.asarray(cos) >= 0.99))
        else:
            explained = 0
    return Spectrum(eigenvalues=w, eigenvectors=V, condition_number=cond,
                    n_near_zero=int(np.count_nonzero(small)),
                    n_negative=int(np.count_nonzero(w < -tol)), zero_tol=tol,
                    zero_modes_explained=explained)

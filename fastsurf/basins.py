"""The basin of attraction of a minimum, measured by jitter and retraining (Gamst & Walker §4.8,
Fig. 12).

:func:`jitter` adds noise of L2 norm s ~ U[0, ``max_norm``] in a uniformly random direction to a
minimum, retrains every jittered start with :func:`fastsurf.ensemble.ensemble` and records which
runs come back (final loss <= ``return_tol``). :func:`return_probability` fits P(return | s) by
logistic regression (statsmodels ``Logit``, maximum likelihood) and smooths the final losses
against s by lowess (statsmodels), the two curves of Gamst & Walker's Fig. 12. Both fits come from
statsmodels (an optional dependency: ``pip install fastsurf[examples]``) rather than being
written here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ._results import Result
from ._validation import as_float_array, as_rng, as_theta, check_int, check_real
from .ensemble import ensemble

__all__ = ["JitterResult", "ReturnFit", "jitter", "return_probability"]


@dataclass(repr=False)
class JitterResult(Result):
    """Retraining runs from jittered copies of a minimum (:func:`jitter`).

    Attributes
    ----------
    theta : ndarray (P,)
        The minimum that was jittered.
    noise_norms : ndarray (m,)
        s_i = ||starts[i] - theta||, drawn from U[0, max_norm].
    starts : ndarray (m, P)
        The jittered starts.
    thetas, losses : ndarray (m, P), (m,)
        End points of the retraining runs and their losses.
    returned : ndarray of bool (m,)
        ``losses <= return_tol``: the run came back to the minimum's loss level.
    converged, reason, n_iter : ndarray (m,)
        Of the retraining runs (:class:`fastsurf.ensemble.EnsembleResult`).
    return_tol : float
    meta : dict
        Method, its options, ``max_norm``, the seed and the problem's description.
    """

    theta: np.ndarray
    noise_norms: np.ndarray
    starts: np.ndarray
    thetas: np.ndarray
    losses: np.ndarray
    returned: np.ndarray
    converged: np.ndarray
    reason: np.ndarray
    n_iter: np.ndarray
    return_tol: float
    meta: dict = field(default_factory=dict)

    _repr_skip = ("meta",)


def jitter(prob, theta, n: int = 256, max_norm: float = 2.0, method: str = "gd",
           steps: int = 20_000, return_tol: float = 1e-5, seed=0, progress: bool | None = None,
           **options) -> JitterResult:
    """Jitter a minimum by noise of norm s ~ U[0, ``max_norm``], retrain, and record returns.

    Gamst & Walker §4.8: "we added a small amount of noise (with L2 norm chosen approximately
    uniformly in [0, 2]) and trained for 20,000 batches". Start i is theta + s_i u_i with
    s_i ~ U[0, max_norm] and u_i uniform on the unit sphere (a normalised standard normal vector),
    all drawn from ``seed``; the starts are retrained together by
    :func:`fastsurf.ensemble.ensemble`.

    Parameters
    ----------
    prob : Problem
        A problem with an ensemble kernel (an ``fs.MLP`` on ``RegressionData``).
    theta : array_like (P,)
        The minimum (Gamst & Walker: the balanced perfect fit W_f).
    n : int
        Jittered starts (>= 1); the paper uses 4096 per optimizer.
    max_norm : float
        Largest noise norm (> 0).
    method : {"gd", "adadelta"}
        Retraining method (:func:`fastsurf.ensemble.ensemble`).
    steps : int
        Retraining steps per start.
    return_tol : float
        A run has returned when its final loss is <= ``return_tol`` (>= 0). Choose it well
        below the loss of the competing local minima and above what the method reaches from
        the minimum itself in ``steps`` steps.
    seed : int, numpy.random.Generator or None
    progress : bool or None
        Progress bar over the runs.
    **options
        Passed to :func:`fastsurf.ensemble.ensemble` (``lr``, ``momentum``, ``rho``, ``eps``,
        ``batch``, ``client``).

    Returns
    -------
    JitterResult

    Examples
    --------
    >>> import numpy as np
    >>> import fastsurf as fs
    >>> model, theta, data = fs.constructions.sawtooth_spline(depth=1, n_saw=2, n_spline=0)
    >>> prob = fs.Problem(model, data)
    >>> res = fs.basins.jitter(prob, theta, n=8, max_norm=0.05, steps=2000, lr=0.05,
    ...                        return_tol=1e-6, progress=False)
    >>> res.starts.shape, bool(res.returned.all())
    ((8, 7), True)
    """
    P = prob.n_params
    theta = as_theta("theta", theta, P)
    n = check_int("n", n, minimum=1)
    max_norm = check_real("max_norm", max_norm, minimum=0.0, strict_min=True)
    return_tol = check_real("return_tol", return_tol, minimum=0.0)
    rng = as_rng(seed)
    s = rng.uniform(0.0, max_norm, n)
    u = rng.standard_normal((n, P))
    u /= np.linalg.norm(u, axis=1)[:, None]
    starts = theta + s[:, None] * u
    res = ensemble(prob, starts, method=method, steps=steps, progress=progress, **options)
    return JitterResult(theta=theta, noise_norms=s, starts=starts, thetas=res.thetas,
                        losses=res.losses, returned=res.losses <= return_tol,
                        converged=res.converged, reason=res.reason, n_iter=res.n_iter,
                        return_tol=return_tol,
                        meta={"max_norm": max_norm, "seed": seed if isinstance(seed, int)
                              else None, **res.meta})


@dataclass(repr=False)
class ReturnFit(Result):
    """P(return | noise norm) by logistic regression and a lowess of the final losses
    (:func:`return_probability`).

    Attributes
    ----------
    grid : ndarray (k,)
        Noise norms at which the curves are given.
    probability : ndarray (k,)
        Fitted P(return) = 1 / (1 + exp(-(intercept + slope s))) on ``grid``; the constant
        fraction of returns when all runs returned or none did.
    intercept, slope : float
        Logistic coefficients (NaN when all outcomes are equal: nothing to fit).
    s50 : float
        Noise norm where the fitted P(return) = 1/2 (-intercept / slope; NaN without a fit).
    separated : bool
        The outcomes are perfectly separated by s (every return at a smaller s than every
        non-return, or the other way round): the maximum-likelihood slope is then infinite and
        the fitted curve (the last Newton iterate) only locates the step.
    lowess_x, lowess_y : ndarray
        Lowess of log10(final loss) against s (statsmodels ``lowess``, ``frac``), sorted by s.
    fraction : float
        Fraction of runs that returned.
    meta : dict
    """

    grid: np.ndarray
    probability: np.ndarray
    intercept: float
    slope: float
    s50: float
    separated: bool
    lowess_x: np.ndarray
    lowess_y: np.ndarray
    fraction: float
    meta: dict = field(default_factory=dict)


def return_probability(result: JitterResult, grid=None, frac: float = 0.3) -> ReturnFit:
    """Logistic fit of P(return) against the noise norm and a lowess of the final losses
    (Gamst & Walker Fig. 12: the blue and red curves).

    Parameters
    ----------
    result : JitterResult
        From :func:`jitter` (anything with ``noise_norms``, ``returned`` and ``losses``).
    grid : array_like, optional
        Noise norms for the fitted curve (default 201 points over [0, max(noise_norms)]).
    frac : float
        Lowess span in (0, 1].

    Returns
    -------
    ReturnFit

    Notes
    -----
    The logistic regression is ``statsmodels.api.Logit(returned, [1, s]).fit()`` (Newton's
    method on the log-likelihood); the lowess is ``statsmodels.nonparametric.lowess`` of
    log10(max(loss, 1e-300)) against s. Requires statsmodels.

    Examples
    --------
    >>> import numpy as np
    >>> from fastsurf.basins import JitterResult, return_probability
    >>> s = np.linspace(0, 2, 40)
    >>> back = (s + 0.3 * np.sin(7 * s)) < 1.0          # overlapping outcomes near s = 1
    >>> res = JitterResult(theta=np.zeros(1), noise_norms=s, starts=s[:, None],
    ...                    thetas=s[:, None], losses=np.where(back, 1e-9, 1e-2),
    ...                    returned=back, converged=back, reason=np.array(["max_iter"] * 40),
    ...                    n_iter=np.zeros(40, int), return_tol=1e-5)
    >>> fit = return_probability(res)
    >>> 0.8 < fit.s50 < 1.2, bool(fit.probability[0] > 0.9 > 0.1 > fit.probability[-1])
    (True, True)
    """
    import statsmodels.api as sm
    from statsmodels.nonparametric.smoothers_lowess import lowess
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    s = as_float_array("result.noise_norms", result.noise_norms, ndim=1)
    y = np.asarray(result.returned, dtype=bool)
    losses = as_float_array("result.losses", result.losses, ndim=1)
    if y.shape != s.shape or losses.shape != s.shape:
        raise ValueError(f"result.returned and result.losses must have the shape of "
                         f"result.noise_norms {s.shape}, got {y.shape} and {losses.shape}")
    if s.size < 2:
        raise ValueError(f"return_probability needs at least 2 runs, got {s.size}")
    frac = check_real("frac", frac, minimum=0.0, maximum=1.0, strict_min=True)
    grid = (np.linspace(0.0, float(s.max()), 201) if grid is None
            else as_float_array("grid", grid, ndim=1))
    fraction = float(y.mean())
    intercept = slope = s50 = float("nan")
    separated = False
    if 0.0 < fraction < 1.0:
        lo, hi = s[y], s[~y]
        separated = bool(lo.max() < hi.min() or hi.max() < lo.min())
        # separation is reported in the result instead (and overflows exp there)
        with warnings.catch_warnings(), np.errstate(over="ignore"):
            warnings.simplefilter("ignore", (PerfectSeparationWarning, ConvergenceWarning))
            fit = sm.Logit(y.astype(float), sm.add_constant(s)).fit(disp=0, maxiter=200)
        intercept, slope = (float(v) for v in fit.params)
        s50 = -intercept / slope if slope != 0 else float("nan")
        with np.errstate(over="ignore"):
            probability = 1.0 / (1.0 + np.exp(-(intercept + slope * grid)))
    else:
        probability = np.full(grid.shape, fraction)
    low = lowess(np.log10(np.maximum(losses, 1e-300)), s, frac=frac)
    return ReturnFit(grid=grid, probability=probability, intercept=intercept, slope=slope,
                     s50=s50, separated=separated, lowess_x=low[:, 0], lowess_y=low[:, 1],
                     fraction=fraction, meta={"frac": frac, "n": int(s.size)})

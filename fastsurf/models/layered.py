"""The layered recurrent net of Horn et al.'s Prelude (MATLAB layrecnet-like)."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, as_rng, as_theta, check_int
from ..data import SequenceData
from ..kernels import layered as kl
from .base import Model, check_size


class LayeredRecurrent(Model):
    """A tanh hidden layer with full recurrence and a linear output (Horn et al. 2009, §I Prelude).

    a1(k) = tanh(IW p(k) + LW a1(k-1) + b1),  y(k) = LWout . a1(k) + b2,  a1(0) = 0.

    Parameters
    ----------
    hidden : int
        S >= 1 hidden units; S^2 + 3S + 1 parameters in the order IW (S), LW (S x S,
        row-major), b1 (S), LWout (S), b2.

    Notes
    -----
    Data is :class:`~fastsurf.SequenceData`. The hidden state starts at zero; ``data.a0``
    (initial *outputs*, meaningful for :class:`RecurrentNeuron`) must be zero here. The Hessian is
    the complex-step derivative of the exact BPTT gradient (exact to rounding).
    """

    data_type = SequenceData

    def __init__(self, hidden: int = 3):
        self.hidden = check_int("hidden", hidden, minimum=1)
        S = self.hidden
        check_size(S * S + 3 * S + 1, f"LayeredRecurrent(hidden={S})")
        self.n_params = S * S + 3 * S + 1
        names = [f"IW[{i}]" for i in range(S)]
        names += [f"LW[{i},{j}]" for i in range(S) for j in range(S)]
        names += [f"b1[{i}]" for i in range(S)] + [f"LWout[{i}]" for i in range(S)] + ["b2"]
        self.param_names = tuple(names)

    def __repr__(self) -> str:
        return f"LayeredRecurrent(hidden={self.hidden})"

    def describe(self) -> dict:
        return {"model": "LayeredRecurrent", "hidden": self.hidden}

    def linear_params(self) -> tuple[int, ...]:
        """LWout and b2: the output layer is linear and not fed back."""
        return tuple(range(self.n_params - self.hidden - 1, self.n_params))

    def init(self, rng=None) -> np.ndarray:
        """Uniform weights in [-0.5, 0.5] (recurrent weights scaled by 1/S for stability)."""
        rng = as_rng(rng)
        theta = rng.uniform(-0.5, 0.5, self.n_params)
        S = self.hidden
        theta[S:S + S * S] /= S
        return theta

    def check_data(self, data) -> None:
        super().check_data(data)
        if np.any(data.a0 != 0.0):
            raise ValueError("LayeredRecurrent starts from a zero hidden state; data.a0 "
                             "(initial outputs) must be zero")

    def simulate(self, theta, data) -> np.ndarray:
        """Outputs y, shape (n_seq, T)."""
        theta = as_theta("theta", theta, self.n_params)
        if not isinstance(data, SequenceData):
            p = as_float_array("data", data, ndim=(1, 2))
            data = SequenceData(p, np.zeros_like(p))
        self.check_data(data)
        return kl.simulate(theta, data.p, self.hidden)

    def sse(self, theta, data) -> float:
        return float(kl.sse(theta, data.p, data.t, self.hidden))

    def sse_batch(self, thetas, data) -> np.ndarray:
        return kl.sse_batch(thetas, data.p, data.t, self.hidden)

    def residuals(self, theta, data) -> np.ndarray:
        return (data.t - kl.simulate(theta, data.p, self.hidden)).ravel()

    def sse_gradient(self, theta, data) -> np.ndarray:
        return kl.sse_gradient(theta, data.p, data.t, self.hidden)

    def residual_jacobian(self, theta, data) -> np.ndarray:
        return kl.residual_jacobian(theta, data.p, data.t, self.hidden)

    def sse_hessian(self, theta, data) -> np.ndarray:
        return kl.sse_hessian(theta, data.p, data.t, self.hidden)

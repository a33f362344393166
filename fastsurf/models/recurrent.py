"""Horn et al.'s recurrent neurons (DESIGN §3)."""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_rng, as_theta, check_choice, check_int
from ..data import SequenceData
from ..kernels import recurrent as kr
from ..kernels.activations import TRANSFER_CODES
from .base import Model


class RecurrentNeuron(Model):
    """A single recurrent neuron with tapped input and output delays.

    n(k) = sum_{d in input_delays} iw_d p(k-d) + sum_{d=1..D} lw_d a(k-d) + b,  a(k) = f(n(k)).

    Parameters
    ----------
    transfer : {"purelin", "tansig", "logsig"}
        f: identity, tanh, or the logistic sigmoid.
    feedback_delays : int
        D >= 1, the number of fed-back outputs a(k-1)..a(k-D).
    input_delays : tuple of int
        Distinct delays d >= 0 of the input taps (default ``(0,)``: only p(k)).
    bias : bool
        Whether the neuron has a bias b (last parameter).

    Notes
    -----
    Parameters, in order: the input weights in the order of ``input_delays`` (named ``w1``, ...
    for Horn's nets), then lw_1..lw_D, then b. Horn's first-order net is
    ``RecurrentNeuron("purelin")`` with theta = [w1, w2]; the second-order net is
    ``RecurrentNeuron(transfer, feedback_delays=2)`` with theta = [w1, w2, w3].
    """

    data_type = SequenceData

    def __init__(self, transfer: str = "purelin", feedback_delays: int = 1,
                 input_delays: tuple[int, ...] = (0,), bias: bool = False):
        self.transfer = check_choice("transfer", transfer, TRANSFER_CODES)
        self.feedback_delays = check_int("feedback_delays", feedback_delays, minimum=1)
        if isinstance(input_delays, (str, bytes)) or not hasattr(input_delays, "__iter__"):
            raise TypeError("input_delays must be a tuple of non-negative integers")
        delays = tuple(input_delays)
        if len(delays) == 0:
            raise ValueError("input_delays must contain at least one delay")
        for d in delays:
            if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
                raise ValueError(f"input_delays must be non-negative integers, got {delays}")
        if len(set(delays)) != len(delays):
            raise ValueError(f"input_delays must be distinct, got {delays}")
        self.input_delays = tuple(int(d) for d in delays)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}")
        self.bias = bool(bias)
        self._delays = np.asarray(self.input_delays, dtype=np.int64)
        self._code = TRANSFER_CODES[self.transfer]
        n_in = len(self.input_delays)
        self.n_params = n_in + self.feedback_delays + int(self.bias)
        # Horn's names: w1 (input), w2, w3 (feedback) for the default layout.
        if self.input_delays == (0,):
            names = ["w1"] + [f"w{d + 1}" for d in range(1, self.feedback_delays + 1)]
        else:
            names = [f"iw{d}" for d in self.input_delays]
            names += [f"lw{d}" for d in range(1, self.feedback_delays + 1)]
        if self.bias:
            names.append("b")
        self.param_names = tuple(names)

    # --- layout -------------------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        """Number of input weights."""
        return len(self.input_delays)

    def feedback_index(self, d: int) -> int:
        """Position of lw_d in theta."""
        return self.n_inputs + d - 1

    def kernel_args(self, data: SequenceData) -> tuple:
        """(p, t, a0, input_delays, D, has_bias, transfer_code) for the kernels."""
        return (data.p, data.t, data.initial_outputs(self.feedback_delays), self._delays,
                self.feedback_delays, self.bias, self._code)

    def linear_params(self) -> tuple[int, ...]:
        """For purelin: the input weights and the bias (the outputs are linear in them for fixed
        feedback weights); none for tansig/logsig."""
        if self.transfer != "purelin":
            return ()
        fb_end = self.n_inputs + self.feedback_delays
        return tuple(range(self.n_inputs)) + tuple(range(fb_end, self.n_params))

    def describe(self) -> dict:
        return {"model": "RecurrentNeuron", "transfer": self.transfer,
                "feedback_delays": self.feedback_delays,
                "input_delays": list(self.input_delays), "bias": self.bias}

    def __repr__(self) -> str:
        return (f"RecurrentNeuron(transfer={self.transfer!r}, "
                f"feedback_delays={self.feedback_delays}, input_delays={self.input_delays}, "
                f"bias={self.bias})")

    # --- model interface ----------------------------------------------------------------------
    def init(self, rng=None) -> np.ndarray:
        """Uniform random parameters in [-1, 1]."""
        return as_rng(rng).uniform(-1.0, 1.0, self.n_params)

    def check_data(self, data) -> None:
        super().check_data(data)
        data.initial_outputs(self.feedback_delays)

    def simulate(self, theta, data) -> np.ndarray:
        """Outputs a(k), shape (n_seq, T) (or (T,) for 1-D ``data``)."""
        theta = as_theta("theta", theta, self.n_params)
        if not isinstance(data, SequenceData):
            data = SequenceData(data, np.zeros_like(np.asarray(data, dtype=float)))
        self.check_data(data)
        p, _, a0, delays, n_fb, has_bias, code = self.kernel_args(data)
        return kr.simulate(theta, p, a0, delays, n_fb, has_bias, code)

    def sse(self, theta, data) -> float:
        return float(kr.sse(theta, *self.kernel_args(data)))

    def sse_batch(self, thetas, data) -> np.ndarray:
        return kr.sse_batch(thetas, *self.kernel_args(data))

    def residuals(self, theta, data) -> np.ndarray:
        p, t, a0, delays, n_fb, has_bias, code = self.kernel_args(data)
        return (t - kr.simulate(theta, p, a0, delays, n_fb, has_bias, code)).ravel()

    def sse_gradient(self, theta, data) -> np.ndarray:
        from ..kernels import recurrent_derivatives as rd
        return rd.sse_gradient(theta, *self.kernel_args(data))

    def residual_jacobian(self, theta, data) -> np.ndarray:
        from ..kernels import recurrent_derivatives as rd
        return rd.residual_jacobian(theta, *self.kernel_args(data))

    def sse_hessian(self, theta, data) -> np.ndarray:
        from ..kernels import recurrent_derivatives as rd
        return rd.sse_hessian(theta, *self.kernel_args(data))

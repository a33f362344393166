"""The interface every model implements; :class:`fastsurf.Problem` calls only these methods.

The numeric methods receive inputs already validated by ``Problem`` (a float64 theta of the right
length and data accepted by :meth:`Model.check_data`). Losses are SSE here; ``Problem`` scales
them for MSE.
"""

from __future__ import annotations

import numpy as np


class Model:
    """Base class of fastsurf models.

    Subclasses set ``n_params`` and ``param_names`` and implement at least ``simulate``,
    ``check_data``, ``sse``, ``sse_batch`` and ``residuals``. Derivative methods raise
    ``NotImplementedError`` until a model provides them.
    """

    n_params: int
    param_names: tuple[str, ...]
    data_type: type = object

    def init(self, rng=None) -> np.ndarray:
        """Random initial parameters."""
        raise NotImplementedError

    def simulate(self, theta, data) -> np.ndarray:
        """Network outputs for ``data``."""
        raise NotImplementedError

    def check_data(self, data) -> None:
        """Raise ``TypeError``/``ValueError`` when ``data`` does not fit this model."""
        if not isinstance(data, self.data_type):
            raise TypeError(f"data for {type(self).__name__} must be {self.data_type.__name__}, "
                            f"got {type(data).__name__}")

    def default_loss(self) -> str:
        return "sse"

    def sse(self, theta: np.ndarray, data) -> float:
        raise NotImplementedError

    def sse_batch(self, thetas: np.ndarray, data) -> np.ndarray:
        raise NotImplementedError

    def residuals(self, theta: np.ndarray, data) -> np.ndarray:
        """Errors e = target - output, flattened."""
        raise NotImplementedError

    def sse_gradient(self, theta: np.ndarray, data) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} has no exact gradient yet")

    def residual_jacobian(self, theta: np.ndarray, data) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} has no exact Jacobian yet")

    def sse_hessian(self, theta: np.ndarray, data) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} has no exact Hessian yet")

    def linear_params(self) -> tuple[int, ...]:
        """Indices of the parameters in which the outputs are jointly affine while the others
        are fixed (e.g. the output layer of a net with a linear output). Scans use this: along
        a direction that moves only these the SSE is a quadratic (``fastsurf.structure``)."""
        return ()

    def describe(self) -> dict:
        """Plain-data description stored in result metadata."""
        return {"model": type(self).__name__}

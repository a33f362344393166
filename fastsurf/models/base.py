"""The interface every model implements; :class:`fastsurf.Problem` calls only these methods.

The numeric methods receive inputs already validated by ``Problem`` (a float64 theta of the right
length and data accepted by :meth:`Model.check_data`). Losses are SSE here; ``Problem`` scales
them for MSE.

A model family provides its kernels behind these methods. The required ones are ``simulate``,
``check_data``, ``sse``, ``sse_batch`` and ``residuals``; the derivative methods, the batched
derivatives, the fused plane scan (``plane_sse``), the parallel training kernel
(``kernel_runs``) and the stability test (``unstable``) are optional capabilities with generic
defaults (loops over the single-point methods) or a "not available" answer that the analyses
handle.
"""

from __future__ import annotations

import numpy as np

from .._memory import check_memory

#: Bytes a model holds per parameter (the vector, its name, work vectors), for the size check.
BYTES_PER_PARAM = 100


def check_size(n_params: int, what: str) -> None:
    """Refuse, before building anything, a model whose parameters would not fit in memory."""
    check_memory(BYTES_PER_PARAM * n_params, f"{what} ({n_params} parameters)")


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

    def sse_gradient_batch(self, thetas: np.ndarray, data) -> np.ndarray:
        """Gradients at each row of ``thetas`` (m, P); a loop unless a kernel does better."""
        return np.array([self.sse_gradient(t, data) for t in thetas]).reshape(-1, self.n_params)

    def sse_hessian_batch(self, thetas: np.ndarray, data) -> np.ndarray:
        """Hessians at each row of ``thetas`` (m, P, P); a loop unless a kernel does better."""
        P = self.n_params
        return np.array([self.sse_hessian(t, data) for t in thetas]).reshape(-1, P, P)

    def outputs_at(self, thetas: np.ndarray, data, step: int) -> np.ndarray:
        """Outputs at time ``step`` of every sequence for each row of ``thetas`` (sequence
        models)."""
        raise NotImplementedError(f"{type(self).__name__} has no outputs over time")

    def unstable(self, thetas: np.ndarray) -> np.ndarray | None:
        """Whether the linearised dynamics are unstable at each row of ``thetas``; None for a
        model without such a test."""
        return None

    def plane_dtypes(self) -> tuple[str, ...]:
        """Value types :meth:`plane_sse` can compute (every model computes float64)."""
        return ("float64",)

    def plane_block_rows(self, nx: int) -> int | None:
        """Rows the fused plane kernel advances together (tiles start on multiples of it so
        that a tiled scan gives the bits of a whole one); None without a fused kernel."""
        return None

    def plane_sse(self, data, scale, origin, d1, d2, x, y, method="auto", dtype=np.float64,
                  progress=None) -> tuple[np.ndarray, int] | None:
        """(``scale`` x SSE over the plane origin + x_j d1 + y_i d2, its number of non-finite
        cells) by a fused kernel, or None when the model has none (scans then use the
        structural path or ``sse_batch``)."""
        return None

    def rescaling_directions(self, theta: np.ndarray) -> np.ndarray | None:
        """Tangents of the model's known continuous symmetries at theta, (k, P), or None."""
        return None

    def kernel_methods(self) -> tuple[str, ...]:
        """Training methods :meth:`kernel_runs` runs in a parallel kernel."""
        return ()

    def kernel_runs(self, method: str, data, scale: float, starts: np.ndarray,
                    options: dict) -> dict:
        """Many runs of ``method`` from the rows of ``starts`` in a parallel kernel: a dict
        with ``thetas``, ``losses``, ``n_iter``, ``reason``, ``n_evals``."""
        raise ValueError(f"{type(self).__name__} has no parallel training kernel")

    def linear_params(self) -> tuple[int, ...]:
        """Indices of the parameters in which the outputs are jointly affine while the others
        are fixed (e.g. the output layer of a net with a linear output). Scans use this: along
        a direction that moves only these the SSE is a quadratic (``fastsurf.structure``)."""
        return ()

    def describe(self) -> dict:
        """Plain-data description stored in result metadata."""
        return {"model": type(self).__name__}

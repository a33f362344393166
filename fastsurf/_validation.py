"""Input checks shared by the public layer.

Kernels never validate; every public function calls these first so that bad input raises a
``ValueError``/``TypeError`` that names the argument and says what is allowed.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_float_array(name: str, value, ndim: int | tuple[int, ...] | None = None,
                   finite: bool = True, allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a C-contiguous float64 array after checking it.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    value : array_like
        Real numbers (int or float dtypes). Complex, bool, string or object input is refused:
        nothing is silently coerced.
    ndim : int or tuple of int, optional
        Allowed numbers of dimensions.
    finite : bool
        Refuse NaN and +-inf when True.
    allow_empty : bool
        Allow arrays with zero elements.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a regular (not ragged) array of real numbers"
                         ) from None
    if arr.dtype == bool or (isinstance(value, (list, tuple)) and arr.dtype != object
                             and _holds_bool(value)):
        raise TypeError(f"{name} must be an array of real numbers, got booleans")
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(
                f"{name} must have {' or '.join(str(a) for a in allowed)} dimension(s), "
                f"got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if finite and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must contain only finite values; found {bad} NaN/inf entries")
    return arr


def _holds_bool(value) -> bool:
    """Whether a (nested) list or tuple holds a bool, which NumPy would turn into 0.0 or 1.0."""
    return any(_holds_bool(v) if isinstance(v, (list, tuple)) else isinstance(v, (bool, np.bool_))
               for v in value)


def as_theta(name: str, value, n_params: int) -> np.ndarray:
    """A finite parameter vector of length ``n_params``."""
    theta = as_float_array(name, value, ndim=1)
    if theta.shape[0] != n_params:
        raise ValueError(f"{name} must have length n_params={n_params}, got {theta.shape[0]}")
    return theta


def as_theta_batch(name: str, value, n_params: int) -> np.ndarray:
    """A finite batch of parameter vectors of shape ``(m, n_params)``."""
    batch = as_float_array(name, value, ndim=2, allow_empty=True)
    if batch.shape[1] != n_params:
        raise ValueError(f"{name} must have shape (m, {n_params}), got {batch.shape}")
    return batch


def check_int(name: str, value, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer (not bool) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_real(name: str, value, minimum: float | None = None, maximum: float | None = None,
               strict_min: bool = False) -> float:
    """A finite real scalar within the given bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if minimum is not None and (value <= minimum if strict_min else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict_min else '>='} {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_choice(name: str, value, allowed) -> str:
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value


def as_rng(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed, a Generator, or None."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.random.default_rng(seed)
    raise TypeError("seed must be an int, None or numpy.random.Generator, "
                    f"got {type(seed).__name__}")

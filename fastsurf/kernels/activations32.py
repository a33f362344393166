"""float32 transfer functions, and transfer functions that follow their argument's type.

The float32 versions follow the float64 ones in ``activations`` (the same formulas, fewer
terms): tanh(x) = sign(x) E / (E + 2) with E = expm1(2|x|), logsig from u = exp(-|x|) <= 1,
the same compensated final division (``activations._div_sum``). Every constant is a
``np.float32`` so nothing is promoted to float64 (Numba types a Python float literal as
float64), and a loop of them vectorizes twice as wide as float64 (8 lanes with AVX2, 16 with
AVX-512). Accuracy (tests): <= 2 ulp of float32 against float64 references over the whole
line, measured 1.51 for tanh and 1.91 for logsig.

``tanh_any`` / ``logsig_any`` compile to the float64 or the float32 function according to the
type of their argument, so one kernel source serves both precisions.
"""

import math

import numpy as np
from numba import njit, types
from numba.extending import overload

from . import activations as a64
from .activations import _bits_float, _div_sum, _fma

_F = np.float32
_ZERO = _F(0.0)
_HALF = _F(0.5)
_ONE = _F(1.0)
_TWO = _F(2.0)
_LOG2E = _F(1.4426950408889634)
# ln 2 split so that n * _LN2_HI is exact for the |n| < 2^8 that occur (Cody & Waite).
_LN2_HI = _F(0.693145751953125)
_LN2_LO = _F(1.4286068203094172e-06)
#: |x| beyond which tanh(x) rounds to +-1 in float32 (from about 9.011 on).
_TANH_SAT = _F(9.5)
#: exp(x) = 0 in float32 below this.
_EXP_MIN = _F(-104.0)
_SCALE_DOWN = _F(2.0 ** -64)
# 1 / (i + 2)! for i = 0..7: exp(r) - 1 = r + r^2 * sum_i C_i r^i (Taylor to degree 9,
# remainder < 1e-8 relative on [0, ln 2]).
_C = tuple(_F(1.0 / math.factorial(i + 2)) for i in range(8))


@njit(cache=True, inline="always")
def _pow2(n):
    """2^n as float32 for integral float32 n in [-126, 127]."""
    return _bits_float(np.int32((np.int32(n) + 127) << 23))


@njit(cache=True, inline="always")
def _expm1_reduced32(r):
    """exp(r) - 1 for r in [0, ln 2] (Estrin's scheme)."""
    r2 = r * r
    r4 = r2 * r2
    q0_3 = _fma(_fma(_C[3], r, _C[2]), r2, _fma(_C[1], r, _C[0]))
    q4_7 = _fma(_fma(_C[7], r, _C[6]), r2, _fma(_C[5], r, _C[4]))
    return _fma(r2, _fma(q4_7, r4, q0_3), r)


@njit(cache=True, inline="always")
def _reduce(y):
    """(n, r) with y = n ln 2 + r, n = floor(y / ln 2), r in [0, ln 2] up to rounding."""
    nf = np.floor(y * _LOG2E)
    return nf, _fma(-nf, _LN2_LO, _fma(-nf, _LN2_HI, y))


@njit(cache=True, inline="always")
def tanh32(x):
    """tanh of a float32; exact +-1 beyond |x| = 9.5, sign of zero kept."""
    ax = abs(x)
    ax = _TANH_SAT if ax > _TANH_SAT else ax
    nf, r = _reduce(ax + ax)
    s = _pow2(nf)
    e = _fma(s, _expm1_reduced32(r), s - _ONE)
    return math.copysign(_div_sum(e, e, _TWO), x)


@njit(cache=True, inline="always")
def _exp_nonpos32(x):
    """exp(x) for float32 x <= 0 (0 below -104), correct into the subnormal range."""
    x = _EXP_MIN if x < _EXP_MIN else x
    nf, r = _reduce(x)
    # Below 2^-120 build the power of two 64 binades higher and scale once at the end.
    deep = nf < _F(-120.0)
    s = _pow2(nf + _F(64.0) if deep else nf)
    u = _fma(s, _expm1_reduced32(r), s)
    return u * _SCALE_DOWN if deep else u


@njit(cache=True, inline="always")
def logsig32(x):
    """1 / (1 + exp(-x)) of a float32, as u / (1 + u) or 1 / (1 + u) with u = exp(-|x|)."""
    u = _exp_nonpos32(-abs(x))
    num = _ONE if x >= _ZERO else u
    return _div_sum(num, _ONE, u)


def _by_width(f64, f32):
    """An overload body choosing ``f32`` for a float32 argument and ``f64`` otherwise."""
    def typer(x):
        if x == types.float32:
            return lambda x: f32(x)
        return lambda x: f64(x)
    return typer


def _tanh_generic(x):  # pragma: no cover - replaced by the overload inside compiled code
    raise NotImplementedError


def _logsig_generic(x):  # pragma: no cover - replaced by the overload inside compiled code
    raise NotImplementedError


overload(_tanh_generic)(_by_width(a64.tanh, tanh32))
overload(_logsig_generic)(_by_width(a64.logsig, logsig32))


@njit(cache=True, inline="always")
def tanh_any(x):
    """tanh in the precision of x (float64 or float32)."""
    return _tanh_generic(x)


@njit(cache=True, inline="always")
def logsig_any(x):
    """logsig in the precision of x (float64 or float32)."""
    return _logsig_generic(x)


@njit(cache=True, error_model="numpy")
def transfer_array(code, x, out):
    """Elementwise transfer function ``code`` in the precision of ``x`` (tests, benchmarks)."""
    for i in range(x.shape[0]):
        if code == a64.TANSIG:
            out[i] = tanh_any(x[i])
        elif code == a64.LOGSIG:
            out[i] = logsig_any(x[i])
        else:
            out[i] = x[i]

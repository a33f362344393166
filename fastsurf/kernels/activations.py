"""Transfer functions and their derivatives, as inlinable Numba device functions.

Transfer codes (shared by every kernel): 0 = purelin, 1 = tansig (tanh), 2 = logsig.

``math.tanh`` and ``math.exp`` compile to libm calls that LLVM cannot vectorize (Numba has no
vector math library without SVML), which makes tansig grids 10-20x slower than linear ones
(docs/performance.md). The functions below use only +, *, fma-able polynomials, one division
and integer bit manipulation, so a loop over grid points vectorizes (kernels that inline them
must use ``error_model="numpy"``: Numba's default division check blocks vectorization), and they
stay accurate to double precision (tests: <= 2 ulp against extended-precision references over
the whole real line; measured maximum 1.60 ulp for tanh, 1.89 ulp for logsig).
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

PURELIN = 0
TANSIG = 1
LOGSIG = 2
TRANSFER_CODES = {"purelin": PURELIN, "tansig": TANSIG, "logsig": LOGSIG}

_LOG2E = 1.4426950408889634
# ln 2 split so that n * _LN2_HI is exact for |n| < 2^11 (Cody & Waite).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# 1.5 * 2^52: adding it rounds a float to an integer held in the low mantissa bits.
_ROUND_MAGIC = 6755399441055744.0


def _is_float(t, bits=(32, 64)) -> bool:
    return isinstance(t, types.Float) and t.bitwidth in bits


@intrinsic
def _float_bits(typingctx, x):
    """Reinterpret a float64 as int64 (a float32 as int32): a bit cast."""
    if not _is_float(x):
        return None
    int_t = types.int64 if x.bitwidth == 64 else types.int32

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(x.bitwidth))

    return int_t(x), codegen


@intrinsic
def _bits_float(typingctx, i):
    """Reinterpret an int64 as float64 (an int32 as float32): a bit cast."""
    if not (isinstance(i, types.Integer) and i.bitwidth in (32, 64)):
        return None
    float_t = types.float64 if i.bitwidth == 64 else types.float32

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType() if i.bitwidth == 64 else ir.FloatType())

    return float_t(i), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with a single rounding (llvm.fma; one instruction on FMA hardware), for three
    float64 or three float32 arguments."""
    if not (all(_is_float(v) for v in (a, b, c)) and a.bitwidth == b.bitwidth == c.bitwidth):
        return None
    float_t = a

    def codegen(context, builder, signature, args):
        ty = ir.DoubleType() if float_t.bitwidth == 64 else ir.FloatType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ty, [ty] * 3),
                                            f"llvm.fma.f{float_t.bitwidth}")
        return builder.call(fn, args)

    return float_t(float_t, float_t, float_t), codegen


def _one(x):  # pragma: no cover - replaced by the overload inside compiled code
    raise NotImplementedError


@overload(_one)
def _one_like(x):
    """1 in the type of x (a Python 1.0 would promote float32 arithmetic to float64)."""
    if x == types.float32:
        return lambda x: np.float32(1.0)
    return lambda x: 1.0


@njit(cache=True, inline="always")
def _div_sum(num, a, b):
    """num / (a + b) to about half an ulp (of float64 or float32 arguments): the rounding
    error of a + b (TwoSum, Knuth) and of the quotient (exact FMA residual) are both
    corrected."""
    d = a + b
    bb = d - a
    err = (a - (d - bb)) + (b - bb)
    inv = _one(d) / d
    q = num * inv
    rem = _fma(-q, d, num) - q * err
    return _fma(rem, inv, q)


@njit(cache=True, inline="always")
def _floor_int(z):
    """floor(z) for |z| < 2^50 (exact at non-integers; at integers z or z - 1), and its bits."""
    t = (z - 0.5) + _ROUND_MAGIC
    return t - _ROUND_MAGIC, _float_bits(t)


@njit(cache=True, inline="always")
def _pow2_from_bits(bits):
    """2^n from the bits of n + _ROUND_MAGIC, for integer n in [-1022, 1023]."""
    return _bits_float((bits + 1023) << 52)


# 1 / (i + 2)! for i = 0..14: exp(r) - 1 = r + r^2 * sum_i C_i r^i (Taylor to degree 16).
_C = tuple(1.0 / math.factorial(i + 2) for i in range(15))


@njit(cache=True, inline="always")
def _expm1_reduced(r):
    """exp(r) - 1 for r in [0, ln 2] (Taylor series to degree 16; remainder < 6e-18).

    The sum is evaluated by Estrin's scheme: a dependency chain of 4 multiply-adds instead of
    Horner's 14, which matters when the loop around it is throughput-bound.
    """
    r2 = r * r
    r4 = r2 * r2
    r8 = r4 * r4
    q0_3 = _fma(_fma(_C[3], r, _C[2]), r2, _fma(_C[1], r, _C[0]))
    q4_7 = _fma(_fma(_C[7], r, _C[6]), r2, _fma(_C[5], r, _C[4]))
    q8_11 = _fma(_fma(_C[11], r, _C[10]), r2, _fma(_C[9], r, _C[8]))
    q12_14 = _fma(_C[14], r2, _fma(_C[13], r, _C[12]))
    q = _fma(_fma(q12_14, r4, q8_11), r8, _fma(q4_7, r4, q0_3))
    return _fma(r2, q, r)


@njit(cache=True, inline="always")
def expm1_nonneg(y):
    """exp(y) - 1 for 0 <= y <= 700, vectorizable: 2^n (1 + q) - 1 with r = y - n ln 2 in
    [0, ln 2], so both terms are non-negative and nothing cancels."""
    nf, bits = _floor_int(y * _LOG2E)
    r = _fma(-nf, _LN2_LO, _fma(-nf, _LN2_HI, y))
    s = _pow2_from_bits(bits)
    return _fma(s, _expm1_reduced(r), s - 1.0)


@njit(cache=True, inline="always")
def exp_nonpos(x):
    """exp(x) for x <= 0 (0 below -746), vectorizable, correct into the subnormal range."""
    x = -746.0 if x < -746.0 else x
    nf, bits = _floor_int(x * _LOG2E)
    r = _fma(-nf, _LN2_LO, _fma(-nf, _LN2_HI, x))
    # Below 2^-1000 build the power of two 64 binades higher and scale once at the end, so
    # subnormal results are rounded only once.
    deep = nf < -1000.0
    s = _pow2_from_bits(bits + 64 if deep else bits)
    u = _fma(s, _expm1_reduced(r), s)
    return u * 5.421010862427522e-20 if deep else u


# 1 / (2k + 3) for k = 0..15: log1p(u) = 2 atanh(s) = 2s + 2s z sum_k z^k / (2k + 3),
# with s = u / (2 + u) <= 1/3 and z = s^2 <= 1/9
_ATANH = tuple(1.0 / (2 * k + 3) for k in range(16))


@njit(cache=True, inline="always")
def log1p_unit(u):
    """log(1 + u) for 0 <= u <= 1, vectorizable (atanh series to z^16 / 35 < 1e-18).

    The leading term 2s is added last so the rounding of the series (scaled by z <= 1/9)
    hardly shows; s comes from the compensated division."""
    s = _div_sum(u, 2.0, u)
    z = s * s
    z2 = z * z
    z4 = z2 * z2
    z8 = z4 * z4
    q0 = _fma(_fma(_ATANH[3], z, _ATANH[2]), z2, _fma(_ATANH[1], z, _ATANH[0]))
    q1 = _fma(_fma(_ATANH[7], z, _ATANH[6]), z2, _fma(_ATANH[5], z, _ATANH[4]))
    q2 = _fma(_fma(_ATANH[11], z, _ATANH[10]), z2, _fma(_ATANH[9], z, _ATANH[8]))
    q3 = _fma(_fma(_ATANH[15], z, _ATANH[14]), z2, _fma(_ATANH[13], z, _ATANH[12]))
    q = _fma(_fma(q3, z4, q2), z8, _fma(q1, z4, q0))
    two_s = 2.0 * s
    return _fma(two_s * z, q, two_s)


@njit(cache=True, inline="always")
def tanh(x):
    """tanh(x) = sign(x) E / (E + 2) with E = expm1(2|x|); exact +-1 beyond |x| = 22."""
    ax = abs(x)
    ax = 22.0 if ax > 22.0 else ax
    e = expm1_nonneg(ax + ax)
    return math.copysign(_div_sum(e, e, 2.0), x)


@njit(cache=True, inline="always")
def logsig(x):
    """1 / (1 + exp(-x)) evaluated as u / (1 + u) or 1 / (1 + u) with u = exp(-|x|) <= 1."""
    u = exp_nonpos(-abs(x))
    num = 1.0 if x >= 0.0 else u
    return _div_sum(num, 1.0, u)


@njit(cache=True, inline="always")
def apply_transfer(code, x):
    """f(x) for transfer ``code``."""
    if code == PURELIN:
        return x
    if code == TANSIG:
        return tanh(x)
    return logsig(x)


@njit(cache=True, inline="always")
def transfer_derivative_from_output(code, a):
    """f'(n) written in terms of a = f(n)."""
    if code == PURELIN:
        return 1.0
    if code == TANSIG:
        return 1.0 - a * a
    return a * (1.0 - a)


@njit(cache=True, inline="always")
def transfer_second_derivative_from_output(code, a):
    """f''(n) written in terms of a = f(n)."""
    if code == PURELIN:
        return 0.0
    if code == TANSIG:
        return -2.0 * a * (1.0 - a * a)
    return a * (1.0 - a) * (1.0 - 2.0 * a)


@njit(cache=True, error_model="numpy")
def tanh_array(x, out):
    """Elementwise :func:`tanh` (for tests and benchmarks)."""
    for i in range(x.shape[0]):
        out[i] = tanh(x[i])


@njit(cache=True, error_model="numpy")
def logsig_array(x, out):
    """Elementwise :func:`logsig` (for tests and benchmarks)."""
    for i in range(x.shape[0]):
        out[i] = logsig(x[i])

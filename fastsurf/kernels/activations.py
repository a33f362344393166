"""Transfer functions and their derivatives, as Numba device functions.

Transfer codes (shared by every kernel): 0 = purelin, 1 = tansig (tanh), 2 = logsig.
"""

import math

from numba import njit

PURELIN = 0
TANSIG = 1
LOGSIG = 2
TRANSFER_CODES = {"purelin": PURELIN, "tansig": TANSIG, "logsig": LOGSIG}


@njit(cache=True, inline="always")
def apply_transfer(code, x):
    """f(x) for transfer ``code``."""
    if code == PURELIN:
        return x
    if code == TANSIG:
        return math.tanh(x)
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    ex = math.exp(x)
    return ex / (1.0 + ex)


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

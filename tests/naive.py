"""Naive references written from the equations with plain Python loops.

Every kernel in fastsurf is tested against one of these. They are slow on purpose: no NumPy
vectorisation, no shared code with the package.
"""

import math


def transfer(name, x):
    if name == "purelin":
        return x
    if name == "tansig":
        return math.tanh(x)
    if name == "logsig":
        return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
    raise ValueError(name)


def simulate_neuron(theta, p, a0, transfer_name, input_delays=(0,), n_fb=1, bias=False):
    """Outputs a(1..T) of one sequence. a0[j] = a(-j) (missing entries are 0)."""
    theta = [float(v) for v in theta]
    n_in = len(input_delays)
    b = theta[n_in + n_fb] if bias else 0.0
    a = {}
    for j in range(n_fb):
        a[-j] = float(a0[j]) if j < len(a0) else 0.0
    out = []
    for k in range(1, len(p) + 1):
        n = b
        for i, d in enumerate(input_delays):
            if k - d >= 1:
                n += theta[i] * float(p[k - d - 1])
        for d in range(1, n_fb + 1):
            n += theta[n_in + d - 1] * a[k - d]
        a[k] = transfer(transfer_name, n)
        out.append(a[k])
    return out


def sse_neuron(theta, P, Tg, A0, transfer_name, input_delays=(0,), n_fb=1, bias=False):
    """Sum of squared errors over sequences P, targets Tg (lists of lists), inits A0."""
    total = 0.0
    for p, t, a0 in zip(P, Tg, A0):
        out = simulate_neuron(theta, p, a0, transfer_name, input_delays, n_fb, bias)
        for tk, ak in zip(t, out):
            e = tk - ak
            total += e * e
    return total


# --- polynomials (roots) ---------------------------------------------------------------------
def poly_value(coeffs, x):
    """sum_i c_i x^i by plain powers (complex x allowed)."""
    total = 0
    for i, c in enumerate(coeffs):
        total += c * x ** i
    return total

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


# --- recurrent neuron with complex parameters (complex-step derivatives) ----------------------
def _ctransfer(name, x):
    import cmath
    if name == "purelin":
        return x
    if name == "tansig":
        return cmath.tanh(x)
    return 1.0 / (1.0 + cmath.exp(-x))


def _cderivs(name, a):
    """f'(n) and f''(n) from a = f(n) (complex-capable)."""
    if name == "purelin":
        return 1.0, 0.0
    if name == "tansig":
        return 1 - a * a, -2 * a * (1 - a * a)
    return a * (1 - a), a * (1 - a) * (1 - 2 * a)


def sse_neuron_complex(theta, P, Tg, A0, transfer_name, input_delays=(0,), n_fb=1, bias=False):
    """SSE with complex-capable arithmetic: Im(F(theta + ih e_j)) / h is dF/dtheta_j."""
    n_in = len(input_delays)
    total = 0
    for p, t, a0 in zip(P, Tg, A0):
        a = {-j: a0[j] if j < len(a0) else 0.0 for j in range(n_fb)}
        for k in range(1, len(p) + 1):
            n = theta[n_in + n_fb] if bias else 0.0
            for i, d in enumerate(input_delays):
                if k - d >= 1:
                    n = n + theta[i] * p[k - d - 1]
            for d in range(1, n_fb + 1):
                n = n + theta[n_in + d - 1] * a[k - d]
            a[k] = _ctransfer(transfer_name, n)
            e = t[k - 1] - a[k]
            total = total + e * e
    return total


def _rtrl_steps(theta, P, Tg, A0, f, transfer_name, input_delays, n_fb, bias):
    """(e(k), S(k)) for every sequence and step: the residual t(k) - a(k) and the output
    sensitivities S(k) = da(k)/dtheta by forward recursion (RTRL), plain loops; ``f`` is the
    transfer function (real or complex-capable)."""
    n_in = len(input_delays)
    npar = len(theta)
    for p, t, a0 in zip(P, Tg, A0):
        a = {-j: a0[j] if j < len(a0) else 0.0 for j in range(n_fb)}
        S = {-j: [0.0] * npar for j in range(n_fb)}
        for k in range(1, len(p) + 1):
            n = theta[n_in + n_fb] if bias else 0.0
            x = [0.0] * npar
            for i, d in enumerate(input_delays):
                if k - d >= 1:
                    n = n + theta[i] * p[k - d - 1]
                    x[i] = p[k - d - 1]
            for d in range(1, n_fb + 1):
                n = n + theta[n_in + d - 1] * a[k - d]
                x[n_in + d - 1] = a[k - d]
            if bias:
                x[n_in + n_fb] = 1.0
            a[k] = f(transfer_name, n)
            f1, _ = _cderivs(transfer_name, a[k])
            S[k] = []
            for j in range(npar):
                s = x[j]
                for d in range(1, n_fb + 1):
                    s = s + theta[n_in + d - 1] * S[k - d][j]
                S[k].append(f1 * s)
            yield t[k - 1] - a[k], S[k]


def gradient_neuron_rtrl(theta, P, Tg, A0, transfer_name, input_delays=(0,), n_fb=1,
                         bias=False):
    """SSE gradient by forward sensitivities in plain loops (complex-capable), so that the
    complex step of this gradient gives exact Hessian columns."""
    grad = [0] * len(theta)
    for e, S in _rtrl_steps(theta, P, Tg, A0, _ctransfer, transfer_name, input_delays, n_fb,
                            bias):
        for j in range(len(theta)):
            grad[j] = grad[j] - 2 * e * S[j]
    return grad


# --- MLP (complex-capable for complex-step derivatives) ---------------------------------------
def mlp_outputs(theta, widths, activation, beta, xs):
    """Outputs of a fully connected net with a linear output layer, plain loops. Each xs[s] is a
    list of inputs; theta layout: W_l row-major (n_out, n_in), then b_l, layer by layer."""
    import cmath

    def act(z):
        if activation == "relu":
            return z if z.real > 0 else 0.0 * z
        if activation == "softplus":
            return cmath.log(1 + cmath.exp(beta * z)) / beta
        if activation == "tanh":
            return cmath.tanh(z)
        return 1 / (1 + cmath.exp(-z))

    outs = []
    for x in xs:
        h = list(x)
        pos = 0
        for l in range(1, len(widths)):
            n_in, n_out = widths[l - 1], widths[l]
            W = [[theta[pos + o * n_in + i] for i in range(n_in)] for o in range(n_out)]
            pos += n_in * n_out
            b = [theta[pos + o] for o in range(n_out)]
            pos += n_out
            z = [b[o] + sum(W[o][i] * h[i] for i in range(n_in)) for o in range(n_out)]
            h = z if l == len(widths) - 1 else [act(v) for v in z]
        outs.append(h)
    return outs


def mlp_sse(theta, widths, activation, beta, xs, ys):
    total = 0
    for out, y in zip(mlp_outputs(theta, widths, activation, beta, xs), ys):
        for o, yo in zip(out, y):
            total = total + (yo - o) ** 2
    return total


# --- layered recurrent net (complex-capable) ---------------------------------------------------
def layered_sse(theta, S, P, Tg):
    """SSE of the layered recurrent net over sequences P with targets Tg, plain loops."""
    import cmath
    IW = theta[:S]
    LW = [[theta[S + i * S + j] for j in range(S)] for i in range(S)]
    b1 = theta[S + S * S:2 * S + S * S]
    LO = theta[2 * S + S * S:3 * S + S * S]
    b2 = theta[3 * S + S * S]
    total = 0
    for p, t in zip(P, Tg):
        a = [0.0] * S
        for k in range(len(p)):
            a = [cmath.tanh(IW[i] * p[k] + sum(LW[i][j] * a[j] for j in range(S)) + b1[i])
                 for i in range(S)]
            y = b2 + sum(LO[i] * a[i] for i in range(S))
            total = total + (t[k] - y) ** 2
    return total


# --- Levenberg–Marquardt on the recurrent neuron (plain loops) ----------------------------------
def jacobian_neuron(theta, P, Tg, A0, transfer_name, input_delays=(0,), n_fb=1, bias=False):
    """Residuals e = t - a and their Jacobian rows de/dtheta = -da/dtheta (RTRL, plain loops),
    sequence by sequence."""
    res, rows = [], []
    for e, S in _rtrl_steps(theta, P, Tg, A0, transfer, transfer_name, input_delays, n_fb,
                            bias):
        res.append(e)
        rows.append([-v for v in S])
    return res, rows


def solve_linear(M, b):
    """Gaussian elimination with partial pivoting on lists."""
    n = len(b)
    A = [list(M[i]) + [b[i]] for i in range(n)]
    for c in range(n):
        piv = max(range(c, n), key=lambda r: abs(A[r][c]))
        A[c], A[piv] = A[piv], A[c]
        for r in range(c + 1, n):
            f = A[r][c] / A[c][c]
            for q in range(c, n + 1):
                A[r][q] -= f * A[c][q]
    x = [0.0] * n
    for c in range(n - 1, -1, -1):
        x[c] = (A[c][n] - sum(A[c][q] * x[q] for q in range(c + 1, n))) / A[c][c]
    return x


def lm_neuron(theta0, P, Tg, A0, transfer_name, input_delays=(0,), n_fb=1, bias=False,
              scale=1.0, max_iter=200, goal=0.0, gtol=1e-10, mu=1e-3, mu_dec=0.1, mu_inc=10.0,
              mu_max=1e10):
    """Hagan–Menhaj Levenberg–Marquardt written from its definition. Returns
    (theta, loss, accepted steps, reason, loss evaluations)."""
    args = (P, Tg, A0, transfer_name, input_delays, n_fb, bias)

    def loss_at(th):
        v = scale * sse_neuron(th, *args)
        return v if math.isfinite(v) else math.inf

    theta = [float(v) for v in theta0]
    npar = len(theta)
    loss = loss_at(theta)
    evals = 1
    if not math.isfinite(loss):
        return theta, loss, 0, "non-finite start", evals
    steps = 0
    while True:
        if steps == max_iter:
            return theta, loss, steps, "loss goal" if loss <= goal else "max_iter", evals
        if loss <= goal:
            return theta, loss, steps, "loss goal", evals
        e, J = jacobian_neuron(theta, *args)
        g = [sum(J[k][i] * e[k] for k in range(len(e))) for i in range(npar)]
        if math.sqrt(sum((2 * gi * scale) ** 2 for gi in g)) <= gtol:
            return theta, loss, steps, "gradient", evals
        JTJ = [[sum(J[k][i] * J[k][q] for k in range(len(e))) for q in range(npar)]
               for i in range(npar)]
        while True:
            M = [[JTJ[i][q] + (mu if i == q else 0.0) for q in range(npar)]
                 for i in range(npar)]
            delta = solve_linear(M, [-gi for gi in g])
            trial = [theta[i] + delta[i] for i in range(npar)]
            new = loss_at(trial) if all(math.isfinite(v) for v in trial) else math.inf
            evals += 1
            if new < loss:
                theta, loss = trial, new
                mu *= mu_dec
                steps += 1
                break
            mu *= mu_inc
            if mu > mu_max:
                return theta, loss, steps, "mu_max", evals


# --- softmax classification (complex-capable for complex-step derivatives) ---------------------
def softmax_xent_sample(z, label):
    """-log softmax(z)[label] = log(sum_c exp(z_c)) - z_label, from the formula, with the largest
    real part m shifted out (exp(z_c - m) <= 1 in modulus) so that large logits do not overflow;
    complex z allowed."""
    import cmath
    m = max(v.real for v in (complex(u) for u in z))
    total = 0
    for v in z:
        total = total + cmath.exp(v - m)
    return m + cmath.log(total) - z[label]


def mlp_softmax_xent(theta, widths, activation, beta, xs, labels):
    """Softmax cross-entropy of an MLP's logits summed over samples, plain loops."""
    total = 0
    for z, y in zip(mlp_outputs(theta, widths, activation, beta, xs), labels):
        total = total + softmax_xent_sample(z, y)
    return total


def mlp_errors(theta, widths, activation, beta, xs, labels):
    """Samples whose label's logit is not strictly larger than every other logit."""
    count = 0
    for z, y in zip(mlp_outputs(theta, widths, activation, beta, xs), labels):
        zy = complex(z[y]).real
        if not all(zy > complex(v).real for c, v in enumerate(z) if c != y):
            count += 1
    return count


def softmax(z):
    """Probabilities exp(z_c) / sum exp(z), real z, plain loops (shifted by the max)."""
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


# --- many training runs of a ReLU MLP (fastsurf.ensemble) --------------------------------------
def relu_mlp_loss_gradient(theta, widths, xs, ys, scale=1.0):
    """Loss scale * SSE of a ReLU net with a linear output layer and its exact gradient, by
    backpropagation in plain loops. Every sum is written in one fixed order (a bias, then the
    inputs in order; the samples in order; the back-propagated sum over the next layer's units
    in order, from 0), the order fastsurf's kernels promise, so that the results can be
    compared bit for bit. Returns (loss, gradient list); the loss is inf if not finite."""
    L = len(widths) - 1
    n = len(xs)
    w_off, b_off, pos = [0] * (L + 1), [0] * (L + 1), 0
    for l in range(1, L + 1):
        w_off[l] = pos
        pos += widths[l] * widths[l - 1]
        b_off[l] = pos
        pos += widths[l]
    # forward: H[l][u][s]
    H = [[[float(xs[s][i]) for s in range(n)] for i in range(widths[0])]]
    for l in range(1, L + 1):
        n_in, n_out = widths[l - 1], widths[l]
        layer = []
        for o in range(n_out):
            row = []
            for s in range(n):
                z = theta[b_off[l] + o]
                for i in range(n_in):
                    z = z + theta[w_off[l] + o * n_in + i] * H[l - 1][i][s]
                row.append(z if (l == L or z > 0.0) else 0.0)
            layer.append(row)
        H.append(layer)
    total = 0.0
    for o in range(widths[L]):
        for s in range(n):
            e = ys[s][o] - H[L][o][s]
            total = total + e * e
    loss = scale * (total if total == total else math.inf)
    grad = [0.0] * pos
    G = [[-2.0 * (ys[s][o] - H[L][o][s]) for s in range(n)] for o in range(widths[L])]
    for l in range(L, 0, -1):
        n_in, n_out = widths[l - 1], widths[l]
        for o in range(n_out):
            acc = 0.0
            for s in range(n):
                acc = acc + G[o][s]
            grad[b_off[l] + o] = 0.0 + acc
            for i in range(n_in):
                acc = 0.0
                for s in range(n):
                    acc = acc + G[o][s] * H[l - 1][i][s]
                grad[w_off[l] + o * n_in + i] = 0.0 + acc
        if l > 1:
            below = []
            for i in range(n_in):
                row = []
                for s in range(n):
                    wg = 0.0
                    for o in range(n_out):
                        wg = wg + theta[w_off[l] + o * n_in + i] * G[o][s]
                    row.append((1.0 if H[l - 1][i][s] > 0.0 else 0.0) * wg)
                below.append(row)
            G = below
    return loss, [scale * g for g in grad]


def relu_mlp_train(method, theta0, widths, xs, ys, scale, steps, lr, momentum=0.9, rho=0.95,
                   eps=1e-7):
    """``steps`` full-batch updates of gradient descent with heavy-ball momentum
    (v = momentum v - lr g; theta += v) or Adadelta with lr scaling (Zeiler 2012:
    eg = rho eg + (1 - rho) g^2; d = -sqrt(ed + eps) / sqrt(eg + eps) g;
    ed = rho ed + (1 - rho) d^2; theta += lr d), from zero accumulators. Stops early when the
    loss becomes non-finite, keeping the last theta of finite loss.
    Returns (theta, loss, updates made, "max_iter" or "diverged")."""
    theta = [float(v) for v in theta0]
    P = len(theta)
    s1, s2 = [0.0] * P, [0.0] * P
    loss, g = relu_mlp_loss_gradient(theta, widths, xs, ys, scale)
    done = 0
    for _ in range(steps):
        new = list(theta)
        for p in range(P):
            if method == "gd":
                s1[p] = momentum * s1[p] - lr * g[p]
                new[p] = theta[p] + s1[p]
            else:
                s1[p] = rho * s1[p] + (1 - rho) * g[p] * g[p]
                d = -math.sqrt(s2[p] + eps) / math.sqrt(s1[p] + eps) * g[p]
                s2[p] = rho * s2[p] + (1 - rho) * d * d
                new[p] = theta[p] + lr * d
        new_loss, new_g = relu_mlp_loss_gradient(new, widths, xs, ys, scale)
        if not math.isfinite(new_loss):
            return theta, loss, done, "diverged"
        theta, loss, g = new, new_loss, new_g
        done += 1
    return theta, loss, done, "max_iter"


# --- minibatch training of a classifier (fastsurf.minibatch) ----------------------------------
def mlp_mean_xent_gradient(theta, widths, activation, beta, xs, labels):
    """Gradient of the softmax cross-entropy averaged over the samples, by the complex step
    (h = 1e-30: exact to rounding) on the plain-loop loss, one parameter at a time."""
    h = 1e-30
    grad = []
    for p in range(len(theta)):
        t = [complex(v) for v in theta]
        t[p] += 1j * h
        grad.append(mlp_softmax_xent(t, widths, activation, beta, xs, labels).imag / h
                    / len(xs))
    return grad


def minibatch_train(method, theta0, widths, activation, beta, xs, labels, batches, lr,
                    momentum=0.9, nesterov=False, beta1=0.9, beta2=0.999, eps=1e-8):
    """Minibatch training in plain loops, one step per batch of sample indices in ``batches``:
    "sgd" (v = momentum v - lr g; theta += v; with ``nesterov`` g is taken at theta +
    momentum v, Sutskever et al. 2013) or "adam" (Kingma & Ba 2015, Algorithm 1). Returns the
    parameters after every step, the start first."""
    theta = [float(v) for v in theta0]
    P = len(theta)
    s1, s2 = [0.0] * P, [0.0] * P
    out = [list(theta)]
    for t, rows in enumerate(batches, start=1):
        bx = [xs[r] for r in rows]
        by = [labels[r] for r in rows]
        at = [theta[p] + momentum * s1[p] for p in range(P)] if nesterov else theta
        g = mlp_mean_xent_gradient(at, widths, activation, beta, bx, by)
        for p in range(P):
            if method == "sgd":
                s1[p] = momentum * s1[p] - lr * g[p]
                theta[p] = theta[p] + s1[p]
            else:
                s1[p] = beta1 * s1[p] + (1 - beta1) * g[p]
                s2[p] = beta2 * s2[p] + (1 - beta2) * g[p] * g[p]
                m_hat = s1[p] / (1 - beta1 ** t)
                theta[p] = theta[p] - lr * m_hat / (math.sqrt(s2[p] / (1 - beta2 ** t)) + eps)
        out.append(list(theta))
    return out

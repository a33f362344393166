"""Classification nets: ClassificationData, the softmax cross-entropy (mean and sum), its exact
gradient, Gauss-Newton matrix and Hessian, the 0-1 loss and error rate, and the BLAS layers.

References are independent: plain-loop nets and the softmax cross-entropy written from the
formula in tests/naive.py, their complex-step derivatives (exact to rounding), central
differences, and an explicit J^T (diag p - p p^T) J from a complex-step Jacobian of the logits.
"""

import math

import numpy as np
import pytest

import fastsurf as fs
from tests import naive
from tests.checks import assert_hessian_matches_differences

CONFIGS = [((2, 3, 3), "tanh", 1.0), ((1, 3, 2, 4), "softplus", 4.0),
           ((3, 2, 3), "logsig", 1.0)]
H_CS = 1e-30


def _case(widths, activation="tanh", beta=1.0, n=11, seed=0, blas="auto", loss=None):
    rng = np.random.default_rng(seed)
    model = fs.MLP(widths, activation=activation, beta=beta, blas=blas)
    x = rng.uniform(-1, 1, (n, widths[0]))
    labels = rng.integers(0, widths[-1], n)
    data = fs.ClassificationData(x, labels, n_classes=widths[-1])
    return fs.Problem(model, data, loss=loss), rng


def _naive_args(prob):
    m, d = prob.model, prob.data
    return (m.widths, m.activation, m.beta, d.x.tolist(), d.labels.tolist())


def _cs_gradient(f, theta):
    """Complex-step gradient of a complex-capable f: Im f(theta + ih e_j) / h."""
    return np.array([f(theta + 1j * H_CS * e).imag / H_CS for e in np.eye(theta.size)])


def _cs_cd_hessian(f, theta, delta=1e-5):
    """Hessian of a complex-capable f: the complex step in i (exact first derivative) under
    central differences in j."""
    P = theta.size
    eye = np.eye(P)
    H = np.empty((P, P))
    for j in range(P):
        gp = _cs_gradient(f, theta + delta * eye[j])
        gm = _cs_gradient(f, theta - delta * eye[j])
        H[:, j] = (gp - gm) / (2 * delta)
    return H


def _logit_jacobians(prob, theta):
    """J[s] = d z_s / d theta (C, P) by the complex step of the plain-loop logits."""
    m, d = prob.model, prob.data
    P = theta.size
    J = np.empty((d.n_samples, m.widths[-1], P))
    for j, e in enumerate(np.eye(P)):
        z = naive.mlp_outputs(theta + 1j * H_CS * e, m.widths, m.activation, m.beta,
                              d.x.tolist())
        J[:, :, j] = np.imag(np.array(z)) / H_CS
    return J


# --- ClassificationData ------------------------------------------------------------------------
def test_classification_data_from_indices_and_onehot():
    x = [[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]]
    d = fs.ClassificationData(x, [0, 2, 1, 2])
    assert (d.n_samples, d.n_classes, d.n_residuals) == (4, 3, 12)
    assert d.x.dtype == np.float64 and d.x.shape == (4, 2) and d.labels.dtype == np.int64
    np.testing.assert_array_equal(d.onehot, np.eye(3)[[0, 2, 1, 2]])
    d.onehot[0, 0] = 7.0                       # a new array every time: the data is unchanged
    assert d.onehot[0, 0] == 1.0
    for onehot in (np.eye(3, dtype=int)[[0, 2, 1, 2]], np.eye(3)[[0, 2, 1, 2]]):
        same = fs.ClassificationData(x, onehot)
        np.testing.assert_array_equal(same.labels, d.labels)
        assert same.n_classes == 3 and same.fingerprint() == d.fingerprint()
    wider = fs.ClassificationData(x, [0, 2, 1, 2], n_classes=5)
    assert wider.n_classes == 5 and wider.onehot.shape == (4, 5)
    assert wider.fingerprint() != d.fingerprint()
    assert fs.ClassificationData(x, [0, 2, 1, 1]).fingerprint() != d.fingerprint()
    assert fs.ClassificationData(np.arange(3.0), np.array([1, 0, 1], dtype=np.uint8)).x.shape \
        == (3, 1)


@pytest.mark.parametrize("labels,n_classes,err,match", [
    ([True, False, True], None, TypeError, "got booleans"),
    ([0.0, 1.0, 1.0], None, TypeError, "integer dtype, got float64"),
    ([0, 1j, 1], None, TypeError, "got dtype complex"),
    ("012", None, TypeError, "got str"),
    ([0, 1, 3], 3, ValueError, r"\[0, n_classes=3\), found values from 0 to 3"),
    ([0, -1, 1], None, ValueError, "found values from -1"),
    ([0, 0, 0], None, ValueError, "single class"),
    ([[0, 1], [1]], None, ValueError, "labels must be a rectangular array"),
    ([], None, ValueError, "labels must not be empty"),
    ([0, 1], None, ValueError, "same number of samples, got 3 and 2"),
    (np.zeros((3, 2, 2), dtype=int), None, ValueError, "shape"),
    ([[1, 0], [0, 1], [1, 1]], None, ValueError, r"exactly one 1 .* row 2 is \[1, 1\]"),
    ([[1, 0], [0, 1], [0, 0]], None, ValueError, "row 2"),
    ([[1.0, 0], [0, 1], [0.5, 0.5]], None, ValueError, "row 2"),
    ([[1.0, 0], [0, 1], [np.nan, 1]], None, ValueError, "finite"),
    ([[1, 0], [0, 1], [0, 1]], 3, ValueError, "2 columns but n_classes=3"),
    ([[1], [1], [1]], None, ValueError, "n_classes >= 2"),
    ([0, 1, 1], 1, ValueError, "n_classes must be >= 2"),
    ([0, 1, 1], True, TypeError, "n_classes must be an integer"),
    ([0, 1, 1], 2.0, TypeError, "n_classes must be an integer"),
])
def test_classification_data_refuses_bad_labels(labels, n_classes, err, match):
    with pytest.raises(err, match=match):
        fs.ClassificationData(np.zeros((3, 2)), labels, n_classes=n_classes)


@pytest.mark.parametrize("x,err,match", [
    ([[0.0], [np.nan], [1.0]], ValueError, "x must contain only finite"),
    ([[True], [False], [True]], TypeError, "x must be an array of real numbers, got bool"),
    ([[0.0, 1.0], [1.0]], ValueError, r"x must be a regular \(not ragged\) array"),
    (np.zeros((0, 2)), ValueError, "x must not be empty"),
])
def test_classification_data_refuses_bad_inputs(x, err, match):
    with pytest.raises(err, match=match):
        fs.ClassificationData(x, [0, 1, 1])


def test_problem_checks_model_data_and_loss():
    data = fs.ClassificationData(np.zeros((4, 2)), [0, 1, 2, 1])
    with pytest.raises(ValueError, match="n_classes = d_out = 2 .* got x \\(4, 2\\) and "
                                         "n_classes=3"):
        fs.Problem(fs.MLP((2, 3, 2)), data)
    with pytest.raises(ValueError, match="2 input column"):
        fs.Problem(fs.MLP((2, 3)), fs.ClassificationData(np.zeros((4, 3)), [0, 1, 2, 1]))
    with pytest.raises(TypeError, match="data for RecurrentNeuron must be SequenceData"):
        fs.Problem(fs.RecurrentNeuron(), data)
    with pytest.raises(TypeError, match="RegressionData or ClassificationData"):
        fs.Problem(fs.MLP((1, 1)), fs.make_sequence_data(fs.RecurrentNeuron(), (.5, .5), T=4))
    reg = fs.RegressionData(np.zeros(3), np.zeros(3))
    for loss in ("cross_entropy", "cross_entropy_sum", "zero_one"):
        with pytest.raises(ValueError, match=f"loss='{loss}' needs ClassificationData"):
            fs.Problem(fs.MLP((1, 1)), reg, loss=loss)
    with pytest.raises(ValueError, match="loss must be one of"):
        fs.Problem(fs.MLP((2, 3)), data, loss="hinge")
    prob = fs.Problem(fs.MLP((2, 3)), data)
    assert prob.loss_kind == "cross_entropy" and prob.loss_scale == 1 / 4
    assert prob.describe()["loss"] == "cross_entropy"
    assert prob.describe()["data_fingerprint"] == data.fingerprint()
    assert fs.Problem(fs.MLP((1, 1)), reg).loss_kind == "mse"


# --- the loss ----------------------------------------------------------------------------------
@pytest.mark.parametrize("widths,activation,beta", CONFIGS + [((2, 4, 3), "relu", 1.0)])
@pytest.mark.parametrize("blas", [False, True])
def test_cross_entropy_matches_naive(widths, activation, beta, blas):
    prob, rng = _case(widths, activation, beta, blas=blas)
    theta = rng.standard_normal(prob.n_params)
    args = _naive_args(prob)
    np.testing.assert_allclose(prob.outputs(theta),
                               np.real(naive.mlp_outputs(theta, *args[:4])), rtol=1e-13,
                               atol=1e-14)
    ref = np.real(naive.mlp_softmax_xent(theta, *args))
    n = prob.data.n_samples
    assert prob.loss(theta) == pytest.approx(ref / n, rel=1e-13)       # the mean over samples
    total = fs.Problem(prob.model, prob.data, loss="cross_entropy_sum")
    assert total.loss(theta) == pytest.approx(ref, rel=1e-13)
    thetas = rng.standard_normal((7, prob.n_params))
    np.testing.assert_array_equal(prob.losses(thetas), [prob.loss(t) for t in thetas])
    assert prob.losses(np.empty((0, prob.n_params))).shape == (0,)


def test_cross_entropy_is_stable_for_large_and_confident_logits():
    # one layer: the logits are (w0 x + b0, w1 x + b1), with x = 1
    prob = fs.Problem(fs.MLP((1, 2)), fs.ClassificationData([1.0], [0], n_classes=2),
                      loss="cross_entropy")
    # confident and right: log1p(exp(-40)) ~ 4.2e-18, far below the rounding of 1 + exp(-40)
    assert prob.loss([0.0, 0.0, 0.0, -40.0]) == pytest.approx(math.log1p(math.exp(-40.0)),
                                                              rel=1e-14)
    assert prob.loss([0.0, 0.0, 5.0, 5.0]) == pytest.approx(math.log(2.0), rel=1e-15)
    # huge logits: no overflow in exp, the loss is the logit gap (+ log1p of a tiny term)
    assert prob.loss([0.0, 0.0, -3e5, 4e5]) == pytest.approx(7e5, rel=1e-15)
    assert prob.loss([0.0, 0.0, 1e300, -1e300]) == 0.0
    np.testing.assert_allclose(prob.gradient([0.0, 0.0, -3e5, 4e5]), [-1, 1, -1, 1])
    # overflowing logits: +inf, never NaN, and derivatives are refused
    for theta in ([0.0, 0.0, -1e308, 1e308], [1e308, 0.0, 1e308, 0.0], [1e308, -1e308, 1e308,
                                                                           -1e308]):
        assert prob.loss(theta) == np.inf
        for what in (prob.gradient, prob.hessian, prob.gauss_newton):
            with pytest.raises(fs.NonFiniteLossError, match="not finite"):
                what(theta)
    assert prob.losses(np.array([[0.0, 0.0, -1e308, 1e308]]))[0] == np.inf


# --- derivatives -------------------------------------------------------------------------------
@pytest.mark.parametrize("widths,activation,beta", CONFIGS)
def test_gradient_against_complex_step(widths, activation, beta):
    prob, rng = _case(widths, activation, beta, seed=1)
    theta = 0.8 * rng.standard_normal(prob.n_params)
    args = _naive_args(prob)
    n = prob.data.n_samples
    cs = _cs_gradient(lambda t: naive.mlp_softmax_xent(t, *args), theta) / n
    g = prob.gradient(theta)
    np.testing.assert_allclose(g, cs, rtol=1e-11, atol=1e-13 * np.abs(cs).max())
    # and against central differences of the loss
    step = 1e-6
    fd = np.array([(prob.loss(theta + step * e) - prob.loss(theta - step * e)) / (2 * step)
                   for e in np.eye(prob.n_params)])
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    total = fs.Problem(prob.model, prob.data, loss="cross_entropy_sum")
    np.testing.assert_allclose(total.gradient(theta), n * g, rtol=1e-14)
    thetas = rng.standard_normal((5, prob.n_params))
    np.testing.assert_array_equal(prob.gradients(thetas), [prob.gradient(t) for t in thetas])


def test_relu_gradient_against_complex_step():
    prob, rng = _case((2, 5, 3), "relu", seed=4)
    theta = rng.standard_normal(prob.n_params)
    args = _naive_args(prob)
    cs = _cs_gradient(lambda t: naive.mlp_softmax_xent(t, *args), theta) / prob.data.n_samples
    np.testing.assert_allclose(prob.gradient(theta), cs, rtol=1e-11, atol=1e-14)
    with pytest.raises(ValueError, match="ReLU net has no Hessian"):
        prob.hessian(theta)


@pytest.mark.parametrize("widths,activation,beta", CONFIGS)
def test_hessian_gauss_newton_and_residual_term(widths, activation, beta):
    prob, rng = _case(widths, activation, beta, seed=2)
    theta = 0.8 * rng.standard_normal(prob.n_params)
    n = prob.data.n_samples
    args = _naive_args(prob)

    H = assert_hessian_matches_differences(prob, theta)       # exactly symmetric, and vs FD
    ref_H = _cs_cd_hessian(lambda t: naive.mlp_softmax_xent(t, *args), theta) / n
    np.testing.assert_allclose(H, ref_H, rtol=1e-6, atol=1e-8 * np.abs(H).max())

    # Gauss-Newton: an explicit sum_s J_s^T (diag p - p p^T) J_s from the complex-step
    # Jacobian of the plain-loop logits
    GN = prob.gauss_newton(theta)
    np.testing.assert_array_equal(GN, GN.T)
    J = _logit_jacobians(prob, theta)
    logits = np.real(naive.mlp_outputs(theta, *args[:4]))
    ref_GN = np.zeros_like(GN)
    residual = np.zeros((n, prob.model.widths[-1]))
    for s in range(n):
        p = np.array(naive.softmax(list(logits[s])))
        A = np.diag(p) - np.outer(p, p)
        ref_GN += J[s].T @ A @ J[s]
        residual[s] = p
        residual[s, prob.data.labels[s]] -= 1.0
    ref_GN /= n
    np.testing.assert_allclose(GN, ref_GN, rtol=1e-10, atol=1e-13 * np.abs(ref_GN).max())
    eig = np.linalg.eigvalsh(GN)
    assert eig.min() >= -1e-12 * eig.max()                     # positive semi-definite

    # H - GN is the residual term sum_s sum_c (p_sc - y_sc) Hess(z_sc)
    def phi(t):
        z = naive.mlp_outputs(t, *args[:4])
        return sum(residual[s, c] * z[s][c] for s in range(n) for c in range(len(z[s])))

    ref_term = _cs_cd_hessian(phi, theta) / n
    np.testing.assert_allclose(H - GN, ref_term, rtol=1e-6,
                               atol=1e-8 * np.abs(ref_term).max())
    assert np.abs(ref_term).max() > 1e-3 * np.abs(H).max()      # the test is not vacuous
    thetas = 0.5 * rng.standard_normal((2, prob.n_params))
    np.testing.assert_array_equal(prob.hessians(thetas), [prob.hessian(t) for t in thetas])


def test_gauss_newton_of_linear_logits_is_the_hessian_and_relu_has_one():
    # no hidden layer: the logits are linear in theta, so the residual term vanishes
    prob, rng = _case((3, 4), "tanh", seed=5)
    theta = rng.standard_normal(prob.n_params)
    np.testing.assert_allclose(prob.gauss_newton(theta), prob.hessian(theta), rtol=1e-12,
                               atol=1e-15)
    relu, rng = _case((2, 4, 3), "relu", seed=6)
    theta = rng.standard_normal(relu.n_params)
    J = _logit_jacobians(relu, theta)
    z = relu.outputs(theta)
    ref = sum(J[s].T @ (np.diag(p) - np.outer(p, p)) @ J[s]
              for s, p in enumerate(np.array([naive.softmax(list(r)) for r in z])))
    np.testing.assert_allclose(relu.gauss_newton(theta), ref / relu.data.n_samples,
                               rtol=1e-10, atol=1e-14)


def test_least_squares_gauss_newton_is_two_jtj():
    model = fs.MLP((1, 3, 1), activation="tanh")
    rng = np.random.default_rng(7)
    theta = model.init(rng)
    x = rng.uniform(-1, 1, 9)
    prob = fs.Problem(model, fs.RegressionData(x, model.simulate(theta, x)), loss="mse")
    J = prob.jacobian(theta)
    np.testing.assert_allclose(prob.gauss_newton(theta), 2 * J.T @ J / 9, rtol=1e-14)
    np.testing.assert_allclose(prob.gauss_newton(theta), prob.hessian(theta), rtol=1e-9,
                               atol=1e-13)


def test_least_squares_methods_refuse_cross_entropy():
    prob, rng = _case((2, 3, 3), seed=8)
    theta = rng.standard_normal(prob.n_params)
    for what in (prob.residuals, prob.jacobian):
        with pytest.raises(ValueError, match="least-squares losses 'sse' and 'mse' only; "
                                             "loss='cross_entropy' has no residuals"):
            what(theta)
    with pytest.raises(ValueError, match="need an SSE/MSE loss"):
        fs.train.levenberg_marquardt(prob, theta, max_iter=3)
    assert prob.linear_params() == () and prob.kernel_methods() == ()
    # scans run through losses (no structural shortcut: the loss is not quadratic anywhere)
    assert prob.plane_losses(theta, np.eye(prob.n_params)[0], np.eye(prob.n_params)[1],
                             np.zeros(2), np.zeros(2)) is None
    line = fs.scan.line(prob, theta, theta + 1.0, alphas=5)
    np.testing.assert_allclose(line.values, [prob.loss(theta + a) for a in line.alpha],
                               rtol=1e-14)
    # a gradient trainer works on it
    res = fs.train.bfgs(prob, theta, max_iter=20)
    assert res.loss < prob.loss(theta)


def test_least_squares_on_onehot_targets():
    prob, rng = _case((2, 3, 3), seed=9, loss="mse")
    theta = rng.standard_normal(prob.n_params)
    e = prob.data.onehot - prob.outputs(theta)
    np.testing.assert_allclose(prob.residuals(theta), e.ravel(), rtol=1e-15)
    assert prob.n_residuals == prob.data.n_samples * 3
    assert prob.loss(theta) == pytest.approx(np.mean(e ** 2), rel=1e-13)
    assert prob.error_rate(theta) == naive.mlp_errors(theta, *_naive_args(prob)) / 11


# --- the 0-1 loss ------------------------------------------------------------------------------
def test_error_rate_against_naive_and_ties():
    prob, rng = _case((2, 4, 3), "relu", n=40, seed=10)
    thetas = rng.standard_normal((6, prob.n_params))
    ref = [naive.mlp_errors(t, *_naive_args(prob)) / 40 for t in thetas]
    assert [prob.error_rate(t) for t in thetas] == ref
    np.testing.assert_array_equal(prob.error_rates(thetas), ref)
    assert prob.error_rates(np.empty((0, prob.n_params))).shape == (0,)
    assert len(set(ref)) > 1
    # all logits tie at theta = 0: every sample counts as an error, whatever the class order
    assert prob.error_rate(np.zeros(prob.n_params)) == 1.0
    # one tie between the two largest logits is an error; a tie below the largest is not
    one = fs.Problem(fs.MLP((1, 3)), fs.ClassificationData([1.0, 1.0], [0, 1], n_classes=3))
    assert one.error_rate([0.0, 0.0, 0.0, 2.0, 2.0, 1.0]) == 1.0   # z = (2, 2, 1)
    assert one.error_rate([0.0, 0.0, 0.0, 2.0, 1.0, 1.0]) == 0.5   # z = (2, 1, 1)
    reg = fs.Problem(fs.MLP((1, 1)), fs.RegressionData(np.zeros(3), np.zeros(3)))
    with pytest.raises(TypeError, match="error_rate needs ClassificationData"):
        reg.error_rate([0.0, 0.0])


def test_zero_one_loss_is_a_plateau_loss():
    prob, rng = _case((2, 3, 3), "tanh", n=30, seed=11, loss="zero_one")
    theta = rng.standard_normal(prob.n_params)
    assert prob.loss(theta) == prob.error_rate(theta)
    thetas = rng.standard_normal((8, prob.n_params))
    np.testing.assert_array_equal(prob.losses(thetas), prob.error_rates(thetas))
    # piecewise constant along a line: every value is a multiple of 1/n, and it has plateaus
    line = fs.scan.line(prob, theta, -theta, alphas=101)
    counts = line.values * 30
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-12)
    assert np.count_nonzero(np.diff(line.values)) < 50
    for what in (prob.gradient, prob.hessian, prob.gauss_newton):
        with pytest.raises(ValueError, match="0-1 loss is piecewise constant"):
            what(theta)
    for what in (prob.gradients, prob.hessians):
        with pytest.raises(ValueError, match="piecewise constant"):
            what(thetas)


def test_gao_floor_style_plateaus_in_one_bias():
    # a 1-D classifier with logits (0, x - b): class 1 where x > b, class 0 where x < b, a tie
    # (an error) at x = b. Gao's data, x <= 0 are class 0 and x in {1, 4, 4.5} class 1: the
    # 0-1 loss is flat between data points.
    x = np.array([-5.0, -4, -3, -2, -1, 0, 1, 4, 4.5])
    labels = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])
    prob = fs.Problem(fs.MLP((1, 2)), fs.ClassificationData(x, labels), loss="zero_one")
    b = np.linspace(-6, 6, 241)
    thetas = np.array([[0.0, 1.0, 0.0, -bi] for bi in b])
    ref = [np.mean(np.where(labels == 1, ~(x > bi), ~(x < bi))) for bi in b]
    np.testing.assert_array_equal(prob.losses(thetas), ref)
    assert prob.loss([0.0, 1.0, 0.0, -0.5]) == 0.0


# --- BLAS layers -------------------------------------------------------------------------------
def test_blas_and_loops_agree_on_every_kernel():
    for loss in ("cross_entropy", "mse"):
        loops, rng = _case((3, 9, 8, 4), "softplus", 3.0, n=21, seed=12, blas=False, loss=loss)
        fast, _ = _case((3, 9, 8, 4), "softplus", 3.0, n=21, seed=12, blas=True, loss=loss)
        mixed, _ = _case((3, 9, 8, 4), "softplus", 3.0, n=21, seed=12,
                         blas=(False, True, False), loss=loss)
        theta = rng.standard_normal(loops.n_params)
        thetas = rng.standard_normal((3, loops.n_params))
        for prob in (fast, mixed):
            np.testing.assert_allclose(prob.outputs(theta), loops.outputs(theta), rtol=1e-13,
                                       atol=1e-14)
            assert prob.loss(theta) == pytest.approx(loops.loss(theta), rel=1e-13)
            np.testing.assert_allclose(prob.gradient(theta), loops.gradient(theta),
                                       rtol=1e-11, atol=1e-14)
            np.testing.assert_allclose(prob.losses(thetas), loops.losses(thetas), rtol=1e-13)
            np.testing.assert_allclose(prob.gradients(thetas), loops.gradients(thetas),
                                       rtol=1e-11, atol=1e-14)
            # batches with a BLAS layer run vector by vector: the same as one at a time
            np.testing.assert_array_equal(prob.gradients(thetas),
                                          [prob.gradient(t) for t in thetas])
            np.testing.assert_array_equal(prob.error_rates(thetas), loops.error_rates(thetas))
        np.testing.assert_array_equal(fast.model.blas_flags(21), [0, 1, 1, 1])
        np.testing.assert_array_equal(mixed.model.blas_flags(21), [0, 0, 1, 0])


def test_blas_is_chosen_by_the_crossover_and_validated():
    gw = fs.MLP((1, 5, 5, 5, 5, 5, 1))
    assert not gw.blas_flags(10 ** 6, batch=True).any()       # thin: batches in parallel loops
    np.testing.assert_array_equal(gw.blas_flags(200), [0, 0, 1, 1, 1, 1, 0])  # 5*5*200 >= 2^12
    assert not fs.MLP((64, 32, 10)).blas_flags(1).any()        # one sample: loops
    flags = fs.MLP((64, 256, 256, 10)).blas_flags(1797, batch=True)
    np.testing.assert_array_equal(flags[:3], [0, 1, 1])
    assert fs.MLP((64, 256, 256, 10)).n_params == 85002
    for bad, err in (("yes", ValueError), (3, TypeError), ((True,), ValueError),
                     ((True, 1), ValueError)):
        with pytest.raises(err, match="blas"):
            fs.MLP((2, 3, 4), blas=bad)
    assert "blas=(True, False)" in repr(fs.MLP((2, 3, 4), blas=(True, False)))

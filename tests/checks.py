"""Assertions shared by the derivative tests."""

import numpy as np


def assert_jacobian_matches_differences(prob, theta, step=1e-6, rtol=1e-6, atol=1e-8):
    """Every column of prob.jacobian(theta) against central differences of the residuals."""
    J = prob.jacobian(theta)
    assert J.shape == (prob.n_residuals, prob.n_params)
    for j in range(prob.n_params):
        e = np.zeros(prob.n_params)
        e[j] = step
        fd = (prob.residuals(theta + e) - prob.residuals(theta - e)) / (2 * step)
        np.testing.assert_allclose(J[:, j], fd, rtol=rtol, atol=atol)
    return J


def assert_hessian_matches_differences(prob, theta, step=1e-6, rtol=1e-5):
    """prob.hessian(theta) against central differences of the exact gradient; symmetric."""
    H = prob.hessian(theta)
    np.testing.assert_array_equal(H, H.T)
    eye = np.eye(prob.n_params)
    fd = np.array([(prob.gradient(theta + step * e) - prob.gradient(theta - step * e))
                   / (2 * step) for e in eye])
    np.testing.assert_allclose(H, fd, rtol=rtol, atol=1e-7 * np.abs(H).max())
    return H

"""Random-polynomial root statistics and polynomial roots (Horn §IV)."""

import numpy as np

from fastsurf import roots


class SampleRealRoots:
    params = ([50], ["grid", "eig"])
    param_names = ["degree", "method"]
    timeout = 300

    def setup(self, degree, method):
        roots.sample_real_roots(degree, 10, method=method, progress=False)
        self.n = 100_000 if method == "grid" else 2_000

    def time_sample(self, degree, method):
        roots.sample_real_roots(degree, self.n, seed=1, method=method, progress=False)


class PolynomialRoots:
    params = [100, 1000]
    param_names = ["degree"]

    def setup(self, degree):
        self.c = np.random.default_rng(0).standard_normal(degree + 1)

    def time_roots(self, degree):
        roots.polynomial_roots(self.c)


class ExpectedRealRoots:
    params = [50, 10_000]
    param_names = ["k"]

    def time_expected(self, k):
        roots.expected_real_roots(k)

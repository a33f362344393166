"""Gradient and exact Hessian of Gamst & Walker's 136-parameter 5x5 softplus net, 320 points."""

import numpy as np

import fastsurf as fs


class MLPDerivatives:
    def setup(self):
        model = fs.MLP(activation="softplus", beta=5000.0)
        x = np.linspace(-1, 1, 320)
        self.prob = fs.Problem(model, fs.RegressionData(x, np.abs(x)))
        self.theta = model.init(0)
        self.thetas = np.random.default_rng(0).standard_normal((1000, model.n_params))
        self.prob.gradient(self.theta)
        self.prob.hessian(self.theta)
        self.prob.losses(self.thetas[:2])

    def time_gradient(self):
        self.prob.gradient(self.theta)

    def time_hessian(self):
        self.prob.hessian(self.theta)

    def time_losses_1000(self):
        self.prob.losses(self.thetas)

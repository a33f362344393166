"""Exact gradient and Hessian of the tansig neuron (T = 100), single and batched."""

import numpy as np

import fastsurf as fs
from fastsurf.kernels import recurrent_derivatives as rd


class RecurrentDerivatives:
    params = [1, 2]
    param_names = ["feedback_delays"]

    def setup(self, D):
        model = fs.RecurrentNeuron("tansig", feedback_delays=D)
        theta = (0.5, 0.5, -0.2)[:model.n_params]
        self.prob = fs.Problem(model, fs.make_sequence_data(model, theta, T=100, seed=0))
        self.theta = np.array(theta) + 0.1
        self.thetas = np.random.default_rng(0).uniform(-1, 1, (10_000, model.n_params))
        self.args = model.kernel_args(self.prob.data)
        self.prob.gradient(self.theta)
        self.prob.hessian(self.theta)
        rd.sse_gradient_batch(self.thetas[:2], *self.args)
        rd.sse_hessian_batch(self.thetas[:2], *self.args)

    def time_gradient(self, D):
        self.prob.gradient(self.theta)

    def time_hessian(self, D):
        self.prob.hessian(self.theta)

    def time_gradient_batch_10k(self, D):
        rd.sse_gradient_batch(self.thetas, *self.args)

    def time_hessian_batch_10k(self, D):
        rd.sse_hessian_batch(self.thetas, *self.args)

"""Grid scans and batched losses of Horn et al.'s first-order neuron (T = 100).

Throughput in grid-point-steps per second is n^2 T / time.
"""

import numpy as np

import fastsurf as fs


def _problem(transfer):
    model = fs.RecurrentNeuron(transfer)
    return fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))


class GridScan:
    params = (["purelin", "tansig"], [1024, 2048])
    param_names = ["transfer", "n"]
    timeout = 300

    def setup(self, transfer, n):
        self.prob = _problem(transfer)
        fs.scan.grid(self.prob, [0.5, 0.5], shape=(64, 64), progress=False)  # compile / load

    def time_grid(self, transfer, n):
        fs.scan.grid(self.prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(n, n),
                     progress=False)


class BatchLosses:
    params = (["purelin", "tansig"],)
    param_names = ["transfer"]

    def setup(self, transfer):
        self.prob = _problem(transfer)
        self.thetas = np.random.default_rng(0).uniform(-1, 1, (100_000, 2))
        self.prob.losses(self.thetas[:10])

    def time_losses(self, transfer):
        self.prob.losses(self.thetas)

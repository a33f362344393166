"""Grid scans and batched losses of Horn et al.'s first-order neuron (T = 100).

Throughput in grid-point-steps per second is n^2 T / time.
"""

import numpy as np

import fastsurf as fs


def _problem(transfer):
    model = fs.RecurrentNeuron(transfer)
    return fs.Problem(model, fs.make_sequence_data(model, (0.5, 0.5), T=100, seed=0))


class GridScan:
    """Brute force (the time loop at every point) in both precisions."""
    params = (["purelin", "tansig"], [1024, 2048], ["float64", "float32"])
    param_names = ["transfer", "n", "dtype"]
    timeout = 300

    def setup(self, transfer, n, dtype):
        self.prob = _problem(transfer)
        fs.scan.grid(self.prob, [0.5, 0.5], shape=(64, 64), progress=False, method="brute",
                     dtype=dtype)  # compile / load

    def time_grid(self, transfer, n, dtype):
        fs.scan.grid(self.prob, [0.5, 0.5], ranges=((-2, 2), (-5, 5)), shape=(n, n),
                     progress=False, method="brute", dtype=dtype)


class StructuralScan:
    """method="auto": the SSE is a quadratic along the input weight of a purelin neuron and
    along the output-layer weights of an MLP (fastsurf.structure)."""
    params = (["purelin neuron", "MLP 136"], [512, 2048])
    param_names = ["model", "n"]
    timeout = 300

    def setup(self, model, n):
        if model == "purelin neuron":
            self.prob = _problem("purelin")
            self.center, self.axes = np.array([0.5, 0.5]), (0, 1)
        else:
            net = fs.MLP(activation="softplus", beta=20.0)
            x = np.linspace(-1, 1, 320)
            self.prob = fs.Problem(net, fs.RegressionData(x, np.sin(np.pi * x)))
            self.center, self.axes = net.init(0), (net.linear_params()[0], 3)
        fs.scan.grid(self.prob, self.center, axes=self.axes, shape=(16, 16), progress=False)

    def time_grid(self, model, n):
        fs.scan.grid(self.prob, self.center, axes=self.axes, shape=(n, n), progress=False)


class BatchLosses:
    params = (["purelin", "tansig"],)
    param_names = ["transfer"]

    def setup(self, transfer):
        self.prob = _problem(transfer)
        self.thetas = np.random.default_rng(0).uniform(-1, 1, (100_000, 2))
        self.prob.losses(self.thetas[:10])

    def time_losses(self, transfer):
        self.prob.losses(self.thetas)

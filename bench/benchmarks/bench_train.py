"""Many Levenberg–Marquardt runs of Horn et al.'s neurons (T = 100, teacher data): the parallel
kernel against one Python LM call per start (``fastsurf.multistart``). Throughput in runs per
second is n / time. The starts are U(-1, 1) in every weight (stable feedback), the work these
benchmarks have always measured; the default starts of ``multistart`` (Horn's wider box, which
reaches the unstable region) take longer runs."""

import fastsurf as fs
from fastsurf.multistart import multistart

NETS = {"purelin": (fs.RecurrentNeuron("purelin"), (0.5, 0.5)),
        "tansig": (fs.RecurrentNeuron("tansig"), (0.5, 0.5)),
        "tansig2": (fs.RecurrentNeuron("tansig", feedback_delays=2), (0.5, 0.5, -0.2))}


class Multistart:
    params = (["purelin", "tansig", "tansig2"], [100, 1000], ["numba", "python"])
    param_names = ["net", "starts", "engine"]
    timeout = 300

    def setup(self, net, starts, engine):
        model, teacher = NETS[net]
        self.prob = fs.Problem(model, fs.make_sequence_data(model, teacher, T=100, seed=0))
        P = model.n_params
        self.init = lambda rng: rng.uniform(-1.0, 1.0, P)
        multistart(self.prob, 4, engine=engine, progress=False)   # compile / load

    def time_multistart(self, net, starts, engine):
        multistart(self.prob, starts, seed=0, engine=engine, progress=False, init=self.init)

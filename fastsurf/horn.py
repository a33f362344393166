"""Horn, De Jesús & Hagan's (2009) recurrent neurons: the one table of the nets, their teacher
problems and their default start box.

The nets of their §II–§V, all trained on teacher data (white-noise input p ~ N(0, 1), targets
the net's own outputs at the teacher θ, a(0) = 0):

============ ======== ====== ================= ====================================
net          transfer delays teacher θ         start box (:func:`start_box`)
============ ======== ====== ================= ====================================
linear       purelin  1      (0.5, 0.5)        [-2, 2] x [-1.5, 1.5]
tansig       tansig   1      (0.5, 0.5)        [-2, 2] x [-1.5, 1.5]
second-order tansig   2      (0.5, 0.5, -0.3)  [-2, 2] x [-1.5, 1.5] x [-1.5, 1.5]
============ ======== ====== ================= ====================================

θ = (w1, w2) or (w1, w2, w3): w1 the input weight, w2 (and w3) the feedback weights. The start
box is what :meth:`fastsurf.models.RecurrentNeuron.init` draws (so ``problem(net).init`` and
:func:`fastsurf.multistart.multistart`'s default starts are in it): input weights in
U(-2, 2), feedback weights in U(-1.5, 1.5). It reaches the unstable region (feedback radius
> 1, |w2| > 1 for the first-order nets) where Horn et al. (2009, §III) find the spurious
valleys. ``fastsurf scan``, ``fastsurf train`` and ``scripts/horn2009_training.py`` take their
nets from :data:`NETS`.

Example
-------
>>> from fastsurf import horn
>>> prob = horn.problem("second-order", T=50)
>>> prob.model
RecurrentNeuron(transfer='tansig', feedback_delays=2, input_delays=(0,), bias=False)
>>> prob.loss(horn.NETS["second-order"].theta_true)
0.0
>>> horn.start_box("linear")
(array([-2. , -1.5]), array([2. , 1.5]))
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import check_choice
from .data import make_sequence_data
from .models import RecurrentNeuron
from .problem import Problem

__all__ = ["FEEDBACK_HALF_WIDTH", "INPUT_HALF_WIDTH", "NETS", "Net", "model", "problem",
           "start_box"]

#: Half-width of the default start box along the input weight w1.
INPUT_HALF_WIDTH = 2.0
#: Half-width of the default start box along the feedback weights w2 (and w3).
FEEDBACK_HALF_WIDTH = 1.5


class Net(NamedTuple):
    """One of Horn's nets: ``RecurrentNeuron(transfer, feedback_delays=feedback_delays)``
    with teacher parameters ``theta_true`` (unpacks as ``transfer, delays, theta_true``)."""

    transfer: str
    feedback_delays: int
    theta_true: tuple[float, ...]
    description: str = ""


#: Horn's nets by name (the ``--net`` of ``fastsurf scan`` and ``fastsurf train``).
NETS: dict[str, Net] = {
    "linear": Net("purelin", 1, (0.5, 0.5), "a(k) = w1 p(k) + w2 a(k-1)"),
    "tansig": Net("tansig", 1, (0.5, 0.5), "a(k) = tanh(w1 p(k) + w2 a(k-1))"),
    "second-order": Net("tansig", 2, (0.5, 0.5, -0.3),
                        "a(k) = tanh(w1 p(k) + w2 a(k-1) + w3 a(k-2))"),
}


def _net(net: str) -> Net:
    return NETS[check_choice("net", net, NETS)]


def model(net: str) -> RecurrentNeuron:
    """The :class:`~fastsurf.models.RecurrentNeuron` of ``net`` (a key of :data:`NETS`)."""
    spec = _net(net)
    return RecurrentNeuron(spec.transfer, feedback_delays=spec.feedback_delays)


def problem(net: str, T: int = 100, n_seq: int = 1, seed=0) -> Problem:
    """Horn's teacher problem of ``net``: SSE of the net on its own outputs at ``theta_true``.

    Parameters
    ----------
    net : {"linear", "tansig", "second-order"}
    T : int
        Sequence length (Horn et al. use 100).
    n_seq : int
        Number of independent sequences.
    seed : int, Generator or None
        Seed of the white-noise input (:func:`fastsurf.data.make_sequence_data`).

    Returns
    -------
    Problem
        Its ``init`` draws the start box of :func:`start_box`.
    """
    m = model(net)
    return Problem(m, make_sequence_data(m, _net(net).theta_true, T=T, n_seq=n_seq, seed=seed))


def start_box(net: str) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) corners of the default start box of ``net``: w1 in
    [-:data:`INPUT_HALF_WIDTH`, +], feedback weights in [-:data:`FEEDBACK_HALF_WIDTH`, +];
    the box :meth:`~fastsurf.models.RecurrentNeuron.init` draws from."""
    spec = _net(net)
    half = np.array([INPUT_HALF_WIDTH] + [FEEDBACK_HALF_WIDTH] * spec.feedback_delays)
    return -half, half

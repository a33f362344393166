"""What a network is: parameter layout, names, initialisation and simulation."""

from .base import Model
from .layered import LayeredRecurrent
from .mlp import MLP
from .recurrent import RecurrentNeuron

__all__ = ["LayeredRecurrent", "MLP", "Model", "RecurrentNeuron"]

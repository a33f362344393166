"""What a network is: parameter layout, names, initialisation and simulation."""

from .base import Model
from .mlp import MLP
from .recurrent import RecurrentNeuron

__all__ = ["MLP", "Model", "RecurrentNeuron"]

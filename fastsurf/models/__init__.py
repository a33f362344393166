"""What a network is: parameter layout, names, initialisation and simulation."""

from .base import Model
from .recurrent import RecurrentNeuron

__all__ = ["Model", "RecurrentNeuron"]

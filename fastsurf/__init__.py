"""fastsurf: exact, high-resolution error surfaces of small neural networks on the CPU."""

from . import roots, scan, valleys
from .data import RegressionData, SequenceData, make_sequence_data
from .models import RecurrentNeuron
from .problem import FunctionProblem, Problem

__version__ = "0.1.0"

__all__ = [
    "FunctionProblem",
    "Problem",
    "RecurrentNeuron",
    "RegressionData",
    "SequenceData",
    "make_sequence_data",
    "roots",
    "scan",
    "valleys",
]

"""fastsurf: exact, high-resolution error surfaces of small neural networks on the CPU."""

from . import critical, curvature, paths, plot, roots, scan, spectra, train, valleys
from .data import ClassificationData, RegressionData, SequenceData, make_sequence_data
from .models import MLP, LayeredRecurrent, RecurrentNeuron
from .problem import FunctionProblem, NonFiniteLossError, Objective, Problem

__version__ = "0.1.0"

__all__ = [
    "ClassificationData",
    "critical",
    "curvature",
    "FunctionProblem",
    "LayeredRecurrent",
    "MLP",
    "NonFiniteLossError",
    "Objective",
    "Problem",
    "RecurrentNeuron",
    "RegressionData",
    "SequenceData",
    "make_sequence_data",
    "paths",
    "plot",
    "roots",
    "scan",
    "spectra",
    "train",
    "valleys",
]

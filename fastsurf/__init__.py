"""fastsurf: exact, high-resolution error surfaces of small neural networks on the CPU."""

from . import (
    constructions,
    critical,
    curvature,
    paths,
    plot,
    roots,
    scan,
    spectra,
    symmetry,
    train,
    valleys,
)
from .data import RegressionData, SequenceData, make_sequence_data
from .models import MLP, LayeredRecurrent, RecurrentNeuron
from .problem import FunctionProblem, Problem

__version__ = "0.1.0"

__all__ = [
    "constructions",
    "critical",
    "curvature",
    "FunctionProblem",
    "LayeredRecurrent",
    "MLP",
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
    "symmetry",
    "train",
    "valleys",
]

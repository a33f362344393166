"""fastsurf: exact, high-resolution error surfaces of small neural networks on the CPU."""

from . import (
    basins,
    constructions,
    critical,
    curvature,
    ensemble,
    horn,
    multistart,
    optim,
    paths,
    plateaus,
    plot,
    procedures,
    reflect,
    roots,
    scan,
    spectra,
    symmetry,
    train,
    trainers,
    valleys,
)
from .data import ClassificationData, RegressionData, SequenceData, make_sequence_data
from .models import MLP, LayeredRecurrent, RecurrentNeuron
from .problem import FunctionProblem, NonFiniteLossError, Objective, Problem

__version__ = "0.1.0"

__all__ = [
    "ClassificationData",
    "basins",
    "constructions",
    "critical",
    "curvature",
    "ensemble",
    "FunctionProblem",
    "LayeredRecurrent",
    "MLP",
    "NonFiniteLossError",
    "Objective",
    "Problem",
    "RecurrentNeuron",
    "RegressionData",
    "SequenceData",
    "horn",
    "make_sequence_data",
    "multistart",
    "optim",
    "paths",
    "plateaus",
    "plot",
    "procedures",
    "reflect",
    "roots",
    "scan",
    "spectra",
    "symmetry",
    "train",
    "trainers",
    "valleys",
]

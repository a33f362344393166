"""Training on error surfaces: one namespace over the trainers, many starts and Horn's
procedures.

A facade: the code lives in

* :mod:`fastsurf.trainers` — single runs: :func:`levenberg_marquardt` (Hagan & Menhaj 1994),
  :func:`bfgs`, :func:`gd` (heavy-ball momentum), :func:`adadelta` (Zeiler 2012), the
  :class:`InstabilityDetector`, :class:`TrainResult` and the :data:`TRAINERS` by name;
* :mod:`fastsurf.multistart` — :func:`multistart` (many starts, in the objective's parallel
  kernel where it has one, or on a Dask cluster), :class:`MultistartResult`, the labels of
  where runs end (:data:`LABELS`, :func:`label_runs`, :func:`label_end_point`);
* :mod:`fastsurf.minibatch` — minibatch training (Goodfellow & Vinyals 2015, §2): :func:`sgd`
  (heavy-ball or Nesterov momentum), :func:`adam`, :class:`MinibatchResult`;
* :mod:`fastsurf.procedures` — the valley-avoiding procedures reconstructed from Horn et al.
  2009, §VI–VII: :func:`segmented`, :func:`prefix`, :func:`curriculum`.

``fs.train.X`` and ``from fastsurf.train import X`` keep working for every name here; library
modules import from the modules above, never from this one.
"""

from .ensemble import EnsembleResult, ensemble
from .minibatch import MinibatchResult, adam, sgd
from .multistart import (
    BYTES_PER_RUN,
    ENGINES,
    KERNEL_CHUNK,
    LABELS,
    MultistartResult,
    default_init,
    label_end_point,
    label_runs,
    multistart,
)
from .procedures import curriculum, prefix, segmented
from .trainers import (
    LM_OPTIONS,
    TRAINERS,
    InstabilityDetector,
    TrainResult,
    adadelta,
    bfgs,
    check_lm_options,
    gd,
    levenberg_marquardt,
)

#: Alias of :data:`TRAINERS`, the name this module used before the split (kept for callers;
#: scans name their evaluation methods ``fastsurf.scan.SCAN_METHODS``).
METHODS = TRAINERS

__all__ = ["BYTES_PER_RUN", "ENGINES", "KERNEL_CHUNK", "LABELS", "LM_OPTIONS", "METHODS",
           "TRAINERS", "EnsembleResult", "InstabilityDetector", "MinibatchResult",
           "MultistartResult", "TrainResult", "adadelta", "adam", "bfgs", "check_lm_options",
           "curriculum", "default_init", "ensemble", "gd", "label_end_point", "label_runs",
           "levenberg_marquardt", "multistart", "prefix", "segmented", "sgd"]

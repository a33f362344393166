"""Training data: sequences for recurrent nets, input/target pairs and labelled inputs for
feedforward nets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from ._memory import check_memory
from ._validation import as_float_array, as_rng, as_theta, check_int


def _fingerprint(*arrays: np.ndarray) -> str:
    h = hashlib.sha1()
    for a in arrays:
        h.update(str(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class SequenceData:
    """One or several input/target sequences for a recurrent net.

    Parameters
    ----------
    p : array_like, shape (T,) or (n_seq, T)
        Input sequences; p(k) for k = 1..T is ``p[..., k-1]`` and p(k) = 0 for k <= 0.
    t : array_like, same shape as ``p``
        Target sequences.
    a0 : array_like, optional
        Initial outputs of every sequence. A scalar or shape (n_seq,) gives a(0) with
        a(-1), a(-2), ... = 0; shape (n_seq, m) gives ``a0[s, j] = a(-j)`` for j < m (a model with
        D feedback delays needs m <= D; missing ones are 0). Default: all zero.

    Notes
    -----
    The loss sums over all sequences. Arrays are stored as float64 of shape (n_seq, T) and
    (n_seq, m).
    """

    p: np.ndarray
    t: np.ndarray
    a0: np.ndarray = field(default=None)

    def __post_init__(self):
        p = as_float_array("p", self.p, ndim=(1, 2))
        t = as_float_array("t", self.t, ndim=(1, 2))
        if p.shape != t.shape:
            raise ValueError(f"p and t must have the same shape, got p {p.shape} and t {t.shape}")
        p2 = np.ascontiguousarray(np.atleast_2d(p))
        t2 = np.ascontiguousarray(np.atleast_2d(t))
        n_seq = p2.shape[0]
        if self.a0 is None:
            a0 = np.zeros((n_seq, 1))
        else:
            a0 = as_float_array("a0", self.a0, ndim=(0, 1, 2))
            if a0.ndim == 0:
                a0 = np.full((n_seq, 1), float(a0))
            elif a0.ndim == 1:
                if a0.shape[0] != n_seq:
                    raise ValueError(f"a0 must have shape (n_seq,)=({n_seq},) or (n_seq, m), "
                                     f"got {a0.shape}")
                a0 = a0.reshape(n_seq, 1)
            elif a0.shape[0] != n_seq:
                raise ValueError(f"a0 must have n_seq={n_seq} rows, got shape {a0.shape}")
            a0 = np.ascontiguousarray(a0)
        object.__setattr__(self, "p", p2)
        object.__setattr__(self, "t", t2)
        object.__setattr__(self, "a0", a0)

    @property
    def n_seq(self) -> int:
        """Number of sequences."""
        return self.p.shape[0]

    @property
    def T(self) -> int:
        """Length of each sequence."""
        return self.p.shape[1]

    @property
    def n_residuals(self) -> int:
        """Number of errors e = t - a (n_seq * T)."""
        return self.p.size

    def initial_outputs(self, n_delays: int) -> np.ndarray:
        """Initial outputs as an array of shape (n_seq, n_delays), ``[s, j] = a(-j)``."""
        m = self.a0.shape[1]
        if m > n_delays:
            raise ValueError(f"a0 gives {m} initial outputs per sequence but the model has only "
                             f"{n_delays} feedback delay(s)")
        out = np.zeros((self.n_seq, n_delays))
        out[:, :m] = self.a0
        return out

    def fingerprint(self) -> str:
        """A short hash of the data, stored in result metadata."""
        return _fingerprint(self.p, self.t, self.a0)


@dataclass(frozen=True)
class RegressionData:
    """Input/target pairs for a feedforward net.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d_in)
    y : array_like, shape (n,) or (n, d_out)
    """

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self):
        x = as_float_array("x", self.x, ndim=(1, 2))
        y = as_float_array("y", self.y, ndim=(1, 2))
        x2 = x.reshape(-1, 1) if x.ndim == 1 else x
        y2 = y.reshape(-1, 1) if y.ndim == 1 else y
        if x2.shape[0] != y2.shape[0]:
            raise ValueError(f"x and y must have the same number of samples, got {x2.shape[0]} "
                             f"and {y2.shape[0]}")
        object.__setattr__(self, "x", np.ascontiguousarray(x2))
        object.__setattr__(self, "y", np.ascontiguousarray(y2))

    @property
    def n_samples(self) -> int:
        return self.x.shape[0]

    @property
    def n_residuals(self) -> int:
        return self.y.size

    def fingerprint(self) -> str:
        return _fingerprint(self.x, self.y)


@dataclass(frozen=True)
class ClassificationData:
    """Inputs with class labels for a classifying feedforward net (one logit per class).

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d_in)
        Real, finite inputs (shape (n,) is one input column).
    labels : array_like of int, shape (n,), or one-hot, shape (n, C)
        Class indices in ``[0, n_classes)`` of an integer dtype, or a one-hot matrix (integer
        or float dtype) whose rows hold exactly one 1 and zeros elsewhere. Nothing is coerced:
        booleans, floats as class indices (even 2.0), out-of-range classes and rows that are
        not exactly one-hot are refused.
    n_classes : int, optional
        Number of classes C >= 2. Default: the one-hot width, or ``max(labels) + 1``. With
        one-hot labels it must equal their width.

    Attributes
    ----------
    x : ndarray, shape (n, d_in)
        float64, C-contiguous.
    labels : ndarray of int64, shape (n,)
        Class index of every sample (one-hot input is stored as indices).
    n_classes : int

    Notes
    -----
    ``n_samples`` is n (the cross-entropy and the error rate are means over it);
    ``n_residuals`` is n * n_classes, the entries of the one-hot target matrix, which are the
    residuals when such data is fitted by least squares (``loss="sse"`` or ``"mse"`` on the
    one-hot targets; ``"mse"`` divides by n * n_classes). ``onehot`` is that matrix.

    Examples
    --------
    >>> import fastsurf as fs
    >>> d = fs.ClassificationData([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [0, 2, 1])
    >>> d.n_samples, d.n_classes, d.n_residuals
    (3, 3, 9)
    >>> d.onehot[1]
    array([0., 0., 1.])
    >>> fs.ClassificationData([[0.0], [1.0]], [[0, 1], [1, 0]]).labels
    array([1, 0])
    """

    x: np.ndarray
    labels: np.ndarray
    n_classes: int | None = None

    def __post_init__(self):
        x = as_float_array("x", self.x, ndim=(1, 2))
        x2 = np.ascontiguousarray(x.reshape(-1, 1) if x.ndim == 1 else x)
        labels, n_classes = _as_labels(self.labels, self.n_classes)
        if labels.shape[0] != x2.shape[0]:
            raise ValueError(f"x and labels must have the same number of samples, got "
                             f"{x2.shape[0]} and {labels.shape[0]}")
        object.__setattr__(self, "x", x2)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "n_classes", n_classes)

    @property
    def n_samples(self) -> int:
        """Number of samples n."""
        return self.x.shape[0]

    @property
    def n_residuals(self) -> int:
        """Entries of the one-hot target matrix, n * n_classes (the least-squares residuals)."""
        return self.x.shape[0] * self.n_classes

    @property
    def onehot(self) -> np.ndarray:
        """The labels as a new one-hot float64 matrix, shape (n, n_classes)."""
        out = np.zeros((self.n_samples, self.n_classes))
        out[np.arange(self.n_samples), self.labels] = 1.0
        return out

    def fingerprint(self) -> str:
        """A short hash of the inputs, labels and number of classes."""
        return _fingerprint(self.x, self.labels, np.array([self.n_classes], dtype=np.int64))


def _as_labels(value, n_classes) -> tuple[np.ndarray, int]:
    """(int64 class indices, n_classes) from integer labels or an exact one-hot matrix."""
    if n_classes is not None:
        n_classes = check_int("n_classes", n_classes, minimum=2)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"labels must be integer class indices or a one-hot matrix, got "
                        f"{type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"labels must be a rectangular array ({err})") from None
    if arr.dtype == bool:
        raise TypeError("labels must be integer class indices or a one-hot matrix, got "
                        "booleans")
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"labels must be integer class indices or a one-hot matrix, got dtype "
                        f"{arr.dtype}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"labels must have shape (n,) (class indices) or (n, n_classes) "
                         f"(one-hot), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("labels must not be empty")
    if arr.ndim == 1:
        if not np.issubdtype(arr.dtype, np.integer):
            raise TypeError(f"labels as class indices must have an integer dtype, got "
                            f"{arr.dtype} (floats are not converted to classes)")
        lo, hi = int(arr.min()), int(arr.max())
        if n_classes is None:
            if hi < 1:
                raise ValueError(f"labels hold a single class ({hi}); pass n_classes >= 2")
            n_classes = hi + 1
        if lo < 0 or hi >= n_classes:
            raise ValueError(f"labels must lie in [0, n_classes={n_classes}), found values "
                             f"from {lo} to {hi}")
        return np.ascontiguousarray(arr, dtype=np.int64), n_classes
    if not np.all(np.isfinite(arr)):
        raise ValueError("labels (one-hot) must contain only finite values")
    width = arr.shape[1]
    if n_classes is not None and n_classes != width:
        raise ValueError(f"labels (one-hot) have {width} columns but n_classes={n_classes}")
    if width < 2:
        raise ValueError(f"labels (one-hot) must have n_classes >= 2 columns, got {width}")
    exact = np.all((arr == 0) | (arr == 1), axis=1) & (np.count_nonzero(arr, axis=1) == 1)
    if not np.all(exact):
        row = int(np.flatnonzero(~exact)[0])
        raise ValueError(f"labels (one-hot) must have exactly one 1 and zeros elsewhere in "
                         f"every row; row {row} is {arr[row].tolist()}")
    return np.ascontiguousarray(np.argmax(arr, axis=1), dtype=np.int64), width


def make_sequence_data(model, theta_true, T: int, n_seq: int = 1, seed=0, a0=None) -> SequenceData:
    """Teacher data: white-noise inputs and the outputs of ``model`` at ``theta_true``.

    Parameters
    ----------
    model : RecurrentNeuron or LayeredRecurrent
    theta_true : array_like
        Teacher parameters (Horn et al. use (0.5, 0.5) for the first-order nets).
    T : int
        Sequence length (>= 1).
    n_seq : int
        Number of independent sequences (>= 1).
    seed : int, Generator or None
        p ~ N(0, 1) drawn from ``numpy.random.default_rng(seed)``.
    a0 : array_like, optional
        Initial outputs, as in :class:`SequenceData` (default zeros, as in Horn et al.).
    """
    T = check_int("T", T, minimum=1)
    n_seq = check_int("n_seq", n_seq, minimum=1)
    theta_true = as_theta("theta_true", theta_true, model.n_params)
    # inputs, placeholder targets, outputs and targets are held together
    check_memory(4 * 8 * n_seq * T, f"make_sequence_data(T={T}, n_seq={n_seq})")
    rng = as_rng(seed)
    p = rng.standard_normal((n_seq, T))
    placeholder = SequenceData(p, np.zeros_like(p), a0)
    t = model.simulate(theta_true, placeholder)
    if not np.all(np.isfinite(t)):
        raise ValueError("theta_true gives non-finite teacher outputs; choose a stable teacher")
    return SequenceData(p, t, placeholder.a0)

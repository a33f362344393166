"""Atomic .npz persistence for result objects: arrays plus JSON metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

_META_KEY = "__meta__"


def save_npz(path, arrays: dict, meta: dict) -> Path:
    """Write ``arrays`` and JSON-serialisable ``meta`` to ``path`` atomically.

    The file is written next to its destination and renamed into place, so an interrupted save
    never leaves a truncated file. A ``.npz`` suffix is added when missing.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    payload = {k: np.asarray(v) for k, v in arrays.items() if v is not None}
    payload[_META_KEY] = np.array(json.dumps(meta, default=_json_default))
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_npz(path) -> tuple[dict, dict]:
    """Read a file written by :func:`save_npz`: (arrays, meta)."""
    with np.load(Path(path), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files if k != _META_KEY}
        meta = json.loads(str(npz[_META_KEY])) if _META_KEY in npz.files else {}
    return arrays, meta


def plain(obj):
    """``obj`` as plain JSON data (lists, dicts, floats; NumPy values converted), exactly as
    :func:`save_npz` stores metadata: for comparing with and writing to JSON attributes."""
    return json.loads(json.dumps(obj, default=_json_default))


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"cannot store {type(obj).__name__} in result metadata")

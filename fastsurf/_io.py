"""Atomic .npz persistence for result objects: arrays plus JSON metadata."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import numpy as np

from ._memory import remove_stale_temporaries

_META_KEY = "__meta__"


def save_npz(path, arrays: dict, meta: dict) -> Path:
    """Write ``arrays`` and JSON-serialisable ``meta`` to ``path`` atomically.

    The file is written next to its destination and renamed into place, so an interrupted save
    never leaves a truncated file (temporaries of killed processes are removed at the next
    save). A ``.npz`` suffix is added when missing.
    """
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    remove_stale_temporaries(path)
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


def load_npz(path, expected: str = "result") -> tuple[dict, dict]:
    """Read a file written by :func:`save_npz`: (arrays, meta).

    Anything else (a missing file, a directory, an ``.npy``, a damaged or truncated archive, a
    pickled array) is a ``ValueError`` (``FileNotFoundError`` for a missing file) that names
    the file and says that a fastsurf ``expected`` file was expected.
    """
    path = Path(path)
    what = f"{str(path)!r} is not a fastsurf {expected} file"
    if not path.exists():
        raise FileNotFoundError(f"no such file: {str(path)!r} (expected a fastsurf {expected} "
                                "file written by .save)")
    if path.is_dir():
        raise ValueError(f"{what}: it is a directory (a Zarr scan store opens with "
                         "Surface.from_zarr)")
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single .npy array, not an .npz archive")
        with npz:
            if _META_KEY not in npz.files:
                raise ValueError("it has no fastsurf metadata")
            arrays = {k: npz[k] for k in npz.files if k != _META_KEY}
            meta = json.loads(str(npz[_META_KEY]))
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, json.JSONDecodeError) as err:
        raise ValueError(f"{what}: the file is damaged or of another format ({err})") from None
    except ValueError as err:
        raise ValueError(f"{what}: {err}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{what}: its metadata is not a mapping")
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

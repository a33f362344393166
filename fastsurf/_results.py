"""One vocabulary for result objects: save/load from the dataclass fields, a readable repr.

Every result class is a dataclass that also derives from :class:`Result`. ``save`` writes the
fields to one ``.npz`` file atomically (:func:`fastsurf._io.save_npz`): arrays as arrays, nested
results (a path's saddle, a comparison's valleys) recursively under a prefixed name, everything
else as JSON metadata, with the class name so that loading a file of another kind is a clear
``ValueError`` instead of a ``KeyError``. Field names follow one vocabulary across the library:
``converged``, ``reason``, ``n_iter``, ``n_evals`` (arrays of them for many runs).
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import ClassVar

import numpy as np

from . import _io

#: Result classes by name, filled as they are defined (for loading nested results).
_CLASSES: dict[str, type] = {}
_FORMAT = "fastsurf-result-1"


class Result:
    """Mixin for result dataclasses: ``save``/``load`` of every field and a short ``repr``."""

    _repr_skip: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _CLASSES[cls.__name__] = cls

    # --- persistence ------------------------------------------------------------------------
    def save(self, path) -> Path:
        """Save every field to ``path`` (``.npz`` added when missing), atomically: the file is
        written beside its destination and renamed into place."""
        arrays: dict = {}
        meta = {"format": _FORMAT, "fields": _encode(self, "", arrays)}
        return _io.save_npz(path, arrays, meta)

    @classmethod
    def load(cls, path):
        """Load a result written by :meth:`save` (of this class; ValueError for another)."""
        arrays, meta = _io.load_npz(path, expected=cls.__name__)
        if meta.get("format") != _FORMAT:
            return _legacy(cls, arrays, meta, path)
        obj = _decode(meta["fields"], arrays)
        if not isinstance(obj, cls):
            raise ValueError(f"{str(path)!r} holds a fastsurf {type(obj).__name__}, not a "
                             f"{cls.__name__}; load it with {type(obj).__name__}.load")
        return obj

    # --- display ----------------------------------------------------------------------------
    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if f.name in self._repr_skip:
                continue
            parts.append(f"{f.name}={_short(getattr(self, f.name))}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _encode(obj, prefix: str, arrays: dict):
    """The JSON description of ``obj``; its arrays go into ``arrays`` under ``prefix``."""
    if isinstance(obj, Result):
        fields = {}
        for f in dataclasses.fields(obj):
            fields[f.name] = _encode(getattr(obj, f.name), f"{prefix}{f.name}.", arrays)
        return {"result": type(obj).__name__, "fields": fields}
    if isinstance(obj, np.ma.MaskedArray):
        key = prefix.rstrip(".") or "value"
        arrays[key] = np.ma.getdata(obj)
        arrays[key + ".mask"] = np.ma.getmaskarray(obj)
        return {"masked": key}
    if _is_array(obj):
        key = prefix.rstrip(".") or "value"
        arrays[key] = np.asarray(obj)
        return {"array": key}
    if isinstance(obj, tuple) or (isinstance(obj, list) and _structured(obj)):
        items = [_encode(v, f"{prefix}{i}.", arrays) for i, v in enumerate(obj)]
        return {"list" if isinstance(obj, list) else "tuple": items}
    if isinstance(obj, dict) and _structured(obj):
        return {"dict": {str(k): _encode(v, f"{prefix}{k}.", arrays) for k, v in obj.items()}}
    return {"json": _io.plain(obj)}


def _structured(v) -> bool:
    """Whether ``v`` holds (at any depth) a result or an array, which JSON cannot store."""
    if isinstance(v, Result) or _is_array(v):
        return True
    if isinstance(v, dict):
        return any(_structured(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(_structured(x) for x in v)
    return False


def _decode(node, arrays: dict):
    if "result" in node:
        cls = _CLASSES.get(node["result"])
        if cls is None:
            raise ValueError(f"unknown fastsurf result class {node['result']!r}")
        return cls(**{k: _decode(v, arrays) for k, v in node["fields"].items()})
    if "array" in node:
        return arrays[node["array"]]
    if "masked" in node:
        key = node["masked"]
        return np.ma.masked_array(arrays[key], arrays[key + ".mask"])
    if "list" in node:
        return [_decode(v, arrays) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, arrays) for v in node["tuple"])
    if "dict" in node:
        return {k: _decode(v, arrays) for k, v in node["dict"].items()}
    return node["json"]


def _legacy(cls, arrays: dict, meta: dict, path):
    """A file written before this format: arrays and metadata named like the fields."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in {**meta, **arrays}.items() if k in names}
    required = {f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    missing = sorted(required - set(values))
    if missing:
        raise ValueError(f"{os.fspath(path)!r} is not a fastsurf {cls.__name__} file "
                         f"(missing {', '.join(missing)})")
    for f in dataclasses.fields(cls):
        if f.name in values and isinstance(values[f.name], list) and f.name in ("axes",):
            values[f.name] = tuple(values[f.name])
    return cls(**values)


def _is_array(v) -> bool:
    return isinstance(v, np.ndarray) or (hasattr(v, "shape") and hasattr(v, "dtype")
                                         and hasattr(v, "chunks"))


def _short(v) -> str:
    """A one-line summary of a field value: arrays by shape, dtype and range."""
    if _is_array(v):
        shape = "x".join(str(s) for s in v.shape)
        if isinstance(v, np.ndarray) and v.size and np.issubdtype(v.dtype, np.number) \
                and not np.iscomplexobj(v):
            finite = v[np.isfinite(v)]
            rng = (f" [{finite.min():.4g}, {finite.max():.4g}]" if finite.size else "")
            bad = v.size - finite.size
            return f"<{shape} {v.dtype}{rng}{f', {bad} non-finite' if bad else ''}>"
        return f"<{shape} {v.dtype}>"
    if isinstance(v, dict):
        text = repr(v)
        if len(text) > 80 or "\n" in text:
            keys = ", ".join(map(str, list(v)[:6])) + (", ..." if len(v) > 6 else "")
            return f"{{{len(v)} keys: {keys}}}"
        return text
    if isinstance(v, (list, tuple)) and len(v) > 4:
        return f"<{type(v).__name__} of {len(v)}>"
    if isinstance(v, float):
        return f"{v:.6g}"
    return repr(v)

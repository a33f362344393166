"""The Result mixin: every field saved and loaded whole, nested results included, a short repr,
and a file of another kind refused by name."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

import fastsurf as fs
from fastsurf import _io
from fastsurf._results import Result


@dataclass(repr=False)
class Inner(Result):
    kind: str
    values: np.ndarray


@dataclass(repr=False)
class Outer(Result):
    theta: np.ndarray
    inner: Inner | None
    items: list
    pair: tuple
    masked: np.ndarray
    count: int = 0
    meta: dict = field(default_factory=dict)


def _outer():
    rng = np.random.default_rng(0)
    return Outer(theta=rng.standard_normal(5), inner=Inner("saddle", np.arange(3.0)),
                 items=[Inner("a", np.ones(2)), Inner("b", np.zeros((2, 2)))],
                 pair=(1, 2), masked=np.ma.masked_array(np.arange(4.0), [0, 1, 0, 1]),
                 count=7, meta={"k": 1.5, "nested": {"arr": np.eye(2)}, "none": None})


def test_every_field_round_trips(tmp_path):
    a = _outer()
    b = Outer.load(a.save(tmp_path / "o"))
    np.testing.assert_array_equal(b.theta, a.theta)
    assert isinstance(b.inner, Inner) and b.inner.kind == "saddle"
    np.testing.assert_array_equal(b.inner.values, a.inner.values)
    assert [i.kind for i in b.items] == ["a", "b"] and b.items[1].values.shape == (2, 2)
    assert b.pair == (1, 2) and isinstance(b.pair, tuple) and b.count == 7
    np.testing.assert_array_equal(np.ma.getmaskarray(b.masked), [False, True, False, True])
    np.testing.assert_array_equal(b.meta["nested"]["arr"], np.eye(2))
    assert b.meta["k"] == 1.5 and b.meta["none"] is None


def test_none_nested_result(tmp_path):
    a = _outer()
    a.inner = None
    assert Outer.load(a.save(tmp_path / "o")).inner is None


def test_repr_summarises_arrays():
    text = repr(_outer())
    assert text.startswith("Outer(theta=<5 float64 [")
    assert "inner=Inner(kind='saddle'" in text and "\n" not in text


def test_a_file_of_another_class_is_refused(tmp_path):
    path = Inner("x", np.ones(1)).save(tmp_path / "i")
    with pytest.raises(ValueError, match="holds a fastsurf Inner, not a Outer"):
        Outer.load(path)


def test_a_surface_saved_in_the_previous_format_still_loads(tmp_path):
    """Files written before the mixin (arrays and a 'meta' dict named like the fields)."""
    arrays = {"values": np.ones((2, 3)), "x": np.arange(3.0), "y": np.arange(2.0),
              "origin": np.zeros(2)}
    meta = {"kind": "grid", "axes": [0, 1], "x_label": "w1", "y_label": "w2",
            "meta": {"model": "RecurrentNeuron"}}
    path = _io.save_npz(tmp_path / "old.npz", arrays, meta)
    s = fs.scan.Surface.load(path)
    assert s.axes == (0, 1) and s.x_label == "w1" and s.values.shape == (2, 3)
    assert s.meta == {"model": "RecurrentNeuron"}

"""Every Example in the docstrings runs and shows what it claims (Examples are doctests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import fastsurf

MODULES = sorted(m.name for m in pkgutil.walk_packages(fastsurf.__path__, "fastsurf.")
                 if not m.name.startswith("fastsurf.kernels") and m.name != "fastsurf.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name, extraglobs={"np": np}) if t.examples]
    for t in tests:
        runner.run(t)
    assert runner.failures == 0, f"{runner.failures} failing docstring example(s) in {name}"


def test_the_public_examples_exist():
    """The numpydoc Examples the house promises for its main functions are there."""
    for fn in (fastsurf.scan.grid, fastsurf.scan.plane, fastsurf.scan.line,
               fastsurf.roots.polynomial_roots):
        assert "Examples\n" in (fn.__doc__ or ""), fn.__qualname__

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew (pyplot keeps every figure alive until closed)."""
    yield
    import sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def structural_always(monkeypatch):
    """Make ``method="auto"`` take the structural path wherever it applies (its cost model
    would send the small grids of the tests to brute force), so a test of that path cannot
    quietly compare brute force with itself."""
    from fastsurf.models import recurrent
    monkeypatch.setattr(recurrent, "STRUCTURAL_ROW_STEP_NS", 0.0)
    monkeypatch.setattr(recurrent, "STRUCTURAL_CELL_NS", 0.0)

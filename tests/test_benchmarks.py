"""The asv benchmarks in bench/benchmarks run (a quick mode, so they cannot rot).

Every benchmark class is set up and each of its ``time_*`` methods is called once, for the first
value of every parameter (the smallest size); asv itself times them (``cd bench && asv run
--python=same``). Nothing here is a timing assertion.
"""

import importlib.util
import inspect
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "benchmarks"


def _benchmarks():
    for path in sorted(BENCH.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(f"asv_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            for method in sorted(m for m in vars(cls) if m.startswith("time_")):
                yield pytest.param(cls, method, id=f"{path.stem}.{name}.{method}")


@pytest.mark.parametrize(("cls", "method"), list(_benchmarks()))
def test_benchmark_runs_once(cls, method):
    params = getattr(cls, "params", ())
    if params and not isinstance(params[0], (list, tuple)):
        params = (params,)               # asv allows a single parameter list
    first = [values[0] for values in params]
    bench = cls()
    if hasattr(bench, "setup"):
        bench.setup(*first)
    try:
        getattr(bench, method)(*first)   # fails the test by raising
    finally:
        if hasattr(bench, "teardown"):
            bench.teardown(*first)


def test_every_benchmark_file_is_collected():
    files = {p.stem for p in BENCH.glob("bench_*.py")}
    collected = {c.values[0].__module__.removeprefix("asv_") for c in _benchmarks()}
    assert files == collected

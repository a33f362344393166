"""The house rules, read off the source with ``ast``: data flows one way.

models -> kernels -> Problem -> analyses -> results -> plot/io/cli. Each module has a layer; it may
import modules of its own layer or below, never above; fastsurf modules never import each other
in a circle; a fastsurf module is imported at module level only (function-level imports are for
optional third-party dependencies); the kernels are reached only through models and Problem.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "fastsurf"

#: Layer of every module (prefix match, longest first). Lower layers never import higher ones.
LAYERS = {
    "fastsurf._validation": 0, "fastsurf._progress": 0, "fastsurf._io": 0,
    "fastsurf._results": 0, "fastsurf._dask": 0, "fastsurf._arrays": 0, "fastsurf._memory": 0,
    "fastsurf._compile": 0,
    # plot draws what it is handed and imports no other fastsurf module, so a result can
    # offer .plot() without a circle
    "fastsurf.plot": 1,
    "fastsurf.kernels": 2,
    "fastsurf.data": 3,
    "fastsurf.models": 4,
    "fastsurf.problem": 5,
    "fastsurf.structure": 6, "fastsurf.optim": 6, "fastsurf._poly": 6,
    "fastsurf._evaluate": 7,
    "fastsurf._tiles": 8,
    "fastsurf.scan": 9,
    # analyses (they may use each other, without circles)
    "fastsurf": 10, "fastsurf.basins": 10,
    "fastsurf.cli": 11, "fastsurf._cli": 11, "fastsurf.__main__": 11,
    "fastsurf.__init__": 12,
}

#: Third-party modules a function may import lazily (optional extras or heavy plotting).
LAZY_OK = ("matplotlib", "mpl_toolkits", "zarr", "distributed", "dask", "xarray", "resource",
           "sklearn", "statsmodels")

#: The only modules that may import fastsurf.kernels.
KERNEL_USERS = ("fastsurf.kernels", "fastsurf.models", "fastsurf.problem")


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        name = ".".join(rel.parts)
        out[name.removesuffix(".__init__") if path.name == "__init__.py" else name] = path
    return out


def _layer(name: str) -> int:
    best = max((k for k in LAYERS if name == k or name.startswith(k + ".")
                or (k.endswith("_cli") and name.startswith(k))), key=len)
    return LAYERS[best]


def _imports(name: str, path: Path):
    """(imported fastsurf module or third-party top name, line, at module level?) of a file."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    top_level = {id(node) for node in tree.body}
    for parent in ast.walk(tree):
        for node in ast.iter_child_nodes(parent):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            module_level = id(node) in top_level or (
                isinstance(parent, (ast.If, ast.Try)) and id(parent) in top_level)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, node.lineno, module_level
                continue
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if target == "fastsurf" or (node.level and not node.module):
                # "from . import scan" or "from fastsurf import scan": the names are modules
                for alias in node.names:
                    yield f"{target}.{alias.name}", node.lineno, module_level
            else:
                yield target, node.lineno, module_level


def _resolve(target: str) -> str | None:
    """The fastsurf module an import names (a name imported from a module -> that module)."""
    while target and target not in MODULES:
        if "." not in target:
            return None
        target = target.rsplit(".", 1)[0]
    return target if target.startswith("fastsurf") else None


MODULES = _modules()


def _graph():
    edges, lazy, other_lazy = {}, [], []
    for name, path in MODULES.items():
        edges[name] = set()
        for target, line, module_level in _imports(name, path):
            mod = _resolve(target)
            if mod is None:
                if not module_level and target.split(".")[0] not in LAZY_OK:
                    other_lazy.append(f"{name}:{line} imports {target} inside a function")
                continue
            if mod == name:
                continue
            edges[name].add(mod)
            # importing a.b.c runs the package a.b first (the root package excepted: it is the
            # top of the house and imports everything)
            parts = mod.split(".")
            for k in range(2, len(parts)):
                pkg = ".".join(parts[:k])
                if pkg in MODULES and pkg != name and not name.startswith(pkg + "."):
                    edges[name].add(pkg)
            if not module_level:
                lazy.append(f"{name}:{line} imports {mod} inside a function")
    return edges, lazy, other_lazy


EDGES, LAZY, OTHER_LAZY = _graph()


def test_no_import_circle():
    state, stack, cycles = {}, [], []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(EDGES.get(n, ())):
            if state.get(m) == 1:
                cycles.append(" -> ".join(stack[stack.index(m):] + [m]))
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(EDGES):
        if n not in state:
            visit(n)
    assert not cycles, "import circles:\n" + "\n".join(cycles)


def test_no_upward_import():
    upward = [f"{a} (layer {_layer(a)}) imports {b} (layer {_layer(b)})"
              for a, targets in EDGES.items() for b in targets
              if _layer(b) > _layer(a) and not b.startswith(a + ".")]
    assert not upward, "imports against the data flow:\n" + "\n".join(sorted(upward))


def test_fastsurf_modules_are_imported_at_module_level():
    assert not LAZY, "function-level imports of fastsurf modules:\n" + "\n".join(LAZY)


def test_function_level_imports_only_for_optional_dependencies():
    assert not OTHER_LAZY, ("function-level imports of required dependencies:\n"
                            + "\n".join(OTHER_LAZY))


def test_kernels_are_reached_only_through_models_and_problem():
    reach = [f"{a} imports {b}" for a, targets in EDGES.items() for b in targets
             if b.startswith("fastsurf.kernels") and not a.startswith(KERNEL_USERS)]
    assert not reach, "analyses importing kernels:\n" + "\n".join(sorted(reach))


def test_plot_imports_no_other_fastsurf_module():
    reach = [f"{a} imports {b}" for a, targets in EDGES.items() for b in targets
             if a.startswith("fastsurf.plot") and not b.startswith("fastsurf.plot")]
    assert not reach, "plot modules that compute:\n" + "\n".join(sorted(reach))


@pytest.mark.parametrize("rule", ["circle", "upward"])
def test_the_checks_can_fail(rule):
    """The graph checks catch a planted violation (they are not vacuous)."""
    global EDGES
    saved = {k: set(v) for k, v in EDGES.items()}
    try:
        if rule == "circle":
            EDGES["fastsurf.scan"].add("fastsurf._tiles")
            EDGES["fastsurf._tiles"].add("fastsurf.scan")
            with pytest.raises(AssertionError, match="import circles"):
                test_no_import_circle()
        else:
            EDGES["fastsurf.kernels.mlp"] = {"fastsurf.scan"}
            with pytest.raises(AssertionError, match="against the data flow"):
                test_no_upward_import()
    finally:
        EDGES = saved

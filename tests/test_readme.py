"""The README's Python snippets run as pasted, in order, in one session (as a reader would).

The two scale-out snippets are left out: one streams an 8 GiB grid to disk, the other needs a
running Dask scheduler at tcp://scheduler:8786 (the same calls are tested on small grids and a
LocalCluster in test_store.py and test_dask.py).
"""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
SCALE_OUT = ("shape=(32768, 32768)", "Client(\"tcp://scheduler:8786\")")


def _blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_python_snippets_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = _blocks()
    runnable = [b for b in blocks if not any(s in b for s in SCALE_OUT)]
    assert len(blocks) - len(runnable) == 2 and len(runnable) >= 4
    namespace: dict = {}
    for block in runnable:
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / "tansig.png").exists() and (tmp_path / "tansig.npz").exists()
    assert namespace["path"].saddle.index == 1

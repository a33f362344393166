"""Telling the user when a first run compiles the kernels.

Numba compiles a kernel the first time it is called with new types and caches the machine code
on disk (``cache=True``), so only a process that finds no cache pays for it. The notice appears
only when the work it wraps is still running after ``delay`` seconds.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

NOTICE = "fastsurf: compiling kernels (first run only; cached on disk afterwards) ..."


@contextmanager
def compile_notice(delay: float = 2.0, stream=None) -> Iterator[None]:
    """Print :data:`NOTICE` to ``stream`` (stderr) if the block runs longer than ``delay``."""
    out = sys.stderr if stream is None else stream

    def say():
        print(NOTICE, file=out, flush=True)

    timer = threading.Timer(delay, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()

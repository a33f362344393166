"""Progress bars (tqdm) that appear only for long work unless asked for."""

from __future__ import annotations

from tqdm.auto import tqdm

#: Seconds of work after which an automatic (progress=None) bar appears.
AUTO_DELAY_S = 2.0


def check_progress(progress) -> bool | None:
    """``progress`` if it is True, False or None; else TypeError."""
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, got {type(progress).__name__}")
    return progress


def progress_bar(progress: bool | None, total: int, unit: str = "it", desc: str | None = None):
    """A tqdm bar: always (True), never (False) or after ``AUTO_DELAY_S`` seconds (None)."""
    check_progress(progress)
    return tqdm(total=total, unit=unit, desc=desc, disable=progress is False,
                delay=0.0 if progress else AUTO_DELAY_S, leave=bool(progress))

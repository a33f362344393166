"""How much memory and disk a job may use: checked before anything is allocated or written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

#: Share of the available memory one allocation may take.
MEMORY_SHARE = 0.8

#: Allocations up to this size are not checked (reading /proc costs ~50 us, which would be paid
#: on every small Jacobian of a training run).
UNCHECKED_BYTES = 64 << 20


def _proc_bytes(path: str, key: str) -> int | None:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def available_memory() -> int:
    """Free physical memory, or less where an address-space limit (RLIMIT_AS) leaves less."""
    avail = _proc_bytes("/proc/meminfo", "MemAvailable:")
    if avail is None:
        avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        import resource
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError):
        return avail
    used = _proc_bytes("/proc/self/status", "VmSize:")
    if limit != resource.RLIM_INFINITY and used is not None:
        avail = min(avail, max(0, limit - used))
    return avail


def fits_in_memory(nbytes: int) -> bool:
    """Whether ``nbytes`` is at most ``MEMORY_SHARE`` of the available memory."""
    return nbytes <= MEMORY_SHARE * available_memory()


def check_memory(nbytes: int, what: str, hint: str = "") -> None:
    """ValueError, before allocating, when ``what`` needs more than fits in memory."""
    if nbytes > UNCHECKED_BYTES and not fits_in_memory(nbytes):
        avail = available_memory()
        raise ValueError(f"{what} needs {nbytes / 2**30:.3g} GiB of memory but only "
                         f"{avail / 2**30:.3g} GiB is available" + (f"; {hint}" if hint else ""))


def check_disk(path: Path, nbytes: int, what: str) -> None:
    """ValueError when the file system holding ``path`` has less than ``nbytes`` free."""
    parent = Path(path).resolve().parent
    while not parent.exists():
        parent = parent.parent
    free = shutil.disk_usage(parent).free
    if nbytes > free:
        raise ValueError(f"{what} needs {nbytes / 2**30:.3g} GiB of disk at {str(path)!r} but "
                         f"only {free / 2**30:.3g} GiB is free there")


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (for cleaning up after killed runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(path: Path) -> None:
    """Delete ``<name>.tmp-<pid>`` siblings of ``path`` left by processes that no longer run
    (a killed save or store creation); those of live processes are left alone."""
    path = Path(path)
    if not path.parent.is_dir():
        return
    for tmp in path.parent.glob(f"{path.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not pid_alive(int(pid)):
            if tmp.is_dir():
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                tmp.unlink(missing_ok=True)

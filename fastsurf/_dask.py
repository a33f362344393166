"""Running fastsurf's own kernels as tasks on a Dask cluster (the ``client=`` argument).

Dask is imported only here and only when a client is given: the library never needs it
otherwise. The work is cut into independent pieces (tiles of a grid, batches of starts); the
large shared inputs (the problem with its data) are scattered to every worker once; each task
runs exactly the function a local run would call on that piece, so the results are the same
bits as a local run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from ._progress import progress_bar


def check_client(client) -> None:
    """Accept None or a ``dask.distributed.Client``; anything else is a TypeError."""
    if client is None:
        return
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - exercised only without the extra installed
        raise ImportError("client= needs dask.distributed: pip install 'fastsurf[distributed]'"
                          ) from None
    if not isinstance(client, Client):
        raise TypeError("client must be a dask.distributed.Client or None, "
                        f"got {type(client).__name__}")


def run_tasks(client, func: Callable, pieces: Sequence[tuple], shared: tuple = (),
              progress: bool | None = None, desc: str = "tasks",
              unit: str = "task") -> Iterator[tuple[int, object]]:
    """Run ``func(*shared, *pieces[i])`` for every i on the client's workers.

    Parameters
    ----------
    client : dask.distributed.Client
    func : callable
        A module-level function (it is pickled by reference).
    pieces : sequence of tuples
        Per-task arguments; small (indices, ranges), since each is sent with its task.
    shared : tuple
        Arguments common to every task, scattered to all workers once (broadcast).
    progress : bool or None
        Progress bar over finished tasks (None: only after 2 s).

    Yields
    ------
    (i, result)
        In the order the tasks finish, so a caller can store each result as it arrives
        (an interrupted run keeps what it has finished). A task's exception is raised here.
    """
    from distributed import as_completed

    check_client(client)
    # One future per object (scattering a list directly would split it into elements). Unhashed
    # keys: a content-hashed key reused right after an earlier run released it can be lost.
    handles = [client.scatter([obj], broadcast=True, hash=False)[0] for obj in shared]
    futures = {client.submit(func, *handles, *piece, pure=False): i
               for i, piece in enumerate(pieces)}
    with progress_bar(progress, total=len(futures), unit=unit, desc=desc) as bar:
        for future, result in as_completed(futures, with_results=True):
            if future.status == "cancelled":  # yielded, not raised, by as_completed
                raise result
            bar.update(1)
            yield futures[future], result

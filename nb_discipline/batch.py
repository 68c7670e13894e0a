"""Check many files, on every core: each worker loads, checks and drops one notebook at a time,
so memory stays flat however many notebooks there are."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .analysis.source import gc_paused
from .config import Settings
from .engine import check
from .loader import LoadError, load
from .model import CheckResult, Diagnostic, FileError

# Below this much material, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 4_000_000


def check_file(path: str, settings: Settings) -> list[Diagnostic] | FileError:
    try:
        with gc_paused():  # the notebook too is freed before the collector resumes
            return check(load(path), settings)
    except LoadError as error:
        return FileError(error.path, error.reason)


def check_files(paths: Sequence[str], settings: Settings, jobs: int | None = None) -> CheckResult:
    result = CheckResult()
    for outcome in _outcomes(paths, settings, jobs or os.cpu_count() or 1):
        if isinstance(outcome, FileError):
            result.errors.append(outcome)
        else:
            result.checked += 1
            result.diagnostics.extend(outcome)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    result.errors.sort(key=lambda error: error.filename)
    return result


def _outcomes(paths: Sequence[str], settings: Settings, jobs: int):
    if jobs <= 1 or len(paths) < 2 or _total_size(paths) < PARALLEL_MIN_BYTES:
        for path in paths:
            yield check_file(path, settings)
        return
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    largest_first = sorted(paths, key=_size, reverse=True)
    workers = min(jobs, len(paths))
    # Small chunks at the end balance the load; one file per task costs more in messages.
    chunksize = max(1, len(paths) // (workers * 16))
    import gc

    gc.freeze()  # forked workers then share the parent's objects instead of copying them
    with context.Pool(workers, initializer=_init_worker, initargs=(settings,)) as pool:
        yield from pool.imap_unordered(_check_in_worker, largest_first, chunksize=chunksize)


_worker_settings: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings


def _check_in_worker(path: str) -> list[Diagnostic] | FileError:
    assert _worker_settings is not None
    return check_file(path, _worker_settings)


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _total_size(paths: Sequence[str]) -> int:
    total = 0
    for path in paths:
        total += _size(path)
        if total >= PARALLEL_MIN_BYTES:
            break
    return total

"""Check many files, on every core: each worker loads, checks and drops one notebook at a time,
so memory stays flat however many notebooks there are.

A notebook's findings are kept between runs (nb_discipline.cache), as ruff keeps its own: with the
notebook's contents, the settings, and every file and directory the check read (dependency files,
the listings that name the project's root and modules, site-packages), so the next run checks only
what changed. `--no-cache` turns it off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from . import cache, collector
from .config import Settings
from .loader import LoadError, loads, read_notebook
from .model import CheckResult, Diagnostic, FileError
from .records import TYPE_CHECKING

if TYPE_CHECKING:
    from .fix import Outcome

# Below this much material, starting worker processes costs more than it saves.
PARALLEL_MIN_BYTES = 4_000_000


def check_file(
    path: str, settings: Settings, use_cache: bool = True
) -> list[Diagnostic] | FileError:
    try:
        if not use_cache:
            return _check(path, settings)
        plain = cache.from_files(
            "findings",
            repr((os.path.abspath(path), path, settings.for_checking())),
            lambda: [diagnostic.plain() for diagnostic in _check(path, settings)],
            remember=False,
        )
        return [Diagnostic.from_plain(fields) for fields in plain]
    except LoadError as error:
        return FileError(error.path, error.reason)
    except Exception as error:  # nbcheck's own failure on this notebook must not end the run
        return _failure(path, error)


def _failure(path: str, error: Exception) -> FileError:
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    return FileError(
        path,
        f"nbcheck failed on this notebook ({type(error).__name__}: {first_line}); "
        "the other notebooks are checked; please report it",
    )


def fix_file(path: str, settings: Settings, use_cache: bool = True) -> Outcome | FileError:
    """The applicable fixes applied to the notebook at `path` in memory (nothing is written
    here). With the cache, the findings kept from an earlier check say whether there is anything
    to fix before the notebook is read."""
    from .fix import Outcome, Policy, fix_notebook

    policy = Policy.of(settings)
    if use_cache:
        found = check_file(path, settings)
        if isinstance(found, FileError):
            return found
        if not any(policy.applies(diagnostic) for diagnostic in found):
            return Outcome(path, b"", {}, {}, found, {})
    try:
        data = read_notebook(path)[0]
        with collector.paused():
            return fix_notebook(loads(data, path), data, settings, policy)
    except LoadError as error:
        return FileError(error.path, error.reason)
    except Exception as error:
        return _failure(path, error)


def _check(path: str, settings: Settings) -> list[Diagnostic]:
    data, before = read_notebook(path)
    cache.note(path, content=data, before=before)
    with collector.paused():  # the notebook too is freed before the collector resumes
        # The analysis: a run whose findings all come from the cache never imports it.
        from .engine import check

        return check(loads(data, path), settings)


def check_files(
    paths: Sequence[str], settings: Settings, jobs: int | None = None, use_cache: bool = True
) -> CheckResult:
    result = CheckResult()
    for outcome in _outcomes(paths, settings, jobs or os.cpu_count() or 1, use_cache, check_file):
        if isinstance(outcome, FileError):
            result.errors.append(outcome)
        else:
            result.checked += 1
            result.diagnostics.extend(outcome)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    result.errors.sort(key=lambda error: error.filename)
    return result


def fix_files(
    paths: Sequence[str], settings: Settings, jobs: int | None = None, use_cache: bool = True
) -> Iterator[Outcome | FileError]:
    """`fix_file` for every notebook, on every core, each as it is done (nothing is written
    here): what fixing it gave, or why it could not be checked."""
    yield from _outcomes(paths, settings, jobs or os.cpu_count() or 1, use_cache, fix_file)


def _outcomes(paths: Sequence[str], settings: Settings, jobs: int, use_cache: bool, task):
    if jobs <= 1 or len(paths) < 2 or _total_size(paths) < PARALLEL_MIN_BYTES:
        for path in paths:
            yield task(path, settings, use_cache)
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
    try:
        with context.Pool(
            workers,
            initializer=_init_worker,
            initargs=(settings, use_cache, task, collector.pauses_allowed()),
        ) as pool:
            yield from pool.imap_unordered(_run_in_worker, largest_first, chunksize=chunksize)
    finally:
        gc.unfreeze()  # `%nbcheck` runs in a kernel, whose objects must stay collectable


_worker_arguments: tuple | None = None


def _init_worker(settings: Settings, use_cache: bool, task, pauses_allowed: bool) -> None:
    global _worker_arguments
    _worker_arguments = (task, settings, use_cache)
    if pauses_allowed:  # a spawned worker starts without the parent's module state
        collector.allow_pauses()


def _run_in_worker(path: str):
    assert _worker_arguments is not None
    task, settings, use_cache = _worker_arguments
    return task(path, settings, use_cache)


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

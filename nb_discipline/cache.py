"""What nbcheck keeps between runs, in the user cache directory (`$XDG_CACHE_HOME/nb-discipline`).

Every entry is what a pure function gave for its key, and for `from_files` also for files on disk,
whose status (size and CRC-32 of the content; for a directory, its modification and change times)
is stored with the entry and checked before it is used. Contents, not times: a file rewritten within
the file system's clock tick still counts as changed. So a missing, stale or unreadable entry is
only computed again, never an error.
Entries are written with `marshal` (built in: no import on the start-up path) to a temporary file
renamed into place, so processes running at the same time never read half an entry.

The key of every entry includes nb-discipline's version and the status of the module whose code
computed it, so an upgrade, or an edit to an editable install, never reads an old result.
"""

from __future__ import annotations

import marshal
import os
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from . import __version__

T = TypeVar("T")
FileStatus = tuple[str, int, int]

_in_memory: dict[tuple[str, str], tuple[tuple[tuple[str, FileStatus], ...], Any]] = {}


def directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nb-discipline"


def file_status(path: str | os.PathLike[str]) -> FileStatus:
    """What changes when a file is written, replaced or removed, or a directory's entries change."""
    try:
        with open(path, "rb") as handle:
            content = handle.read()
        return ("file", len(content), zlib.crc32(content))
    except IsADirectoryError:
        try:
            status = os.stat(path)
        except OSError as error:
            return ("unreadable", error.errno or 0, 0)
        return ("directory", status.st_mtime_ns, status.st_ctime_ns)
    except OSError as error:
        return ("unreadable", error.errno or 0, 0)


def load(kind: str, key: Any, computed_by: str) -> Any | None:
    """The value stored for `key`, or None. `computed_by`: the `__file__` of the code that
    computes the value."""
    full_key = _full_key(key, computed_by)
    try:
        with open(_entry(kind, full_key), "rb") as handle:
            stored_key, value = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return value if stored_key == full_key else None


def store(kind: str, key: Any, computed_by: str, value: Any) -> None:
    """Keep `value` for `key`; a value marshal cannot write (a TOML date, say) is not kept, and
    an unwritable cache directory only means no cache."""
    full_key = _full_key(key, computed_by)
    path = _entry(kind, full_key)
    try:
        data = marshal.dumps((full_key, value))
    except ValueError:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        pass


def memoized(kind: str, key: Any, computed_by: str, compute: Callable[[], T]) -> T:
    """`compute()`, kept between runs under `key`."""
    stored = load(kind, key, computed_by)
    if stored is None:
        stored = (compute(),)
        store(kind, key, computed_by, stored)
    return stored[0]


def from_files(
    kind: str, key: str, computed_by: str, compute: Callable[[], tuple[T, Iterable[str]]]
) -> T:
    """What `compute` derives from files (`key` names them, usually the path of the first): stored
    with the status of every file it read (it returns the value and those files) and used again
    while none of them has changed. The process keeps what it read too: checking many notebooks
    of one project reads it once."""
    stored = _in_memory.get((kind, key))
    if stored is None or not _unchanged(stored[0]):
        stored = load(kind, key, computed_by)
        if stored is None or not _unchanged(stored[0]):
            value, files = compute()
            stored = (tuple((name, file_status(name)) for name in files), value)
            store(kind, key, computed_by, stored)
        _in_memory[kind, key] = stored
    return stored[1]


def _unchanged(statuses: Iterable[tuple[str, FileStatus]]) -> bool:
    return all(file_status(name) == status for name, status in statuses)


def _full_key(key: Any, computed_by: str) -> tuple:
    return (__version__, computed_by, file_status(computed_by), key)


def _entry(kind: str, full_key: tuple) -> Path:
    digest = zlib.crc32(repr(full_key).encode("utf-8", "surrogatepass"))
    return directory() / f"{kind}-{digest:08x}.marshal"

"""What nbcheck keeps between runs, in the user cache directory (`$XDG_CACHE_HOME/nb-discipline`).

Every entry is what a pure function gave for its key and, for `from_files`, for the files and
directories it read. Those inputs are recorded as the computation reads them (`note`), each with
its status: a file's size and CRC-32 (contents, not times: a file rewritten within the file
system's clock tick still counts as changed), a directory's modification and change times (its
listing). An entry is used only while every input still has the status it had. So a missing, stale
or unreadable entry is only computed again, never an error.

Entries are written with `marshal` (built in: nothing to import on the start-up path) to a temporary
file renamed into place, so processes running at the same time never read half an entry. Every key
includes nb-discipline's version and a stamp of its code, so neither an upgrade nor an edit to an
editable install ever reads an old result.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache

from . import __version__
from .records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

FileStatus = tuple[str, int, int]
Inputs = tuple[tuple[str, FileStatus], ...]

_in_memory: dict[tuple[str, str], tuple[Inputs, Any]] = {}
_recorders: list[dict[str, FileStatus]] = []


def directory() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nb-discipline")


def content_status(content: bytes) -> FileStatus:
    return ("file", len(content), zlib.crc32(content))


def file_status(path: str | os.PathLike[str]) -> FileStatus:
    """What changes when a file is written, replaced or removed, or a directory's entries change."""
    try:
        with open(path, "rb") as handle:
            return content_status(handle.read())
    except IsADirectoryError:
        return directory_status(path)
    except OSError as error:
        return ("unreadable", error.errno or 0, 0)


def directory_status(path: str | os.PathLike[str]) -> FileStatus:
    try:
        status = os.stat(path)
    except OSError as error:
        return ("unreadable", error.errno or 0, 0)
    return ("directory", status.st_mtime_ns, status.st_ctime_ns)


def note(
    path: str | os.PathLike[str], status: FileStatus | None = None, *, content: bytes | None = None
) -> None:
    """Record that the computation under way reads `path` (call it before reading, so a change
    made while reading shows as a change next time). `status` when the caller already has it, or
    `content`, the bytes it read (summed only when something is recording)."""
    if _recorders:
        name = os.fspath(path)
        if status is None:
            status = file_status(name) if content is None else content_status(content)
        for inputs in _recorders:
            inputs.setdefault(name, status)


@contextmanager
def recording() -> Iterator[dict[str, FileStatus]]:
    """Every input noted inside, with its status (inputs of nested computations included)."""
    inputs: dict[str, FileStatus] = {}
    _recorders.append(inputs)
    try:
        yield inputs
    finally:
        _recorders.pop()


def load(kind: str, key: Any) -> Any | None:
    """The value stored for `key`, or None."""
    full_key = _full_key(key)
    try:
        with open(_entry(kind, key), "rb") as handle:
            stored_key, value = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return value if stored_key == full_key else None


def store(kind: str, key: Any, value: Any) -> None:
    """Keep `value` for `key`; a value marshal cannot write (a TOML date, say) is not kept, and
    an unwritable cache directory only means no cache."""
    full_key = _full_key(key)
    path = _entry(kind, key)
    try:
        data = marshal.dumps((full_key, value))
    except ValueError:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        pass


def memoized(kind: str, key: Any, compute: Callable[[], T]) -> T:
    """`compute()`, a pure function of `key`, kept between runs."""
    stored = load(kind, key)
    if stored is None:
        stored = (compute(),)
        store(kind, key, stored)
    return stored[0]


def from_files(kind: str, key: str, compute: Callable[[], T], *, remember: bool = True) -> T:
    """`compute()`, kept with the inputs it noted and used again while none of them has changed.

    `remember`: keep the entry in memory too (a project's dependency files, read for every one of
    its notebooks), not only on disk (a notebook's own results, read once per run)."""
    stored = _in_memory.get((kind, key))
    if stored is None or not _unchanged(stored[0]):
        stored = load(kind, key)
        if stored is None or not _unchanged(stored[0]):
            with recording() as inputs:
                value = compute()
            stored = (tuple(inputs.items()), value)
            store(kind, key, stored)
        if remember:
            _in_memory[kind, key] = stored
    for name, status in stored[0]:  # an enclosing computation read them too
        note(name, status)
    return stored[1]


def _unchanged(inputs: Iterable[tuple[str, FileStatus]]) -> bool:
    return all(file_status(name) == status for name, status in inputs)


@cache
def _code_stamp() -> int:
    """Changes with any edit to nb-discipline's own code or data."""
    package = os.path.dirname(os.path.abspath(__file__))
    entries = []
    for folder, subfolders, names in os.walk(package):
        subfolders[:] = [name for name in subfolders if name not in {"__pycache__", "labextension"}]
        for name in names:
            if name.endswith((".py", ".json")):
                status = os.stat(os.path.join(folder, name))
                entries.append((folder, name, status.st_size, status.st_mtime_ns))
    return zlib.crc32(repr(sorted(entries)).encode("utf-8", "surrogatepass"))


def _full_key(key: Any) -> tuple:
    # Python's version too: it decides the standard library's names and what parses.
    return (__version__, _code_stamp(), sys.version, key)


def _entry(kind: str, key: Any) -> str:
    """One file per key: an entry of another version or code replaces it, so the cache grows with
    the keys (notebooks, dependency files), never with upgrades."""
    digest = zlib.crc32(repr(key).encode("utf-8", "surrogatepass"))
    return os.path.join(directory(), f"{kind}-{digest:08x}.marshal")

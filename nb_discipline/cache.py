"""What nbcheck keeps between runs, in the user cache directory (`$XDG_CACHE_HOME/nb-discipline`).

Every entry is what a pure function gave for its key and, for `from_files`, for the files and
directories it read. Those inputs are recorded as the computation reads them (`note`), each with
its status: a file's size and BLAKE2 digest (contents, not times: a file rewritten within the file
system's clock tick still counts as changed), a directory's modification and change times (its
listing), or, for a path whose presence alone was asked (a `.git` in each folder above), only
what it is: a file, a folder or nothing. An entry is used only while every input still has the
status it had. So a missing, stale
or unreadable entry is only computed again, never an error. A file whose device, inode, size and
modification and change times are all as they were when its contents were summed, long enough
after its last change, is taken as unchanged without reading it again (git trusts its index the
same way); a fresh checkout, a copy or any write changes them.

Entries are written with `marshal` (built in: nothing to import on the start-up path) to a temporary
file renamed into place, so processes running at the same time never read half an entry. Every key
includes nb-discipline's version and a stamp of its code, so neither an upgrade nor an edit to an
editable install ever reads an old result.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import stat
import sys
import time
import zlib
from _blake2 import blake2b  # hashlib's, without the OpenSSL bindings hashlib loads
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache

from . import __version__
from .loader import read_file
from .records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

FileStatus = tuple  # ("file", size, digest, fingerprint | None), ("directory", mtime, ctime), …
# ("entry", "file" | "directory" | "other" | "missing")
Inputs = tuple[tuple[str, FileStatus], ...]

_in_memory: dict[tuple[str, str], tuple[Inputs, Any]] = {}
_recorders: list[dict[str, FileStatus]] = []

# A file changed this recently could be written again within its file system's clock tick and
# keep the times it has: its status gets no fingerprint (git's "racy" index entries).
RACY_NS = 2_000_000_000


def directory() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nb-discipline")


def content_status(content: bytes, before: os.stat_result | None = None) -> FileStatus:
    """The status of a file that held `content`; `before`, its os.stat taken before reading it,
    gives the status a fingerprint."""
    # A cryptographic digest: an edit made to keep a checksum (a CRC-32's is easy to keep) must
    # not bring back the findings of the text before it.
    digest = blake2b(content, digest_size=16).digest()
    return ("file", len(content), digest, _fingerprint(before))


def _fingerprint(status: os.stat_result | None) -> tuple[int, ...] | None:
    """What any write to a file, or its replacement, changes without fail: its device, inode and
    change time (which no program can set), and its size and modification time; None for a file
    changed too recently to tell (RACY_NS)."""
    if status is None or time.time_ns() - status.st_ctime_ns < RACY_NS:
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


def file_status(path: str | os.PathLike[str]) -> FileStatus:
    """What changes when a file is written, replaced or removed, or a directory's entries change.
    Only regular files are read (a named pipe or a device counts as unreadable)."""
    try:
        return content_status(*read_file(os.fspath(path)))
    except IsADirectoryError:
        return directory_status(path)
    except OSError as error:
        return ("unreadable", error.errno or 0, 0)


def directory_status(path: str | os.PathLike[str]) -> FileStatus:
    try:
        status = os.stat(path)
    except OSError as error:
        return ("unreadable", error.errno or 0, 0)
    except ValueError:  # a NUL in a path given through the API names no file
        return ("unreadable", 0, 0)
    return ("directory", status.st_mtime_ns, status.st_ctime_ns)


def entry_status(path: str) -> FileStatus:
    """Only what `path` is: a file, a folder, something else or nothing (when a computation asks
    no more of it: a folder's listing or a file's contents are its wider statuses)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return ("entry", "missing")
    if stat.S_ISREG(mode):
        return ("entry", "file")
    return ("entry", "directory" if stat.S_ISDIR(mode) else "other")


def note(
    path: str | os.PathLike[str],
    status: FileStatus | None = None,
    *,
    content: bytes | None = None,
    before: os.stat_result | None = None,
) -> None:
    """Record that the computation under way reads `path` (call it before reading, so a change
    made while reading shows as a change next time). `status` when the caller already has it, or
    `content`, the bytes it read (summed only when something is recording), with `before`, the
    file's os.stat from before reading them."""
    if _recorders:
        name = os.fspath(path)
        if status is None:
            status = file_status(name) if content is None else content_status(content, before)
        for inputs in _recorders:
            # What a path is follows from any wider status of it noted before or after.
            if inputs.setdefault(name, status)[0] == "entry":
                inputs[name] = status


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
        stored_key, value = marshal.loads(read_file(_entry(kind, key))[0])
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
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)  # whatever is there (a named pipe would block the open)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        with open(os.open(temporary, flags, 0o644), "wb") as handle:
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
    return all(_still(name, status) for name, status in inputs)


def _still(name: str, status: FileStatus) -> bool:
    """Whether `name` still has `status`: a file whose fingerprint is unchanged is not read again;
    any other is read and its contents compared."""
    if status[0] == "entry":
        return entry_status(name) == status
    if status[0] == "file" and status[3] is not None:
        try:
            if _fingerprint(os.stat(name)) == status[3]:
                return True
        except OSError:
            return False
    current = file_status(name)
    return current[:3] == status[:3]


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

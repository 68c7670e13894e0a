"""Bytes on disk -> Notebook. Every way a file can be broken becomes a LoadError with a reason.

Parsing is deliberately structural (the keys and types the rules rely on) rather than a full
nbformat schema validation: the schema validator is slow to import and to run, and a linter should
check a notebook that Jupyter itself opens. nbformat 3 files are upgraded with nbformat's own
converter, imported only for them.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
from collections.abc import Mapping

from .model import Cell, Notebook
from .records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any, BinaryIO

CELL_TYPES = frozenset({"code", "markdown", "raw"})
_TOO_DEEP = "JSON nested deeper than nbcheck reads (Python's recursion limit)"


class LoadError(Exception):
    """A notebook that cannot be read; str() is the one-line reason, without the file name."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


# Notebooks with embedded images run to tens of megabytes; past this, a file is no notebook to lint
# (and a file that grows while it is read ends here).
MAX_FILE_BYTES = 256 * 2**20

# Without waiting for a named pipe's writer, without taking a terminal as the controlling one; the
# flags a platform lacks (Windows has no O_NONBLOCK) are 0 there.
_READ_FLAGS = os.O_RDONLY | sum(
    getattr(os, name, 0) for name in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY")
)

_NOT_REGULAR = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def load(path: str) -> Notebook:
    """Read and parse the notebook at `path`."""
    return loads(read_bytes(path), path)


def read_bytes(path: str) -> bytes:
    return read_notebook(path)[0]


def read_notebook(path: str) -> tuple[bytes, os.stat_result]:
    """The bytes of the notebook file at `path` and its status before they were read, or a
    LoadError."""
    try:
        return read_file(path)
    except IsADirectoryError:
        raise LoadError(path, "is a directory, not a notebook file") from None
    except FileNotFoundError:
        if os.path.islink(path):
            raise LoadError(path, f"broken symbolic link to {os.readlink(path)}") from None
        raise LoadError(path, "no such file") from None
    except PermissionError:
        raise LoadError(path, "permission denied") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LoadError(path, "symbolic link loop") from None
        raise LoadError(path, error.strerror or str(error)) from None


def read_file(path: str, limit: int = MAX_FILE_BYTES) -> tuple[bytes, os.stat_result]:
    """The contents of the regular file at `path`, at most `limit` bytes, and its status
    before they were read.

    Anything else raises OSError with a one-line strerror, before a byte is read: a named pipe
    (opening one blocks until a writer comes; it is opened without waiting and refused), a device
    (/dev/zero never ends), a socket, a file larger than `limit`. The file is opened once and what
    was opened is what is checked, so a file swapped for another after a check is not read."""
    descriptor = os.open(path, _READ_FLAGS)
    try:
        status = os.fstat(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        if not stat.S_ISREG(status.st_mode):
            kind = next((kind for test, kind in _NOT_REGULAR if test(status.st_mode)), "not a file")
            raise OSError(errno.EINVAL, f"{kind}, not a regular file", path)
    except BaseException:
        os.close(descriptor)
        raise
    with open(descriptor, "rb") as handle:
        return read_limited(handle, limit, path, status.st_size), status


def read_limited(handle: BinaryIO, limit: int, path: str, size: int | None = None) -> bytes:
    """All of `handle`, or OSError(EFBIG) when it holds more than `limit` bytes. `size`, the
    bytes a file's status says it holds, is read in one piece of that size (a buffer of `limit`
    bytes costs a notebook's read three times over); what it holds beyond, up to the limit."""
    expected = limit if size is None else min(size, limit)
    data = handle.read(expected + 1)
    if expected < len(data) <= limit:  # it grew since its status was taken
        data += handle.read(limit + 1 - len(data))
    if len(data) > limit:
        message = f"larger than {limit // 2**20} MiB, the most nbcheck reads"
        raise OSError(errno.EFBIG, message, path)
    return data


def loads(data: bytes | str, path: str) -> Notebook:
    """Parse notebook JSON already in memory (`path` names it in errors and diagnostics)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        raise LoadError(path, "file is empty")
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise LoadError(path, "not valid JSON: the file is not UTF-8 text (binary data?)") from None
    except json.JSONDecodeError as error:
        reason = f"{error.msg} at line {error.lineno}, column {error.colno}"
        raise LoadError(path, f"not valid JSON: {reason}") from None
    except RecursionError:  # the decoder recurses once per level of arrays and objects
        raise LoadError(path, f"not valid JSON for nbcheck: {_TOO_DEEP}") from None
    except ValueError:  # the only other: int() refuses more digits than the interpreter allows
        limit = sys.get_int_max_str_digits()
        reason = f"an integer in the JSON has more than {limit} digits"
        raise LoadError(path, f"not valid JSON for nbcheck: {reason}") from None
    return from_dict(document, path)


def from_dict(document: Any, path: str) -> Notebook:
    """Build a Notebook from decoded notebook JSON."""
    if not isinstance(document, dict):
        raise LoadError(path, f"not a notebook: the JSON is {_kind(document)}, not an object")
    version = document.get("nbformat")
    if version is None:
        if "cells" not in document and "worksheets" not in document:
            raise LoadError(path, "not a notebook: no 'nbformat' and no 'cells' key")
        raise LoadError(path, "not a notebook: missing key 'nbformat'")
    if not isinstance(version, int) or isinstance(version, bool):
        raise LoadError(path, f"'nbformat' must be an integer, got {_kind(version)}")
    if version == 3:
        document = _upgrade_v3(document, path)
    elif version != 4:
        raise LoadError(path, f"unsupported nbformat {version} (nbcheck reads nbformat 3 and 4)")
    minor = document.get("nbformat_minor", 0)
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise LoadError(path, f"'nbformat_minor' must be an integer, got {_kind(minor)}")
    metadata = document.get("metadata", {})
    if not isinstance(metadata, dict):
        raise LoadError(path, f"notebook 'metadata' must be an object, got {_kind(metadata)}")
    raw_cells = document.get("cells")
    if raw_cells is None:
        raise LoadError(path, "not a notebook: missing key 'cells'")
    if not isinstance(raw_cells, list):
        raise LoadError(path, f"'cells' must be a list, got {_kind(raw_cells)}")
    cells = tuple(_cell(raw, index, path) for index, raw in enumerate(raw_cells, start=1))
    return Notebook(path=path, cells=cells, metadata=metadata, nbformat=4, nbformat_minor=minor)


def _cell(raw: Any, index: int, path: str) -> Cell:
    def fail(reason: str) -> LoadError:
        return LoadError(path, f"cell {index}: {reason}")

    if not isinstance(raw, dict):
        raise fail(f"a cell must be an object, got {_kind(raw)}")
    cell_type = raw.get("cell_type")
    if cell_type is None:
        raise fail("missing key 'cell_type'")
    if not isinstance(cell_type, str) or cell_type not in CELL_TYPES:
        raise fail(f"unknown cell_type {cell_type!r} (expected code, markdown or raw)")
    if "source" not in raw:
        raise fail("missing key 'source'")
    source = _multiline(raw["source"])
    if source is None:
        raise fail("'source' must be a string or a list of strings")
    cell_id = raw.get("id")
    if cell_id is not None and not isinstance(cell_id, str):
        raise fail(f"'id' must be a string, got {_kind(cell_id)}")
    metadata = raw.get("metadata", {})
    if not isinstance(metadata, dict):
        raise fail(f"'metadata' must be an object, got {_kind(metadata)}")
    tags = metadata.get("tags", ())
    if not isinstance(tags, list | tuple) or (
        tags and not all(isinstance(tag, str) for tag in tags)
    ):
        raise fail("metadata 'tags' must be a list of strings")
    execution_count = None
    outputs: tuple[Mapping[str, Any], ...] = ()
    if cell_type == "code":
        execution_count = raw.get("execution_count")
        if execution_count is not None and (
            not isinstance(execution_count, int) or isinstance(execution_count, bool)
        ):
            raise fail(
                f"'execution_count' must be an integer or null, got {_kind(execution_count)}"
            )
        raw_outputs = raw.get("outputs", [])
        if not isinstance(raw_outputs, list):
            raise fail(f"'outputs' must be a list, got {_kind(raw_outputs)}")
        for output in raw_outputs:
            if not isinstance(output, dict) or not isinstance(output.get("output_type"), str):
                raise fail("every output must be an object with an 'output_type'")
        outputs = tuple(raw_outputs)
    return Cell(
        index=index,
        id=cell_id,
        cell_type=cell_type,
        source=source,
        execution_count=execution_count,
        outputs=outputs,
        tags=tuple(tags),
    )


def _multiline(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        try:
            return "".join(value)
        except TypeError:  # a part that is not a string
            return None
    return None


def _upgrade_v3(document: dict, path: str) -> dict:
    import nbformat
    from nbformat.converter import convert

    try:
        # As nbformat.reads does: join the lines that version 3 saves as lists, then convert.
        old = nbformat.versions[3].to_notebook_json(document, minor=document.get("nbformat_minor"))
        upgraded = _plain(convert(old, 4))
    except Exception as error:  # nbformat raises a variety of types on malformed v3 input
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise LoadError(path, f"nbformat 3 notebook could not be upgraded: {first_line}") from None
    # The conversion makes up a random id for each cell: the file has none, and a finding names
    # no id that differs from run to run.
    for cell in upgraded.get("cells", []):
        cell.pop("id", None)
    return upgraded


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__

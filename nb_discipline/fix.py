"""`nbcheck --fix`: which fixes apply, and applying them, with ruff's meaning throughout.

A fix applies when its rule is fixable (`fixable` and `extend-fixable` against `unfixable`, the
most specific selector deciding and `unfixable` winning a tie) and its applicability, after
`extend-safe-fixes` and `extend-unsafe-fixes` (the same way, `extend-unsafe-fixes` winning a tie),
is `safe`, or `unsafe` with `--unsafe-fixes`.

Applying them to a notebook, as ruff applies them to a file: the applicable fixes are taken in
order of position, a fix whose edits overlap or touch an edit already taken in this pass is left
for the next (an identical one counts as fixed: two findings asking for the same edit get it once),
and the notebook is checked again after each pass, until a pass takes nothing (at most
MAX_ITERATIONS passes). A fix that would bring a syntax error into a cell that had none reverts
every edit to that notebook. Nothing is run: the edits are text.

Edits to other files (`Edit.filename`, a dependency file) are kept in that file's original
coordinates: the check reads the file from disk, which changes only when everything is written,
so a later pass proposes the same edit again (it is not applied twice) and an edit that overlaps
one already taken waits for the next run.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import Counter

from .model import SAFE, UNSAFE, Diagnostic, Edit, FileError, Notebook
from .records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .config import Settings
    from .rules import Rule

MAX_ITERATIONS = 100  # ruff's bound on re-checking after fixes
_NEWLINE = re.compile(r"\r\n|\r|\n")  # lines as Python's tokenizer counts them, as rows do


class Policy(Record):
    """The fix settings: `unsafe_fixes` None means not said (the summary then hints at them)."""

    unsafe_fixes: bool | None = None
    fixable: tuple[str, ...] = ("ALL",)
    extend_fixable: tuple[str, ...] = ()
    unfixable: tuple[str, ...] = ()
    extend_safe_fixes: tuple[str, ...] = ()
    extend_unsafe_fixes: tuple[str, ...] = ()

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        return cls(*(getattr(settings, field) for field in cls._fields))

    def applicability(self, diagnostic: Diagnostic) -> str | None:
        """`safe` or `unsafe` as configured, or None: no fix, or the rule is not fixable."""
        if diagnostic.fix is None:
            return None
        fixable = _specificity(diagnostic, (*self.fixable, *self.extend_fixable))
        unfixable = _specificity(diagnostic, self.unfixable)
        if fixable is None or (unfixable is not None and unfixable >= fixable):
            return None
        safe = _specificity(diagnostic, self.extend_safe_fixes)
        unsafe = _specificity(diagnostic, self.extend_unsafe_fixes)
        if unsafe is not None and (safe is None or unsafe >= safe):
            return UNSAFE
        if safe is not None:
            return SAFE
        return diagnostic.fix.applicability

    def applies(self, diagnostic: Diagnostic) -> bool:
        """Whether `--fix` applies this finding's fix (ruff's `[*]`)."""
        applicability = self.applicability(diagnostic)
        return applicability == SAFE or (applicability == UNSAFE and bool(self.unsafe_fixes))

    def hidden(self, diagnostic: Diagnostic) -> bool:
        """An unsafe fix that `--unsafe-fixes` would apply."""
        return self.applicability(diagnostic) == UNSAFE and not self.unsafe_fixes


def _specificity(diagnostic: Diagnostic, selectors: Iterable[str]) -> int | None:
    """How specific the most specific selector that names the finding's rule is (ALL 0, a code
    prefix its length, the code or the rule's name the most), or None when none names it."""
    best = None
    for selector in selectors:
        if selector.upper() == "ALL":
            value = 0
        elif selector == diagnostic.name:
            value = len(diagnostic.code)
        elif diagnostic.code.startswith(selector.upper()):
            value = len(selector)
        else:
            continue
        best = value if best is None else max(best, value)
    return best


def position(text: str, row: int, column: int) -> int | None:
    """The offset in `text` of a 1-based row and column (columns in characters; the row after
    the last newline, column 1, is the end), or None when there is no such place."""
    if row < 1 or column < 1:
        return None
    start = 0
    for _ in range(row - 1):
        match = _NEWLINE.search(text, start)
        if match is None:
            return None
        start = match.end()
    line = _NEWLINE.search(text, start)
    line_end = len(text) if line is None else line.start()
    offset = start + column - 1
    return offset if offset <= line_end else None


def apply_edits(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, content) replacement made; the spans must not overlap."""
    pieces, last = [], 0
    for start, end, content in sorted(edits):
        pieces.append(text[last:start])
        pieces.append(content)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


class FileEdits(Record):
    """The edits taken for one other file, in its text as it was read (`digest` of its bytes)."""

    digest: bytes
    edits: tuple[tuple[int, int, str], ...]


class Outcome(Record):
    """What fixing one notebook gave."""

    path: str
    original: bytes
    sources: dict[int, tuple[str, str]]
    """Each edited cell's source before and after."""
    fixed: dict[str, int]
    """Fixes applied, per rule code."""
    diagnostics: list[Diagnostic]
    """What the last check found (after the edits to the notebook)."""
    files: dict[str, FileEdits]
    """Edits to other files, by absolute path."""
    warning: str | None = None


def fix_notebook(
    notebook: Notebook,
    original: bytes,
    settings: Settings,
    policy: Policy,
    rules: Sequence[Rule] | None = None,
    other_files: bool = True,
) -> Outcome:
    """Apply the applicable fixes to `notebook` (read from the bytes `original`) in memory,
    checking again after each pass; `other_files` False leaves the fixes that edit other files
    out (a notebook read from stdin)."""
    from .engine import check

    cells = {cell.index: cell for cell in notebook.cells}
    current = notebook
    diagnostics = check(current, settings, rules)
    fixed: Counter[str] = Counter()
    files: dict[str, _OtherFile] = {}
    warning = None
    for _ in range(MAX_ITERATIONS):
        step = _Pass(current, files)
        for diagnostic in sorted((d for d in diagnostics if policy.applies(d)), key=_fix_order):
            edits = diagnostic.fix.edits
            if not other_files and any(edit.filename is not None for edit in edits):
                continue
            if step.take(edits):
                fixed[diagnostic.code] += 1
        if not step.changed_cells:
            break
        updated = current._replace(
            cells=tuple(
                cell._replace(source=step.changed_cells[cell.index])
                if cell.index in step.changed_cells
                else cell
                for cell in current.cells
            )
        )
        broken = _newly_broken(current, updated, step.changed_cells)
        if broken is not None:
            warning = (
                f"a fix would bring a syntax error into cell {broken}; nothing in this notebook "
                "was changed (please report it)"
            )
            return Outcome(
                notebook.path, original, {}, {}, check(notebook, settings, rules), {}, warning
            )
        current = updated
        diagnostics = check(current, settings, rules)
    else:
        warning = f"fixes did not settle after {MAX_ITERATIONS} passes (please report it)"
    sources = {
        index: (cells[index].source, cell.source)
        for index, cell in enumerate(current.cells, start=1)
        if cell.source != cells[index].source
    }
    taken = {
        path: FileEdits(file.digest, tuple(file.taken))
        for path, file in files.items()
        if file.taken
    }
    return Outcome(notebook.path, original, sources, dict(fixed), diagnostics, taken, warning)


def _fix_order(diagnostic: Diagnostic) -> tuple:
    """Fixes are taken in order of their first edit's place: cells first, then other files."""
    first = min(
        (0, edit.cell or 0, "", edit.location.row, edit.location.column)
        if edit.filename is None
        else (1, 0, edit.filename, edit.location.row, edit.location.column)
        for edit in diagnostic.fix.edits
    )
    return (first, diagnostic.code, diagnostic.sort_key())


class _OtherFile:
    """Another file a fix edits: its text as read, and the edits taken so far (every pass)."""

    def __init__(self, path: str) -> None:
        from _blake2 import blake2b

        from .loader import read_file

        data = read_file(path)[0]
        self.digest = blake2b(data, digest_size=16).digest()
        self.text = data.decode("utf-8")
        self.taken: list[tuple[int, int, str]] = []


class _Pass:
    """The edits taken in one pass: those to cells, and those to other files."""

    def __init__(self, notebook: Notebook, files: dict[str, _OtherFile]) -> None:
        self.notebook = notebook
        self.files = files
        self.cell_edits: dict[int, list[tuple[int, int, str]]] = {}
        self.new_file_edits: set[tuple[str, int, int, str]] = set()
        self.changed_cells: dict[int, str] = {}

    def take(self, edits: Sequence[Edit]) -> bool:
        """Take a fix's edits unless one conflicts. True when taken, or when identical to edits
        taken in this pass (the fix is made); False when left for the next pass, or when its
        edits to other files were taken in an earlier one (counted then)."""
        resolved = [self._resolve(edit) for edit in edits]
        if not resolved or any(item is None for item in resolved):
            return False
        if all(self._has(item) for item in resolved):
            return True
        fresh = [item for item in resolved if not self._has(item) and not self._taken_before(item)]
        if not fresh or any(self._conflicts(item) for item in fresh):
            return False
        for position, (target, start, end, _) in enumerate(fresh):
            for other, other_start, other_end, _ in fresh[position + 1 :]:
                if other == target and start <= other_end and other_start <= end:
                    return False  # a fix whose own edits overlap
        for target, start, end, content in fresh:
            if isinstance(target, int):
                self.cell_edits.setdefault(target, []).append((start, end, content))
                cell = self.notebook.cell(target)
                self.changed_cells[target] = apply_edits(cell.source, self.cell_edits[target])
            else:
                self.files[target].taken.append((start, end, content))
                self.new_file_edits.add((target, start, end, content))
        return True

    def _resolve(self, edit: Edit) -> tuple | None:
        """(cell index or absolute path, start, end, content), or None for an edit whose place
        does not exist (or a file that cannot be read as UTF-8 text)."""
        if edit.filename is None:
            if edit.cell is None or not 0 < edit.cell <= len(self.notebook.cells):
                return None
            target, text = edit.cell, self.notebook.cell(edit.cell).source
        else:
            target = os.path.abspath(edit.filename)
            if target not in self.files:
                try:
                    self.files[target] = _OtherFile(target)
                except (OSError, UnicodeDecodeError):
                    return None
            text = self.files[target].text
        start = position(text, *edit.location)
        end = position(text, *edit.end_location)
        if start is None or end is None or end < start:
            return None
        return (target, start, end, edit.content)

    def _has(self, item: tuple) -> bool:
        target, start, end, content = item
        if isinstance(target, int):
            return (start, end, content) in self.cell_edits.get(target, ())
        return item in self.new_file_edits

    def _taken_before(self, item: tuple) -> bool:
        target = item[0]
        return not isinstance(target, int) and item[1:] in self.files[target].taken

    def _conflicts(self, item: tuple) -> bool:
        """Overlapping or touching an edit already taken (ruff's rule: two insertions at one
        place, or an edit that starts where another ends, wait for the next pass)."""
        target, start, end, _ = item
        taken = (
            self.cell_edits.get(target, ()) if isinstance(target, int) else self.files[target].taken
        )
        return any(start <= other_end and other_start <= end for other_start, other_end, _ in taken)


def _newly_broken(before: Notebook, after: Notebook, changed: dict[int, str]) -> int | None:
    """The first edited code cell that parsed before the edits and does not after."""
    if not before.is_python:
        return None
    from .analysis.source import parse_cell

    for index in sorted(changed):
        cell = after.cell(index)
        if not cell.is_code:
            continue
        if (
            parse_cell(cell).syntax_error is not None
            and parse_cell(before.cell(index)).syntax_error is None
        ):
            return index
    return None


# --- writing ---------------------------------------------------------------------------------


def notebook_bytes(outcome: Outcome) -> bytes | None:
    """The fixed notebook's bytes (every byte outside the edited sources as it was), or None
    when no cell changed."""
    if not outcome.sources:
        return None
    from .loader import loads
    from .notebook_json import NotebookTextError, replace_sources

    expected = {index: after for index, (_, after) in outcome.sources.items()}
    data = replace_sources(outcome.original, expected)
    # What is written must read back as the notebook the fixes made, cell for cell (ids
    # aside: upgrading an nbformat 3 notebook makes new ones each time).
    before, after = loads(outcome.original, outcome.path), loads(data, outcome.path)
    if len(after.cells) != len(before.cells) or any(
        new.source != expected.get(new.index, old.source)
        or new._replace(source="", id=None) != old._replace(source="", id=None)
        for old, new in zip(before.cells, after.cells, strict=True)
    ):
        raise NotebookTextError("the rewritten JSON does not read back as the fixed notebook")
    return data


def merge_file_edits(
    outcomes: Iterable[Outcome],
) -> tuple[dict[str, tuple[bytes, bytes]], list[FileError]]:
    """Each other file the outcomes edit: its bytes as read and with the edits made, the edits
    of every notebook merged (an identical edit from two notebooks made once; one that overlaps
    another left for the next run)."""
    from _blake2 import blake2b

    from .loader import read_file

    merged: dict[str, tuple[bytes, list[tuple[int, int, str]]]] = {}
    errors: list[FileError] = []
    for outcome in outcomes:
        for path, file_edits in outcome.files.items():
            digest, taken = merged.setdefault(path, (file_edits.digest, []))
            if digest != file_edits.digest:
                errors.append(FileError(path, "changed on disk while nbcheck read it; not fixed"))
                continue
            for edit in file_edits.edits:
                start, end, _ = edit
                if edit in taken or any(start <= e and s <= end for s, e, _ in taken):
                    continue
                taken.append(edit)
    files: dict[str, tuple[bytes, bytes]] = {}
    for path, (digest, taken) in merged.items():
        try:
            data = read_file(path)[0]
        except OSError as error:
            errors.append(FileError(path, f"cannot read: {error.strerror or error}"))
            continue
        if blake2b(data, digest_size=16).digest() != digest:
            errors.append(FileError(path, "changed on disk since nbcheck read it; not fixed"))
            continue
        files[path] = (data, apply_edits(data.decode("utf-8"), taken).encode("utf-8"))
    return files, errors


def write_atomically(path: str, data: bytes, expected: bytes) -> None:
    """Replace the file at `path` (a symbolic link's target) with `data`, unless its contents
    are no longer `expected`: a temporary file in the same folder, synced, given the file's
    permissions, renamed over it. Raises OSError, or ChangedOnDisk."""
    from .loader import read_file

    target = os.path.realpath(path)
    current, status = read_file(target)
    if current != expected:
        raise ChangedOnDisk(path)
    directory, name = os.path.split(target)
    temporary = os.path.join(directory, f".{name}.{os.getpid()}.nbcheck-fix")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o600)
    try:
        with open(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, status.st_mode & 0o7777)
        if hasattr(os, "chown"):
            # Another owner's file in a folder we may write becomes ours.
            with contextlib.suppress(OSError):
                os.chown(temporary, status.st_uid, status.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    """Make the rename durable (where a folder can be opened and synced)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


class ChangedOnDisk(Exception):
    """The file is no longer what nbcheck read: it is not overwritten."""


def write_notebook(outcome: Outcome) -> FileError | None:
    """Write the fixed notebook, if a cell changed; a FileError when it could not be."""
    data = notebook_bytes(outcome)
    return None if data is None else _write(outcome.path, data, outcome.original)


def write_other_files(outcomes: Iterable[Outcome]) -> tuple[list[str], list[FileError]]:
    """Write every other file the outcomes' fixes edit, their edits merged: the files written,
    and those that could not be."""
    files, errors = merge_file_edits(outcomes)
    changed = []
    for path, (old, new) in files.items():
        error = _write(path, new, old)
        if error is None:
            changed.append(path)
        else:
            errors.append(error)
    return changed, errors


def _write(path: str, data: bytes, expected: bytes) -> FileError | None:
    try:
        write_atomically(path, data, expected)
    except ChangedOnDisk:
        return FileError(path, "changed on disk since nbcheck read it; not fixed")
    except OSError as error:
        return FileError(path, f"cannot write the fix: {error.strerror or error}")
    return None


def diff(outcomes: Iterable[Outcome], other_files: dict[str, tuple[bytes, bytes]]) -> str:
    """A unified diff of each edited cell's source (`path:cell N`, as ruff shows a notebook's),
    then of each other file."""
    import difflib

    pieces = []
    for outcome in outcomes:
        for index, (before, after) in sorted(outcome.sources.items()):
            name = f"{outcome.path}:cell {index}"
            pieces.extend(difflib.unified_diff(_lines(before), _lines(after), name, name))
    for path, (before, after) in sorted(other_files.items()):
        name = _display(path)
        old, new = before.decode("utf-8"), after.decode("utf-8")
        pieces.extend(difflib.unified_diff(_lines(old), _lines(new), name, name))
    return "".join(piece if piece.endswith("\n") else piece + "\n" for piece in pieces)


def _lines(text: str) -> list[str]:
    """Lines with their ends, split where rows are counted."""
    lines, start = [], 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def _display(path: str) -> str:
    """A path as nbcheck shows it: relative to the working directory when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative

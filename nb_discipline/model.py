"""The frozen view of a notebook that every rule reads, and the findings rules produce.

Cells are numbered from 1 and every cell counts, markdown included (ruff's convention). Rows and
columns are 1-based and relative to the cell's own source.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import Any

PYTHON_LANGUAGES = frozenset({"python", "python3", "ipython", "ipython3"})
# The language of well-known kernels, for notebooks whose metadata names the kernel but not its
# language (Colab saves an R notebook as `"kernelspec": {"name": "ir", "display_name": "R"}`).
KERNEL_LANGUAGES = {"ir": "r", "julia": "julia", "sagemath": "sage", "sage": "sage"}


class Cell(Record):
    index: int
    id: str | None
    cell_type: str
    source: str
    execution_count: int | None = None
    outputs: tuple[Mapping[str, Any], ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def is_code(self) -> bool:
        return self.cell_type == "code"

    @property
    def lines(self) -> list[str]:
        return self.source.splitlines()


class Notebook(Record):
    path: str
    cells: tuple[Cell, ...]
    metadata: Mapping[str, Any] = MappingProxyType({})
    nbformat: int = 4
    nbformat_minor: int = 5

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(cell for cell in self.cells if cell.cell_type == "code")

    @property
    def language(self) -> str:
        """The kernel's language, lower-cased; notebooks that do not say are taken as Python."""
        return self._named_language or "python"

    @property
    def names_its_language(self) -> bool:
        """Whether the metadata says the kernel's language (or names a kernel known here); a
        notebook whose metadata was stripped is taken as Python without saying it is."""
        return self._named_language is not None

    @property
    def ran_python_2(self) -> bool:
        """The version the kernel reported (`language_info`) is 2.x, or, without one, the
        kernelspec is `python2`."""
        language_info = self.metadata.get("language_info")
        if isinstance(language_info, Mapping) and isinstance(language_info.get("version"), str):
            return language_info["version"].startswith("2.")
        kernelspec = self.metadata.get("kernelspec")
        return isinstance(kernelspec, Mapping) and kernelspec.get("name") == "python2"

    @property
    def _named_language(self) -> str | None:
        language_info = self.metadata.get("language_info")
        if isinstance(language_info, Mapping) and isinstance(language_info.get("name"), str):
            return language_info["name"].lower()
        kernelspec = self.metadata.get("kernelspec")
        if isinstance(kernelspec, Mapping):
            if isinstance(kernelspec.get("language"), str):
                return kernelspec["language"].lower()
            name = kernelspec.get("name")
            if isinstance(name, str):
                prefix = name.lower().split("-")[0]
                return "python" if prefix.startswith("python") else KERNEL_LANGUAGES.get(prefix)
        return None

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON_LANGUAGES

    def cell(self, index: int) -> Cell:
        return self.cells[index - 1]


class Location(Record):
    row: int
    column: int


class Edit(Record):
    """Replace the text between `location` and `end_location` (an empty span inserts) with
    `content`: in cell `cell` of the notebook (rows and columns relative to the cell's source,
    as a finding's), or, when `filename` is set, in that file (a dependency file; a path that
    nbcheck's working directory resolves, as a finding's `filename`), its rows and columns those
    of its text decoded from UTF-8. Rows are counted as Python's tokenizer counts lines (`\r\n`,
    `\r`, `\n`), columns in characters (code points); the row after a final newline, column 1,
    is the end."""

    content: str
    location: Location
    end_location: Location
    cell: int | None = None
    filename: str | None = None

    def to_dict(self) -> dict[str, Any]:
        edit = {
            "content": self.content,
            "location": {"row": self.location.row, "column": self.location.column},
            "end_location": {"row": self.end_location.row, "column": self.end_location.column},
            "cell": self.cell,
        }
        if self.filename is not None:
            edit["filename"] = self.filename
        return edit

    def plain(self) -> tuple:
        return (
            self.content,
            tuple(self.location),
            tuple(self.end_location),
            self.cell,
            self.filename,
        )

    @classmethod
    def from_plain(cls, fields: tuple) -> Edit:
        content, location, end_location, cell, filename = fields
        return cls(content, Location(*location), Location(*end_location), cell, filename)


SAFE, UNSAFE = "safe", "unsafe"


class Fix(Record):
    """The edits that resolve a finding, with ruff's meaning of `applicability`: `safe` keeps
    the program's behaviour, `unsafe` may change it (applied only with `--unsafe-fixes`)."""

    applicability: str
    message: str
    edits: tuple[Edit, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [edit.to_dict() for edit in self.edits],
        }

    def plain(self) -> tuple:
        return (self.applicability, self.message, tuple(edit.plain() for edit in self.edits))

    @classmethod
    def from_plain(cls, fields: tuple) -> Fix:
        applicability, message, edits = fields
        return cls(applicability, message, tuple(Edit.from_plain(edit) for edit in edits))


class Diagnostic(Record):
    """One finding, with the fields of the JSON contract in docs/architecture.md."""

    code: str
    name: str
    message: str
    filename: str
    cell: int
    cell_id: str | None
    location: Location
    end_location: Location
    severity: str = "warning"
    url: str | None = None
    help: str | None = None
    symbol: str | None = None
    fix: Fix | None = None

    def sort_key(self) -> tuple:
        return (
            self.filename,
            self.cell,
            self.location.row,
            self.location.column,
            self.code,
            self.message,
        )

    def plain(self) -> tuple:
        """The fields as built-in values only (what `marshal` writes); `from_plain` reverses it."""
        plain = {"location": tuple(self.location), "end_location": tuple(self.end_location)}
        if self.fix is not None:
            plain["fix"] = self.fix.plain()
        return tuple(self._replace(**plain))

    @classmethod
    def from_plain(cls, fields: tuple) -> Diagnostic:
        diagnostic = cls(*fields)
        return diagnostic._replace(
            location=Location(*diagnostic.location),
            end_location=Location(*diagnostic.end_location),
            fix=None if diagnostic.fix is None else Fix.from_plain(diagnostic.fix),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "filename": self.filename,
            "cell": self.cell,
            "cell_id": self.cell_id,
            "location": {"row": self.location.row, "column": self.location.column},
            "end_location": {"row": self.end_location.row, "column": self.end_location.column},
            "severity": self.severity,
            "url": self.url,
            "help": self.help,
            "fix": None if self.fix is None else self.fix.to_dict(),
            "symbol": self.symbol,
        }


class FileError(Record):
    """A file that could not be checked: the CLI prints it on one line and exits with 2."""

    filename: str
    reason: str

    def __str__(self) -> str:
        return f"{self.filename}: {self.reason}"


class CheckResult:
    """What checking some files gave: the findings, the files that could not be checked, and how
    many were; with `--fix`, `--fix-only` or `--diff`, what was fixed. Every reporter renders
    one."""

    __slots__ = (
        "checked",
        "diagnostics",
        "diff",
        "errors",
        "fix_mode",
        "fixed",
        "fixed_notebook",
        "policy",
        "show_fixes",
    )

    def __init__(
        self,
        diagnostics: list[Diagnostic] | None = None,
        errors: list[FileError] | None = None,
        checked: int = 0,
    ) -> None:
        self.diagnostics = [] if diagnostics is None else diagnostics
        self.errors = [] if errors is None else errors
        self.checked = checked
        self.policy: Any = None
        """The fix settings (nb_discipline.fix.Policy) that say which findings `--fix` fixes;
        None: the defaults."""
        self.fix_mode: str | None = None
        """"fix", "fix-only" or "diff" when fixes were applied (or, for "diff", shown)."""
        self.fixed: dict[str, dict[str, int]] = {}
        """Per file, the fixes applied (or that `--diff` shows) per rule code."""
        self.show_fixes = False
        """List the fixes applied (`--show-fixes`)."""
        self.diff = ""
        """`--diff`: the unified diff of the sources the fixes change."""
        self.fixed_notebook: bytes | None = None
        """A notebook read from stdin, fixed: it is written to stdout."""

"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

A notebook's rows are relative to its cell, not to the .ipynb file, so the annotation carries the
cell in its title and message and points at the top of the file.
"""

from __future__ import annotations

from ..model import CheckResult


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics, errors = result.diagnostics, result.errors
    out = []
    for d in diagnostics:
        level = "error" if d.severity == "error" else "warning"
        title = _escape_property(f"{d.code} {d.name} (cell {d.cell})")
        message = _escape_data(
            f"cell {d.cell}:{d.location.row}:{d.location.column}: {d.code} {d.message}"
        )
        out.append(f"::{level} title={title},file={_escape_property(d.filename)},line=1::{message}")
    for error in errors:
        message = _escape_data(f"could not be checked: {error.reason}")
        out.append(f"::error title=nbcheck,file={_escape_property(error.filename)}::{message}")
    return "".join(entry + "\n" for entry in out)

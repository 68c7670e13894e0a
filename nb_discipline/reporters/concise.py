"""One line per finding and nothing else, for editors and grep."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Diagnostic, FileError
from .text import line


def render(
    diagnostics: Sequence[Diagnostic],
    *,
    errors: Sequence[FileError] = (),
    checked: int = 0,
    color: bool = False,
) -> str:
    return "".join(line(diagnostic, color) + "\n" for diagnostic in diagnostics)

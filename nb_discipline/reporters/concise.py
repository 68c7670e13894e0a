"""One line per finding and nothing else, for editors and grep."""

from __future__ import annotations

from ..model import CheckResult
from .text import line


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics = result.diagnostics
    return "".join(line(diagnostic, color) + "\n" for diagnostic in diagnostics)

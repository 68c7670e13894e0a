"""One line per finding and nothing else, for editors and grep."""

from __future__ import annotations

from ..model import CheckResult
from .text import line, policy


def render(result: CheckResult, color: bool = False) -> str:
    fixes = policy(result)
    return "".join(line(d, color, fixes.applies(d)) + "\n" for d in result.diagnostics)

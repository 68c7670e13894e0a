"""A JSON list of findings with ruff's field names (the contract in DESIGN.md)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from ..model import Diagnostic, FileError


def render(
    diagnostics: Sequence[Diagnostic],
    *,
    errors: Sequence[FileError] = (),
    checked: int = 0,
    color: bool = False,
) -> str:
    payload = [diagnostic.to_dict() for diagnostic in diagnostics]
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"

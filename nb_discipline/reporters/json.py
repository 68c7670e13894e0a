"""A JSON list of findings with ruff's field names (the contract in DESIGN.md)."""

from __future__ import annotations

import orjson

from ..model import CheckResult


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics = result.diagnostics
    payload = [diagnostic.to_dict() for diagnostic in diagnostics]
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"

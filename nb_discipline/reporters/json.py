"""A JSON list of findings with ruff's field names (the contract in docs/architecture.md)."""

from __future__ import annotations

import json

from ..model import CheckResult


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics = result.diagnostics
    payload = [diagnostic.to_dict() for diagnostic in diagnostics]
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"

"""One JSON object per line, same fields as the json format."""

from __future__ import annotations

import json

from ..model import CheckResult


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics = result.diagnostics
    return "".join(
        json.dumps(d.to_dict(), ensure_ascii=False, separators=(",", ":")) + "\n"
        for d in diagnostics
    )

"""One JSON object per line, same fields as the json format."""

from __future__ import annotations

import orjson

from ..model import CheckResult


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics = result.diagnostics
    return "".join(orjson.dumps(d.to_dict()).decode() + "\n" for d in diagnostics)

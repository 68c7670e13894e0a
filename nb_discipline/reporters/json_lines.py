"""One JSON object per line, same fields as the json format."""

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
    return "".join(orjson.dumps(d.to_dict()).decode() + "\n" for d in diagnostics)

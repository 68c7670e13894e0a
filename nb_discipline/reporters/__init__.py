"""Output formats. Each module has render(result, color=False) -> str and imports nothing heavy."""

from __future__ import annotations

import importlib

from ..records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Protocol

    from ..model import CheckResult

    class Renderer(Protocol):
        def __call__(self, result: CheckResult, color: bool = False) -> str: ...


FORMATS = ("text", "concise", "json", "json-lines", "github", "sarif", "junit")


def renderer(output_format: str) -> Renderer:
    if output_format not in FORMATS:
        raise ValueError(
            f"unknown output format {output_format!r}; choose from {', '.join(FORMATS)}"
        )
    module = importlib.import_module(f".{output_format.replace('-', '_')}", __name__)
    return module.render

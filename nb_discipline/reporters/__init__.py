"""Output formats. Each module has render(diagnostics, **context) -> str and imports nothing heavy."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol

from ..model import Diagnostic, FileError

FORMATS = ("text", "concise", "json", "json-lines", "github", "sarif", "junit")


class Renderer(Protocol):
    def __call__(
        self,
        diagnostics: Sequence[Diagnostic],
        *,
        errors: Sequence[FileError] = (),
        checked: int = 0,
        color: bool = False,
    ) -> str: ...


def renderer(output_format: str) -> Renderer:
    if output_format not in FORMATS:
        raise ValueError(
            f"unknown output format {output_format!r}; choose from {', '.join(FORMATS)}"
        )
    module = importlib.import_module(f".{output_format.replace('-', '_')}", __name__)
    return module.render

"""Notebooks built in code, for tests: `notebook(code("x = 1", count=1), markdown("# Title"))`."""

from __future__ import annotations

import itertools
import json
import subprocess
from pathlib import Path
from typing import Any

from nb_discipline.loader import from_dict
from nb_discipline.model import Notebook

_ids = itertools.count(1)


def code(
    source: str,
    count: int | None = None,
    *,
    outputs: list[dict[str, Any]] | None = None,
    tags: list[str] | None = None,
    cell_id: str | None = None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"tags": tags} if tags else {}
    return {
        "cell_type": "code",
        "id": cell_id or f"cell-{next(_ids)}",
        "metadata": metadata,
        "execution_count": count,
        "source": source,
        "outputs": outputs or [],
    }


def markdown(source: str, *, cell_id: str | None = None) -> dict[str, Any]:
    return {
        "cell_type": "markdown",
        "id": cell_id or f"cell-{next(_ids)}",
        "metadata": {},
        "source": source,
    }


def error_output(ename: str = "ValueError", evalue: str = "bad value") -> dict[str, Any]:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}


def stream_output(text: str, name: str = "stdout") -> dict[str, Any]:
    return {"output_type": "stream", "name": name, "text": text}


def notebook_dict(
    *cells: dict[str, Any], language: str = "python", metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    kernel = {"python": ("python3", "Python 3"), "R": ("ir", "R"), "julia": ("julia-1.10", "Julia")}
    name, display = kernel.get(language, (language, language))
    meta = {
        "kernelspec": {"name": name, "display_name": display, "language": language},
        "language_info": {"name": language},
    }
    meta.update(metadata or {})
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": list(cells)}


def notebook(*cells: dict[str, Any], path: str = "test.ipynb", **kwargs: Any) -> Notebook:
    return from_dict(notebook_dict(*cells, **kwargs), path)


def write_notebook(path: Path, *cells: dict[str, Any], **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook_dict(*cells, **kwargs), indent=1) + "\n", encoding="utf-8")
    return path


def git(directory, *arguments: str) -> str:
    """Run git in `directory` with a throwaway identity; its output, stripped."""
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

"""Baseline files: what a notebook's metrics were when its author recorded them.

`train.ipynb` -> `train.repro.json` beside it (or under `baseline-dir`, mirroring the notebook's path
from the project root). The file is written for review in a diff: sorted, one value per line, a
metric logged once as a number, a history as `{"step": value}`; no timestamps, no run ids; `runs`
says how many agreeing runs it was written from (1: checked against nothing). Outputs are recorded,
sanitized, only for a notebook that logs no metrics, which is judged on them. `reads` lists the
files of the project the run read (path from the project's root, size, sha256) and the URLs it
fetched; a baseline written before nbcheck recorded them has none, and nothing is compared.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from ..model import Notebook
from .compare import BaselineData, CompareOptions, comparable_text, project_files
from .results import CellOutput, Execution, MlflowRun

FORMAT_KEY = "nbcheck-repro-baseline"
FORMAT_VERSION = 1
SUFFIX = ".repro.json"


class BaselineError(Exception):
    """A baseline that cannot be read; the message names the file and the reason."""


def baseline_path(notebook_path: str, baseline_dir: str | None, root: str) -> Path:
    notebook = Path(notebook_path)
    if not baseline_dir:
        return notebook.with_suffix(SUFFIX)
    base = Path(root) / baseline_dir
    try:
        relative = notebook.resolve().relative_to(Path(root).resolve())
    except ValueError:
        relative = Path(notebook.name)
    return (base / relative).with_suffix(SUFFIX)


def notebook_sha256(notebook: Notebook) -> str:
    """A hash of what the notebook runs (its code cells' sources), blind to outputs and metadata."""
    digest = hashlib.sha256()
    for cell in notebook.code_cells:
        digest.update(cell.source.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def read_baseline(path: Path) -> BaselineData:
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as error:
        raise BaselineError(f"{path}: cannot read the baseline: {error.strerror}") from None
    except ValueError as error:
        raise BaselineError(f"{path}: the baseline is not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.get(FORMAT_KEY) != FORMAT_VERSION:
        raise BaselineError(
            f'{path}: not an nbcheck repro baseline (expected "{FORMAT_KEY}": {FORMAT_VERSION}); '
            "write one with `nbcheck repro --update-baseline`"
        )
    try:
        runs = tuple(
            MlflowRun(
                run_id="",
                name=str(run.get("name", "")),
                params={str(k): str(v) for k, v in run.get("params", {}).items()},
                metrics={str(k): _history(v) for k, v in run.get("metrics", {}).items()},
            )
            for run in document.get("mlflow_runs", [])
        )
        outputs = document.get("outputs")
        if outputs is not None:
            outputs = tuple(
                CellOutput(int(cell), None, str(text)) for cell, text in outputs.items()
            )
        reads = document.get("reads")
        reads = None if reads is None else _reads(reads)
    except (AttributeError, TypeError, ValueError) as error:
        raise BaselineError(f"{path}: malformed baseline: {error}") from None
    return BaselineData(
        source=str(path),
        runs=runs,
        outputs=outputs,
        seed=document.get("seed"),
        notebook_sha256=document.get("notebook_sha256"),
        packages=document.get("packages", {}),
        runs_recorded=document.get("runs"),
        reads=reads,
    )


def _reads(value: Any) -> dict[str, list]:
    """The `reads` of a baseline, in the form of lineage's `Reads.to_json()`."""
    files = []
    for file in value.get("files", []):
        if not isinstance(file, dict) or not {"path", "size", "sha256"} <= file.keys():
            raise ValueError(f"a file in reads needs path, size and sha256: {file!r}")
        files.append(
            {"path": str(file["path"]), "size": int(file["size"]), "sha256": str(file["sha256"])}
        )
    return {"files": files, "urls": [str(url) for url in value.get("urls", [])]}


def _history(value: Any) -> tuple[tuple[int, float], ...]:
    if isinstance(value, dict):
        return tuple((int(step), _number(v)) for step, v in value.items())
    return ((0, _number(value)),)


def _number(value: Any) -> float:
    if isinstance(value, str):  # NaN and infinities are written as strings: JSON has no literal
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"metric value {value!r} is not a number")
    return float(value)


def _json_number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def baseline_document(
    notebook: Notebook, execution: Execution, seed: int, options: CompareOptions, agreeing: int
) -> dict[str, Any]:
    """The baseline of `execution`, one of `agreeing` runs that agreed (a single run was checked
    against nothing, and the file says so with `"runs": 1`)."""
    runs = []
    for run in execution.runs:
        metrics: dict[str, Any] = {}
        for key, history in sorted(run.metrics.items()):
            if len(history) == 1 and history[0][0] == 0:
                metrics[key] = _json_number(history[0][1])
            else:
                metrics[key] = {str(step): _json_number(value) for step, value in history}
        runs.append(
            {"name": run.name, "params": dict(sorted(run.params.items())), "metrics": metrics}
        )
    document: dict[str, Any] = {
        FORMAT_KEY: FORMAT_VERSION,
        "notebook": os.path.basename(notebook.path),
        "notebook_sha256": notebook_sha256(notebook),
        "seed": seed,
        "runs": agreeing,
        "packages": dict(sorted(execution.packages.items())),
        "mlflow_runs": runs,
    }
    if execution.reads is not None:
        document["reads"] = {
            "files": [
                {"path": file["path"], "size": file["size"], "sha256": file["sha256"]}
                for file in project_files(execution.reads)
            ],
            "urls": list(execution.reads.get("urls", ())),
        }
    if not any(run.metrics for run in execution.runs):
        document["outputs"] = {
            str(output.cell): comparable_text(output, options, execution)
            for output in execution.outputs
        }
    return document


def write_baseline(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(temporary, path)

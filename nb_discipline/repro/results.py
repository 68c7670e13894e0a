"""What a reproducibility check produces: plain data, with a documented JSON form (`to_dict`).

Pure: the standard library only. The runner fills `Execution`s, compare.py turns them into a
`NotebookResult` per notebook, report.py renders a `Report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REPRODUCED, DIFFERS, FAILED = "reproduced", "differs", "failed"
# One run and no baseline: nothing to compare it with, so nothing is proven either way.
UNVERIFIED = "unverified"

# Failure kinds, each with its own verdict line and suggested fix.
EXCEPTION = "exception"
TIMEOUT = "timeout"
DEAD_KERNEL = "dead-kernel"
UNKNOWN_KERNEL = "unknown-kernel"
MISSING_MODULE = "missing-module"
INTERRUPTED = "interrupted"
INTERNAL = "internal-error"
# `sys.exit()` or `sys.exit(0)` in a cell: papermill stops there and takes the notebook for
# finished, though the code cells below never ran.
EXITED = "exited"


@dataclass(frozen=True)
class MlflowRun:
    """One MLflow run that an execution created (or the baseline run)."""

    run_id: str
    name: str
    params: dict[str, str] = field(default_factory=dict)
    # metric key -> history as (step, value) pairs in step order; the last pair is the final value
    metrics: dict[str, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # metric key -> the cell (numbered as in the file) that logged it first, when known
    cells: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "name": self.name,
            "params": self.params,
            "metrics": {
                key: [list(point) for point in history] for key, history in self.metrics.items()
            },
            "tags": self.tags,
            "cells": self.cells,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MlflowRun:
        return cls(
            run_id=data["run_id"],
            name=data["name"],
            params=dict(data.get("params", {})),
            metrics={
                key: tuple((int(step), float(value)) for step, value in history)
                for key, history in data.get("metrics", {}).items()
            },
            tags=dict(data.get("tags", {})),
            cells={key: int(cell) for key, cell in data.get("cells", {}).items()},
        )


@dataclass(frozen=True)
class CellOutput:
    """The comparable outputs of one code cell of the original notebook."""

    cell: int  # 1-based, counting every cell of the original notebook
    cell_id: str | None
    text: str  # stream text and text/plain results, in order, unsanitized
    images: tuple[str, ...] = ()  # sha256 of each image output

    def to_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "cell_id": self.cell_id,
            "text": self.text,
            "images": list(self.images),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellOutput:
        return cls(data["cell"], data.get("cell_id"), data["text"], tuple(data.get("images", ())))


@dataclass(frozen=True)
class Failure:
    """Why an execution did not finish: which kind, which cell, and what to do about it."""

    kind: str
    message: str
    cell: int | None = None
    cell_id: str | None = None
    ename: str | None = None
    evalue: str | None = None
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "cell": self.cell,
            "cell_id": self.cell_id,
            "ename": self.ename,
            "evalue": self.evalue,
            "fix": self.fix,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Failure:
        return cls(**{key: data.get(key) for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Execution:
    """One top-to-bottom run of a notebook in a fresh kernel."""

    number: int  # 1-based
    seconds: float
    runs: tuple[MlflowRun, ...] = ()
    outputs: tuple[CellOutput, ...] = ()
    failure: Failure | None = None
    seeded: dict[str, str] = field(default_factory=dict)
    packages: dict[str, str] = field(default_factory=dict)
    executed_path: str | None = None
    # The run's wall-clock window (seconds since the epoch): a timestamp printed inside it is the
    # run's "now", sanitized; any other date is data, compared.
    started_at: float | None = None
    finished_at: float | None = None
    # Processes the notebook started that were still running after its last cell, outside the
    # kernel's process group (a daemon), each as "pid 123 (python3)": stopped when the run ended.
    leftovers: tuple[str, ...] = ()
    # The data the run read, recorded in the kernel (nb_discipline.lineage's `Reads.to_json()`:
    # files with their path, size and sha256, then URLs); None when not recorded, and then
    # `reads_error` says why unless the run failed.
    reads: dict[str, Any] | None = None
    reads_error: str | None = None

    @property
    def window(self) -> tuple[float, float] | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.started_at, self.finished_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "seconds": round(self.seconds, 3),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "mlflow_runs": [run.to_dict() for run in self.runs],
            "failure": self.failure.to_dict() if self.failure else None,
            "seeded": self.seeded,
            "packages": self.packages,
            "executed_path": self.executed_path,
            "leftovers": list(self.leftovers),
            "reads": self.reads,
            "reads_error": self.reads_error,
        }


@dataclass(frozen=True)
class Difference:
    """One row of the table of what did not reproduce.

    `kind` is metric, param or output; `name` the metric (`run/metric` when the notebook logs
    several MLflow runs, `@step N` when only the history differs), the param, or the place in a
    cell's outputs (`cell 5 line 2, 1st number`, `cell 5 row 'r2', column 'c'`, `cell 5 line 2`
    when its words differ). `values` holds one entry per execution (None where it is missing).
    """

    kind: str
    name: str
    baseline: Any
    values: tuple[Any, ...]
    difference: float | None
    tolerance: str
    cell: int | None = None  # the cell of an output difference

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "cell": self.cell,
            "name": self.name,
            "baseline": self.baseline,
            "values": list(self.values),
            "difference": self.difference,
            "tolerance": self.tolerance,
        }


@dataclass(frozen=True)
class Cause:
    """A linter finding (NBD3xx: randomness) in or above the first cell that differs."""

    code: str
    cell: int
    message: str

    def __str__(self) -> str:
        return f"{self.code} in cell {self.cell}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "cell": self.cell, "message": self.message}


@dataclass(frozen=True)
class DataChange:
    """A data file whose contents differ between a run and what it is compared with: the
    baseline (`reference` None) or an earlier run. `before` and `after` are the sha256 read
    then and now; None where the file was not read."""

    path: str
    before: str | None
    after: str | None
    run: int
    reference: int | None = None  # the run compared with; None: the baseline

    @property
    def message(self) -> str:
        now = f"run {self.run}"
        if self.reference is None:
            then, read_then = "since the baseline", "when the baseline was written"
        else:
            then, read_then = f"between run {self.reference} and {now}", f"by run {self.reference}"
        if self.before is None:
            return f"{self.path} read by {now}, not {read_then} (sha256 {_short(self.after)})"
        if self.after is None:
            return f"{self.path} read {read_then} (sha256 {_short(self.before)}), not by {now}"
        return f"{self.path} changed {then} (sha256 {_short(self.before)} -> {_short(self.after)})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "before": self.before,
            "after": self.after,
            "run": self.run,
            "reference": "baseline" if self.reference is None else f"run {self.reference}",
            "message": self.message,
        }


def _short(digest: str | None) -> str:
    return f"{digest[:12]}…" if digest else "-"


@dataclass(frozen=True)
class NotebookResult:
    """The verdict on one notebook: reproduced, differs (with `differences`), failed, or
    unverified (one run and no baseline).

    When it differs: `between_runs` says whether the runs differ from each other (flakiness) or
    agree and differ only from the baseline (a change), None after a single run;
    `first_differing_cell` is the first cell whose outputs or logged metrics differ between runs
    (from the baseline, when the runs agree or there was one), and `likely_causes`, when the runs
    differ from each other, the linter's randomness findings in or above it (anywhere, when no
    difference could be traced to a cell).

    `data_changes`: the data files whose contents differ from the baseline's (run 1 against
    it), and, when the runs differ from each other, between run 1 and a later run.
    `outputs_written`: with --write-outputs, whether the run's outputs were saved into the
    notebook (a note says why not); None without it."""

    path: str
    verdict: str
    executions: tuple[Execution, ...] = ()
    differences: tuple[Difference, ...] = ()
    failure: Failure | None = None
    baseline: str | None = None  # where the baseline came from, None without one
    compared: tuple[str, ...] = ()  # what was compared: metrics, params, outputs
    notes: tuple[str, ...] = ()
    metrics_checked: int = 0
    seconds: float = 0.0
    between_runs: bool | None = None
    first_differing_cell: int | None = None
    likely_causes: tuple[Cause, ...] = ()
    data_changes: tuple[DataChange, ...] = ()
    outputs_written: bool | None = None

    @property
    def failed_execution(self) -> Execution | None:
        return next((e for e in self.executions if e.failure is not None), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "verdict": self.verdict,
            "failure": self.failure.to_dict() if self.failure else None,
            "differences": [difference.to_dict() for difference in self.differences],
            "baseline": self.baseline,
            "compared": list(self.compared),
            "metrics_checked": self.metrics_checked,
            "notes": list(self.notes),
            "between_runs": self.between_runs,
            "first_differing_cell": self.first_differing_cell,
            "likely_causes": [cause.to_dict() for cause in self.likely_causes],
            "data_changes": [change.to_dict() for change in self.data_changes],
            "outputs_written": self.outputs_written,
            "seconds": round(self.seconds, 3),
            "executions": [execution.to_dict() for execution in self.executions],
        }


@dataclass(frozen=True)
class Report:
    """Every notebook's verdict plus the settings they were judged with."""

    results: tuple[NotebookResult, ...]
    runs: int
    seed: int
    rtol: float
    atol: float
    errors: tuple[str, ...] = ()  # files that could not be checked at all (bad input)

    @property
    def reproduced(self) -> bool:
        return not self.errors and all(r.verdict == REPRODUCED for r in self.results)

    def counts(self) -> dict[str, int]:
        counts = {REPRODUCED: 0, DIFFERS: 0, FAILED: 0, UNVERIFIED: 0}
        for result in self.results:
            counts[result.verdict] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            # 2: the verdict `unverified` (one run, no baseline; was `reproduced`), and the
            # fields between_runs, first_differing_cell, likely_causes, a difference's cell
            "version": 2,
            "reproduced": self.reproduced,
            "counts": self.counts(),
            "runs": self.runs,
            "seed": self.seed,
            "rtol": self.rtol,
            "atol": self.atol,
            "errors": list(self.errors),
            "notebooks": [result.to_dict() for result in self.results],
        }

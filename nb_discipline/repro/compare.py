"""Compare the executions of a notebook with each other and with a baseline: pure, stdlib only.

The reference for every metric, param and output is the baseline when there is one, else the first
execution. Metrics compare with numpy's `isclose` rule, `|value - reference| <= atol + rtol *
|reference|`, on the final value and then step by step on the history; params compare exactly;
text outputs are sanitized and their numbers compared as numbers (outputs.py).
"""

from __future__ import annotations

import fnmatch
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .outputs import OutputTolerances, Tolerance, compare_text, sanitize
from .results import (
    DIFFERS,
    FAILED,
    REPRODUCED,
    UNVERIFIED,
    CellOutput,
    DataChange,
    Difference,
    Execution,
    MlflowRun,
    NotebookResult,
)


@dataclass(frozen=True)
class CompareOptions:
    """How to judge: `metric_tolerances` and the ignore lists are globs on the metric name (or
    `run/metric`); `sanitizers` are extra regular expressions whose matches are blanked out."""

    rtol: float = 1e-6
    atol: float = 0.0
    metric_tolerances: Mapping[str, tuple[float | None, float | None, bool]] = field(
        default_factory=dict
    )  # glob -> (rtol, atol, ignore)
    ignore_metrics: Sequence[str] = ()
    ignore_params: Sequence[str] = ()
    compare_outputs: bool = True
    compare_images: bool = False
    sanitizers: Sequence[str] = ()
    # numbers in outputs: "cell N" or a regular expression -> (rtol, atol, ignore)
    output_tolerances: Mapping[str, tuple[float | None, float | None, bool]] = field(
        default_factory=dict
    )

    def tolerance(self, key: str) -> Tolerance | None:
        """The tolerance for a metric, or None when it is ignored."""
        metric = key.rsplit("/", 1)[-1]
        if _matches(key, metric, self.ignore_metrics):
            return None
        rtol, atol = self.rtol, self.atol
        for pattern, (metric_rtol, metric_atol, ignore) in self.metric_tolerances.items():
            if _matches(key, metric, [pattern]):
                if ignore:
                    return None
                rtol = rtol if metric_rtol is None else metric_rtol
                atol = atol if metric_atol is None else metric_atol
        return Tolerance(rtol, atol)


@dataclass(frozen=True)
class BaselineData:
    """What a notebook is compared against besides its own executions (see baseline.py)."""

    source: str
    runs: tuple[MlflowRun, ...]
    outputs: tuple[CellOutput, ...] | None = None
    seed: int | None = None
    notebook_sha256: str | None = None
    packages: Mapping[str, str] = field(default_factory=dict)
    runs_recorded: int | None = None  # how many agreeing runs it was written from
    # The data its run read (`Reads.to_json()`'s form: files with path, size and sha256, and
    # URLs); None when it records none (written before nbcheck recorded them).
    reads: Mapping[str, Any] | None = None


def _matches(key: str, metric: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) or fnmatch.fnmatchcase(metric, p) for p in patterns)


def keyed_runs(runs: Sequence[MlflowRun]) -> dict[str, MlflowRun]:
    """MLflow runs keyed so that the same run pairs up across executions: by name (numbered in
    start order when names repeat); a notebook that logs a single run gets the empty key."""
    if len(runs) == 1:
        return {"": runs[0]}
    seen: dict[str, int] = {}
    keyed = {}
    for run in runs:
        count = seen.get(run.name, 0)
        seen[run.name] = count + 1
        keyed[run.name if count == 0 else f"{run.name}#{count + 1}"] = run
    return keyed


def _flatten(runs: Sequence[MlflowRun], attribute: str) -> dict[str, object]:
    flat = {}
    for run_key, run in keyed_runs(runs).items():
        for name, value in getattr(run, attribute).items():
            flat[f"{run_key}/{name}" if run_key else name] = value
    return flat


def compare(
    path: str,
    executions: Sequence[Execution],
    options: CompareOptions,
    baseline: BaselineData | None = None,
    *,
    seed: int | None = None,
    notebook_sha256: str | None = None,
) -> NotebookResult:
    """Judge a notebook from its executions: failed, differs, reproduced, or unverified (a single
    run with no baseline)."""
    seconds = sum(execution.seconds for execution in executions)
    baseline_source = baseline.source if baseline else None
    failed = [execution for execution in executions if execution.failure is not None]
    if failed:
        notes = []
        finished = len(executions) - len(failed)
        if finished:
            notes.append(
                f"{len(failed)} of {len(executions)} runs failed; the others finished: "
                "the notebook fails only sometimes"
            )
        return NotebookResult(
            path,
            FAILED,
            tuple(executions),
            failure=failed[0].failure,
            baseline=baseline_source,
            notes=tuple(notes),
            seconds=seconds,
        )

    notes: list[str] = []
    differences, compared, checked = _differences(executions, baseline, options, notes)
    if not any(kind == "metrics" for kind in compared):
        notes.append("logs no metrics to MLflow: judged on its outputs")
    between = (
        _differences(executions, None, options, []) if baseline and len(executions) > 1 else None
    )
    between_runs = first_cell = None
    if differences:
        between_differences = differences if between is None else between[0]
        between_runs = bool(between_differences) if len(executions) > 1 else None
        # the first cell that differs between runs, or else from the baseline
        first_cell = min(
            (d.cell for d in between_differences or differences if d.cell is not None),
            default=None,
        )
    data_changes = _data_changes(executions, baseline, between_runs)
    if baseline is None and len(executions) == 1:
        verdict = UNVERIFIED
        notes.append(
            "one run and no baseline: nothing to compare it with, so nothing is proven "
            "(--runs 2 compares runs with each other)"
        )
    else:
        verdict = DIFFERS if differences else REPRODUCED
        if baseline is None:
            notes.append(
                "no baseline: runs compared with each other (write one with --update-baseline)"
            )
        else:
            notes.extend(
                _baseline_notes(
                    baseline,
                    executions,
                    seed,
                    notebook_sha256,
                    between_runs,
                    bool(differences),
                    bool(data_changes),
                )
            )
    return NotebookResult(
        path,
        verdict,
        tuple(executions),
        tuple(differences),
        baseline=baseline_source,
        compared=tuple(compared),
        notes=tuple(notes),
        metrics_checked=checked,
        seconds=seconds,
        between_runs=between_runs,
        first_differing_cell=first_cell,
        data_changes=data_changes,
    )


def project_files(reads: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The files of a recording (`Reads.to_json()`) inside the project: a path relative to its
    root. Only those are kept in a baseline and compared: a file outside the project is the
    machine's (a library's cache or configuration, a temporary file), and its absolute path
    would not name the same file on another machine."""
    return [file for file in reads.get("files", ()) if not os.path.isabs(file["path"])]


def _data_changes(
    executions: Sequence[Execution], baseline: BaselineData | None, between_runs: bool | None
) -> tuple[DataChange, ...]:
    """The project's data files whose contents differ: between the baseline and run 1 when both
    recorded their reads, and, when the runs differ from each other, between run 1 and each
    later run."""
    from ..lineage import changed_files

    def changed(before: Mapping[str, Any], after: Mapping[str, Any]):
        return changed_files({"files": project_files(before)}, {"files": project_files(after)})

    first = executions[0] if executions else None
    if first is None or first.reads is None:
        return ()
    changes = []
    if baseline is not None and baseline.reads is not None:
        changes.extend(
            DataChange(path, before, after, first.number)
            for path, before, after in changed(baseline.reads, first.reads)
        )
    if between_runs:
        for execution in executions[1:]:
            if execution.reads is not None:
                changes.extend(
                    DataChange(path, before, after, execution.number, first.number)
                    for path, before, after in changed(first.reads, execution.reads)
                )
    return tuple(changes)


def _differences(
    executions: Sequence[Execution],
    baseline: BaselineData | None,
    options: CompareOptions,
    notes: list[str],
) -> tuple[list[Difference], list[str], int]:
    """Every difference of the executions from the reference (the baseline, or the first run),
    what was compared, and how many metrics."""
    differences: list[Difference] = []
    compared: list[str] = []
    metrics_by_execution = [_flatten(e.runs, "metrics") for e in executions]
    baseline_metrics = _flatten(baseline.runs, "metrics") if baseline else {}
    logs_metrics = any(metrics_by_execution) or bool(baseline_metrics)
    cells = {}
    for execution in reversed(executions):
        cells.update(_flatten(execution.runs, "cells"))
    metric_differences, checked = _compare_metrics(
        metrics_by_execution, baseline_metrics, options, notes, cells
    )
    differences.extend(metric_differences)
    if logs_metrics:
        compared.append("metrics")
    params_by_execution = [_flatten(e.runs, "params") for e in executions]
    baseline_params = _flatten(baseline.runs, "params") if baseline else {}
    if any(params_by_execution) or baseline_params:
        compared.append("params")
        differences.extend(_compare_params(params_by_execution, baseline_params, options))
    if options.compare_outputs or not logs_metrics:
        compared.append("outputs")
        baseline_outputs = baseline.outputs if baseline and baseline.outputs is not None else None
        output_differences, more = _compare_outputs(executions, baseline_outputs, options)
        differences.extend(output_differences)
        notes.extend(more)
    return differences, compared, checked


def _compare_metrics(
    by_execution: list[dict],
    baseline: dict,
    options: CompareOptions,
    notes: list[str],
    cells: Mapping[str, int],
) -> tuple[list[Difference], int]:
    differences = []
    keys = list(dict.fromkeys([*baseline, *(key for metrics in by_execution for key in metrics)]))
    checked = 0
    new_keys = []
    for key in keys:
        tolerance = options.tolerance(key)
        if tolerance is None:
            continue
        checked += 1
        histories = [metrics.get(key) for metrics in by_execution]
        reference = baseline.get(key)
        if baseline and reference is None:
            new_keys.append(key)
        if reference is None:
            reference = next(history for history in histories if history is not None)
        baseline_history = baseline.get(key)
        difference = _metric_difference(key, reference, baseline_history, histories, tolerance)
        if difference is not None:
            differences.append(replace(difference, cell=cells.get(key)))
    if new_keys:
        notes.append(
            "metrics not in the baseline (compared run against run): " + ", ".join(new_keys)
        )
    return differences, checked


def _metric_difference(key, reference, baseline_history, histories, tolerance):
    def final(history):
        return history[-1][1] if history else None

    baseline_final = final(baseline_history)
    finals = tuple(final(history) for history in histories)
    if any(history is None for history in histories):
        return Difference("metric", key, baseline_final, finals, None, "logged in every run")
    reference_final = final(reference)
    if not all(tolerance.allows(value, reference_final) for value in finals):
        return Difference(
            "metric", key, baseline_final, finals, _spread(finals, reference_final), str(tolerance)
        )
    reference_steps = dict(reference)
    for history in histories:
        steps = dict(history)
        if steps.keys() != reference_steps.keys():
            return Difference(
                "metric",
                f"{key} (steps)",
                len(baseline_history) if baseline_history else None,
                tuple(len(h) for h in histories),
                None,
                "same steps logged",
            )
    for step, expected in reference_steps.items():
        values = tuple(dict(history)[step] for history in histories)
        if not all(tolerance.allows(value, expected) for value in values):
            at_baseline = dict(baseline_history).get(step) if baseline_history else None
            return Difference(
                "metric",
                f"{key} @step {step}",
                at_baseline,
                values,
                _spread(values, expected),
                str(tolerance),
            )
    return None


def _spread(values: Sequence[float], reference: float) -> float:
    differences = [abs(value - reference) for value in values if not math.isnan(value)]
    if math.isnan(reference) or not differences:
        return math.nan
    return max(differences)


def _compare_params(by_execution: list[dict], baseline: dict, options: CompareOptions):
    keys = list(dict.fromkeys([*baseline, *(key for params in by_execution for key in params)]))
    differences = []
    for key in keys:
        if _matches(key, key.rsplit("/", 1)[-1], options.ignore_params):
            continue
        values = tuple(params.get(key) for params in by_execution)
        expected = baseline.get(key, values[0]) if baseline else values[0]
        if any(value != expected for value in values):
            differences.append(Difference("param", key, baseline.get(key), values, None, "exact"))
    return differences


def comparable_text(
    output: CellOutput,
    options: CompareOptions,
    execution: Execution,
    window: tuple[float, float] | None = None,
) -> str:
    """What of a cell's outputs is compared: its text sanitized for the run that printed it (its
    MLflow run ids; timestamps inside `window`, by default the run's own), plus image hashes
    when asked."""
    known = [run.run_id for run in execution.runs]
    text = sanitize(output.text, options.sanitizers, window or execution.window, known)
    if options.compare_images and output.images:
        text += "".join(f"\n<image sha256:{digest}>" for digest in output.images)
    return text


def _compare_outputs(
    executions: Sequence[Execution],
    baseline: tuple[CellOutput, ...] | None,
    options: CompareOptions,
) -> tuple[list[Difference], list[str]]:
    """Each cell's outputs against the reference's: the first line whose words differ, or each
    number that moved beyond its tolerance; notes say how many more numbers moved."""
    # One window for every run, from the first start to the last end: a time from the data that
    # falls inside one run's window is sanitized in all of them alike.
    windows = [execution.window for execution in executions if execution.window]
    window = (min(w[0] for w in windows), max(w[1] for w in windows)) if windows else None
    by_execution = [
        {
            output.cell: comparable_text(output, options, execution, window)
            for output in execution.outputs
        }
        for execution in executions
    ]
    baseline_texts = {output.cell: output.text for output in baseline} if baseline else None
    cells = sorted({cell for texts in by_execution for cell in texts} | set(baseline_texts or ()))
    tolerances = OutputTolerances(Tolerance(options.rtol, options.atol), options.output_tolerances)
    differences, notes = [], []
    for cell in cells:
        texts = [texts.get(cell, "") for texts in by_execution]
        expected = baseline_texts.get(cell, "") if baseline_texts is not None else texts[0]
        if all(text == expected for text in texts):
            continue
        moved, more = compare_text(expected, texts, tolerances.for_cell(cell, expected))
        for item in moved:
            differences.append(
                Difference(
                    "output",
                    f"cell {cell} {item.place}",
                    _shown(item.reference) if baseline_texts is not None else None,
                    tuple(_shown(value) for value in item.values),
                    item.difference,
                    str(item.tolerance) if item.tolerance else "equal after sanitizing",
                    cell=cell,
                )
            )
        if more:
            notes.append(
                f"cell {cell}: {more} more number{'s' if more != 1 else ''} moved beyond "
                f"{'its' if more == 1 else 'their'} tolerance (the table shows the first "
                f"{len(moved)})"
            )
    return differences, notes


def _shown(line: str | None) -> str:
    return "(no line)" if line is None else line


def _baseline_notes(
    baseline: BaselineData,
    executions: Sequence[Execution],
    seed: int | None,
    notebook_sha256: str | None,
    between_runs: bool | None,
    differs: bool,
    data_changed: bool,
) -> list[str]:
    """What changed since the baseline (the data read is in the result's `data_changes`), and,
    when the notebook differs from it, whether that is a change (the runs agree with each other)
    or flakiness."""
    changes = []
    if baseline.notebook_sha256 and notebook_sha256 and baseline.notebook_sha256 != notebook_sha256:
        changes.append(
            f"the notebook's code (sha256 {baseline.notebook_sha256[:12]}… -> "
            f"{notebook_sha256[:12]}…)"
        )
    if baseline.seed is not None and seed is not None and baseline.seed != seed:
        changes.append(f"the seed, {baseline.seed} -> {seed}")
    current = executions[0].packages if executions else {}
    if differs and baseline.packages:
        moved = [
            f"{name} {version} -> {current[name]}"
            for name, version in sorted(baseline.packages.items())
            if name in current and current[name] != version
        ]
        if moved:
            changes.append("package versions: " + ", ".join(moved))
    notes = []
    if differs and between_runs is False:
        notes.append(
            f"the {len(executions)} runs agree with each other but not with the baseline: "
            "a change since the baseline, not flakiness"
        )
    elif differs and between_runs is None:
        notes.append(
            "the run differs from the baseline; one run cannot tell a change from flakiness "
            "(--runs 2 can)"
        )
    if changes:
        notes.append("changed since the baseline: " + "; ".join(changes))
    elif differs and between_runs is not True and not data_changed:
        reads = executions[0].reads if executions else None
        recorded = ["code", "seed"]
        recorded += ["package versions"] if baseline.packages and current else []
        recorded += ["data read"] if baseline.reads is not None and reads is not None else []
        note = f"nothing nbcheck records ({', '.join(recorded)}) changed since the baseline"
        if baseline.reads is None:
            note += "; the baseline records no data reads, so none were compared"
        notes.append(note)
    why = executions[0].reads_error if executions and executions[0].reads is None else None
    if differs and baseline.reads is not None and why:
        runs = "the runs" if len(executions) > 1 else "the run"
        notes.append(f"the data {runs} read was not recorded: {why}")
    if differs and baseline.runs_recorded == 1:
        notes.append("the baseline was written from a single run, never checked against a second")
    return notes

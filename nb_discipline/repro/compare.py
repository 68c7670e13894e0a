"""Compare the executions of a notebook with each other and with a baseline: pure, stdlib only.

The reference for every metric, param and output is the baseline when there is one, else the first
execution. Metrics compare with numpy's `isclose` rule, `|value - reference| <= atol + rtol *
|reference|`, on the final value and then step by step on the history; params and sanitized text
outputs compare exactly.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .results import (
    DIFFERS,
    FAILED,
    REPRODUCED,
    CellOutput,
    Difference,
    Execution,
    MlflowRun,
    NotebookResult,
)

# (pattern, replacement): what changes from run to run without meaning anything.
DEFAULT_SANITIZERS: tuple[tuple[str, str], ...] = (
    (r"^.*\d+%\|.*\|.*$", "<progress bar>"),  # tqdm and friends
    (r"0x[0-9a-fA-F]{4,}", "0x<address>"),
    (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "<uuid>"),
    (r"\b[0-9a-f]{32}\b", "<id>"),  # MLflow run ids
    (r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?", "<datetime>"),
    (r"\b\d{1,2}:\d{2}:\d{2}(\.\d+)?\b", "<time>"),
    (r"\b\d+(\.\d+)?\s?(ns|µs|us|ms|s|sec|secs|seconds|min|mins|minutes)\b", "<duration>"),
    (r"(/private)?(/tmp|/var/folders|/var/tmp)/[^\s'\"]*", "<tmp>"),
    (r"[A-Za-z]:\\Users\\[^\\]+\\AppData\\Local\\Temp\\[^\s'\"]*", "<tmp>"),
)


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float

    def allows(self, value: float, reference: float) -> bool:
        if math.isnan(value) or math.isnan(reference):
            return math.isnan(value) and math.isnan(reference)
        if math.isinf(value) or math.isinf(reference):
            return value == reference
        return abs(value - reference) <= self.atol + self.rtol * abs(reference)

    def __str__(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


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


def _matches(key: str, metric: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) or fnmatch.fnmatchcase(metric, p) for p in patterns)


def sanitize(text: str, extra_patterns: Sequence[str] = ()) -> str:
    """`text` with volatile parts replaced: what a carriage return overwrote, progress bars,
    addresses, ids, dates, durations, temporary paths, then the user's patterns."""
    lines = [line.rsplit("\r", 1)[-1] for line in text.split("\n")]
    text = "\n".join(lines)
    for pattern, replacement in _compiled_defaults():
        text = pattern.sub(replacement, text)
    for pattern in extra_patterns:
        text = re.sub(pattern, "<sanitized>", text, flags=re.MULTILINE)
    return text


_DEFAULTS_COMPILED: list[tuple[re.Pattern[str], str]] = []


def _compiled_defaults() -> list[tuple[re.Pattern[str], str]]:
    if not _DEFAULTS_COMPILED:
        _DEFAULTS_COMPILED.extend(
            (re.compile(pattern, re.MULTILINE), replacement)
            for pattern, replacement in DEFAULT_SANITIZERS
        )
    return _DEFAULTS_COMPILED


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
    """Judge a notebook from its executions: failed, differs or reproduced."""
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

    differences: list[Difference] = []
    notes: list[str] = []
    compared: list[str] = []
    metrics_by_execution = [_flatten(e.runs, "metrics") for e in executions]
    baseline_metrics = _flatten(baseline.runs, "metrics") if baseline else {}
    logs_metrics = any(metrics_by_execution) or bool(baseline_metrics)
    metric_differences, checked = _compare_metrics(
        metrics_by_execution, baseline_metrics, options, notes
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
        differences.extend(_compare_outputs(executions, baseline_outputs, options))
    if not logs_metrics:
        notes.append("logs no metrics to MLflow: judged on its outputs")
    if baseline is None:
        notes.append(
            "no baseline: runs compared with each other (write one with --update-baseline)"
        )
    else:
        notes.extend(
            _baseline_notes(baseline, executions, seed, notebook_sha256, bool(differences))
        )
    return NotebookResult(
        path,
        DIFFERS if differences else REPRODUCED,
        tuple(executions),
        tuple(differences),
        baseline=baseline_source,
        compared=tuple(compared),
        notes=tuple(notes),
        metrics_checked=checked,
        seconds=seconds,
    )


def _compare_metrics(
    by_execution: list[dict], baseline: dict, options: CompareOptions, notes: list[str]
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
            differences.append(difference)
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


def comparable_text(output: CellOutput, options: CompareOptions) -> str:
    """What of a cell's outputs is compared: sanitized text, plus image hashes when asked."""
    text = sanitize(output.text, options.sanitizers)
    if options.compare_images and output.images:
        text += "".join(f"\n<image sha256:{digest}>" for digest in output.images)
    return text


def _compare_outputs(
    executions: Sequence[Execution],
    baseline: tuple[CellOutput, ...] | None,
    options: CompareOptions,
) -> list[Difference]:
    by_execution = [
        {output.cell: comparable_text(output, options) for output in execution.outputs}
        for execution in executions
    ]
    baseline_texts = {output.cell: output.text for output in baseline} if baseline else None
    cells = sorted({cell for texts in by_execution for cell in texts} | set(baseline_texts or ()))
    differences = []
    for cell in cells:
        texts = [texts.get(cell, "") for texts in by_execution]
        expected = baseline_texts.get(cell, "") if baseline_texts is not None else texts[0]
        if all(text == expected for text in texts):
            continue
        line = min(_first_different_line(text, expected) for text in texts if text != expected)
        differences.append(
            Difference(
                "output",
                f"cell {cell} line {line}",
                _line(expected, line) if baseline_texts is not None else None,
                tuple(_line(text, line) for text in texts),
                None,
                "equal after sanitizing",
            )
        )
    return differences


def _first_different_line(text: str, other: str) -> int:
    lines, other_lines = text.splitlines(), other.splitlines()
    for number, (line, other_line) in enumerate(zip(lines, other_lines, strict=False), start=1):
        if line != other_line:
            return number
    return min(len(lines), len(other_lines)) + 1


def _line(text: str, number: int) -> str:
    lines = text.splitlines()
    return lines[number - 1][:80] if number <= len(lines) else "(no line)"


def _baseline_notes(baseline, executions, seed, notebook_sha256, differs: bool) -> list[str]:
    notes = []
    if baseline.seed is not None and seed is not None and baseline.seed != seed:
        notes.append(f"baseline recorded with seed {baseline.seed}, this check used {seed}")
    if baseline.notebook_sha256 and notebook_sha256 and baseline.notebook_sha256 != notebook_sha256:
        notes.append("the notebook's code changed since the baseline was recorded")
    if differs and baseline.packages and executions:
        current = executions[0].packages
        changed = [
            f"{name} {version} -> {current[name]}"
            for name, version in sorted(baseline.packages.items())
            if name in current and current[name] != version
        ]
        if changed:
            notes.append("package versions differ from the baseline: " + ", ".join(changed))
    return notes

"""Render a repro Report: text (a readable table), json, junit (XML), markdown (CI step summary)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from .results import DIFFERS, FAILED, REPRODUCED, NotebookResult, Report

FORMATS = ("text", "json", "junit", "markdown")


def renderer(output_format: str) -> Callable[[Report], str]:
    return {"text": text, "json": as_json, "junit": junit, "markdown": markdown}[output_format]


def value(item: Any) -> str:
    if item is None:
        return "-"
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        return f"{item:.10g}"
    return str(item)


def difference_rows(result: NotebookResult) -> tuple[list[str], list[list[str]]]:
    """The table of what differs: header and rows, one column per run."""
    runs = max((len(d.values) for d in result.differences), default=0)
    header = ["what", "name", "baseline", *(f"run {n}" for n in range(1, runs + 1))]
    header += ["difference", "tolerance"]
    rows = [
        [
            d.kind,
            d.name,
            value(d.baseline),
            *(value(v) for v in d.values),
            *(["-"] * (runs - len(d.values))),
            value(d.difference),
            d.tolerance,
        ]
        for d in result.differences
    ]
    return header, rows


def summary(result: NotebookResult) -> str:
    """One line: the verdict and what it rests on."""
    if result.verdict == FAILED and result.failure is not None:
        return f"failed: {result.failure.message}"
    runs = len(result.executions)
    basis = [f"{runs} run{'s' if runs != 1 else ''}"]
    if result.metrics_checked:
        basis.append(f"{result.metrics_checked} metric{'s' if result.metrics_checked != 1 else ''}")
    basis.extend(kind for kind in result.compared if kind != "metrics")
    if result.baseline:
        basis.append(f"baseline {result.baseline}")
    if result.verdict == DIFFERS:
        names = ", ".join(d.name for d in result.differences[:3])
        more = len(result.differences) - 3
        names += f" and {more} more" if more > 0 else ""
        return f"differs: {names} ({'; '.join(basis)})"
    return f"{result.verdict} ({'; '.join(basis)})"


def _table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        indent
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def counts_line(report: Report) -> str:
    counts = report.counts()
    total = sum(counts.values())
    line = f"{total} notebook{'s' if total != 1 else ''}: " + ", ".join(
        f"{counts[verdict]} {verdict}" for verdict in (REPRODUCED, DIFFERS, FAILED)
    )
    if report.errors:
        line += f", {len(report.errors)} not checked"
    return line


def text(report: Report) -> str:
    lines = [
        f"nbcheck repro: {report.runs} run{'s' if report.runs != 1 else ''} per notebook, "
        f"seed {report.seed}, rtol {report.rtol:g}, atol {report.atol:g}",
        "",
    ]
    for result in report.results:
        lines.append(f"{result.path}: {summary(result)}  [{result.seconds:.1f} s]")
        if result.differences:
            lines.extend(_table(*difference_rows(result)))
        if result.failure is not None and result.failure.fix:
            lines.append(f"  fix: {result.failure.fix}")
        lines.extend(f"  note: {note}" for note in result.notes)
    lines.extend(f"error: {error}" for error in report.errors)
    lines.extend(["", counts_line(report)])
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    return json.dumps(_strict(report.to_dict()), indent=2, allow_nan=False) + "\n"


def _strict(item: Any) -> Any:
    """NaN and infinities as strings ("nan", "inf"): JSON has no literal for them."""
    if isinstance(item, float) and not math.isfinite(item):
        return str(item)
    if isinstance(item, dict):
        return {key: _strict(inner) for key, inner in item.items()}
    if isinstance(item, list | tuple):
        return [_strict(inner) for inner in item]
    return item


def junit(report: Report) -> str:
    """One testcase per notebook: differs is a failure, failed an error (pytest's convention)."""
    from xml.etree import ElementTree as ET

    counts = report.counts()
    suite = ET.Element(
        "testsuite",
        name="nbcheck-repro",
        tests=str(len(report.results)),
        failures=str(counts[DIFFERS]),
        errors=str(counts[FAILED] + len(report.errors)),
        time=f"{sum(r.seconds for r in report.results):.3f}",
    )
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="nbcheck.repro",
            name=result.path,
            time=f"{result.seconds:.3f}",
        )
        body_lines = _table(*difference_rows(result), indent="") if result.differences else []
        if result.failure is not None and result.failure.fix:
            body_lines.append(f"fix: {result.failure.fix}")
        body_lines.extend(f"note: {note}" for note in result.notes)
        body = "\n".join(body_lines)
        if result.verdict == DIFFERS:
            ET.SubElement(case, "failure", message=summary(result), type="differs").text = body
        elif result.verdict == FAILED:
            kind = result.failure.kind if result.failure else "failed"
            ET.SubElement(case, "error", message=summary(result), type=kind).text = body
        elif body:
            ET.SubElement(case, "system-out").text = body
    for error in report.errors:
        case = ET.SubElement(suite, "testcase", classname="nbcheck.repro", name=error.split(":")[0])
        ET.SubElement(case, "error", message=error, type="not-checked")
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def _cell(item: str) -> str:
    return item.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    icon = {REPRODUCED: "✅", DIFFERS: "❌", FAILED: "💥"}
    lines = [
        "## nbcheck repro",
        "",
        f"{counts_line(report)} ({report.runs} runs each, seed {report.seed}, "
        f"rtol {report.rtol:g}, atol {report.atol:g})",
        "",
        "| notebook | verdict | details |",
        "| --- | --- | --- |",
    ]
    for result in report.results:
        lines.append(
            f"| `{_cell(result.path)}` | {icon[result.verdict]} {result.verdict} | "
            f"{_cell(summary(result))} |"
        )
    for error in report.errors:
        lines.append(f"| | not checked | {_cell(error)} |")
    for result in report.results:
        if not (result.differences or result.failure or result.notes):
            continue
        lines.extend(["", f"### `{result.path}`: {result.verdict}", ""])
        if result.differences:
            header, rows = difference_rows(result)
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + " --- |" * len(header))
            lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
            lines.append("")
        if result.failure is not None:
            lines.append(f"- {result.failure.message}")
            if result.failure.fix:
                lines.append(f"- fix: {result.failure.fix}")
        lines.extend(f"- {note}" for note in result.notes)
    return "\n".join(lines) + "\n"

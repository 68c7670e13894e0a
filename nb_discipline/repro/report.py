"""Render a repro Report: text (a readable table), json, junit (XML), markdown (CI step summary)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from .results import DIFFERS, FAILED, REPRODUCED, UNVERIFIED, NotebookResult, Report

VERDICTS = (REPRODUCED, DIFFERS, FAILED, UNVERIFIED)

FORMATS = ("text", "json", "junit", "markdown")


def renderer(output_format: str) -> Callable[[Report], str]:
    return {"text": text, "json": as_json, "junit": junit, "markdown": markdown}[output_format]


def value(item: Any) -> str:
    """A value as it was: a float with every digit it needs to be told from another."""
    if item is None:
        return "-"
    if isinstance(item, float):
        return "nan" if math.isnan(item) else repr(item)
    return str(item)


def amount(difference: float | None) -> str:
    """How much a value moved, to 4 significant digits."""
    if difference is None:
        return "-"
    return "nan" if math.isnan(difference) else f"{difference:.4g}"


def difference_rows(result: NotebookResult) -> tuple[list[str], list[list[str]]]:
    """The table of what differs: header and rows, one column per run."""
    runs = max((len(d.values) for d in result.differences), default=0)
    header = ["what", "name", "baseline", *(f"run {n}" for n in range(1, runs + 1))]
    header += ["difference", "tolerance"]
    rows = [
        [
            d.kind,
            d.name if d.kind == "output" or d.cell is None else f"{d.name} (cell {d.cell})",
            value(d.baseline),
            *(value(v) for v in d.values),
            *(["-"] * (runs - len(d.values))),
            amount(d.difference),
            d.tolerance,
        ]
        for d in result.differences
    ]
    return header, rows


def summary(result: NotebookResult, *, verdict: bool = True) -> str:
    """One line: the verdict (unless `verdict` is false: a table shows it beside) and what it
    rests on."""
    if result.verdict == FAILED and result.failure is not None:
        return f"failed: {result.failure.message}" if verdict else result.failure.message
    runs = len(result.executions)
    basis = [f"{runs} run{'s' if runs != 1 else ''}"]
    if result.metrics_checked:
        basis.append(f"{result.metrics_checked} metric{'s' if result.metrics_checked != 1 else ''}")
    basis.extend(kind for kind in result.compared if kind != "metrics")
    if result.baseline:
        basis.append(f"baseline {result.baseline}")
    elif result.verdict == UNVERIFIED:
        basis.append("no baseline")
    lead = f"{result.verdict}: " if verdict else ""
    if result.verdict == DIFFERS:
        names = "; ".join(d.name for d in result.differences[:3])
        more = len(result.differences) - 3
        names += f" and {more} more" if more > 0 else ""
        return f"{lead}{names} ({'; '.join(basis)})"
    return f"{lead.rstrip(': ')} ({'; '.join(basis)})".lstrip()


# A notebook that reads a folder of thousands of files may see them all change: the reports
# name the first ones, the JSON all.
DATA_LINES = 10


def data_lines(result: NotebookResult) -> list[str]:
    """What the report says first: each data file that changed, up to DATA_LINES of them."""
    lines = [change.message for change in result.data_changes[:DATA_LINES]]
    more = len(result.data_changes) - DATA_LINES
    if more > 0:
        lines.append(
            f"{more} more data file{'s' if more != 1 else ''} changed (the JSON report lists "
            f"{'them' if more != 1 else 'it'})"
        )
    return lines


def explanation(result: NotebookResult) -> str | None:
    """Where a notebook that differs starts to differ and, when its runs differ from each other,
    the linter's findings that are the likely cause."""
    if result.verdict != DIFFERS:
        return None
    first = result.first_differing_cell
    if result.between_runs is not True:
        return None if first is None else f"cell {first} first differs from the baseline"
    if first is not None:
        where = f"cell {first} first differs between runs"
        scope = "in or above it"
    else:
        where = "no difference between runs could be traced to a cell"
        scope = "in the notebook"
    causes = result.likely_causes
    if not causes:
        return f"{where}; nbcheck finds no randomness issue (NBD3xx) {scope}"
    label = "likely cause" if len(causes) == 1 else "likely causes"
    listed = "; ".join(f"{c.code} in cell {c.cell}, {_continued(c.message)}" for c in causes)
    return f"{where}; {label}: {listed}"


def _continued(sentence: str) -> str:
    """A sentence that now continues another: its first word in lower case, unless it is an
    acronym or a name in code."""
    if sentence[:1].isupper() and sentence[1:2].islower():
        return sentence[0].lower() + sentence[1:]
    return sentence


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
    shown = [verdict for verdict in VERDICTS if verdict != UNVERIFIED or counts[verdict]]
    line = f"{total} notebook{'s' if total != 1 else ''}: " + ", ".join(
        f"{counts[verdict]} {verdict}" for verdict in shown
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
        lines.extend(f"  data: {line}" for line in data_lines(result))
        if result.differences:
            lines.extend(_table(*difference_rows(result)))
        if result.failure is not None and result.failure.fix:
            lines.append(f"  fix: {result.failure.fix}")
        why = explanation(result)
        if why:
            lines.append(f"  why: {why}")
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
        skipped=str(counts[UNVERIFIED]),
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
        body_lines = [f"data: {line}" for line in data_lines(result)]
        if result.differences:
            body_lines.extend(_table(*difference_rows(result), indent=""))
        if result.failure is not None and result.failure.fix:
            body_lines.append(f"fix: {result.failure.fix}")
        why = explanation(result)
        if why:
            body_lines.append(f"why: {why}")
        body_lines.extend(f"note: {note}" for note in result.notes)
        body = "\n".join(body_lines)
        if result.verdict == DIFFERS:
            ET.SubElement(case, "failure", message=summary(result), type="differs").text = body
        elif result.verdict == FAILED:
            kind = result.failure.kind if result.failure else "failed"
            ET.SubElement(case, "error", message=summary(result), type=kind).text = body
        elif result.verdict == UNVERIFIED:
            ET.SubElement(case, "skipped", message=summary(result), type="unverified").text = body
        elif body:
            ET.SubElement(case, "system-out").text = body
    for error in report.errors:
        case = ET.SubElement(suite, "testcase", classname="nbcheck.repro", name=error.split(":")[0])
        ET.SubElement(case, "error", message=error, type="not-checked")
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


def _markdown_text(item: str) -> str:
    """`item` as literal text in a GitHub markdown table cell: what GitHub would read as HTML
    (`<duration>`, `<class 'tuple'>`) or as markdown is escaped, and it stays on one line."""
    item = item.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for character in "\\`*_[]|~#":
        item = item.replace(character, "\\" + character)
    return item.replace("\r", " ").replace("\n", " ")


def _markdown_code(item: str) -> str:
    """`item` as a code span in a table cell: shown as written (a path with underscores)."""
    fence = "``" if "`" in item else "`"
    padding = " " if "`" in item else ""
    item = item.replace("|", "\\|").replace("\n", " ")
    return f"{fence}{padding}{item}{padding}{fence}"


def markdown(report: Report) -> str:
    """A summary table (one row per notebook, the verdict in its own column), then a section for
    each notebook that did not reproduce: its differences, why, and notes. Every text from a
    notebook or a run is escaped; values are shown whole."""
    icon = {REPRODUCED: "✅", DIFFERS: "❌", FAILED: "💥", UNVERIFIED: "❔"}
    lines = [
        "## nbcheck repro",
        "",
        f"{counts_line(report)} ({report.runs} run{'s' if report.runs != 1 else ''} each, "
        f"seed {report.seed}, rtol {report.rtol:g}, atol {report.atol:g})",
        "",
        "| notebook | verdict | details |",
        "| --- | --- | --- |",
    ]
    for result in report.results:
        lines.append(
            f"| {_markdown_code(result.path)} | {icon[result.verdict]} {result.verdict} | "
            f"{_markdown_text(summary(result, verdict=False))} |"
        )
    for error in report.errors:
        lines.append(f"| | not checked | {_markdown_text(error)} |")
    for result in report.results:
        if result.verdict == REPRODUCED:
            continue
        section = [f"- data: {_markdown_text(line)}" for line in data_lines(result)]
        if section and result.differences:
            section.append("")
        if result.differences:
            header, rows = difference_rows(result)
            section.append("| " + " | ".join(header) + " |")
            section.append("|" + " --- |" * len(header))
            section.extend("| " + " | ".join(_markdown_text(c) for c in row) + " |" for row in rows)
            section.append("")
        if result.failure is not None and result.failure.fix:
            section.append(f"- fix: {_markdown_text(result.failure.fix)}")
        why = explanation(result)
        if why:
            section.append(f"- why: {_markdown_text(why)}")
        section.extend(f"- {_markdown_text(note)}" for note in result.notes)
        if section:
            lines.extend(["", f"### {_markdown_code(result.path)}", "", *section])
    return "\n".join(lines) + "\n"

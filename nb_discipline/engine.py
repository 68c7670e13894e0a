"""check(notebook, settings) -> diagnostics: rule selection, suppression and ordering."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from . import collector
from .analysis import Analysis
from .config import Settings
from .model import Cell, Diagnostic, Location, Notebook
from .rules import Finding, Rule, selected_rules

NOQA = re.compile(r"#\s*noqa(?::\s*(?P<selectors>[\w-]+(?:\s*,\s*[\w-]+|\s+[\w-]+)*))?", re.I)
CELL_IGNORE_TAG = "nbcheck-ignore"
METADATA_KEY = "nb_discipline"

DEFAULT_SETTINGS = Settings()


def check(
    notebook: Notebook,
    settings: Settings = DEFAULT_SETTINGS,
    rules: Sequence[Rule] | None = None,
) -> list[Diagnostic]:
    """Every diagnostic the selected rules report on `notebook`, suppressions applied, sorted."""
    if rules is None:
        rules = selected_rules(settings.select, settings.extend_select, settings.ignore)
    file_ignores = _file_ignores(notebook, settings)
    rules = [rule for rule in rules if not _any_matches(rule, file_ignores)]
    if not notebook.is_python:
        rules = [rule for rule in rules if not rule.python_only]
    diagnostics = []
    lines = _CellLines()
    # The analyses build many small acyclic objects: freed before the collector resumes.
    with collector.paused():
        analysis = Analysis(notebook, settings)
        for rule in rules:
            for finding in rule.check(analysis):
                if not _suppressed(rule, finding, lines):
                    diagnostics.append(_diagnostic(rule, finding, notebook.path, lines))
        analysis.release()
        del analysis
    diagnostics.sort(key=Diagnostic.sort_key)
    return diagnostics


class _CellLines(dict):
    """Each cell's lines, split once per check however many findings it has (a string keeps its
    hash: looking a source up costs the same however long it is)."""

    def of(self, cell: Cell) -> list[str]:
        lines = self.get(cell.source)
        if lines is None:
            self[cell.source] = lines = cell.lines
        return lines


def _diagnostic(rule: Rule, finding: Finding, filename: str, cell_lines: _CellLines) -> Diagnostic:
    end_row = finding.end_row if finding.end_row is not None else finding.row
    if finding.end_column is not None:
        end_column = finding.end_column
    else:
        lines = cell_lines.of(finding.cell)
        line = lines[end_row - 1] if 0 < end_row <= len(lines) else ""
        end_column = max(len(line) + 1, finding.column)
    return Diagnostic(
        code=rule.code,
        name=rule.name,
        message=finding.message,
        filename=filename,
        cell=finding.cell.index,
        cell_id=finding.cell.id,
        location=Location(finding.row, finding.column),
        end_location=Location(end_row, end_column),
        severity=rule.severity,
        help=finding.help,
        symbol=finding.symbol,
        fix=finding.fix,
    )


def _suppressed(rule: Rule, finding: Finding, lines: _CellLines) -> bool:
    return _cell_tag_suppresses(rule, finding.cell) or _noqa_suppresses(rule, finding, lines)


def _cell_tag_suppresses(rule: Rule, cell: Cell) -> bool:
    for tag in cell.tags:
        if tag == CELL_IGNORE_TAG:
            return True
        name, _, selectors = tag.partition(":")
        if name == CELL_IGNORE_TAG and _any_matches(rule, selectors.split(",")):
            return True
    return False


def _noqa_suppresses(rule: Rule, finding: Finding, cell_lines: _CellLines) -> bool:
    lines = cell_lines.of(finding.cell)
    if not 0 < finding.row <= len(lines):
        return False
    match = NOQA.search(lines[finding.row - 1])
    if match is None:
        return False
    selectors = match.group("selectors")
    return selectors is None or _any_matches(rule, re.split(r"[\s,]+", selectors))


def _file_ignores(notebook: Notebook, settings: Settings) -> list[str]:
    """Selectors ignored for the whole file: notebook metadata, then per-file-ignores."""
    ignored: list[str] = []
    own = notebook.metadata.get(METADATA_KEY)
    if isinstance(own, dict):
        value = own.get("ignore")
        if value is True:
            ignored.append("ALL")
        elif isinstance(value, str):
            ignored.append(value)
        elif isinstance(value, list):
            ignored.extend(item for item in value if isinstance(item, str))
    if settings.per_file_ignores:
        relative = _relative(notebook.path, settings.root)
        for pattern, selectors in settings.per_file_ignores.items():
            if _pattern(pattern).match_file(relative):
                ignored.extend(selectors)
    return ignored


def _any_matches(rule: Rule, selectors: Iterable[str]) -> bool:
    return any(selector.strip() and rule.matches(selector.strip()) for selector in selectors)


def _relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    except ValueError:
        return path.replace(os.sep, "/")


@lru_cache(maxsize=256)
def _pattern(pattern: str):
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines([pattern])

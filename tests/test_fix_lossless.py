"""A notebook written by `nbcheck --fix` differs from the original only inside the edited cells'
source values.

On every notebook of tests/realworld and tests/regression, every fixable finding is fixed (unsafe
fixes too) in a copy: the result is valid nbformat, the bytes outside the edited sources are the
original's, a second `--fix` changes nothing, and the check no longer reports what was fixed and
reports nothing new. A property test writes random notebooks in the JSON styles real writers use
(indentation, key order, escaping, CRLF, a BOM, sources as lists or strings, split in several
ways) and replaces random sources: the result reads back as exactly the expected sources and
every other byte is unchanged.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb_discipline import fix
from nb_discipline.batch import check_file, fix_files
from nb_discipline.config import Settings
from nb_discipline.notebook_json import locate_sources, replace_sources, split_lines

HERE = Path(__file__).parent
NOTEBOOKS = sorted(HERE.glob("regression/*.ipynb")) + sorted(HERE.glob("realworld/*.ipynb"))


def outside_sources(data: bytes, cells: set[int]) -> list[str]:
    """The JSON text in pieces, cut out: the source values of `cells` (numbered from 1)."""
    text = data.decode("utf-8")
    located = locate_sources(text)
    pieces, position = [], 0
    for index in sorted(cells):
        span = located[index - 1].value
        pieces.append(text[position : span.start])
        position = span.end
    pieces.append(text[position:])
    return pieces


def _project(notebook: Path, project: Path) -> Path:
    """The notebook in a fresh project with its dependency files, as test_regression makes it."""
    (project / ".git").mkdir(parents=True)
    files = notebook.with_suffix(".files")
    if files.is_dir():
        shutil.copytree(files, project, dirs_exist_ok=True)
    copy = project / notebook.name
    shutil.copyfile(notebook, copy)
    return copy


def _findings(path: Path, options: Settings) -> Counter:
    found = check_file(str(path), options, use_cache=False)
    return Counter((d.code, d.cell, d.symbol) for d in found)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_fixing_a_real_notebook_changes_only_the_edited_sources(
    notebook: Path, tmp_path: Path, monkeypatch
) -> None:
    project = tmp_path / "project"
    path = _project(notebook, project)
    monkeypatch.chdir(project)
    options = Settings(root=str(project), unsafe_fixes=True)
    dependency_files = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and p != path}
    original = path.read_bytes()
    before = _findings(path, options)

    (outcome,) = fix_files([str(path)], options, jobs=1, use_cache=False)
    assert fix.write_notebook(outcome) is None
    assert fix.write_other_files([outcome])[1] == []
    assert outcome.warning is None
    fixed = path.read_bytes()
    edited = set(outcome.sources)
    assert outside_sources(fixed, edited) == outside_sources(original, edited)
    if edited:
        nbformat.validate(nbformat.reads(fixed.decode("utf-8"), as_version=nbformat.NO_CONVERT))
    # Other files change only where a fix edits them.
    for other, content in dependency_files.items():
        if str(other) not in outcome.files:
            assert other.read_bytes() == content, other

    after = _findings(path, options)
    assert after - before == Counter(), "findings that were not there before"
    gone = Counter()
    for code, _, _ in before - after:
        gone[code] += 1
    for code, count in outcome.fixed.items():
        assert gone[code] >= count, f"{code}: fixed {count}, yet reported again"

    (again,) = fix_files([str(path)], options, jobs=1, use_cache=False)
    assert again.sources == {} and again.files == {} and again.fixed == {}


# --- the writer on random notebooks ----------------------------------------------------------

TEXT = st.text(
    alphabet=st.sampled_from([*"ab =()#\n\r\t\"\\/'", "é", "中", "😀", "\x07", "\u2028", "\x7f"]),
    max_size=40,
)


def _split(source: str, how: str, cuts: list[int]) -> list[str] | str:
    if how == "string":
        return source
    if how == "jupyter":
        return split_lines(source)
    if how == "splitlines":
        return source.splitlines(keepends=True)
    points = sorted({cut % (len(source) + 1) for cut in cuts} | {0, len(source)})
    return [source[a:b] for a, b in itertools.pairwise(points)]


@st.composite
def notebooks(draw):
    """(notebook bytes, its document, how each cell's source was split, and the writer that
    made the bytes from the document)."""
    count = draw(st.integers(1, 5))
    cells, splits = [], []
    for number in range(count):
        source = draw(TEXT)
        how = draw(st.sampled_from(["string", "jupyter", "splitlines", "chunks"]))
        cuts = draw(st.lists(st.integers(0, 50), max_size=4))
        cell = {
            "cell_type": draw(st.sampled_from(["code", "markdown", "raw"])),
            "id": f"c{number}",
            "metadata": {"tags": [draw(TEXT)]} if draw(st.booleans()) else {},
            "source": _split(source, how, cuts),
        }
        if cell["cell_type"] == "code":
            cell["execution_count"] = draw(st.none() | st.integers(1, 9))
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": [draw(TEXT)]}]
        cells.append(cell)
        splits.append(how)
    document = {
        # Non-ASCII text and a slash, so the file shows whether it escapes them.
        "metadata": {"title": "é/" + draw(TEXT)},
        "cells": cells,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    indent = draw(st.sampled_from([None, 1, 2, 4, "\t"]))
    separators = (", ", ": ") if indent is None and draw(st.booleans()) else (",", ": ")
    if indent is None and separators == (",", ": "):
        separators = (",", ":")
    options = {
        "indent": indent,
        "ensure_ascii": draw(st.booleans()),
        "sort_keys": draw(st.booleans()),
        "separators": separators,
    }
    newline, crlf, slash = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""

    def write(document: dict) -> bytes:
        text = json.dumps(document, **options) + ("\n" if newline else "")
        if crlf:  # the JSON's own line breaks: strings hold theirs escaped
            text = text.replace("\n", "\r\n")
        if slash:
            text = text.replace("/", "\\/")
        return bom + text.encode("utf-8")

    return write(document), document, splits, write


@st.composite
def edited(draw, source: str):
    """`source` with some non-overlapping spans replaced."""
    points = sorted(draw(st.lists(st.integers(0, len(source)), max_size=6)))
    pieces, last = [], 0
    for start, end in zip(points[::2], points[1::2], strict=False):
        pieces.append(source[last:start])
        pieces.append(draw(TEXT))
        last = end
    pieces.append(source[last:])
    return "".join(pieces)


def _joined(source) -> str:
    return source if isinstance(source, str) else "".join(source)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_replaced_sources_read_back_exactly_and_nothing_else_changes(data) -> None:
    original, document, splits, write = data.draw(notebooks())
    cells = document["cells"]
    chosen = data.draw(st.sets(st.integers(1, len(cells)), min_size=1))
    sources = {index: data.draw(edited(_joined(cells[index - 1]["source"]))) for index in chosen}

    result = replace_sources(original, sources)

    decoded = json.loads(result.decode("utf-8-sig"))
    for index, cell in enumerate(decoded["cells"], start=1):
        expected = sources.get(index, _joined(cells[index - 1]["source"]))
        assert _joined(cell["source"]) == expected
        # A source keeps its form: a list stays a list, a string a string.
        assert isinstance(cell["source"], str) == isinstance(cells[index - 1]["source"], str)
    assert outside_sources(result, set(sources)) == outside_sources(original, set(sources))
    unchanged = {i for i in sources if sources[i] == _joined(cells[i - 1]["source"])}
    assert outside_sources(result, set(sources) - unchanged) == outside_sources(
        original, set(sources) - unchanged
    )
    # Sources split as Jupyter splits them come out as the notebook's own writer writes them:
    # the same escapes, the same layout of the list.
    if all(splits[index - 1] in ("string", "jupyter") for index in sources):
        for index, source in sources.items():
            cell = cells[index - 1]
            cell["source"] = source if splits[index - 1] == "string" else split_lines(source)
        assert result == write(document)

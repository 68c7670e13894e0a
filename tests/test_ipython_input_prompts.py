"""The prompts of a pasted session (`>>> `, `In [3]: `), taken off as each IPython version does."""

from __future__ import annotations

import ast
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nb_discipline.analysis.dataflow import cell_flow
from nb_discipline.analysis.source import SyntaxErrorInfo, parse_cell, parse_source
from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.model import Cell
from tests.builders import code, error_output, notebook

# A doctest pasted below plain lines, its outputs included (100-Days-Of-ML-Code, "Day 1"): IPython
# 9.9 and earlier take no prompt off (neither of the first two lines has one), IPython 9.10 takes
# them all off, and the echoed outputs are then Python expressions.
PASTED_DOCTEST = (
    "from sklearn.preprocessing import OneHotEncoder\n"
    "enc = OneHotEncoder(handle_unknown='ignore')\n"
    "X = [['Male', 1], ['Female', 3], ['Female', 2]]\n"
    ">>> enc.fit(X)\n"
    "OneHotEncoder(handle_unknown='ignore')\n"
    ">>> enc.categories_\n"
    "[array(['Female', 'Male'], dtype=object), array([1, 2, 3], dtype=object)]"
)


def flow(source: str, outputs: tuple = ()) -> tuple[set[str], set[str]]:
    """(names bound, names read) of a cell."""
    cell = Cell(index=0, id=None, cell_type="code", source=source, outputs=outputs)
    result = cell_flow(parse_cell(cell))
    return set(result.binds), set(result.reads)


def name_column(source: str, name: str) -> tuple[int, int]:
    parsed = parse_source(source)
    assert parsed.tree is not None, parsed.syntax_error
    node = next(n for n in ast.walk(parsed.tree) if isinstance(n, ast.Name) and n.id == name)
    return parsed.span(node)[:2]


def test_an_ipython_prompt_on_the_second_line_is_taken_off_every_line() -> None:
    # text-analytics-with-python, Ch03a: the cell ran `word = 'fianlly'`.
    source = "# input word\nIn [409]: word = 'fianlly'\n\n# zero edit distance\nedits0(word)"
    assert flow(source) == ({"word"}, {"edits0"})
    assert name_column(source, "word") == (2, 11)


def test_ipython_continuation_prompts_are_taken_off() -> None:
    source = "In [1]: for i in range(10):\n   ...:     print(i)\n   ...:"
    assert flow(source) == ({"i"}, {"range", "print"})
    assert name_column(source, "print") == (2, 13)


def test_prompts_further_down_are_taken_off_only_by_ipython_9_10_and_later() -> None:
    # No saved output: the cell parses as the IPython of today runs it.
    assert parse_source(PASTED_DOCTEST).syntax_error is None
    assert "array" in flow(PASTED_DOCTEST)[1]


def test_a_saved_syntax_error_says_which_ipython_ran_the_cell() -> None:
    outputs = (error_output("SyntaxError", "invalid syntax (<ipython-input-4-44f5>, line 4)"),)
    cell = Cell(index=0, id=None, cell_type="code", source=PASTED_DOCTEST, outputs=outputs)
    parsed = parse_cell(cell)
    assert parsed.tree is None
    assert parsed.syntax_error == SyntaxErrorInfo("invalid syntax", 4, 1)
    assert flow(PASTED_DOCTEST, outputs) == (set(), set())
    # A saved error does not make a cell that every IPython parses fail.
    assert parse_cell(cell._replace(source=">>> x = 1\n>>> y = x")).syntax_error is None


def test_the_pasted_doctest_is_a_syntax_error_and_reads_nothing_in_the_notebook() -> None:
    outputs = [error_output("SyntaxError", "invalid syntax (<ipython-input-4-44f5>, line 4)")]
    document = notebook(code("import numpy as np", 1), code(PASTED_DOCTEST, 2, outputs=outputs))
    found = [
        (finding.code, finding.location.row, finding.symbol)
        for finding in check(document, Settings(select=["NBD001", "NBD201", "NBD202"]))
    ]
    assert found == [("NBD001", 4, None)]


@pytest.mark.parametrize(
    ("source", "statements"),
    [
        # IPython 7.0 to 9.9: the first line starts with `>>> `: every line loses its prompt.
        (">>> x = 1\n>>> y = x", ["x = 1", "y = x"]),
        # ... or the second line starts with `... `.
        ("for i in r:\n...     print(i)", ["for i in r:\n    print(i)"]),
        # IPython 9.10: indented prompts anywhere, then the indentation they share.
        ("x = 1\ny = 2\n  >>> z = (3\n  ...   + 1)", ["x = 1", "y = 2", "z = 3 + 1"]),
        # A docstring keeps its doctest.
        ('def f():\n    """\n    >>> f()\n    """', ['def f():\n    """\n    >>> f()\n    """']),
        # `...` without `>>>` anywhere is Python's Ellipsis.
        ("x = 1\n...", ["x = 1", "..."]),
    ],
)
def test_prompts_are_taken_off_as_ipython_takes_them(source: str, statements: list[str]) -> None:
    tree = parse_source(source).tree
    assert tree is not None, parse_source(source).syntax_error
    assert [ast.unparse(statement) for statement in tree.body] == statements


@pytest.fixture(scope="module")
def transformers():
    """IPython's own input transformation: the installed one; the same with the prompt rule of
    IPython 7.0 to 9.9 (IPython's own prompt stripper, without its doctest mode); and that with
    IPython 8's indentation rule."""
    from IPython.core.inputtransformer2 import (
        PromptStripper,
        TransformerManager,
        leading_indent,
    )

    newest, older, oldest = TransformerManager(), TransformerManager(), TransformerManager()
    classic = PromptStripper(re.compile(r"^(>>>|\.\.\.)( |$)"), re.compile(r"^>>>( |$)"))
    older.cleanup_transforms = [
        classic if getattr(step, "doctest", False) else step for step in older.cleanup_transforms
    ]
    oldest.cleanup_transforms = [
        _ipython_8_leading_indent if step is leading_indent else step
        for step in older.cleanup_transforms
    ]
    return newest, older, oldest


def _ipython_8_leading_indent(lines: list[str]) -> list[str]:
    """IPython 8's `leading_indent`: the first line's indentation off the lines that start with
    it."""
    indent = lines[0][: len(lines[0]) - len(lines[0].lstrip(" \t"))] if lines else ""
    if not indent:
        return lines
    return [line[len(indent) :] if line.startswith(indent) else line for line in lines]


def ipython_parses(manager, source: str) -> bool:
    try:
        ast.parse(manager.transform_cell(source))
    except SyntaxError:
        return False
    return True


PROMPTED_CELLS = [
    PASTED_DOCTEST,
    ">>> x = 1\n>>> for i in r:\n...     print(i)",
    ">>> import os\n\n >>> os.getcwd()",
    "\n\n>>> x = 1\n... \n>>> y = 2",
    "# comment\n>>> x = 1",
    "x = 1\n>>> y = 2",
    "x = 1\ny = 2\n>>> z = 3",
    "    >>> x = 1\n    >>> y = 2",
    "x = '''\n>>> y\n'''\n>>> z = 1",
    "s = '''\n>>> not code\n'''",
    "'''\n>>> f()\n'''\n>>> x = 1",
    ">>> def f():\n...     '''\n...     >>> f()\n...     '''\n...     return 1",
    "In [1]: x = 1\n\nIn [2]: y = x",
    "In [1]: for i in r:\n   ...:     f(i)\n   ...:",
    "[ins] In [3]: x = 1",
    "x = 1\nIn [2]: y = 2",
    "x = 1\ny = 2\nIn [3]: z = 3",
    "%%time\n>>> x = 1",
    ">>> %time x = 1\n>>> !ls",
    "...: x = 1",
    ">>>x = 1",
    "x = [1,\n...\n]",
]


@pytest.mark.parametrize("source", PROMPTED_CELLS)
def test_parses_exactly_when_an_ipython_does(transformers, source: str) -> None:
    assert (parse_source(source).syntax_error is None) == any(
        ipython_parses(manager, source) for manager in transformers
    )


@pytest.mark.parametrize("source", PROMPTED_CELLS)
def test_a_saved_syntax_error_fails_exactly_when_an_ipython_fails(
    transformers, source: str
) -> None:
    outputs = (error_output("SyntaxError", "invalid syntax"),)
    cell = Cell(index=0, id=None, cell_type="code", source=source, outputs=outputs)
    assert (parse_cell(cell).syntax_error is None) == all(
        ipython_parses(manager, source) for manager in transformers
    )


PROMPT_LINES = [
    ">>> x = 1",
    "... y = 2",
    "...",
    ">>> for i in r:",
    "...     f(i)",
    "  >>> z = 3",
    "In [1]: a = 1",
    "   ...: b = 2",
    '"""',
    ">>> '''",
    "x = 1",
    "",
    "  ",
    "    y = 2",
    "# c",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PROMPT_LINES), min_size=1, max_size=6))
def test_parses_exactly_when_an_ipython_does_on_line_mixes(transformers, lines) -> None:
    source = "\n".join(lines)
    assert (parse_source(source).syntax_error is None) == any(
        ipython_parses(manager, source) for manager in transformers
    )

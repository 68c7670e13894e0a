"""A lambda's body runs when the lambda is called: where nbcheck cannot see that call, its reads
are not reads of the cell that writes it."""

from __future__ import annotations

import pytest

from nb_discipline.analysis.dataflow import Dataflow, always_defined
from nb_discipline.engine import check
from nb_discipline.loader import from_dict
from nb_discipline.rules import selected_rules
from tests.builders import code, notebook, notebook_dict


def dataflow(*sources: str) -> Dataflow:
    from nb_discipline.analysis.source import parse_cell

    nb = from_dict(notebook_dict(*(code(source) for source in sources)), "t.ipynb")
    return Dataflow(tuple(parse_cell(cell) for cell in nb.code_cells))


def reads(source: str) -> list[str]:
    return [read.name for read in dataflow(source).cells[0].reads if not always_defined(read.name)]


def messages(*sources: str, rule: str = "NBD2") -> list[str]:
    cells = [code(source) for source in sources]
    return [d.message for d in check(notebook(*cells), rules=selected_rules([rule], [], []))]


@pytest.mark.parametrize(
    "source",
    [
        "env = {'display': lambda x: print(unparse(x))}",  # norvig/pytudes lispy.ipynb cell 6
        "handlers = [lambda: unparse()]",
        "button = Button(command=lambda: unparse(box))",
        "register(lambda: unparse)",
        "obj.callback = lambda: unparse",
        "def f(key=lambda v: unparse(v)):\n    return key",
        "class A:\n    show = lambda self: unparse(self)",
    ],
)
def test_a_lambda_nbcheck_does_not_see_called_reads_nothing_where_written(source: str) -> None:
    assert not {"unparse", "box"} & set(reads(source))
    assert messages(source, "unparse = box = 1", rule="NBD201") == []


@pytest.mark.parametrize(
    "source",
    [
        "(lambda: unparse)()",
        "s = sorted(xs, key=lambda v: unparse(v))",
        "m = max(xs, key=lambda v: unparse[v])",
        "s = list(map(lambda v: unparse(v), xs))",
        "s = ''.join(filter(lambda v: unparse(v), xs))",
        "for v in map(lambda v: unparse(v), xs):\n    pass",
        "s = [v for v in map(lambda v: unparse(v), xs)]",
        "df['a'] = df['b'].apply(lambda v: unparse(v))",
        "df = df.sort_values('a', key=lambda s: unparse(s))",
        "g = df.groupby('a').agg(lambda s: unparse(s))",
    ],
)
def test_a_lambda_called_where_written_reads_there(source: str) -> None:
    assert "unparse" in reads(source)
    found = messages(source, "unparse = df = xs = 1", rule="NBD201")
    assert "Cell 1 reads `unparse`, bound only in cell 2 below" in found


def test_a_lazy_map_kept_for_later_is_not_called_where_written() -> None:
    assert "unparse" not in reads("lazy = map(lambda v: unparse(v), xs)")


def test_a_lambda_that_may_run_still_reads_a_name_no_cell_binds() -> None:
    assert messages("import os\nenv = {'display': lambda x: print(unparse(x))}", rule="NBD202") == [
        "A lambda in cell 1 reads `unparse`, which no cell binds"
    ]
    assert (
        messages("import os\nenv = {'display': lambda x: print(unparse(x))}", "unparse = 1") == []
    )


def test_a_lambda_in_a_function_body_may_run_as_a_nested_function_may() -> None:
    cells = (
        "def build():\n    return Button(command=lambda: unparse(box))",
        "b = build()",
        "unparse = box = Button = 1",
    )
    assert sorted(messages(*cells, rule="NBD201")) == [
        "Cell 2 calls `build`, which may read `box`, bound only in cell 3 below",
        "Cell 2 calls `build`, which may read `unparse`, bound only in cell 3 below",
        "Cell 2 calls `build`, which reads `Button`, bound only in cell 3 below",
    ]
    assert messages("import os\ndef build():\n    return lambda: unparse", rule="NBD202") == [
        "Function `build` reads `unparse`, which no cell binds"
    ]


def test_a_callback_calls_nothing_where_written() -> None:
    """A function called from a lambda nbcheck does not see called is not called by the cell."""
    cells = (
        "def get_weather(city):\n    return icon",
        "button = Button(command=lambda: get_weather(box.get()))",
        "Button = icon = box = 1",
    )
    assert messages(*cells, rule="NBD201") == ["Cell 2 reads `Button`, bound only in cell 3 below"]

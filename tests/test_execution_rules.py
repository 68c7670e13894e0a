"""NBD101-NBD104: execution order read from the saved execution counts."""

from __future__ import annotations

import pytest

from nb_discipline.engine import check
from nb_discipline.rules import selected_rules
from tests.builders import code, error_output, markdown, notebook, stream_output


def findings(nb, family: str = "NBD1") -> list[tuple[str, int]]:
    return [(d.code, d.cell) for d in check(nb, rules=selected_rules([family], [], []))]


def test_fresh_top_to_bottom_run_is_clean() -> None:
    nb = notebook(markdown("# Title"), code("a = 1", 1), code("b = a + 1", 2), code("", None))
    assert findings(nb) == []


def test_out_of_order_names_both_cells() -> None:
    nb = notebook(markdown("# T"), code("a = 1", 2), code("b = 2", 1), code("c = 3", 3))
    diagnostics = check(nb, rules=selected_rules(["NBD101"], [], []))
    assert [(d.code, d.cell) for d in diagnostics] == [("NBD101", 3)]
    assert diagnostics[0].message == "Cell 3 ran as [1], before cell 2 above it (run as [2])"
    assert diagnostics[0].location.row == 1


def test_each_cell_that_ran_early_is_flagged_once() -> None:
    nb = notebook(code("a", 5), code("b", 3), code("c", 4), code("d", 6))
    assert findings(nb, "NBD101") == [("NBD101", 2), ("NBD101", 3)]


def test_skipped_cell_only_when_cells_below_ran() -> None:
    nb = notebook(code("a = 1", 1), code("b = 2", None), code("   ", None), code("c = 3", 2))
    assert findings(nb, "NBD102") == [("NBD102", 2)]
    assert [d.message for d in check(nb, rules=selected_rules(["NBD102"], [], []))] == [
        "Cell 2 has no execution count (not run, or its output cleared), but cells below it ran"
    ]
    comments_only = notebook(code("a = 1", 1), code("# Exercise:\n\n#   b = 2", None), code("c", 2))
    assert findings(comments_only, "NBD102") == []
    tail_never_run = notebook(code("a = 1", 1), code("b = 2", 2), code("c = 3", None))
    assert findings(tail_never_run, "NBD102") == []


def test_a_cell_whose_outputs_are_saved_ran() -> None:
    """Colab drops a cell's count and keeps its outputs: the outputs show it ran, uncleared."""
    printed = {"output_type": "stream", "name": "stdout", "text": "55\n"}
    result = {
        "output_type": "execute_result",
        "execution_count": 14,
        "metadata": {},
        "data": {"text/plain": "14"},
    }
    nb = notebook(
        code("a = 1", 1),
        code("print(a)", None, outputs=[printed]),
        code("a + 13", None, outputs=[result]),
        code("b = 2", 2),
    )
    assert findings(nb, "NBD102") == []
    # Such a front-end drops the count of a cell that printed nothing too.
    silent = notebook(
        code("import pandas as pd", None),
        code("pd.read_csv('x.csv')", None, outputs=[result]),
        code("b = 2", 2),
    )
    assert findings(silent, "NBD102") == []


@pytest.mark.parametrize(
    ("counts", "message_part"),
    [
        ((3, 4, 5), "the first count is [3], not [1]"),
        ((1, 2, 7), "the counts skip from [2] to [7]"),
        ((1, 4, 9), "the counts skip from [1] to [4] (1 more gap)"),
        ((1, 4, 9, 12), "the counts skip from [1] to [4] (2 more gaps)"),
    ],
)
def test_gaps_in_counts(counts, message_part) -> None:
    nb = notebook(*(code(f"x{i} = {i}", count) for i, count in enumerate(counts)))
    diagnostics = check(nb, rules=selected_rules(["NBD103"], [], []))
    assert len(diagnostics) == 1
    assert message_part in diagnostics[0].message


def test_permuted_counts_are_out_of_order_but_fresh() -> None:
    nb = notebook(code("a", 2), code("b", 1), code("c", 3))
    assert findings(nb) == [("NBD101", 2)]


@pytest.mark.parametrize(
    "counts",
    [(None, None, None), (0, 0, 0), (1, 1, 1)],
    ids=["stripped", "all-zero", "all-equal"],
)
def test_silent_without_informative_counts(counts) -> None:
    nb = notebook(code("a", counts[0]), code("", None), code("b", counts[1]), code("c", counts[2]))
    assert findings(nb) == []


def test_error_output_names_the_exception() -> None:
    nb = notebook(
        code("x = 1", 1, outputs=[stream_output("ok")]),
        code("1/0", 2, outputs=[error_output("ZeroDivisionError", "division by zero")]),
    )
    diagnostics = check(nb, rules=selected_rules(["NBD104"], [], []))
    assert [(d.code, d.cell, d.symbol, d.severity) for d in diagnostics] == [
        ("NBD104", 2, "ZeroDivisionError", "error")
    ]
    assert (
        diagnostics[0].message == "Saved output holds an error: ZeroDivisionError: division by zero"
    )


def test_error_output_is_reported_without_counts_too() -> None:
    nb = notebook(code("1/0", None, outputs=[error_output()]))
    assert findings(nb) == [("NBD104", 1)]


def test_order_rules_apply_to_other_languages() -> None:
    nb = notebook(code("x <- 1", 2), code("y <- x", 1), language="R")
    assert findings(nb) == [("NBD101", 2)]


def test_code_rules_stay_silent_on_other_languages() -> None:
    """R code read as Python would be full of syntax errors and undefined names: none reported."""
    nb = notebook(
        code("library(dplyr)\ndf <- read.csv('/home/me/data.csv')", 1),
        code("df %>% filter(x > 1) %>% summarise(n = n())", 2),
        code("set.seed(1); runif(3)", 3),
        language="R",
    )
    assert check(nb) == []


def test_repeated_counts_prove_sessions_and_no_order() -> None:
    """Cells 1-4 ran as [1]..[4]; after a restart cells 5 and 6 ran as [1] and [2]. Which cell
    ran in which session the counts cannot tell, so no order between cells is stated."""
    nb = notebook(
        *(code(f"v{count} = {count}", count) for count in (1, 2, 3, 4, 1, 2, 7)),
    )
    diagnostics = check(nb, rules=selected_rules(["NBD1"], [], []))
    assert [(d.code, d.cell, d.message) for d in diagnostics] == [
        (
            "NBD103",
            5,
            "Not run from a fresh kernel: cells 1 and 5 both carry [1], and one kernel session "
            "never repeats a count (it restarted, or a cell was copied); 1 more count repeats",
        )
    ]
    three = notebook(code("a", 4), code("b", 4), code("c", 5), code("d", 4))
    assert [d.message for d in check(three, rules=selected_rules(["NBD103"], [], []))] == [
        "Not run from a fresh kernel: cells 1, 2 and 4 all carry [4], and one kernel session "
        "never repeats a count (it restarted, or a cell was copied)"
    ]


def test_zero_counts_are_no_run() -> None:
    """A kernel counts from 1: a saved [0] (Colab writes it over real counts) says nothing about
    order, and may be any of the runs the other counts miss."""
    nb = notebook(code("a", 0), code("b", 1), code("c", 0), code("d", 2))
    assert findings(nb) == []
    colab = notebook(code("a", 1), code("b", 0), code("c", 3), code("d", 0), code("e", 5))
    assert findings(colab) == []
    more_missing_than_zeros = notebook(code("a", 1), code("b", 0), code("c", 4))
    assert findings(more_missing_than_zeros) == [("NBD103", 3)]


def test_an_empty_cell_repeats_the_count_before_it_in_one_session() -> None:
    # IPython runs nothing for a cell of whitespace and does not count it: ipykernel answers with
    # the count of the run before (ThinkBayes2 soccer_soln2: cells 25 and 26 both [15], 26 empty).
    nb = notebook(code("a = 1", 1), code("b = a", 2), code("\n", 2), code("c = b", 3))
    assert findings(nb) == []
    # Nor is an empty cell ever the one that ran out of order.
    nb = notebook(code("a = 1", 1), code("", 3), code("b = a", 2))
    assert findings(nb, "NBD101") == []
    # A cell of comments is run and counted: a repeat there still proves two sessions.
    nb = notebook(code("a = 1", 1), code("# note", 1), code("b = a", 2))
    assert findings(nb, "NBD103") == [("NBD103", 2)]

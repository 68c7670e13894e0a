"""IPython syntax as IPython reads it, on classes of cells a hunt over real notebooks found misread."""

from __future__ import annotations

import pytest

from nb_discipline.analysis.source import parse_source
from tests.test_ipython_input_prompts import ipython_parses


@pytest.fixture(scope="module")
def ipython():
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


CELLS = [
    # An `= %` inside a string is string formatting, not an assignment from a magic
    # (cliburn/sta-663-2019, fangohr's introduction to Python: judged NBD001 falsely).
    "'area = %f * %d^2' % (pi, r)",
    '"pi = %f" % pi',
    "print('x = %d' % x)",
    "s = 'a = !b'",
    # What is an assignment from a magic stays one.
    "files = !ls",
    "x, y = %sx ls",
    "obj.attr = %env HOME",
    "x + 1 = %ls",
    # A `%time`-like magic given only a comment times nothing, and parses
    # (rasbt/stat479 hw01: `%timeit # YOUR CODE`, judged NBD001 falsely).
    "%timeit # YOUR CODE",
    "%time   # later",
    "%%timeit -n 3 # setup\nx = 1",
    "if a:\n    %timeit # YOUR CODE",
    "%timeit x = 1  # a comment after code",
]


@pytest.mark.parametrize("source", CELLS)
def test_parses_exactly_when_ipython_does(ipython, source: str) -> None:
    assert (parse_source(source).syntax_error is None) == ipython_parses(ipython, source)

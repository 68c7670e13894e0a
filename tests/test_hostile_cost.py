"""Bounded cost: what one cell or one request can make nbcheck do grows linearly with its size."""

from __future__ import annotations

import time

from nb_discipline.engine import check
from tests.builders import code, notebook


def test_findings_of_one_cell_cost_linear_time() -> None:
    """20,000 findings in one cell took a minute when each finding's noqa split the whole cell
    again; linear, they take a second or two (the bound leaves room for a loaded machine)."""
    cell = code("".join(f"print(name_{number})\n" for number in range(20_000)), 1)
    start = time.perf_counter()
    diagnostics = check(notebook(cell))
    elapsed = time.perf_counter() - start
    assert len(diagnostics) == 20_000
    assert elapsed < 20, f"{elapsed:.1f} s"


def test_noqa_still_applies_to_its_own_line_among_many_findings() -> None:
    source = "".join(
        f"print(name_{number})" + ("  # noqa: NBD202\n" if number % 2 else "\n")
        for number in range(1000)
    )
    diagnostics = check(notebook(code(source, 1)))
    assert [d.location.row for d in diagnostics] == list(range(1, 1001, 2))

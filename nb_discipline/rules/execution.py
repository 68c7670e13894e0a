"""NBD1xx: execution order, read from the saved execution counts."""

from __future__ import annotations

from collections.abc import Iterator

from ..records import TYPE_CHECKING
from .base import Finding

if TYPE_CHECKING:
    from ..analysis import Analysis


def out_of_order_execution(nb: Analysis) -> Iterator[Finding]:
    """A code cell ran before a code cell above it.

    ## What it does
    Reads the execution counts Jupyter saved and flags each code cell whose count is lower than
    the count of a code cell above it: its last run happened before that cell's last run.

    A kernel never repeats a count, so when two cells share one the counts come from more than
    one kernel session (or a cell was copied), and which cell ran in which session the counts
    cannot tell: then no order is stated (NBD103 reports the repeat). Counts below 1 are no
    kernel's and are skipped, as are empty cells (IPython runs nothing for them and repeats the
    count of the run before). Distinct counts are read as one session unless the two cells'
    outputs show otherwise: warnings or tracebacks that name different kernel processes
    (`/tmp/ipykernel_<pid>/`), or printed objects (`<... at 0x7f...>`) 4 GiB or more apart in
    memory, as two processes' objects lie and one process's rarely do. Then nothing is said
    about the pair.

    ## Why is this bad?
    The saved outputs were produced in an order nobody will use again. Run top to bottom, the cell
    above may change a value this cell read, and the notebook may fail or give other results.

    ## Example
    ```python
    # cell 1, run as [2]
    data = load()
    # cell 2, run as [1]
    model = fit(data)
    ```

    ## Use instead
    Restart the kernel and run all cells, then save:
    ```python
    # cell 1, run as [1]
    data = load()
    # cell 2, run as [2]
    model = fit(data)
    ```
    """
    if not nb.history.ordered:
        return
    from ..analysis.history import ran_apart  # loaded with the history

    highest_above = None
    for cell in sorted(nb.history.run_cells, key=lambda cell: cell.index):
        if (
            highest_above is not None
            and cell.execution_count < highest_above.execution_count
            and not ran_apart(cell, highest_above)
        ):
            yield Finding(
                cell,
                f"Cell {cell.index} ran as [{cell.execution_count}], before cell "
                f"{highest_above.index} above it (run as [{highest_above.execution_count}])",
                help="Restart the kernel and run all cells top to bottom",
            )
        if highest_above is None or cell.execution_count > highest_above.execution_count:
            highest_above = cell


def skipped_cell(nb: Analysis) -> Iterator[Finding]:
    """A non-empty code cell was never run, but cells below it were.

    ## What it does
    Flags a code cell with source but no execution count when some code cell below it has one. The
    cell was not run before them, or its output was cleared since: either way the saved results
    below do not show what it does. A Python cell of comments alone does nothing and is not flagged.
    A notebook where some cell's outputs are saved without its count (some front-ends, Colab among
    them, drop the counts of cells that ran) says nothing by a missing count: the rule is silent
    there.

    ## Why is this bad?
    The saved results were made without this cell. Run top to bottom, it runs, and what it does
    (a filter, an overwrite, an error) can change everything below it.

    ## Example
    ```python
    # cell 1, run as [1]
    df = load()
    # cell 2, never run
    df = df.dropna()
    # cell 3, run as [2]
    df.describe()
    ```

    ## Use instead
    Run every cell, top to bottom, or delete the cell if it is not part of the analysis:
    ```python
    # cell 1, run as [1]
    df = load()
    # cell 2, run as [2]
    df = df.dropna()
    # cell 3, run as [3]
    df.describe()
    ```
    """
    if not nb.history.informative:
        return
    code_cells = nb.notebook.code_cells
    last_run = max(
        (
            position
            for position, cell in enumerate(code_cells)
            if cell.execution_count is not None and cell.execution_count > 0
        ),
        default=-1,
    )
    if any(cell.execution_count is None and cell.outputs for cell in code_cells):
        return  # outputs saved without their count: this front-end drops counts of cells that ran
    python = nb.notebook.is_python
    for cell in code_cells[:last_run]:
        if cell.execution_count is None and not _does_nothing(cell.source, python):
            yield Finding(
                cell,
                f"Cell {cell.index} has no execution count (not run, or its output cleared), "
                "but cells below it ran",
                help="Run all cells top to bottom, or delete the cell",
            )


def _does_nothing(source: str, python: bool) -> bool:
    """Blank, or (in Python) nothing but comments."""
    return all(
        not line.strip() or (python and line.lstrip().startswith("#"))
        for line in source.splitlines()
    )


def not_run_from_fresh_kernel(nb: Analysis) -> Iterator[Finding]:
    """The execution counts do not run 1..n: the saved state is not one fresh top-to-bottom run.

    ## What it does
    Flags the first place where the saved execution counts skip a number, or start above 1. Each
    missing number is a run whose cell was run again later or no longer exists. When two cells
    share a count, the kernel restarted between their runs, or a cell was copied (a kernel never
    repeats a count): the finding names them instead of gaps. An empty cell is not one of them:
    IPython runs nothing for it, and it shows the count of the run before.
    Cells saved with a count below 1 (Colab writes 0 over real counts) may be the missing runs:
    gaps are reported only when more runs are missing than there are such cells.

    ## Why is this bad?
    The kernel's state when the notebook was saved included the effects of runs that are not in
    the notebook any more. Results may depend on code nobody can see.

    ## Example
    ```python
    # cell 1, run as [3]
    import pandas as pd
    # cell 2, run as [7]
    df = pd.read_csv("data.csv")
    ```

    ## Use instead
    Restart the kernel and run all cells, so the counts run 1, 2, 3, ...:
    ```python
    # cell 1, run as [1]
    import pandas as pd
    # cell 2, run as [2]
    df = pd.read_csv("data.csv")
    ```
    """
    history = nb.history
    if not history.informative:
        return
    if history.repeated:
        cells = history.repeated[0]
        names = ", ".join(str(cell.index) for cell in cells[:-1]) + f" and {cells[-1].index}"
        others = len(history.repeated) - 1
        more = f"; {others} more {'count repeats' if others == 1 else 'counts repeat'}"
        yield Finding(
            cells[1],
            f"Not run from a fresh kernel: cells {names} {'both' if len(cells) == 2 else 'all'} "
            f"carry [{cells[0].execution_count}], and one kernel session never repeats a count "
            f"(it restarted, or a cell was copied){more if others else ''}",
            help="Restart the kernel and run all cells top to bottom",
        )
        return
    gaps = history.gaps()
    if not gaps:
        return
    missing, cell = gaps[0]
    if missing == 1:
        detail = f"the first count is [{cell.execution_count}], not [1]"
    else:
        detail = f"the counts skip from [{missing - 1}] to [{cell.execution_count}]"
    others = len(gaps) - 1
    more = f" ({others} more {'gap' if others == 1 else 'gaps'})" if others else ""
    yield Finding(
        cell,
        f"Not run from a fresh kernel: {detail}{more}; runs are missing from the saved notebook",
        help="Restart the kernel and run all cells top to bottom",
    )


def error_output(nb: Analysis) -> Iterator[Finding]:
    """A saved output holds an error.

    ## What it does
    Flags a code cell whose saved outputs include an error (an exception raised by the cell).

    ## Why is this bad?
    A notebook saved with an error did not run to the end as saved; whatever the cells below show
    was made by a kernel in which this cell failed.

    ## Example
    ```python
    # cell 1, output: ZeroDivisionError: division by zero
    ratio = total / count
    ```

    ## Use instead
    Fix the cause, re-run the notebook and save it without errors:
    ```python
    # cell 1
    ratio = total / count if count else 0.0
    ```
    """
    for cell in nb.notebook.code_cells:
        for output in cell.outputs:
            if output.get("output_type") == "error":
                name = output.get("ename") or "Error"
                value = output.get("evalue") or ""
                summary = f"{name}: {value}" if value else str(name)
                if len(summary) > 120:
                    summary = summary[:117] + "..."
                yield Finding(cell, f"Saved output holds an error: {summary}", symbol=str(name))
                break

"""NBD2xx: hidden state, from what each cell reads and binds."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Cell
from ..records import TYPE_CHECKING
from .base import Finding

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..analysis.dataflow import CellNames, Provenance, Read


def use_before_definition(nb: Analysis) -> Iterator[Finding]:
    """A cell reads a name that only cells below it bind.

    ## What it does
    Follows the notebook top to bottom and flags each read of a global name that no cell above
    has bound yet, when a cell below (or the cell itself, later on) binds it; also a read of a
    name a `del` above has removed. A cell below that reads the name before binding it (`x *= 2`)
    needs it bound already: it does not count as binding it. A function reads the globals of its body when it is called,
    so a helper that uses a global bound further down is flagged where it is called, for the
    path that call takes: a branch on a parameter that the call decides with a literal argument,
    or a literal default it leaves in place (`plot(data)` with `def plot(data, predict=False)`
    and `if predict:` in its body), is read only when it runs; a read on some of its paths only
    (under a test nbcheck cannot decide) is one the function "may read". Likewise a function that binds a
    global (`global sess; sess = ...`) binds it where it is called, and through the functions
    that call it. A star import or another binding nobody can see, above
    the read or earlier in its cell, may have bound the name: such reads are not flagged. Nor is
    a notebook that does not name its language and imports nothing (NBD201-NBD203 alike): its
    kernel may define names of its own, as SageMath's does.

    ## Why is this bad?
    The notebook only worked because the cells ran in another order. Run top to bottom, in a
    fresh kernel, the cell raises NameError, or reads a value left over from something else.

    ## Example
    ```python
    # cell 1, run as [2]
    model = train(features)
    # cell 2, run as [1]
    features = build_features()
    ```

    ## Use instead
    Move the cell that binds the name above the cells that read it:
    ```python
    # cell 1, run as [1]
    features = build_features()
    # cell 2, run as [2]
    model = train(features)
    ```
    """
    if _namespace_unknown(nb):
        return
    dataflow = nb.dataflow
    for provenance in dataflow.top_to_bottom():
        if provenance.source is not None:
            continue
        read, cell = provenance.read, provenance.cell.cell
        binders = dataflow.binders.get(read.name, [])
        if provenance.deleted_by is not None:
            reason = f"after cell {provenance.deleted_by.cell.index} deleted it"
        elif binders:
            later = [names for names in binders if names.cell.index > cell.index]
            # A cell that reads the name before it binds it (`x *= 2`) needs it already bound:
            # it cannot be the binding this read lacks.
            creating = [names for names in later if not _reads_first(names, read.name)]
            if later and not creating:
                continue
            below = [
                f"{names.cell.index} (calling `{names.binds[read.name]}`)"
                if names.binds[read.name]
                else str(names.cell.index)
                for names in creating
            ]
            if below:
                reason = f"bound only in {_cells(below)} below"
            else:
                calling = provenance.cell.binds.get(read.name)
                reason = "before this cell binds it" + (
                    f" (calling `{calling}`)" if calling else ""
                )
        else:
            continue  # bound nowhere: NBD202
        yield _finding(cell, read, _reads(cell, read) + f" {reason}", read.name)


def undefined_name(nb: Analysis) -> Iterator[Finding]:
    """A cell reads a name that no cell binds.

    ## What it does
    Flags each read of a global name that no cell of the notebook binds (assignment, import,
    `def`, `class`, `for` target, ...) and that is neither a builtin nor one of IPython's own
    names (`In`, `Out`, `_`, `display`, ...). Function bodies are checked too, and the bodies of
    lambdas that are stored or passed on rather than called where they are written: they read
    when they are called, which nbcheck does not see, so NBD201 does not judge them.

    A star import, `%run`, `exec`, `globals().update(...)`, an unknown cell magic or a cell that
    does not parse may bind any name: a read below such a cell, or after it in the same cell, is
    given the benefit of the doubt. A read above it is not: run top to bottom, nothing below a
    cell runs before it, so the message says what lies below and that it comes too late. A
    function's reads are then judged where it is called.

    ## Why is this bad?
    The name came from a cell that has since been deleted, or from code typed into the kernel
    and never saved. Run top to bottom, the cell raises NameError.

    ## Example
    ```python
    # cell 1
    import pandas as pd
    # cell 2
    summary = sales.groupby("region").sum()
    ```

    ## Use instead
    Keep the cell that binds the name in the notebook:
    ```python
    # cell 1
    import pandas as pd
    # cell 2
    sales = pd.read_csv("sales.csv")
    # cell 3
    summary = sales.groupby("region").sum()
    ```
    """
    if _namespace_unknown(nb):
        return
    dataflow = nb.dataflow
    for provenance in dataflow.top_to_bottom():
        read, names = provenance.read, provenance.cell
        if provenance.source is not None or dataflow.bound_anywhere(read.name):
            continue
        if read.via is not None and not dataflow.binds_unknown:
            continue  # reported below, where the function is written
        opaque = dataflow.opaque_after(names, read)
        help = None
        if read.name in dataflow.pyspark_shell:
            claim = (
                "which no cell binds: the pyspark shell defines it, so the notebook runs in a "
                "kernel that pyspark starts, not in a fresh Python kernel"
            )
            help = (
                "Make it in the notebook: `spark = SparkSession.builder.getOrCreate()`, "
                "`sc = spark.sparkContext`"
            )
        elif not opaque:
            claim = "which no cell binds"
        else:
            first, more = opaque[0], len(opaque) - 1
            why = first.flow.unknown_reason
            if why == "does not parse" and nb.notebook.ran_python_2:
                why = "does not parse as Python 3 (the kernel ran Python 2)"
            if first is names:
                where = f"this cell {why} further down"
                when = "the read"
            else:
                where = f"cell {first.cell.index} below {why}"
                when = "this cell runs"
            claim = f"which no cell above binds; {where}, so it may bind it, but only after {when}"
            if more:
                claim += f" (as may {more} more {'cell' if more == 1 else 'cells'} below)"
        yield _finding(names.cell, read, f"{_reads(names.cell, read)} {claim}", read.name, help)
    if dataflow.binds_unknown:
        return  # a function may be called after a cell that binds what it reads
    for names in dataflow.cells:
        cell = names.cell
        for read in names.flow.unseen.values():
            if not dataflow.bound_anywhere(read.name):
                message = f"A lambda in cell {cell.index} reads `{read.name}`, which no cell binds"
                yield _finding(cell, read, message, read.name)
        for summary in names.flow.functions.values():
            if summary.is_class:
                continue  # its reads are its constructors', reported as theirs
            for read in summary.reads.values():
                if not dataflow.bound_anywhere(read.name):
                    kind = "Method" if "." in summary.name else "Function"
                    yield _finding(
                        cell,
                        read,
                        f"{kind} `{summary.name}` reads `{read.name}`, which no cell binds",
                        read.name,
                    )


def order_dependent_value(nb: Analysis) -> Iterator[Finding]:
    """The execution counts show a cell read a value from another cell than top-to-bottom order.

    ## What it does
    From the saved execution counts, finds which cell's binding each read really saw: the last
    cell that ran before the reading cell and binds the name. Flags the read when that is not the
    cell that running the notebook top to bottom would take the value from, for example a cell
    below, or a cell above that was re-run after a later one changed the name. Silent when the
    counts leave doubt (runs missing in between, a star import), when the notebook has no
    informative counts, and when two cells share a count: a kernel never repeats one, so the
    counts come from several kernel sessions (or a cell was copied), and which cell ran in which
    the counts cannot tell; and when the outputs of the reading cell and of the cell it read
    from show they may have run in different kernel processes (warnings or tracebacks naming
    different `/tmp/ipykernel_<pid>/` files, printed objects `<... at 0x7f...>` 4 GiB or more
    apart in memory). Silent, too, when a cell that ran reads a name that only cells
    without a count bind (their counts were cleared: they ran, when is unknown), and when both
    cells bind the name by importing the same thing (the same object whichever ran last).

    ## Why is this bad?
    The saved outputs were computed from a value that a clean, top-to-bottom run will not
    produce. The notebook shows results it cannot reproduce.

    ## Example
    ```python
    # cell 1, run as [1]
    df = load()
    # cell 2, run as [3]
    print(len(df))
    # cell 3, run as [2]
    df = df.dropna()
    ```

    ## Use instead
    Restart the kernel and run all cells, so each cell sees what the cells above it made:
    ```python
    # cell 1, run as [1]
    df = load()
    # cell 2, run as [2]
    print(len(df))
    # cell 3, run as [3]
    df = df.dropna()
    ```
    """
    if _namespace_unknown(nb):
        return
    for observed in nb.history.observed_sources(nb.dataflow):
        provenance: Provenance = observed.provenance
        read, cell = provenance.read, provenance.cell.cell
        source = observed.source.cell
        through = f" (through `{read.via}`)" if read.via else ""
        assert provenance.source is not None
        message = (
            f"Cell {cell.index} read `{read.name}`{through} from cell {source.index} "
            f"(run as [{source.execution_count}]); top to bottom it would come from cell "
            f"{provenance.source.cell.index}"
        )
        yield _finding(cell, read, message, read.name)


def _reads_first(names: CellNames, name: str) -> bool:
    """The cell reads `name` before anything in it binds it."""
    return any(read.name == name for read in names.reads)


def _namespace_unknown(nb: Analysis) -> bool:
    """The notebook does not name its language and imports nothing: its kernel may define names
    of its own (SageMath's `x`, `var`, `plot3d`), so what no cell binds tells nothing."""
    return not nb.notebook.names_its_language and not nb.calls.imports


def _reads(cell: Cell, read: Read) -> str:
    if read.via:
        reads = "may read" if read.maybe else "reads"
        return f"Cell {cell.index} calls `{read.via}`, which {reads} `{read.name}`,"
    return f"Cell {cell.index} reads `{read.name}`,"


def _cells(indexes: list[str]) -> str:
    if len(indexes) == 1:
        return f"cell {indexes[0]}"
    return "cells " + ", ".join(map(str, indexes[:-1])) + f" and {indexes[-1]}"


def _finding(cell: Cell, read: Read, message: str, symbol: str, help: str | None = None) -> Finding:
    return Finding(
        cell,
        message,
        read.row,
        read.column,
        read.end_row,
        read.end_column,
        symbol=symbol,
        help=help,
    )

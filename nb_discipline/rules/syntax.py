"""NBD0xx: cells the analysis cannot read."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..records import TYPE_CHECKING
from .base import Finding

if TYPE_CHECKING:
    from ..analysis import Analysis


def syntax_error(nb: Analysis) -> Iterator[Finding]:
    """A code cell is not valid Python, even with IPython's syntax (magics, `!cmd`) allowed.

    ## What it does
    Flags each code cell of a Python notebook that does not parse, at the place the parser
    stopped. Line and cell magics, shell escapes, `?` help (on a logical line of several rows
    too) and the prompts of a pasted session (`>>> `, `... `) are understood as IPython
    understands them and do not count; the place reported is the cell's own row and column.
    The other code rules skip such a cell: they cannot see what it reads or binds. A notebook
    whose metadata does not name its language (stripped by a tool, or a kernel unknown here
    named without it) is read as Python, and the message says so; when most of its code cells
    do not parse, it is likely written for another kernel (bash, Julia), and one finding says
    that instead of one per cell. The message also says when the notebook's kernel ran Python 2 (`print x` is
    valid there; its cells are read as Python 3), and when the cell's first line is a cell
    magic written with one `%` (`%bash`, which Google Cloud Datalab ran as `%%bash`).

    ## Why is this bad?
    Run top to bottom, the cell fails at once and nothing below it runs. The saved outputs, if any,
    came from an earlier version of the cell.

    ## Example
    ```python
    # cell 1
    scores = {"train": 0.91, "test": 0.87
    ```

    ## Use instead
    ```python
    # cell 1
    scores = {"train": 0.91, "test": 0.87}
    ```
    """
    does_not_parse = "Cell does not parse"
    if not nb.notebook.names_its_language:
        does_not_parse += " as Python (the notebook does not name its language)"
    elif nb.notebook.ran_python_2:
        does_not_parse += " as Python 3 (the notebook's kernel is Python 2)"
    failing = [parsed for parsed in nb.parsed if parsed.syntax_error is not None]
    written = [parsed for parsed in nb.parsed if parsed.cell.source.strip()]
    if failing and not nb.notebook.names_its_language and 2 * len(failing) > len(written):
        error = failing[0].syntax_error
        others = len(failing) - 1
        if others == 0:
            also = "the notebook's only code cell"
        else:
            verb = "does" if others == 1 else "do"
            also = f"nor {verb} {others} more of the notebook's {len(written)} code cells"
        message = (
            f"Cell does not parse as Python ({error.message}), {also}, and the notebook does not "
            f"name its language: it may be written for another kernel"
        )
        help = "Save it from its kernel, so that its metadata names the language"
        yield Finding(failing[0].cell, message, error.row, error.column, help=help)
        return
    for parsed in failing:
        error = parsed.syntax_error
        message = f"{does_not_parse}: {error.message}"
        magic = _cell_magic_with_one_percent(parsed.cell.source, error.row)
        if magic is not None:
            message += (
                f"; `%{magic}` on its first line is read as a line magic, not as the cell "
                f"magic `%%{magic}` (Google Cloud Datalab alone read it as one)"
            )
        yield Finding(parsed.cell, message, error.row, error.column)


# Cell magics of Google Cloud Datalab's notebooks (BigQuery), besides IPython's own.
DATALAB_CELL_MAGICS = frozenset({"bq", "sql"})


def _cell_magic_with_one_percent(source: str, error_row: int) -> str | None:
    """The name of a cell magic written with one `%` on the cell's first line (`%bash`) when the
    error lies below it: Datalab's notebook ran such a cell as `%%bash`, IPython does not."""
    from ..analysis.source import FOREIGN_CELL_MAGICS, PYTHON_CELL_MAGICS

    lines = re.split(r"\r\n|\r|\n", source)  # rows as Python's tokenizer counts them
    first = next((row for row, line in enumerate(lines, 1) if line.strip()), error_row)
    match = re.match(r"%(\w+)(\s|$)", lines[first - 1].strip()) if first < error_row else None
    if match is None:
        return None
    name = match[1]
    known = name in FOREIGN_CELL_MAGICS or name in PYTHON_CELL_MAGICS
    return name if known or name in DATALAB_CELL_MAGICS else None

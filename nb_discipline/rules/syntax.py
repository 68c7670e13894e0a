"""NBD0xx: cells the analysis cannot read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..records import TYPE_CHECKING
from .base import Finding

if TYPE_CHECKING:
    from typing import Any

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
    named without it) is read as Python, and the message says so: it may be a bash or Julia
    notebook. So does the message on a notebook whose kernel ran Python 2 (`print x` is valid
    there): its cells are read as Python 3.

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
    elif _ran_python_2(nb.notebook.metadata):
        does_not_parse += " as Python 3 (the notebook's kernel is Python 2)"
    for parsed in nb.parsed:
        error = parsed.syntax_error
        if error is not None:
            message = f"{does_not_parse}: {error.message}"
            yield Finding(parsed.cell, message, error.row, error.column)


def _ran_python_2(metadata: Mapping[str, Any]) -> bool:
    """The version the kernel reported (`language_info`) is 2.x, or, without one, the kernelspec
    is `python2`."""
    language_info = metadata.get("language_info")
    if isinstance(language_info, Mapping) and isinstance(language_info.get("version"), str):
        return language_info["version"].startswith("2.")
    kernelspec = metadata.get("kernelspec")
    return isinstance(kernelspec, Mapping) and kernelspec.get("name") == "python2"

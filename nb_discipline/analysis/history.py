"""The execution history that a notebook's saved execution counts imply.

Jupyter saves, for each code cell, the kernel's counter from its last run. Sorting the cells that
carry a count gives the order of their last runs; gaps and a first count above one show runs whose
cells were re-run or deleted since. Notebooks without counts (stripped) and notebooks whose counts
are all equal (tools that write 0 everywhere) say nothing about order: `informative` is False.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Cell, Notebook


@dataclass(frozen=True, slots=True)
class History:
    run_cells: tuple[Cell, ...]
    """Code cells that carry an execution count, in the order of their last runs."""

    informative: bool

    @classmethod
    def of(cls, notebook: Notebook) -> History:
        counted = [cell for cell in notebook.code_cells if cell.execution_count is not None]
        run_order = tuple(sorted(counted, key=lambda cell: (cell.execution_count, cell.index)))
        informative = len({cell.execution_count for cell in counted}) > 1
        return cls(run_cells=run_order, informative=informative)

    def gaps(self) -> list[tuple[int, Cell]]:
        """(missing count, the cell that ran right after it) for each hole in 1..n."""
        expected = 1
        holes = []
        for cell in self.run_cells:
            count = cell.execution_count
            assert count is not None
            if count > expected:
                holes.append((expected, cell))
            expected = max(expected, count + 1)
        return holes

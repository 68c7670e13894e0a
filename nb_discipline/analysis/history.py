"""The execution history that a notebook's saved execution counts imply.

Jupyter saves, for each code cell, the kernel's counter from its last run. Sorting the cells that
carry a count gives the order of their last runs; gaps and a first count above one show runs whose
cells were re-run or deleted since. Notebooks without counts (stripped) and notebooks whose counts
are all equal (tools that write 0 everywhere) say nothing about order: `informative` is False.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from ..model import Cell, Notebook
from ..records import Record
from .dataflow import CellNames, Dataflow, Provenance


class History(Record):
    run_cells: tuple[Cell, ...]
    """Code cells that carry an execution count, in the order of their last runs."""

    informative: bool

    counts: tuple[int, ...] = ()
    """The distinct saved execution counts, in order."""

    @classmethod
    def of(cls, notebook: Notebook) -> History:
        counted = [cell for cell in notebook.code_cells if cell.execution_count is not None]
        run_order = tuple(sorted(counted, key=lambda cell: (cell.execution_count, cell.index)))
        informative = len({cell.execution_count for cell in counted}) > 1
        counts = tuple(sorted({cell.execution_count for cell in counted}))  # type: ignore[type-var]
        return cls(run_cells=run_order, informative=informative, counts=counts)

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

    def complete_between(self, low: int, high: int) -> bool:
        """True when every run numbered strictly between `low` and `high` is a saved cell's last
        run: no re-run or deleted cell ran in between."""
        saved = bisect.bisect_left(self.counts, high) - bisect.bisect_right(self.counts, low)
        return saved == high - low - 1

    def observed_sources(self, dataflow: Dataflow) -> Iterator[ObservedRead]:
        """Reads whose value, by the execution counts, came from another cell than the one that
        top-to-bottom order gives. Only where the counts leave no doubt: the binding run is saved,
        no unsaved run happened between it and the read, and no run in between could have bound
        the name without our knowing (a star import, `%run`) or deleted it.
        """
        if not self.informative:
            return
        events: dict[str, list[tuple[int, CellNames | None]]] = {}
        opaque: list[int] = []
        for names in dataflow.cells:
            count = names.cell.execution_count
            if count is None:
                continue
            for name in names.binds:
                events.setdefault(name, []).append((count, names))
            for name in names.deleted:
                events.setdefault(name, []).append((count, None))
            if names.binds_unknown:
                opaque.append(count)
        for runs in events.values():
            runs.sort(key=lambda run: run[0])
        opaque.sort()
        for provenance in dataflow.top_to_bottom():
            count = provenance.cell.cell.execution_count
            runs = events.get(provenance.read.name)
            if provenance.source is None or count is None or not runs:
                continue
            latest = bisect.bisect_left(runs, count, key=lambda run: run[0]) - 1
            if latest < 0:
                continue
            bound_at, source = runs[latest]
            if (
                source is None
                or source is provenance.source
                or bisect.bisect_right(opaque, bound_at) != bisect.bisect_left(opaque, count)
                or not self.complete_between(bound_at, count)
            ):
                continue
            yield ObservedRead(provenance, source)


class ObservedRead(Record):
    provenance: Provenance
    """The read, with the cell top-to-bottom order takes its value from."""

    source: CellNames
    """The cell whose binding the read really saw, by the execution counts."""

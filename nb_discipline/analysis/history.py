"""The execution history that a notebook's saved execution counts imply.

Jupyter saves, for each code cell, the kernel's counter from its last run. A kernel counts its
runs from 1 and never repeats a number, so:

- A count carried by two cells proves that the counts are not those of one kernel session: the
  kernel restarted between the two runs (or a cell was copied, which keeps its count). Which cell
  ran in which session, and so in what order cells of different sessions ran, the counts cannot
  tell: with a repeated count no order between cells is stated (`ordered` is False).
- Counts that are all different are read as one session, the simplest history they allow: sorting
  the cells gives the order of their last runs, and gaps and a first count above one show runs
  whose cells were re-run or deleted since.

Notebooks without counts (stripped) and notebooks whose counts are all equal (tools that write 0
everywhere) say nothing about order: `informative` is False. A count below 1 is no kernel's: such
cells are left out as if they had none. So are empty cells (nothing but whitespace): IPython runs
nothing for them and does not move its counter on, and ipykernel answers with the count of the run
before, so an empty cell repeats a count within one session and tells nothing of its own.

Distinct counts are consistent with one session, not proof of it: the kernel may have restarted
and run other cells, each with a count no saved cell repeats. The outputs can show it, and then
no order is stated between the two cells (`ran_apart`):

- ipykernel (6 and later) compiles each cell into a file named after the kernel's process id,
  `/tmp/ipykernel_<pid>/<hash>.py`, which warnings and tracebacks print: two cells whose outputs
  name different ids ran in different processes.
- CPython's default repr prints the object's address (`<keras.callbacks.History at 0x7f1d...>`),
  and address space layout randomisation places each process's memory maps at a random base, up
  to a terabyte apart. One process's objects lie, as a rule, within a few GiB of each other: on
  the notebooks of the test corpus whose counts run 1..n, half spread over less than 0.5 GiB, nine
  in ten over less than 4 GiB. Two cells whose printed objects lie 4 GiB or more apart (compared
  within the same terabyte, 0x7f... with 0x7f..., and only above 2**44, where Linux and macOS map
  memory) may come from two processes. Silence is the safe side: a process whose objects spread
  further only loses claims about that pair.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from operator import itemgetter

from ..model import Cell, Notebook
from ..records import Record
from .dataflow import CellNames, Dataflow, Provenance

_COUNT = itemgetter(0)  # the execution count of a (count, cell) run


class History(Record):
    run_cells: tuple[Cell, ...]
    """Code cells that carry an execution count, in the order of their last runs."""

    informative: bool

    counts: tuple[int, ...] = ()
    """The distinct saved execution counts, in order."""

    repeated: tuple[tuple[Cell, ...], ...] = ()
    """The cells that share a count, for each count more than one cell carries, in the order of
    the cell where the count repeats."""

    blank: int = 0
    """Code cells saved with a count below 1: some tools (Colab) write 0 over a real count."""

    @classmethod
    def of(cls, notebook: Notebook) -> History:
        carrying = [cell for cell in notebook.code_cells if cell.execution_count is not None]
        counted = [
            cell
            for cell in carrying
            if cell.execution_count > 0 and cell.source.strip()  # type: ignore[operator]
        ]
        run_order = tuple(sorted(counted, key=lambda cell: (cell.execution_count, cell.index)))
        counts = tuple(sorted({cell.execution_count for cell in counted}))  # type: ignore[type-var]
        sharing: dict[int, list[Cell]] = {}
        for cell in counted:
            sharing.setdefault(cell.execution_count, []).append(cell)  # type: ignore[arg-type]
        repeated = sorted(
            (tuple(cells) for cells in sharing.values() if len(cells) > 1),
            key=lambda cells: cells[1].index,
        )
        blank = sum(1 for cell in carrying if cell.execution_count < 1)  # type: ignore[operator]
        return cls(run_order, len(counts) > 1, counts, tuple(repeated), blank)

    @property
    def ordered(self) -> bool:
        """The counts give an order of the cells' last runs: informative, no count repeated."""
        return self.informative and not self.repeated

    def gaps(self) -> list[tuple[int, Cell]]:
        """(missing count, the cell that ran right after it) for each hole in 1..n; none when
        the cells saved with a count below 1 may have been the missing runs."""
        expected = 1
        holes = []
        for cell in self.run_cells:
            count = cell.execution_count
            assert count is not None
            if count > expected:
                holes.append((expected, cell))
            expected = max(expected, count + 1)
        missing = sum(cell.execution_count - count for count, cell in holes)  # type: ignore[operator]
        return holes if missing > self.blank else []

    def complete_between(self, low: int, high: int) -> bool:
        """True when every run numbered strictly between `low` and `high` is a saved cell's last
        run: no re-run or deleted cell ran in between."""
        saved = bisect.bisect_left(self.counts, high) - bisect.bisect_right(self.counts, low)
        return saved == high - low - 1

    def observed_sources(self, dataflow: Dataflow) -> Iterator[ObservedRead]:
        """Reads whose value, by the execution counts, came from another cell than the one that
        top-to-bottom order gives. Only where the counts leave no doubt: one session, the binding
        run is saved, no unsaved run happened between it and the read, and no run in between
        could have bound the name without our knowing (a star import, `%run`) or deleted it,
        the two cells' outputs do not show two processes (`ran_apart`), and a read through a
        call is one the call makes on every path it may take (not `maybe`).
        """
        if not self.ordered:
            return
        cleared: bool | None = None  # looked at the first time a binder has no count
        events: dict[str, list[tuple[int, CellNames | None]]] = {}
        opaque: list[int] = []
        for names in dataflow.cells:
            count = names.cell.execution_count
            if count is None or count < 1:
                continue
            for name in names.binds:
                events.setdefault(name, []).append((count, names))
            for name in names.deleted:
                events.setdefault(name, []).append((count, None))
            if names.binds_unknown:
                opaque.append(count)
        for runs in events.values():
            runs.sort(key=_COUNT)
        opaque.sort()
        unran_binder: dict[str, bool] = {}  # some cell binding the name has no count
        for provenance in dataflow.top_to_bottom():
            name = provenance.read.name
            count = provenance.cell.cell.execution_count
            runs = events.get(name)
            if provenance.source is None or count is None or count < 1 or not runs:
                continue
            if provenance.read.maybe:
                continue  # a call that reads the name on some paths only: no read to claim
            if name not in unran_binder:
                unran_binder[name] = not all(_ran(binder.cell) for binder in dataflow.binders[name])
            if unran_binder[name]:
                if cleared is None:
                    cleared = _cleared_counts(dataflow)
                if cleared:
                    continue  # a binder without a count may have run at any time
            latest = bisect.bisect_left(runs, count, key=_COUNT) - 1
            if latest < 0:
                continue
            bound_at, source = runs[latest]
            if (
                source is None
                or source is provenance.source
                or _same_import(provenance.read.name, source, provenance.source)
                or bisect.bisect_right(opaque, bound_at) != bisect.bisect_left(opaque, count)
                or not self.complete_between(bound_at, count)
                or ran_apart(source.cell, provenance.cell.cell)
            ):
                continue
            yield ObservedRead(provenance, source)


# How far apart, at least, objects printed by two cells lie when the cells are taken to have run
# in two processes; and the lowest address compared (below it: heaps, Windows, 32-bit kernels).
SEPARATE_PROCESSES = 1 << 32
_MAPPED = 1 << 44
_ADDRESS = None  # ` at 0x7f1d9a74d240>`, compiled on first use
_PROCESS_FILE = None  # `ipykernel_4211/`


def ran_apart(one: Cell, other: Cell) -> bool:
    """The outputs of the two cells show (process ids) or suggest (object addresses 4 GiB or
    more apart) that they ran in different kernel processes; see the module's documentation."""
    first, second = _process_marks(one), _process_marks(other)
    if first[0] and second[0] and not first[0] & second[0]:
        return True
    compared = False
    for address in first[1]:
        for other_address in second[1]:
            if address >> 40 == other_address >> 40:
                if abs(address - other_address) < SEPARATE_PROCESSES:
                    return False
                compared = True
    return compared


def _process_marks(cell: Cell) -> tuple[frozenset[str], tuple[int, ...]]:
    """The kernel process ids and the mapped addresses of objects that the cell's outputs print."""
    global _ADDRESS, _PROCESS_FILE
    texts = []
    for output in cell.outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = output.get("text")
        elif kind in ("execute_result", "display_data"):
            data = output.get("data")
            text = data.get("text/plain") if isinstance(data, dict) else None
        elif kind == "error":
            text = output.get("traceback")
        else:
            continue
        if isinstance(text, list):
            text = "".join(part for part in text if isinstance(part, str))
        if isinstance(text, str):
            texts.append(text)
    if not texts:
        return frozenset(), ()
    if _ADDRESS is None:
        _ADDRESS = re.compile(r" at 0x([0-9a-fA-F]{12,16})>")
        _PROCESS_FILE = re.compile(r"ipykernel_(\d+)[/\\]")
    assert _PROCESS_FILE is not None
    text = "\n".join(texts)
    addresses = (int(found, 16) for found in _ADDRESS.findall(text))
    return (
        frozenset(_PROCESS_FILE.findall(text)),
        tuple(address for address in addresses if address >= _MAPPED),
    )


def _same_import(name: str, one: CellNames, other: CellNames) -> bool:
    """Both cells bind `name` by importing the same thing, and nothing else: the same object
    (Python imports a module once), whichever of them ran last."""
    imported = _imported_as(name, one)
    return imported is not None and imported == _imported_as(name, other)


def _imported_as(name: str, names: CellNames) -> str | None:
    """What the cell's code imports as `name` (`numpy`, `sklearn.svm.SVC`), when every binding of
    `name` in the cell is that import; else None."""
    import ast

    tree = names.flow.parsed.tree
    if tree is None or names.binds.get(name) is not None:
        return None
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (alias.asname or alias.name.partition(".")[0]) == name:
                    found.add(alias.name if alias.asname else alias.name.partition(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    found.add(f"{node.module}.{alias.name}")
        elif _binds_otherwise(node, name):
            return None
    return found.pop() if len(found) == 1 else None


def _binds_otherwise(node, name: str) -> bool:
    import ast

    if isinstance(node, ast.Name):
        return node.id == name and isinstance(node.ctx, ast.Store)
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return isinstance(node, definitions) and node.name == name


def _ran(cell: Cell) -> bool:
    return cell.execution_count is not None and cell.execution_count > 0


def _cleared_counts(dataflow: Dataflow) -> bool:
    """Some cell ran without an error and read a name that only cells without a count bind:
    those cells ran too, and their counts were cleared (Clear Output drops a cell's count), so a
    missing count does not mean that a cell never ran."""
    for names in dataflow.cells:
        cell = names.cell
        if not _ran(cell) or any(output.get("output_type") == "error" for output in cell.outputs):
            continue
        for read in names.reads:
            binders = dataflow.binders.get(read.name)
            if binders and not any(_ran(binder.cell) for binder in binders):
                return True
    return False


class ObservedRead(Record):
    provenance: Provenance
    """The read, with the cell top-to-bottom order takes its value from."""

    source: CellNames
    """The cell whose binding the read really saw, by the execution counts."""

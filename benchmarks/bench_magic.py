"""What `%load_ext nb_discipline` adds to every cell, on a real InteractiveShell.

    python benchmarks/bench_magic.py [--cells 3000] [--lineage] [--view]

Every session runs in a fresh interpreter with its own IPython directory (IPYTHONDIR) in a temporary
directory: sessions run one after the other in one process share the shell, its history, linecache
and the heap, so a session's figures would depend on the ones before it; and with the user's own
IPython directory every cell would be appended to their history database (hundreds of MB after a
few runs, written by IPython's history thread while the hooks run).

Per cell size (a 20-line and a 2,000-line cell):
- the hooks alone: time in the extension's pre_run_cell and post_run_cell callbacks, taken by
  timestamp callbacks registered around them, minus the same with no extension (the timestamps' own
  cost). The benchmark keeps the syntax tree IPython parsed until after the last timestamp: the
  extension reuses that tree, and whoever drops it last pays for freeing it, which IPython does
  after every cell with or without the extension; that time is printed apart;
- the garbage collections that started inside the hooks, and the time they took;
- the whole `run_cell` (CPU time of the thread), with and without the extension, in two sessions;
  and in one session that switches the live hooks on and off in turns of BLOCK cells, the median
  over each turn with the hooks minus the turn after it (the machine's load drifts less within two
  turns than over a session): the time the extension adds to a cell, everything included (freeing
  the tree, caches the hooks evict that IPython then refills), free of the timestamps.
Then cells run again unchanged, and growth: one long session in which every cell binds new names, so
the state the extension keeps grows all the time. Per tenth of that session: the hooks' CPU time
beside IPython's own `run_cell` time (which follows the machine's load, not the session's length)
and their ratio, and the Python calls the hooks make per cell (median; counted on every 10th cell,
which is not timed): the work a cell costs, free of the machine's noise.

With a view of the notebook from the browser (alone with --view): the hooks' CPU time per 20-line
cell when the browser's extension has sent a VIEW_CELLS-cell notebook that holds the cells run (the
hooks number cells in the view), and the time the kernel takes to apply each kind of message to a
VIEW_CELLS-cell view, with the message's size in bytes.

Last (alone with --lineage), the data lineage's audit hook (nb_discipline.lineage): run_cell's CPU
time for 20-line cells before and after the hook is installed, with the time the inert hook adds
to one audit event and the events a cell raises; and the wall time of a cell opening 10,000 small
files and of one reading a 1 GiB file, plain and under `%%production` (hashing each file the first
time, its digest kept the second).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import load_average, print_machine

from tests.builders import code, write_notebook

CELL_IDS = [f"cell-{number}" for number in range(40)]
COUNT_EVERY = 10
"""In the growth session, every COUNT_EVERY-th cell counts calls instead of being timed."""
BLOCK = 20
"""The alternate session switches the hooks on and off every BLOCK cells: a cell pays for some of
what the cell before it did (the caches it evicted), so switching every cell would charge part of
the hooks' cost to the cells without them."""


def cell_source(lines: int, serial: int) -> str:
    """A cell of `lines` lines that reads a name the previous cell bound and binds new ones."""
    body = [
        "import math",
        f"base_{serial} = total_{serial - 1} / 1000" if serial else "base_0 = 1.0",
    ]
    row = 0
    while len(body) < lines - 1:
        body += [
            f"value_{serial}_{row} = math.sqrt(base_{serial} + {row}) * 2",
            f"items_{serial}_{row} = [value_{serial}_{row} * k for k in range(3)]",
            f"if items_{serial}_{row}[0] > 1e9:",
            f"    print(value_{serial}_{row})",
        ]
        row += 1
    body = body[: lines - 1]
    body.append(f"total_{serial} = base_{serial} + len(items_{serial}_0)")
    return "\n".join(body)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(values_ms: list[float]) -> str:
    return f"median {statistics.median(values_ms):.3f} ms, p99 {percentile(values_ms, 0.99):.3f} ms"


class HookTimer:
    """Timestamp callbacks around the extension's: registered before and after loading it.

    Records wall time and the thread's CPU time per cell (on a shared machine the CPU time is the
    figure that depends least on the other processes), the collections that start in between,
    and, on the cells asked for, the Python function calls made in between instead of times.
    """

    def __init__(self, shell) -> None:
        self.shell = shell
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.freed: list[float] = []
        self.calls: list[int] = []
        self.collections = [0, 0, 0]
        self.collecting_ms = 0.0
        self.count_calls = False
        self._inside = False
        self._collection_started = 0
        self._started = (0, 0)
        self._total = [0, 0]
        self._calls = 0
        self._trees: list[object] = []

    def start(self, *_: object) -> None:
        self._inside = True
        if self.count_calls:
            sys.setprofile(self._count)
        self._started = (time.perf_counter_ns(), time.thread_time_ns())

    def stop(self, *_: object) -> None:
        self._total[0] += time.perf_counter_ns() - self._started[0]
        self._total[1] += time.thread_time_ns() - self._started[1]
        sys.setprofile(None)
        self._inside = False

    def stop_post(self, *_: object) -> None:
        self.stop()
        if self.count_calls:
            self.calls.append(self._calls)
        else:
            self.wall.append(self._total[0] / 1e6)
            self.cpu.append(self._total[1] / 1e6)
        self._total = [0, 0]
        self._calls = 0
        started = time.thread_time_ns()
        self._trees.clear()
        self.freed.append((time.thread_time_ns() - started) / 1e6)

    def _count(self, _frame: object, event: str, _arg: object) -> None:
        if event in ("call", "c_call"):
            self._calls += 1

    def _collection(self, phase: str, info: dict) -> None:
        if phase == "start" and self._inside:
            self.collections[info["generation"]] += 1
            self._collection_started = time.perf_counter_ns()
        elif phase == "stop" and self._collection_started:
            self.collecting_ms += (time.perf_counter_ns() - self._collection_started) / 1e6
            self._collection_started = 0

    def around(self, load) -> None:
        """Install the timestamps and the tree keeper, run `load`, install the closing stamps."""
        compiler = self.shell.compile
        parse = compiler.ast_parse

        def ast_parse(source: str, filename: str = "<unknown>", symbol: str = "exec") -> object:
            tree = parse(source, filename, symbol)
            self._trees.append(tree)
            return tree

        compiler.ast_parse = ast_parse
        gc.callbacks.append(self._collection)
        events = self.shell.events
        events.register("pre_run_cell", self.start)
        events.register("post_run_cell", self.start)
        load()
        events.register("pre_run_cell", self.stop)
        events.register("post_run_cell", self.stop_post)


def run_cell(shell, serial: int, source: str) -> float:
    """Run one cell as JupyterLab sends it; its CPU time in ms."""
    cell_id = CELL_IDS[serial % len(CELL_IDS)]
    warnings = io.StringIO()  # every 40th cell reads a name set below it: one warning line
    started = time.thread_time_ns()
    with contextlib.redirect_stderr(warnings):
        result = shell.run_cell(
            source,
            store_history=True,
            cell_id=cell_id,
            cell_meta={"cellId": cell_id, "deletedCells": []},
        )
    elapsed = (time.thread_time_ns() - started) / 1e6
    if not result.success:
        raise SystemExit(f"benchmark cell failed: {result.error_in_exec!r}")
    return elapsed


def session(lines: int, cells: int, kind: str) -> dict:
    """One session of `cells` cells in this process; `kind` is plain (no extension), extension,
    view (the extension, with the browser's VIEW_CELLS-cell view), rerun (each cell id always runs
    the same source), growth (every COUNT_EVERY-th cell counts calls instead of being timed) or
    alternate (the live hooks on and off, BLOCK cells each)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    if kind == "alternate":
        return alternate(shell, lines, cells)
    timer = HookTimer(shell)
    extension = kind != "plain"
    timer.around(lambda: shell.run_line_magic("load_ext", "nb_discipline") if extension else None)
    if kind == "view":
        install_view(shell)
    distinct = len(CELL_IDS) if kind == "rerun" else cells
    sources = [cell_source(lines, serial % distinct) for serial in range(cells)]
    run_ms = []
    for serial, source in enumerate(sources):
        timer.count_calls = kind == "growth" and serial % COUNT_EVERY == COUNT_EVERY - 1
        elapsed = run_cell(shell, serial, source)
        if not timer.count_calls:
            run_ms.append(elapsed)
    state = getattr(shell, "_nb_discipline_extension", None)
    return {
        "wall": timer.wall,
        "cpu": timer.cpu,
        "freed": timer.freed,
        "calls": timer.calls,
        "collections": timer.collections,
        "collecting_ms": timer.collecting_ms,
        "run": run_ms,
        "names_tracked": len(state.live.bound_by) if state else 0,
        "warnings_given": len(state.live.warned) if state else 0,
        "session_collections": sum(generation["collections"] for generation in gc.get_stats()),
    }


VIEW_CELLS = 500


def view_cells() -> list[dict]:
    """VIEW_CELLS cells as the browser sends them: the benchmark's cells spread among others,
    a third of them markdown."""
    others = [
        {
            "id": f"other-{number}",
            "cell_type": "markdown" if number % 3 == 0 else "code",
            "source": cell_source(20, number + 10_000),
            "execution_count": None,
        }
        for number in range(VIEW_CELLS - len(CELL_IDS))
    ]
    step = len(others) // len(CELL_IDS)
    for position, cell_id in enumerate(CELL_IDS):
        cell = {"id": cell_id, "cell_type": "code", "source": "pass", "execution_count": None}
        others.insert(position * (step + 1), cell)
    return others


def install_view(shell) -> None:
    """The browser's view, as its extension sends it over the comm (here handed over directly:
    an InteractiveShell has no kernel, and no comm)."""
    browser = shell._nb_discipline_extension.browser
    message = {"type": "full", "seq": 0, "path": "bench.ipynb", "cells": view_cells()}
    if browser.receive("bench", None, message):
        raise SystemExit("the benchmark's view was refused")


def turn_length(lines: int) -> int:
    """Cells per turn in the alternate session. What a 2,000-line cell leaves in the caches is
    nothing beside its own time: those switch every cell."""
    return BLOCK if lines <= 20 else 1


def alternate(shell, lines: int, cells: int) -> dict:
    """run_cell's CPU time with the live hooks on and off, BLOCK cells each in turn, one session."""
    shell.run_line_magic("load_ext", "nb_discipline")
    live = shell._nb_discipline_extension.live
    block = turn_length(lines)
    times: dict[str, list[float]] = {"on": [], "off": []}
    for serial in range(cells):
        hooks_on = serial // block % 2 == 0
        if not hooks_on:
            live.unregister()
        times["on" if hooks_on else "off"].append(
            run_cell(shell, serial, cell_source(lines, serial))
        )
        if not hooks_on:
            live.register()
    return times


def run_session(lines: int, cells: int, kind: str) -> dict:
    """`session` in a fresh interpreter, in a directory holding the notebook the kernel runs."""
    with tempfile.TemporaryDirectory() as directory:
        notebook = write_notebook(
            Path(directory) / "bench.ipynb",
            *(code("pass", cell_id=cell_id) for cell_id in CELL_IDS),
        )
        environment = {
            **os.environ,
            "JPY_SESSION_NAME": str(notebook),
            "IPYTHONDIR": str(Path(directory) / "ipython"),
            "PYTHONHASHSEED": "0",
        }
        completed = subprocess.run(
            [sys.executable, __file__, "--session", str(lines), str(cells), kind],
            cwd=directory,
            env=environment,
            capture_output=True,
            text=True,
        )
    if completed.returncode:
        sys.exit(f"{kind} session failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1])


def paired_differences(on: list[float], off: list[float], lines: int) -> list[float]:
    """Each turn with the hooks on minus the turn without them that follows it (medians of the
    turns): the machine's load drifts less within two turns than over the session."""
    block = turn_length(lines)
    return [
        statistics.median(on[start : start + block]) - statistics.median(off[start : start + block])
        for start in range(0, min(len(on), len(off)), block)
    ]


def collections(figures: dict, cells: int) -> str:
    young, middle, old = figures["collections"]
    return (
        f"{young + middle + old} in {cells} cells (generation 0/1/2: {young}/{middle}/{old}), "
        f"{figures['collecting_ms']:.1f} ms in all"
    )


# --- the data lineage's audit hook -----------------------------------------------------------

SMALL_FILES = 10_000
LARGE_FILE_BYTES = 2**30
AUDIT_EVENTS = 100_000


def lineage_session(kind: str, directory: str) -> dict:
    """In a fresh interpreter: `inert`, run_cell's CPU time for 20-line cells with the extension
    loaded before and after the audit hook is installed (one `%%production` cell installs it;
    nothing removes it), and the time an inert hook adds to one audit event; `files`, a cell
    opening SMALL_FILES small files and one reading a LARGE_FILE_BYTES file, plain, under
    `%%production` (hashing them) and under `%%production` again (digests kept)."""
    from IPython.core.interactiveshell import InteractiveShell

    from nb_discipline import lineage

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "nb_discipline")
    if kind == "inert":
        before = [run_cell(shell, serial, cell_source(20, serial)) for serial in range(600)]
        event_ns_before = _audit_event_ns()
        shell.run_cell("%%production --quiet\nx = 1")  # installs the hook
        assert lineage._installed
        after = [run_cell(shell, serial, cell_source(20, serial)) for serial in range(600, 1200)]
        return {
            "before": before[100:],
            "after": after[100:],
            "event_ns_before": event_ns_before,
            "event_ns_after": _audit_event_ns(),
            "events_per_cell": _events_per_cell(shell),
        }
    small = (
        f"for n in range({SMALL_FILES}):\n"
        f"    with open(f'{directory}/small/{{n}}.txt', 'rb') as handle:\n"
        "        handle.read()"
    )
    large = (
        f"with open('{directory}/large.bin', 'rb') as handle:\n"
        "    while handle.read(1 << 24):\n"
        "        pass"
    )
    figures = {}
    for name, body in (("small", small), ("large", large)):
        figures[name] = [
            _wall_ms(shell, body),
            _wall_ms(shell, f"%%production --quiet\n{body}"),
            _wall_ms(shell, f"%%production --quiet\n{body}"),
            _wall_ms(shell, "%%production --quiet\nx = 1"),
        ]
    return figures


def _wall_ms(shell, source: str) -> float:
    started = time.perf_counter()
    result = shell.run_cell(source)
    if not result.success:
        raise SystemExit(f"benchmark cell failed: {result.error_in_exec!r}")
    return (time.perf_counter() - started) * 1000


def _audit_event_ns() -> float:
    """Nanoseconds per `sys.audit` call of an event nobody handles: every installed hook runs."""
    started = time.perf_counter_ns()
    for _ in range(AUDIT_EVENTS):
        sys.audit("nb_discipline.bench")
    return (time.perf_counter_ns() - started) / AUDIT_EVENTS


def _events_per_cell(shell) -> float:
    """Audit events a 20-line cell raises, counted by a hook of the benchmark's own over 100
    cells (it stays installed: counted last)."""
    counted = [0]
    counting = [False]

    def count(event: str, args: tuple) -> None:
        if counting[0]:
            counted[0] += 1

    sys.addaudithook(count)
    counting[0] = True
    for serial in range(100):
        run_cell(shell, serial, cell_source(20, serial))
    counting[0] = False
    return counted[0] / 100


def run_lineage_session(kind: str) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        notebook = write_notebook(
            Path(directory) / "bench.ipynb",
            *(code("pass", cell_id=cell_id) for cell_id in CELL_IDS),
        )
        if kind == "files":
            (Path(directory) / "small").mkdir()
            for number in range(SMALL_FILES):
                (Path(directory) / "small" / f"{number}.txt").write_bytes(b"x" * 100)
            with open(Path(directory) / "large.bin", "wb") as handle:
                block = os.urandom(1 << 20)
                for _ in range(LARGE_FILE_BYTES >> 20):
                    handle.write(block)
        environment = {
            **os.environ,
            "JPY_SESSION_NAME": str(notebook),
            "IPYTHONDIR": str(Path(directory) / "ipython"),
            "PYTHONHASHSEED": "0",
        }
        completed = subprocess.run(
            [sys.executable, __file__, "--lineage-session", kind, directory],
            cwd=directory,
            env=environment,
            capture_output=True,
            text=True,
        )
    if completed.returncode:
        sys.exit(f"{kind} session failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.splitlines()[-1])


def lineage_figures() -> None:
    inert = run_lineage_session("inert")
    before, after = statistics.median(inert["before"]), statistics.median(inert["after"])
    per_event = inert["event_ns_after"] - inert["event_ns_before"]
    print("\ndata lineage: the audit hook, installed and inert outside %%production")
    print(f"  run_cell CPU, 20-line cells, before the hook: {summary(inert['before'])}")
    print(f"  run_cell CPU, 20-line cells, hook installed:  {summary(inert['after'])}")
    print(f"  difference of medians: {after - before:+.3f} ms (the machine's noise included)")
    print(
        f"  one audit event: {inert['event_ns_before']:.0f} ns without the hook, "
        f"{inert['event_ns_after']:.0f} ns with it (+{per_event:.0f} ns); "
        f"{inert['events_per_cell']:.0f} events per 20-line cell: "
        f"{per_event * inert['events_per_cell'] / 1e6:.4f} ms per cell"
    )
    files = run_lineage_session("files")
    for name, label in (
        ("small", f"a cell opening {SMALL_FILES:,} files of 100 bytes"),
        ("large", f"a cell reading one {LARGE_FILE_BYTES / 2**30:.0f} GiB file"),
    ):
        plain, first, again, empty = files[name]
        print(f"\n{label} (wall ms)")
        print(f"  plain cell:                                  {plain:9.1f}")
        print(f"  %%production, first time (hashing):          {first:9.1f}")
        print(f"  %%production again (digests kept):           {again:9.1f}")
        print(f"  %%production of `x = 1` (checks, seeding):   {empty:9.1f}")


# --- the browser's view of the notebook -------------------------------------------------------


def view_figures(empty_cpu: float) -> None:
    """The hooks with a VIEW_CELLS-cell view, and the cost of applying each message to it."""
    from nb_discipline.notebook_view import NotebookView

    if not empty_cpu:
        empty_cpu = statistics.median(run_session(20, 1000, "plain")["cpu"])
    saved = run_session(20, 1000, "extension")
    viewed = run_session(20, 1000, "view")
    print(f"\n20-line cells, the browser's view of a {VIEW_CELLS}-cell notebook or the saved file")
    for label, figures in (("the view", viewed), ("the saved file", saved)):
        print(
            f"  hooks alone, CPU, {label + ':':16} {summary([t - empty_cpu for t in figures['cpu']])}"
            f" ({figures['warnings_given']} warnings)"
        )

    cells = view_cells()
    view = NotebookView()
    seq = [0]

    def message(kind: str, **fields) -> dict:
        seq[0] += 1
        return {"type": kind, "seq": seq[0], **fields}

    def timed(make, repeat: int) -> tuple[float, int]:
        """Median microseconds to apply the messages `make` gives, and the first one's bytes."""
        times, size = [], 0
        for number in range(repeat):
            data = make(number)
            size = size or len(json.dumps(data).encode())
            started = time.perf_counter_ns()
            if not view.receive(data):
                raise SystemExit(f"refused: {str(data)[:200]}")
            times.append((time.perf_counter_ns() - started) / 1000)
        return statistics.median(times), size

    typed = cells[250]["source"]
    rows = [
        ("full notebook", lambda n: message("full", path="bench.ipynb", cells=cells), 50),
        (
            "one cell's source (a burst of typing)",
            lambda n: message(
                "patch", changes=[{"op": "source", "id": cells[250]["id"], "source": typed + "x"}]
            ),
            5000,
        ),
        (
            "execution count",
            lambda n: message(
                "patch", changes=[{"op": "count", "id": cells[250]["id"], "execution_count": n}]
            ),
            5000,
        ),
        (
            "move a cell (from the middle to the top)",
            lambda n: message(
                "patch", changes=[{"op": "move", "id": cells[250]["id"], "index": 0}]
            ),
            2000,
        ),
        (
            "insert a cell, then delete it",
            lambda n: message(
                "patch",
                changes=[
                    {"op": "insert", "index": 250, "cell": {**cells[0], "id": f"new-{n}"}},
                    {"op": "delete", "id": f"new-{n}"},
                ],
            ),
            2000,
        ),
        (
            "rename",
            lambda n: message("patch", changes=[{"op": "path", "path": f"{n}.ipynb"}]),
            5000,
        ),
    ]
    print(f"\napplying a message to a {VIEW_CELLS}-cell view (median)")
    for label, make, repeat in rows:
        micro, size = timed(make, repeat)
        print(f"  {label + ':':42} {micro:9.1f} us  {size:>9,} bytes")
    positions, notebook = [], []
    for number in range(200):
        view.receive(
            message("patch", changes=[{"op": "move", "id": cells[number]["id"], "index": 0}])
        )
        started = time.perf_counter_ns()
        view.positions()
        positions.append((time.perf_counter_ns() - started) / 1000)
        started = time.perf_counter_ns()
        view.notebook("bench.ipynb")
        notebook.append((time.perf_counter_ns() - started) / 1000)
    print(f"  {'numbering after a move (first lookup):':42} {statistics.median(positions):9.1f} us")
    print(
        f"  {'the notebook for %%production, %nbcheck:':42} {statistics.median(notebook):9.1f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=3000, help="cells in the growth session")
    parser.add_argument(
        "--lineage", action="store_true", help="only the data lineage's audit hook figures"
    )
    parser.add_argument(
        "--view", action="store_true", help="only the figures with the browser's view"
    )
    parser.add_argument("--session", nargs=3, metavar=("LINES", "CELLS", "KIND"), help="internal")
    parser.add_argument("--lineage-session", nargs=2, metavar=("KIND", "DIR"), help="internal")
    args = parser.parse_args()
    if args.session:
        lines, cells, kind = args.session
        print(json.dumps(session(int(lines), int(cells), kind)))
        return
    if args.lineage_session:
        print(json.dumps(lineage_session(*args.lineage_session)))
        return

    print_machine()
    if args.lineage:
        lineage_figures()
        return
    if args.view:
        view_figures(0.0)
        return
    empty_cpu = 0.0
    for lines, cells in ((20, 1000), (2000, 60)):
        plain = run_session(lines, cells, "plain")
        hooks = run_session(lines, cells, "extension")
        empty_wall, empty_cpu_here = (
            statistics.median(plain["wall"]),
            statistics.median(plain["cpu"]),
        )
        if lines == 20:
            empty_cpu = empty_cpu_here
        print(f"\n{lines}-line cell, {cells} cells")
        print(f"  hooks alone, wall:          {summary([t - empty_wall for t in hooks['wall']])}")
        print(
            f"  hooks alone, CPU:           {summary([t - empty_cpu_here for t in hooks['cpu']])}"
        )
        print(
            f"  freeing the cell's tree:    {summary(hooks['freed'])}  (IPython's cost either way)"
        )
        print(f"  collections in the hooks:   {collections(hooks, cells)}")
        print(
            f"  collections in the session: {plain['session_collections']} without the extension, "
            f"{hooks['session_collections']} with it"
        )
        print(f"  run_cell CPU, no extension: {summary(plain['run'])}")
        print(f"  run_cell CPU, extension:    {summary(hooks['run'])}  (noisy: the cell runs too)")
        both = run_session(lines, cells, "alternate")
        added = statistics.median(paired_differences(both["on"], both["off"], lines))
        print(
            f"  run_cell CPU, hooks on/off in turns:  median {statistics.median(both['on']):.3f}"
            f" / {statistics.median(both['off']):.3f} ms; added, median over pairs of turns: "
            f"{added:.3f} ms"
        )

    view_figures(empty_cpu)

    rerun = run_session(20, 1000, "rerun")
    print(f"\n20-line cells run again unchanged ({len(CELL_IDS)} cells, 1000 runs)")
    print(f"  hooks alone, CPU:           {summary([t - empty_cpu for t in rerun['cpu'][40:]])}")

    growth = run_session(20, args.cells, "growth")
    timed_per_tenth = len(growth["cpu"]) // 10
    counted_per_tenth = len(growth["calls"]) // 10
    print(
        f"\ngrowth: {args.cells} cells of 20 lines in one session, each binding new names "
        f"(every {COUNT_EVERY}th counts calls, untimed)"
    )
    print("  tenth  hooks CPU median  run_cell CPU median  hooks/run_cell  hooks' calls per cell")
    for tenth in range(10):
        window = slice(tenth * timed_per_tenth, (tenth + 1) * timed_per_tenth)
        counted = growth["calls"][tenth * counted_per_tenth : (tenth + 1) * counted_per_tenth]
        cpu = statistics.median(growth["cpu"][window]) - empty_cpu
        run = statistics.median(growth["run"][window])
        calls = statistics.median(counted)
        print(
            f"  {tenth + 1:>5}  {cpu:13.3f} ms  {run:16.2f} ms  {cpu / run:13.3f}  {calls:>20.0f}"
        )
    print(f"  collections in the hooks:   {collections(growth, args.cells)}")
    print(
        f"  state at the end: {growth['names_tracked']} names tracked, "
        f"{growth['warnings_given']} warnings given"
    )
    lineage_figures()
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()

"""What `%load_ext nb_discipline` adds to every cell, on a real InteractiveShell.

Two measurements per cell size (a 20-line and a 2,000-line cell):
- the hooks alone: time spent in the extension's pre_run_cell and post_run_cell callbacks, taken by
  timestamp callbacks registered around them (the cost of the empty timestamp callbacks, measured
  without the extension, is subtracted);
- the whole `run_cell`, with and without the extension (the difference includes noise: the cell
  itself runs too).
Then growth: the hooks' cost in the first and in the last window of a long session in which every
cell binds new names, so the state the extension keeps grows all the time.

Run: python benchmarks/bench_magic.py [--cells 3000]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.builders import code, write_notebook

CELL_IDS = [f"cell-{number}" for number in range(40)]


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

    Records wall time and the thread's CPU time: on a shared machine the CPU time is the figure
    that does not depend on what the other processes do.
    """

    def __init__(self, shell) -> None:
        self.shell = shell
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self._started = (0, 0)
        self._total = [0, 0]

    def start(self, *_: object) -> None:
        self._started = (time.perf_counter_ns(), time.thread_time_ns())

    def stop(self, *_: object) -> None:
        self._total[0] += time.perf_counter_ns() - self._started[0]
        self._total[1] += time.thread_time_ns() - self._started[1]

    def stop_post(self, *_: object) -> None:
        self.stop()
        self.wall.append(self._total[0] / 1e6)
        self.cpu.append(self._total[1] / 1e6)
        self._total = [0, 0]

    def around(self, load) -> None:
        events = self.shell.events
        events.register("pre_run_cell", self.start)
        events.register("post_run_cell", self.start)
        load()
        events.register("pre_run_cell", self.stop)
        events.register("post_run_cell", self.stop_post)

    def remove(self) -> None:
        for event, callbacks in (
            ("pre_run_cell", (self.start, self.stop)),
            ("post_run_cell", (self.start, self.stop_post)),
        ):
            for callback in callbacks:
                self.shell.events.unregister(event, callback)


def session(
    lines: int, cells: int, extension: bool, rerun: bool = False
) -> tuple[HookTimer, list[float]]:
    """(the hooks' times per cell, run_cell wall time per cell in ms) over `cells` cells; with
    `rerun`, each cell id always runs the same source (cells run again unchanged)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    timer = HookTimer(shell)
    timer.around(lambda: shell.run_line_magic("load_ext", "nb_discipline") if extension else None)
    timer.wall.clear()
    timer.cpu.clear()
    run_times = []
    distinct = len(CELL_IDS) if rerun else cells
    sources = [cell_source(lines, serial % distinct) for serial in range(cells)]
    warnings = io.StringIO()  # every 40th cell reads a name set below it: one warning line
    for serial, source in enumerate(sources):
        cell_id = CELL_IDS[serial % len(CELL_IDS)]
        started = time.perf_counter()
        with contextlib.redirect_stderr(warnings):
            result = shell.run_cell(
                source,
                store_history=True,
                cell_id=cell_id,
                cell_meta={"cellId": cell_id, "deletedCells": []},
            )
        run_times.append((time.perf_counter() - started) * 1000)
        if not result.success:
            raise SystemExit(f"benchmark cell failed: {result.error_in_exec!r}")
    timer.remove()
    if extension:
        shell.run_line_magic("unload_ext", "nb_discipline")
    return timer, run_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=3000, help="cells in the growth session")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")

    # The shell resets itself at exit and needs a working directory that still exists then.
    with tempfile.TemporaryDirectory() as directory, contextlib.chdir(directory):
        notebook = write_notebook(
            Path(directory) / "bench.ipynb",
            *(code("pass", cell_id=cell_id) for cell_id in CELL_IDS),
        )
        os.environ["JPY_SESSION_NAME"] = str(notebook)
        print(
            f"machine: {platform.platform()}, {os.cpu_count()} cpus, python {sys.version.split()[0]}"
        )
        print(f"load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")

        for lines, cells in ((20, 1000), (2000, 60)):
            baseline, baseline_runs = session(lines, cells, extension=False)
            hooks, runs = session(lines, cells, extension=True)
            empty_wall, empty_cpu = (
                statistics.median(baseline.wall),
                statistics.median(baseline.cpu),
            )
            print(f"\n{lines}-line cell, {cells} cells")
            print(f"  hooks alone, wall:          {summary([t - empty_wall for t in hooks.wall])}")
            print(f"  hooks alone, CPU:           {summary([t - empty_cpu for t in hooks.cpu])}")
            print(f"  run_cell without extension: {summary(baseline_runs)}")
            print(f"  run_cell with extension:    {summary(runs)}  (noisy: the cell runs too)")

        hooks, _ = session(20, 1000, extension=True, rerun=True)
        print(f"\n20-line cells run again unchanged ({len(CELL_IDS)} cells, 1000 runs)")
        print(f"  hooks alone, CPU:           {summary(hooks.cpu[len(CELL_IDS) :])}")

        hooks, _ = session(20, args.cells, extension=True)
        window = max(args.cells // 10, 50)
        print(f"\ngrowth: 20-line cells, each binding new names, {args.cells} cells in one session")
        print(f"  cells 1-{window}, CPU:     {summary(hooks.cpu[:window])}")
        print(f"  last {window} cells, CPU:  {summary(hooks.cpu[-window:])}")
        print(f"load average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

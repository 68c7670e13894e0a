"""How fast `nbcheck` is, measured as users meet it, with the machine printed beside the figures.

    python benchmarks/bench_lint.py [--corpus DIR] [--select ALL] [--only corpus,single,memory,linear]

corpus   nbcheck on the 1,000-notebook corpus against `ruff check --no-cache --select F` on the
         same files, in the same run, alternating, several repetitions: median wall times and the
         ratio (target: nbcheck at most 1.5x ruff), both cold (`--no-cache`: nothing kept from
         earlier runs) and warm (each keeping its findings, as both do by default); beside
         them the Python floor (floor.py: reading, JSON and ast.parse alone, on every core).
single   one typical notebook (50 cells, ~500 KB) as pre-commit checks it: a fresh
         `nbcheck file.ipynb` process each time, median of 25 (target: at most 100 ms), beside the
         bare interpreter start-up, then `python -X importtime` grouped by top-level package.
memory   peak memory of the nbcheck process tree (RSS and PSS summed over the main process and
         its workers) on the 100 largest notebooks and on all 1,000: it must not grow with the
         count.
linear   the analysis on the first 1,250, 2,500 and 5,000 cells of a generated 5,000-cell
         notebook: time per 1,000 cells must stay flat.

The corpus is generated (benchmarks/corpus.py, seed 0) into --corpus when that folder is missing
or empty, or into a temporary folder that is removed at the end. Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import corpus
from machine import load_average, print_machine

BIN = os.path.dirname(sys.executable)
HERE = os.path.dirname(os.path.abspath(__file__))
# Users run nbcheck with its bytecode cached; without it every run compiles every module again.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
TARGET_RATIO = 1.5
TARGET_SINGLE_MS = 100


def tool(name: str) -> str:
    """The executable installed beside this interpreter (the venv's nbcheck and ruff)."""
    path = os.path.join(BIN, name)
    if os.path.exists(path):
        return path
    found = shutil.which(name)
    if found is None:
        sys.exit(f"bench_lint: `{name}` not found beside {sys.executable} nor on PATH")
    return found


def timed(command: list[str], ok_codes: tuple[int, ...] = (0, 1)) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, its worker processes included) of one run
    of `command`, its output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if completed.returncode not in ok_codes:
        sys.exit(
            f"bench_lint: {' '.join(command)} exited {completed.returncode}:\n"
            + completed.stderr.decode(errors="replace")[-2000:]
        )
    return elapsed, cpu


def summary(values: list[float], unit: float = 1.0, digits: int = 2) -> str:
    scaled = sorted(value * unit for value in values)
    return (
        f"median {statistics.median(scaled):.{digits}f}  min {scaled[0]:.{digits}f}  "
        f"max {scaled[-1]:.{digits}f}  (n={len(scaled)})"
    )


def _notebooks(directory: str) -> list[str]:
    return [
        os.path.join(root, name)
        for root, _, names in os.walk(directory)
        for name in names
        if name.endswith(".ipynb")
    ]


def nbcheck_command(paths: list[str], select: str, *options: str) -> list[str]:
    return [tool("nbcheck"), *options, "--select", select, *paths]


# ------------------------------------------------------------------------------------ corpus


def bench_corpus(directory: str, select: str, runs: int) -> None:
    notebooks = _notebooks(directory)
    size = sum(os.path.getsize(path) for path in notebooks)
    print(f"\n## corpus: {len(notebooks)} notebooks, {size / 1e6:.0f} MB in {directory}")
    ruff = [tool("ruff"), "check", "--isolated", "--select", "F"]
    ruff_cache = tempfile.mkdtemp(prefix="ruff-cache-")
    # Cold: nothing kept from earlier runs (the target); warm: both keep their findings between
    # runs, as they do by default, and nothing changed since the last run.
    commands = {
        "nbcheck": nbcheck_command([directory], select, "--isolated", "--no-cache"),
        "ruff": [*ruff, "--no-cache", directory],
        "nbcheck, warm": nbcheck_command([directory], select, "--isolated"),
        "ruff, warm": [*ruff, "--cache-dir", ruff_cache, directory],
        "python floor": [sys.executable, os.path.join(HERE, "floor.py"), directory],
    }
    for name, command in commands.items():
        print(f"{name:>8}: {' '.join(command)}")
    # One untimed run each, so both read the files from the page cache.
    for command in commands.values():
        timed(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    loads = []
    for run in range(runs):
        order = list(commands) if run % 2 == 0 else list(reversed(commands))
        for name in order:
            loads.append(os.getloadavg()[0])
            wall, seconds = timed(commands[name])
            times[name].append(wall)
            cpu[name].append(seconds)
    shutil.rmtree(ruff_cache, ignore_errors=True)
    for name in commands:
        print(
            f"{name:>14}: wall {summary(times[name])} s; "
            f"CPU median {statistics.median(cpu[name]):.2f} s"
        )
    for suffix, target in (("", f" (target <= {TARGET_RATIO}x: "), (", warm", None)):
        ratio = statistics.median(times[f"nbcheck{suffix}"]) / statistics.median(
            times[f"ruff{suffix}"]
        )
        cpu_ratio = statistics.median(cpu[f"nbcheck{suffix}"]) / statistics.median(
            cpu[f"ruff{suffix}"]
        )
        verdict = f"{target}{'meets' if ratio <= TARGET_RATIO else 'misses'})" if target else ""
        print(
            f"   ratio{suffix or ', cold'}: nbcheck / ruff = {ratio:.2f}x wall{verdict}, "
            f"{cpu_ratio:.2f}x CPU"
        )
    floor = statistics.median(times["python floor"]) / statistics.median(times["ruff"])
    print(
        f"   python floor (read, JSON, ast.parse of every code cell, no analysis) / ruff = "
        f"{floor:.2f}x wall: the target leaves the analysis {TARGET_RATIO - floor:.2f}x"
    )
    print(f"   1-min load average during the runs: {min(loads):.1f}-{max(loads):.1f}")


# ------------------------------------------------------------------------------------ single


def bench_single(workdir: str, select: str, runs: int) -> None:
    """The typical notebook in a project that declares its dependencies (the usual case), and
    the same file outside any project, where the dependency rules must consult the installed
    distributions' metadata to name the distribution of each import."""
    project = os.path.join(workdir, "project")
    corpus.write_project(project)
    path = os.path.join(project, "typical.ipynb")
    size = corpus.write(path, corpus.typical_notebook())
    loose = os.path.join(workdir, "loose", "typical.ipynb")
    corpus.write(loose, corpus.typical_notebook())
    print(f"\n## one notebook as pre-commit runs it: 50 cells, {size / 1e3:.0f} KB")
    print(f"command: {' '.join(nbcheck_command([path], select, '--no-cache'))}")
    # --no-cache: pre-commit checks the notebooks a commit changed, so nothing kept matches them.
    commands = {
        "in a project": nbcheck_command([path], select, "--no-cache"),
        "no dependency file": nbcheck_command([loose], select, "--no-cache"),
        "findings kept": nbcheck_command([path], select),
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    for command in commands.values():
        timed(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command)[0])
    for name, values in times.items():
        print(f"  {name:>18}: {summary(values, 1000, 1)} ms")
    median = statistics.median(times["in a project"]) * 1000
    verdict = "meets" if median <= TARGET_SINGLE_MS else "misses"
    print(f"  target: median <= {TARGET_SINGLE_MS} ms in a project: {verdict}")
    import_times(path, select)


def import_times(path: str, select: str) -> None:
    """`python -X importtime` on the same run, grouped by top-level package."""
    script = (
        "import sys; from nb_discipline.cli import main; "
        f"sys.exit(main(['--no-cache', '--select', {select!r}, {path!r}]))"
    )
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", script],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    by_package: dict[str, int] = {}
    total = 0
    for line in completed.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
        package = name.split(".")[0]
        by_package[package] = by_package.get(package, 0) + int(self_us)
        total += int(self_us)
    print(f"  python -X importtime: {total / 1000:.1f} ms of imports in all; top packages (self):")
    for package, micros in sorted(by_package.items(), key=lambda item: -item[1])[:12]:
        print(f"    {micros / 1000:7.1f} ms  {package}")


# ------------------------------------------------------------------------------------ memory


class TreeMemory(threading.Thread):
    """Samples the memory of a process and all its descendants until it exits."""

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_rss = self.peak_pss = self.peak_main_rss = self.peak_worker_rss = 0
        self.max_processes = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            tree = self._tree()
            rss = [_status_kb(pid, "VmRSS:") for pid in tree]
            self.peak_rss = max(self.peak_rss, sum(rss))
            self.peak_main_rss = max(self.peak_main_rss, rss[0])
            self.peak_worker_rss = max(self.peak_worker_rss, *rss[1:], 0)
            self.peak_pss = max(self.peak_pss, sum(_pss_kb(pid) for pid in tree))
            self.max_processes = max(self.max_processes, len(tree))
            self.done.wait(self.interval)

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                        parent = int(handle.read().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(parent, []).append(int(entry))
        tree, pending = [], [self.pid]
        while pending:
            pid = pending.pop()
            tree.append(pid)
            pending.extend(children.get(pid, ()))
        return tree


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_memory(command: list[str]) -> TreeMemory:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    sampler = TreeMemory(process.pid)
    sampler.start()
    process.wait()
    sampler.done.set()
    sampler.join()
    return sampler


def bench_memory(directory: str, select: str) -> None:
    """A worker's peak follows the largest notebook it holds: the 100 largest notebooks, then
    all 1,000 (the same largest among them), so that only the count differs."""
    print("\n## peak memory of the nbcheck process tree (sampled every 20 ms)")
    by_size = sorted(_notebooks(directory), key=os.path.getsize, reverse=True)
    for label, paths in (("100 largest", by_size[:100]), ("all 1,000", [directory])):
        sample = peak_memory(nbcheck_command(paths, select, "--no-cache"))
        print(
            f"  {label:>11}: tree RSS {sample.peak_rss / 1024:4.0f} MB, "
            f"tree PSS {sample.peak_pss / 1024:4.0f} MB; main process RSS "
            f"{sample.peak_main_rss / 1024:4.0f} MB, largest worker "
            f"{sample.peak_worker_rss / 1024:4.0f} MB; {sample.max_processes} processes"
        )
    print(f"  (largest notebook in both: {os.path.getsize(by_size[0]) / 1e6:.1f} MB)")


# ------------------------------------------------------------------------------------ linear


def bench_linear(workdir: str, select: str, runs: int) -> None:
    from nb_discipline.config import Settings
    from nb_discipline.engine import check
    from nb_discipline.loader import load

    print("\n## linearity: prefixes of one generated 5,000-cell notebook")
    whole = corpus.long_notebook()
    settings = Settings(select=[select], root=workdir)
    print(f"  {'cells':>6} {'MB':>6} {'check in-process (ms)':>22} {'ms / 1,000 cells':>17}")
    for cells in (1250, 2500, 5000):
        path = os.path.join(workdir, f"long-{cells}.ipynb")
        size = corpus.write(path, {**whole, "cells": whole["cells"][:cells]})
        durations = []
        for _ in range(runs):
            start = time.perf_counter()
            check(load(path), settings)
            durations.append(time.perf_counter() - start)
        median = statistics.median(durations) * 1000
        print(f"  {cells:>6} {size / 1e6:>6.1f} {median:>22.0f} {median / cells * 1000:>17.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help="corpus folder (generated there when missing or empty)")
    parser.add_argument("--select", default="ALL", help="nbcheck rule selection (default ALL)")
    parser.add_argument("--only", default="corpus,single,memory,linear", help="sections to run")
    parser.add_argument("--runs", type=int, default=5, help="corpus repetitions (default 5)")
    parser.add_argument("--single-runs", type=int, default=25, help="one-notebook runs (25)")
    args = parser.parse_args(argv)
    sections = set(args.only.split(","))

    print_machine()
    print(f"nbcheck {tool('nbcheck')}, rules --select {args.select}; {_ruff_version()}")
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        print("(PYTHONDONTWRITEBYTECODE is set here: unset for the runs, so imports use bytecode)")
    with tempfile.TemporaryDirectory(prefix="nbcheck-bench-") as workdir:
        directory = args.corpus or os.path.join(workdir, "corpus")
        if sections & {"corpus", "memory"} and not (
            os.path.isdir(directory) and os.listdir(directory)
        ):
            start = time.perf_counter()
            written = corpus.write_corpus(directory)
            print(
                f"generated the corpus: {written / 1e6:.0f} MB in {time.perf_counter() - start:.0f} s"
            )
        if "corpus" in sections:
            bench_corpus(directory, args.select, args.runs)
        if "single" in sections:
            bench_single(workdir, args.select, args.single_runs)
        if "memory" in sections:
            bench_memory(directory, args.select)
        if "linear" in sections:
            bench_linear(workdir, args.select, 3)
    print(f"\nload average at the end: {load_average()}")
    return 0


def _ruff_version() -> str:
    completed = subprocess.run([tool("ruff"), "--version"], capture_output=True, text=True)
    return completed.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())

"""How fast `nbcheck` is, measured as users meet it, with the machine printed beside the figures.

    python benchmarks/bench_lint.py [--corpus DIR] [--select ALL] [--only corpus,single,memory,linear]
    python benchmarks/bench_lint.py --corpus DIR --against OTHER_PYTHON [--runs 7]

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
against  (the only section with --against) this nbcheck against the nbcheck installed beside
         another interpreter (another checkout's virtualenv), on the same corpus, in turns
         (ABBA...), cold and warm, each with its own cache folder: CPU and wall medians, their
         spread and the ratio, so that "no slower than commit X" is measured in one run.

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


def timed(
    command: list[str], ok_codes: tuple[int, ...] = (0, 1), env: dict[str, str] = ENV
) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, its worker processes included) of one run
    of `command`, its output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
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


# ----------------------------------------------------------------------------------- against


def bench_against(directory: str, select: str, runs: int, other_python: str) -> None:
    """This nbcheck and the one beside `other_python`, on the same files in the same run: each
    round runs both, cold (`--no-cache`) then warm, the side that goes first alternating (ABBA),
    so that the machine's drifts fall on both alike. Each side keeps its findings in its own
    cache folder: the two share entry names, so one cache would have each evict the other's."""
    sides = {
        "this": tool("nbcheck"),
        "other": os.path.join(os.path.dirname(os.path.abspath(other_python)), "nbcheck"),
    }
    if not os.path.exists(sides["other"]):
        sys.exit(f"bench_lint: no nbcheck beside {other_python}")
    print(f"\n## against: this nbcheck and another, on {directory}")
    caches = {side: tempfile.mkdtemp(prefix=f"nbcheck-cache-{side}-") for side in sides}
    envs = {side: {**ENV, "XDG_CACHE_HOME": caches[side]} for side in sides}
    pythons = {"this": sys.executable, "other": other_python}
    for side, nbcheck in sides.items():
        print(f"  {side:>5}: {nbcheck}, nb_discipline from {_checkout(pythons[side])}")
    modes = {
        "cold": ("--isolated", "--no-cache"),
        "warm": ("--isolated",),
    }
    commands = {
        (side, mode): [nbcheck, *options, "--select", select, directory]
        for side, nbcheck in sides.items()
        for mode, options in modes.items()
    }
    for key, command in commands.items():  # the page cache, and each side's findings cache
        timed(command, env=envs[key[0]])
    walls: dict[tuple[str, str], list[float]] = {key: [] for key in commands}
    cpus: dict[tuple[str, str], list[float]] = {key: [] for key in commands}
    loads = []
    for run in range(runs):
        order = ["this", "other"] if run % 4 in (0, 3) else ["other", "this"]
        for side in order:
            for mode in modes:
                loads.append(os.getloadavg()[0])
                wall, cpu = timed(commands[side, mode], env=envs[side])
                walls[side, mode].append(wall)
                cpus[side, mode].append(cpu)
    for cache_folder in caches.values():
        shutil.rmtree(cache_folder, ignore_errors=True)
    print(f"  {runs} rounds; median [min-max] in seconds")
    print(f"  {'':>13} {'CPU':>22} {'wall':>22}")
    for mode in modes:
        for side in sides:
            print(
                f"  {mode + ', ' + side:>13} {_spread(cpus[side, mode]):>22} "
                f"{_spread(walls[side, mode]):>22}"
            )
        cpu_ratio, wall_ratio = (
            statistics.median(values["this", mode]) / statistics.median(values["other", mode])
            for values in (cpus, walls)
        )
        print(
            f"  {mode + ', this/other':>13} {(cpu_ratio - 1) * 100:>+21.1f}% "
            f"{(wall_ratio - 1) * 100:>+21.1f}%"
        )
        # Each round's two runs are next to each other in time: their ratio moves less with the
        # machine's drifts than the ratio of medians taken over the whole run.
        paired = {
            name: [
                this / other - 1
                for this, other in zip(v["this", mode], v["other", mode], strict=True)
            ]
            for name, v in (("cpu", cpus), ("wall", walls))
        }
        print(
            f"  {mode + ', per round':>13} {_percent_spread(paired['cpu']):>22} "
            f"{_percent_spread(paired['wall']):>22}"
        )
    print(f"  1-min load average during the runs: {min(loads):.1f}-{max(loads):.1f}")


def _percent_spread(ratios: list[float]) -> str:
    """The median of per-round ratios, with the lowest and highest, in percent."""
    low, middle, high = (
        100 * value for value in (min(ratios), statistics.median(ratios), max(ratios))
    )
    return f"{middle:+.1f}% [{low:+.1f}..{high:+.1f}]"


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def _checkout(python: str) -> str:
    """Where `python` imports nb_discipline from, with the checkout's commit (+ when it has
    uncommitted changes)."""
    completed = subprocess.run(
        [python, "-c", "import nb_discipline; print(nb_discipline.__file__)"],
        capture_output=True,
        text=True,
        cwd=os.path.expanduser("~"),  # not the current folder: `-c` would import from it
    )
    if completed.returncode != 0:
        sys.exit(f"bench_lint: {python} cannot import nb_discipline")
    root = os.path.dirname(os.path.dirname(completed.stdout.strip()))
    git = ["git", "-C", root]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if commit.returncode != 0:
        return root
    dirty = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True).stdout
    return f"{root} ({commit.stdout.strip()}{'+' if dirty.strip() else ''})"


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
    parser.add_argument("--only", help="sections to run (default corpus,single,memory,linear)")
    parser.add_argument(
        "--against",
        metavar="PYTHON",
        help="compare with the nbcheck beside this interpreter (another checkout's venv)",
    )
    parser.add_argument("--runs", type=int, default=5, help="corpus repetitions (default 5)")
    parser.add_argument("--single-runs", type=int, default=25, help="one-notebook runs (25)")
    args = parser.parse_args(argv)
    default = "against" if args.against else "corpus,single,memory,linear"
    sections = set((args.only or default).split(","))
    if "against" in sections and not args.against:
        parser.error("the against section needs --against PYTHON")

    print_machine()
    ruff = f"; {_ruff_version()}" if "corpus" in sections else ""
    print(f"nbcheck {tool('nbcheck')}, rules --select {args.select}{ruff}")
    if "PYTHONDONTWRITEBYTECODE" in os.environ:
        print("(PYTHONDONTWRITEBYTECODE is set here: unset for the runs, so imports use bytecode)")
    with tempfile.TemporaryDirectory(prefix="nbcheck-bench-") as workdir:
        directory = args.corpus or os.path.join(workdir, "corpus")
        if sections & {"corpus", "memory", "against"} and not (
            os.path.isdir(directory) and os.listdir(directory)
        ):
            start = time.perf_counter()
            written = corpus.write_corpus(directory)
            print(
                f"generated the corpus: {written / 1e6:.0f} MB in {time.perf_counter() - start:.0f} s"
            )
        if "against" in sections:
            bench_against(directory, args.select, args.runs, args.against)
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

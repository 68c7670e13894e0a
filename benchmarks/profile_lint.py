"""Where nbcheck's time goes, phase by phase, on the benchmark corpus (in one process).

    python benchmarks/profile_lint.py CORPUS_DIR [--limit N] [--select ALL] [--pool] [--cprofile FILE]

Checks each notebook the way batch.check_file does, with a clock on every phase: reading the
file, JSON parsing, building the Notebook, each analysis (Analysis' cached properties: their own
time, not counting an analysis they read that another phase already paid for), each rule (its own
time, analyses it triggers excluded), and the engine: what is left (selection, suppression,
sorting, and freeing the notebook's objects when check() returns). Then discovery of the files, the IPC cost of the worker pool (pickled result sizes, and
one-core against all-core wall times through nb_discipline.batch), and, with --cprofile, the
functions that cost the most. The phase figures are CPU seconds of this process, so a busy
machine inflates them far less than wall times.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pickle
import pstats
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property

from machine import load_average, print_machine

from nb_discipline import collector
from nb_discipline.analysis import Analysis
from nb_discipline.batch import check_files
from nb_discipline.config import Settings
from nb_discipline.discovery import discover
from nb_discipline.engine import check
from nb_discipline.loader import from_dict, read_bytes
from nb_discipline.rules import selected_rules


class Phases:
    """Exclusive CPU time of this process per label (CPU, not wall: the figures hold on a busy
    machine); entering a phase pauses the clock of the enclosing one. The cyclic garbage
    collector's passes are timed too: they run inside whichever phase allocates."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.stack: list[str] = []
        self.mark = time.process_time()
        self.gc_seconds = 0.0
        self.gc_passes = 0
        self._gc_start = 0.0

    def on_gc(self, stage: str, info: dict) -> None:
        if stage == "start":
            self._gc_start = time.process_time()
        else:
            self.gc_seconds += time.process_time() - self._gc_start
            self.gc_passes += 1

    def _switch(self) -> None:
        now = time.process_time()
        if self.stack:
            self.totals[self.stack[-1]] += now - self.mark
        self.mark = now

    @contextmanager
    def phase(self, label: str) -> Iterator[None]:
        self._switch()
        self.stack.append(label)
        try:
            yield
        finally:
            self._switch()
            self.stack.pop()


@contextmanager
def timed_analyses(phases: Phases) -> Iterator[None]:
    """Put a clock on each of Analysis' cached properties while the block runs."""
    originals = {
        name: attribute
        for name, attribute in vars(Analysis).items()
        if isinstance(attribute, cached_property)
    }
    for name, attribute in originals.items():
        timed = cached_property(_timed_function(phases, f"analysis.{name}", attribute.func))
        timed.__set_name__(Analysis, name)
        setattr(Analysis, name, timed)
    try:
        yield
    finally:
        for name, attribute in originals.items():
            setattr(Analysis, name, attribute)


def _timed_function(phases: Phases, label: str, function: Callable) -> Callable:
    def timed(*args):
        with phases.phase(label):
            return function(*args)

    return timed


def timed_rules(phases: Phases, select: str) -> list:
    """The selected rules, each with a clock on its check (which yields findings lazily)."""

    def clocked(label: str, check_function: Callable) -> Callable:
        def run(analysis):
            with phases.phase(label):
                findings = iter(check_function(analysis))
            while True:
                with phases.phase(label):
                    finding = next(findings, None)
                if finding is None:
                    return
                yield finding

        return run

    return [
        rule._replace(check=clocked(f"rule {rule.code} {rule.name}", rule.check))
        for rule in selected_rules([select], [], [])
    ]


def profile(files: list[str], settings: Settings, select: str) -> tuple[Phases, dict]:
    phases = Phases()
    rules = timed_rules(phases, select)
    counts = {"bytes": 0, "cells": 0, "code_cells": 0, "result_bytes": 0, "findings": 0}
    gc.callbacks.append(phases.on_gc)
    with timed_analyses(phases):
        for path in files:
            _profile_one(path, phases, settings, rules, counts)
    gc.callbacks.remove(phases.on_gc)
    return phases, counts


def _profile_one(path: str, phases: Phases, settings: Settings, rules: list, counts: dict) -> None:
    with phases.phase("load: read file"):
        data = read_bytes(path)
    with collector.paused():  # as batch.check_file: no collector passes while a notebook lives
        with phases.phase("load: JSON parse"):
            document = json.loads(data)
        with phases.phase("load: build Notebook"):
            notebook = from_dict(document, path)
        del document
        counts["cells"] += len(notebook.cells)
        counts["code_cells"] += len(notebook.code_cells)
        with phases.phase("engine: rest (selection, suppression, freeing)"):
            diagnostics = check(notebook, settings, rules)
            del notebook  # freed here, as batch.check_file frees it
    counts["bytes"] += len(data)
    counts["findings"] += len(diagnostics)
    counts["result_bytes"] += len(pickle.dumps(diagnostics))


def report(phases: Phases, counts: dict, notebooks: int) -> None:
    total = sum(phases.totals.values())
    print(
        f"\n{notebooks} notebooks, {counts['bytes'] / 1e6:.0f} MB, {counts['cells']} cells "
        f"({counts['code_cells']} code), {counts['findings']} findings: {total:.2f} CPU s"
    )
    print(
        f"{'phase (CPU, exclusive)':<52} {'s':>7} {'%':>5} {'ms/notebook':>11} {'µs/code cell':>12}"
    )
    for label, seconds in sorted(phases.totals.items(), key=lambda item: -item[1]):
        print(
            f"{label:<52} {seconds:>7.2f} {seconds / total * 100:>5.1f} "
            f"{seconds / notebooks * 1000:>11.2f} {seconds / counts['code_cells'] * 1e6:>12.1f}"
        )
    print(
        f"of which the cyclic garbage collector: {phases.gc_seconds:.2f} s "
        f"({phases.gc_seconds / total * 100:.1f}%) in {phases.gc_passes} passes"
    )
    print(
        f"results sent back from workers: {counts['result_bytes'] / 1e6:.1f} MB pickled "
        f"({counts['result_bytes'] / notebooks / 1e3:.1f} KB per notebook)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="a folder of notebooks (benchmarks/corpus.py writes one)")
    parser.add_argument("--limit", type=int, help="profile only the first N notebooks")
    parser.add_argument("--select", default="ALL")
    parser.add_argument("--cprofile", metavar="FILE", help="also run cProfile, save stats here")
    parser.add_argument("--pool", action="store_true", help="also time batch.check_files -j1/-jN")
    args = parser.parse_args(argv)
    print_machine()
    collector.allow_pauses()  # as the nbcheck command does
    settings = Settings(select=[args.select], root=os.path.abspath(args.corpus))

    start = time.perf_counter()
    files, _ = discover([args.corpus], settings)
    print(f"discovery: {len(files)} notebooks in {(time.perf_counter() - start) * 1000:.0f} ms")
    files = files[: args.limit]

    phases, counts = profile(files, settings, args.select)
    report(phases, counts, len(files))

    if args.pool:
        for jobs in (1, os.cpu_count() or 1):
            start = time.perf_counter()
            check_files(files, settings, jobs, use_cache=False)
            print(f"batch.check_files(jobs={jobs}): {time.perf_counter() - start:.2f} s wall")

    if args.cprofile:
        profiler = cProfile.Profile()
        profiler.enable()
        for path in files:
            with collector.paused():
                check(from_dict(json.loads(read_bytes(path)), path), settings)
        profiler.disable()
        profiler.dump_stats(args.cprofile)
        print(f"\ncProfile (saved to {args.cprofile}), top functions by own time:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What `nbcheck --fix --unsafe-fixes` does to a folder of real notebooks, and what it costs.

    python benchmarks/bench_fix.py [DIR] [--repeat 5]

DIR (default tests/realworld) is copied into a temporary folder first and never changed. A
notebook beside a `<name>.files/` folder (the layout of tests/realworld and tests/regression) gets
a project of its own with those files, as tests/test_regression.py builds it; any other folder is
copied as it is. Printed, with the machine:

- notebooks changed, and the other files (dependency files) the fixes edited;
- findings fixed per rule (nbcheck's `--show-fixes`), and the findings before and after;
- bytes outside the edited cells' source values that changed: must be 0 (the JSON text is compared
  with the edited sources cut out of both);
- the wall time of `--fix --unsafe-fixes` against a plain check of the same files, both with
  `--no-cache`, alternating on fresh copies, `--repeat` runs each: medians and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter

from machine import print_machine

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from nb_discipline.notebook_json import locate_sources  # noqa: E402

NBCHECK = os.path.join(os.path.dirname(sys.executable), "nbcheck")
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
FIXED_LINE = re.compile(r"^\s+(\d+) × (NBD\d+) ")


def copy_corpus(source: str, target: str) -> None:
    """`source` into `target`: a notebook with a `.files/` folder becomes a project of its own."""
    projects = [name[: -len(".files")] for name in os.listdir(source) if name.endswith(".files")]
    if not projects and not any(name.endswith(".ipynb") for name in os.listdir(source)):
        shutil.copytree(source, target)
        return
    os.makedirs(target)
    for name in sorted(os.listdir(source)):
        if not name.endswith(".ipynb"):
            continue
        project = os.path.join(target, name[: -len(".ipynb")])
        os.makedirs(os.path.join(project, ".git"))
        files = os.path.join(source, name[: -len(".ipynb")] + ".files")
        if os.path.isdir(files):
            shutil.copytree(files, project, dirs_exist_ok=True)
        shutil.copyfile(os.path.join(source, name), os.path.join(project, name))


def snapshot(folder: str) -> dict[str, bytes]:
    files = {}
    for directory, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, folder)] = handle.read()
    return files


def nbcheck(folder: str, *options: str) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    completed = subprocess.run(
        [NBCHECK, "--no-cache", *options, "."], cwd=folder, capture_output=True, text=True, env=ENV
    )
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        sys.exit(f"bench_fix: nbcheck {' '.join(options)} exited {completed.returncode}:\n"
                 + completed.stderr[-2000:])  # fmt: skip
    return elapsed, completed


def changed_outside_sources(before: bytes, after: bytes) -> tuple[int, int]:
    """(cells whose source changed, bytes outside those sources' values that differ)."""
    old_text, new_text = before.decode("utf-8"), after.decode("utf-8")
    old_spans, new_spans = locate_sources(old_text), locate_sources(new_text)
    if len(old_spans) != len(new_spans):
        return -1, abs(len(new_text) - len(old_text)) or 1
    edited = [
        index
        for index, (old, new) in enumerate(zip(old_spans, new_spans, strict=True))
        if old_text[old.value.start : old.value.end] != new_text[new.value.start : new.value.end]
    ]

    def outside(text: str, spans) -> list[str]:
        pieces, position = [], 0
        for index in edited:
            pieces.append(text[position : spans[index].value.start])
            position = spans[index].value.end
        pieces.append(text[position:])
        return pieces

    differing = sum(
        max(len(a), len(b))
        for a, b in zip(outside(old_text, old_spans), outside(new_text, new_spans), strict=True)
        if a != b
    )
    return len(edited), differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", default=os.path.join(ROOT, "tests", "realworld"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print_machine()
    with tempfile.TemporaryDirectory(prefix="bench-fix-") as work:
        pristine = os.path.join(work, "pristine")
        copy_corpus(args.corpus, pristine)
        original = snapshot(pristine)
        notebooks = [path for path in original if path.endswith(".ipynb")]
        print(f"corpus:  {args.corpus} ({len(notebooks)} notebooks)\n")

        # What one --fix run does.
        fixed_copy = os.path.join(work, "fixed")
        shutil.copytree(pristine, fixed_copy)
        _, found = nbcheck(fixed_copy, "--output-format", "json")
        before = Counter(finding["code"] for finding in json.loads(found.stdout))
        _, run = nbcheck(fixed_copy, "--fix", "--unsafe-fixes", "--show-fixes")
        fixed = Counter()
        for line in run.stdout.splitlines():
            match = FIXED_LINE.match(line)
            if match:
                fixed[match.group(2)] += int(match.group(1))
        _, remaining = nbcheck(fixed_copy, "--output-format", "json")
        after = Counter(finding["code"] for finding in json.loads(remaining.stdout))
        result = snapshot(fixed_copy)
        changed = [path for path in notebooks if result[path] != original[path]]
        others = [p for p in original if not p.endswith(".ipynb") and result[p] != original[p]]
        cells, outside = 0, 0
        for path in changed:
            edited, differing = changed_outside_sources(original[path], result[path])
            cells += edited
            outside += differing
        print(f"notebooks changed: {len(changed)} of {len(notebooks)} ({cells} cells edited)")
        print(f"other files changed (dependency files): {len(others)}")
        print(f"bytes outside the edited cells' sources changed: {outside} (must be 0)")
        print(f"findings: {sum(before.values())} before, {sum(after.values())} after")
        print("fixed per rule (before -> after):")
        for code in sorted(set(fixed) | set(before)):
            if fixed[code] or before[code] != after[code]:
                print(f"  {code}  {fixed[code]:>4} fixed   {before[code]:>4} -> {after[code]}")
        print(f"  total  {sum(fixed.values()):>4} fixed")

        # Wall time, alternating on fresh copies.
        check_times, fix_times = [], []
        for number in range(args.repeat):
            for label, times, options in (
                ("check", check_times, ()),
                ("fix", fix_times, ("--fix", "--unsafe-fixes")),
            ):
                copy = os.path.join(work, f"{label}-{number}")
                shutil.copytree(pristine, copy)
                times.append(nbcheck(copy, *options)[0])
        check_median, fix_median = statistics.median(check_times), statistics.median(fix_times)
        print(f"\nwall time, {args.repeat} runs each, --no-cache, alternating:")
        print(f"  check                  median {check_median:.2f} s  (min {min(check_times):.2f})")
        print(f"  --fix --unsafe-fixes   median {fix_median:.2f} s  (min {min(fix_times):.2f})")
        print(f"  ratio                  {fix_median / check_median:.2f}x")


if __name__ == "__main__":
    main()

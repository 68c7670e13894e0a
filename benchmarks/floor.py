"""The least a notebook linter written in Python pays on a folder, with no analysis at all.

    python benchmarks/floor.py DIR

Reads every notebook under DIR, decodes its JSON and parses each code cell with `ast.parse`, on
every core (a pool of processes, largest files first, as nbcheck does), then frees the trees.
bench_lint times it beside nbcheck and ruff in the same run: the share of nbcheck's time that no
Python implementation built on `ast` can avoid. A cell with IPython syntax fails to parse, after
costing about what a parse costs; nbcheck masks that syntax first, which this floor skips.
"""

from __future__ import annotations

import ast
import contextlib
import json
import multiprocessing
import os
import sys
import warnings


def parse_notebook(path: str) -> int:
    """The number of code cells parsed in the notebook at `path`."""
    with open(path, "rb") as handle:
        document = json.loads(handle.read())
    parsed = 0
    for cell in document.get("cells", ()):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(map(str, source))
        if not isinstance(source, str):
            continue  # not a notebook nbcheck would check either
        with contextlib.suppress(SyntaxError, ValueError):
            ast.parse(source)
        parsed += 1
    return parsed


def main(directory: str) -> int:
    warnings.simplefilter("ignore")  # invalid escape sequences in cells
    paths = [
        os.path.join(root, name)
        for root, _, names in os.walk(directory)
        for name in names
        if name.endswith(".ipynb")
    ]
    paths.sort(key=os.path.getsize, reverse=True)
    workers = os.cpu_count() or 1
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        cells = sum(
            pool.imap_unordered(
                parse_notebook, paths, chunksize=max(1, len(paths) // (workers * 16))
            )
        )
    print(f"{len(paths)} notebooks, {cells} code cells parsed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

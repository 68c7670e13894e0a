"""How much `nbcheck repro` costs on top of papermill, and what --jobs buys.

    python benchmarks/bench_repro.py [--repeat 3] [--notebook examples/train_digits.ipynb]

1. One run of a notebook: `nbcheck repro NB --runs 1` (against the notebook's baseline when it
   has one beside it, as in CI) versus plain `papermill NB OUT`, both as fresh processes,
   alternated, median of --repeat. papermill gets an already migrated MLflow store (what a user's
   existing store is); nbcheck uses its cached template (warmed up first). Target: at most 1.1x.
2. Four copies of the notebook, `nbcheck repro --runs 1 --jobs 2` versus `--jobs 1`, with the BLAS
   threads as installed and with one BLAS thread per kernel. Target: at least 1.6x on 2 cores.

Prints the machine and its load average: on a shared machine the figures move with the load.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if completed.returncode not in (0, 1, 3):  # reproduced, differs, unverified (one run)
        sys.exit(f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--notebook", default=str(ROOT / "examples" / "train_digits.ipynb"))
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    work = Path(tempfile.mkdtemp(prefix="bench-repro-"))
    try:
        notebook = work / Path(args.notebook).name
        shutil.copyfile(args.notebook, notebook)
        baseline = Path(args.notebook).with_suffix(".repro.json")
        if baseline.is_file():
            shutil.copyfile(baseline, notebook.with_suffix(".repro.json"))
        bin_dir = Path(sys.executable).parent
        env = dict(os.environ)
        env.pop("MLFLOW_TRACKING_URI", None)
        nbcheck = [str(bin_dir / "nbcheck"), "repro", "--progress", "none", "--runs", "1"]
        papermill = [str(bin_dir / "papermill"), "--no-progress-bar", "--log-level", "WARNING"]
        papermill_env = {**env, "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"}

        # Warm-up: nbcheck's template store, papermill's migrated store, the page cache.
        timed([*nbcheck, str(notebook)], env, work)
        timed([*papermill, str(notebook), str(work / "out.ipynb")], papermill_env, work)

        plain, repro = [], []
        for _ in range(args.repeat):
            plain.append(
                timed([*papermill, str(notebook), str(work / "out.ipynb")], papermill_env, work)
            )
            repro.append(timed([*nbcheck, str(notebook)], env, work))
        plain_median, repro_median = statistics.median(plain), statistics.median(repro)
        print(
            f"one run: papermill {plain_median:.2f} s, nbcheck repro --runs 1 {repro_median:.2f} s "
            f"(median of {args.repeat}): {repro_median / plain_median:.2f}x (target <= 1.1x)"
        )
        print(f"  papermill runs: {', '.join(f'{t:.2f}' for t in plain)}")
        print(f"  repro runs:     {', '.join(f'{t:.2f}' for t in repro)}")

        collection = work / "collection"
        collection.mkdir()
        for index in range(4):
            shutil.copyfile(notebook, collection / f"nb{index}.ipynb")
        # numpy's BLAS already spreads one training notebook over both cores; with one thread per
        # kernel the figure shows what running notebooks side by side buys.
        single = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        for label, extra in (("BLAS threads as installed", {}), ("one BLAS thread", single)):
            serial = timed([*nbcheck, "--jobs", "1", str(collection)], {**env, **extra}, work)
            parallel = timed([*nbcheck, "--jobs", "2", str(collection)], {**env, **extra}, work)
            print(
                f"four notebooks, {label}: --jobs 1 {serial:.2f} s, --jobs 2 {parallel:.2f} s: "
                f"{serial / parallel:.2f}x faster (target >= 1.6x)"
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

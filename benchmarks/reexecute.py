"""Re-execute notebooks top to bottom in fresh kernels and score NBD201/NBD202 against what failed.

    python benchmarks/reexecute.py run FOLDER [--jobs 2] [--budget 3600] [--cache DIR]
    python benchmarks/reexecute.py score FOLDER [--cache DIR] [--nbcheck nbcheck]

`run` executes every Python notebook under FOLDER (one whose metadata names another language,
such as R, ends as `NotPython` without a kernel) (in a seeded random order, so a run cut short by
`--budget` is a random sample) in a kernel of its own, with the notebook's folder as the working
directory, cell by cell, stopping at the first error as a fresh top-to-bottom run would. It records
the cells that ran fine and the first failing cell with its exception (`ename`, `evalue`); a cell
that exceeds `--cell-timeout`, or a notebook that exceeds `--notebook-timeout`, stops the run with
the pseudo-exception `Timeout`. Results are kept in the cache directory, one JSON file per notebook
and content (under ~/.cache/nb-discipline-reexecute unless `--cache` says where), so a second run
only executes what is new or changed.

Run it with the interpreter whose libraries the notebooks should see (its own `python3` kernel is
used unless `--kernel` names another): this script needs only nbclient and nbformat there.
Network access is cut for the kernel by pointing the proxy variables at a closed port, and pip
inside a notebook is told to use no index (`!pip install x` fails instead of installing).

`score` runs nbcheck (`--output-format json`) on the executed notebooks and compares:

- a NameError at cell k is *predicted* when nbcheck reports NBD201 or NBD202 on cell k for the same
  name, else it is a *miss* (printed with the cell's source, for a person to judge whether a
  static reading could know it);
- a NameError that nbcheck flagged only on another cell (for a read inside a function, reported
  where the function is defined) is counted apart, *flagged elsewhere*;
- an NBD201/NBD202 finding on a cell that ran fine is a *false alarm*, except a finding about a
  function's body reported at its definition (running the definition reads nothing);
- a finding on a cell that failed for another reason, or that the run never reached, is not
  decided by the run (*undecided*).

NBD203 is scored for information only: the same three outcomes (its claim is about the saved
outputs, not about a fresh run failing).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

DEFAULT_CACHE = Path.home() / ".cache" / "nb-discipline-reexecute"
NAME_ERROR = re.compile(r"name '([^']+)' is not defined")
# A read inside a function body with no call seen is reported at the definition: running that
# cell only defines the function, so it neither confirms nor refutes the finding.
BODY_READ = re.compile(r"(Function|Method) `")
OTHER_KERNEL = re.compile(r"\b(ir|R|julia|scala|bash|sagemath|octave|javascript|ruby)\b", re.I)
SCORED = ("NBD201", "NBD202")
INFORMATION = ("NBD203",)
# The kernel gets no network: HTTP(S) through a closed local port, pip with no index at all.
OFFLINE = {
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "ALL_PROXY": "http://127.0.0.1:9",
    "no_proxy": "",
    "NO_PROXY": "",
    "PIP_NO_INDEX": "1",
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_FIND_LINKS": "",
    "MPLBACKEND": "Agg",
}


def notebooks_under(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and path.is_file()
    )


def cache_file(cache: Path, relative: str, content: bytes, settings: str) -> Path:
    digest = hashlib.sha256(
        relative.encode() + b"\0" + settings.encode() + b"\0" + content
    ).hexdigest()
    return cache / f"{digest[:32]}.json"


def notebook_language(metadata: dict) -> str:
    """The notebook's language: the kernelspec's or language_info's, else guessed from the kernel's
    names (Colab saves R notebooks as `{"name": "ir", "display_name": "R"}` alone)."""
    kernelspec = metadata.get("kernelspec") or {}
    language = kernelspec.get("language") or (metadata.get("language_info") or {}).get("name")
    if language:
        return language.lower()
    names = f"{kernelspec.get('name', '')} {kernelspec.get('display_name', '')}"
    other = OTHER_KERNEL.search(names)
    return other.group(0).lower() if other else "python"


def execute_one(path: Path, kernel: str, cell_timeout: float, notebook_timeout: float) -> dict:
    """Run one notebook cell by cell; the record of what ran and what failed first."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    started = time.monotonic()
    record: dict = {"ran": [], "failed": None}
    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as error:  # the notebook cannot be read: nothing ran
        record["failed"] = {"cell": None, "ename": "Unreadable", "evalue": str(error)[:300]}
        return record
    language = notebook_language(notebook.metadata)
    if language != "python":  # an R or Julia notebook would only fail in a Python kernel
        record["failed"] = {"cell": None, "ename": "NotPython", "evalue": language}
        return record
    folder = str(path.parent)
    client = NotebookClient(
        notebook,
        timeout=cell_timeout,
        kernel_name=kernel,
        resources={"metadata": {"path": folder}},
        allow_errors=False,
    )
    environment = {**os.environ, **OFFLINE}
    try:
        with client.setup_kernel(env=environment, cwd=folder):
            for index, cell in enumerate(notebook.cells, start=1):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                remaining = notebook_timeout - (time.monotonic() - started)
                if remaining <= 0:
                    record["failed"] = {"cell": index, "ename": "Timeout", "evalue": "notebook"}
                    break
                client.timeout = int(max(1, min(cell_timeout, remaining)))
                try:
                    client.execute_cell(cell, index - 1)
                except CellExecutionError as error:
                    record["failed"] = {
                        "cell": index,
                        "ename": error.ename,
                        "evalue": str(error.evalue)[:300],
                    }
                    break
                except CellTimeoutError:
                    record["failed"] = {"cell": index, "ename": "Timeout", "evalue": "cell"}
                    break
                except DeadKernelError as error:
                    record["failed"] = {
                        "cell": index,
                        "ename": "DeadKernel",
                        "evalue": str(error)[:300],
                    }
                    break
                record["ran"].append(index)
    except Exception as error:  # the kernel would not start or stop
        record["failed"] = record["failed"] or {
            "cell": None,
            "ename": type(error).__name__,
            "evalue": str(error)[:300],
        }
    record["seconds"] = round(time.monotonic() - started, 1)
    return record


def run_isolated(path: Path, arguments: argparse.Namespace) -> dict:
    """Execute one notebook in a child process of its own session, killed whole past the cap."""
    command = [
        sys.executable,
        __file__,
        "_one",
        str(path),
        "--kernel",
        arguments.kernel,
        "--cell-timeout",
        str(arguments.cell_timeout),
        "--notebook-timeout",
        str(arguments.notebook_timeout),
    ]
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        output, _ = child.communicate(timeout=arguments.notebook_timeout + 60)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        return {"ran": [], "failed": {"cell": None, "ename": "Timeout", "evalue": "killed"}}
    try:
        return json.loads(output)
    except json.JSONDecodeError:
        return {"ran": [], "failed": {"cell": None, "ename": "Crash", "evalue": ""}}


def command_run(arguments: argparse.Namespace) -> None:
    folder = arguments.folder.resolve()
    cache = arguments.cache
    cache.mkdir(parents=True, exist_ok=True)
    settings = f"{arguments.kernel}:{arguments.cell_timeout}:{arguments.notebook_timeout}"
    notebooks = notebooks_under(folder)
    random.Random(arguments.seed).shuffle(notebooks)
    if arguments.limit:
        notebooks = notebooks[: arguments.limit]
    todo = []
    for path in notebooks:
        relative = str(path.relative_to(folder))
        target = cache_file(cache, relative, path.read_bytes(), settings)
        if not target.exists():
            todo.append((path, relative, target))
    print(f"{len(notebooks)} notebooks, {len(notebooks) - len(todo)} cached, {len(todo)} to run")
    deadline = time.monotonic() + arguments.budget if arguments.budget else None

    def one(item: tuple[Path, str, Path]) -> str:
        path, relative, target = item
        if deadline is not None and time.monotonic() > deadline:
            return ""
        record = run_isolated(path, arguments)
        record["notebook"] = relative
        record["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        record["settings"] = settings
        target.write_text(json.dumps(record), encoding="utf-8")
        failed = record["failed"]
        outcome = (
            "ran to the end" if failed is None else f"{failed['ename']} at cell {failed['cell']}"
        )
        return f"{relative}: {outcome} ({record.get('seconds', '?')} s)"

    with concurrent.futures.ThreadPoolExecutor(arguments.jobs) as pool:
        for line in pool.map(one, todo):
            if line:
                print(line, flush=True)


def load_results(folder: Path, cache: Path) -> dict[str, dict]:
    """The cached records of the notebooks under `folder` as they are now, by relative path (the
    newest run where runs with other settings are cached too)."""
    results = {}
    wanted = {str(path.relative_to(folder)): path for path in notebooks_under(folder)}
    for file in cache.glob("*.json"):
        record = json.loads(file.read_text(encoding="utf-8"))
        path = wanted.get(record.get("notebook"))
        if path is None:
            continue
        if record.get("sha256") != hashlib.sha256(path.read_bytes()).hexdigest():
            continue  # a run of an earlier version of the notebook
        previous = results.get(record["notebook"])
        if previous is None or file.stat().st_mtime > previous["_mtime"]:
            record["_mtime"] = file.stat().st_mtime
            results[record["notebook"]] = record
    return results


def nbcheck_findings(folder: Path, relatives: list[str], nbcheck: str) -> list[dict]:
    codes = ",".join(SCORED + INFORMATION)
    findings: list[dict] = []
    for start in range(0, len(relatives), 200):
        batch = relatives[start : start + 200]
        completed = subprocess.run(
            [nbcheck, "--output-format", "json", "--select", codes, "--exit-zero", "-q", *batch],
            cwd=folder,
            capture_output=True,
            text=True,
            check=False,
        )
        findings.extend(json.loads(completed.stdout or "[]"))
    for finding in findings:
        finding["filename"] = os.path.normpath(finding["filename"])
    return findings


def cell_source(path: Path, number: int) -> str:
    import nbformat

    cell = nbformat.read(str(path), as_version=4).cells[number - 1]
    return cell.source


def command_score(arguments: argparse.Namespace) -> None:
    folder = arguments.folder.resolve()
    results = load_results(folder, arguments.cache)
    if not results:
        sys.exit(f"no cached runs for notebooks under {folder}: run `run` first")
    findings = nbcheck_findings(folder, sorted(results), arguments.nbcheck)
    by_notebook: dict[str, list[dict]] = {}
    for finding in findings:
        by_notebook.setdefault(finding["filename"], []).append(finding)

    outcomes: Counter[tuple[str, str]] = Counter()
    endings: Counter[str] = Counter()
    name_errors, predicted, elsewhere, misses, false_alarms = 0, 0, 0, [], []
    for relative, record in sorted(results.items()):
        failed = record["failed"]
        endings["ran to the end" if failed is None else failed["ename"]] += 1
        ran = set(record["ran"])
        failing_cell = failed["cell"] if failed else None
        missing = None
        if failed and failed["ename"] == "NameError":
            match = NAME_ERROR.search(failed["evalue"])
            missing = match.group(1) if match else None
        hit = flagged = False
        for finding in by_notebook.get(relative, []):
            cell, code = finding["cell"], finding["code"]
            same_name = missing is not None and finding["symbol"] == missing
            flagged = flagged or (same_name and code in SCORED)
            if cell in ran and not BODY_READ.match(finding["message"]):
                outcome = "false alarm"
                if code in SCORED:
                    false_alarms.append((relative, finding))
            elif cell == failing_cell and same_name:
                outcome = "true"
                hit = hit or code in SCORED
            else:
                outcome = "undecided"
            outcomes[code, outcome] += 1
        if failed and failed["ename"] == "NameError":
            name_errors += 1
            if hit:
                predicted += 1
            elif flagged:
                elsewhere += 1
            else:
                misses.append((relative, failed))

    print(f"Notebooks executed: {len(results)}")
    for ending, count in endings.most_common():
        print(f"  {count:5}  {ending}")
    print(
        f"\nNameError failures: {name_errors}; predicted at the failing cell: {predicted}; "
        f"flagged on another cell only: {elsewhere}; missed: {len(misses)}"
    )
    print("\nFindings on executed notebooks, by what the run shows:")
    print(f"  {'rule':8} {'findings':>8} {'true':>6} {'false alarm':>12} {'undecided':>10}")
    for code in SCORED + INFORMATION:
        row = [outcomes[code, kind] for kind in ("true", "false alarm", "undecided")]
        print(f"  {code:8} {sum(row):8} {row[0]:6} {row[1]:12} {row[2]:10}")
    for relative, finding in false_alarms:
        print(f"\nFALSE ALARM {relative} cell {finding['cell']}: {finding['message']}")
    for relative, failed in misses:
        print(f"\nMISS {relative} cell {failed['cell']}: {failed['evalue']}")
        source = cell_source(folder / relative, failed["cell"])
        for line in source.splitlines()[:25]:
            print(f"    | {line}")
    if arguments.json:
        summary = {
            "notebooks": len(results),
            "endings": dict(endings),
            "name_errors": name_errors,
            "predicted": predicted,
            "flagged_elsewhere": elsewhere,
            "outcomes": {f"{code} {kind}": n for (code, kind), n in sorted(outcomes.items())},
            "misses": [{"notebook": r, **f} for r, f in misses],
            "false_alarms": [{"notebook": r, **f} for r, f in false_alarms],
        }
        arguments.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute the notebooks under FOLDER")
    score = commands.add_parser("score", help="score NBD201/NBD202 against the cached runs")
    one = commands.add_parser("_one")  # internal: one notebook, record on stdout
    one.add_argument("notebook", type=Path)
    for sub in (run, one):
        sub.add_argument("--kernel", default="python3")
        sub.add_argument("--cell-timeout", type=float, default=60)
        sub.add_argument("--notebook-timeout", type=float, default=300)
    for sub in (run, score):
        sub.add_argument("folder", type=Path)
        sub.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    run.add_argument("--jobs", type=int, default=1)
    run.add_argument("--budget", type=float, default=0, help="stop starting notebooks after S s")
    run.add_argument("--limit", type=int, default=0, help="run at most N notebooks")
    run.add_argument("--seed", type=int, default=0)
    score.add_argument("--nbcheck", default="nbcheck")
    score.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args()
    if arguments.command == "_one":
        record = execute_one(
            arguments.notebook, arguments.kernel, arguments.cell_timeout, arguments.notebook_timeout
        )
        json.dump(record, sys.stdout)
    elif arguments.command == "run":
        command_run(arguments)
    else:
        command_score(arguments)


if __name__ == "__main__":
    main()

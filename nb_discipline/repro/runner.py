"""One run of a notebook: papermill, top to bottom, in a fresh kernel, in a process of its own.

The parent (`nbcheck repro`, see session.py) starts `python -m nb_discipline.repro.runner` per run
with the run's environment (PYTHONHASHSEED, the MLflow store) and a JSON spec on stdin; the kernel
inherits that environment. papermill cannot take an environment and changes the process's working
directory, so runs cannot share a process. The child answers with JSON lines on stdout: a
`{"event": "cell", ...}` line as each cell starts, then `{"event": "result", "execution": {...}}`.

Before the first cell an injected setup cell seeds every RNG with `seed_everything` (the source of
nb_discipline/seeding.py is sent along, so the kernel's environment needs no nb-discipline for it)
and, when the kernel can import nb_discipline.lineage, starts recording the data the notebook reads
(paths relative to `root` in the spec); after the last one a teardown cell stops the recording and
records the versions of the packages the notebook imports (`modules` in the spec: the parent's
analysis of its import statements, each module with the distributions that may provide it; asking
for those by name is fast, scanning every installed one is not). Both cells write what they found
into the run's directory as JSON, are tagged, and are left out of the comparison; cells are
reported by their number in the original file.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .mlflow_store import TAG_PREFIX, prepare_store, read_store
from .results import (
    DEAD_KERNEL,
    EXCEPTION,
    EXITED,
    INTERNAL,
    INTERRUPTED,
    MISSING_MODULE,
    TIMEOUT,
    UNKNOWN_KERNEL,
    CellOutput,
    Execution,
    Failure,
)

SETUP_TAG, TEARDOWN_TAG = "nbcheck-repro-setup", "nbcheck-repro-teardown"
CELL_KEY = "nbcheck_repro_cell"  # cell metadata: the cell's number in the original notebook
SEED_NAME = re.compile(
    r"^\s*((?:\w*_)?(?:seed|random_state|rng_seed)\w*)\s*(?::[^=]+)?=", re.I | re.M
)

_SETUP = """\
def __nbcheck_setup():
    import json, os
    directory = os.environ["NBCHECK_REPRO_DIR"]
    namespace = {{"__name__": "nb_discipline_seeding"}}
    exec(compile({source!r}, "nb_discipline/seeding.py", "exec"), namespace)
    seeded = namespace["seed_everything"]({seed})
    with open(os.path.join(directory, "seeded.json"), "w") as handle:
        json.dump(seeded, handle)
    try:
        from nb_discipline import lineage
    except Exception as error:
        reason = f"the kernel cannot import nb_discipline.lineage ({{type(error).__name__}})"
    else:
        try:  # the kernel's nb_discipline may be another version than nbcheck's
            recorder = lineage.Recorder({root!r})
            recorder.start(skip=[directory])
            lineage.{recorder} = recorder
            return
        except Exception as error:
            reason = f"recording the data read could not start: {{type(error).__name__}}: {{error}}"
    with open(os.path.join(directory, "reads.json"), "w") as handle:
        json.dump({{"error": reason}}, handle)
__nbcheck_setup()
del __nbcheck_setup
"""

_TEARDOWN = """\
def __nbcheck_teardown():
    import json, os, platform, sys
    from importlib import metadata
    directory = os.environ["NBCHECK_REPRO_DIR"]
    recorder = getattr(sys.modules.get("nb_discipline.lineage"), "{recorder}", None)
    if recorder is not None:
        try:
            reads = {{"reads": recorder.stop().to_json()}}
        except Exception as error:
            reads = {{"error": f"recording the data read failed: {{type(error).__name__}}: {{error}}"}}
        with open(os.path.join(directory, "reads.json"), "w") as handle:
            json.dump(reads, handle)
    versions = {{"python": platform.python_version()}}
    for module, distributions in {modules!r}.items():
        for distribution in distributions if module in sys.modules else ():
            try:
                versions[distribution] = metadata.version(distribution)
            except metadata.PackageNotFoundError:
                pass
    with open(os.path.join(directory, "packages.json"), "w") as handle:
        json.dump(dict(sorted(versions.items())), handle)
__nbcheck_teardown()
del __nbcheck_teardown
"""
# Where the setup cell keeps its Recorder: an attribute of the lineage module in the kernel, so
# the notebook's namespace gains no name.
RECORDER_ATTRIBUTE = "nbcheck_repro_recorder"


class _Terminated(BaseException):
    """SIGTERM from the parent (Ctrl-C or cancel): stop the kernel and leave."""


# The environment variable that marks every process of a run (the run process, its kernel and
# whatever the notebook starts): its value is the run's own directory.
RUN_MARKER = "NBCHECK_REPRO_DIR"
_results = sys.stdout  # where events go: the parent's pipe, this process's alone (see main)


def main() -> int:
    global _results
    spec = json.load(sys.stdin)
    # The kernel, and every process the notebook starts, inherits file descriptor 1: a daemon that
    # kept the parent's pipe would keep it waiting for ever. They get stderr (the run's log file);
    # the events go through a duplicate of the pipe, which no child inherits (PEP 446).
    _results = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    execution = execute(spec, _emit)
    _emit({"event": "result", "execution": execution_to_json(execution)})
    return 0


def _terminate(signum, frame):
    raise _Terminated()


def _exit_with_parent(parent: int) -> None:
    """An orphaned run (its nbcheck was killed outright) stops its kernel and ends."""
    while os.getppid() == parent:
        time.sleep(1)
    os.kill(os.getpid(), signal.SIGTERM)


def _emit(event: dict[str, Any]) -> None:
    _results.write(json.dumps(event) + "\n")
    _results.flush()


MLFLOW_TARGET_VARIABLES = (
    "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_RUN_ID",
    "MLFLOW_REGISTRY_URI",
)


def execute(spec: dict[str, Any], emit) -> Execution:
    """Run the notebook of `spec` once; never raises for what the notebook does."""
    started = time.perf_counter()
    number = spec["number"]
    directory = Path(spec["directory"])
    directory.mkdir(parents=True, exist_ok=True)
    # A run must land in its own store: nothing inherited may point it at the user's experiment,
    # run or model registry (mlflow.set_experiment exports MLFLOW_EXPERIMENT_ID, for one).
    for variable in MLFLOW_TARGET_VARIABLES:
        os.environ.pop(variable, None)
    os.environ.update(prepare_store(Path(spec["template"]), directory))
    os.environ[RUN_MARKER] = str(directory)
    os.environ["MLFLOW_RUN_CONTEXT"] = json.dumps(
        {
            f"{TAG_PREFIX}notebook": spec["notebook"],
            f"{TAG_PREFIX}run": str(number),
            f"{TAG_PREFIX}seed": str(spec["seed"]),
        }
    )
    state = {"cell": None, "kernel": None}
    failure = None
    executed = None
    started_at = time.time()
    try:
        executed = _run_papermill(spec, directory, state, emit)
        failure = _exited(executed)
    except _Terminated:
        failure = Failure(INTERRUPTED, "interrupted before the notebook finished")
    except BaseException as error:
        failure = _failure(error, spec, state, directory / "executed.ipynb")
    finally:
        finished_at = time.time()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping the kernel is not interrupted
        kernel_group = _stop_kernel(state.get("kernel"), graceful=failure is None)
        leftovers = stop_marked_processes(str(directory), spare_group=kernel_group)
        if "sockets" in state:
            shutil.rmtree(state["sockets"], ignore_errors=True)
    seeded = _read_json(directory / "seeded.json")
    packages = _read_json(directory / "packages.json")
    lineage = _read_json(directory / "reads.json")
    reads_error = lineage.get("error")
    if failure is None and not lineage and executed is not None:
        reads_error = _teardown_skipped(executed, spec.get("python", True))
    cell_at = _cell_at(executed) if executed is not None else None
    runs = read_store(directory / "mlflow.db", cell_at) if failure is None else ()
    outputs = _outputs(executed) if executed is not None else ()
    kept = None
    if spec.get("keep") and (directory / "executed.ipynb").is_file():
        kept = spec["keep"]
        Path(kept).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(directory / "executed.ipynb", kept)
    return Execution(
        number,
        time.perf_counter() - started,
        runs,
        outputs,
        failure,
        seeded,
        packages,
        kept,
        started_at,
        finished_at,
        tuple(leftovers),
        lineage.get("reads"),
        reads_error,
    )


def _run_papermill(spec, directory: Path, state: dict, emit):
    import nbformat
    import papermill
    from jupyter_client.manager import AsyncKernelManager

    # The JSON the parent read and checked, not the file read again (it may have changed since).
    # An nbformat 3 notebook is upgraded in memory, as the linter's loader reads it; from_dict
    # makes the upgrade's v3 nodes the NotebookNode papermill takes for a notebook (it takes
    # anything else for a path: "AttributeError: format").
    notebook = nbformat.from_dict(nbformat.reads(spec["source"], as_version=4))
    skipped = set(spec.get("skip_cells", ()))
    for number, cell in enumerate(notebook.cells, start=1):
        cell.metadata[CELL_KEY] = number
        if number in skipped:  # --skip-install-cells: the cell runs, as a no-op
            cell.source = "# nbcheck repro --skip-install-cells: this cell's installs were not run"
    is_python = spec.get("python", True)  # the setup and teardown cells are Python
    if is_python:
        seeding_source = Path(importlib.util.find_spec("nb_discipline.seeding").origin).read_text(
            encoding="utf-8"
        )
        setup = _SETUP.format(
            source=seeding_source,
            seed=spec["seed"],
            root=spec.get("root") or os.path.dirname(spec["notebook"]),
            recorder=RECORDER_ATTRIBUTE,
        )
        notebook.cells.insert(0, nbformat.v4.new_code_cell(setup, metadata={"tags": [SETUP_TAG]}))
        notebook.cells.append(
            nbformat.v4.new_code_cell(
                _TEARDOWN.format(modules=spec.get("modules", {}), recorder=RECORDER_ATTRIBUTE),
                metadata={"tags": [TEARDOWN_TAG]},
            )
        )
    kernel_name = spec.get("kernel") or notebook.metadata.get("kernelspec", {}).get("name")
    kernel_name = kernel_name or "python3"
    state["kernel_name"] = kernel_name
    # IPC sockets, not TCP ports: parallel kernel starts cannot race for the same port.
    # nbclient drives the kernel asynchronously: a synchronous manager's client blocks its event
    # loop when asked whether a dead kernel is alive.
    manager = AsyncKernelManager(
        kernel_name=kernel_name, transport="ipc", ip=_socket_prefix(directory, state)
    )
    state["kernel"] = manager
    original_cells = len(notebook.cells) - (2 if is_python else 0)

    def on_cell_start(cell, cell_index):
        state["cell"] = cell
        original = cell.metadata.get(CELL_KEY)
        if original is not None:
            emit({"event": "cell", "cell": original, "cells": original_cells})

    output = directory / "executed.ipynb"
    papermill.execute_notebook(
        notebook,
        str(output),
        parameters=_seed_parameters(notebook, spec["seed"]) or None,
        kernel_name=kernel_name,
        progress_bar=False,
        request_save_on_cell_execute=False,
        # nbclient takes whole seconds (a float such as 2.5 is a TraitError): rounded up.
        execution_timeout=math.ceil(spec["timeout"]) if spec.get("timeout") else None,
        km=manager,
        on_cell_start=on_cell_start,
    )
    return nbformat.read(str(output), as_version=4)


# A Unix socket's path holds at most 107 bytes; the kernel's are the prefix, "-" and a number.
SOCKET_PATH_MAX = 107 - len("-65535")


def _socket_prefix(directory: Path, state: dict) -> str:
    """Where the kernel's sockets go: in the run's directory, or, when TMPDIR makes that path too
    long for a Unix socket, in a short directory of their own (removed after the run)."""
    prefix = str(directory / "kernel")
    if len(os.fsencode(prefix)) <= SOCKET_PATH_MAX:
        return prefix
    state["sockets"] = tempfile.mkdtemp(prefix="nbd-", dir="/tmp")
    return os.path.join(state["sockets"], "kernel")


def _seed_parameters(notebook, seed: int) -> dict[str, int]:
    """`seed`, plus every seed-like name the `parameters` cell assigns; none without that cell."""
    for cell in notebook.cells:
        if "parameters" in cell.metadata.get("tags", ()):
            names = dict.fromkeys(["seed", *SEED_NAME.findall(cell.source)])
            return dict.fromkeys(names, seed)
    return {}


def _system_exit(notebook) -> tuple[int, dict] | None:
    """The cell whose `SystemExit` papermill took for the end of the notebook (`sys.exit()`,
    `sys.exit(0)`, `raise SystemExit`: papermill stops there and reports no error), as its
    index in the executed notebook and its error output; None when no cell exited."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "error" and output.get("ename") == "SystemExit":
                return index, output
    return None


def _exited(notebook) -> Failure | None:
    """A failure when a cell ended the run with `sys.exit` and code cells of the notebook below
    it did not run: papermill took it for a finished notebook, but those cells were never
    checked. None when every code cell ran (or nothing exited)."""
    found = _system_exit(notebook)
    if found is None:
        return None
    index, output = found
    cell = notebook.cells[index]
    number = cell.metadata.get(CELL_KEY)
    skipped = [
        later.metadata[CELL_KEY]
        for later in notebook.cells[index + 1 :]
        if later.cell_type == "code"
        and CELL_KEY in later.metadata
        and later.source.strip()  # nbclient skips empty cells: they never run
        and later.get("execution_count") is None
    ]
    if number is None or not skipped:
        return None
    ename, evalue = output.get("ename"), output.get("evalue") or ""
    count = f"{len(skipped)} code cell{'s' if len(skipped) != 1 else ''}"
    return Failure(
        EXITED,
        f"cell {number} ended the run with {_said(ename, evalue)}, which papermill takes for a "
        f"finished notebook: {count} below it did not run ({_cells(skipped)})",
        number,
        cell.get("id"),
        ename,
        evalue,
        fix="remove the sys.exit call (or raise an exception where the notebook must stop): "
        "cells below it cannot be checked",
    )


def _teardown_skipped(notebook, is_python: bool) -> str:
    """Why a run that finished recorded no data reads: not a Python kernel, or a `sys.exit` in
    its last code cell, which ended it before nbcheck's teardown step."""
    if not is_python:
        return "not a Python kernel"
    found = _system_exit(notebook)
    if found is not None:
        index, output = found
        number = notebook.cells[index].metadata.get(CELL_KEY)
        said = _said(output.get("ename"), output.get("evalue") or "")
        return f"cell {number} ended the run with {said} before nbcheck's teardown step"
    return "nbcheck's teardown step did not record them"


def _said(ename: str | None, evalue: str) -> str:
    return f"{ename}: {evalue}" if evalue else str(ename)


def _cells(numbers: list[int]) -> str:
    """`cell 4`, `cells 4 and 6`, `cells 4, 6 and 9`; past 5, the first 5 and how many more."""
    shown = [str(number) for number in numbers[:5]]
    more = len(numbers) - len(shown)
    if more:
        return f"cells {', '.join(shown)} and {more} more"
    if len(shown) == 1:
        return f"cell {shown[0]}"
    return f"cells {', '.join(shown[:-1])} and {shown[-1]}"


def _failure(error: BaseException, spec, state, executed: Path) -> Failure:
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    cell = state.get("cell")
    if isinstance(error, PapermillExecutionError):
        # papermill reports the first cell with an error output once every cell has run, so it
        # can be another cell than the last one started: an IPython post-execute hook (such as
        # matplotlib's drawing) adds its error to the cell it ran after.
        cell = _cell_with_error(executed, error.cell_index) or cell
    number = cell.metadata.get(CELL_KEY) if cell is not None else None
    cell_id = cell.get("id") if cell is not None and number is not None else None
    if number:
        where = f"cell {number}"
    elif cell is not None and TEARDOWN_TAG in cell.metadata.get("tags", ()):
        where = "nbcheck's teardown step"
    else:
        where = "nbcheck's setup step"
    if isinstance(error, PapermillExecutionError):
        ename, evalue = error.ename, error.evalue
        missing = re.match(r"No module named '([^']+)'", evalue or "")
        if ename in ("ModuleNotFoundError", "ImportError") and missing:
            module = missing.group(1).partition(".")[0]
            return Failure(
                MISSING_MODULE,
                f"{where} imports `{missing.group(1)}`, which the kernel's environment lacks",
                number,
                cell_id,
                ename,
                evalue,
                fix=f"install it in the kernel's environment (`pip install {_distribution(module)}`) "
                "and declare it in the project's dependencies",
            )
        said = " ".join((evalue or "").split())  # one line, though the message has several
        return Failure(
            EXCEPTION,
            f"{where} raised {ename}: {said}".rstrip(": "),
            number,
            cell_id,
            ename,
            evalue,
        )
    if isinstance(error, CellTimeoutError):
        return Failure(
            TIMEOUT,
            f"{where} did not finish within {spec.get('timeout'):g} s",
            number,
            cell_id,
            fix="make the cell faster, or raise --timeout (`timeout` in [tool.nb-discipline.repro])",
        )
    if isinstance(error, DeadKernelError):
        return Failure(
            DEAD_KERNEL,
            f"the kernel died while running {where}",
            number,
            cell_id,
            fix="the process crashed or was killed (often: out of memory); run the cell by hand "
            "and watch the kernel's log and memory",
        )
    if isinstance(error, NoSuchKernel):
        from jupyter_client.kernelspec import KernelSpecManager

        available = ", ".join(sorted(KernelSpecManager().find_kernel_specs())) or "none"
        name = state.get("kernel_name")
        return Failure(
            UNKNOWN_KERNEL,
            f"no kernel named `{name}` is installed (available: {available})",
            fix=f"install it (`python -m ipykernel install --user --name {name}`) or choose one "
            "with --kernel",
        )
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return Failure(INTERNAL, f"{type(error).__name__}: {message}".rstrip(": "), number, cell_id)


def _cell_with_error(executed: Path, index: int):
    """The cell papermill's error names, from the executed notebook it wrote: `index` counts the
    cells it ran, before it inserted its own error-marker cells."""
    import nbformat
    from papermill.execute import ERROR_MARKER_TAG

    try:
        notebook = nbformat.read(str(executed), as_version=4)
    except (OSError, ValueError):
        return None
    cells = [c for c in notebook.cells if ERROR_MARKER_TAG not in c.metadata.get("tags", ())]
    return cells[index] if 0 <= index < len(cells) else None


def _distribution(module: str) -> str:
    from ..analysis.packages import WELL_KNOWN_DISTRIBUTIONS

    return WELL_KNOWN_DISTRIBUTIONS.get(module, (module,))[0]


def _stop_kernel(manager, *, graceful: bool) -> int | None:
    """Shut the kernel down (gracefully after a good run, so atexit hooks such as MLflow's
    flushing run), then kill its whole process group: what it started goes too. Returns that
    group (the kernel's pid), None when there was no kernel."""
    if manager is None or not manager.has_kernel:
        return None
    from jupyter_core.utils import run_sync

    pid = manager.provisioner.pid if manager.provisioner else None
    if graceful:
        with contextlib.suppress(Exception):  # the kill below is the fallback
            run_sync(manager.shutdown_kernel)(now=False)
    if pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(Exception):  # leftovers are in the temp dir, which the parent removes
        run_sync(manager.cleanup_resources)()
    return pid


def stop_marked_processes(directory: str, spare_group: int | None = None) -> list[str]:
    """SIGKILL every process whose environment marks it as the run's of `directory`, except this
    one and the members of `spare_group` (the kernel's group, killed already), and return them as
    "pid 123 (python3)". Such a process escaped the kernel's group (a daemon: setsid, a double
    fork); one that cleared its environment, or that the OS does not let us read, is not found.
    Linux only (it reads /proc); elsewhere nothing is found."""
    needle = os.fsencode(f"{RUN_MARKER}={directory}")
    stopped: dict[int, str] = {}
    for _ in range(10):  # what a process forked while the scan ran is found by the next one
        found = False
        try:
            entries = os.listdir("/proc")
        except OSError:
            break
        for entry in entries:
            if not entry.isdigit() or int(entry) in stopped or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if needle not in handle.read().split(b"\0"):
                        continue
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    name, _, fields = handle.read().rpartition(b")")
                group = int(fields.split()[2])
            except (OSError, ValueError, IndexError):
                continue  # gone, or not ours to read
            if spare_group is not None and group == spare_group:
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry), signal.SIGKILL)
                stopped[int(entry)] = name.partition(b"(")[2].decode("utf-8", "replace")
                found = True
        if not found:
            break
    return [f"pid {pid} ({name})" for pid, name in sorted(stopped.items())]


def _outputs(notebook) -> tuple[CellOutput, ...]:
    """Text (stdout and text/plain results, or the tables of an HTML result as tab-separated
    lines) and image hashes of each original code cell; stderr is left out: it carries warnings
    and library logging, not results."""
    outputs = []
    for cell in notebook.cells:
        number = cell.metadata.get(CELL_KEY)
        if cell.cell_type != "code" or number is None:
            continue
        texts, images = [], []
        for output in cell.get("outputs", ()):
            kind = output.get("output_type")
            if kind == "stream" and output.get("name") == "stdout":
                texts.append(output.get("text", ""))
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                tables = _html_tables(_text(data.get("text/html", "")))
                if tables:
                    texts.append(tables)
                elif "text/plain" in data:
                    texts.append(_text(data["text/plain"]) + "\n")
                for mime, value in data.items():
                    if mime.startswith("image/"):
                        images.append(hashlib.sha256(_text(value).encode()).hexdigest())
        if texts or images:
            outputs.append(CellOutput(number, cell.get("id"), "".join(texts), tuple(images)))
    return tuple(outputs)


def _cell_at(notebook):
    """A function from a time (seconds since the epoch) to the original cell that was running
    then, from the start and end times papermill records in each cell's metadata."""
    from datetime import datetime

    spans = []
    for cell in notebook.cells:
        number = cell.metadata.get(CELL_KEY)
        times = cell.metadata.get("papermill", {})
        if number is None or not times.get("start_time") or not times.get("end_time"):
            continue
        try:
            start = datetime.fromisoformat(times["start_time"]).timestamp()
            end = datetime.fromisoformat(times["end_time"]).timestamp()
        except (TypeError, ValueError):
            continue
        spans.append((start, end, number))

    def cell_at(moment: float) -> int | None:
        return next((number for start, end, number in spans if start <= moment <= end), None)

    return cell_at


def _html_tables(html: str) -> str:
    """The tables of an HTML output (a DataFrame's, a Styler's) as tab-separated lines, one block
    per table: a header line first (the header rows merged column by column, blank cells when the
    table has none), then a line per row. A cell spanning several columns or rows is repeated in
    each; the header cells (`th`) that start every row are its label, joined into one first cell
    (`a / 1` for a two-level index) whose header is blank. Empty when there is no table."""
    if "<table" not in html:
        return ""
    from html.parser import HTMLParser

    tables: list[dict] = []

    class Tables(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "table":
                tables.append({"head": [], "body": [], "open": None})
            elif tables and tag == "tr":
                table = tables[-1]
                table["open"] = []
                table["head" if self.in_head else "body"].append(table["open"])
            elif tables and tag in ("td", "th") and tables[-1]["open"] is not None:
                attributes = dict(attrs)
                spans = [attributes.get(name) or "1" for name in ("colspan", "rowspan")]
                spans = [int(span) if span.isdigit() and int(span) > 0 else 1 for span in spans]
                tables[-1]["open"].append([tag, "", *spans])
            elif tag == "thead":
                self.in_head = True

        def handle_endtag(self, tag):
            if tag == "thead":
                self.in_head = False
            elif tag == "tr" and tables:
                tables[-1]["open"] = None

        def handle_data(self, data):
            row = tables[-1]["open"] if tables else None
            if row:
                row[-1][1] += data

    parser = Tables()
    parser.in_head = False
    parser.feed(html)
    blocks = []
    for table in tables:
        rows = _grid([row for row in table["body"] if row])
        head = _grid([row for row in table["head"] if row])
        if not head and rows and all(tag == "th" for tag, _ in rows[0]):
            head, rows = rows[:1], rows[1:]
        width = max((len(row) for row in rows + head), default=0)
        header = [""] * width
        for row in head:
            for index, (_, name) in enumerate(row):
                if name:
                    header[index] = f"{header[index]} / {name}" if header[index] else name
        labels = min((_leading_headers(row) for row in rows), default=0)
        if labels:
            header = ["", *header[labels:]]
            rows = [[("th", " / ".join(t for _, t in row[:labels])), *row[labels:]] for row in rows]
        lines = ["\t".join(header), *("\t".join(text for _, text in row) for row in rows)]
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _grid(rows: list[list]) -> list[list[tuple[str, str]]]:
    """Rows of (tag, text) cells with every column and row span filled in."""
    grid, carried = [], {}  # column -> [rows left, tag, text]
    for row in rows:
        cells: list[tuple[str, str]] = []
        queue = list(row)
        while queue or len(cells) in carried:
            column = len(cells)
            if column in carried:
                left, tag, text = carried[column]
                cells.append((tag, text))
                if left == 1:
                    del carried[column]
                else:
                    carried[column][0] -= 1
                continue
            tag, text, colspan, rowspan = queue.pop(0)
            text = " ".join(text.split())
            for _ in range(colspan):
                if rowspan > 1:
                    carried[len(cells)] = [rowspan - 1, tag, text]
                cells.append((tag, text))
        grid.append(cells)
    return grid


def _leading_headers(row: list[tuple[str, str]]) -> int:
    """How many header cells (`th`) start the row: its label."""
    count = 0
    while count < len(row) - 1 and row[count][0] == "th":
        count += 1
    return count


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


class NotWritable(Exception):
    """The run's outputs cannot be saved into the notebook: the message says why."""


@dataclass(frozen=True)
class Saved:
    """The notebook's file with the run's outputs (`data`), and what the user should know."""

    data: bytes
    notes: tuple[str, ...] = ()


def saved_notebook(original: bytes, executed: str, skipped: Collection[int] = ()) -> Saved:
    """`original` (the notebook file as read) with each code cell's outputs and execution count
    those of the run that wrote `executed` (the executed notebook's JSON), and nothing else
    changed: what papermill and nbcheck added (the setup, teardown and injected-parameters cells,
    the `papermill` and timing metadata) is not taken. The counts are renumbered 1, 2, ... in
    the order the cells ran, as in a fresh kernel that ran only the user's cells; the cells in
    `skipped` (--skip-install-cells: their code did not run) are saved with neither.

    Written in the file's JSON style: its key order, indentation, separators, line ends, final
    newline, byte order mark, and its escaping of non-ASCII text."""
    text = original.decode("utf-8-sig")
    document = json.loads(text)
    if document.get("nbformat") != 4:
        raise NotWritable(
            f"the file is nbformat {document.get('nbformat')}, and the run's outputs are "
            "nbformat 4's (upgrade it first: jupyter nbconvert --to notebook --inplace)"
        )
    ran = {}
    injected = []  # (the cell above it, its source)
    for cell in json.loads(executed)["cells"]:
        number = cell.get("metadata", {}).get(CELL_KEY)
        if number is not None:
            ran[number] = cell
        elif "injected-parameters" in cell.get("metadata", {}).get("tags", ()):
            injected.append((max(ran, default=0), _text(cell.get("source", ""))))
    code_cells = [
        (number, cell)
        for number, cell in enumerate(document["cells"], start=1)
        if cell.get("cell_type") == "code"
    ]
    counts = sorted(
        ran[number]["execution_count"]
        for number, _ in code_cells
        if number in ran and number not in skipped and ran[number].get("execution_count")
    )
    renumbered = {count: new for new, count in enumerate(counts, start=1)}
    notes = []
    for number, cell in code_cells:
        run = ran.get(number, {})
        count = renumbered.get(run.get("execution_count"))
        outputs = run.get("outputs", []) if count is not None else []
        for output in outputs:
            if "execution_count" in output:
                output["execution_count"] = count
        cell["execution_count"], cell["outputs"] = count, outputs
        if number in skipped:
            notes.append(
                f"cell {number} was skipped (--skip-install-cells): saved with no outputs and "
                "no execution count"
            )
    for above, source in injected:
        note = _parameters_note(document["cells"][above - 1], source, above) if above else None
        notes.extend([note] if note else [])
    return Saved(_dumps_like(document, text, original), tuple(notes))


def _parameters_note(cell: dict, injected: str, number: int) -> str | None:
    """What the user should know when papermill's injected parameters (`injected`, after the
    `parameters` cell `cell`, numbered `number`) gave a name another value than the cell does:
    the saved outputs are not those of the cell as written. None when every injected name the
    cell sets is set to the same literal value."""
    written = _assignments(_text(cell.get("source", "")))
    values = _assignments(injected)
    said, where = [], []
    for name, value in values.items():
        if name not in written:
            continue  # the cell does not set it (papermill always sets `seed`)
        before = written[name]
        if before is not _COMPUTED and type(before) is type(value) and before == value:
            continue
        said.append(f"`{name} = {value!r}`")
        where.append(f"computes `{name}`" if before is _COMPUTED else f"sets `{name} = {before!r}`")
    if not said:
        return None
    return (
        f"papermill's parameters for --seed set {', '.join(said)} after cell {number}, which "
        f"{' and '.join(where)}: the saved outputs are those of the run, not of cell {number} "
        "as written"
    )


_COMPUTED = object()  # a name assigned something other than a literal


def _assignments(source: str) -> dict[str, Any]:
    """The names a cell assigns at its top level, each with its last value when that is a
    literal (`_COMPUTED` otherwise); none when the cell is not plain Python (what it sets is
    not known, and nothing is said)."""
    import ast

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return {}
    found: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        try:
            literal = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            literal = _COMPUTED
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = literal
    return found


def _dumps_like(document: dict, text: str, original: bytes) -> bytes:
    """`document` serialised as `text` is: see saved_notebook."""
    layout = re.match(r'\s*\{(\r?\n)?([ \t]*)"(?:[^"\\]|\\.)*"([ \t]*:[ \t]*)', text)
    newline, indent, colon = layout.groups() if layout else (None, "", ": ")
    comma = "," if newline or not colon.endswith(" ") else ", "
    ensure_ascii = text.isascii() and any(
        int(escape, 16) >= 0x80
        for escape in re.findall(r"(?<!\\)(?:\\\\)*\\u([0-9a-fA-F]{4})", text)
    )
    dumped = json.dumps(
        document,
        indent=indent if newline else None,
        separators=(comma, colon),
        ensure_ascii=ensure_ascii,
    )
    # A lone surrogate (from an output) has no UTF-8: written escaped, as JSON allows.
    dumped = re.sub("[\ud800-\udfff]", lambda match: f"\\u{ord(match.group()):04x}", dumped)
    if newline == "\r\n":  # JSON strings escape their line ends: every one here is layout
        dumped = dumped.replace("\n", "\r\n")
    ending = re.search(r"\r?\n\Z", text)
    dumped += ending.group() if ending else ""
    bom = "\ufeff" if original.startswith(codecs.BOM_UTF8) else ""
    return (bom + dumped).encode("utf-8")


def execution_to_json(execution: Execution) -> dict[str, Any]:
    data = execution.to_dict()
    data["outputs"] = [output.to_dict() for output in execution.outputs]
    return data


def execution_from_json(data: dict[str, Any]) -> Execution:
    from .results import MlflowRun

    return Execution(
        data["number"],
        data["seconds"],
        tuple(MlflowRun.from_dict(run) for run in data["mlflow_runs"]),
        tuple(CellOutput.from_dict(output) for output in data["outputs"]),
        Failure.from_dict(data["failure"]) if data["failure"] else None,
        data["seeded"],
        data["packages"],
        data["executed_path"],
        data.get("started_at"),
        data.get("finished_at"),
        tuple(data.get("leftovers", ())),
        data.get("reads"),
        data.get("reads_error"),
    )


if __name__ == "__main__":
    sys.exit(main())

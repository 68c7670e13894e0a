"""`run_repro`: the Python API behind `nbcheck repro`, the pytest plugin and the JupyterLab command.

    from nb_discipline.repro import ReproOptions, run_repro
    report = run_repro(["notebooks/"], ReproOptions(runs=2, jobs=2), progress=print, cancel=event)
    report.to_dict()  # the JSON form, documented in results.py and the README

Each notebook's runs go one after the other (a notebook may write files beside itself, and two runs
must not race for them); `jobs` notebooks run at the same time. Every run is a child process
(runner.py) that owns its kernel. Setting `cancel` (a threading.Event) or Ctrl-C terminates the
children, which stop their kernels; the temporary stores are removed either way.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..analysis.packages import project_root
from ..config import Settings
from ..model import Notebook
from .baseline import (
    BaselineError,
    baseline_document,
    baseline_path,
    notebook_sha256,
    read_baseline,
    write_baseline,
)
from .compare import BaselineData, CompareOptions, compare
from .mlflow_store import StoreError, read_run, template_store
from .results import (
    DIFFERS,
    FAILED,
    INTERNAL,
    INTERRUPTED,
    REPRODUCED,
    UNVERIFIED,
    Cause,
    Execution,
    Failure,
    NotebookResult,
    Report,
)
from .runner import (
    RUN_MARKER,
    NotWritable,
    execution_from_json,
    saved_notebook,
    stop_marked_processes,
)

# How long a run process gets to stop its kernel after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 10.0
# The notes that say a notebook has no baseline: dropped once --update-baseline has run.
NO_BASELINE = ("no baseline", "one run and no baseline")


class ReproError(Exception):
    """Nothing can run (MLflow missing, a bad option): one line, exit code 2."""


@dataclass(frozen=True)
class ReproOptions:
    runs: int = 2
    seed: int = 42
    jobs: int = 1
    kernel: str | None = None
    timeout: float | None = 600.0
    compare: CompareOptions = field(default_factory=CompareOptions)
    baseline: str | None = None  # one baseline file, for a single notebook
    baseline_run: str | None = None  # a run id in `tracking_uri`
    tracking_uri: str | None = None
    update_baseline: bool = False
    baseline_dir: str | None = None
    keep_executed: str | None = None  # directory for the executed notebooks
    skip_install_cells: bool = False  # run cells with install commands as no-ops
    write_outputs: bool = False  # save run 1's outputs and counts into the notebook file
    root: str = "."  # the project root baseline_dir is relative to

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> ReproOptions:
        repro = settings.repro
        tolerances = {
            pattern: (tolerance.rtol, tolerance.atol, tolerance.ignore)
            for pattern, tolerance in repro.metrics.items()
        }
        options = cls(
            runs=repro.runs,
            seed=repro.seed,
            kernel=repro.kernel,
            timeout=repro.timeout,
            compare=CompareOptions(
                rtol=repro.rtol,
                atol=repro.atol,
                metric_tolerances=tolerances,
                ignore_metrics=tuple(repro.ignore_metrics),
                ignore_params=tuple(repro.ignore_params),
                compare_outputs=repro.compare_outputs,
                compare_images=repro.compare_images,
                sanitizers=tuple(repro.sanitizers),
                output_tolerances={
                    pattern: (tolerance.rtol, tolerance.atol, tolerance.ignore)
                    for pattern, tolerance in repro.outputs.items()
                },
            ),
            baseline_dir=repro.baseline_dir,
            root=settings.root,
        )
        compare_changes = {
            key: overrides.pop(key) for key in ("rtol", "atol") if overrides.get(key) is not None
        }
        if compare_changes:
            options = replace(options, compare=replace(options.compare, **compare_changes))
        options = replace(options, **{k: v for k, v in overrides.items() if v is not None})
        return replace(options, timeout=options.timeout or None)  # 0 means no limit


@dataclass(frozen=True)
class Progress:
    """What the progress callback receives. `event` is `run` (a run started), `cell` (a cell
    started), `run-finished`, `finished` (the notebook's verdict is in `result`), or `warning`
    (before the first run: `message` says what the user should know, such as a cell that
    installs packages)."""

    path: str
    event: str
    run: int
    runs: int
    cell: int | None = None
    cells: int | None = None
    seconds: float = 0.0
    failure: Failure | None = None
    result: NotebookResult | None = None
    message: str | None = None


ProgressCallback = Callable[[Progress], None]


def run_repro(
    paths: Sequence[str],
    options: ReproOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    settings: Settings | None = None,
    documents: dict[str, bytes] | None = None,
) -> Report:
    """Run every notebook under `paths` `options.runs` times and judge it. Files that cannot be
    checked (missing, not a notebook, a bad baseline) are listed in `Report.errors`; the others
    still run. Raises ReproError when nothing can run.

    Each notebook file is read once: the runs execute the bytes that were read and checked, never
    the path read again. `documents` gives those bytes by path when the caller has read them
    (the server, which checks what it opened); `paths` is not searched then."""
    from ..discovery import discover
    from ..loader import LoadError, loads, read_notebook

    settings = settings or Settings()
    options = options or ReproOptions.from_settings(settings)
    if options.runs < 1:
        raise ReproError("--runs must be at least 1")
    if options.jobs < 1:
        raise ReproError("--jobs must be at least 1")
    if not 0 <= options.seed < 2**32:  # numpy's range; PYTHONHASHSEED's too
        raise ReproError(f"seed must be from 0 to {2**32 - 1} (got {options.seed})")
    if options.timeout is not None and not 0 <= options.timeout < float("inf"):
        raise ReproError(f"timeout must be a number of seconds, 0 for none (got {options.timeout})")
    if options.baseline_run and not options.tracking_uri:
        raise ReproError("--baseline-run needs --tracking-uri (or MLFLOW_TRACKING_URI)")
    _check_patterns(options.compare)
    if documents is None:
        files, missing = discover(list(paths), settings)
        errors = [str(error) for error in missing]
    else:
        files, errors = list(documents), []
    notebooks: list[Notebook] = []
    sources: dict[str, str] = {}
    originals: dict[str, bytes] = {}  # the bytes read: --write-outputs writes over only these
    for path in files:
        try:
            data = documents[path] if documents is not None else read_notebook(path)[0]
            notebooks.append(loads(data, path))
        except LoadError as error:
            errors.append(f"{error.path}: {error.reason}")
        else:
            sources[path] = data.decode("utf-8-sig")  # loads read it as UTF-8
            originals[path] = data
    if options.baseline and len(notebooks) > 1:
        raise ReproError("--baseline FILE compares one notebook; give one notebook path")
    if options.update_baseline:
        for notebook in notebooks:
            _check_writable(_baseline_target(notebook, options))
    if options.write_outputs:
        for notebook in notebooks:
            _check_rewritable(notebook.path)
    run_baseline = _baseline_run(options)
    jobs = []
    for notebook in notebooks:
        try:
            jobs.append((notebook, run_baseline or _file_baseline(notebook, options)))
        except BaselineError as error:
            errors.append(str(error))
    kept = _kept_paths([notebook for notebook, _ in jobs], options)
    try:
        from .. import cache

        template = template_store(Path(cache.directory())) if jobs else None
    except StoreError as error:
        raise ReproError(str(error)) from None
    cancel = cancel or threading.Event()
    session = _Session(
        options, template, progress or (lambda event: None), cancel, kept, sources, originals
    )
    results = session.run(jobs, settings)
    return Report(
        tuple(results),
        options.runs,
        options.seed,
        options.compare.rtol,
        options.compare.atol,
        tuple(errors),
    )


def _baseline_target(notebook: Notebook, options: ReproOptions) -> Path:
    """Where --update-baseline writes the notebook's baseline."""
    if options.baseline:
        return Path(options.baseline)
    return baseline_path(notebook.path, options.baseline_dir, options.root)


def _check_writable(path: Path) -> None:
    """ReproError, before anything runs, when `path` cannot be written: the nearest folder
    that exists on its way must be a folder this process may write in."""
    folder = path.parent
    while not os.path.lexists(folder) and folder != folder.parent:
        folder = folder.parent
    reason = None
    if not folder.is_dir():
        reason = f"{folder} is not a folder"
    elif not os.access(folder, os.W_OK | os.X_OK):
        reason = f"{folder} is not writable"
    elif path.is_dir():
        reason = "it is a folder"
    if reason:
        raise ReproError(f"cannot write the baseline {path}: {reason}")


def _check_rewritable(path: str) -> None:
    """ReproError, before anything runs, when --write-outputs could not replace the notebook at
    `path` (a symbolic link's target): the file and its folder must be writable. A read-only
    notebook is refused, though its folder would let a rename replace it."""
    target = os.path.realpath(path)
    reason = None
    if not os.access(target, os.W_OK):
        reason = "the file is not writable"
    elif not os.access(os.path.dirname(target), os.W_OK | os.X_OK):
        reason = f"its folder {os.path.dirname(target)} is not writable"
    if reason:
        raise ReproError(f"--write-outputs: cannot write {path}: {reason}")


def _kept_paths(notebooks: list[Notebook], options: ReproOptions) -> list[str | None]:
    """Where each notebook's executed runs go with --keep-executed DIR: DIR, then the notebook's
    folder below the folder all the notebooks share (so a/x.ipynb and b/x.ipynb keep apart), then
    `x` (run N is `x.runN.ipynb`). Raises ReproError, before anything runs, when one of those files
    exists and nbcheck did not write it: a user's file is never overwritten."""
    if not options.keep_executed or not notebooks:
        return [None] * len(notebooks)
    directory = os.path.abspath(options.keep_executed)
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise ReproError(f"--keep-executed: {options.keep_executed} is not a directory")
    folders = [os.path.dirname(os.path.abspath(notebook.path)) for notebook in notebooks]
    common = os.path.commonpath(folders)
    kept = [
        os.path.normpath(
            os.path.join(directory, os.path.relpath(folder, common), Path(notebook.path).stem)
        )
        for folder, notebook in zip(folders, notebooks, strict=True)
    ]
    for base in kept:
        for number in range(1, options.runs + 1):
            path = f"{base}.run{number}.ipynb"
            if os.path.lexists(path) and not _written_by_nbcheck(path):
                raise ReproError(
                    f"--keep-executed: {path} exists and nbcheck did not write it "
                    "(move it, or choose another directory)"
                )
    return kept


def _written_by_nbcheck(path: str) -> bool:
    """An executed notebook nbcheck kept: its cells carry their numbers in the original file."""
    from ..loader import read_file
    from .runner import CELL_KEY

    try:
        document = json.loads(read_file(path)[0])
        cells = document["cells"]
        return any(CELL_KEY in cell["metadata"] for cell in cells)
    except (OSError, ValueError, RecursionError, TypeError, KeyError):
        return False


def _check_patterns(options: CompareOptions) -> None:
    """The configured regular expressions compile, or nothing runs (exit code 2)."""
    import re

    for setting, patterns in (
        ("sanitizers", options.sanitizers),
        ("[tool.nb-discipline.repro.outputs]", options.output_tolerances),
    ):
        for pattern in patterns:
            if setting != "sanitizers" and re.fullmatch(r"\s*cell \d+\s*", pattern):
                continue
            try:
                re.compile(pattern)
            except re.error as error:
                raise ReproError(
                    f"{setting}: {pattern!r} is not a regular expression: {error}"
                ) from None


def _baseline_run(options: ReproOptions) -> BaselineData | None:
    if not options.baseline_run:
        return None
    try:
        run = read_run(options.tracking_uri, options.baseline_run)
    except StoreError as error:
        raise ReproError(str(error)) from None
    return BaselineData(f"MLflow run {run.run_id} at {options.tracking_uri}", (run,))


def _file_baseline(notebook: Notebook, options: ReproOptions) -> BaselineData | None:
    if options.update_baseline:
        return None
    if options.baseline:
        return read_baseline(Path(options.baseline))
    path = baseline_path(notebook.path, options.baseline_dir, options.root)
    return read_baseline(path) if path.is_file() else None


class _Session:
    def __init__(self, options, template, progress, cancel, kept, sources, originals) -> None:
        self.options = options
        self.sources = sources  # path -> the notebook's JSON as read once, which the runs execute
        self.originals = originals  # path -> the bytes read (--write-outputs)
        self.kept = kept  # per notebook, where its executed runs go (--keep-executed), or None
        self.template = template
        self.progress = progress
        self.cancel = cancel
        self.processes: set[subprocess.Popen] = set()
        self.lock = threading.Lock()

    def run(self, jobs, settings) -> list[NotebookResult]:
        if not jobs:
            return []
        self.directory = Path(tempfile.mkdtemp(prefix="nbcheck-repro-"))
        results: dict[int, NotebookResult] = {}
        try:
            with ThreadPoolExecutor(min(self.options.jobs, len(jobs))) as pool:
                futures: dict[Future, int] = {
                    pool.submit(self._check, index, notebook, baseline, settings): index
                    for index, (notebook, baseline) in enumerate(jobs)
                }
                pending = set(futures)
                try:
                    while pending:
                        done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                        for future in done:
                            results[futures[future]] = future.result()
                        if self.cancel.is_set():
                            self._stop_all()
                except BaseException:
                    self.cancel.set()
                    self._stop_all()
                    raise
        finally:
            # A second interrupt while the pool waited for its threads lands here with runs still
            # going: they are stopped before their directories go (papermill would fail writing
            # to a removed one: "output folder ... doesn't exist").
            if self.cancel.is_set():
                self._stop_all()
            shutil.rmtree(self.directory, ignore_errors=True)
        return [results[index] for index in sorted(results)]

    def _check(self, index: int, notebook: Notebook, baseline, settings) -> NotebookResult:
        options = self.options
        spec = {
            "notebook": os.path.abspath(notebook.path),
            "source": self.sources[notebook.path],
            "seed": options.seed,
            "kernel": options.kernel,
            "timeout": options.timeout,
            "template": str(self.template),
            "python": notebook.is_python,
            "modules": _imported_modules(notebook, settings),
            "root": project_root(os.path.dirname(os.path.abspath(notebook.path))),
        }
        installs = install_cells(notebook, settings)
        for cell, line in installs.items():
            if options.skip_install_cells:
                message = f"cell {cell} skipped (--skip-install-cells)"
            else:
                message = (
                    f"cell {cell} runs `{line}`, which may install packages into the kernel's "
                    "environment (--skip-install-cells runs such cells as no-ops)"
                )
            self.progress(
                Progress(notebook.path, "warning", 0, options.runs, cell, message=message)
            )
        if options.skip_install_cells:
            spec["skip_cells"] = sorted(installs)
        executions: list[Execution] = []
        for number in range(1, options.runs + 1):
            if self.cancel.is_set():
                executions.append(
                    Execution(number, 0.0, failure=Failure(INTERRUPTED, "interrupted"))
                )
                break
            execution = self._execute(notebook.path, index, number, spec)
            executions.append(execution)
            if execution.failure is not None:
                break
        sha = notebook_sha256(notebook)
        result = compare(
            notebook.path,
            executions,
            options.compare,
            baseline,
            seed=options.seed,
            notebook_sha256=sha,
        )
        leftovers = tuple(
            f"run {execution.number} left {_processes(len(execution.leftovers))} running when it "
            f"ended, outside the kernel's process group: {', '.join(execution.leftovers)}; "
            "nbcheck stopped them"
            for execution in executions
            if execution.leftovers
        )
        if leftovers:
            result = replace(result, notes=(*result.notes, *leftovers))
        if result.verdict == DIFFERS:
            result = replace(result, likely_causes=likely_causes(notebook, settings, result))
        if options.update_baseline:
            result = self._update_baseline(notebook, result)
        if options.write_outputs:
            result = self._write_outputs(index, notebook.path, result, spec.get("skip_cells", ()))
        self.progress(
            Progress(notebook.path, "finished", len(executions), options.runs, result=result)
        )
        return result

    def _update_baseline(self, notebook: Notebook, result: NotebookResult) -> NotebookResult:
        """Write the baseline when the runs agreed, or from the one run there was (which the
        file and the note say)."""
        notes = tuple(note for note in result.notes if not note.startswith(NO_BASELINE))
        if result.verdict not in (REPRODUCED, UNVERIFIED):
            why = "the notebook failed" if result.verdict == FAILED else "the runs do not agree"
            return replace(result, notes=(*notes, f"baseline not written: {why}"))
        path = _baseline_target(notebook, self.options)
        runs = len(result.executions)
        document = baseline_document(
            notebook, result.executions[0], self.options.seed, self.options.compare, runs
        )
        write_baseline(path, document)
        if runs == 1:
            note = (
                f"baseline written to {path} from 1 run, which nothing checked: "
                "write it with --runs 2 or more to know that the notebook reproduces"
            )
        else:
            note = f"baseline written to {path} from {runs} runs that agree"
        return replace(result, baseline=str(path), notes=(*notes, note))

    def _write_outputs(
        self, index: int, path: str, result: NotebookResult, skipped
    ) -> NotebookResult:
        """Save run 1's outputs and execution counts into the notebook file when no run failed
        and the file is still what was read; the note says which, or why not."""
        from ..fix import ChangedOnDisk, write_atomically

        failed = result.failed_execution
        executed = self.directory / f"{index}-1" / "executed.ipynb"
        try:
            if failed is not None:
                raise NotWritable(f"run {failed.number} failed ({failed.failure.message})")
            saved = saved_notebook(
                self.originals[path], executed.read_text(encoding="utf-8"), skipped
            )
            write_atomically(path, saved.data, self.originals[path])
        except NotWritable as error:
            why = str(error)
        except ChangedOnDisk:
            why = f"{path} changed on disk while the notebook ran (run it again to write them)"
        except OSError as error:
            why = f"{error.filename or path}: {error.strerror or error}"
        else:
            written = f"outputs and execution counts of run 1 written to {path}"
            return replace(
                result, notes=(*result.notes, *saved.notes, written), outputs_written=True
            )
        return replace(
            result, notes=(*result.notes, f"outputs not written: {why}"), outputs_written=False
        )

    def _execute(self, path: str, index: int, number: int, spec: dict) -> Execution:
        options = self.options
        directory = self.directory / f"{index}-{number}"
        keep = f"{self.kept[index]}.run{number}.ipynb" if self.kept[index] else None
        run_spec = {**spec, "number": number, "directory": str(directory), "keep": keep}
        self.progress(Progress(path, "run", number, options.runs))
        # The marker every process of the run inherits: what outlives the run is found by it.
        environment = {
            **os.environ,
            "PYTHONHASHSEED": str(options.seed),
            RUN_MARKER: str(directory),
        }
        directory.mkdir(parents=True)
        started = time.perf_counter()
        with open(directory.parent / f"{index}-{number}.stderr", "w+b") as stderr:
            # Started and registered under the lock, and not once cancelled: _stop_all, which
            # takes the lock, sees every run process there is.
            with self.lock:
                if self.cancel.is_set():
                    return Execution(number, 0.0, failure=Failure(INTERRUPTED, "interrupted"))
                process = subprocess.Popen(
                    [sys.executable, "-m", "nb_discipline.repro.runner"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    cwd=os.path.dirname(os.path.abspath(path)),
                    env=environment,
                    start_new_session=True,  # Ctrl-C reaches us, not it: we stop it in order
                    text=True,
                )
                self.processes.add(process)
            try:
                execution = self._read_events(process, path, number, run_spec)
                process.wait()
            finally:
                with self.lock:
                    self.processes.discard(process)
                # The run process stops what its notebook left behind and says so; this finds
                # what is left when it could not (killed, crashed).
                stop_marked_processes(str(directory))
            if execution is None:
                stderr.seek(0)
                execution = self._crashed(process, number, started, stderr.read())
        self.progress(
            Progress(
                path,
                "run-finished",
                number,
                options.runs,
                seconds=execution.seconds,
                failure=execution.failure,
            )
        )
        return execution

    def _read_events(self, process, path, number, run_spec) -> Execution | None:
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(run_spec))
            process.stdin.close()
        except BrokenPipeError:
            return None
        for line in process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "cell":
                self.progress(
                    Progress(path, "cell", number, self.options.runs, event["cell"], event["cells"])
                )
            elif event.get("event") == "result":
                # The last event: stop reading here rather than wait for the pipe to close.
                return execution_from_json(event["execution"])
        return None

    def _crashed(self, process, number: int, started: float, stderr: bytes) -> Execution:
        if self.cancel.is_set():
            failure = Failure(INTERRUPTED, "interrupted before the notebook finished")
        else:
            lines = stderr.decode("utf-8", "replace").strip().splitlines()
            detail = lines[-1] if lines else "no message"
            failure = Failure(
                INTERNAL, f"the run process exited with code {process.returncode}: {detail}"
            )
        return Execution(number, time.perf_counter() - started, failure=failure)

    def _stop_all(self) -> None:
        """SIGTERM every run process (each stops its kernel), SIGKILL those that linger."""
        with self.lock:
            processes = list(self.processes)
        for process in processes:
            _signal(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(process, signal.SIGKILL)


def likely_causes(
    notebook: Notebook, settings: Settings, result: NotebookResult
) -> tuple[Cause, ...]:
    """The linter's randomness findings (NBD3xx) in or above the first cell whose outputs or
    metrics differ between runs, all of them when no difference was traced to a cell; none unless
    the runs differ from each other (runs that agree and differ from the baseline show a change,
    not randomness)."""
    if result.between_runs is not True:
        return ()
    from ..engine import check

    last = result.first_differing_cell
    causes = (
        Cause(diagnostic.code, diagnostic.cell, diagnostic.message)
        for diagnostic in check(notebook, settings)
        if diagnostic.code.startswith("NBD3") and (last is None or diagnostic.cell <= last)
    )
    return tuple(dict.fromkeys(causes))  # two calls alike in one cell make one cause


def install_cells(notebook: Notebook, settings: Settings) -> dict[int, str]:
    """The cells that run an install command (`%pip install`, `!pip install`, `%conda install`,
    a `%%bash` line...), each with its first such line as written."""
    if not notebook.is_python:
        return {}
    from ..analysis import Analysis
    from ..analysis.install_commands import install_commands

    found: dict[int, str] = {}
    for parsed in Analysis(notebook, settings).parsed:
        for command in parsed.shell_commands:
            if parsed.cell.index not in found and install_commands(command.text):
                found[parsed.cell.index] = parsed.cell.lines[command.row - 1].strip()
    return found


def _processes(count: int) -> str:
    return "1 process" if count == 1 else f"{count} processes"


def _signal(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _imported_modules(notebook: Notebook, settings: Settings) -> dict[str, list[str]]:
    """Third-party modules the notebook imports, each with the distributions that may provide it:
    the baseline records their versions."""
    if not notebook.is_python:
        return {}
    from ..analysis import Analysis
    from ..analysis.packages import WELL_KNOWN_DISTRIBUTIONS

    modules = {site.top_level for site in Analysis(notebook, settings).calls.imports}
    modules = sorted((modules | {"numpy"}) - set(sys.stdlib_module_names))
    return {module: [*WELL_KNOWN_DISTRIBUTIONS.get(module, ()), module] for module in modules}

"""The IPython extension: `%load_ext nb_discipline`.

- `%%production [--seed N] [--strict] [--mlflow EXPERIMENT] [--run-name NAME] [--quiet]`: check the
  cell with the project's rules in the context of its notebook, seed every RNG, run it while
  recording the files and URLs it reads (nb_discipline.lineage), optionally inside an MLflow run
  that carries its lineage and those reads as dataset inputs.
- `%nbcheck [options]`: `nbcheck` on the current notebook, from inside it.
- Live warnings (`%nb_discipline on|off|status`): after each cell, one short line when the cell read
  a name last bound by a deleted cell or by a cell below it.

The notebook a kernel runs is the one the browser holds when the JupyterLab extension sends it over
the comm (nb_discipline.notebook_view); else the saved file, found from `JPY_SESSION_NAME` (set by
jupyter_server for the kernels it starts) or VS Code's `__vsc_ipynb_file__`; without either,
`%%production` checks the cell against the kernel's own input history.
"""

from __future__ import annotations

import ast
import dataclasses
import html
import os
import shlex
import sys
import time
from collections.abc import Iterable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from .analysis.dataflow import CellFlow, CellNames, Dataflow, Read, cell_flow
from .analysis.source import ParsedCell, parse_source
from .model import Cell, CheckResult, Diagnostic, Notebook
from .notebook_view import BrowserLink, NotebookView

PRODUCTION_RULES = ("NBD2", "NBD3", "NBD4")
NAMES_CACHE_SIZE = 512
# The cache keeps the sources themselves: bounded by their size too (600 cells of 200 KB kept
# 100 MB); a source larger than this is analysed each time it runs.
NAMES_CACHE_CHARACTERS = 8_000_000
HISTORY_PATH = "<kernel history>"
RECHECK_SECONDS = 1.0
_STATE_ATTRIBUTE = "_nb_discipline_extension"


def load_ipython_extension(shell: Any) -> None:
    """Register the magics and the live hooks; loading again changes nothing."""
    if getattr(shell, _STATE_ATTRIBUTE, None) is not None:
        return
    extension = Extension(shell)
    extension.register()
    setattr(shell, _STATE_ATTRIBUTE, extension)


def unload_ipython_extension(shell: Any) -> None:
    """Remove every magic and hook `load_ipython_extension` added."""
    extension = getattr(shell, _STATE_ATTRIBUTE, None)
    if extension is not None:
        extension.unregister()
        delattr(shell, _STATE_ATTRIBUTE)


# --- which notebook this kernel runs ---------------------------------------------------------


def notebook_path(shell: Any) -> str | None:
    """The saved notebook file the kernel belongs to, when the front-end says; else None."""
    candidates = []
    session_name = os.environ.get("JPY_SESSION_NAME")
    if session_name:
        # jupyter_server gives an absolute path; older servers gave one relative to the root,
        # and the kernel starts in the notebook's directory.
        candidates += [session_name, os.path.basename(session_name)]
    vscode_file = shell.user_ns.get("__vsc_ipynb_file__")
    if isinstance(vscode_file, str):
        candidates.append(vscode_file)
    for candidate in candidates:
        if candidate.endswith(".ipynb") and os.path.isfile(candidate):
            return os.path.abspath(candidate)
    return None


class NotebookFile:
    """The saved notebook, re-read only when the file changes (its mtime and size).

    The live hook asks at most once per RECHECK_SECONDS whether it changed: a `stat` costs up to a
    millisecond on some file systems, more than the rest of the hook. The magics ask every time.
    """

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self._checked: float | None = None
        self._path: str | None = None
        self._key: tuple[str, int, int] | None = None
        self._notebook: Notebook | None = None
        self._positions: dict[str, int] = {}

    def notebook(self, path: str) -> Notebook | None:
        """The notebook saved at `path`, or None when it cannot be read."""
        from .loader import LoadError, load

        try:
            status = os.stat(path)
        except OSError:
            return None
        key = (path, status.st_mtime_ns, status.st_size)
        if key != self._key:
            try:
                self._notebook = load(path)
            except LoadError:
                self._notebook = None
            self._positions = {
                cell.id: cell.index for cell in (self._notebook.cells if self._notebook else ())
            }
            self._key = key
        return self._notebook

    def positions(self) -> dict[str, int]:
        """Cell id -> 1-based index in the kernel's saved notebook (empty without one)."""
        now = time.monotonic()
        if self._checked is None or now - self._checked >= RECHECK_SECONDS:
            self._checked = now
            self._path = notebook_path(self.shell)
            if self._path is None or self.notebook(self._path) is None:
                self._positions = {}
        return self._positions

    @property
    def saved(self) -> Notebook | None:
        """The saved notebook `positions` numbers cells in, if there is one."""
        return self._notebook if self._positions else None


# --- the extension ---------------------------------------------------------------------------


class Extension:
    """Everything one shell's `%load_ext nb_discipline` added, so that unloading removes it all."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.browser = BrowserLink(shell)
        self.live = LiveWarnings(shell, self)
        self.magics = NbDisciplineMagics(shell, extension=self)
        self.said_no_notebook = False

    def register(self) -> None:
        self.shell.register_magics(self.magics)
        self.live.register()
        self.browser.open()

    def unregister(self) -> None:
        self.browser.close()
        self.live.unregister()
        manager = self.shell.magics_manager
        for kind, names in self.magics.magics.items():
            for name in names:
                manager.magics[kind].pop(name, None)
        manager.registry.pop(type(self.magics).__name__, None)

    def view(self) -> NotebookView | None:
        """The browser's view of the notebook that sent the running request, if it sends one."""
        return self.browser.view(request_session(self.shell))

    def cell_id(self, info: Any) -> str | None:
        """The running cell's id: the one the execute request carries (JupyterLab, Notebook 7 and
        VS Code send it), else that of the one cell of the browser's view with the running
        source."""
        cell_id = cell_id_of(self.shell, info)
        if cell_id is None and info is not None:
            view = self.view()
            if view is not None:
                cell_id = view.cell_with_source(info.raw_cell)
        return cell_id

    def notebook_path(self, view: NotebookView | None) -> str | None:
        """The notebook's saved file: the view's, with a view; else the file the front-end names,
        saying once per session when there is none to find."""
        if view is not None:
            return self.browser.file_path(view)
        path = notebook_path(self.shell)
        if path is None and not self.said_no_notebook:
            self.said_no_notebook = True
            print(
                "nb_discipline: cannot tell which notebook file this kernel runs (no "
                "JPY_SESSION_NAME, no VS Code notebook path); checking against this kernel's "
                "input history instead.",
                file=sys.stderr,
            )
        return path

    def source(self) -> str:
        """Which notebook the magics and the live warnings judge cells in, for the status."""
        view = self.view()
        if view is not None:
            age = time.monotonic() - view.updated
            when = "less than a second ago" if age < 1 else f"{age:.0f} s ago"
            return f"the browser's view of {view.path}, {_count(len(view), 'cell')}, updated {when}"
        path = notebook_path(self.shell)
        if path is None:
            return "no notebook known"
        return f"the saved file {_shown(path)}"


class _Feed:
    """The cells' flows in the order they run, one at a time: the linter's resolution of calls
    (Dataflow._resolve) walks the cells it is given in order, keeping the functions defined so far;
    fed the cells as the kernel runs them, it keeps the kernel's functions."""

    __slots__ = ("flow",)

    def __init__(self) -> None:
        self.flow: CellFlow | None = None

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> CellFlow | None:
        return self.flow


# A cached flow keeps the names, not the syntax tree: IPython frees that after the cell.
_NO_TREE = ParsedCell(Cell(0, None, "code", ""), None, None, ())


class LiveWarnings:
    """After each cell: warn when it read a name last bound by a deleted cell or a cell below.

    State is per name (which cell bound it last), per function the cells defined and per warning
    given, so the cost of a cell depends on that cell only, never on how many cells ran before it.
    Reads and bindings are the linter's: a call of a function counts the globals its body reads
    and binds (`global`), through the functions it calls, as the calling cell's.
    """

    def __init__(self, shell: Any, extension: Extension) -> None:
        self.shell = shell
        self.extension = extension
        self.enabled = True
        self.bound_by: dict[str, tuple[str, str | None, str]] = {}
        """Name -> (the cell that bound it last, the function whose call bound it or None, the
        code that ran)."""
        self.deleted: set[str] = set()
        self.warned: set[tuple[str, str, str]] = set()
        self.notebook_file = NotebookFile(shell)
        self.running: Any = None
        """The ExecutionInfo of the cell running now (not of cells it runs itself)."""
        self.trees: list[tuple[str, ast.Module]] = []
        """(source, tree) of what IPython parsed while the cell ran: the cell, and the bodies
        that magics such as %%time or %%production parse."""
        self.seen_cell_ids = False
        self._depth = 0
        self._flows: dict[str, CellFlow] = {}
        self._flows_characters = 0
        self._feed = _Feed()
        self._resolver = Dataflow._resolve(self._feed)
        self._analysed: tuple[object, int, dict[tuple[int, str], CellNames | None]] | None = None

    def register(self) -> None:
        self.shell.events.register("pre_run_cell", self.pre_run_cell)
        self.shell.events.register("post_run_cell", self.post_run_cell)
        # Keep the trees IPython parses instead of parsing each cell again. (An AST transformer
        # would get them too, but any registered transformer makes IPython run
        # ast.fix_missing_locations over every cell, which costs as much as parsing it.)
        compiler = self.shell.compile
        parse = compiler.ast_parse

        def ast_parse(source: str, filename: str = "<unknown>", symbol: str = "exec") -> Any:
            tree = parse(source, filename, symbol)
            if self._depth and isinstance(tree, ast.Module):
                self.trees.append((source, tree))
            return tree

        compiler.ast_parse = ast_parse

    def unregister(self) -> None:
        self.shell.events.unregister("pre_run_cell", self.pre_run_cell)
        self.shell.events.unregister("post_run_cell", self.post_run_cell)
        vars(self.shell.compile).pop("ast_parse", None)

    def pre_run_cell(self, info: Any) -> None:
        self._depth += 1
        if self._depth > 1:  # a cell run by a magic (%%capture) inside the cell
            return
        self.running = info
        self.trees.clear()
        deleted = request_metadata(self.shell, info).get("deletedCells")
        if isinstance(deleted, list):
            self.deleted.update(cell_id for cell_id in deleted if isinstance(cell_id, str))

    def post_run_cell(self, result: Any) -> None:
        self._depth = max(self._depth - 1, 0)
        if self._depth:
            return
        info, self.running = result.info, None
        trees, self.trees = self.trees, []
        if not self.enabled:
            return
        cell_id = self.extension.cell_id(info)
        if cell_id is None:
            return
        self.seen_cell_ids = True
        for message in self.judge(cell_id, trees):
            print(message, file=sys.stderr)

    def judge(self, cell_id: str, trees: list[tuple[str, ast.Module]]) -> list[str]:
        """The warnings for the cell `cell_id` that ran the code of `trees`, (source, tree) in the
        order IPython parsed them; what it bound is recorded."""
        messages = []
        for source, tree in trees:
            names = self.resolve(self.flow(source, tree))
            messages += self.messages(cell_id, names.reads)
            own = (cell_id, None, source)
            for name, function in names.binds.items():
                self.bound_by[name] = own if function is None else (cell_id, function, source)
            for name in names.deleted:
                self.bound_by.pop(name, None)
        return messages

    def flow(self, source: str, tree: ast.Module) -> CellFlow:
        """What a cell's own code reads and binds; re-runs of a cell whose source did not change,
        the usual case, are looked up instead of analysed again."""
        flow = self._flows.get(source)
        if flow is None:
            flow = cell_flow(ParsedCell(Cell(0, None, "code", source), tree, None, ()))
            flow.parsed = _NO_TREE
            if len(source) <= NAMES_CACHE_CHARACTERS:
                self._keep(source, flow)
        return flow

    def resolve(self, flow: CellFlow) -> CellNames:
        """The cell's reads and bindings with the functions it calls resolved, as the kernel's
        namespace holds them: the functions the cells run so far defined."""
        self._feed.flow = flow
        return next(self._resolver)

    def _keep(self, source: str, flow: CellFlow) -> None:
        """Keep `flow` for `source`, dropping the oldest entries past either bound."""
        while self._flows and (
            len(self._flows) >= NAMES_CACHE_SIZE
            or self._flows_characters + len(source) > NAMES_CACHE_CHARACTERS
        ):
            oldest = next(iter(self._flows))
            del self._flows[oldest]
            self._flows_characters -= len(oldest)
        self._flows[source] = flow
        self._flows_characters += len(source)

    def messages(self, cell_id: str, reads: Iterable[Read]) -> list[str]:
        """The warnings for a cell that read `reads`, each given once per name, reader and binder."""
        messages = []
        positions: dict[str, int] | None = None
        view: NotebookView | None = None
        for read in reads:
            bound = self.bound_by.get(read.name)
            if bound is None:
                continue
            binder, function, code = bound
            if binder == cell_id or (read.name, cell_id, binder) in self.warned:
                continue
            if positions is None:
                positions, view = self._positions()
            there = positions.get(binder)
            what = f"`{read.name}`"
            if read.via:
                what += (
                    f", which `{read.via}` may read,"
                    if read.maybe
                    else f", read through `{read.via}`,"
                )
            if self.set_by_deleted_cell(binder, view):
                message = (
                    f"nb_discipline: {what} was last set by a cell that has been deleted; "
                    "run top to bottom, this notebook cannot recreate it."
                )
            else:
                here = positions.get(cell_id)
                if here is None or there is None or there <= here:
                    continue
                if not self._differs_top_to_bottom(read.name, here, code, view):
                    self.warned.add((read.name, cell_id, binder))
                    continue
                calling = f" (calling `{function}`)" if function else ""
                message = (
                    f"nb_discipline: {what} was last set by cell {there}{calling}, below this "
                    f"one (cell {here}); run top to bottom, this cell would not see that value."
                )
            self.warned.add((read.name, cell_id, binder))
            messages.append(message)
        return messages

    def set_by_deleted_cell(self, binder: str, view: NotebookView | None) -> bool:
        """Whether the cell `binder` was deleted: the browser says so (with each execute request,
        or in its view), and its view does not hold it (an undo puts a cell back). A saved file
        may still hold a deleted cell: it says nothing here."""
        if view is None:
            return binder in self.deleted
        return (binder in self.deleted or binder in view.deleted) and binder not in view.positions()

    def _differs_top_to_bottom(
        self, name: str, here: int, code: str, view: NotebookView | None
    ) -> bool:
        """Whether, run top to bottom, cell `here` would not get the value that the cell below,
        which ran `code`, gave `name`: no cell above binds it, or the one that does is not the
        same import (a module is imported once: the same object). The linter's view of the
        notebook, asked only before a warning: False where it gives the read the benefit of the
        doubt (a star import or `%pylab` above may bind the name), as NBD201 and NBD203 do."""
        from .analysis.history import _same_import

        sources = self._sources(view)
        if (here, name) not in sources:
            return False
        above = sources[here, name]
        return above is None or not _same_import(
            name, Dataflow((parse_source(code),)).cells[0], above
        )

    def _sources(self, view: NotebookView | None) -> dict[tuple[int, str], CellNames | None]:
        """(cell, name) -> the cell above it gets the name from, run top to bottom (None: no cell
        above binds it), for each read the linter judges, in the notebook cells are numbered in;
        kept while its code is the same (0.25 s for 500 cells of 20 lines)."""
        from .analysis import Analysis
        from .config import Settings

        if view is not None:
            notebook, owner, version = view.notebook(view.path or ""), view, view.code_version
        else:
            notebook = owner = self.notebook_file.saved
            version = 0
        kept = self._analysed
        if kept is None or kept[0] is not owner or kept[1] != version:
            dataflow = Analysis(notebook, Settings()).dataflow
            sources = {
                (provenance.cell.cell.index, provenance.read.name): provenance.source
                for provenance in dataflow.top_to_bottom()
            }
            self._analysed = kept = (owner, version, sources)
        return kept[2]

    def _positions(self) -> tuple[dict[str, int], NotebookView | None]:
        """Cell id -> number: in the browser's view when it sends one, else in the saved file."""
        view = self.extension.view()
        if view is not None:
            return view.positions(), view
        return self.notebook_file.positions(), None

    def reported(self, cell_id: str | None, diagnostics: Iterable[Diagnostic]) -> None:
        """Names `%%production` already reported for this cell: no live warning repeats them."""
        for diagnostic in diagnostics:
            bound = self.bound_by.get(diagnostic.symbol) if diagnostic.symbol else None
            if cell_id is not None and bound is not None:
                self.warned.add((diagnostic.symbol, cell_id, bound[0]))

    def status(self) -> str:
        state = "on" if self.enabled else "off"
        if not self.seen_cell_ids:
            return (
                f"nb_discipline live warnings: {state}; no cell ids received yet (JupyterLab, "
                "Notebook 7 and VS Code send them with each cell; without them there is nothing "
                "to warn about)"
            )
        return (
            f"nb_discipline live warnings: {state}; tracking {_count(len(self.bound_by), 'name')}, "
            f"{_count(len(self.deleted), 'deleted cell')}"
        )


def cell_id_of(shell: Any, info: Any) -> str | None:
    cell_id = getattr(info, "cell_id", None) or request_metadata(shell, info).get("cellId")
    return cell_id if isinstance(cell_id, str) else None


def request_metadata(shell: Any, info: Any) -> dict[str, Any]:
    """The execute request's metadata (JupyterLab puts `cellId` and `deletedCells` there): IPython 9
    with ipykernel 7 hand it over as `cell_meta`; older versions only through the parent message."""
    metadata = getattr(info, "cell_meta", None)
    if isinstance(metadata, dict):
        return metadata
    metadata = _parent(shell).get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def request_session(shell: Any) -> str | None:
    """The session of the front-end whose request the kernel is handling (None outside a kernel):
    the browser's view of the notebook is looked up by it."""
    header = _parent(shell).get("header")
    session = header.get("session") if isinstance(header, dict) else None
    return session if isinstance(session, str) else None


def _parent(shell: Any) -> dict[str, Any]:
    """The message the kernel is handling; empty outside a kernel."""
    kernel = getattr(shell, "kernel", None)
    if kernel is None:
        return {}
    try:
        parent = kernel.get_parent()
    except (AttributeError, TypeError, LookupError):
        return {}
    return parent if isinstance(parent, dict) else {}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _shown(path: str) -> str:
    """A notebook's path as the magics show it: relative to the working directory when inside."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


# --- the magics ------------------------------------------------------------------------------


def _seed(text: str) -> int:
    """A seed every RNG takes: an integer from 0 to 2**32 - 1 (numpy's range)."""
    from argparse import ArgumentTypeError

    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed < 2**32:
        raise ArgumentTypeError(f"a seed is an integer from 0 to 2**32 - 1, not {text!r}")
    return seed


def _unquoted(value: str | None) -> str | None:
    """`value` without the quotes around it, if it is quoted whole."""
    if value is not None and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


@magics_class
class NbDisciplineMagics(Magics):
    def __init__(self, shell: Any, extension: Extension) -> None:
        super().__init__(shell)
        self.extension = extension

    @magic_arguments()
    @argument("--seed", type=_seed, default=None, help="seed for every RNG (default: config, 42)")
    @argument("--strict", action="store_true", help="refuse to run the cell when checks find")
    @argument("--mlflow", metavar="EXPERIMENT", help="run inside an MLflow run in EXPERIMENT")
    @argument("--run-name", metavar="NAME", help="the MLflow run's name")
    @argument("--quiet", action="store_true", help="do not print the data the cell read")
    @cell_magic
    def production(self, line: str, cell: str) -> Any:
        """Check this cell, seed every RNG, run it while recording the data it reads; with
        --mlflow, inside an MLflow run that records the notebook's lineage and the data.

        Findings (hidden state, unseeded randomness, missing random_state, unpinned imports) are
        printed; with --strict the cell does not run. The files and URLs the cell read are
        printed on one line (not with --quiet; with --mlflow they are the run's dataset inputs).
        """
        from . import tracking
        from .analysis.packages import project_root
        from .config import ConfigError, load_settings
        from .lineage import Recorder
        from .seeding import seed_everything

        args = parse_argstring(self.production, line)
        # IPython splits magic lines keeping the quotes: `--mlflow 'my runs'` gives "'my runs'".
        args.mlflow, args.run_name = _unquoted(args.mlflow), _unquoted(args.run_name)
        if args.mlflow is not None and not args.mlflow.strip():
            raise UsageError("--mlflow: give the MLflow experiment's name")
        view = self.extension.view()
        path = self.extension.notebook_path(view)
        try:
            settings = load_settings(None, start=os.path.dirname(path) if path else ".")
        except ConfigError as error:
            raise UsageError(str(error)) from None
        source = f"%%production {line}\n{cell}" if line else f"%%production\n{cell}"
        context = self._context(view, path, source)
        diagnostics = self._findings(context, view, settings)
        if diagnostics:
            listing = "\n".join(_compact(diagnostic) for diagnostic in diagnostics)
            if args.strict:
                raise UsageError(f"%%production --strict: not running this cell:\n{listing}")
            print(listing, file=sys.stderr)
            self.extension.live.reported(context.cell.id, diagnostics)
        seed = settings.seed if args.seed is None else args.seed
        imports = _imports(context.notebook)
        recorder = Recorder(project_root(os.path.dirname(path) if path else os.getcwd()))
        if args.mlflow is None:
            seed_everything(seed, libraries=imports)
            try:
                with recorder.record():
                    return self._run(cell)
            finally:
                if recorder.reads and not args.quiet:
                    print(recorder.reads.line(), file=sys.stderr)
        try:
            tracking.require_mlflow()
        except tracking.MissingMlflowError as error:
            raise UsageError(f"--mlflow: {error}") from None
        run_lineage = tracking.lineage(
            path,
            cell_id=context.cell.id,
            cell_index=None if context.notebook.path == HISTORY_PATH else context.cell.index,
            seed=seed,
            execution_count=self._execution_count(),
            modules=imports,
        )
        run_name = args.run_name or _default_run_name(context)
        with tracking.start_run(args.mlflow, run_name, run_lineage):
            tracking.log_params(run_lineage)
            seed_everything(seed, libraries=imports)
            try:
                with recorder.record(skip=tracking.tracking_locations()):
                    return self._run(cell)
            finally:
                if recorder.reads is not None:
                    tracking.log_reads(recorder.reads)

    @line_magic
    def nbcheck(self, line: str) -> None:
        """`nbcheck` on this notebook (or the PATHS given): `%nbcheck --select NBD2`."""
        from . import cli, frontend

        parser = cli.check_parser("%nbcheck", "Lint this notebook.")
        try:
            words = shlex.split(line)
        except ValueError as error:  # an unclosed quote
            raise UsageError(f"%nbcheck: {error}") from None
        try:
            args = parser.parse_args(words)
            view = None if args.paths else self.extension.view()
            if view is not None:
                result = self._check_view(args, view)
            else:
                paths = args.paths or [self._current_notebook()]
                start = os.path.dirname(os.path.abspath(paths[0]))
                result = cli.collect(args, paths, start=start)
            if args.output_file is not None:
                frontend.write_report(cli.report(args, result), args.output_file)
                print(f"nbcheck: report written to {args.output_file}")
        except frontend.UsageError as error:
            raise UsageError(str(error)) from None
        except SystemExit:  # --help, after argparse printed it
            return
        note = VIEW_CHECKED if view is not None else None
        if args.output_file is None and (args.output_format != "text" or args.statistics):
            print(cli.report(args, result), end="")
        elif args.output_file is None:
            from IPython.display import display

            display(Findings(result, note))
            return
        if note is not None:
            print(f"nbcheck: {note[0].lower()}{note[1:]}", file=sys.stderr)

    def _check_view(self, args: Any, view: NotebookView) -> CheckResult:
        """`nbcheck`'s check of the notebook as the browser holds it: never fixed (the browser
        holds it, not the file)."""
        from . import frontend
        from .engine import check
        from .fix import Policy
        from .rules import UnknownSelectorError, selected_rules

        path = self.extension.browser.file_path(view)
        settings = frontend.settings_for(args, start=os.path.dirname(path) if path else ".")
        try:
            rules = selected_rules(settings.select, settings.extend_select, settings.ignore)
        except UnknownSelectorError as error:
            raise frontend.UsageError(
                f"unknown rule selector `{error}` (`nbcheck rules` lists the rules)"
            ) from None
        notebook = view.notebook(_shown(path) if path else view.path or "")
        result = CheckResult(check(notebook, settings, rules), checked=1 if rules else 0)
        result.policy = Policy.of(settings)
        return result

    @line_magic
    def nb_discipline(self, line: str) -> None:
        """`%nb_discipline on|off|status`: live hidden-state warnings after each cell."""
        live = self.extension.live
        command = line.strip() or "status"
        if command not in ("on", "off", "status"):
            raise UsageError(f"%nb_discipline: expected on, off or status, not {command!r}")
        if command != "status":
            live.enabled = command == "on"
        print(live.status())
        print(f"nb_discipline notebook: {self.extension.source()}")

    def _execution_count(self) -> int:
        """The running cell's number, In[N] (the shell counts it up before the cell runs)."""
        running = self.extension.live.running
        count = self.shell.execution_count
        return count - 1 if running is not None and running.store_history else count

    def _current_notebook(self) -> str:
        """This notebook's saved file, relative to the working directory when inside it."""
        path = notebook_path(self.shell)
        if path is None:
            raise UsageError(
                "%nbcheck: cannot tell which notebook this kernel runs; give its path: "
                "%nbcheck analysis.ipynb"
            )
        return _shown(path)

    def _context(self, view: NotebookView | None, path: str | None, source: str) -> _CellContext:
        """The notebook this cell is judged in (the browser's view, else the saved file), with
        this cell's source in its place."""
        if view is not None:
            notebook: Notebook | None = view.notebook(path or view.path or "")
        else:
            notebook = self.extension.live.notebook_file.notebook(path) if path else None
        cell_id = self.extension.cell_id(self.extension.live.running)
        if notebook is None:
            return _history_context(self.shell, source, cell_id, self._execution_count())
        for cell in notebook.cells:
            if cell.id == cell_id and cell_id is not None:
                current = cell._replace(source=source, execution_count=self._execution_count())
                cells = tuple(current if c is cell else c for c in notebook.cells)
                return _CellContext(notebook._replace(cells=cells), current)
        # A cell not saved yet: judge it as the last one.
        current = Cell(
            len(notebook.cells) + 1,
            cell_id,
            "code",
            source,
            self._execution_count(),
        )
        return _CellContext(notebook._replace(cells=(*notebook.cells, current)), current)

    def _findings(
        self, context: _CellContext, view: NotebookView | None, settings: Any
    ) -> list[Diagnostic]:
        from .engine import check

        settings = settings.replace(select=list(PRODUCTION_RULES), extend_select=[])
        diagnostics = [d for d in check(context.notebook, settings) if d.cell == context.cell.index]
        reported = {d.symbol for d in diagnostics if d.code.startswith("NBD2")}
        deleted = [
            d for d in self._deleted_cell_findings(context, view) if d.symbol not in reported
        ]
        return sorted([*diagnostics, *deleted], key=Diagnostic.sort_key)

    def _deleted_cell_findings(
        self, context: _CellContext, view: NotebookView | None
    ) -> list[Diagnostic]:
        """Names this cell reads whose value came from a cell since deleted: only the kernel
        knows (the saved file may still hold the cell, or may never have held it)."""
        from .model import Location

        live = self.extension.live
        reads = cell_flow(parse_source(context.cell.source, context.cell.index)).reads
        return [
            Diagnostic(
                code="NBD202",
                name="undefined-name",
                message=f"`{name}` was last set by a deleted cell; no cell recreates it",
                filename=context.notebook.path,
                cell=context.cell.index,
                cell_id=context.cell.id,
                location=Location(read.row, read.column),
                end_location=Location(read.end_row, read.end_column),
                symbol=name,
            )
            for name, read in reads.items()
            if name in live.bound_by and live.set_by_deleted_cell(live.bound_by[name][0], view)
        ]

    def _run(self, cell: str) -> Any:
        """Run the cell's body like IPython runs a cell: the value of a last expression is the
        magic's result (shown as Out), tracebacks show the cell's own lines."""
        shell = self.shell
        # IPython drops leading blank lines; put them back, plus one for the `%%production` line,
        # so that rows in tracebacks are the cell's own.
        lines = cell.splitlines()
        blank = next((row for row, line in enumerate(lines) if line.strip()), len(lines))
        transformed = "\n" * (1 + blank) + shell.transform_cell(cell)
        filename = shell.compile.cache(transformed, self._execution_count())
        tree = shell.compile.ast_parse(transformed, filename=filename)
        tree = shell.transform_ast(tree)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(shell.compile(tree, filename, "exec"), shell.user_global_ns, shell.user_ns)
        if last is None:
            return None
        expression = ast.Expression(last.value)
        return eval(
            shell.compile(expression, filename, "eval"), shell.user_global_ns, shell.user_ns
        )


@dataclasses.dataclass(frozen=True)
class _CellContext:
    notebook: Notebook
    cell: Cell


def _history_context(shell: Any, source: str, cell_id: str | None, count: int) -> _CellContext:
    """No saved notebook: the kernel's inputs before this cell (In[count]), one cell each."""
    inputs = shell.history_manager.input_hist_raw[1:count]
    cells = [Cell(index, None, "code", text, index) for index, text in enumerate(inputs, start=1)]
    current = Cell(len(cells) + 1, cell_id, "code", source, count)
    # The kernel running this is Python's: its history names its language.
    python = {"language_info": {"name": "python"}}
    return _CellContext(Notebook(HISTORY_PATH, (*cells, current), python), current)


def _imports(notebook: Notebook) -> set[str]:
    """Top-level modules the notebook's cells import (the cell under check included)."""
    from .analysis import Analysis
    from .config import Settings

    return {site.top_level for site in Analysis(notebook, Settings()).calls.imports}


def _default_run_name(context: _CellContext) -> str:
    path, cell = context.notebook.path, context.cell
    stem = "ipython" if path == HISTORY_PATH else os.path.splitext(os.path.basename(path))[0]
    return f"{stem} cell {cell.index} [{cell.execution_count}]"


def _compact(diagnostic: Diagnostic) -> str:
    """ruff's concise form, with the row and column inside this cell."""
    row, column = diagnostic.location.row, diagnostic.location.column
    return f"cell {diagnostic.cell}:{row}:{column}: {diagnostic.code} {diagnostic.message}"


VIEW_CHECKED = "Checked the notebook as the browser holds it (unsaved changes included)."


class Findings:
    """`%nbcheck`'s result: an HTML table in Jupyter, the text report elsewhere; `note` says what
    was checked when it was not the saved file."""

    def __init__(self, result: CheckResult, note: str | None = None):
        self.result = result
        self.note = note

    def __repr__(self) -> str:
        from .reporters.text import render

        errors = "".join(f"error: {error}\n" for error in self.result.errors)
        note = f"\n{self.note}" if self.note else ""
        return (errors + render(self.result)).rstrip("\n") + note

    def _repr_html_(self) -> str:
        from .reporters.text import summary

        escape = html.escape
        # JupyterLab right-aligns table cells: text reads from the left.
        left = ' style="text-align: left"'
        rows = "".join(
            "<tr>"
            f"<td{left}>{escape(os.path.basename(d.filename))}</td>"
            f'<td title="cell id {escape(d.cell_id or "")}">cell {d.cell}</td>'
            f"<td>{d.location.row}:{d.location.column}</td>"
            f"<td><code>{escape(d.code)}</code></td>"
            f"<td{left}>{escape(d.message)}"
            + (f"<br><small>help: {escape(d.help)}</small>" if d.help else "")
            + "</td></tr>"
            for d in self.result.diagnostics
        )
        errors = "".join(
            f"<p><b>error</b>: {escape(str(error))}</p>" for error in self.result.errors
        )
        table = (
            f"<table><thead><tr><th{left}>notebook</th><th>cell</th><th>line:col</th>"
            f"<th>code</th><th{left}>message</th></tr></thead><tbody>{rows}</tbody></table>"
            if rows
            else ""
        )
        caption = escape(summary(self.result))
        note = f"<p>{escape(self.note)}</p>" if self.note else ""
        return f'<div class="nb-discipline-findings">{errors}{table}<p>{caption}</p>{note}</div>'

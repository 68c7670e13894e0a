"""Which names each cell binds in the notebook's global namespace, and which it reads from it.

Python's scoping is followed: function bodies read globals when they are called, not where they are
written (each top-level function gets a summary, and a call `f()` in a cell counts the globals `f`
reads, transitively, as reads of the calling cell at the call, but not those `f` binds with `global`
before it calls the function that reads them, nor those a function it called before reading them
binds); class bodies and comprehensions run where they are written; a lambda bound to a name is
a function; an unnamed lambda runs where it is written when a call there calls it (`(lambda:
x)()`, `sorted(key=...)`, `list(map(...))`, pandas' `apply`: `_lambdas_called_here`), and
otherwise (stored, passed on as a callback) when something calls it, which nbcheck does not see:
its reads are kept apart (`CellFlow.unseen`), for NBD202 alone, and the calls it makes are not the
cell's (in a function's body, it may run when the function is called, as a nested function may);
comprehension and function locals, `global`, `nonlocal`, walrus targets, `del`, augmented
assignment, imports, `match` captures, `except ... as` and `with ... as` bind as Python binds.
Within a cell, a name read after the cell itself bound it is not a read from the namespace. Reads a
`try` guards against NameError (its handler does not raise again), in a cell or a function body, are
not counted, nor reads in a loop of a name the same cell binds (a later iteration sees the cell's
own value), nor code that never runs: under a constant false test (`if False:`) or a Python 2 test
(`if sys.version_info[0] == 2:`, `if six.PY2:`; a cell that parses runs on Python 3), or after a
`return`, `raise`, `break` or `continue` in the same block.

A call reads what the path its arguments take through the function reads: a branch on a parameter
the function never rebinds (`if flag:`, `if not flag:`, `if p is None:`, `if mode == "he":`, `if
mode in ("a", "b"):`, and `and`, `or`, `not` of these, in `if`, `elif`, a conditional expression, or
an `if ...: return` that guards the rest of its block) is decided when the call passes a literal for
that parameter, or leaves it to a literal default; the branch that does not run is not read. A
parameter passed on to another call carries its value (`g(flag=flag)`). Anything else (a variable,
`*args`, `**kwargs`, a decorated function, a class) leaves both branches read. A read on some of the
call's paths only (under a test that is not decided, in a `while` body, an `except` handler, right
of `and`/`or`, a nested function or lambda) is marked `maybe`; loops are taken to run.

Each cell is visited once; the notebook pass is a single walk over the cells: linear in size.
"""

from __future__ import annotations

import ast
import builtins
import operator
import re
from collections.abc import Callable, Iterator

from .. import collector
from ..model import Cell, Notebook
from ..records import TYPE_CHECKING, Record
from .source import ParsedCell

if TYPE_CHECKING:
    from collections.abc import Collection
    from typing import Any

    # A parameter's value at a call, as nbcheck knows it: a literal ("c", value), the caller's
    # own parameter ("p", name), or None (anything else).
    Value = tuple[str, object] | None
    # (positional values, (keyword, value) pairs, whether `*` or `**` unpacks something)
    Arguments = tuple[tuple[Value, ...], tuple[tuple[str, Value], ...], bool]
    # Tests on parameters enclosing a place in a function body: (condition, the outcome needed).
    Guards = tuple[tuple[tuple, bool], ...]

# Names IPython puts in the user namespace, and module attributes every namespace has.
IPYTHON_NAMES = frozenset(
    {
        "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh", "_exit_code",
        "get_ipython", "display", "exit", "quit", "__name__", "__doc__", "__package__",
        "__loader__", "__spec__", "__builtins__", "__builtin__", "__annotations__", "__class__",
        "__IPYTHON__",
    }
)  # fmt: skip
_NUMBERED_HISTORY = re.compile(r"_i?\d+")
BUILTINS = frozenset(dir(builtins))
# Handlers that make a guarded read of an undefined name harmless.
NAME_ERROR_HANDLERS = frozenset({"NameError", "UnboundLocalError"})
# Methods that run when a class is called.
CONSTRUCTORS = ("__new__", "__init__", "__post_init__")


def always_defined(name: str) -> bool:
    """Builtins, IPython's own names and module dunders: defined in every kernel."""
    return (
        name in BUILTINS
        or name in IPYTHON_NAMES
        or (name[0] == "_" and _NUMBERED_HISTORY.fullmatch(name) is not None)
    )


# Names a Databricks notebook's kernel defines; exported notebooks carry this metadata key.
DATABRICKS_METADATA = "application/vnd.databricks.v1+notebook"
DATABRICKS_NAMES = frozenset(
    {"spark", "sc", "sqlContext", "dbutils", "displayHTML", "table", "sql", "udf", "getArgument"}
)


# Names the pyspark shell (`pyspark`, or a Jupyter kernel it launches) defines before the first
# cell runs. A notebook that imports pyspark and reads one that no cell binds ran in such a kernel,
# and runs nowhere else; one that binds it (`sc = SparkContext()`) did not.
PYSPARK_SHELL_NAMES = frozenset({"sc", "spark", "sqlContext", "sqlCtx"})
_IMPORTS_PYSPARK = None


def _imports_pyspark(notebook: Notebook) -> bool:
    global _IMPORTS_PYSPARK
    if _IMPORTS_PYSPARK is None:
        _IMPORTS_PYSPARK = re.compile(r"^[ \t]*(?:from|import)[ \t]+pyspark\b", re.M)
    return any(
        "pyspark" in cell.source and _IMPORTS_PYSPARK.search(cell.source)
        for cell in notebook.code_cells
    )


# Builtins of Python 2 that Python 3 removed: defined in a notebook whose kernel ran Python 2.
PYTHON_2_BUILTINS = frozenset(
    {
        "apply", "basestring", "buffer", "cmp", "coerce", "execfile", "file", "intern", "long",
        "raw_input", "reduce", "reload", "unichr", "unicode", "xrange",
    }
)  # fmt: skip


class Predefined(Record):
    """Names the notebook's kernel defines besides Python's and IPython's."""

    always: frozenset[str] = frozenset()
    pyspark_shell: frozenset[str] = frozenset()
    """The pyspark shell's names, in a notebook that imports pyspark: defined in the kernel the
    notebook ran in when no cell binds them, though not in a fresh Python kernel."""


NONE = Predefined()


def predefined_names(notebook: Notebook, configured: list[str]) -> Predefined:
    """The `builtins` setting, Databricks' globals in a notebook exported from Databricks,
    Python 2's own builtins in a notebook whose kernel ran Python 2; apart, the pyspark shell's
    globals in a notebook that imports pyspark."""
    names = frozenset(configured)
    if DATABRICKS_METADATA in notebook.metadata:
        names |= DATABRICKS_NAMES
    if notebook.ran_python_2:
        names |= PYTHON_2_BUILTINS
    shell = PYSPARK_SHELL_NAMES if _imports_pyspark(notebook) else frozenset()
    return Predefined(names, shell)


class Read(Record):
    """A read of a global name: its first place in the cell (1-based rows and columns)."""

    name: str
    row: int
    column: int
    end_row: int
    end_column: int
    order: int
    """Position in the cell's evaluation order (reads, calls and bindings share the counter)."""

    via: str | None = None
    """The function called at this place whose body reads the name; None for a direct read."""

    maybe: bool = False
    """Read through a call only on some of the paths the call may take (in a branch whose test
    nbcheck cannot decide, a handler, a nested function), not on every one."""


class FunctionSummary:
    """The globals a function (or a class's constructors) reads and binds when called."""

    __slots__ = (
        "binds", "call_order", "calls", "calls_before", "guarded", "is_class", "name", "reads",
        "rebound", "signature",
    )  # fmt: skip

    def __init__(self, name: str) -> None:
        self.name = name
        # A class: what it reads and binds is its constructors' (each has a summary of its own).
        self.is_class = False
        self.reads: dict[str, Read] = {}
        # Names every read of which sits in a branch: the guards of each read.
        self.guarded: dict[str, list[Guards]] = {}
        # Name -> the places it is called, (the guards there, the arguments, the globals the
        # function bound before that place), in order.
        self.calls: dict[str, dict[tuple[Guards, Arguments, frozenset[str]], None]] = {}
        self.binds: set[str] = set()
        # The functions the body calls, in order (its own body's calls, not nested functions').
        self.call_order: list[str] = []
        # Name -> how many of those calls come before its first read: what they bind (`global`)
        # is bound there.
        self.calls_before: dict[str, int] = {}
        # How arguments bind to parameters; None when a call's arguments decide nothing.
        self.signature: Signature | None = None
        # Parameters the body binds again (or a nested function, through `nonlocal`).
        self.rebound: set[str] = set()


NO_ARGUMENTS: Arguments = ((), (), False)


class Signature(Record):
    positional: tuple[str, ...]
    """Parameters that positional arguments fill, in order."""

    names: frozenset[str]
    """Every parameter a keyword can name."""

    defaults: dict[str, object]
    """The parameters whose default is a literal, with its value."""


class Call(Record):
    name: str
    read: Read
    arguments: Arguments = NO_ARGUMENTS


def _add_read(summary: FunctionSummary, read: Read, guards: tuple[Guards, ...]) -> None:
    """Record a read of the summary's function at places under `guards` (none: a place that
    every call reaches); the first place read is the one kept."""
    name = read.name
    if name not in summary.reads:
        summary.reads[name] = read
        if guards:
            summary.guarded[name] = list(guards)
    elif name in summary.guarded:
        if guards:
            summary.guarded[name].extend(guards)
        else:
            del summary.guarded[name]  # read on every path somewhere


class CellFlow:
    """What one cell does to the global namespace, read from its own code alone."""

    __slots__ = (
        "binds", "calls", "final", "functions", "parsed", "reads", "unknown_at", "unknown_reason",
        "unseen",
    )  # fmt: skip

    def __init__(self, parsed: ParsedCell, unknown_reason: str | None = None) -> None:
        self.parsed = parsed
        # The first read of each name from the namespace (not bound earlier in the cell), in order.
        self.reads: dict[str, Read] = {}
        # The first call of each global name with each set of arguments (in order), for the
        # functions the notebook defines.
        self.calls: dict[tuple[str, Arguments], Call] = {}
        # The first read of each name from the namespace in the body of a lambda whose calls nbcheck
        # cannot see (it is not called where it is written): it reads when called, if ever.
        self.unseen: dict[str, Read] = {}
        # Each name the cell binds, with the order of its first binding.
        self.binds: dict[str, int] = {}
        # Name -> bound (True) or deleted by a top-level `del` (False) at the end of the cell.
        self.final: dict[str, bool] = {}
        # Functions (and classes, and methods as `Class.method`) defined at the top level.
        self.functions: dict[str, FunctionSummary] = {}
        # A star import, `%run`, `exec`, `globals().update(...)`: the cell may bind any name from
        # this place in its evaluation order on (0: from its start); None when it cannot.
        self.unknown_at: int | None = None if unknown_reason is None else 0
        # Why, as the cell's predicate: "has a star import", "does not parse", ...
        self.unknown_reason = unknown_reason

    @property
    def cell(self) -> Cell:
        return self.parsed.cell

    @property
    def binds_unknown(self) -> bool:
        return self.unknown_at is not None


def cell_flow(parsed: ParsedCell, lazy_annotations: bool = False) -> CellFlow:
    """The names a parsed cell reads and binds (nothing for cells without a tree).

    `lazy_annotations`: `from __future__ import annotations` ran in an earlier cell (IPython keeps
    future imports for the following cells): annotations are not evaluated, so not read.
    """
    # A cell that does not parse may bind anything: what it would bind is unknown.
    flow = CellFlow(parsed, _unknown_reason(parsed))
    for name in parsed.magic_bindings:
        flow.binds.setdefault(name, 0)
        flow.final[name] = True
    if parsed.tree is not None:
        lazy_annotations = lazy_annotations or _imports_lazy_annotations(parsed)
        try:
            _CellVisitor(flow, lazy_annotations).run(parsed.tree)
        except RecursionError:  # nested deeper than Python lets us walk: unreadable, like a
            return CellFlow(parsed, "is nested too deeply to read")  # cell that does not parse
    return flow


def _unknown_reason(parsed: ParsedCell) -> str | None:
    """Why the cell may bind any name from its start, if it may."""
    if parsed.syntax_error is not None:
        return "does not parse"
    if not parsed.binds_unknown:
        return None
    if parsed.tree is None and parsed.cell_magic is not None:
        return f"is a `%%{parsed.cell_magic}` cell"
    return "runs a magic whose bindings nbcheck cannot see"


def _imports_lazy_annotations(parsed: ParsedCell) -> bool:
    """The cell runs `from __future__ import annotations` (looked for only in a cell whose
    text names `__future__`)."""
    if parsed.tree is None or "__future__" not in parsed.cell.source:
        return False
    return any(
        isinstance(statement, ast.ImportFrom)
        and statement.module == "__future__"
        and any(alias.name == "annotations" for alias in statement.names)
        for statement in parsed.tree.body
    )


# --- one cell --------------------------------------------------------------------------------


class _Pending:
    """A name read in a function or comprehension, resolved when its scope ends."""

    __slots__ = (
        "arguments", "bound_before", "calls_before", "deferred", "force_global", "guards", "name",
        "node", "owner", "unseen",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        node: ast.AST,
        deferred: bool,
        arguments: Arguments | None,
        owner: str | None,
        guards: Guards = (),
    ) -> None:
        self.name = name
        self.node = node
        self.deferred = deferred
        self.arguments = arguments
        """The call's arguments when the name is called there; None for a plain read."""
        self.owner = owner
        self.guards = guards
        self.force_global = False
        self.unseen = False
        """Read in the body of a lambda not called where it is written: when it is called, if
        ever, which nbcheck cannot see."""
        self.bound_before: frozenset[str] = _NOTHING
        """A call's: the globals its owner function bound (`global x; x = ...`) before it."""
        self.calls_before = 0
        """How many calls of its owner's body come before the read."""


class _Scope:
    """A scope of the cell being walked, with the names bound and read in it so far."""

    __slots__ = (
        "bound", "declared_global", "declared_nonlocal", "deferred", "kind", "owner", "parameters",
        "parent", "pending",
    )  # fmt: skip

    def __init__(
        self,
        kind: str,
        parent: _Scope | None,
        owner: str | None = None,
        deferred: bool = False,
    ) -> None:
        self.kind = kind  # "module", "class", "function" or "comprehension"
        self.parent = parent
        # The top-level function whose summary collects this scope's deferred reads.
        self.owner = owner
        # Code in this scope runs later than where it is written (function bodies).
        self.deferred = deferred
        self.bound: set[str] = set()
        self.declared_global: set[str] = set()
        self.declared_nonlocal: set[str] = set()
        self.pending: list[_Pending] = []
        # The parameters of the function whose summary this scope's code fills (its owner's own
        # body, and the comprehensions in it: empty there), the names its branches may test;
        # None elsewhere (the branches are not followed).
        self.parameters: frozenset[str] | None = None


class _CellVisitor(ast.NodeVisitor):
    def __init__(self, flow: CellFlow, lazy_annotations: bool) -> None:
        self.flow = flow
        self.lazy_annotations = lazy_annotations
        self.module = _Scope("module", None)
        self.scope = self.module
        self.order = 0
        self.top_level = True
        self.loop_depth = 0
        self.guard_depth = 0
        self.checked_names: list[str] = []
        """Names an enclosing `if "name" in globals()` tests: reading them there is safe."""
        self.loop = 0
        """The outermost loop the visit is in (numbered from 1 in the cell), while loop_depth > 0."""
        self.loop_reads: list[tuple[str, int]] = []
        self.loop_binds: set[tuple[str, int]] = set()
        self.lambda_name: str | None = None
        self.called_here: set[int] = set()
        """The lambdas (their ids) that a call of the cell calls before it returns."""
        self.has_lambdas = "lambda" in flow.parsed.cell.source
        """Most cells write none: their calls need not be looked at for lambdas they call."""
        self.guards: Guards = ()
        """The tests that enclose the code being visited in its owner's body (UNDECIDED for a
        test on anything but a parameter, or code that may not run)."""

    def visit(self, node: ast.AST) -> None:
        """ast.NodeVisitor.visit, with the method looked up once per node type."""
        kind = type(node)
        method = _METHODS.get(kind)
        if method is None:
            method = _METHODS[kind] = getattr(
                type(self), f"visit_{kind.__name__}", _CellVisitor.generic_visit
            )
        method(self, node)

    def _leaf(self, node: ast.AST) -> None:
        """Constants and expression contexts hold no names."""

    visit_Constant = visit_Load = visit_Store = visit_Del = _leaf

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    if type(item) not in _LEAVES and isinstance(item, ast.AST):
                        self.visit(item)
            elif type(value) not in _LEAVES and isinstance(value, ast.AST):
                self.visit(value)

    def run(self, tree: ast.Module) -> None:
        for statement in tree.body:
            self.top_level = True
            self.visit(statement)
        for name, loop in self.loop_reads:
            if (name, loop) in self.loop_binds:  # a later iteration sees the loop's own value
                del self.flow.reads[name]
        for name, summary in list(self.flow.functions.items()):
            if "." not in name and (constructors := self._constructors(name)):
                for constructor in constructors:
                    for read in constructor.reads.values():
                        _add_read(summary, read, constructor.guarded.get(read.name, ()))
                    for callee, places in constructor.calls.items():
                        summary.calls.setdefault(callee, {}).update(places)
                    summary.binds |= constructor.binds

    def _constructors(self, name: str) -> list[FunctionSummary]:
        functions = self.flow.functions
        return [
            functions[f"{name}.{method}"]
            for method in CONSTRUCTORS
            if f"{name}.{method}" in functions
        ]

    # names ------------------------------------------------------------------------------------

    def _read(self, name: str, node: ast.AST, arguments: Arguments | None = None) -> None:
        scope = self.scope
        if scope is self.module:  # most reads
            if name in scope.bound:
                if arguments is not None:
                    self._own_call(name, node, arguments)
            elif not (self.guard_depth or name in self.checked_names) and (
                arguments is not None or name not in self.flow.reads  # a plain read once
            ):
                self._module_read(name, node, arguments)
        elif scope.kind in ("function", "comprehension"):
            if self.guard_depth or name in self.checked_names:
                return  # a NameError would be caught, or the name's existence was checked
            owner = self.flow.functions.get(scope.owner) if scope.owner else None
            own_body = owner is not None and scope.parameters is not None
            calls_before = len(owner.call_order) if own_body else 0  # type: ignore[union-attr]
            if own_body and arguments is not None:
                owner.call_order.append(name)  # type: ignore[union-attr]
            if name in scope.bound:
                return  # a name the scope binds is its own everywhere in it: nothing to resolve
            pending = _Pending(name, node, scope.deferred, arguments, scope.owner, self.guards)
            pending.calls_before = calls_before
            if own_body and arguments is not None and owner.binds:  # type: ignore[union-attr]
                pending.bound_before = frozenset(owner.binds)  # type: ignore[union-attr]
            scope.pending.append(pending)
        elif name not in scope.bound:  # a class body's read of a name it has not bound
            pending = _Pending(name, node, False, arguments, scope.owner, self.guards)
            self._arrive(scope.parent, pending)

    def _arrive(self, scope: _Scope | None, pending: _Pending) -> None:
        """A read not resolved in an inner scope reaches `scope`."""
        while scope is not None and scope.kind == "class":
            scope = scope.parent  # class-level names are invisible to nested scopes
        if scope is None:
            return
        if scope.kind != "module":
            pending.owner = pending.owner or scope.owner
            scope.pending.append(pending)
            return
        if pending.deferred:
            self._deferred_read(pending)
            return
        name = pending.name
        if pending.unseen:
            if not (name in scope.bound or name in self.flow.unseen or self.guard_depth):
                self.flow.unseen[name] = self._make_read(name, pending.node)
        elif name in scope.bound:
            if pending.arguments is not None:
                self._own_call(name, pending.node, pending.arguments)
        elif not (self.guard_depth or name in self.checked_names):
            self._module_read(name, pending.node, pending.arguments)

    def _own_call(self, name: str, node: ast.AST, arguments: Arguments) -> None:
        """A call, where it runs, of a name the cell itself bound: kept, for the `global`
        bindings of the function it calls happen at the call."""
        key = (name, arguments)
        if not (self.guard_depth or name in self.checked_names or key in self.flow.calls):
            self.flow.calls[key] = Call(name, self._make_read(name, node), arguments)

    def _module_read(self, name: str, node: ast.AST, arguments: Arguments | None) -> None:
        """A read that reaches the module scope unbound there: the cell reads the namespace."""
        flow = self.flow
        read = None
        if arguments is not None and (name, arguments) not in flow.calls:
            read = self._make_read(name, node)
            flow.calls[name, arguments] = Call(name, read, arguments)
        if name not in flow.reads:
            flow.reads[name] = read or self._make_read(name, node)
            if self.loop_depth:
                self.loop_reads.append((name, self.loop))

    def _deferred_read(self, pending: _Pending) -> None:
        if pending.owner is None:
            return
        owner = self._summary(pending.owner)
        name, guards = pending.name, pending.guards
        if pending.arguments is not None:
            place = (guards, pending.arguments, pending.bound_before)
            owner.calls.setdefault(name, {})[place] = None
        if name in owner.reads:
            _add_read(owner, owner.reads[name], (guards,) if guards else ())
        else:
            _add_read(owner, self._make_read(name, pending.node), (guards,) if guards else ())
        before = owner.calls_before.get(name)
        if before is None or pending.calls_before < before:
            owner.calls_before[name] = pending.calls_before

    def _summary(self, owner: str) -> FunctionSummary:
        summary = self.flow.functions.get(owner)
        if summary is None:
            summary = self.flow.functions[owner] = FunctionSummary(owner)
        return summary

    def _make_read(self, name: str, node: ast.AST) -> Read:
        row, column, end_row, end_column = self.flow.parsed.span(node)
        self.order += 1  # the order of reads and bindings in the cell
        return Read(name, row, column, end_row, end_column, self.order)

    def _bind(self, name: str, *, walrus: bool = False) -> None:
        scope = self.scope
        if walrus:
            while scope.kind == "comprehension" and scope.parent is not None:
                scope = scope.parent
        if scope.kind == "function" and name in scope.declared_global:
            if scope.owner:
                self._summary(scope.owner).binds.add(name)
            return
        if scope.owner and (name in (scope.parameters or ()) or name in scope.declared_nonlocal):
            self._summary(scope.owner).rebound.add(name)
        scope.bound.add(name)
        if scope.kind == "module":
            self.order += 1
            self.flow.binds.setdefault(name, self.order)
            self.flow.final[name] = True
            if self.loop_depth:
                self.loop_binds.add((name, self.loop))

    def _binds_unknown(self, reason: str) -> None:
        flow = self.flow
        if flow.unknown_at is None:
            self.order += 1
            flow.unknown_at = self.order
            flow.unknown_reason = reason

    def _delete(self, name: str) -> None:
        if self.scope.kind == "module":
            if self.top_level:
                self.flow.final[name] = False
        else:
            self._bind(name)

    def _end_scope(self, scope: _Scope) -> None:
        for pending in scope.pending:
            name = pending.name
            if pending.force_global or name in scope.declared_global:
                pending.force_global = True
                self._arrive_at_module(pending, scope.deferred)
                continue
            if name in scope.bound or name in scope.declared_nonlocal:
                continue
            pending.deferred = pending.deferred or scope.deferred
            self._arrive(scope.parent, pending)

    def _arrive_at_module(self, pending: _Pending, deferred: bool) -> None:
        pending.deferred = pending.deferred or deferred
        if pending.deferred:
            self._deferred_read(pending)
        else:
            self._arrive(self.module, pending)

    def visit_Name(self, node: ast.Name) -> None:
        context = type(node.ctx)
        if context is ast.Load:
            self._read(node.id, node)
        elif context is ast.Store:
            self._bind(node.id)
        else:
            self._delete(node.id)

    # statements -------------------------------------------------------------------------------

    def _nested(self, statements: list[ast.stmt]) -> None:
        was = self.top_level
        self.top_level = False
        self._block(statements)
        self.top_level = was

    def _block(self, statements: list[ast.stmt]) -> None:
        """The statements of a nested block, up to the first that leaves it; after an `if`
        whose one branch leaves the block, the rest runs only on the other."""
        guards = self.guards
        for statement in statements:
            self.visit(statement)
            if isinstance(statement, _EXITS):
                break  # nothing after it in the block runs
            if self.scope.parameters is not None and isinstance(statement, ast.If):
                if _known_truth(statement.test) is not None:
                    continue
                condition = self._test(statement.test)
                if _leaves(statement.body) and not _leaves(statement.orelse):
                    self.guards += ((condition, False),)
                elif _leaves(statement.orelse) and not _leaves(statement.body):
                    self.guards += ((condition, True),)
        self.guards = guards

    def visit_Assign(self, node: ast.Assign) -> None:
        if (
            isinstance(node.value, ast.Lambda)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and self.scope is self.module
        ):
            self.lambda_name = node.targets[0].id
        self.visit(node.value)
        self.lambda_name = None
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self.visit(node.value)
            if not (
                self.scope.kind == "function" and node.target.id not in self.scope.declared_global
            ):
                self._read(node.target.id, node.target)
            self._bind(node.target.id)
        else:
            self.visit(node.target)
            self.visit(node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if self.scope.kind != "function" and not self.lazy_annotations:
            self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self.visit(node.target)
        elif isinstance(node.target, ast.Name):
            if self.scope.kind == "function":
                self._bind(node.target.id)
        else:
            self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind(node.target.id, walrus=True)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self.visit(target)

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.declared_global.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.declared_nonlocal.update(node.names)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self._binds_unknown("has a star import")
            else:
                self._bind(alias.asname or alias.name)

    def _enter_loop(self) -> None:
        if not self.loop_depth:
            self.loop += 1
        self.loop_depth += 1

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._consumed(node.iter)
        self.visit(node.iter)
        self._enter_loop()
        self.visit(node.target)
        self._nested(node.body)
        self.loop_depth -= 1
        self._nested(node.orelse)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self._enter_loop()
        self.visit(node.test)
        truth = _known_truth(node.test)
        if truth:
            self._nested(node.body)
        elif truth is None:
            self._guarded(self._nested, node.body, self._test(node.test))
        self.loop_depth -= 1
        self._nested(node.orelse)

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        truth = _known_truth(node.test)
        if truth is not None:  # `if False:` code never runs, nor the `else` of `if 1:`
            self._nested(node.body if truth else node.orelse)
            return
        checked = _names_checked(node.test)
        self.checked_names.extend(checked)
        self._branches(node.test, self._nested, node.body, node.orelse)
        del self.checked_names[len(self.checked_names) - len(checked) :]

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.test)
        checked = _names_checked(node.test)
        self.checked_names.extend(checked)
        self._branches(node.test, self.visit, node.body, node.orelse)
        del self.checked_names[len(self.checked_names) - len(checked) :]

    def _test(self, test: ast.expr) -> tuple:
        """A test of the owner's body as a condition: on its parameters, or UNDECIDED."""
        return _condition(test, self.scope.parameters or frozenset()) or UNDECIDED

    def _guarded(self, visit: Callable, node: Any, condition: tuple = ()) -> None:
        """Visit code that runs only on some paths (under `condition`, when given)."""
        if self.scope.parameters is None:
            visit(node)
            return
        guards = self.guards
        self.guards = (*guards, (condition or UNDECIDED, True))
        visit(node)
        self.guards = guards

    def _branches(self, test: ast.expr, visit: Callable, body: Any, orelse: Any) -> None:
        """Visit both branches of a test, in the owner's body each with its guard."""
        if self.scope.parameters is None:
            visit(body)
            visit(orelse)
            return
        condition = self._test(test)
        guards = self.guards
        self.guards = (*guards, (condition, True))
        visit(body)
        self.guards = (*guards, (condition, False))
        visit(orelse)
        self.guards = guards

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item)
        self._nested(node.body)

    visit_AsyncWith = visit_With

    def visit_Try(self, node: ast.Try | ast.TryStar) -> None:
        guarded = any(_catches_name_error(handler) for handler in node.handlers)
        self.guard_depth += guarded
        self._nested(node.body)
        self.guard_depth -= guarded
        for handler in node.handlers:
            self._guarded(self.visit, handler)
        self._nested(node.orelse)
        self._nested(node.finalbody)

    visit_TryStar = visit_Try

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        self._nested(node.body)

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        for case in node.cases:
            self.visit(case.pattern)
            if case.guard is not None:
                self.visit(case.guard)
            self._guarded(self._nested, case.body)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        for key in node.keys:
            self.visit(key)
        for pattern in node.patterns:
            self.visit(pattern)
        if node.rest:
            self._bind(node.rest)

    # definitions ------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._signature(node.args, annotations=not self.lazy_annotations)
        if node.returns is not None and not self.lazy_annotations:
            self.visit(node.returns)
        self._function(node.name, node.args, node.body, decorated=bool(node.decorator_list))
        self._bind(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._signature(node.args, annotations=False)
        name, self.lambda_name = self.lambda_name, None
        unseen = name is None and id(node) not in self.called_here
        self._function(name, node.args, [node.body], deferred=name is not None, unseen=unseen)

    def _signature(self, arguments: ast.arguments, annotations: bool = True) -> None:
        for default in [*arguments.defaults, *arguments.kw_defaults]:
            if default is not None:
                self.visit(default)
        if annotations:
            for argument in _arguments(arguments):
                if argument.annotation is not None:
                    self.visit(argument.annotation)

    def _function(
        self,
        name: str | None,
        arguments: ast.arguments,
        body: list,
        deferred: bool = True,
        decorated: bool = False,
        unseen: bool = False,
    ) -> None:
        parent = self.scope
        owner = parent.owner
        summary = None
        if parent is self.module and name is not None:
            owner = name
            summary = self._summary(owner)
        elif parent.kind == "class" and parent.owner:
            owner = f"{parent.owner}.{name or '<lambda>'}"
            summary = self._summary(owner)
        scope = _Scope("function", parent, owner, deferred or parent.deferred)
        scope.bound.update(argument.arg for argument in _arguments(arguments))
        guards = self.guards
        if summary is not None:  # its own body: the summary's branches are on its parameters
            scope.parameters = frozenset(scope.bound)
            if not decorated:  # a wrapper would pass the arguments it likes
                summary.signature = _signature(arguments)
            self.guards = ()
        elif parent.parameters is not None:  # runs when called, if ever: a possible read
            self.guards = (*guards, (UNDECIDED, True))
        self.scope = scope
        self._nested_in_function(body)
        self.guards = guards
        self.scope = parent
        if unseen:  # it runs when called, if ever: nbcheck cannot see when
            for pending in scope.pending:
                pending.unseen = True
        self._end_scope(scope)

    def _nested_in_function(self, body: list) -> None:
        was = self.top_level, self.loop_depth, self.loop, self.guard_depth
        self.top_level, self.loop_depth, self.guard_depth = False, 0, 0
        self._block(body)
        self.top_level, self.loop_depth, self.loop, self.guard_depth = was

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        for base in node.bases:
            self.visit(base)
        for keyword in node.keywords:
            self.visit(keyword.value)
        parent = self.scope
        owner = parent.owner
        if parent is self.module:
            owner = node.name
        elif parent.kind == "class":
            owner = f"{parent.owner}.{node.name}"
        if owner is not None:
            self._summary(owner).is_class = True
        scope = _Scope("class", parent, owner, parent.deferred)
        self.scope = scope
        was_top = self.top_level
        self.top_level = False
        for statement in node.body:
            self.visit(statement)
        self.top_level = was_top
        self.scope = parent
        self._bind(node.name)

    # expressions ------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        if self.has_lambdas:
            self._lambdas_called_here(node)
        if isinstance(node.func, ast.Name):
            self._read(node.func.id, node.func, self._call_arguments(node))
            if node.func.id == "exec" and self.scope is self.module:
                self._binds_unknown("calls `exec`")
        else:
            self.visit(node.func)
            if _updates_globals(node.func):
                self._binds_unknown("updates `globals()`")
        for argument in node.args:
            if type(argument) is not ast.Constant:
                self.visit(argument)
        for keyword in node.keywords:
            if type(keyword.value) is not ast.Constant:
                self.visit(keyword.value)

    def _lambdas_called_here(self, node: ast.Call) -> None:
        """The lambdas the call calls before it returns: one called where it is made, the key of
        `sorted`, `min` and `max`, the function of a `map` or `filter` that a builtin, a `join`,
        a loop or a list, set or dict comprehension consumes at once, and those given to
        pandas' `apply`, `agg`, `transform`, `pipe` and sorting methods, and `list.sort`."""
        func = node.func
        if isinstance(func, ast.Lambda):
            self.called_here.add(id(func))
        name = func.id if isinstance(func, ast.Name) else None
        method = func.attr if isinstance(func, ast.Attribute) else None
        if name in _CALL_THEIR_KEY or method in _CALL_THEIR_FUNCTIONS:
            self.called_here.update(id(value) for value in _lambdas(node))
        if name in _CONSUME or method == "join":
            for argument in node.args:
                self._consumed(argument)

    def _consumed(self, iterable: ast.expr) -> None:
        """An iterable consumed where it is made: a lazy `map` or `filter` calls its function."""
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id in ("map", "filter")
        ):
            self.called_here.update(id(value) for value in _lambdas(iterable))

    def _call_arguments(self, node: ast.Call) -> Arguments:
        if not (node.args or node.keywords):
            return NO_ARGUMENTS
        parameters = self.scope.parameters or ()
        positional = []
        for argument in node.args:
            if type(argument) is ast.Starred:
                return _UNKNOWN_ARGUMENTS
            positional.append(_argument_value(argument, parameters))
        keywords = []
        for keyword in node.keywords:
            if keyword.arg is None:
                return _UNKNOWN_ARGUMENTS
            keywords.append((keyword.arg, _argument_value(keyword.value, parameters)))
        return (tuple(positional), tuple(keywords), False)

    # The commonest expressions, visited without walking their fields (operators hold no names).

    def visit_Attribute(self, node: ast.Attribute) -> None:
        value = node.value
        while type(value) is ast.Attribute:  # `np.random.rand`: only its base is visited
            value = value.value
        self.visit(value)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        """Each operand after the first runs only when those before it did not decide."""
        if self.scope.parameters is None:
            for value in node.values:
                self.visit(value)
            return
        guards = self.guards
        needed = isinstance(node.op, ast.And)
        for value in node.values:
            self.visit(value)
            self.guards = (*self.guards, (self._test(value), needed))
        self.guards = guards

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.visit(node.left)
        self.visit(node.right)

    def visit_Compare(self, node: ast.Compare) -> None:
        self.visit(node.left)
        for comparator in node.comparators:
            self.visit(comparator)

    def visit_Expr(self, node: ast.Expr) -> None:
        self.visit(node.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        """`globals()["name"] = ...` binds `name`; with a computed key, any name."""
        if not isinstance(node.ctx, ast.Load) and _is_globals_call(node.value):
            key = node.slice
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and self.scope is self.module
            ):
                self._bind(key.value)
            else:
                self._binds_unknown("updates `globals()`")
        self.generic_visit(node)

    def _comprehension(self, node: ast.AST, generators: list[ast.comprehension], *results) -> None:
        if not isinstance(node, ast.GeneratorExp):
            self._consumed(generators[0].iter)
        self.visit(generators[0].iter)
        parent = self.scope
        scope = _Scope("comprehension", parent, parent.owner, parent.deferred)
        if parent.parameters is not None:
            scope.parameters = frozenset()  # its own names may hide the parameters
        self.scope = scope
        for position, generator in enumerate(generators):
            if position:
                self.visit(generator.iter)
            self.visit(generator.target)
            for condition in generator.ifs:
                self.visit(condition)
        for result in results:
            self.visit(result)
        self.scope = parent
        self._end_scope(scope)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self._comprehension(node, node.generators, node.elt)

    visit_SetComp = visit_GeneratorExp = visit_ListComp  # type: ignore[assignment]

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, node.generators, node.key, node.value)


_METHODS: dict[type, Callable[[_CellVisitor, Any], None]] = {}
_ORDER = operator.attrgetter("order")
# The nodes `_leaf` visits: `generic_visit` does not call `visit` for them at all.
_LEAVES = frozenset({ast.Constant, ast.Load, ast.Store, ast.Del})
# Builtins that call the function they are given (`key=`) before they return.
_CALL_THEIR_KEY = frozenset({"sorted", "min", "max"})
# Builtins that consume the iterable they are given before they return.
_CONSUME = frozenset(
    {"list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all"}
)
# Methods that call the function they are given before they return: pandas' and `list.sort`
# (not `map`: Spark's RDD.map is lazy, as Python's map is).
_CALL_THEIR_FUNCTIONS = frozenset(
    {"apply", "applymap", "agg", "aggregate", "transform", "pipe", "sort", "sort_values",
     "sort_index"}
)  # fmt: skip


def _lambdas(call: ast.Call) -> Iterator[ast.Lambda]:
    for value in [*call.args, *(keyword.value for keyword in call.keywords)]:
        if isinstance(value, ast.Lambda):
            yield value


def _arguments(arguments: ast.arguments) -> Iterator[ast.arg]:
    yield from arguments.posonlyargs
    yield from arguments.args
    if arguments.vararg is not None:
        yield arguments.vararg
    yield from arguments.kwonlyargs
    if arguments.kwarg is not None:
        yield arguments.kwarg


def _catches_name_error(handler: ast.ExceptHandler) -> bool:
    """The handler takes a NameError and does not raise again (`except: cleanup(); raise`)."""
    if any(isinstance(statement, ast.Raise) for statement in handler.body):
        return False
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(kind, ast.Name) and kind.id in NAME_ERROR_HANDLERS for kind in types)


def _known_truth(test: ast.expr) -> bool | None:
    """The value of a test that every run of a cell that parses (Python 3) gives alike: a
    constant, `six.PY2`, or a comparison of `sys.version_info` that every Python 3 decides the
    same way (`sys.version_info < (3, 0)`, `sys.version_info[0] == 2`); None when it varies."""
    if isinstance(test, ast.Constant):
        return bool(test.value)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        truth = _known_truth(test.operand)
        return None if truth is None else not truth
    if isinstance(test, ast.Attribute) and test.attr in ("PY2", "PY3"):
        return test.attr == "PY3" if _is_name(test.value, "six") else None
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    versions = _python_3_versions(test.left)
    compare = _COMPARISONS.get(type(test.ops[0]))
    if versions is None or compare is None:
        return None
    try:
        other = ast.literal_eval(test.comparators[0])
        results = {compare(version, other) for version in versions}
    except (ValueError, TypeError, SyntaxError, RecursionError):
        return None
    return results.pop() if len(results) == 1 else None


def _python_3_versions(node: ast.expr) -> tuple[object, ...] | None:
    """The first and the last Python 3 as `node` reads them (`sys.version_info`, its `[0]` or
    `.major`), or None when `node` is something else."""
    if _is_sys_version(node):
        return (3, 0, 0), (3, 99, 99)
    if (isinstance(node, ast.Attribute) and node.attr == "major") or (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and node.slice.value == 0
    ):
        return (3,) if _is_sys_version(node.value) else None
    return None


def _is_sys_version(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "version_info"
        and _is_name(node.value, "sys")
    )


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


_COMPARISONS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}  # fmt: skip


def _names_checked(test: ast.expr) -> list[str]:
    """`"df" in globals()`, `'df' not in dir()`, ...: the names whose existence a test checks,
    alone or combined with `and`, `or` and `not` (a check nested in a call checks nothing)."""
    if isinstance(test, ast.BoolOp):
        return [name for value in test.values for name in _names_checked(value)]
    if isinstance(test, ast.UnaryOp):
        return _names_checked(test.operand)
    if (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Constant)
        and isinstance(test.left.value, str)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.In | ast.NotIn)
        and isinstance(test.comparators[0], ast.Call)
        and isinstance(test.comparators[0].func, ast.Name)
        and test.comparators[0].func.id in ("globals", "locals", "dir", "vars")
    ):
        return [test.left.value]
    return []


def _is_globals_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("globals", "locals", "vars")
    )


def _updates_globals(func: ast.AST) -> bool:
    """`globals().update(...)`, `globals().setdefault(...)`, `vars().__setitem__(...)`."""
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("update", "setdefault", "__setitem__")
        and _is_globals_call(func.value)
    )


# A test nbcheck cannot decide: the code under it may run or not.
UNDECIDED = ("unknown",)
# Statements after which nothing more of their block runs.
_EXITS = (ast.Return, ast.Raise, ast.Break, ast.Continue)
_NOTHING: frozenset[str] = frozenset()
_UNKNOWN = object()


def _leaves(statements: list[ast.stmt]) -> bool:
    """The block ends by leaving its enclosing block (`return`, `raise`, `break`, `continue`)."""
    return bool(statements) and isinstance(statements[-1], _EXITS)


_UNKNOWN_ARGUMENTS: Arguments = ((), (), True)  # `f(*args)`, `f(**options)`


def _argument_value(node: ast.expr, parameters: Collection[str]) -> Value:
    """A literal's value, or the caller's parameter the argument passes on; None otherwise."""
    if type(node) is ast.Name:
        return ("p", node.id) if node.id in parameters else None
    literal = _literal(node)
    return None if literal is _UNKNOWN else ("c", literal)


def _literal(node: ast.expr) -> object:
    """The value of a literal (`True`, `None`, `"he"`, `-1`), or _UNKNOWN."""
    if isinstance(node, ast.Constant):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float | complex)
    ):
        return -node.operand.value
    return _UNKNOWN


def _signature(arguments: ast.arguments) -> Signature:
    positional = [argument.arg for argument in (*arguments.posonlyargs, *arguments.args)]
    defaults = {}
    for name, default in zip(
        positional[len(positional) - len(arguments.defaults) :], arguments.defaults, strict=True
    ):
        value = _literal(default)
        if value is not _UNKNOWN:
            defaults[name] = value
    for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        value = _UNKNOWN if default is None else _literal(default)
        if value is not _UNKNOWN:
            defaults[argument.arg] = value
    keywords = frozenset(positional[len(arguments.posonlyargs) :]) | {
        argument.arg for argument in arguments.kwonlyargs
    }
    return Signature(tuple(positional), keywords, defaults)


def _condition(test: ast.expr, parameters: frozenset[str]) -> tuple | None:
    """A test on `parameters` that a call's literal arguments may decide, as a tuple that
    _evaluate reads; None when no parameter's value could decide it."""
    if isinstance(test, ast.Name):
        return ("truth", test.id) if test.id in parameters else None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        operand = _condition(test.operand, parameters)
        return None if operand is None else ("not", operand)
    if isinstance(test, ast.BoolOp):
        parts = tuple(_condition(value, parameters) or UNDECIDED for value in test.values)
        if all(part == UNDECIDED for part in parts):
            return None
        return ("and" if isinstance(test.op, ast.And) else "or", parts)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return None
    left, right, op = test.left, test.comparators[0], type(test.ops[0])
    if not (isinstance(left, ast.Name) and left.id in parameters):
        if op in (ast.In, ast.NotIn):
            return None
        left, right = right, left  # `"he" == mode`
        if not (isinstance(left, ast.Name) and left.id in parameters):
            return None
    if op in (ast.In, ast.NotIn):
        if not isinstance(right, ast.Tuple | ast.List | ast.Set):
            return None
        values = tuple(_literal(element) for element in right.elts)
        if _UNKNOWN in values:
            return None
        found = ("in", left.id, values)
        return found if op is ast.In else ("not", found)
    value = _literal(right)
    if value is _UNKNOWN:
        return None
    if op in (ast.Is, ast.IsNot) and value in (None, True, False) and type(value) is not int:
        found = ("is", left.id, value)
        return found if op is ast.Is else ("not", found)
    if op in (ast.Eq, ast.NotEq):
        found = ("eq", left.id, value)
        return found if op is ast.Eq else ("not", found)
    return None


def _evaluate(condition: tuple, values: dict[str, object]) -> bool | None:
    """The outcome of a condition under the parameters' known values; None when unknown."""
    kind = condition[0]
    if kind == "not":
        outcome = _evaluate(condition[1], values)
        return None if outcome is None else not outcome
    if kind in ("and", "or"):
        outcomes = [_evaluate(part, values) for part in condition[1]]
        deciding = kind == "or"  # the outcome that decides the whole: True for `or`
        if deciding in outcomes:
            return deciding
        return None if None in outcomes else not deciding
    if kind == "unknown" or condition[1] not in values:
        return None
    value = values[condition[1]]
    try:
        if kind == "truth":
            return bool(value)
        if kind == "is":
            return value is condition[2]
        if kind == "eq":
            return bool(value == condition[2])
        return value in condition[2]
    except Exception:  # a literal whose comparison raises decides nothing
        return None


RULED_OUT, POSSIBLE, CERTAIN = 0, 1, 2


def _reached(guards: Guards, values: dict[str, object]) -> int:
    """Whether a place under `guards` runs, the parameters having `values`: RULED_OUT (a test
    is decided against it), CERTAIN (every test is decided for it) or POSSIBLE."""
    reached = CERTAIN
    for condition, needed in guards:
        outcome = _evaluate(condition, values)
        if outcome is None:
            reached = POSSIBLE
        elif outcome is not needed:
            return RULED_OUT
    return reached


def _parameter_values(
    summary: FunctionSummary, arguments: Arguments, caller: dict[str, object]
) -> dict[str, object]:
    """The parameters of `summary` whose value at a call with `arguments` is known: a literal
    argument, a parameter of the caller whose value is known, or a literal default."""
    signature = summary.signature
    positional, keywords, starred = arguments
    if signature is None or starred or len(positional) > len(signature.positional):
        return {}
    values: dict[str, object] = {}
    passed = set(signature.positional[: len(positional)])
    for name, value in zip(signature.positional, positional, strict=False):
        _assign(values, name, value, caller)
    for name, value in keywords:
        if name not in signature.names or name in passed:
            return {}  # a TypeError: nothing to decide
        passed.add(name)
        _assign(values, name, value, caller)
    for name, default in signature.defaults.items():
        if name not in passed:
            values[name] = default
    for name in summary.rebound:
        values.pop(name, None)
    return values


def _assign(values: dict[str, object], name: str, value: Value, caller: dict[str, object]) -> None:
    if value is None:
        return
    kind, content = value
    if kind == "c":
        values[name] = content
    elif content in caller:
        values[name] = caller[content]  # type: ignore[index]


# --- the notebook ----------------------------------------------------------------------------


class CellNames(Record):
    """A cell's effect on the namespace, with the globals of the functions it calls counted."""

    flow: CellFlow
    reads: tuple[Read, ...]
    """First read of each name, direct or through a call, in evaluation order."""

    binds: dict[str, str | None]
    """Each name the cell binds, with the function whose call binds it first (`global` in its
    body), or None when the cell's own code binds it first."""

    deleted: frozenset[str]
    """Names a top-level `del` leaves unbound at the end of the cell."""

    cell: Cell
    """The flow's cell, and whether it binds unknown names, kept here: the rules ask often."""
    binds_unknown: bool


class Provenance(Record):
    """Where a read gets its value when the notebook runs top to bottom."""

    cell: CellNames
    read: Read
    source: CellNames | None
    """The last cell above that bound the name."""

    deleted_by: CellNames | None
    """The cell whose `del` unbound the name after `source` bound it."""


class Dataflow:
    """Every code cell's reads and bindings, functions resolved top to bottom."""

    def __init__(self, parsed: tuple[ParsedCell, ...], predefined: Predefined = NONE) -> None:
        self.binders: dict[str, list[CellNames]] = {}
        with collector.paused():
            self.cells = tuple(self._resolve(_cell_flows(parsed)))
            for names in self.cells:
                for name in names.binds:
                    self.binders.setdefault(name, []).append(names)
        self.opaque = tuple(names for names in self.cells if names.binds_unknown)
        """Cells that may bind names nobody can see, in order."""
        self.binds_unknown = bool(self.opaque)
        self._bound_by_functions = {
            name
            for names in self.cells
            for summary in names.flow.functions.values()
            for name in summary.binds
        }
        self.predefined = predefined.always
        """Names the kernel defines beyond Python's and IPython's own."""
        self.pyspark_shell = frozenset(
            name for name in predefined.pyspark_shell if not self.bound_anywhere(name)
        )
        """Names no cell binds that the pyspark shell defines, read by a notebook that imports
        pyspark: it ran in a kernel pyspark started."""
        self._top_to_bottom: tuple[Provenance, ...] | None = None

    def bound_anywhere(self, name: str) -> bool:
        """Some cell, or some function's `global` statement, binds `name`, or it always exists."""
        return (
            name in self.binders
            or name in self._bound_by_functions
            or name in self.predefined
            or always_defined(name)
        )

    @staticmethod
    def _resolve(flows: Iterator[CellFlow]) -> Iterator[CellNames]:
        table: dict[str, FunctionSummary] = {}
        closures: dict[tuple, Any] = {}
        for flow in flows:
            reads = dict(flow.reads)
            # The first place the cell binds each name: itself, or in a function it calls.
            bound_at = dict(flow.binds)
            binds: dict[str, str | None] = dict.fromkeys(flow.binds)
            if flow.functions:
                closures.clear()  # the cell's own definitions change what calls resolve to
            for call in flow.calls.values():  # in the order of the calls
                order = call.read.order
                if flow.binds.get(call.name, order) < order:
                    summary = flow.functions.get(call.name)
                else:
                    summary = table.get(call.name)
                if summary is None:
                    continue
                closure_reads, closure_binds = _closure(
                    summary, call.arguments, flow, table, closures
                )
                for name, reached in closure_reads.items():
                    if bound_at.get(name, order) < order:
                        continue
                    known = reads.get(name)
                    if known is None or known.order > order:
                        read = call.read
                        reads[name] = Read(
                            name,
                            read.row,
                            read.column,
                            read.end_row,
                            read.end_column,
                            order,
                            call.name,
                            reached != CERTAIN,
                        )
                for name in closure_binds:
                    if bound_at.get(name, order) >= order:
                        bound_at[name] = order
                        binds[name] = call.name
                        known = reads.get(name)
                        if known is not None and known.order > order:
                            del reads[name]  # read after the call bound it
            for name in flow.binds:
                if name not in flow.functions and table.pop(name, None) is not None:
                    closures.clear()
            if flow.functions:
                closures.clear()
                table.update(
                    (name, summary) for name, summary in flow.functions.items() if "." not in name
                )
            yield CellNames(
                flow,
                tuple(sorted(reads.values(), key=_ORDER)),
                binds,
                frozenset(name for name, bound in flow.final.items() if not bound),
                flow.cell,
                flow.binds_unknown,
            )

    def opaque_after(self, names: CellNames, read: Read) -> list[CellNames]:
        """The cells that may bind any name after `read` runs: `names` itself, when its unknown
        binding comes later in the cell, and the cells below that may."""
        later = [other for other in self.opaque if other.cell.index > names.cell.index]
        unknown_at = names.flow.unknown_at
        return [names, *later] if unknown_at is not None and unknown_at > read.order else later

    def top_to_bottom(self) -> tuple[Provenance, ...]:
        """Each read that is not always defined, with the cell it gets its value from run top to
        bottom. Reads that an unknown binding above (a star import, `%run`), or earlier in the
        same cell, may serve are left out; an unknown binding below cannot serve a read above it.
        Made once: NBD201, NBD202 and the history (NBD203) each read all of it."""
        if self._top_to_bottom is None:
            self._top_to_bottom = self._provenances()
        return self._top_to_bottom

    def _provenances(self) -> tuple[Provenance, ...]:
        found = []
        source: dict[str, CellNames] = {}
        deleted: dict[str, CellNames] = {}
        unknown_above = False
        predefined = self.predefined
        for names in self.cells:
            unknown_at = names.flow.unknown_at
            for read in names.reads:
                name = read.name
                if name in predefined or always_defined(name):
                    continue
                origin = source.get(name)
                if origin is None and (
                    unknown_above or (unknown_at is not None and unknown_at < read.order)
                ):
                    continue
                found.append(
                    Provenance(names, read, origin, deleted.get(name) if deleted else None)
                )
            for name in names.binds:
                source[name] = names
                deleted.pop(name, None)
            for name in names.deleted:
                source.pop(name, None)
                deleted[name] = names
            unknown_above = unknown_above or names.binds_unknown
        return tuple(found)


def _cell_flows(parsed: tuple[ParsedCell, ...]) -> Iterator[CellFlow]:
    lazy_annotations = False
    for cell in parsed:
        yield cell_flow(cell, lazy_annotations)
        lazy_annotations = lazy_annotations or _imports_lazy_annotations(cell)


def _binds_through(
    name: str, flow: CellFlow, table: dict[str, FunctionSummary], memo: dict[tuple, Any]
) -> set[str]:
    """The globals a call of the function `name` may bind (`global`), through its calls."""
    summary = flow.functions.get(name) or table.get(name)
    if summary is None:
        return set()
    key = ("binds", id(summary))
    found = memo.get(key)
    if found is None:
        found = set()
        stack = [summary]
        seen = {id(summary)}
        while stack:
            current = stack.pop()
            found |= current.binds
            for callee_name in current.calls:
                callee = flow.functions.get(callee_name) or table.get(callee_name)
                if callee is not None and id(callee) not in seen:
                    seen.add(id(callee))
                    stack.append(callee)
        memo[key] = found
    return found


def _closure(
    summary: FunctionSummary,
    arguments: Arguments,
    flow: CellFlow,
    table: dict[str, FunctionSummary],
    memo: dict[tuple, Any],
) -> tuple[dict[str, int], set[str]]:
    """The globals a call of `summary` with `arguments` reads (each POSSIBLE or CERTAIN) and
    binds, through the functions it calls: the branches that the parameters' known values rule
    out are left out."""
    values = _parameter_values(summary, arguments, {})
    key = (id(summary), frozenset(values.items()), CERTAIN, _NOTHING)
    cached = memo.get(key)
    if cached is not None:
        return cached
    reads: dict[str, int] = {}
    binds: set[str] = set()
    stack = [(summary, values, CERTAIN, _NOTHING)]
    seen = {key}
    while stack:
        current, known, path, bound = stack.pop()  # bound: by the callers, before this call
        for name in current.reads:
            if name in current.binds or name in bound:
                continue
            before = current.calls_before.get(name)
            if before and any(
                name in _binds_through(callee, flow, table, memo)
                for callee in current.call_order[:before]
            ):
                continue  # a function it called first bound it
            guards = current.guarded.get(name)
            reached = CERTAIN if guards is None else max(_reached(g, known) for g in guards)
            reached = min(reached, path)
            if reached > reads.get(name, RULED_OUT):
                reads[name] = reached
        binds |= current.binds
        for name, places in current.calls.items():
            callee = flow.functions.get(name) or table.get(name)
            if callee is None:
                continue
            for guards, passed, bound_before in places:
                reached = min(_reached(guards, known), path)
                if reached == RULED_OUT:
                    continue
                callee_values = _parameter_values(callee, passed, known)
                callee_bound = bound | bound_before if bound_before else bound
                callee_key = (id(callee), frozenset(callee_values.items()), reached, callee_bound)
                if callee_key not in seen:
                    seen.add(callee_key)
                    stack.append((callee, callee_values, reached, callee_bound))
    memo[key] = (reads, binds)
    return reads, binds

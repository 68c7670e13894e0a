"""Calls and imports of a notebook, top to bottom, with names resolved through the imports above.

`import numpy as np` makes `np.random.rand()` a call of `numpy.random.rand`; `from sklearn.ensemble
import RandomForestClassifier as RF` makes `RF()` a call of `sklearn.ensemble.RandomForestClassifier`.
Cells are read top to bottom, statements in source order, so a name means what the last import of it
above made it mean. Calls inside a function or lambda body are marked `deferred`: they run when the
function is called, not where it is written.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from ..records import Record
from .source import ParsedCell

TYPE_CHECKING_FLAGS = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING"})
# Exceptions whose handler makes an import optional: `try: import ujson except ImportError: ...`.
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


class CallSite(Record):
    parsed: ParsedCell
    node: ast.Call
    dotted: str | None
    """The callee as written, when it is a dotted name: `np.random.rand`, `set_seed`, `g.manual_seed`."""
    qualified: str | None
    """The callee resolved through imports: `numpy.random.rand`; None when it is not imported."""
    deferred: bool
    function: str | None
    """The name of the function whose body holds the call, if any."""
    assigned_to: str | None
    """`g` in `g = torch.Generator()`: the dotted target the call's value is assigned to."""
    chained_method: str | None
    """`manual_seed` in `torch.Generator().manual_seed(0)`: the method called on the result."""


class ImportSite(Record):
    parsed: ParsedCell
    node: ast.Import | ast.ImportFrom
    module: str
    """The dotted name imported: `google.cloud.bigquery` for `from google.cloud import bigquery`
    (a module, or a name in one)."""
    optional: bool
    """Inside a `try` whose handler catches ImportError (the notebook runs without it), or under
    `if TYPE_CHECKING:` (it never runs)."""

    @property
    def top_level(self) -> str:
        return self.module.split(".")[0]


class Calls(Record):
    calls: tuple[CallSite, ...]
    imports: tuple[ImportSite, ...]
    functions: frozenset[str]
    """Names of the functions the notebook defines (at any depth)."""

    @classmethod
    def of(cls, parsed_cells: Sequence[ParsedCell]) -> Calls:
        collector = _Collector()
        for parsed in parsed_cells:
            if parsed.tree is not None:
                try:
                    collector.cell(parsed)
                except RecursionError:
                    continue  # an absurdly nested expression: the cells around it still count
        return cls(tuple(collector.calls), tuple(collector.imports), frozenset(collector.functions))


def dotted_name(node: ast.AST) -> str | None:
    """`a.b.c` for a chain of attributes on a name; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Collector:
    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}
        self.calls: list[CallSite] = []
        self.imports: list[ImportSite] = []
        self.functions: set[str] = set()
        self.parsed: ParsedCell
        self.function: str | None = None
        self.optional_depth = 0

    def cell(self, parsed: ParsedCell) -> None:
        self.parsed = parsed
        self.visit_all(parsed.tree.body if parsed.tree else [])

    def visit_all(self, nodes: list) -> None:
        for node in nodes:
            self.visit(node)

    def visit(self, node: ast.AST, assigned_to: str | None = None, chained: str | None = None):
        kind = type(node)
        if kind in _LEAVES:
            return
        special = _SPECIAL.get(kind)
        if special is not None:
            special(self, node, assigned_to, chained)
            return
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def visit_if(self, node: ast.If, *_: object) -> None:
        typing_only = dotted_name(node.test) in TYPE_CHECKING_FLAGS
        if not typing_only:
            self.visit(node.test)
        self.optional_depth += typing_only  # imports for type checkers only never run
        self.visit_all(node.body)
        self.optional_depth -= typing_only
        self.visit_all(node.orelse)

    def visit_assign(self, node: ast.Assign | ast.AnnAssign, *_: object) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        target = dotted_name(targets[0]) if len(targets) == 1 else None
        for each in targets:
            if isinstance(each, ast.Name):
                self.aliases.pop(each.id, None)  # rebinding an imported name
            self.visit(each)
        if node.value is not None:
            self.visit(node.value, assigned_to=target)
        if isinstance(node, ast.AnnAssign):
            self.visit(node.annotation)

    def visit_call(self, node: ast.Call, assigned_to: str | None, chained: str | None) -> None:
        dotted = dotted_name(node.func)
        self.calls.append(
            CallSite(
                self.parsed,
                node,
                dotted,
                self.resolve(dotted),
                self.function is not None,
                self.function,
                assigned_to,
                chained,
            )
        )
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            self.visit(func.value, chained=func.attr)
        else:
            self.visit(func)
        for argument in [*node.args, *node.keywords]:
            self.visit(argument)

    def visit_function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, *_: object
    ) -> None:
        arguments = node.args
        for default in [*arguments.defaults, *arguments.kw_defaults]:
            if default is not None:
                self.visit(default)
        if not isinstance(node, ast.Lambda):
            self.functions.add(node.name)
            self.visit_all(node.decorator_list)
        outer = self.function
        self.function = getattr(node, "name", outer or "<lambda>")
        if isinstance(node, ast.Lambda):
            self.visit(node.body)
        else:
            self.visit_all(node.body)
        self.function = outer

    def visit_try(self, node: ast.Try | ast.TryStar, *_: object) -> None:
        optional = any(_catches_import_error(handler) for handler in node.handlers)
        self.optional_depth += optional
        self.visit_all(node.body)
        self.optional_depth -= optional
        for part in (node.handlers, node.orelse, node.finalbody):
            self.visit_all(part)

    def bind_import(self, node: ast.Import | ast.ImportFrom, *_: object) -> None:
        optional = self.optional_depth > 0
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.imports.append(ImportSite(self.parsed, node, alias.name, optional))
                if alias.asname:
                    self.aliases[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.aliases[top] = top
            return
        if node.level or not node.module:
            return  # relative imports are the project's own modules
        for alias in node.names:
            if alias.name == "*":
                self.imports.append(ImportSite(self.parsed, node, node.module, optional))
                continue
            name = f"{node.module}.{alias.name}"
            self.imports.append(ImportSite(self.parsed, node, name, optional))
            self.aliases[alias.asname or alias.name] = name

    def visit_value(self, node: ast.Attribute | ast.Expr, *_: object) -> None:
        self.visit(node.value)

    def visit_operands(self, node: ast.BinOp | ast.Compare, *_: object) -> None:
        self.visit(node.left)
        for operand in (node.right,) if isinstance(node, ast.BinOp) else node.comparators:
            self.visit(operand)

    def resolve(self, dotted: str | None) -> str | None:
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            return None
        return f"{target}.{rest}" if rest else target


# Nodes that hold no call and no import: the walk stops there.
_LEAVES = frozenset(
    {ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal}
    | {ast.alias, ast.expr_context, *ast.expr_context.__subclasses__()}
    | {*ast.operator.__subclasses__(), *ast.unaryop.__subclasses__()}
    | {*ast.cmpop.__subclasses__(), *ast.boolop.__subclasses__()}
)
_SPECIAL = {
    ast.Import: _Collector.bind_import,
    ast.ImportFrom: _Collector.bind_import,
    ast.FunctionDef: _Collector.visit_function,
    ast.AsyncFunctionDef: _Collector.visit_function,
    ast.Lambda: _Collector.visit_function,
    ast.Try: _Collector.visit_try,
    ast.TryStar: _Collector.visit_try,
    ast.If: _Collector.visit_if,
    ast.Call: _Collector.visit_call,
    ast.Assign: _Collector.visit_assign,
    ast.AnnAssign: _Collector.visit_assign,
    # The commonest expressions, visited without walking their fields.
    ast.Attribute: _Collector.visit_value,
    ast.Expr: _Collector.visit_value,
    ast.BinOp: _Collector.visit_operands,
    ast.Compare: _Collector.visit_operands,
}


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(dotted_name(kind) in IMPORT_ERRORS for kind in kinds)

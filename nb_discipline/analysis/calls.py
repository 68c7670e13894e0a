"""Calls and imports of a notebook, top to bottom, with names resolved through the imports above.

`import numpy as np` makes `np.random.rand()` a call of `numpy.random.rand`; `from sklearn.ensemble
import RandomForestClassifier as RF` makes `RF()` a call of `sklearn.ensemble.RandomForestClassifier`.
Cells are read top to bottom, statements in source order, so a name means what the last import of it
above made it mean. Calls inside a function or lambda body are marked `deferred`: they run when the
function is called, not where it is written. A branch of a cell's top-level `if`/`elif` chain that
the cell's own constants rule out never runs, and its calls are left out: `data = 0` above
`if data == 0: ... elif data == 1: ...` runs the first branch only (a name bound once more, or
anywhere but in a plain `name = literal` statement of the cell's top level, is no constant).
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
    receiver: str | None
    """For a method call whose callee does not resolve, the resolved callee that made the object
    it is called on: `pandas.read_csv` for `df.sample(5)` below `df = pd.read_csv(path)` (or
    `df = df.dropna()`, `df = df[mask]` after it), and for `pd.read_csv(path).sample(5)`; None
    when unknown, and when `qualified` is known."""


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
    kind = type(node)
    if kind is ast.Name:
        return node.id  # type: ignore[attr-defined]
    parts = []
    while kind is ast.Attribute:
        parts.append(node.attr)  # type: ignore[attr-defined]
        node = node.value  # type: ignore[attr-defined]
        kind = type(node)
    if kind is not ast.Name:
        return None
    parts.append(node.id)  # type: ignore[attr-defined]
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
        # What made each name's value: the resolved callee, for names last assigned a call's
        # result (or a method call's or subscript's result on such a value).
        self.values: dict[str, str] = {}

    def cell(self, parsed: ParsedCell) -> None:
        self.parsed = parsed
        body = parsed.tree.body if parsed.tree else []
        # The literal values the cell's top-level statements above have bound, noted only when
        # an `if` asks for them (most cells have none at their top level).
        constants: dict[str, object] = {}
        noted = 0
        for index, statement in enumerate(body):
            if type(statement) is ast.If:
                for above in body[noted:index]:
                    _note_constants(above, constants)
                noted = index
                self.visit_decided_if(statement, constants)
            else:
                self.visit(statement)

    def visit_decided_if(self, node: ast.If, constants: dict[str, object]) -> None:
        """A top-level `if`/`elif` chain: only the branches the cell's constants leave open."""
        truth = _decided(node.test, constants)
        if truth is None:
            self.visit(node)
            return
        self.visit(node.test)
        if truth:
            self.visit_all(node.body)
        elif len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            self.visit_decided_if(node.orelse[0], constants)
        else:
            self.visit_all(node.orelse)

    def visit_all(self, nodes: list) -> None:
        for node in nodes:
            if type(node) not in _LEAVES:  # a name, a constant: nothing to visit, not even a call
                self.visit(node)

    def visit(self, node: ast.AST, assigned_to: str | None = None, chained: str | None = None):
        kind = type(node)
        if kind in _LEAVES:
            return
        special = _SPECIAL.get(kind)
        if special is not None:
            special(self, node, assigned_to, chained)
            return
        self.visit_fields(node)

    def visit_fields(self, node: ast.AST) -> None:
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST) and type(item) not in _LEAVES:
                        self.visit(item)
            elif isinstance(value, ast.AST) and type(value) not in _LEAVES:
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
        value = node.value
        plain = target is not None and "." not in target and value is not None
        module, made_by = self.made_by(value) if plain else (None, None)
        for each in targets:
            if type(each) is ast.Name:
                self.aliases.pop(each.id, None)  # rebinding an imported name
                self.values.pop(each.id, None)
            else:
                self.forget(each)
                self.visit(each)
        if value is not None:
            self.visit(value, assigned_to=target)
        if module is not None and self.function is None:
            self.aliases[target] = module  # `tfd = tfp.distributions` names a module
        elif made_by is not None:
            self.values[target] = made_by
        if isinstance(node, ast.AnnAssign):
            self.visit(node.annotation)

    def made_by(self, value: ast.expr) -> tuple[str | None, str | None]:
        """What an assigned value is: an imported name (`tfp.distributions`), or the result of
        a resolved call, or of a method call or subscript on such a result (`pd.read_csv(p)`,
        `df.dropna()`, `df[mask]`)."""
        kind = type(value)
        if kind is ast.Attribute or kind is ast.Name:
            return self.resolve(dotted_name(value)), None
        if kind is ast.Call:
            func = value.func  # type: ignore[attr-defined]
            return None, self.resolve(dotted_name(func)) or self.receiver(func)
        if kind is ast.Subscript:
            return None, self.receiver(value)
        return None, None

    def forget(self, target: ast.AST) -> None:
        """A name bound anew no longer holds the value recorded for it (every name in the
        target: `df` in `df["x"] = ...` too). The commonest targets are taken apart without a walk."""
        kind = type(target)
        if kind is ast.Name:
            self.values.pop(target.id, None)  # type: ignore[attr-defined]
            return
        if kind is ast.Constant:
            return
        if kind is ast.Tuple or kind is ast.List:
            for element in target.elts:  # type: ignore[attr-defined]
                self.forget(element)
            return
        if kind is ast.Subscript or kind is ast.Attribute:
            self.forget(target.value)  # type: ignore[attr-defined]
            if kind is ast.Subscript:
                self.forget(target.slice)  # type: ignore[attr-defined]
            return
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.values.pop(node.id, None)

    def receiver(self, node: ast.expr) -> str | None:
        """What made the object of `obj.method`, `obj[key]`, `obj.attr[key].method`."""
        kind = type(node)
        if kind is not ast.Attribute and kind is not ast.Subscript:
            return None
        base = node.value  # type: ignore[attr-defined]
        kind = type(base)
        while kind is ast.Attribute or kind is ast.Subscript:
            base = base.value  # type: ignore[attr-defined]
            kind = type(base)
        if kind is ast.Name:
            return self.values.get(base.id)  # type: ignore[attr-defined]
        if kind is ast.Call:
            return self.resolve(dotted_name(base.func)) or self.receiver(base.func)
        return None

    def visit_rebinding(self, node: ast.AST, *_: object) -> None:
        """Loops, `with ... as`, augmented assignments, `:=`, `del`, comprehensions: the names
        they bind are forgotten before their fields are visited."""
        kind = type(node)
        if kind in (ast.With, ast.AsyncWith):
            targets = [item.optional_vars for item in node.items if item.optional_vars]
        elif kind is ast.Delete:
            targets = node.targets
        elif kind in (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp):
            targets = [generator.target for generator in node.generators]
        else:
            targets = [node.target]
        for target in targets:
            self.forget(target)
        self.visit_fields(node)

    def visit_call(self, node: ast.Call, assigned_to: str | None, chained: str | None) -> None:
        dotted = dotted_name(node.func)
        qualified = self.resolve(dotted)
        self.calls.append(
            CallSite(
                self.parsed,
                node,
                dotted,
                qualified,
                self.function is not None,
                self.function,
                assigned_to,
                chained,
                self.receiver(node.func)
                if qualified is None and type(node.func) is ast.Attribute
                else None,
            )
        )
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            self.visit(func.value, chained=func.attr)
        else:
            self.visit(func)
        self.visit_all(node.args)
        for keyword in node.keywords:
            if type(keyword.value) not in _LEAVES:
                self.visit(keyword.value)

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
        outer, outer_values = self.function, self.values
        self.function = getattr(node, "name", outer or "<lambda>")
        self.values = {name: made_by for name, made_by in outer_values.items()}
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            self.values.pop(argument.arg, None)
        for argument in (arguments.vararg, arguments.kwarg):
            if argument is not None:
                self.values.pop(argument.arg, None)
        if isinstance(node, ast.Lambda):
            self.visit(node.body)
        else:
            self.visit_all(node.body)
        self.function, self.values = outer, outer_values
        if not isinstance(node, ast.Lambda):
            self.values.pop(node.name, None)

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
                self.values.pop(alias.asname or alias.name.split(".")[0], None)
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
            self.values.pop(alias.asname or alias.name, None)

    def visit_value(self, node: ast.Attribute | ast.Expr | ast.keyword, *_: object) -> None:
        if type(node.value) not in _LEAVES:
            self.visit(node.value)

    def visit_subscript(self, node: ast.Subscript, *_: object) -> None:
        self.visit_value(node)
        if type(node.slice) not in _LEAVES:
            self.visit(node.slice)

    def visit_elements(self, node: ast.Tuple | ast.List, *_: object) -> None:
        self.visit_all(node.elts)

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
    ast.For: _Collector.visit_rebinding,
    ast.AsyncFor: _Collector.visit_rebinding,
    ast.With: _Collector.visit_rebinding,
    ast.AsyncWith: _Collector.visit_rebinding,
    ast.AugAssign: _Collector.visit_rebinding,
    ast.NamedExpr: _Collector.visit_rebinding,
    ast.Delete: _Collector.visit_rebinding,
    ast.ListComp: _Collector.visit_rebinding,
    ast.SetComp: _Collector.visit_rebinding,
    ast.DictComp: _Collector.visit_rebinding,
    ast.GeneratorExp: _Collector.visit_rebinding,
    # The commonest expressions, visited without walking their fields.
    ast.Attribute: _Collector.visit_value,
    ast.Expr: _Collector.visit_value,
    ast.keyword: _Collector.visit_value,
    ast.Subscript: _Collector.visit_subscript,
    ast.Tuple: _Collector.visit_elements,
    ast.List: _Collector.visit_elements,
    ast.BinOp: _Collector.visit_operands,
    ast.Compare: _Collector.visit_operands,
}


_DECIDABLE = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Is: lambda a, b: a is b,
    ast.IsNot: lambda a, b: a is not b,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _note_constants(statement: ast.stmt, constants: dict[str, object]) -> None:
    """After a top-level statement: `name = literal` makes a constant; any other binding of a
    name (at any depth, `global` functions aside) ends it."""
    if constants:
        # An assignment binds its targets (a walrus in its value aside: rare at top level).
        bound = statement.targets if isinstance(statement, ast.Assign) else [statement]
        for part in bound:
            for node in ast.walk(part):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    constants.pop(node.id, None)
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
        and isinstance(statement.value, ast.Constant)
    ):
        constants[statement.targets[0].id] = statement.value.value


def _decided(test: ast.expr, constants: dict[str, object]) -> bool | None:
    """The truth of an `if` test from literals and the cell's constants; None when unknown."""
    if isinstance(test, ast.BoolOp):
        values = [_decided(value, constants) for value in test.values]
        if isinstance(test.op, ast.And):
            return False if False in values else (None if None in values else True)
        return True if True in values else (None if None in values else False)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        truth = _decided(test.operand, constants)
        return None if truth is None else not truth
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        compare = _DECIDABLE.get(type(test.ops[0]))
        left = _value(test.left, constants)
        right = _value(test.comparators[0], constants)
        if compare is None or left is _UNKNOWN or right is _UNKNOWN:
            return None
        try:
            return bool(compare(left, right))
        except TypeError:
            return None
    value = _value(test, constants)
    return None if value is _UNKNOWN else bool(value)


_UNKNOWN = object()


def _value(node: ast.expr, constants: dict[str, object]) -> object:
    if isinstance(node, ast.Name):
        return constants.get(node.id, _UNKNOWN)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            return _UNKNOWN
    return _UNKNOWN


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(dotted_name(kind) in IMPORT_ERRORS for kind in kinds)

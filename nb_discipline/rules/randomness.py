"""NBD3xx: randomness that nobody seeded, so results change from run to run."""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Iterator
from functools import cache, cached_property

from ..model import UNSAFE, Edit, Fix, Location
from ..records import TYPE_CHECKING
from .base import Finding

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from ..analysis import Analysis
    from ..analysis.calls import CallSite, ImportSite
    from ..analysis.source import ParsedCell

ALL_LIBRARIES = frozenset({"random", "numpy", "torch", "tensorflow", "keras"})
KERAS = frozenset({"keras"})

# Known seeding calls and the global generators each one seeds.
SEEDERS: dict[str, frozenset[str]] = {
    "random.seed": frozenset({"random"}),
    "numpy.random.seed": frozenset({"numpy"}),
    "torch.manual_seed": frozenset({"torch"}),
    "torch.random.manual_seed": frozenset({"torch"}),
    "tensorflow.random.set_seed": frozenset({"tensorflow", "keras"}),
    "tensorflow.set_random_seed": frozenset({"tensorflow", "keras"}),
    "tensorflow.compat.v1.set_random_seed": frozenset({"tensorflow", "keras"}),
    "keras.utils.set_random_seed": ALL_LIBRARIES,
    "lightning.seed_everything": frozenset({"random", "numpy", "torch"}),
    "lightning.pytorch.seed_everything": frozenset({"random", "numpy", "torch"}),
    "lightning.fabric.seed_everything": frozenset({"random", "numpy", "torch"}),
    "pytorch_lightning.seed_everything": frozenset({"random", "numpy", "torch"}),
    "lightning_fabric.seed_everything": frozenset({"random", "numpy", "torch"}),
    "transformers.set_seed": ALL_LIBRARIES,
    "accelerate.utils.set_seed": frozenset({"random", "numpy", "torch"}),
    "nb_discipline.seed_everything": ALL_LIBRARIES,
    "nb_discipline.seeding.seed_everything": ALL_LIBRARIES,
    # These take no seed: they always draw one from fresh entropy (NBD304 says so).
    "torch.seed": frozenset({"torch"}),
    "torch.random.seed": frozenset({"torch"}),
}
# Called with no seed (or None), these seed from fresh entropy: the opposite of seeding.
RESEED_FROM_ENTROPY = {
    "random.seed": ("a", 0),
    "numpy.random.seed": ("seed", 0),
    "tensorflow.random.set_seed": ("seed", 0),
}
# Seeders that take no seed at all.
ALWAYS_FROM_ENTROPY = frozenset({"torch.seed", "torch.random.seed"})
# Calls whose value differs on every run, and what they read: a seed made from one is no seed.
CLOCK = "which reads the clock"
ENTROPY_SOURCES = {
    "time.time": CLOCK,
    "time.time_ns": CLOCK,
    "time.perf_counter": CLOCK,
    "time.perf_counter_ns": CLOCK,
    "time.monotonic": CLOCK,
    "time.monotonic_ns": CLOCK,
    "time.process_time": CLOCK,
    "time.process_time_ns": CLOCK,
    "time.clock": CLOCK,
    "datetime.datetime.now": CLOCK,
    "datetime.datetime.utcnow": CLOCK,
    "datetime.datetime.today": CLOCK,
    "uuid.uuid1": CLOCK,
    "os.getpid": "the process id",
    "os.urandom": "fresh entropy from the operating system",
    "os.getrandom": "fresh entropy from the operating system",
    "uuid.uuid4": "fresh entropy from the operating system",
}
# A value made from such a source still differs on every run after these conversions
# (`int(time.time())`, `hash(...)`) and readings (`datetime.now().timestamp()`, `uuid4().int`);
# arithmetic on it too. A reading such as `.year` or `.strftime("%Y")` changes more slowly: it is
# not followed, nor is a choice (`a if b else c`, `a or b`) that may not take the source.
SEED_CONVERSIONS = frozenset({"int", "float", "abs", "hash", "round", "str", "int.from_bytes"})
CHANGING_READINGS = frozenset({"timestamp", "microsecond", "second", "int", "hex"})
# A helper imported from elsewhere and named like a seeder (set_seed, seed_everything,
# set_random_seeds, fix_seed, ...) is taken to seed everything: its body is not in the notebook.
# A string, compiled (and kept) by `re` on first use: most notebooks call no such helper.
SEEDER_NAME = (
    r"(?i:(?:set|fix|init|reset)_?(?:all_|global_|random_)*(?:seeds?|rngs?)(?:_all|_everything)?"
    r"|seed_?(?:all|everything)(?:_\w+)?)"
)

RANDOM_MODULE_FUNCTIONS = frozenset(
    [
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "uniform",
        "gauss",
        "normalvariate",
        "lognormvariate",
        "expovariate",
        "vonmisesvariate",
        "gammavariate",
        "betavariate",
        "paretovariate",
        "weibullvariate",
        "triangular",
        "getrandbits",
        "randbytes",
        "binomialvariate",
    ]
)
# numpy.random names that do not draw from the legacy global generator.
NUMPY_NOT_GLOBAL = frozenset(
    [
        "seed",
        "get_state",
        "set_state",
        "default_rng",
        "RandomState",
        "Generator",
        "SeedSequence",
        "BitGenerator",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
        "bit_generator",
        "mtrand",
    ]
)
TORCH_RANDOM_FUNCTIONS = frozenset(
    [
        "rand",
        "randn",
        "randint",
        "randperm",
        "rand_like",
        "randn_like",
        "randint_like",
        "normal",
        "bernoulli",
        "multinomial",
        "poisson",
        "dropout",
    ]
)
TORCH_RANDOM_INIT = frozenset(
    [
        "uniform_",
        "normal_",
        "trunc_normal_",
        "xavier_uniform_",
        "xavier_normal_",
        "kaiming_uniform_",
        "kaiming_normal_",
        "orthogonal_",
        "sparse_",
        "uniform",
        "normal",
        "xavier_uniform",
        "xavier_normal",
        "kaiming_uniform",
        "kaiming_normal",
        "orthogonal",
        "sparse",
    ]
)
TORCH_RANDOM_FUNCTIONAL = frozenset(
    [
        "dropout",
        "dropout1d",
        "dropout2d",
        "dropout3d",
        "alpha_dropout",
        "feature_alpha_dropout",
        "gumbel_softmax",
        "rrelu",
    ]
)
# Layers whose construction draws their initial weights from the global generator (`__init__`
# calls `reset_parameters`).
TORCH_RANDOM_LAYERS = frozenset(
    [
        "Linear",
        "Bilinear",
        "Conv1d",
        "Conv2d",
        "Conv3d",
        "ConvTranspose1d",
        "ConvTranspose2d",
        "ConvTranspose3d",
        "Embedding",
        "EmbeddingBag",
        "RNN",
        "LSTM",
        "GRU",
        "RNNCell",
        "LSTMCell",
        "GRUCell",
        "MultiheadAttention",
        "Transformer",
        "TransformerEncoderLayer",
        "TransformerDecoderLayer",
    ]
)
# Lazy layers draw their weights on their first call, once they know their input's shape.
TORCH_LAZY_LAYERS = frozenset(
    [
        "LazyLinear",
        "LazyConv1d",
        "LazyConv2d",
        "LazyConv3d",
        "LazyConvTranspose1d",
        "LazyConvTranspose2d",
        "LazyConvTranspose3d",
    ]
)
# torch.utils.data helpers that use the global generator unless given `generator=`.
TORCH_DATA_SHUFFLERS = frozenset(
    {"random_split", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler"}
)
# Of these, the loader and the samplers draw when they are iterated (a seed for each pass, or
# `randperm`), not when they are made; `random_split` draws where it is called.
TORCH_ITERATED = {
    "DataLoader": "loader",
    "RandomSampler": "sampler",
    "SubsetRandomSampler": "sampler",
    "WeightedRandomSampler": "sampler",
}
TENSORFLOW_RANDOM_FUNCTIONS = frozenset(
    ["normal", "uniform", "truncated_normal", "shuffle", "categorical", "gamma", "poisson"]
)
# Keras layers whose weights are drawn at random. Keras 2 draws them when the layer is built (the
# model given its input's shape, the layer called on a tensor, `build`, the first `fit`): from
# TensorFlow's global generator up to 2.9, from a seed taken from Python's `random` (or
# `keras.utils.set_random_seed`'s) since 2.10. Keras 3 takes that seed when the layer is made.
KERAS_WEIGHT_LAYERS = frozenset(
    [
        "Dense",
        "EinsumDense",
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "Conv1DTranspose",
        "Conv2DTranspose",
        "Conv3DTranspose",
        "SeparableConv1D",
        "SeparableConv2D",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
        "ConvLSTM1D",
        "ConvLSTM2D",
        "ConvLSTM3D",
        "Embedding",
        "LSTM",
        "GRU",
        "SimpleRNN",
        "MultiHeadAttention",
        "GroupQueryAttention",
    ]
)
# Keras layers that draw as the model trains (masks, noise, augmentations), not when made.
KERAS_TRAINING_LAYERS = frozenset(
    [
        "Dropout",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "GaussianNoise",
        "GaussianDropout",
        "AlphaDropout",
        "RandomFlip",
        "RandomRotation",
        "RandomZoom",
        "RandomCrop",
        "RandomTranslation",
        "RandomContrast",
        "RandomBrightness",
    ]
)
# What builds a Keras model where it is made: a first layer that gives the input's shape, or an
# input layer.
KERAS_INPUT_SHAPES = frozenset({"input_shape", "input_dim", "batch_input_shape"})
KERAS_INPUTS = frozenset({"keras.Input", "keras.layers.Input", "keras.layers.InputLayer"})
KERAS_SEQUENTIAL = frozenset({"keras.Sequential", "keras.models.Sequential"})
KERAS_WRAPPERS = frozenset({"keras.layers.Bidirectional", "keras.layers.TimeDistributed"})

LIBRARY_LABELS = {
    "random": "Python's random module",
    "numpy": "NumPy",
    "torch": "PyTorch",
    "tensorflow": "TensorFlow",
    "keras": "Keras",
}
SEED_EXAMPLES = {
    "random": "random.seed(42)",
    "numpy": "np.random.seed(42)",
    "torch": "torch.manual_seed(42)",
    "tensorflow": "tf.random.set_seed(42)",
    "keras": "keras.utils.set_random_seed(42)",
}


def normalized(qualified: str | None) -> str | None:
    """`tensorflow.keras.layers.Dense` and `keras.layers.Dense` are the same thing."""
    if qualified is not None and qualified.startswith("tensorflow.keras."):
        return qualified[len("tensorflow.") :]
    return qualified


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _has_unknown_arguments(call: ast.Call) -> bool:
    """`f(*args)` or `f(**options)`: any argument may be in there."""
    return any(isinstance(a, ast.Starred) for a in call.args) or any(
        keyword.arg is None for keyword in call.keywords
    )


def _is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_pandas_sample(call: CallSite) -> bool:
    """`df.sample(5)` on an object pandas made (`df = pd.read_csv(path)` above), or
    `x.sample(frac=0.1)` / `x.sample(n=5)` on any object (the keywords tell pandas' `sample` from
    other libraries'): pandas draws from NumPy's global generator when no `random_state` is given
    (by keyword, or fifth by position)."""
    node = call.node
    func = node.func
    if not isinstance(func, ast.Attribute) or func.attr != "sample":
        return False
    keywords = {keyword.arg for keyword in node.keywords}
    if keywords & {"random_state", None} or len(node.args) > 4:
        return False
    return (call.receiver or "").startswith("pandas.") or bool(keywords & {"frac", "n"})


def _callee(call: CallSite) -> str:
    return call.dotted or ast.unparse(call.node.func)


# --- fixes ---------------------------------------------------------------------------------
# Every fix here is unsafe (ruff's meaning): a seed changes the numbers the notebook draws.


def _fix_seed(nb: Analysis) -> int:
    """The seed the fixes write: the `seed` setting, or, when that is left at its default (42),
    the repro seed (`[tool.nb-discipline.repro] seed`, 42 too unless configured)."""
    settings = nb.settings
    return settings.seed if settings.seed != 42 else settings.repro.seed


def _lines(parsed: ParsedCell) -> tuple[str, ...]:
    from ..analysis.source import _cached_lines  # the analysis is loaded when a rule runs

    return _cached_lines(parsed.cell.source)


def _code_characters(lines: Sequence[str], row: int, column: int) -> Iterator[tuple[int, int, str]]:
    """The characters from (row, column) on, 1-based, with their positions, skipping what holds
    no code: blanks, comments, line continuations and line ends. Only ever read between the
    nodes of one call, where no string can be."""
    while row <= len(lines):
        line = lines[row - 1]
        while column <= len(line):
            character = line[column - 1]
            if character == "#":
                break
            if character not in " \t\f\\":
                yield row, column, character
            column += 1
        row, column = row + 1, 1


def _newline(parsed: ParsedCell) -> str:
    return "\r\n" if "\r\n" in parsed.cell.source else "\n"


def _edit(
    parsed: ParsedCell, content: str, start: tuple[int, int], end: tuple[int, int] | None = None
) -> Edit:
    return Edit(content, Location(*start), Location(*(end or start)), parsed.cell.index)


def _append_argument(parsed: ParsedCell, call: ast.Call, argument: str) -> Edit | None:
    """The edit that adds `argument` (a keyword argument) after a call's last argument, placed as
    the call is written: `f(a, b, random_state=42)`; a multi-line call that ends its arguments with
    a comma gets a line of its own, indented as the last argument. None when the text between
    the last argument and the closing parenthesis is not what a call can hold there (a
    generator expression sharing the call's parentheses, prompts pasted with a session)."""
    lines = _lines(parsed)
    _, _, close_row, close_column = parsed.span(call)
    close = (close_row, close_column - 1)  # the call's closing parenthesis
    arguments = [*call.args, *call.keywords]
    if not arguments:
        return _edit(parsed, argument, close)
    last = max(arguments, key=lambda node: (node.end_lineno, node.end_col_offset))
    first_row, _, end_row, end_column = parsed.span(last)
    after = (end_row, end_column)  # where the argument ends: a parenthesis closing it may follow
    comma = None
    reached = after
    for row, column, character in _code_characters(lines, end_row, end_column):
        reached = (row, column)
        if reached >= close:
            break
        if character == ")" and comma is None:
            after = (row, column + 1)
        elif character == "," and comma is None:
            comma = (row, column + 1)
        else:
            return None
    if reached != close:
        return None
    if comma is None:
        return _edit(parsed, f", {argument}", after)
    if comma[0] == close_row:
        return _edit(parsed, f" {argument}", comma)
    line = lines[first_row - 1]
    indent = line[: len(line) - len(line.lstrip())]
    content = f"{_newline(parsed)}{indent}{argument},"
    return _edit(parsed, content, (comma[0], len(lines[comma[0] - 1]) + 1))


def _prepend_argument(parsed: ParsedCell, call: ast.Call, argument: str) -> Edit | None:
    """The edit that passes `argument` first, right after the call's opening parenthesis:
    `default_rng(42)`, `SeedSequence(42, pool_size=8)`."""
    _, _, end_row, end_column = parsed.span(call.func)
    opened = False
    for row, column, character in _code_characters(_lines(parsed), end_row, end_column):
        if opened:
            content = argument if not (call.args or call.keywords) else f"{argument}, "
            return _edit(parsed, content, (row, column))
        if character == "(":
            opened = True
        elif character != ")":  # only a parenthesized callee's own parentheses come first
            return None
    return None


def _replacement(parsed: ParsedCell, node: ast.expr, content: str) -> Edit:
    row, column, end_row, end_column = parsed.span(node)
    return _edit(parsed, content, (row, column), (end_row, end_column))


# Where code may run many times each time the cell runs.
REPEATING = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Lambda,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
)


def _runs_once(parsed: ParsedCell, node: ast.AST) -> bool:
    """True when the node runs at most once each time its cell runs: not in a loop, a
    comprehension, a function or a lambda. A fixed seed there would make every run draw the
    same numbers (every bootstrap sample, every call's generator alike): whether that is wanted
    is the author's to say, so no fix is offered."""
    try:
        path = _ancestors(parsed.tree, node) if parsed.tree is not None else None
    except RecursionError:  # an absurdly nested expression
        return False
    return path is not None and not any(isinstance(ancestor, REPEATING) for ancestor in path)


def _ancestors(root: ast.AST, node: ast.AST) -> list[ast.AST] | None:
    """The nodes from `root` down to `node`'s parent, or None when `node` is not below `root`."""
    if root is node:
        return []
    start = (node.lineno, node.col_offset)
    end = (node.end_lineno, node.end_col_offset)
    for child in ast.iter_child_nodes(root):
        if hasattr(child, "end_lineno") and not (
            (child.lineno, child.col_offset) <= start
            and end <= (child.end_lineno, child.end_col_offset)
        ):
            continue
        path = _ancestors(child, node)
        if path is not None:
            return [root, *path]
    return None


class _NeverRun:
    """The calls in function bodies that nothing in the notebook can reach: in a function, or a
    method of a class, that no code that runs refers to. Code at a cell's top level and in a
    class body runs; a module-level lambda may; a decorated definition may be called by its
    decorator (`@interact` calls it at once); a definition runs when code that runs, or a
    definition that does, names it (a call, `model = PGNet`, `Button(command=train)`,
    `class B(A)` for A's methods); a method runs when its class does; `tf.app.run()` calls
    `main`. A cell that does not parse may call any name it holds."""

    def __init__(self, nb: Analysis) -> None:
        self.roots: set[str] = set()
        # Definition -> the names its code refers to; each call in a function body -> the
        # definition it is in.
        self.refers: dict[str, set[str]] = {}
        self.owners: dict[int, str] = {}
        # A statement is read only when a question needs it: the one that holds the call asked
        # about, and those whose text holds the name of a definition whose reach is asked (no
        # other can name it). A cell of other than ASCII is read at once (Python takes its names'
        # NFKC form, which its text may not show), and so is a cell that does not parse.
        self.cells: list[ParsedCell] = []  # the cells whose statements are read on demand
        self.read: set[int] = set()  # the statements read, by id
        self.reached: dict[str, bool] = {}
        self.unreadable = False  # nested too deeply to read: anything may run
        for parsed in nb.parsed:
            source = parsed.cell.source
            if parsed.tree is None:
                self.roots.update(re.findall(r"[^\W\d]\w*", source))
            elif source.isascii():
                self.cells.append(parsed)
            else:
                self._read(parsed.tree)

    def __contains__(self, call: CallSite) -> bool:
        row = call.node.lineno
        for statement in call.parsed.tree.body:  # type: ignore[union-attr]
            if _first_row(statement) <= row <= statement.end_lineno:  # type: ignore[operator]
                self._read(statement)
        owner = self.owners.get(id(call.node))
        return owner is not None and not self._is_reached(owner) and not self.unreadable

    def _is_reached(self, name: str) -> bool:
        """Whether code that runs names the definition, or names a definition that does."""
        if name not in self.reached:
            seen, todo, reached = {name}, [name], False
            while todo and not reached:
                current = todo.pop()
                self._read_naming(current)
                reached = current in self.roots
                for owner, names in self.refers.items():
                    if current in names and owner not in seen:
                        seen.add(owner)
                        todo.append(owner)
            self.reached[name] = reached
        return self.reached[name]

    def _read_naming(self, name: str) -> None:
        """Reads every statement whose text holds the name (`run`, for `main`: `tf.app.run()`)."""
        word = "run" if name == "main" else name
        for parsed in self.cells:
            source = parsed.cell.source
            if name not in source and word not in source:
                continue
            lines = _lines(parsed)
            for statement in parsed.tree.body:  # type: ignore[union-attr]
                if id(statement) not in self.read:
                    rows = lines[_first_row(statement) - 1 : statement.end_lineno]
                    if any(name in row or word in row for row in rows):
                        self._read(statement)

    def _read(self, node: ast.AST) -> None:
        """Reads a top-level statement (or a whole tree), once."""
        if id(node) not in self.read:
            self.read.add(id(node))
            try:
                self._walk(node, None, True)
            except RecursionError:
                self.unreadable = True

    def _walk(self, node: ast.AST, owner: str | None, now: bool) -> None:
        """`owner`: the module-level definition the code is in; `now`: it runs where it is."""
        kind = type(node)
        if owner is not None and not now:  # a function body (or a class in one): all its owner's
            calls: list[int] = []
            self._read_all(node, self.refers.setdefault(owner, set()), calls)
            self.owners.update(dict.fromkeys(calls, owner))
            return
        # A definition that runs where it is written; a lambda in a class body is its class's.
        inner_definitions = _DEFINITIONS if owner is None else (*_DEFINITIONS, ast.Lambda)
        if not now or kind not in inner_definitions:  # code that runs, or a module lambda's
            self._read_all(node, self.roots, None, owner, inner_definitions if now else ())
            return
        inner = owner
        if owner is None:
            inner = node.name  # type: ignore[attr-defined]
            if node.decorator_list:  # type: ignore[attr-defined]
                self.roots.add(inner)
        for field in ("decorator_list", "args", "returns", "bases", "keywords"):
            value = getattr(node, field, None)
            for child in value if isinstance(value, list) else (value,):
                if not isinstance(child, ast.AST):
                    continue
                if field == "bases" and inner is not None:  # its base's methods run with it
                    self._walk(child, inner, False)
                else:
                    self._walk(child, owner, now)
        body = node.body if isinstance(node.body, list) else [node.body]  # type: ignore[attr-defined]
        for statement in body:
            self._walk(statement, inner, kind is ast.ClassDef)

    def _read_all(
        self,
        node: ast.AST,
        names: set[str],
        calls: list[int] | None,
        owner: str | None = None,
        definitions: tuple[type, ...] = (),
    ) -> None:
        """Every name below the node into `names`, and every call into `calls` (when None: a
        `tf.app.run()` names `main`); a node of one of the `definitions` types below it is read
        as a definition of the code `owner` is in. Without recursion: most nodes are read here."""
        todo = [node]
        while todo:
            node = todo.pop()
            kind = type(node)
            if kind is ast.Name:
                names.add(node.id)  # type: ignore[attr-defined]
                continue
            if kind is ast.Call:
                if calls is not None:
                    calls.append(id(node))
                elif not (node.args or node.keywords) and _is_app_run(node.func):  # type: ignore[attr-defined]
                    names.add("main")  # `tf.app.run()` calls `__main__.main`: the kernel's
            elif kind in definitions:
                self._walk(node, owner, True)
                continue
            for field in node._fields:
                value = getattr(node, field, None)
                for child in value if type(value) is list else (value,):
                    kind = type(child)
                    while kind is ast.Attribute:  # `np.random.rand`: only its base holds a name
                        child = child.value
                        kind = type(child)
                    if kind is ast.Name:
                        names.add(child.id)
                    elif kind not in _HOLDS_NO_NAME and isinstance(child, ast.AST):
                        todo.append(child)


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _first_row(statement: ast.stmt) -> int:
    """The row a statement starts on, its decorators included."""
    decorators = getattr(statement, "decorator_list", None)
    return decorators[0].lineno if decorators else statement.lineno


# Nodes with no name and no call below them.
_HOLDS_NO_NAME = frozenset(
    {ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal, ast.alias}
    | {*ast.expr_context.__subclasses__(), *ast.operator.__subclasses__()}
    | {*ast.unaryop.__subclasses__(), *ast.cmpop.__subclasses__(), *ast.boolop.__subclasses__()}
)


def _is_app_run(func: ast.expr) -> bool:
    """`tf.app.run`, `tf.compat.v1.app.run`, absl's `app.run`."""
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "run"
        and isinstance(func.value, ast.Attribute | ast.Name)
        and getattr(func.value, "attr", getattr(func.value, "id", None)) == "app"
    )


def _unsafe_fix(message: str, *edits: Edit | None) -> Fix | None:
    if None in edits:
        return None
    return Fix(UNSAFE, message, edits)


# The modules whose functions `global_rng_library` knows (and those under torch.utils.data).
GLOBAL_RNG_MODULES = frozenset(
    {"random", "numpy.random", "torch", "torch.nn.init", "torch.nn.functional", "torch.nn"}
    | {"tensorflow.random", "keras.layers", "tensorflow.keras.layers"}
)


def global_rng_library(call: CallSite) -> str | None:
    """The library whose global generator this call draws from, if it does."""
    qualified = call.qualified
    if qualified is None:
        return "numpy" if _is_pandas_sample(call) else None
    module, _, function = qualified.rpartition(".")
    if module not in GLOBAL_RNG_MODULES and not module.startswith("torch.utils.data"):
        return None  # most resolved calls: a module that draws from no global generator
    module = normalized(module)
    node = call.node
    if module == "random" and function in RANDOM_MODULE_FUNCTIONS:
        return "random"
    if module == "numpy.random" and function not in NUMPY_NOT_GLOBAL:
        return "numpy"
    if module == "torch" and function in TORCH_RANDOM_FUNCTIONS:
        return None if _keyword(node, "generator") is not None else "torch"
    if (module == "torch.nn.init" and function in TORCH_RANDOM_INIT) or (
        module == "torch.nn.functional" and function in TORCH_RANDOM_FUNCTIONAL
    ):
        return None if _keyword(node, "generator") is not None else "torch"
    if module == "torch.nn" and function in TORCH_RANDOM_LAYERS | TORCH_LAZY_LAYERS:
        return "torch"
    if module.startswith("torch.utils.data"):
        if _keyword(node, "generator") is not None or _has_unknown_arguments(node):
            return None
        if function in TORCH_DATA_SHUFFLERS:
            return "torch"
        shuffle = _keyword(node, "shuffle")
        if function == "DataLoader" and isinstance(shuffle, ast.Constant) and shuffle.value:
            return "torch"
        return None
    if module == "tensorflow.random" and function in TENSORFLOW_RANDOM_FUNCTIONS:
        return None if _keyword(node, "seed") is not None else "tensorflow"
    if module == "keras.layers" and function in KERAS_WEIGHT_LAYERS | KERAS_TRAINING_LAYERS:
        return None if _keyword(node, "seed") is not None else "keras"
    return None


def _drawn_later(call: CallSite, built_where_made: set[int]) -> str | None:
    """When an object that draws from a global generator (`global_rng_library`) draws after it
    is made, what the message says of it; None when it draws where it is made."""
    module, _, function = (normalized(call.qualified) or "").rpartition(".")
    if module == "torch.nn" and function in TORCH_LAZY_LAYERS:
        return "makes a layer whose initial weights are drawn on its first call"
    if module.startswith("torch.utils.data") and function in TORCH_ITERATED:
        return f"makes a {TORCH_ITERATED[function]} that draws its order each time it is iterated"
    if module != "keras.layers":
        return None
    if function in KERAS_TRAINING_LAYERS:  # built or not
        return "makes a layer that draws at random as the model trains"
    if id(call.node) in built_where_made:
        return None
    return "makes a layer whose initial weights are drawn when it is built"


# What Keras before 2.4 printed on its import: the saved outputs tell which Keras the notebook ran.
OLD_KERAS_BANNERS = ("Using Theano backend.", "Using TensorFlow backend.", "Using CNTK backend.")


def _keras_before_2_4(nb: Analysis) -> bool:
    """The notebook's outputs show Keras's banner of before 2.4: its layers, initializers and
    dropout drew their seeds from NumPy's global generator."""
    return any(
        banner in "".join(output.get("text") or "")
        for parsed in nb.parsed
        for output in parsed.cell.outputs
        if output.get("output_type") == "stream"
        for banner in OLD_KERAS_BANNERS
    )


def _seeded(call: CallSite, library: str, seeded: frozenset[str]) -> bool:
    """Whether the global generator a call draws from is among the seeded libraries. Keras before
    2.4 (imported as `keras`, not `tensorflow.keras`) drew the seeds of its initializers and
    masks from NumPy's global generator: NumPy's seed seeds it too."""
    if library in seeded:
        return True
    standalone = library == "keras" and not (call.qualified or "").startswith("tensorflow.")
    return standalone and "numpy" in seeded


def _gives_input(node: ast.expr, names: dict[int, str | None]) -> bool:
    """`Dense(8, input_shape=(4,))`, `keras.Input(shape=(4,))`: a first layer that builds the
    model it starts (`names`: the resolved callee of each call, by node)."""
    if type(node) is not ast.Call:
        return False
    return names.get(id(node)) in KERAS_INPUTS or any(
        keyword.arg in KERAS_INPUT_SHAPES for keyword in node.keywords
    )


def _keras_built_where_made(calls: Sequence[CallSite]) -> set[int]:
    """The Keras layers (their calls' nodes) built by the statement that makes them, so that
    their weights are drawn there: a layer called at once (`Dense(8)(inputs)`), a layer of a
    `Sequential([...])` whose first layer gives the input's shape, a layer added (`model.add`)
    to a `Sequential` model that has its input's shape, and the layer a wrapper built there
    wraps (`Bidirectional(LSTM(32))(x)`)."""
    built = {id(call.node.func) for call in calls if type(call.node.func) is ast.Call}
    names = {id(call.node): normalized(call.qualified) for call in calls}
    has_input: dict[str, bool] = {}  # the Sequential models made so far, by name
    for call in calls:
        node = call.node
        if normalized(call.qualified) in KERAS_SEQUENTIAL:
            listed = node.args[0] if node.args else _keyword(node, "layers")
            layers = listed.elts if type(listed) in (ast.List, ast.Tuple) else []
            starts = bool(layers) and _gives_input(layers[0], names)
            if starts:
                built.update(id(layer) for layer in layers)
            if call.assigned_to is not None:
                has_input[call.assigned_to] = starts
        elif call.dotted is not None and call.dotted.endswith(".add") and len(node.args) == 1:
            model = call.dotted[: -len(".add")]
            if model in has_input and (has_input[model] or _gives_input(node.args[0], names)):
                has_input[model] = True
                built.add(id(node.args[0]))
    for call in calls:  # a wrapper comes before the layer it wraps
        wrapped = call.node.args[0] if call.node.args else None
        if id(call.node) in built and names[id(call.node)] in KERAS_WRAPPERS and wrapped:
            built.add(id(wrapped))
    return built


class _Seeding:
    """Which libraries each call seeds, with the notebook's own seeding helpers."""

    def __init__(self, nb: Analysis) -> None:
        self.nb = nb
        self.configured = frozenset(nb.settings.seed_functions)
        self.notebook_functions = nb.calls.functions
        self.local_seeders: dict[str, frozenset[str]] = {}
        calls = nb.calls.calls
        # The calls `seeds_of` may find a seeder in: the only ones it is asked about here.
        may_seed: dict[tuple[str | None, str | None], bool] = {}  # most names recur
        self.candidates = []
        for index, call in enumerate(calls):
            if call.dotted is None:
                continue  # no name: no seeder
            key = (call.qualified, call.dotted)
            candidate = may_seed.get(key)
            if candidate is None:
                candidate = may_seed[key] = self._may_seed(*key)
            if candidate:
                self.candidates.append(index)
        # A helper that calls seeders seeds what they seed; helpers may call helpers (three
        # deep; a pass that learns nothing new ends it, as every pass after it would).
        inside_functions = [calls[i] for i in self.candidates if calls[i].function is not None]
        for _ in range(3):
            learned = False
            for call in inside_functions:
                if seeded := self.seeded_by(call):
                    known = self.local_seeders.get(call.function, frozenset())
                    learned = learned or not seeded <= known
                    self.local_seeders[call.function] = known | seeded
            if not learned:
                break

    def seeded_by(self, call: CallSite) -> frozenset[str]:
        """The libraries the call seeds; none when its seed is not a seed (NBD304)."""
        libraries = self.seeds_of(call)
        if libraries and self.entropy.of_seeding(call) is not None:
            return frozenset()
        # Keras takes its weights' seeds from Python's `random` (Keras 3; 2.10 and later).
        return libraries | KERAS if "random" in libraries else libraries

    @property
    def entropy(self) -> _EntropySources:
        """Made for the first seeding call, once for the notebook (NBD304 reads it too)."""
        return self.nb.shared(_EntropySources)

    def _may_seed(self, qualified: str | None, dotted: str) -> bool:
        """False when `seeds_of` gives nothing for a call of `dotted` (resolved: `qualified`),
        whatever the notebook's functions seed: every seeder's name (a known one, or one
        `SEEDER_NAME` matches) says seed or rng, but a configured one or the notebook's own."""
        written = f"{qualified}.{dotted}".lower()
        if "seed" in written or "rng" in written:
            return True
        if self.configured and (
            normalized(qualified) in self.configured or dotted in self.configured
        ):
            return True
        return dotted[dotted.rfind(".") + 1 :] in self.notebook_functions

    def seeds_of(self, call: CallSite) -> frozenset[str]:
        """The libraries a seeding call covers, whatever seed it is given."""
        name = normalized(call.qualified)
        if name in SEEDERS:
            return SEEDERS[name]
        if name in self.configured or call.dotted in self.configured:
            return ALL_LIBRARIES
        last = (call.dotted or "").rpartition(".")[2]
        if call.qualified is None and last in self.notebook_functions:
            # A function or method the notebook defines: judged by its body.
            return self.local_seeders.get(last, frozenset())
        if "seed" not in last.lower() and "rng" not in last.lower():
            return frozenset()  # every name SEEDER_NAME matches says seed or rng
        library_call = name is not None and name.split(".")[0] in ALL_LIBRARIES
        if not library_call and re.fullmatch(SEEDER_NAME, last):
            return ALL_LIBRARIES
        return frozenset()

    @cached_property
    def seeded_for_each_call(self) -> list[frozenset[str]]:
        """For each call of the notebook, the libraries seeded when it runs top to bottom.

        A call in a function body runs when the function is called: its library counts as
        seeded when anything in the notebook seeds it. `%%production` seeds every library
        before its cell runs, and for every cell after it; a cell that does not parse and
        mentions a seed (a Python 2 `print` beside `np.random.seed(1)`) may seed any library,
        from there on."""
        calls = self.nb.calls.calls
        seeds: list[frozenset[str]] = [frozenset()] * len(calls)
        for index in self.candidates:
            seeds[index] = self.seeded_by(calls[index])
        seeded_anywhere = frozenset().union(*(seeds[index] for index in self.candidates))
        first_seeding_all = min(
            (
                p.cell.index
                for p in self.nb.parsed
                if p.cell_magic == "production"
                or (p.syntax_error is not None and "seed" in p.cell.source.lower())
            ),
            default=None,
        )
        # Where what is seeded grows, top to bottom: at each seeding call that runs where it is
        # written (it counts for itself), and at the first call from the first seeding-all cell.
        growth = {
            index: seeds[index]
            for index in self.candidates
            if seeds[index] and not calls[index].deferred
        }
        if first_seeding_all is not None:
            seeded_anywhere = ALL_LIBRARIES
            start = next(
                (n for n, call in enumerate(calls) if call.parsed.cell.index >= first_seeding_all),
                len(calls),
            )
            growth = {index: grown for index, grown in growth.items() if index < start}
            growth[start] = ALL_LIBRARIES
        seeded: frozenset[str] = frozenset()
        result: list[frozenset[str]] = []
        done = 0
        for index in sorted(growth):
            result.extend(seeded_anywhere if c.deferred else seeded for c in calls[done:index])
            seeded |= growth[index]
            done = index
        result.extend(seeded_anywhere if c.deferred else seeded for c in calls[done:])
        return result


# How a library's global generator is seeded from a name bound to one of its modules.
SEEDING_CALLS = {
    "random": {"random": "seed"},
    "numpy": {"numpy": "random.seed", "numpy.random": "seed"},
    "torch": {"torch": "manual_seed", "torch.random": "manual_seed"},
    "tensorflow": {
        "tensorflow": "random.set_seed",
        "tensorflow.random": "set_seed",
        "tensorflow.compat.v1": "set_random_seed",
    },
    "keras": {"keras": "utils.set_random_seed", "keras.utils": "set_random_seed"},
}
# TensorFlow 1 has no `tf.random.set_seed`: a notebook calling what only TensorFlow 1 has at its
# top (`tf.Session()`, `tf.placeholder(...)`) is seeded with `tf.set_random_seed`.
TENSORFLOW_1_ONLY = frozenset(
    f"tensorflow.{name}"
    for name in (
        "Session",
        "InteractiveSession",
        "placeholder",
        "global_variables_initializer",
        "reset_default_graph",
        "get_variable",
        "variable_scope",
        "set_random_seed",
    )
)
TENSORFLOW_1_SEEDING = {"tensorflow": "set_random_seed", "tensorflow.compat.v1": "set_random_seed"}
# tf.keras since 2.10 seeds its initializers from Python's `random`, which `tf.random.set_seed`
# leaves alone: its own `set_random_seed` (2.7 and later) seeds Python, NumPy and TensorFlow.
TF_KERAS_SEEDING = {
    "tensorflow": "keras.utils.set_random_seed",
    "tensorflow.compat.v1": "set_random_seed",
    "tensorflow.keras": "utils.set_random_seed",
    "tensorflow.keras.utils": "set_random_seed",
}
# The name a fix imports a library under when the notebook binds none of its modules.
IMPORT_NAMES = {"numpy": "np", "tensorflow": "tf"}


def _position(site: CallSite | ImportSite) -> tuple[int, int, int]:
    return site.parsed.cell.index, site.node.lineno, site.node.col_offset


def _binding(site: ImportSite) -> tuple[str | None, str | None]:
    """The name an import binds and the module it binds it to: (`np`, `numpy`) for `import
    numpy as np`, (`numpy`, `numpy`) for `import numpy.random`, (`npr`, `numpy.random`) for
    `from numpy import random as npr`."""
    node = site.node
    for alias in node.names:
        if isinstance(node, ast.Import) and alias.name == site.module:
            if alias.asname:
                return alias.asname, alias.name
            top = alias.name.split(".")[0]
            return top, top
        if isinstance(node, ast.ImportFrom) and f"{node.module}.{alias.name}" == site.module:
            return alias.asname or alias.name, site.module
    return None, None


def _may_be_bound(nb: Analysis, name: str, library: str) -> bool:
    """True when any cell may bind the name to something other than the library (bound by
    `import library as name` in a cell's body): an assignment, a definition, another import, a
    star import, or IPython syntax that binds names nobody can see."""
    for parsed in nb.parsed:
        if parsed.binds_unknown or (parsed.tree is None and name in parsed.cell.source):
            return True
        for statement in parsed.tree.body if parsed.tree is not None else ():
            if isinstance(statement, ast.Import) and all(
                alias.name == library
                for alias in statement.names
                if (alias.asname or alias.name.split(".")[0]) == name
            ):
                continue
            if _binds(statement, name):
                return True
    return any(alias.name == "*" for site in nb.calls.imports for alias in site.node.names)


def _after_statement(parsed: ParsedCell, node: ast.stmt, statements: list[str]) -> Edit:
    """The edit that runs `statements` right after `node`: on lines of their own below it,
    indented as it is, when the statement has its line(s) to itself (a comment may follow);
    else on its line, after a `;` (`import numpy as np; np.random.seed(42); x = ...`, and in
    `if ok: import torch`, where a new line would leave the `if`)."""
    lines = _lines(parsed)
    row, column, end_row, end_column = parsed.span(node)
    before = lines[row - 1][: column - 1]
    after = lines[end_row - 1][end_column - 1 :].strip()
    if before.strip() or (after and not after.startswith("#")):
        return _edit(parsed, "".join(f"; {each}" for each in statements), (end_row, end_column))
    content = "".join(f"{_newline(parsed)}{before}{each}" for each in statements)
    return _edit(parsed, content, (end_row, len(lines[end_row - 1]) + 1))


def _seeding_fix(nb: Analysis, library: str, first: CallSite) -> Fix | None:
    """The fix of NBD301: the library's seeding call right after the first import above its
    first use that binds a module to seed it with, run once (in the cell's body, or in an
    `if`/`with`/`try` block of it); when no import binds one (`from random import choice`),
    the first import of the library gets an import that does (`import random`) and the seeding
    call, unless the name may be bound to something else."""
    modules = SEEDING_CALLS[library]
    if library == "keras" and (first.qualified or "").startswith("tensorflow."):
        library = "tensorflow"
    if library == "tensorflow":
        qualified = [call.qualified or "" for call in nb.calls.calls]
        if any(name in TENSORFLOW_1_ONLY for name in qualified):
            modules = TENSORFLOW_1_SEEDING
        elif any(name.startswith("tensorflow.keras.") for name in qualified):
            modules = TF_KERAS_SEEDING  # one seeding line for TensorFlow and tf.keras
    seed = _fix_seed(nb)
    position = _position(first)
    above = [site for site in nb.calls.imports if _position(site) < position]
    for site in above:
        name, module = _binding(site)
        if module in modules and _runs_once(site.parsed, site.node):
            statements = [f"{name}.{modules[module]}({seed})"]
            break
    else:
        site = next(
            (s for s in above if s.top_level == library and _runs_once(s.parsed, s.node)), None
        )
        name = IMPORT_NAMES.get(library, library)
        if site is None or _may_be_bound(nb, name, library):
            return None
        binding = f"import {library} as {name}" if name != library else f"import {library}"
        statements = [binding, f"{name}.{modules[library]}({seed})"]
    inserted = "` and `".join(statements)
    return _unsafe_fix(
        f"Insert `{inserted}` after the import in cell {site.parsed.cell.index}",
        _after_statement(site.parsed, site.node, statements),
    )


def _more(uses: int) -> str:
    return f" ({uses} more use below)" if uses == 1 else f" ({uses} more uses below)"


def unseeded_global_rng(nb: Analysis) -> Iterator[Finding]:
    """A library's global random generator is used with no seeding call for it above.

    ## What it does
    Reads the cells top to bottom and flags the first use of a library's global random generator
    (`random`, NumPy's legacy `np.random.*` functions, PyTorch's random functions and layer
    initialisation, TensorFlow's random ops and Keras layers) with no seeding call for that
    library before it. Known seeders count for what they cover: `random.seed`, `np.random.seed`,
    `torch.manual_seed`, `tf.random.set_seed`, `keras.utils.set_random_seed`,
    `lightning.seed_everything`, `transformers.set_seed`, `nb_discipline.seed_everything`, the
    `%%production` magic, the `seed-functions` setting, and a function of the notebook (or one
    imported and named like `set_seed` or `seed_everything`) that calls them. A use inside a
    function body runs when the function is called, so it is only flagged when the library is
    seeded nowhere in the notebook, and only when the notebook may call the function: a function,
    or a method of a class, that no code that runs names (a call, `model = Net`, a callback
    `Button(command=train)`, a subclass that is made) never runs and draws nothing; a decorated
    one may be called by its decorator. So is a layer that draws after it is made, where a seeding
    below it may come first: a Keras layer draws its initial weights when it is built (a
    `Sequential` model given its input's shape, or the layer called on a tensor, builds it where it
    is made; otherwise its `build`, first call or `fit` does), Keras's `Dropout`, noise and
    augmentation layers draw as the model trains, PyTorch's lazy layers (`nn.LazyLinear`) on their
    first call, and `DataLoader(shuffle=True)` and the random samplers each time they are iterated;
    PyTorch's other layers draw their weights when they are made. Keras counts as
    seeded by `random.seed` too (Keras 3, and `tf.keras` since 2.10, take their initializers' seeds
    from Python's `random`), and standalone `keras` by `np.random.seed` (Keras 2.0 to 2.3 took them
    from NumPy); in a notebook whose outputs show the banner Keras printed before 2.4 (`Using
    TensorFlow backend.`), its layers are NumPy's uses. The first use that draws where it is
    written is the one reported, when there is one.

    ## Why is this bad?
    An unseeded generator starts from fresh entropy on every run: the data split, the initial
    weights and every metric change each time, and nobody can reproduce the result.

    ## Example
    ```python
    # cell 1, run as [1]
    import numpy as np
    # cell 2, run as [2]
    noise = np.random.normal(size=100)
    ```

    ## Use instead
    ```python
    # cell 1, run as [1]
    import numpy as np
    np.random.seed(42)
    # cell 2, run as [2]
    noise = np.random.normal(size=100)
    ```

    ## Fix
    Unsafe: the numbers drawn change. Inserts the library's seeding call right after the first
    import above its first use that binds a module to seed it with: `np.random.seed(42)` on the line
    below `import numpy as np`, indented as the import (inside its `try` or `if` block), or after a
    `;` on the import's line when the import shares it (`if gpu: import torch;
    torch.manual_seed(42)`). An import inside a function or a loop is not used: there the seed would
    run again on every call or turn. The seeders are `random.seed`, `np.random.seed`,
    `torch.manual_seed`, `tf.random.set_seed` (`tf.set_random_seed` in a notebook that calls
    TensorFlow 1's `tf.Session` or `tf.placeholder`, or imports `tensorflow.compat.v1 as tf`;
    TensorFlow's seed covers `tf.keras`) and `keras.utils.set_random_seed` (Keras 2.7 or later).
    When the library is only imported by name (`from random import choice`), the fix imports it too
    (`import random`, `import numpy as np`, `import tensorflow as tf`), unless that name may be
    bound to something else. No fix when the library is seeded from the clock or fresh entropy above
    its first use (NBD304 says so): a seed after the import would silence this finding and change
    nothing. The seed written is the `seed` setting, or the repro seed
    (`[tool.nb-discipline.repro]`) when `seed` is left at 42; 42 when neither is configured.
    """
    calls = nb.calls.calls
    seeding = nb.shared(_Seeding)
    seeded = seeding.seeded_for_each_call
    built: set[int] | None = None  # these two made on first need
    anywhere: frozenset[str] | None = None
    unseeded_uses: dict[str, list[int]] = {}
    drawn_later: dict[int, str] = {}
    old_keras: bool | None = None
    never_run: _NeverRun | None = None
    for index, (call, seeded_for_call) in enumerate(zip(calls, seeded, strict=True)):
        library = global_rng_library(call)
        if library == "keras" and not (call.qualified or "").startswith("tensorflow."):
            if old_keras is None:
                old_keras = _keras_before_2_4(nb)
            if old_keras:
                library = "numpy"  # it drew its seeds from NumPy's generator
        if library is None or _seeded(call, library, seeded_for_call):
            continue
        if call.deferred:
            never_run = never_run or nb.shared(_NeverRun)
            if call in never_run:
                continue
        if built is None and (call.qualified or "").startswith(("keras.", "tensorflow.keras.")):
            built = _keras_built_where_made(calls)
        if later := _drawn_later(call, built or set()):
            # It draws after it is made, where a seeding below may stand first: only a library
            # seeded nowhere in the notebook is certainly unseeded then.
            if anywhere is None:
                anywhere = frozenset().union(*seeded)
            if _seeded(call, library, anywhere):
                continue
            drawn_later[index] = later
        unseeded_uses.setdefault(library, []).append(index)
    for library, uses in unseeded_uses.items():
        # A use that certainly draws where it is, when there is one, is the one to show.
        uses = uses[next((n for n, use in enumerate(uses) if use not in drawn_later), 0) :]
        first = calls[uses[0]]
        # Seeded from the clock or fresh entropy before its first use (NBD304): a seed after
        # the import would silence this finding and leave the numbers as they are.
        reseeded = any(
            library in seeding.seeds_of(call) and not seeding.seeded_by(call)
            for call in calls[: uses[0]]
        )
        more = _more(len(uses) - 1) if len(uses) > 1 else ""
        row, column, end_row, end_column = first.parsed.span(first.node.func)
        label = LIBRARY_LABELS[library]
        later = drawn_later.get(uses[0])
        yield Finding(
            first.parsed.cell,
            f"`{_callee(first)}` draws from the global random generator of {label}, which "
            f"nothing seeds before it{more}"
            if later is None
            else f"`{_callee(first)}` {later}, from the global random generator of {label}, "
            f"which nothing in the notebook seeds{more}",
            row,
            column,
            end_row,
            end_column,
            symbol=library,
            help=f"Seed it before its first use: `{SEED_EXAMPLES[library]}`, or "
            "`nb_discipline.seed_everything(42)` for every library",
            fix=None if reseeded else _seeding_fix(nb, library, first),
        )


# Generator constructors: (seed argument name, position), or None for torch.Generator, which is
# seeded by calling `.manual_seed(n)` on it.
GENERATORS: dict[str, tuple[str, int] | None] = {
    "numpy.random.default_rng": ("seed", 0),
    "numpy.random.RandomState": ("seed", 0),
    "numpy.random.SeedSequence": ("entropy", 0),
    "numpy.random.PCG64": ("seed", 0),
    "numpy.random.PCG64DXSM": ("seed", 0),
    "numpy.random.MT19937": ("seed", 0),
    "numpy.random.Philox": ("seed", 0),
    "numpy.random.SFC64": ("seed", 0),
    "random.Random": ("x", 0),
    "torch.Generator": None,
}
FROM_NON_DETERMINISTIC_STATE = "tensorflow.random.Generator.from_non_deterministic_state"
# A bit generator's other way to take a seed: Philox's `key` fixes its stream as a seed does.
SEED_ALTERNATIVES = {"numpy.random.Philox": "key"}
GENERATOR_FIXES = {
    "numpy": "Pass a seed: `np.random.default_rng(42)`",
    "random": "Pass a seed: `random.Random(42)`",
    "torch": "Seed it: `torch.Generator().manual_seed(42)`",
    "tensorflow": "Seed it: `tf.random.Generator.from_seed(42)`",
}


def unseeded_generator(nb: Analysis) -> Iterator[Finding]:
    """A random generator object is made without a seed.

    ## What it does
    Flags the creation of a generator object with no seed, or with `None`:
    `np.random.default_rng()`, `np.random.RandomState()`, NumPy bit generators and
    `SeedSequence()`, `random.Random()`, `tf.random.Generator.from_non_deterministic_state()`,
    and a `torch.Generator()` on which `manual_seed` is never called. Seeding the global
    generators does not help: these objects take their own seed. Not in a function, or a method
    of a class, that nothing in the notebook may call (as NBD301 judges it): it makes nothing.

    ## Why is this bad?
    A generator made without a seed starts from the operating system's entropy (a
    `torch.Generator` from a fixed default shared by every unseeded one): its numbers, and
    everything computed from them, differ on every run.

    ## Example
    ```python
    # cell 1, run as [1]
    import numpy as np
    rng = np.random.default_rng()
    sample = rng.choice(1000, size=10)
    ```

    ## Use instead
    ```python
    # cell 1, run as [1]
    import numpy as np
    rng = np.random.default_rng(42)
    sample = rng.choice(1000, size=10)
    ```

    ## Fix
    Unsafe: the numbers drawn change. Passes the seed first, or in place of `None`:
    `np.random.default_rng(42)`, `random.Random(42)`, `np.random.SeedSequence(42, pool_size=8)`;
    appends `.manual_seed(42)` to `torch.Generator()` (it returns the generator), unless `.seed()`
    reseeds it right away; turns `tf.random.Generator.from_non_deterministic_state()` into
    `from_seed(42)`. No fix for a generator made in a loop, a comprehension, a function or a lambda:
    every generator made there would draw the same numbers. The seed written is the `seed` setting,
    or the repro seed (`[tool.nb-discipline.repro]`) when `seed` is left at 42; 42 when neither is
    configured.
    """
    calls = nb.calls.calls
    seeded_targets = {
        call.dotted.rpartition(".")[0]
        for call in calls
        if call.dotted is not None and call.dotted.endswith(".manual_seed")
    }
    never_run: _NeverRun | None = None
    for call in calls:
        name = call.qualified
        if call.deferred and (name in GENERATORS or name == FROM_NON_DETERMINISTIC_STATE):
            never_run = never_run or nb.shared(_NeverRun)
            if call in never_run:
                continue
        if name == FROM_NON_DETERMINISTIC_STATE:
            library = "tensorflow"
        elif name in GENERATORS:
            library = name.split(".")[0]
            seed = GENERATORS[name]
            if seed is None:
                if call.chained_method == "manual_seed" or call.assigned_to in seeded_targets:
                    continue
            elif _seed_given(call.node, *seed) or (
                name in SEED_ALTERNATIVES and _keyword(call.node, SEED_ALTERNATIVES[name])
            ):
                continue
        else:
            continue
        row, column, end_row, end_column = call.parsed.span(call.node)
        fix = (
            _generator_fix(call, library, _fix_seed(nb))
            if _runs_once(call.parsed, call.node)
            else None
        )
        yield Finding(
            call.parsed.cell,
            f"`{call.dotted}` makes a random generator without a seed: its numbers differ "
            "on every run"
            if library != "torch"
            else f"`{call.dotted}()` is never seeded with `.manual_seed(n)`",
            row,
            column,
            end_row,
            end_column,
            symbol=library,
            help=GENERATOR_FIXES[library],
            fix=fix,
        )


def _generator_fix(call: CallSite, library: str, seed: int) -> Fix | None:
    """NBD302's fix: the seed passed first (or in place of `None`); `.manual_seed(seed)` on a
    `torch.Generator()` (it returns the generator), unless `.seed()`, which reseeds it from fresh
    entropy, is called on it right away; `from_seed(seed)` for TensorFlow's
    `from_non_deterministic_state()`, with the arguments it was given."""
    parsed, node = call.parsed, call.node
    if library == "tensorflow":
        _, _, row, column = parsed.span(node.func)
        name = node.func.attr  # from_non_deterministic_state, an attribute's name
        return _unsafe_fix(
            f"Make it with `from_seed({seed})`",
            _edit(parsed, "from_seed", (row, column - len(name)), (row, column)),
            _prepend_argument(parsed, node, str(seed)),
        )
    argument = GENERATORS[call.qualified or ""]
    if argument is None:
        if call.chained_method == "seed":
            return None
        _, _, row, column = parsed.span(node)
        return _unsafe_fix(
            f"Seed it with `.manual_seed({seed})`",
            _edit(parsed, f".manual_seed({seed})", (row, column)),
        )
    given = _argument(node, *argument)
    return _unsafe_fix(
        f"Pass the seed `{seed}`",
        _prepend_argument(parsed, node, str(seed))
        if given is None
        else _replacement(parsed, given, str(seed)),
    )


class _EntropySources:
    """The calls of a notebook that read the clock, the process id or fresh entropy, and the
    seeds made from them."""

    def __init__(self, nb: Analysis) -> None:
        from ..analysis.calls import dotted_name  # the analysis is loaded by now; a run that
        # reuses kept findings imports the rules, not the analysis

        self.dotted_name = dotted_name
        self.nb = nb
        self.names: frozenset[str] | None = None  # made on first need
        self.sources = {
            id(call.node): call
            for call in nb.calls.calls
            if call.qualified in ENTROPY_SOURCES or (call.qualified or "").startswith("secrets.")
        }

    def of_seeding(self, call: CallSite) -> ast.Call | str | None:
        """What a seeding call's seed is made from when it is no seed: the entropy source's call
        (`time.time()`), or "" when `random.seed`/`np.random.seed` is given none."""
        name = normalized(call.qualified) or ""
        reseed = RESEED_FROM_ENTROPY.get(name)
        if name in ALWAYS_FROM_ENTROPY or (
            reseed is not None and not _seed_given(call.node, *reseed)
        ):
            return ""
        for argument in [*call.node.args, *(keyword.value for keyword in call.node.keywords)]:
            if source := self.made_from(argument, call):
                return source
        return None

    def made_from(
        self, node: ast.expr, call: CallSite, follow_names: bool = True
    ) -> ast.Call | None:
        """The entropy source's call a value is computed from, or None."""
        if not self.sources:
            return None
        kind = type(node)
        if kind is ast.Name:
            # `seed = int(time.time())` above; a name in a function body is not looked up.
            if not follow_names or call.deferred or node.id not in self.assigned_sources():
                return None
            value = _value_bound_above(self.nb, node.id, call)
            return None if value is None else self.made_from(value, call, follow_names=False)
        if kind is ast.Call:
            if id(node) in self.sources:
                return node
            func = node.func
            if self.dotted_name(func) in SEED_CONVERSIONS:
                for argument in node.args:
                    if source := self.made_from(argument, call, follow_names):
                        return source
                return None
            if isinstance(func, ast.Attribute) and func.attr in CHANGING_READINGS:
                return self.made_from(func.value, call, follow_names)
            return None
        if kind is ast.Attribute and node.attr in CHANGING_READINGS:
            return self.made_from(node.value, call, follow_names)
        if kind is ast.BinOp:
            return self.made_from(node.left, call, follow_names) or self.made_from(
                node.right, call, follow_names
            )
        if kind is ast.UnaryOp:
            return self.made_from(node.operand, call, follow_names)
        return None

    def assigned_sources(self) -> frozenset[str]:
        """The names a cell's top-level `name = ...` assigns a value holding an entropy source
        (found from the sources, without walking the cells): only those are looked up."""
        if self.names is None:
            names = set()
            for call in self.sources.values():
                if call.deferred or call.parsed.tree is None:
                    continue
                line = call.node.lineno
                for statement in call.parsed.tree.body:
                    if statement.lineno <= line <= (statement.end_lineno or line):
                        targets = getattr(statement, "targets", ())
                        if len(targets) == 1 and isinstance(targets[0], ast.Name):
                            names.add(targets[0].id)
                        break
            self.names = frozenset(names)
        return self.names

    def what(self, source: ast.Call) -> str:
        qualified = self.sources[id(source)].qualified or ""
        return ENTROPY_SOURCES.get(qualified, "fresh entropy from the operating system")


def _value_bound_above(nb: Analysis, name: str, call: CallSite) -> ast.expr | None:
    """The value of a global name where a call runs top to bottom, when the last statement above
    that binds it is a plain `name = value` at the top level of a cell; None when unknown."""
    statement = _binding_above(nb, name, call)
    targets = getattr(statement, "targets", ())
    plain = len(targets) == 1 and isinstance(targets[0], ast.Name)
    return statement.value if plain else None  # type: ignore[union-attr]


def _binding_above(nb: Analysis, name: str, call: CallSite) -> ast.stmt | None:
    """The last statement at the top level of a cell above a call, top to bottom, that may bind
    a global name (a block binding it anywhere inside counts); None when there is none."""
    binding = None
    position = (call.node.lineno, call.node.col_offset)
    for parsed in nb.parsed:
        if parsed.cell.index > call.parsed.cell.index:
            break
        for statement in parsed.tree.body if parsed.tree is not None else ():
            if (
                parsed is call.parsed
                and (statement.end_lineno, statement.end_col_offset) > position
            ):
                break
            if _binds(statement, name):
                binding = statement
    return binding


def _binds(statement: ast.stmt, name: str) -> bool:
    """True when the statement may bind the name (an assignment anywhere in it, a definition, an
    import): any doubt counts as a binding."""
    for node in ast.walk(statement):
        kind = type(node)
        if kind is ast.Name:
            if node.id == name and type(node.ctx) is not ast.Load:
                return True
        elif kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler):
            if node.name == name:
                return True
        elif kind is ast.alias:
            if (node.asname or node.name.split(".")[0]) == name:
                return True
        elif kind in (ast.Global, ast.Nonlocal) and name in node.names:
            return True
    return False


def nondeterministic_seed(nb: Analysis) -> Iterator[Finding]:
    """A seed that is not a seed: made from the clock, the process id or fresh entropy.

    ## What it does
    Flags a seeding call whose seed differs on every run: `random.seed()`, `np.random.seed()`
    and `tf.random.set_seed()` with no seed or `None` (they reseed from fresh entropy),
    `torch.seed()` (which takes none), and a seed made from the clock
    (`time.time()`, `time.time_ns()`, `time.perf_counter()`, `datetime.now()`, `uuid.uuid1()`),
    the process id (`os.getpid()`) or the operating system's entropy (`os.urandom`,
    `uuid.uuid4()`, `secrets.*`), directly, through `int(...)`, `hash(...)` or arithmetic, or
    through a name assigned such a value at the top of a cell above. The same seed passed to a
    generator (`np.random.default_rng(int(time.time()))`) or as `random_state` to a callable
    NBD303 checks is flagged too. Such a call seeds nothing: NBD301 and NBD303 do not count it
    as seeding.

    ## Why is this bad?
    The call looks like seeding, so readers trust the results to repeat; they do not. Every run
    draws other numbers, and the seed that produced a result is lost unless it was printed.

    ## Example
    ```python
    # cell 1, run as [1]
    import time
    import numpy as np
    np.random.seed(int(time.time()))
    ```

    ## Use instead
    ```python
    # cell 1, run as [1]
    import time
    import numpy as np
    np.random.seed(42)
    ```

    ## Fix
    Unsafe: the numbers drawn change. Only for `random.seed()`, `np.random.seed()` and
    `tf.random.set_seed()` given no seed or `None`: passes the seed (`torch.seed()` takes none:
    use `torch.manual_seed(42)`). A seed made from the clock, the process id or fresh entropy gets no
    fix: whoever wrote it wanted other numbers on every run (perhaps printing the seed), and which
    fixed seed to use instead, if any, is theirs to say; nor does a reseeding in a loop, a
    comprehension, a function or a lambda, where a fixed seed would make every run alike. The seed
    written is the `seed` setting, or the repro seed (`[tool.nb-discipline.repro]`) when `seed` is
    left at 42; 42 when neither is configured.
    """
    calls = nb.calls.calls
    entropy = nb.shared(_EntropySources)
    table = configured = {}
    if entropy.sources:
        seeds_of = nb.shared(_Seeding).seeds_of
        table = random_state_table()
        configured = _configured_random_state(nb.settings.random_state_functions)
    else:  # only a seeder of fresh entropy given no seed can be flagged: no helper to find
        calls = [
            call
            for call in calls
            if call.qualified in RESEED_FROM_ENTROPY or call.qualified in ALWAYS_FROM_ENTROPY
        ]

        def seeds_of(call: CallSite) -> frozenset[str]:
            return SEEDERS[call.qualified or ""]

    for call in calls:
        name = normalized(call.qualified) or ""
        libraries = seeds_of(call)
        if libraries:
            source = entropy.of_seeding(call)
            argument = "seed"
            consequence = "and so does every number drawn after it"
        else:
            if name in GENERATORS and GENERATORS[name] is not None:
                argument = f"`{GENERATORS[name][0]}`"
                value = _argument(call.node, *GENERATORS[name])
                consequence = "and so does every number the generator draws"
            elif entry := _random_state_entry(call, table, configured):
                argument = f"`{entry['parameters'][0]}`"
                value = _given_seed(call.node, entry)
                consequence = "and so does its result"
            else:
                continue
            source = None if value is None else entropy.made_from(value, call)
        if source is None:
            continue
        row, column, end_row, end_column = call.parsed.span(call.node.func)
        callee = _callee(call)
        fix = None
        if source == "":
            label = LIBRARY_LABELS[next(iter(libraries))]
            how = "with `None`" if call.node.args or call.node.keywords else "without a seed"
            message = (
                f"`{callee}` is called {how}: it seeds the global random generator of {label} "
                "from fresh entropy, so the numbers drawn after it differ on every run"
            )
            if name in RESEED_FROM_ENTROPY and _runs_once(call.parsed, call.node):
                given = _argument(call.node, *RESEED_FROM_ENTROPY[name])
                seed = str(_fix_seed(nb))
                fix = _unsafe_fix(
                    f"Pass the seed `{seed}`",
                    _prepend_argument(call.parsed, call.node, seed)
                    if given is None
                    else _replacement(call.parsed, given, seed),
                )
        else:
            message = (
                f"The {argument} given to `{callee}` is made from `{ast.unparse(source)}`, "
                f"{entropy.what(source)}: it differs on every run, {consequence}"
            )
        yield Finding(
            call.parsed.cell,
            message,
            row,
            column,
            end_row,
            end_column,
            symbol=name or callee,
            help="Pass a fixed number (`42`); to try several seeds, loop over fixed ones or "
            "print the seed each run uses",
            fix=fix,
        )


def _built_and_never_used(nb: Analysis, call: CallSite) -> bool:
    """An object a class makes (an estimator: its randomness comes when it is fitted), bound to
    a name that nothing reads afterwards, in its cell or below, or made by a statement of its own
    (`LogisticRegression(C=100.0)`, to show its parameters): nothing random ever happens."""
    if not (call.dotted or "").rpartition(".")[2][:1].isupper():
        return False
    name = call.assigned_to
    if name is None:
        return _is_statement(call.parsed.tree.body, call.node)
    if "." in name:
        return False
    after = (call.node.end_lineno, call.node.end_col_offset)
    for statement in call.parsed.tree.body:
        if (statement.end_lineno, statement.end_col_offset) <= after:
            continue  # it ends before the call does: nothing in it comes after
        for node in ast.walk(statement):
            if (
                type(node) is ast.Name
                and node.id == name
                and type(node.ctx) is ast.Load
                and (node.lineno, node.col_offset) > after
            ):
                return False
    return nb.shared(_last_reading_cell).get(name, -1) <= call.parsed.cell.index


def _last_reading_cell(nb: Analysis) -> dict[str, int]:
    """Each name a cell reads from the namespace -> the index of the last cell that does."""
    return {read.name: names.cell.index for names in nb.dataflow.cells for read in names.reads}


# The fields of a statement that hold statements.
STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")


def _is_statement(statements: list[ast.stmt], call: ast.Call) -> bool:
    """The call is a statement of its own, among these statements or in their blocks (only
    the statements on the call's line are opened)."""
    line = call.lineno
    for statement in statements:
        if hasattr(statement, "lineno") and not (
            statement.lineno <= line <= statement.end_lineno  # type: ignore[operator]
        ):
            continue  # (a `case` has no position: it is opened)
        if type(statement) is ast.Expr:
            if statement.value is call:
                return True
            continue
        for field in STATEMENT_LISTS:
            if _is_statement(getattr(statement, field, ()), call):
                return True
    return False


# A decision tree draws only the order in which it tries the features: with one feature there is
# nothing to order (ExtraTree* draw thresholds too, forests draw samples: not these).
SINGLE_TREES = frozenset(
    {"sklearn.tree.DecisionTreeClassifier", "sklearn.tree.DecisionTreeRegressor"}
)


def _draws_only_to_break_ties(call: CallSite) -> bool:
    """A decision tree that tries every feature at each split with its best threshold
    (`max_features` and `splitter` left as they are): the order it draws decides only between
    splits that are exactly as good, which continuous data rarely has and discrete data often does."""
    if normalized(call.qualified) not in SINGLE_TREES:
        return False
    max_features = _keyword(call.node, "max_features")
    splitter = _keyword(call.node, "splitter")
    return (max_features is None or _is_none(max_features)) and (
        splitter is None or (isinstance(splitter, ast.Constant) and splitter.value == "best")
    )


def _tree_fitted_on_one_feature(nb: Analysis, call: CallSite) -> bool:
    """A decision tree bound to a name, only ever fitted (`tree.fit(X, y)`) on data of one
    feature (`df[["x"]]`, `x.reshape(-1, 1)`, `x[:, None]`, or a name bound to one of them),
    and handed to nothing else, until a call outside any function binds the name anew: every
    fit gives the same tree."""
    name = call.assigned_to
    if normalized(call.qualified) not in SINGLE_TREES or name is None or "." in name:
        return False
    if _keyword(call.node, "max_features") is not None or len(call.node.args) > 4:
        return False
    start = (call.parsed.cell.index, call.node.lineno, call.node.col_offset)
    fits = 0
    for site in nb.calls.calls:
        if (site.parsed.cell.index, site.node.lineno, site.node.col_offset) <= start:
            continue
        if site.assigned_to == name and not site.deferred:
            break  # another object from here on
        arguments = [*site.node.args, *(keyword.value for keyword in site.node.keywords)]
        handed = any(type(argument) is ast.Name and argument.id == name for argument in arguments)
        if handed and not _never_fits(nb, site):
            return False  # given to something that may fit it on other data
        if site.dotted == f"{name}.fit":
            data = site.node.args[0] if site.node.args else _keyword(site.node, "X")
            data = _data_bound_above(nb, data, site)
            if data is None or not _one_feature(data):
                return False
            fits += 1
    return fits > 0


# Functions that return rows of the arrays they are given, in their order: `train_test_split`
# returns two parts of each array (train, test), `resample` and `shuffle` one.
ROW_SPLITTERS = {"train_test_split": 2, "resample": 1, "shuffle": 1}


def _data_bound_above(
    nb: Analysis, node: ast.expr | None, site: CallSite, depth: int = 2
) -> ast.expr | None:
    """The expression data given to a call was made from: a name's value bound above
    (`X = df[["x"]]`), or the array whose rows a splitter returned (`X_train, X_test, y_train,
    y_test = train_test_split(X, y)` gives `X`'s rows to `X_train`), followed `depth` names
    deep; None when unknown."""
    if type(node) is not ast.Name:
        return node
    statement = _binding_above(nb, node.id, site) if depth else None
    targets = getattr(statement, "targets", ())
    if len(targets) != 1:
        return None
    target, value = targets[0], statement.value  # type: ignore[union-attr]
    if type(target) is ast.Name:
        return _data_bound_above(nb, value, site, depth - 1)
    if type(target) not in (ast.Tuple, ast.List) or type(value) is not ast.Call:
        return None
    names = [element.id if type(element) is ast.Name else None for element in target.elts]
    func = value.func
    parts = ROW_SPLITTERS.get(func.id if type(func) is ast.Name else getattr(func, "attr", ""))
    if parts is None or node.id not in names or _has_unknown_arguments(value):
        return None
    array = names.index(node.id) // parts
    if array >= len(value.args) or len(names) != parts * len(value.args):
        return None
    return _data_bound_above(nb, value.args[array], site, depth - 1)


def _never_fits(nb: Analysis, site: CallSite) -> bool:
    """The call is of a function the notebook defines whose body fits nothing (a plotting
    helper given the model: `lin_regplot(X, y, tree)`)."""
    callee = site.node.func
    if type(callee) is not ast.Name:
        return False
    definitions = [
        node
        for parsed in nb.parsed
        if parsed.tree is not None
        for node in parsed.tree.body
        if type(node) is ast.FunctionDef and node.name == callee.id
    ]
    return len(definitions) == 1 and not any(
        type(node) is ast.Attribute and node.attr in ("fit", "fit_transform", "fit_predict")
        for node in ast.walk(definitions[0])
    )


def _one_feature(node: ast.expr) -> bool:
    """`df[["x"]]` (with `.values` or `.to_numpy()`), `x.reshape(-1, 1)`, `x[:, None]`,
    `x[:, np.newaxis]`, an array made with the shape `(n, 1)` (`np.random.randn(5000, 1)`)."""
    if type(node) is ast.Attribute and node.attr == "values":
        return _one_feature(node.value)
    if type(node) is ast.Call and _shape_n_by_1(node):
        return True
    if type(node) is ast.Call and type(node.func) is ast.Attribute:
        if node.func.attr == "to_numpy" and not node.args:
            return _one_feature(node.func.value)
        if node.func.attr == "reshape":
            shape = (
                node.args[0].elts
                if len(node.args) == 1 and type(node.args[0]) is ast.Tuple
                else node.args
            )
            return len(shape) == 2 and type(shape[1]) is ast.Constant and shape[1].value == 1
        return False
    if type(node) is ast.Subscript:
        index = node.slice
        if type(index) is ast.List:
            return len(index.elts) == 1 and type(index.elts[0]) is ast.Constant
        if type(index) is ast.Tuple and len(index.elts) == 2:
            first, second = index.elts
            new_axis = (type(second) is ast.Constant and second.value is None) or (
                type(second) is ast.Attribute and second.attr == "newaxis"
            )
            return type(first) is ast.Slice and first.lower is first.upper is None and new_axis
    return False


def _shape_n_by_1(call: ast.Call) -> bool:
    """A NumPy maker given the shape `(n, 1)`: `randn(n, 1)`, `zeros((n, 1))`, `normal(size=(n,
    1))`."""
    if (call.func.attr if type(call.func) is ast.Attribute else None) not in NUMPY_MAKERS:
        return False
    shape = _keyword(call, "size") or _keyword(call, "shape")
    if shape is None and call.args:
        shape = call.args[0] if len(call.args) == 1 else ast.Tuple(elts=call.args[:2])
    if type(shape) is not ast.Tuple or len(shape.elts) != 2:
        return False
    last = shape.elts[1]
    return type(last) is ast.Constant and last.value == 1


NUMPY_MAKERS = frozenset(
    {"randn", "rand", "zeros", "ones", "empty", "normal", "uniform", "standard_normal", "random"}
)


def _argument(call: ast.Call, name: str, position: int) -> ast.expr | None:
    value = _keyword(call, name)
    if value is None and len(call.args) > position:
        value = call.args[position]
    return value


def _seed_given(call: ast.Call, name: str, position: int) -> bool:
    if _has_unknown_arguments(call):
        return True
    value = _argument(call, name, position)
    return value is not None and not _is_none(value)


@cache
def random_state_table() -> dict[str, dict[str, Any]]:
    """The generated table of callables that take a seed argument (read once, when used)."""
    # A plain file next to the package (importlib.resources costs more to import than to read it).
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    with open(os.path.join(package, "data", "random_state.json"), encoding="utf-8") as handle:
        return json.load(handle)["callables"]


def _configured_random_state(entries: list[str]) -> dict[str, dict[str, Any]]:
    """`random-state-functions`: `module.function` or `module.function:seed_argument`."""
    table = {}
    for entry in entries:
        name, _, argument = entry.partition(":")
        table[name.strip()] = {"parameters": [argument.strip() or "random_state"]}
    return table


def _literal(node: ast.expr) -> tuple[bool, Any]:
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _random_under_conditions(call: ast.Call, conditions: dict[str, dict[str, Any]]) -> bool:
    """True when any condition holds, for the argument's literal value or its default."""
    for argument, condition in conditions.items():
        given = _argument(call, argument, condition.get("position", len(call.args)))
        if given is None:
            value = condition.get("default")
        else:
            known, value = _literal(given)
            if not known:
                continue  # computed: do not guess
        if "random" in condition and value in condition["random"]:
            return True
        if "deterministic" in condition and value not in condition["deterministic"]:
            return True
    return False


# What NBD303 adds when a callable given no seed draws from a global generator nothing seeds.
UNSEEDED_FALLBACK = {
    library: f", and nothing above it seeds the global random generator of {label}"
    for library, label in LIBRARY_LABELS.items()
}


def _random_state_entry(
    call: CallSite, table: dict[str, dict[str, Any]], configured: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    """The table's entry for a call, or for a method of an object a listed module made
    (`module:method`: `dist.sample()` on `dist = tfd.Normal(0, 1)`)."""
    name = normalized(call.qualified) or ""
    entry = table.get(name)
    if configured:
        entry = configured.get(name) or configured.get(call.dotted or "") or entry
    if (
        entry is None
        and call.receiver is not None  # only found for `obj.method()`
        and call.node.func.attr in _table_methods()
    ):
        method = call.node.func.attr
        module = call.receiver
        while entry is None and "." in module:
            module = module.rpartition(".")[0]
            entry = table.get(f"{module}:{method}")
    return entry


@cache
def _table_methods() -> frozenset[str]:
    """The methods the table lists for the objects a module makes (`module:method`)."""
    return frozenset(name.partition(":")[2] for name in random_state_table() if ":" in name)


def _given_seed(call: ast.Call, entry: dict[str, Any]) -> ast.expr | None:
    """The seed argument of a call of a table entry, by name or by position."""
    for parameter in entry["parameters"]:
        if (value := _keyword(call, parameter)) is not None:
            return value
    position = entry.get("position")
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _named_templates(calls: Sequence[CallSite], entries: list[dict[str, Any] | None]) -> set[str]:
    """Names handed as the template of a meta-estimator that re-seeds its clones
    (`tree = DecisionTreeClassifier()`, then `BaggingClassifier(tree, random_state=0)`) and used
    for nothing else: no method of theirs is called, so only the clones ever draw."""
    names = {
        template.id
        for call, entry in zip(calls, entries, strict=True)
        if entry is not None
        and "template" in entry
        and isinstance(template := _given_seed(call.node, entry["template"]), ast.Name)
    }
    if names:
        names -= {
            call.dotted.partition(".")[0] for call in calls if call.dotted and "." in call.dotted
        }
    return names


def missing_random_state(nb: Analysis) -> Iterator[Finding]:
    """A callable that takes a seed is called without one, and no global seed stands in for it.

    ## What it does
    Flags a call of an estimator, splitter or function that takes `random_state` (scikit-learn,
    imbalanced-learn, umap), `random_seed` (PyMC) or `seed` (TensorFlow Probability's
    `dist.sample()` and `tfp.mcmc.sample_chain`) when it is called without one, or with `None`,
    and nothing above it seeds the global generator it then draws from: scikit-learn and
    imbalanced-learn draw from NumPy's (`np.random.seed(42)` above makes them repeatable top to
    bottom), PyMC3 from NumPy's, TensorFlow Probability from TensorFlow's; PyMC 4 and later and
    umap are repeatable only with their own seed. The table of such callables is generated from
    the libraries (see `scripts/generate_random_state_table.py`) and ships with nb-discipline, so
    none of them needs to be installed. Callables that are only random for some arguments are
    only flagged then: a splitter with `shuffle=True`, `LogisticRegression` with a `sag` or
    `saga` solver, `dual=True` or an L1 penalty, `SVC(probability=True)`, `PCA` with a
    `randomized` or `arpack` solver. The estimator given to a meta-estimator that re-seeds its clones
    (`BaggingClassifier(DecisionTreeClassifier(), random_state=0)`) is not flagged, nor is an
    estimator bound to a name that nothing reads afterwards or made by a statement of its own
    (built to show it, never fitted: an estimator draws when it is fitted), nor a decision tree
    only ever fitted on one feature (`tree.fit(df[["x"]], y)`, or on the rows
    `train_test_split` or `resample` took from such data: it has no feature order to draw).
    A decision tree left to try every feature with its best threshold (no `max_features`, no
    `splitter="random"`) draws only to break ties between equally good splits: the message says
    its result may change. xgboost, lightgbm and catboost are not flagged: without a seed they use a fixed default one,
    and are reproducible; nor are `randomized_svd` and `AffinityPropagation`, whose default seed
    was a fixed one in the scikit-learn versions many notebooks were written for (0 until 1.2,
    and until 0.23). Nor is a call in a function, or a method of a class, that nothing in the
    notebook may call (as NBD301 judges it). Add your own callables with the
    `random-state-functions` setting (`module.function`, or `module.function:seed_argument`).

    ## Why is this bad?
    With no seed and no global seed above, the library starts from fresh entropy: a different
    train/test split, a different forest, different metrics on every run. A global seed above
    makes the top-to-bottom run repeatable, though re-running one cell still shifts every later
    draw: a seed of its own is what makes each call repeatable alone.

    ## Example
    ```python
    # cell 1, run as [1]
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    model = RandomForestClassifier(n_estimators=200).fit(X_train, y_train)
    ```

    ## Use instead
    ```python
    # cell 1, run as [1]
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import train_test_split
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    model = RandomForestClassifier(n_estimators=200, random_state=42).fit(X_train, y_train)
    ```

    ## Fix
    Unsafe: the result changes. Adds the seed argument the table names (`random_state=42`, `seed=42`
    for TensorFlow Probability, `random_seed=42` for PyMC) after the call's last argument, or
    replaces the `None` it was given; a multi-line call whose arguments end with a comma gets it on
    a line of its own, indented as the last argument. No fix for a call in a loop, a comprehension,
    a function or a lambda: a fixed seed there would make every run of it alike (every bootstrap
    sample the same), which may or may not be what the author wants. The seed written is the `seed`
    setting, or the repro seed (`[tool.nb-discipline.repro]`) when `seed` is left at 42; 42 when
    neither is configured.
    """
    table = random_state_table()
    configured = _configured_random_state(nb.settings.random_state_functions)
    calls = nb.calls.calls
    seeded: list[frozenset[str]] | None = None  # made on first need
    never_run: _NeverRun | None = None
    entries = [
        _random_state_entry(call, table, configured)
        if configured or call.qualified is not None or call.receiver is not None
        else None  # most calls: a name nothing imported, on an object nothing known made
        for call in calls
    ]
    # Estimators a meta-estimator clones and re-seeds: written in its call, or named first.
    templates: set[int] = set()
    template_names = _named_templates(calls, entries)
    for index, call in enumerate(calls):
        entry = entries[index]
        if entry is None or _has_unknown_arguments(call.node) or id(call.node) in templates:
            continue
        if call.deferred:
            never_run = never_run or nb.shared(_NeverRun)
            if call in never_run:
                continue
        if (
            call.assigned_to in template_names
            or _built_and_never_used(nb, call)
            or _tree_fitted_on_one_feature(nb, call)
        ):
            continue
        if "template" in entry and (template := _given_seed(call.node, entry["template"])):
            templates.add(id(template))
        parameters = entry["parameters"]
        given = _given_seed(call.node, entry)
        if given is not None and not _is_none(given):
            continue
        if "when" in entry and not _random_under_conditions(call.node, entry["when"]):
            continue
        library = entry.get("global")
        if library is not None:
            # Given no seed it draws from a library's global generator: seeded above, the
            # top-to-bottom result is the same on every run.
            if seeded is None:
                seeded = nb.shared(_Seeding).seeded_for_each_call
            if library in seeded[index]:
                continue
        name = normalized(call.qualified)
        callee = f"`{_callee(call)}`"
        if name and call.dotted and name.rpartition(".")[2] != call.dotted.rpartition(".")[2]:
            callee += f" ({name})"
        if name is None and call.receiver is not None:  # a method of an object a library made
            name = f"{call.receiver}.{call.node.func.attr}"
        how = f"with `{parameters[0]}=None`" if given is not None else f"without `{parameters[0]}`"
        row, column, end_row, end_column = call.parsed.span(call.node.func)
        fix = None
        if _runs_once(call.parsed, call.node):
            seed = _fix_seed(nb)
            fix = _unsafe_fix(
                f"Pass `{parameters[0]}={seed}`",
                _append_argument(call.parsed, call.node, f"{parameters[0]}={seed}")
                if given is None
                else _replacement(call.parsed, given, str(seed)),
            )
        yield Finding(
            call.parsed.cell,
            f"{callee} is called {how}{UNSEEDED_FALLBACK.get(library, '')}: "
            + (
                "it breaks ties between equally good splits at random, so its result may change "
                "from run to run"
                if _draws_only_to_break_ties(call)
                else "its result changes from run to run"
            ),
            row,
            column,
            end_row,
            end_column,
            symbol=name,
            help=f"Pass `{parameters[0]}=42` (or a seed parameter of the notebook)",
            fix=fix,
        )

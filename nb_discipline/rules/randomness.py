"""NBD3xx: randomness that nobody seeded, so results change from run to run."""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Iterator
from functools import cache

from ..records import TYPE_CHECKING
from .base import Finding

if TYPE_CHECKING:
    from typing import Any

    from ..analysis import Analysis
    from ..analysis.calls import CallSite

ALL_LIBRARIES = frozenset({"random", "numpy", "torch", "tensorflow", "keras"})

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
}
# Called with no seed (or None), these seed from fresh entropy: the opposite of seeding.
RESEED_FROM_ENTROPY = {"random.seed": "a", "numpy.random.seed": "seed"}
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
# Layers whose construction draws initial weights (or whose use draws masks) from the global
# generator.
TORCH_RANDOM_LAYERS = frozenset(
    [
        "Linear",
        "Bilinear",
        "LazyLinear",
        "Conv1d",
        "Conv2d",
        "Conv3d",
        "ConvTranspose1d",
        "ConvTranspose2d",
        "ConvTranspose3d",
        "LazyConv1d",
        "LazyConv2d",
        "LazyConv3d",
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
        "PReLU",
    ]
)
# torch.utils.data helpers that use the global generator unless given `generator=`.
TORCH_DATA_SHUFFLERS = frozenset(
    {"random_split", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler"}
)
TENSORFLOW_RANDOM_FUNCTIONS = frozenset(
    ["normal", "uniform", "truncated_normal", "shuffle", "categorical", "gamma", "poisson"]
)
KERAS_RANDOM_LAYERS = frozenset(
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


def _is_pandas_sample(call: ast.Call) -> bool:
    """`df.sample(frac=0.1)` / `s.sample(n=5)`: pandas draws from NumPy's global generator when
    no `random_state` is given. The `frac`/`n` keywords tell it from other `sample` methods."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr != "sample":
        return False
    keywords = {keyword.arg for keyword in call.keywords}
    return bool(keywords & {"frac", "n"}) and not keywords & {"random_state", None}


def _callee(call: CallSite) -> str:
    return call.dotted or ast.unparse(call.node.func)


def global_rng_library(call: CallSite) -> str | None:
    """The library whose global generator this call draws from, if it does."""
    name = normalized(call.qualified)
    if name is None:
        return "numpy" if _is_pandas_sample(call.node) else None
    module, _, function = name.rpartition(".")
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
    if module == "torch.nn" and function in TORCH_RANDOM_LAYERS:
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
    if module == "keras.layers" and function in KERAS_RANDOM_LAYERS:
        return None if _keyword(node, "seed") is not None else "keras"
    return None


class _Seeding:
    """Which libraries each call seeds, with the notebook's own seeding helpers."""

    def __init__(self, nb: Analysis) -> None:
        self.configured = frozenset(nb.settings.seed_functions)
        self.notebook_functions = nb.calls.functions
        self.local_seeders: dict[str, frozenset[str]] = {}
        # A helper that calls seeders seeds what they seed; helpers may call helpers.
        inside_functions = [call for call in nb.calls.calls if call.function is not None]
        for _ in range(3):
            for call in inside_functions:
                if seeded := self.seeded_by(call):
                    known = self.local_seeders.get(call.function, frozenset())
                    self.local_seeders[call.function] = known | seeded

    def seeded_by(self, call: CallSite) -> frozenset[str]:
        name = normalized(call.qualified)
        if name in SEEDERS:
            argument = RESEED_FROM_ENTROPY.get(name)
            if argument is not None and not _seed_given(call.node, argument, 0):
                return frozenset()
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
    seeded nowhere in the notebook.

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
    """
    seeding = _Seeding(nb)
    calls = nb.calls.calls
    seeds = [seeding.seeded_by(call) for call in calls]
    seeded: set[str] = set()
    seeded_anywhere = set().union(*seeds)
    # `%%production` seeds every library before its cell runs, and for every cell after it.
    first_production = min(
        (p.cell.index for p in nb.parsed if p.cell_magic == "production"), default=None
    )
    if first_production is not None:
        seeded_anywhere |= ALL_LIBRARIES
    unseeded_uses: dict[str, list[CallSite]] = {}
    for call, seeds_of_call in zip(calls, seeds, strict=True):
        if first_production is not None and call.parsed.cell.index >= first_production:
            seeded |= ALL_LIBRARIES
        if not call.deferred:
            seeded |= seeds_of_call
        library = global_rng_library(call)
        if library is None or library in seeded:
            continue
        if call.deferred and library in seeded_anywhere:
            continue
        unseeded_uses.setdefault(library, []).append(call)
    for library, uses in unseeded_uses.items():
        first = uses[0]
        more = f" ({len(uses) - 1} more uses below)" if len(uses) > 1 else ""
        row, column, end_row, end_column = first.parsed.span(first.node.func)
        yield Finding(
            first.parsed.cell,
            f"`{_callee(first)}` draws from the global random generator of "
            f"{LIBRARY_LABELS[library]}, which nothing seeds before it{more}",
            row,
            column,
            end_row,
            end_column,
            symbol=library,
            fix=f"Seed it before its first use: `{SEED_EXAMPLES[library]}`, or "
            "`nb_discipline.seed_everything(42)` for every library",
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
    generators does not help: these objects take their own seed.

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
    """
    calls = nb.calls.calls
    seeded_targets = {
        call.dotted.rpartition(".")[0]
        for call in calls
        if call.dotted is not None and call.dotted.endswith(".manual_seed")
    }
    for call in calls:
        name = call.qualified
        if name == "tensorflow.random.Generator.from_non_deterministic_state":
            library = "tensorflow"
        elif name in GENERATORS:
            library = name.split(".")[0]
            seed = GENERATORS[name]
            if seed is None:
                if call.chained_method == "manual_seed" or call.assigned_to in seeded_targets:
                    continue
            elif _seed_given(call.node, *seed):
                continue
        else:
            continue
        row, column, end_row, end_column = call.parsed.span(call.node)
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
            fix=GENERATOR_FIXES[library],
        )


def _seed_given(call: ast.Call, name: str, position: int) -> bool:
    if _has_unknown_arguments(call):
        return True
    value = _keyword(call, name)
    if value is None and len(call.args) > position:
        value = call.args[position]
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
        given = _keyword(call, argument)
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


def missing_random_state(nb: Analysis) -> Iterator[Finding]:
    """A scikit-learn (or umap) callable that takes `random_state` is called without one.

    ## What it does
    Flags a call of an estimator, splitter or function that takes `random_state` when it is
    called without one, or with `None`. The table of such callables is generated from the
    libraries (see `scripts/generate_random_state_table.py`) and ships with nb-discipline, so
    none of them needs to be installed. Callables that are only random for some arguments are
    only flagged then: a splitter with `shuffle=True`, `LogisticRegression` with a `sag`, `saga`
    or `liblinear` solver, `SVC(probability=True)`. xgboost, lightgbm and catboost are not
    flagged: without a seed they use a fixed default one, and are reproducible. Add your own
    callables with the `random-state-functions` setting (`module.function`, or
    `module.function:seed_argument`).

    ## Why is this bad?
    With `random_state=None` the library seeds from global state or fresh entropy: a different
    train/test split, a different forest, different metrics on every run.

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
    """
    table = random_state_table()
    configured = _configured_random_state(nb.settings.random_state_functions)
    for call in nb.calls.calls:
        name = normalized(call.qualified)
        entry = configured.get(name or "") or configured.get(call.dotted or "")
        entry = entry or table.get(name or "")
        if entry is None or _has_unknown_arguments(call.node):
            continue
        parameters = entry["parameters"]
        given = next((_keyword(call.node, p) for p in parameters if _keyword(call.node, p)), None)
        position = entry.get("position")
        if given is None and position is not None and len(call.node.args) > position:
            given = call.node.args[position]
        if given is not None and not _is_none(given):
            continue
        if "when" in entry and not _random_under_conditions(call.node, entry["when"]):
            continue
        callee = f"`{call.dotted}`"
        if name and call.dotted and name.rpartition(".")[2] != call.dotted.rpartition(".")[2]:
            callee += f" ({name})"
        how = f"with `{parameters[0]}=None`" if given is not None else f"without `{parameters[0]}`"
        row, column, end_row, end_column = call.parsed.span(call.node.func)
        yield Finding(
            call.parsed.cell,
            f"{callee} is called {how}: its result changes from run to run",
            row,
            column,
            end_row,
            end_column,
            symbol=name,
            fix=f"Pass `{parameters[0]}=42` (or a seed parameter of the notebook)",
        )

"""The fixes of the randomness rules (NBD301-NBD304): every one unsafe; applied by
`nbcheck --fix --unsafe-fixes` (in memory, and end to end on files), the cells must still parse
and the finding must be gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nb_discipline.analysis.source import parse_source
from nb_discipline.config import ReproSettings, Settings
from nb_discipline.engine import check
from nb_discipline.fix import Policy, fix_notebook
from nb_discipline.loader import load
from nb_discipline.model import Notebook
from nb_discipline.rules import lookup
from tests.builders import code, notebook, write_notebook

RANDOMNESS = ("NBD301", "NBD302", "NBD303", "NBD304")
REALWORLD = Path(__file__).parent / "realworld"


def fix_all(nb: Notebook, codes=RANDOMNESS, settings: Settings | None = None) -> Notebook:
    """The notebook after `nbcheck --fix --unsafe-fixes` with the rules given, in memory."""
    settings = (settings or Settings()).replace(unsafe_fixes=True)
    rules = [lookup(code_) for code_ in codes]
    outcome = fix_notebook(nb, b"", settings, Policy.of(settings), rules)
    assert outcome.warning is None, outcome.warning
    cells = tuple(
        cell._replace(source=outcome.sources[cell.index][1])
        if cell.index in outcome.sources
        else cell
        for cell in nb.cells
    )
    return nb._replace(cells=cells)


# A last cell that uses what the cells make: an estimator built and never used draws nothing.
USES = "print(model, m, kf, clf, rng, gen)"


def build(*cells: str) -> Notebook:
    sources = (*cells, USES)
    return notebook(*(code(source, count) for count, source in enumerate(sources, 1)))


def fixed_cells(code_: str, *cells: str, settings: Settings | None = None) -> list[str]:
    """The cells after every fix of the rule; each must parse and the rule must be silent."""
    nb = fix_all(build(*cells), (code_,), settings)
    for cell in nb.code_cells:
        parsed = parse_source(cell.source)
        assert parsed.syntax_error is None, (cell.source, parsed.syntax_error)
    remaining = check(nb, settings or Settings(), rules=[lookup(code_)])
    assert [d.message for d in remaining] == [], [cell.source for cell in nb.code_cells]
    return [cell.source for cell in nb.code_cells[:-1]]


def fixes(code_: str, *cells: str, settings: Settings | None = None) -> list:
    found = check(build(*cells), settings or Settings(), rules=[lookup(code_)])
    assert found, "the rule is silent"
    return [d.fix for d in found]


# --- NBD303 ---------------------------------------------------------------------------------

SKLEARN = (
    "from sklearn.ensemble import RandomForestClassifier\n"
    "from sklearn.model_selection import KFold, train_test_split\n"
    "import pymc as pm"
)


@pytest.mark.parametrize(
    ("call", "fixed"),
    [
        ("model = RandomForestClassifier()", "model = RandomForestClassifier(random_state=42)"),
        ("model = RandomForestClassifier( )", "model = RandomForestClassifier( random_state=42)"),
        (
            "split = train_test_split(X, y, test_size=0.2)",
            "split = train_test_split(X, y, test_size=0.2, random_state=42)",
        ),
        ("split = train_test_split(X, (y))", "split = train_test_split(X, (y), random_state=42)"),
        (
            "split = train_test_split((X), ((y)),)",
            "split = train_test_split((X), ((y)), random_state=42)",
        ),
        (
            "kf = KFold(5, shuffle=True, random_state=None)",
            "kf = KFold(5, shuffle=True, random_state=42)",
        ),
        (
            "kf = KFold(5, shuffle=True, random_state=(None))",
            "kf = KFold(5, shuffle=True, random_state=(42))",
        ),
        (
            "model = RandomForestClassifier(\n    n_estimators=100,\n    max_depth=3,\n)",
            "model = RandomForestClassifier(\n    n_estimators=100,\n    max_depth=3,\n"
            "    random_state=42,\n)",
        ),
        (
            "model = RandomForestClassifier(\n    n_estimators=100,  # many\n    max_depth=3,  # shallow\n)",
            "model = RandomForestClassifier(\n    n_estimators=100,  # many\n    max_depth=3,  # shallow\n"
            "    random_state=42,\n)",
        ),
        (
            "model = RandomForestClassifier(\n    n_estimators=100  # many, (see below)\n)",
            "model = RandomForestClassifier(\n    n_estimators=100, random_state=42  # many, (see below)\n)",
        ),
        (
            "model = RandomForestClassifier(n_estimators=100,\n                               max_depth=3)",
            "model = RandomForestClassifier(n_estimators=100,\n                               max_depth=3, random_state=42)",
        ),
        (
            "model = RandomForestClassifier(n_estimators=100, \\\n    max_depth=3 \\\n)",
            "model = RandomForestClassifier(n_estimators=100, \\\n    max_depth=3, random_state=42 \\\n)",
        ),
        ("données = train_test_split(é, ü)", "données = train_test_split(é, ü, random_state=42)"),
        ("trace = pm.sample(1000)", "trace = pm.sample(1000, random_seed=42)"),
        (
            "%time model = RandomForestClassifier().fit(X, y)",
            "%time model = RandomForestClassifier(random_state=42).fit(X, y)",
        ),
    ],
)
def test_random_state_is_passed_where_the_call_is_written(call: str, fixed: str) -> None:
    assert fixed_cells("NBD303", SKLEARN, call)[1] == fixed


def test_the_random_state_fix_is_unsafe_and_says_what_it_does() -> None:
    (fix,) = fixes("NBD303", SKLEARN, "model = RandomForestClassifier()")
    assert (fix.applicability, fix.message) == ("unsafe", "Pass `random_state=42`")
    assert [edit.to_dict() for edit in fix.edits] == [
        {
            "content": "random_state=42",
            "location": {"row": 1, "column": 32},
            "end_location": {"row": 1, "column": 32},
            "cell": 2,
        }
    ]


def test_tensorflow_probability_samples_get_a_seed() -> None:
    cells = (
        "import tensorflow_probability as tfp\ntfd = tfp.distributions",
        "dist = tfd.Normal(0.0, 1.0)\nx = dist.sample(100)",
    )
    assert fixed_cells("NBD303", *cells)[1] == (
        "dist = tfd.Normal(0.0, 1.0)\nx = dist.sample(100, seed=42)"
    )


@pytest.mark.parametrize(
    ("settings", "seed"),
    [
        (Settings(seed=7), "7"),
        (Settings(repro=ReproSettings(seed=9)), "9"),
        (Settings(seed=7, repro=ReproSettings(seed=9)), "7"),
        (Settings(), "42"),
    ],
)
def test_the_configured_seed_is_written(settings: Settings, seed: str) -> None:
    cells = fixed_cells("NBD303", SKLEARN, "m = RandomForestClassifier()", settings=settings)
    assert cells[1] == f"m = RandomForestClassifier(random_state={seed})"


def test_keyword_arguments_unpacked_may_hold_the_seed_so_no_finding_and_no_fix() -> None:
    nb = build(SKLEARN, "m = RandomForestClassifier(**params)")
    assert check(nb, Settings(), rules=[lookup("NBD303")]) == []


def test_calls_in_a_pasted_session_with_prompts() -> None:
    session = ">>> m = RandomForestClassifier(\n...     n_estimators=10)"
    assert fixed_cells("NBD303", SKLEARN, session)[1] == (
        ">>> m = RandomForestClassifier(\n...     n_estimators=10, random_state=42)"
    )
    # A prompt between the last argument and the parenthesis: no place is sure.
    assert fixes("NBD303", SKLEARN, ">>> m = RandomForestClassifier(5,\n... )") == [None]


def test_a_generator_expression_sharing_the_parentheses_gets_no_fix() -> None:
    (fix,) = fixes(
        "NBD303",
        "from mylib import build",
        "m = build(x for x in xs)",
        settings=Settings(random_state_functions=["mylib.build"]),
    )
    assert fix is None


@pytest.mark.parametrize(
    ("code_", "cells"),
    [
        # Every bootstrap sample, every fold, every call's generator would be the same.
        ("NBD303", (SKLEARN, "for i in range(100):\n    parts.append(train_test_split(X, y))")),
        ("NBD303", (SKLEARN, "models = [RandomForestClassifier() for _ in range(5)]")),
        (
            "NBD303",
            (SKLEARN, "def fit(X, y):\n    return RandomForestClassifier().fit(X, y)\nfit(X, y)"),
        ),
        (
            "NBD302",
            (
                "import numpy as np",
                "def draw(rng=None):\n    rng = rng or np.random.default_rng()\ndraw()",
            ),
        ),
        ("NBD302", ("import numpy as np", "while go:\n    rng = np.random.default_rng()")),
        ("NBD304", ("import random", "for trial in range(3):\n    random.seed()\n    run()")),
        ("NBD304", ("import random", "reset = lambda: random.seed()")),
    ],
)
def test_a_call_that_runs_again_and_again_gets_no_fix(code_: str, cells: tuple[str, ...]) -> None:
    assert fixes(code_, *cells) == [None]


def test_a_call_in_an_if_with_or_try_block_runs_once() -> None:
    source = "if ok:\n    with ctx:\n        try:\n            m = RandomForestClassifier()\n        except ValueError:\n            pass"
    assert "RandomForestClassifier(random_state=42)" in fixed_cells("NBD303", SKLEARN, source)[1]


# --- NBD302 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "fixed"),
    [
        ("rng = np.random.default_rng()", "rng = np.random.default_rng(42)"),
        ("rng = np.random.default_rng(None)", "rng = np.random.default_rng(42)"),
        ("rng = np.random.default_rng(seed=None)", "rng = np.random.default_rng(seed=42)"),
        ("rs = np.random.RandomState()", "rs = np.random.RandomState(42)"),
        ("rs = (np.random.RandomState)()", "rs = (np.random.RandomState)(42)"),
        (
            "ss = np.random.SeedSequence(pool_size=8)",
            "ss = np.random.SeedSequence(42, pool_size=8)",
        ),
        (
            "ss = np.random.SeedSequence(\n    pool_size=8)",
            "ss = np.random.SeedSequence(\n    42, pool_size=8)",
        ),
        ("r = random.Random()", "r = random.Random(42)"),
        ("g = torch.Generator()", "g = torch.Generator().manual_seed(42)"),
        (
            "g = torch.Generator(device='cpu')",
            "g = torch.Generator(device='cpu').manual_seed(42)",
        ),
        (
            "loader = DataLoader(ds, generator=torch.Generator())",
            "loader = DataLoader(ds, generator=torch.Generator().manual_seed(42))",
        ),
        (
            "g = tf.random.Generator.from_non_deterministic_state()",
            "g = tf.random.Generator.from_seed(42)",
        ),
        (
            "g = tf.random.Generator.from_non_deterministic_state(alg='philox')",
            "g = tf.random.Generator.from_seed(42, alg='philox')",
        ),
    ],
)
def test_generators_get_a_seed(source: str, fixed: str) -> None:
    imports = (
        "import random\nimport numpy as np\nimport torch\nimport tensorflow as tf\n"
        "from torch.utils.data import DataLoader"
    )
    assert fixed_cells("NBD302", imports, source)[1] == fixed


def test_generator_fix_messages() -> None:
    imports = "import numpy as np\nimport torch\nimport tensorflow as tf"
    sources = (
        "a = np.random.default_rng()",
        "b = torch.Generator()",
        "c = tf.random.Generator.from_non_deterministic_state()",
    )
    found = fixes("NBD302", imports, "\n".join(sources))
    assert [(fix.applicability, fix.message) for fix in found] == [
        ("unsafe", "Pass the seed `42`"),
        ("unsafe", "Seed it with `.manual_seed(42)`"),
        ("unsafe", "Make it with `from_seed(42)`"),
    ]


def test_a_torch_generator_reseeded_from_entropy_right_away_gets_no_fix() -> None:
    assert fixes("NBD302", "import torch", "n = torch.Generator().seed()") == [None]


# --- NBD304 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seeding", "fixed"),
    [
        ("random.seed()", "random.seed(42)"),
        ("np.random.seed(None)", "np.random.seed(42)"),
        ("np.random.seed(seed=None)", "np.random.seed(seed=42)"),
        ("random.seed(None, version=2)", "random.seed(42, version=2)"),
    ],
)
def test_reseeding_from_entropy_gets_the_seed(seeding: str, fixed: str) -> None:
    assert fixed_cells("NBD304", "import random\nimport numpy as np", seeding)[1] == fixed


@pytest.mark.parametrize(
    "seeding",
    [
        "np.random.seed(int(time.time()))",
        "seed = int(time.time())\nprint(seed)\nnp.random.seed(seed)",
        "rng = np.random.default_rng(int(time.time()))",
    ],
)
def test_a_seed_made_from_the_clock_gets_no_fix(seeding: str) -> None:
    # Whoever wrote it wanted other numbers on every run, perhaps printing the seed: which
    # fixed seed, and whether to keep the variation, is theirs to say.
    assert fixes("NBD304", "import time\nimport numpy as np", seeding) == [None]


# --- NBD301 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("imports", "use", "fixed"),
    [
        ("import numpy as np", "x = np.random.rand(3)", "import numpy as np\nnp.random.seed(42)"),
        ("import numpy", "x = numpy.random.rand(3)", "import numpy\nnumpy.random.seed(42)"),
        (
            "import numpy.random",
            "x = numpy.random.rand(3)",
            "import numpy.random\nnumpy.random.seed(42)",
        ),
        (
            "import numpy.random as npr",
            "x = npr.rand(3)",
            "import numpy.random as npr\nnpr.seed(42)",
        ),
        (
            "from numpy import random as npr",
            "x = npr.rand(3)",
            "from numpy import random as npr\nnpr.seed(42)",
        ),
        ("import random", "random.shuffle(items)", "import random\nrandom.seed(42)"),
        ("import torch", "x = torch.randn(3)", "import torch\ntorch.manual_seed(42)"),
        (
            "import tensorflow as tf",
            "x = tf.random.normal([3])",
            "import tensorflow as tf\ntf.random.set_seed(42)",
        ),
        (
            "import keras",
            "layer = keras.layers.Dense(3)",
            "import keras\nkeras.utils.set_random_seed(42)",
        ),
        (
            "import tensorflow as tf\nfrom tensorflow import keras",
            "layer = keras.layers.Dense(3)",
            "import tensorflow as tf\ntf.keras.utils.set_random_seed(42)\nfrom tensorflow import keras",
        ),
        (
            "import numpy as np  # arrays\nimport pandas as pd",
            "df.sample(frac=0.5)",
            "import numpy as np  # arrays\nnp.random.seed(42)\nimport pandas as pd",
        ),
        (
            "try:\n    import torch\nexcept ImportError:\n    pass",
            "x = torch.rand(2)",
            "try:\n    import torch\n    torch.manual_seed(42)\nexcept ImportError:\n    pass",
        ),
        (
            "if GPU:\n    import torch\nelse:\n    import torch",
            "x = torch.rand(2)",
            "if GPU:\n    import torch\n    torch.manual_seed(42)\nelse:\n    import torch",
        ),
        (
            "if GPU: import torch",
            "x = torch.rand(2)",
            "if GPU: import torch; torch.manual_seed(42)",
        ),
        (
            "import os; import random; print(os.name)",
            "random.random()",
            "import os; import random; random.seed(42); print(os.name)",
        ),
        (
            "from numpy.random import rand",
            "x = rand(3)",
            "from numpy.random import rand\nimport numpy as np\nnp.random.seed(42)",
        ),
        (
            "from random import choice",
            "choice(items)",
            "from random import choice\nimport random\nrandom.seed(42)",
        ),
        (
            "from tensorflow.keras.layers import Dense",
            "layer = Dense(3)",
            "from tensorflow.keras.layers import Dense\nimport tensorflow as tf\n"
            "tf.keras.utils.set_random_seed(42)",
        ),
        (
            "%matplotlib inline\nimport numpy as np",
            "x = np.random.rand(3)",
            "%matplotlib inline\nimport numpy as np\nnp.random.seed(42)",
        ),
        (
            "from numpy import (\n    array,\n    random,\n)",
            "x = random.rand(3)",
            "from numpy import (\n    array,\n    random,\n)\nrandom.seed(42)",
        ),
        (
            "import numpy as np\r\nimport pandas as pd",
            "x = np.random.rand(3)",
            "import numpy as np\r\nnp.random.seed(42)\r\nimport pandas as pd",
        ),
    ],
)
def test_the_library_is_seeded_right_after_its_import(imports: str, use: str, fixed: str) -> None:
    assert fixed_cells("NBD301", imports, use)[0] == fixed


@pytest.mark.parametrize(
    ("cells", "fixed"),
    [
        (
            (
                "import tensorflow as tf",
                "x = tf.placeholder(tf.float32)\ny = tf.random.normal([3])",
            ),
            "import tensorflow as tf\ntf.set_random_seed(42)",
        ),
        (
            (
                "import tensorflow.compat.v1 as tf\nfrom tensorflow.keras import layers",
                "layer = layers.Dense(3)",
            ),
            "import tensorflow.compat.v1 as tf\ntf.set_random_seed(42)\n"
            "from tensorflow.keras import layers",
        ),
    ],
)
def test_tensorflow_1_is_seeded_with_its_own_seeder(cells: tuple[str, str], fixed: str) -> None:
    assert fixed_cells("NBD301", *cells)[0] == fixed


def test_an_import_the_fix_adds_may_repeat_one_below() -> None:
    cells = fixed_cells(
        "NBD301",
        "from tensorflow.keras import layers",
        "layer = layers.Dense(3)",
        "import tensorflow as tf",
    )
    assert cells[0] == (
        "from tensorflow.keras import layers\nimport tensorflow as tf\n"
        "tf.keras.utils.set_random_seed(42)"
    )


def test_each_library_of_a_cell_is_seeded_after_its_own_import() -> None:
    imports = "import numpy as np\nimport random\nimport torch"
    uses = "np.random.rand(2)\nrandom.random()\ntorch.rand(2)"
    assert fixed_cells("NBD301", imports, uses)[0] == (
        "import numpy as np\nnp.random.seed(42)\nimport random\nrandom.seed(42)\n"
        "import torch\ntorch.manual_seed(42)"
    )
    found = fixes("NBD301", imports, uses)
    assert [fix.message for fix in found] == [
        "Insert `np.random.seed(42)` after the import in cell 1",
        "Insert `random.seed(42)` after the import in cell 1",
        "Insert `torch.manual_seed(42)` after the import in cell 1",
    ]
    assert {fix.applicability for fix in found} == {"unsafe"}


def test_libraries_imported_by_one_statement_are_each_seeded_once() -> None:
    cells = fixed_cells(
        "NBD301", "import numpy as np, random", "np.random.rand(2)\nrandom.random()"
    )
    assert sorted(cells[0].splitlines()) == [
        "import numpy as np, random",
        "np.random.seed(42)",
        "random.seed(42)",
    ]


def test_tensorflow_and_tf_keras_get_the_same_edit_and_one_seed() -> None:
    imports = "import tensorflow as tf\nfrom tensorflow import keras"
    uses = "x = tf.random.normal([3])\nlayer = keras.layers.Dense(3)"
    first, second = fixes("NBD301", imports, uses)
    assert first.edits == second.edits
    assert fixed_cells("NBD301", imports, uses)[0] == (
        "import tensorflow as tf\ntf.keras.utils.set_random_seed(42)\nfrom tensorflow import keras"
    )


def test_the_first_import_above_the_use_is_seeded() -> None:
    cells = fixed_cells(
        "NBD301", "from numpy.random import rand", "import numpy as np", "x = rand(3)"
    )
    assert cells[:2] == ["from numpy.random import rand", "import numpy as np\nnp.random.seed(42)"]


def test_an_import_inside_a_prompt_session_is_seeded_on_its_line() -> None:
    cells = fixed_cells("NBD301", ">>> import numpy as np\n>>> x = np.random.rand(3)")
    assert cells == [">>> import numpy as np; np.random.seed(42)\n>>> x = np.random.rand(3)"]


@pytest.mark.parametrize(
    "cells",
    [
        # Imported only in a function or a loop: a seed there would run on every call.
        ("def noise():\n    import numpy as np\n    return np.random.rand()", "noise()"),
        ("for name in names:\n    import random\n    random.random()",),
        # The name an added import would bind may be something else.
        ("from random import choice\nrandom = 3", "choice(items)"),
        ("from random import choice\nfrom numpy import *", "choice(items)"),
        ("from random import choice\n%run setup.py", "choice(items)"),
        ("import pandas as pd", "df.sample(frac=0.5)"),  # numpy is imported nowhere
        # Seeded from the clock above the use (NBD304): a seed after the import would leave
        # the numbers as they are.
        (
            "import time\nimport numpy as np",
            "np.random.seed(int(time.time()))",
            "np.random.rand(2)",
        ),
    ],
)
def test_no_seed_is_inserted_where_it_would_not_seed_the_uses(cells: tuple[str, ...]) -> None:
    assert fixes("NBD301", *cells) == [None]


def test_nbd304_fix_seeds_what_nbd301_reports_after_it() -> None:
    cells = ("import numpy as np", "np.random.seed()", "np.random.rand(2)")
    assert fixes("NBD301", *cells) == [None]
    nb = fix_all(build(*cells))
    assert [cell.source for cell in nb.code_cells[:-1]] == [
        "import numpy as np",
        "np.random.seed(42)",
        "np.random.rand(2)",
    ]
    assert check(nb, Settings(), rules=[lookup(code_) for code_ in RANDOMNESS]) == []


# --- real notebooks ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(REALWORLD.glob("*.ipynb")), ids=lambda path: path.name)
def test_fixes_on_real_notebooks_parse_and_remove_their_findings(path: Path) -> None:
    nb = load(str(path))
    rules = [lookup(code_) for code_ in RANDOMNESS]
    before = check(nb, Settings(), rules=rules)
    fixed = fix_all(nb)
    after = check(fixed, Settings(), rules=rules)
    assert {d.message for d in after} <= {d.message for d in before if d.fix is None}
    for original, cell in zip(nb.code_cells, fixed.code_cells, strict=True):
        if cell.source != original.source:
            assert parse_source(cell.source).syntax_error is None, cell.source


# --- end to end: nbcheck --fix ----------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # the project root: no configuration above it counts
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _sources(path: Path) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]


def _without_sources(path: Path | bytes) -> dict:
    document = json.loads(path if isinstance(path, bytes) else path.read_bytes())
    for cell in document["cells"]:
        del cell["source"]
    return document


CELLS = (
    "import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier",
    "noise = np.random.normal(size=10)\nrng = np.random.default_rng()",
    "model = RandomForestClassifier(\n    n_estimators=10,\n)",
    "model.fit(noise.reshape(-1, 1), noise > 0)",
)


def test_nbcheck_fix_writes_the_seeds_only_with_unsafe_fixes(project: Path, nbcheck) -> None:
    path = write_notebook(project / "nb.ipynb", *(code(s, n) for n, s in enumerate(CELLS, 1)))
    before = path.read_bytes()
    safe_only = nbcheck("--no-cache", "--fix", "--select", "NBD3", "nb.ipynb")
    assert path.read_bytes() == before
    assert safe_only.out.splitlines()[-1] == (
        "3 unsafe fixes available with `--fix --unsafe-fixes`."
    )
    fixed = nbcheck("--no-cache", "--fix", "--unsafe-fixes", "--select", "NBD3", "nb.ipynb")
    assert fixed.exit_code == 0, fixed.out
    assert _sources(path) == [
        "import numpy as np\nnp.random.seed(42)\n"
        "from sklearn.ensemble import RandomForestClassifier",
        "noise = np.random.normal(size=10)\nrng = np.random.default_rng(42)",
        "model = RandomForestClassifier(\n    n_estimators=10,\n    random_state=42,\n)",
        "model.fit(noise.reshape(-1, 1), noise > 0)",
    ]
    assert _without_sources(path) == _without_sources(before)
    again = nbcheck("--no-cache", "--fix", "--unsafe-fixes", "nb.ipynb")
    assert [line for line in again.out.splitlines() if "NBD3" in line] == []


def test_nbcheck_fix_writes_the_configured_seed(project: Path, nbcheck) -> None:
    (project / "pyproject.toml").write_text("[tool.nb-discipline]\nseed = 2024\n")
    path = write_notebook(project / "nb.ipynb", *(code(s, n) for n, s in enumerate(CELLS, 1)))
    result = nbcheck("--no-cache", "--fix", "--unsafe-fixes", "--select", "NBD3", "nb.ipynb")
    assert result.exit_code == 0, result.out
    assert [source for source in _sources(path) if "2024" in source] == [
        "import numpy as np\nnp.random.seed(2024)\n"
        "from sklearn.ensemble import RandomForestClassifier",
        "noise = np.random.normal(size=10)\nrng = np.random.default_rng(2024)",
        "model = RandomForestClassifier(\n    n_estimators=10,\n    random_state=2024,\n)",
    ]


def test_nbcheck_fix_on_the_real_notebooks(project: Path, nbcheck) -> None:
    """Every NBD30x fix of tests/realworld applied to a copy: what stays is what had no fix,
    and nothing but the edited cells' sources changed."""
    for original in sorted(REALWORLD.glob("*.ipynb")):
        path = project / original.name
        shutil.copyfile(original, path)
    select = ("--no-cache", "--select", "NBD3", "--output-format", "json")
    before = json.loads(nbcheck(*select, ".").out)
    nbcheck("--no-cache", "--fix", "--unsafe-fixes", "--select", "NBD3", ".")
    after = json.loads(nbcheck(*select, ".").out)
    unfixable = [(d["filename"], d["code"], d["message"]) for d in before if d["fix"] is None]
    assert [(d["filename"], d["code"], d["message"]) for d in after] == unfixable
    assert len(before) > len(after)
    for original in sorted(REALWORLD.glob("*.ipynb")):
        assert _without_sources(project / original.name) == _without_sources(original)
        for source in _sources(project / original.name):
            assert parse_source(source).syntax_error is None or source in _sources(original)

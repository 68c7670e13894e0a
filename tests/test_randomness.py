"""NBD301 unseeded-global-rng, NBD302 unseeded-generator, NBD303 missing-random-state,
NBD304 nondeterministic-seed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.rules import lookup
from nb_discipline.rules.randomness import random_state_table
from tests.builders import code, notebook


def findings(code_: str, *cells: str, settings: Settings | None = None, magic: str = ""):
    nb = notebook(*(code(source, count) for count, source in enumerate(cells, 1)))
    return check(nb, settings or Settings(), rules=[lookup(code_)])


def messages(code_: str, *cells: str, **options) -> list[str]:
    return [diagnostic.message for diagnostic in findings(code_, *cells, **options)]


def symbols(code_: str, *cells: str, **options) -> list[str | None]:
    return [diagnostic.symbol for diagnostic in findings(code_, *cells, **options)]


def used(call: str) -> str:
    """A call whose result is used: an estimator made by a statement of its own draws nothing."""
    return f"result = {call}\nresult.fit(X, y)"


# --- NBD301 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("imports", "use", "library"),
    [
        ("import random", "random.shuffle(items)", "random"),
        ("from random import choice", "choice(items)", "random"),
        ("import numpy as np", "np.random.rand(3)", "numpy"),
        ("import numpy", "numpy.random.permutation(10)", "numpy"),
        ("from numpy import random as npr", "npr.normal(size=3)", "numpy"),
        ("import numpy.random as npr", "npr.choice(10)", "numpy"),
        ("import torch", "torch.randn(3, 3)", "torch"),
        ("import torch.nn as nn", "layer = nn.Linear(4, 2)", "torch"),
        ("from torch import nn", "nn.init.xavier_uniform_(w)", "torch"),
        ("import torch.nn.functional as F", "F.dropout(x, p=0.5)", "torch"),
        ("from torch.utils.data import DataLoader", "DataLoader(ds, shuffle=True)", "torch"),
        ("from torch.utils.data import random_split", "random_split(ds, [0.8, 0.2])", "torch"),
        ("import tensorflow as tf", "tf.random.normal([3])", "tensorflow"),
        ("from tensorflow import keras", "keras.layers.Dense(10)", "keras"),
        ("from tensorflow.keras import layers", "layers.Dropout(0.2)", "keras"),
        ("import keras", "keras.layers.LSTM(32)", "keras"),
        ("import pandas as pd", "df[cols].sample(frac=0.1)", "numpy"),
    ],
)
def test_global_generators_without_a_seed(imports: str, use: str, library: str) -> None:
    assert symbols("NBD301", imports, use) == [library]


@pytest.mark.parametrize(
    ("seed", "use"),
    [
        ("import random\nrandom.seed(0)", "random.random()"),
        ("import numpy as np\nnp.random.seed(0)", "np.random.rand(3)"),
        ("import numpy as np\nnp.random.seed(seed=0)", "np.random.rand(3)"),
        ("import random\nrandom.seed(a=SEED)", "random.random()"),
        ("from numpy.random import seed, rand\nseed(1)", "rand(3)"),
        ("import torch\ntorch.manual_seed(0)", "torch.randn(3)"),
        ("import tensorflow as tf\ntf.random.set_seed(0)", "tf.keras.layers.Dense(3)"),
        ("import keras\nkeras.utils.set_random_seed(0)", "keras.layers.Dense(3)"),
        ("import lightning as L\nimport torch\nL.seed_everything(0)", "torch.rand(2)"),
        ("from transformers import set_seed\nimport numpy as np\nset_seed(0)", "np.random.rand(2)"),
        ("import nb_discipline\nimport torch\nnb_discipline.seed_everything(0)", "torch.rand(2)"),
        ("from utils import set_random_seeds\nimport torch\nset_random_seeds(7)", "torch.rand(2)"),
    ],
)
def test_known_seeders_count_for_what_they_cover(seed: str, use: str) -> None:
    assert messages("NBD301", seed, use) == []


def test_pandas_sample_is_seeded_by_numpy() -> None:
    cells = ("import numpy as np\nimport pandas as pd\nnp.random.seed(0)", "df.sample(frac=0.5)")
    assert messages("NBD301", *cells) == []
    assert messages("NBD301", "import pandas as pd", "df[cols].sample(n=5)") == [
        "`df[cols].sample` draws from the global random generator of NumPy, which nothing "
        "seeds before it"
    ]


@pytest.mark.parametrize(
    ("seeding", "unseeded"),
    [
        ("np.random.seed()\nrandom.seed(1)", "numpy"),
        ("np.random.seed(None)\nrandom.seed(1)", "numpy"),
        ("np.random.seed(1)\nrandom.seed()", "random"),
    ],
)
def test_seeding_from_entropy_is_not_seeding(seeding: str, unseeded: str) -> None:
    cells = ("import numpy as np\nimport random", seeding, "np.random.rand(2)\nrandom.random()")
    assert symbols("NBD301", *cells) == [unseeded]
    assert symbols("NBD301", "import torch", "torch.seed()", "torch.rand(2)") == ["torch"]


def test_a_seeder_covers_only_its_own_library() -> None:
    assert symbols(
        "NBD301", "import numpy as np\nimport torch\ntorch.manual_seed(0)", "np.random.rand(3)"
    ) == ["numpy"]


def test_seeding_below_the_use_does_not_count() -> None:
    result = messages("NBD301", "import numpy as np", "x = np.random.rand(3)", "np.random.seed(0)")
    assert result == [
        "`np.random.rand` draws from the global random generator of NumPy, which nothing "
        "seeds before it"
    ]


def test_one_finding_per_library_counting_the_other_uses() -> None:
    found = findings(
        "NBD301",
        "import numpy as np",
        "a = np.random.rand(3)\nb = np.random.randn(3)",
        "c = np.random.randint(3)",
    )
    assert [(d.cell, d.location.row, d.location.column) for d in found] == [(2, 1, 5)]
    assert found[0].message.endswith("(2 more uses below)")
    assert found[0].help.startswith("Seed it before its first use: `np.random.seed(42)`")


def test_one_more_use_is_counted_in_the_singular() -> None:
    found = messages("NBD301", "import numpy as np", "a = np.random.rand(3)\nb = np.random.rand(3)")
    assert found[0].endswith("(1 more use below)")


def test_a_seeding_helper_defined_in_the_notebook_counts_where_it_is_called() -> None:
    helper = (
        "import random\nimport numpy as np\nimport torch\n"
        "def seed_all(seed):\n    random.seed(seed)\n    np.random.seed(seed)\n"
    )
    assert symbols("NBD301", helper, "seed_all(1)", "np.random.rand(2)\ntorch.rand(2)") == ["torch"]
    # Defining it seeds nothing: only the call does.
    assert symbols("NBD301", helper, "np.random.rand(2)", "seed_all(1)") == ["numpy"]


def test_a_seeding_helper_may_call_helpers_defined_below_it() -> None:
    helpers = (
        "import numpy as np\n"
        "def setup():\n    prepare(1)\n"
        "def prepare(seed):\n    seed_all(seed)\n"
        "def seed_all(seed):\n    np.random.seed(seed)\n"
    )
    assert symbols("NBD301", helpers, "setup()", "np.random.rand(2)") == []
    assert symbols("NBD301", helpers, "np.random.rand(2)", "setup()") == ["numpy"]


def test_a_seeding_method_of_a_notebook_class_counts() -> None:
    define = "import torch\nclass Trainer:\n    def reproducible(self, seed):\n        torch.manual_seed(seed)"
    assert (
        messages("NBD301", define, "trainer = Trainer()\ntrainer.reproducible(3)", "torch.rand(2)")
        == []
    )


@pytest.mark.parametrize(
    ("name", "seeds"),
    [
        ("set_seed", True),
        ("set_seeds", True),
        ("seed_everything", True),
        ("seed_all", True),
        ("set_random_seed", True),
        ("fix_seed", True),
        ("set_all_seeds", True),
        ("init_rng", True),
        ("Set_Global_Seed", True),
        ("seed", False),
        ("set_all", False),
        ("prepare_run", False),
        ("reseed_later", False),
    ],
)
def test_imported_helpers_named_like_seeders(name: str, seeds: bool) -> None:
    cells = (f"import numpy as np\nfrom helpers import {name}", f"{name}(1)", "np.random.rand(2)")
    assert (messages("NBD301", *cells) == []) == seeds


def test_a_notebook_function_named_like_a_seeder_is_judged_by_its_body() -> None:
    cells = (
        "import numpy as np\ndef set_seed(s):\n    print(s)",
        "set_seed(1)",
        "np.random.rand(2)",
    )
    assert symbols("NBD301", *cells) == ["numpy"]


def test_uses_inside_a_function_are_judged_at_the_call_not_the_definition() -> None:
    define = "import torch\nfrom torch import nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(4, 2)"
    assert messages("NBD301", define, "torch.manual_seed(0)", "model = Net()") == []
    assert symbols("NBD301", define, "model = Net()") == ["torch"]


def test_production_cell_magic_seeds_every_library() -> None:
    assert messages("NBD301", "import numpy as np", "%%production\nx = np.random.rand(3)") == []
    assert (
        messages("NBD301", "import numpy as np", "%%production\nx = 1", "np.random.rand(3)") == []
    )
    assert symbols("NBD301", "import numpy as np", "%%time\nx = np.random.rand(3)") == ["numpy"]


def test_seed_functions_setting() -> None:
    cells = (
        "import numpy as np\nfrom mylib.repro import prepare_run",
        "prepare_run()",
        "np.random.rand(2)",
    )
    assert symbols("NBD301", *cells) == ["numpy"]
    settings = Settings(seed_functions=["mylib.repro.prepare_run"])
    assert messages("NBD301", *cells, settings=settings) == []


@pytest.mark.parametrize(
    "use",
    [
        "rng = np.random.default_rng(0)\nrng.normal()",  # a seeded generator object
        "np.random.seed(0)",
        "state = np.random.get_state()",
        "torch.randn(3, generator=g)",
        "DataLoader(ds, shuffle=False)",
        "DataLoader(ds, batch_size=32)",
        "tf.random.normal([3], seed=1)",
        "keras.layers.Dense(3, seed=1)",
        "keras.layers.BatchNormalization()",
        "nn.ReLU()",
        "nn.init.constant_(layer.bias, 0.0)\nnn.init.zeros_(w)",
        "random = 4\nrandom.choice([1])",  # the name no longer means the module
        "sr = SystemRandom()\nsr.random()",
        "df.sample(frac=0.1, random_state=0)",
        "dist.sample((5,))",
    ],
)
def test_not_global_generator_uses(use: str) -> None:
    imports = (
        "import numpy as np\nimport torch\nfrom torch import nn\nimport tensorflow as tf\n"
        "import keras\nfrom torch.utils.data import DataLoader\nfrom random import SystemRandom\n"
        "import random"
    )
    assert messages("NBD301", imports, use) == []


# --- NBD302 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "library"),
    [
        ("import numpy as np\nrng = np.random.default_rng()", "numpy"),
        ("import numpy as np\nrng = np.random.default_rng(None)", "numpy"),
        ("import numpy as np\nrng = np.random.default_rng(seed=None)", "numpy"),
        ("from numpy.random import RandomState\nrs = RandomState()", "numpy"),
        ("import numpy as np\nbits = np.random.PCG64()", "numpy"),
        ("import random\nr = random.Random()", "random"),
        ("import torch\ng = torch.Generator()", "torch"),
        (
            "import tensorflow as tf\ng = tf.random.Generator.from_non_deterministic_state()",
            "tensorflow",
        ),
    ],
)
def test_unseeded_generators(source: str, library: str) -> None:
    assert symbols("NBD302", source) == [library]


@pytest.mark.parametrize(
    "source",
    [
        "import numpy as np\nrng = np.random.default_rng(42)",
        "import numpy as np\nrng = np.random.default_rng(seed=SEED)",
        "import numpy as np\nrng = np.random.default_rng(*args)",
        "import numpy as np\nrs = np.random.RandomState(0)",
        "import random\nr = random.Random(7)",
        "import torch\ng = torch.Generator().manual_seed(0)",
        "import torch\ng = torch.Generator()\ng.manual_seed(0)",
        "import torch\nclass Loader:\n    def __init__(self):\n        self.g = torch.Generator()\n        self.g.manual_seed(1)",
        "import tensorflow as tf\ng = tf.random.Generator.from_seed(1)",
        "import random\nr = random.SystemRandom()",
    ],
)
def test_seeded_generators(source: str) -> None:
    assert messages("NBD302", source) == []


def test_seeding_globals_does_not_seed_a_generator_object() -> None:
    found = findings(
        "NBD302", "import numpy as np\nnp.random.seed(0)\nrng = np.random.default_rng()"
    )
    assert [(d.location.row, d.location.column, d.end_location.column) for d in found] == [
        (3, 7, 30)
    ]
    assert found[0].help == "Pass a seed: `np.random.default_rng(42)`"


# --- NBD303 ---------------------------------------------------------------------------------


SKLEARN_IMPORTS = (
    "from sklearn.ensemble import RandomForestClassifier as RF\n"
    "from sklearn import model_selection\n"
    "from sklearn.model_selection import KFold, train_test_split\n"
    "from sklearn.linear_model import LogisticRegression\n"
    "from sklearn.svm import SVC\n"
    "from sklearn.decomposition import PCA\n"
    "import sklearn.cluster"
)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "RF(n_estimators=10)",
            "`RF` (sklearn.ensemble.RandomForestClassifier) is called without `random_state`",
        ),
        (
            "RF(random_state=None)",
            "`RF` (sklearn.ensemble.RandomForestClassifier) is called with `random_state=None`",
        ),
        (
            "train_test_split(X, y, test_size=0.2)",
            "`train_test_split` is called without `random_state`",
        ),
        ("KFold(5, shuffle=True)", "`KFold` is called without `random_state`"),
        (
            "model_selection.StratifiedKFold(shuffle=True)",
            "`model_selection.StratifiedKFold` is called without",
        ),
        (
            "model_selection.ShuffleSplit(n_splits=3)",
            "`model_selection.ShuffleSplit` is called without",
        ),
        ("LogisticRegression(solver='saga')", "`LogisticRegression` is called without"),
        (
            "LogisticRegression(solver='liblinear', penalty='l1')",
            "`LogisticRegression` is called without",
        ),
        ("SVC(probability=True)", "`SVC` is called without"),
        ("PCA(n_components=50, svd_solver='randomized')", "`PCA` is called without"),
        ("sklearn.cluster.KMeans(n_clusters=3)", "`sklearn.cluster.KMeans` is called without"),
    ],
)
def test_missing_random_state(call: str, message: str) -> None:
    result = messages("NBD303", SKLEARN_IMPORTS, used(call))
    assert len(result) == 1 and result[0].startswith(message)


@pytest.mark.parametrize(
    "call",
    [
        "RF(n_estimators=10, random_state=0)",
        "RF(random_state=rng)",
        "RF(**params)",
        "train_test_split(X, y, random_state=SEED)",
        "train_test_split(X, y, shuffle=False)",
        "KFold(5)",
        "KFold(5, shuffle=False)",
        "KFold(5, shuffle=do_shuffle)",  # computed: not guessed
        "LogisticRegression(max_iter=1000)",
        "LogisticRegression(solver='liblinear')",  # its primal L2 solver draws nothing
        "LogisticRegression(solver=solver)",
        "SVC(kernel='rbf')",
        "PCA(n_components=2, svd_solver='full')",
        # svd_solver="auto" never takes a random solver for these (PCA._fit); for an integer
        # n_components it depends on the data's shape, which the code does not show.
        "PCA(0.99)",
        "PCA(n_components=0.95)",
        "PCA()",
        "PCA(n_components=2)",
        "PCA(2, svd_solver='full')",
    ],
)
def test_random_state_given_or_not_needed(call: str) -> None:
    assert messages("NBD303", SKLEARN_IMPORTS, call) == []


def test_umap_is_flagged_but_not_the_boosting_libraries_with_fixed_default_seeds() -> None:
    imports = (
        "import umap\nimport xgboost as xgb\nfrom lightgbm import LGBMClassifier\nimport catboost"
    )
    calls = "umap.UMAP(n_neighbors=15)\nxgb.XGBClassifier()\nLGBMClassifier()\ncatboost.CatBoostClassifier()"
    assert symbols("NBD303", imports, *map(used, calls.splitlines())) == ["umap.UMAP"]


@pytest.mark.parametrize(
    ("call", "flagged"),
    [
        ("GaussianProcessRegressor()", False),
        ("GaussianProcessRegressor(n_restarts_optimizer=5)", True),
        ("silhouette_score(X, labels)", False),
        ("silhouette_score(X, labels, sample_size=1000)", True),
        ("fetch_covtype()", False),
        ("fetch_covtype(shuffle=True)", True),
        ("make_classification(n_samples=100, shuffle=False)", True),
        ("NMF(n_components=5)", False),
        ("NMF(n_components=5, init='random')", True),
    ],
)
def test_conditions_stated_by_the_generator(call: str, flagged: bool) -> None:
    imports = (
        "from sklearn.gaussian_process import GaussianProcessRegressor\n"
        "from sklearn.metrics import silhouette_score\n"
        "from sklearn.datasets import fetch_covtype, make_classification\n"
        "from sklearn.decomposition import NMF"
    )
    assert len(messages("NBD303", imports, used(call))) == flagged


def test_random_state_given_by_position() -> None:
    # sample_without_replacement(n_population, n_samples, method="auto", random_state=None)
    imports = "from sklearn.utils.random import sample_without_replacement as swr"
    assert messages("NBD303", imports, "swr(10, 3, 'auto', 0)") == []
    assert len(messages("NBD303", imports, "swr(10, 3, 'auto')")) == 1


def test_a_tree_that_draws_only_to_break_ties_may_change() -> None:
    # amueller 18 cell 11: on continuous features 49 seeds gave one tree; on discrete ones,
    # ties between equally good splits are common and the tree changes with the seed.
    imports = "from sklearn.tree import DecisionTreeClassifier"
    ties = (
        "`DecisionTreeClassifier` is called without `random_state`, and nothing above it seeds "
        "the global random generator of NumPy: it breaks ties between equally good splits at "
        "random, so its result may change from run to run"
    )
    always = ties.split(": it breaks")[0] + ": its result changes from run to run"
    for call, expected in [
        ("DecisionTreeClassifier(max_depth=3).fit(X, y)", ties),
        ("DecisionTreeClassifier(max_features=None).fit(X, y)", ties),
        ("DecisionTreeClassifier(max_features='sqrt').fit(X, y)", always),
        ("DecisionTreeClassifier(splitter='random').fit(X, y)", always),
    ]:
        assert messages("NBD303", imports, call) == [expected]


def test_symbol_and_location_are_the_callee() -> None:
    found = findings("NBD303", SKLEARN_IMPORTS, "model = RF(n_estimators=10).fit(X, y)")
    assert [
        (d.symbol, d.location.row, d.location.column, d.end_location.column) for d in found
    ] == [("sklearn.ensemble.RandomForestClassifier", 1, 9, 11)]


def test_random_state_functions_setting() -> None:
    cells = ("from mylib.models import build", "model = build()", "other = build(seed=1)")
    assert messages("NBD303", *cells) == []
    settings = Settings(random_state_functions=["mylib.models.build:seed"])
    assert messages("NBD303", *cells, settings=settings) == [
        "`build` is called without `seed`: its result changes from run to run"
    ]


def test_the_table_is_generated_and_covers_the_common_callables() -> None:
    table = random_state_table()
    for name in [
        "sklearn.ensemble.RandomForestClassifier",
        "sklearn.ensemble.HistGradientBoostingRegressor",
        "sklearn.model_selection.train_test_split",
        "sklearn.model_selection.StratifiedKFold",
        "sklearn.cluster.KMeans",
        "sklearn.manifold.TSNE",
        "sklearn.datasets.make_classification",
        "sklearn.utils.shuffle",
    ]:
        assert table[name]["parameters"][0] == "random_state", name
    assert "sklearn.linear_model.LinearRegression" not in table
    assert "sklearn.model_selection.GridSearchCV" not in table
    document = json.loads(
        (Path(__file__).parent.parent / "nb_discipline" / "data" / "random_state.json").read_text()
    )
    assert document["generated_by"] == "scripts/generate_random_state_table.py"
    assert "scikit-learn" in document["libraries"]


def test_the_generator_rebuilds_the_table_from_scikit_learn(tmp_path: Path) -> None:
    pytest.importorskip("sklearn", reason="the generator introspects scikit-learn")
    script = Path(__file__).parent.parent / "scripts" / "generate_random_state_table.py"
    output = tmp_path / "random_state.json"
    result = subprocess.run(
        [sys.executable, str(script), "--output", str(output)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    generated = json.loads(output.read_text())["callables"]
    shipped = random_state_table()
    for name in [
        "sklearn.ensemble.RandomForestClassifier",
        "sklearn.model_selection.KFold",
        "sklearn.linear_model.LogisticRegression",
        "sklearn.datasets.make_classification",
    ]:
        assert generated[name] == shipped[name], name
    assert generated["sklearn.model_selection.KFold"]["when"]["shuffle"] == {
        "default": False,
        "random": [True],
    }


def test_the_check_needs_none_of_the_libraries() -> None:
    script = (
        "import sys\n"
        "from nb_discipline.engine import check\n"
        "from nb_discipline.loader import from_dict\n"
        "cell = {'cell_type': 'code', 'id': 'a', 'metadata': {}, 'execution_count': 1,"
        " 'outputs': [], 'source': 'from sklearn.svm import NuSVC\\nNuSVC(probability=True).fit(X, y)'}\n"
        "nb = from_dict({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {}, 'cells': [cell]}, 'x.ipynb')\n"
        "codes = [d.code for d in check(nb)]\n"
        "assert 'NBD303' in codes, codes\n"
        "heavy = {'sklearn', 'numpy', 'torch', 'xgboost', 'IPython'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --- NBD303 below a seeded global generator ------------------------------------------------


def test_scikit_learn_below_a_numpy_seed_is_the_same_on_every_run() -> None:
    # random_state=None draws from NumPy's global generator, which the cell above seeds.
    cells = (
        "import numpy as np\nnp.random.seed(42)",
        SKLEARN_IMPORTS,
        "RF()\nRF(random_state=None)",
    )
    assert messages("NBD303", *cells) == []


@pytest.mark.parametrize(
    "seeding",
    [
        "import nb_discipline\nnb_discipline.seed_everything(0)",
        "from helpers import set_seed\nset_seed(0)",
        "def seed_all(s):\n    np.random.seed(s)\nseed_all(1)",
        "%%production\nx = 1",
    ],
)
def test_every_seeding_nbd301_counts_covers_scikit_learn(seeding: str) -> None:
    cells = ("import numpy as np", seeding, SKLEARN_IMPORTS, "RF()")
    assert messages("NBD303", *cells) == []


@pytest.mark.parametrize(
    "seeding",
    [
        "np.random.seed()",  # reseeds from fresh entropy
        "import random\nrandom.seed(0)",  # another library
        "import torch\ntorch.manual_seed(0)",
        "np.random.seed(int(time.time()))",  # a seed that is not one (NBD304)
    ],
)
def test_scikit_learn_is_flagged_when_nothing_seeds_numpy_above(seeding: str) -> None:
    cells = ("import numpy as np\nimport time", seeding, SKLEARN_IMPORTS, "RF().fit(X, y)")
    assert messages("NBD303", *cells) == [
        "`RF` (sklearn.ensemble.RandomForestClassifier) is called without `random_state`, and "
        "nothing above it seeds the global random generator of NumPy: its result changes from "
        "run to run"
    ]


def test_a_cell_that_does_not_parse_and_mentions_a_seed_may_seed_anything() -> None:
    py2 = "np.random.seed(1234)\nprint 'seeded'"
    assert messages("NBD303", "import numpy as np", py2, SKLEARN_IMPORTS, used("RF()")) == []
    assert messages("NBD301", "import numpy as np", py2, "np.random.rand(2)") == []
    other = "print 'hello'"
    assert len(messages("NBD303", "import numpy as np", other, SKLEARN_IMPORTS, used("RF()"))) == 1


def test_a_numpy_seed_below_the_call_does_not_count_for_it() -> None:
    cells = (
        "import numpy as np",
        SKLEARN_IMPORTS,
        used("RF()"),
        "np.random.seed(0)\n" + used("RF()"),
    )
    assert [d.cell for d in findings("NBD303", *cells)] == [3]


# --- NBD304 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("imports", "seeding", "source"),
    [
        ("import time\nimport numpy as np", "np.random.seed(int(time.time()))", "time.time()"),
        ("import time\nimport random", "random.seed(time.time_ns())", "time.time_ns()"),
        ("import os\nimport numpy as np", "np.random.seed(os.getpid())", "os.getpid()"),
        (
            "import os\nimport numpy as np",
            "np.random.seed(int.from_bytes(os.urandom(4), 'big'))",
            "os.urandom(4)",
        ),
        (
            "import uuid\nimport torch",
            "torch.manual_seed(uuid.uuid4().int % 2**32)",
            "uuid.uuid4()",
        ),
        (
            "import secrets\nimport random",
            "random.seed(secrets.randbits(32))",
            "secrets.randbits(32)",
        ),
        (
            "from datetime import datetime\nimport tensorflow as tf",
            "tf.random.set_seed(int(datetime.now().timestamp()))",
            "datetime.now()",
        ),
        (
            "import time\nimport numpy as np",
            "SEED = int(time.time() * 1000) % 2**32\nnp.random.seed(SEED)",
            "time.time()",
        ),
        ("import time\nfrom helpers import set_seed", "set_seed(int(time.time()))", "time.time()"),
    ],
)
def test_seeds_made_from_entropy(imports: str, seeding: str, source: str) -> None:
    found = messages("NBD304", imports, seeding)
    assert len(found) == 1 and f"is made from `{source}`" in found[0], found
    assert found[0].endswith("it differs on every run, and so does every number drawn after it")


@pytest.mark.parametrize(
    ("seeding", "message"),
    [
        (
            "random.seed()",
            "`random.seed` is called without a seed: it seeds the global random generator of "
            "Python's random module from fresh entropy, so the numbers drawn after it differ on "
            "every run",
        ),
        ("np.random.seed(None)", "`np.random.seed` is called with `None`: it seeds the global"),
        (
            "torch.seed()",
            "`torch.seed` is called without a seed: it seeds the global random generator of "
            "PyTorch from fresh entropy",
        ),
        ("torch.random.seed()", "`torch.random.seed` is called without a seed"),
        ("tf.random.set_seed(None)", "`tf.random.set_seed` is called with `None`"),
    ],
)
def test_reseeding_from_fresh_entropy(seeding: str, message: str) -> None:
    imports = "import random\nimport numpy as np\nimport torch\nimport tensorflow as tf"
    found = messages("NBD304", imports, seeding)
    assert len(found) == 1 and found[0].startswith(message)


@pytest.mark.parametrize(
    "seeding",
    [
        "np.random.seed(42)",
        "np.random.seed(SEED)",
        "np.random.seed(seed=args.seed)",
        "start = time.time()\nnp.random.seed(42)",
        "seed = int(time.time())\nseed = 7\nnp.random.seed(seed)",  # rebound to a constant
        "for seed in range(3):\n    np.random.seed(seed)",
        "if fresh:\n    seed = int(time.time())\nnp.random.seed(seed)",  # a branch: unknown
        "np.random.seed(int(time.time()) if fresh else 0)",  # a choice that may not take it
        "np.random.seed(datetime.date.today().year)",  # changes once a year, not every run
        "def reseed(seed):\n    np.random.seed(seed)",
        "rng = np.random.default_rng(7)\nnp.random.seed(rng.integers(100))",
        "np.random.seed(*seeds)",
    ],
)
def test_fixed_or_unknown_seeds_are_not_flagged(seeding: str) -> None:
    imports = "import time\nimport datetime\nimport numpy as np"
    assert messages("NBD304", imports, seeding) == []


@pytest.mark.parametrize(
    ("call", "start"),
    [
        ("np.random.default_rng(int(time.time()))", "The `seed` given to `np.random.default_rng`"),
        ("random.Random(os.getpid())", "The `x` given to `random.Random`"),
        (
            "train_test_split(X, y, random_state=int(time.time()))",
            "The `random_state` given to `train_test_split` is made from `time.time()`, which "
            "reads the clock: it differs on every run, and so does its result",
        ),
    ],
)
def test_entropy_seeds_of_generators_and_random_state(call: str, start: str) -> None:
    imports = (
        "import os\nimport random\nimport time\nimport numpy as np\n"
        "from sklearn.model_selection import train_test_split"
    )
    found = messages("NBD304", imports, call)
    assert len(found) == 1 and found[0].startswith(start), found
    assert messages("NBD302", imports, call) == messages("NBD303", imports, call) == []


@pytest.mark.parametrize(
    "seeding",
    [
        "np.random.seed(int(time.time()))",
        "def set_seed():\n    np.random.seed(int(time.time()))\nset_seed()",
        "import nb_discipline\nnb_discipline.seed_everything(os.getpid())",
    ],
)
def test_a_seed_that_is_no_seed_does_not_count_for_nbd301(seeding: str) -> None:
    cells = ("import os\nimport time\nimport numpy as np", seeding, "np.random.rand(2)")
    assert symbols("NBD301", *cells) == ["numpy"]
    assert len(messages("NBD304", *cells)) == 1


# --- NBD303: what the libraries really do --------------------------------------------------


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        # Bagging and AdaBoost set every random_state of each clone of their template.
        ("BaggingClassifier(DecisionTreeClassifier(), random_state=0)", []),
        ("BaggingClassifier(estimator=DecisionTreeClassifier(), random_state=0)", []),
        ("AdaBoostClassifier(base_estimator=DecisionTreeClassifier(), random_state=0)", []),
        ("BaggingClassifier(DecisionTreeClassifier())", ["BaggingClassifier"]),
        # The template of a meta-estimator that only clones it keeps its own randomness.
        (
            "RandomizedSearchCV(DecisionTreeClassifier(), grid, random_state=0)",
            ["DecisionTreeClassifier"],
        ),
        ("tree = DecisionTreeClassifier(max_depth=3)\ntree.fit(X, y)", ["DecisionTreeClassifier"]),
        # A template named first, then only handed to the meta-estimator, is a template too;
        # fitted on its own as well, its own randomness counts.
        (
            "tree = DecisionTreeClassifier(max_depth=3)\n"
            "bag = BaggingClassifier(base_estimator=tree, random_state=0)",
            [],
        ),
        (
            "tree = DecisionTreeClassifier(max_depth=3)\ntree.fit(X, y)\n"
            "bag = BaggingClassifier(tree, random_state=0)",
            ["DecisionTreeClassifier"],
        ),
    ],
)
def test_the_template_of_a_re_seeding_meta_estimator(source: str, flagged: list[str]) -> None:
    imports = (
        "from sklearn.ensemble import BaggingClassifier, AdaBoostClassifier\n"
        "from sklearn.tree import DecisionTreeClassifier\n"
        "from sklearn.model_selection import RandomizedSearchCV"
    )
    found = symbols("NBD303", imports, source if " = " in source else used(source))
    assert [symbol.rpartition(".")[2] for symbol in found] == flagged


@pytest.mark.parametrize(
    ("imports", "call", "flagged"),
    [
        ("from sklearn.cross_validation import train_test_split", "train_test_split(X, y)", True),
        (
            "from sklearn.cross_validation import train_test_split",
            "train_test_split(X, y, random_state=0)",
            False,
        ),
        (
            "from sklearn import cross_validation",
            "cross_validation.KFold(len(y), n_folds=5, shuffle=True)",
            True,
        ),
        (
            "from sklearn import cross_validation",
            "cross_validation.KFold(len(y), 5, True, 0)",
            False,
        ),
        ("from sklearn import cross_validation", "cross_validation.KFold(len(y), 5, True)", True),
        ("from sklearn import cross_validation", "cross_validation.KFold(len(y), 5)", False),
        (
            "from sklearn.cross_validation import ShuffleSplit",
            "ShuffleSplit(100, 10, 0.1, None, 0)",
            False,
        ),
        (
            "from sklearn.grid_search import RandomizedSearchCV",
            "RandomizedSearchCV(model, grid)",
            True,
        ),
        ("from sklearn.datasets.samples_generator import make_blobs", "make_blobs(100)", True),
        ("from sklearn.learning_curve import learning_curve", "learning_curve(model, X, y)", False),
        ("from imblearn.over_sampling import SMOTE", "SMOTE()", True),
        ("from imblearn.over_sampling import SMOTE", "SMOTE(random_state=42)", False),
        ("from imblearn.under_sampling import RandomUnderSampler", "RandomUnderSampler()", True),
        (
            "from imblearn.ensemble import BalancedRandomForestClassifier as B",
            "B(n_estimators=10)",
            True,
        ),
        ("import pymc as pm", "trace = pm.sample(1000)", True),
        ("import pymc as pm", "trace = pm.sample(1000, random_seed=1)", False),
        ("import pymc3 as pm", "trace = pm.sample(1000)", True),
    ],
)
def test_legacy_modules_and_other_libraries(imports: str, call: str, flagged: bool) -> None:
    assert len(messages("NBD303", imports, used(call))) == flagged


def test_pymc_draws_a_fresh_seed_but_pymc3_draws_from_numpy() -> None:
    seeded = "import numpy as np\nnp.random.seed(1)"
    assert messages("NBD303", seeded, "import pymc3 as pm", "pm.sample(1000)") == []
    assert messages("NBD303", seeded, "import pymc as pm", "pm.sample(1000)") == [
        "`pm.sample` is called without `random_seed`: its result changes from run to run"
    ]


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("dist = tfd.Normal(loc=0., scale=1.)\nx = dist.sample(1000)", ["dist.sample"]),
        ("x = tfd.Normal(0., 1.).sample(1000)", ["tfd.Normal(0.0, 1.0).sample"]),
        ("dist = tfd.Normal(0., 1.)\nx = dist.sample(1000, seed=42)", []),
        ("dist = tfd.Normal(0., 1.)\nx = dist.sample(1000, 42)", []),
        ("dist = make_dist()\nx = dist.sample(1000)", []),  # unknown object
        ("dist = tfd.Normal(0., 1.)\ndist = other\nx = dist.sample(1000)", []),
        ("tf.random.set_seed(0)\nx = tfd.Normal(0., 1.).sample(1000)", []),
        ("x = tfp.mcmc.sample_chain(100, state, kernel=kernel)", ["tfp.mcmc.sample_chain"]),
    ],
)
def test_tensorflow_probability_samples(source: str, flagged: list[str]) -> None:
    imports = (
        "import tensorflow as tf\nimport tensorflow_probability as tfp\ntfd = tfp.distributions"
    )
    found = messages("NBD303", imports, source)
    assert [message.split("`")[1] for message in found] == flagged
    assert all("without `seed`, and nothing above it seeds" in message for message in found)


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("df = pd.read_csv('a.csv')\ndf.sample(1000)", True),
        ("df = pd.read_csv('a.csv')\ndf.sample()", True),
        ("df = pd.read_csv('a.csv').dropna()\ndf = df[df.x > 0]\ndf.sample(5)", True),
        ("pd.read_csv('a.csv').sample(5)", True),
        ("df = pd.read_csv('a.csv')\ndf.x.sample(5)", True),
        ("df = pd.read_csv('a.csv')\ndf.sample(5, random_state=1)", False),
        ("df = pd.read_csv('a.csv')\ndf.sample(5, False, None, None, 1)", False),
        ("x.sample(1000)", False),  # an object nothing shows is pandas'
        ("df = pd.read_csv('a.csv')\nfor df in frames:\n    df.sample(5)", False),
        ("gmm = GaussianMixture(2).fit(X)\ngmm.sample(100)", False),
        ("handlers = pd.Series(functions)\nhandlers[0](5)", False),  # a call of an item
    ],
)
def test_pandas_sample_by_position(source: str, flagged: bool) -> None:
    imports = "import pandas as pd\nfrom sklearn.mixture import GaussianMixture"
    assert symbols("NBD301", imports, source) == (["numpy"] if flagged else [])


def test_a_philox_generator_given_a_key_is_seeded() -> None:
    assert messages("NBD302", "import numpy as np", "bits = np.random.Philox(key=7)") == []
    assert len(messages("NBD302", "import numpy as np", "bits = np.random.Philox()")) == 1


def test_an_estimator_built_and_never_used_draws_nothing() -> None:
    imports = "from sklearn.linear_model import SGDClassifier"
    unused = ("ppn = SGDClassifier(loss='perceptron')", "ppn = None\nprint(ppn)")
    assert messages("NBD303", imports, *unused) == []
    fitted_below = ("ppn = SGDClassifier(loss='perceptron')", "ppn.fit(X, y)")
    assert len(messages("NBD303", imports, *fitted_below)) == 1
    fitted_in_cell = ("ppn = SGDClassifier(loss='perceptron')\nppn.fit(X, y)",)
    assert len(messages("NBD303", imports, *fitted_in_cell)) == 1
    passed_on = ("cross_val_score(SGDClassifier(), X, y)",)
    assert len(messages("NBD303", imports, *passed_on)) == 1


@pytest.mark.parametrize(
    "cell",
    [
        "try:\n    pass\nexcept ValueError:\n    SGDClassifier(loss='log')",
        "match mode:\n    case 'show':\n        SGDClassifier(loss='log')",
        "for mode in modes:\n    if mode:\n        print(mode)\n    else:\n        SGDClassifier(loss='log')",
    ],
)
def test_an_estimator_made_by_a_statement_of_its_own_in_a_block_draws_nothing(cell: str) -> None:
    imports = "from sklearn.linear_model import SGDClassifier"
    assert messages("NBD303", imports, cell) == []
    handed = cell.replace("SGDClassifier(loss='log')", "fit(SGDClassifier(loss='log'))")
    assert len(messages("NBD303", imports, handed)) == 1


def test_an_estimator_read_by_a_later_statement_of_its_cell_is_used() -> None:
    imports = "from sklearn.linear_model import SGDClassifier"
    cell = "if ok:\n    clf = SGDClassifier(\n        loss='log'\n    )\nprint(1)\nclf.fit(X, y)"
    assert len(messages("NBD303", imports, cell)) == 1
    assert messages("NBD303", imports, cell.replace("clf.fit", "other.fit")) == []


@pytest.mark.parametrize(
    ("data", "flagged"),
    [
        ("X = df[['LSTAT']].values", False),
        ("X = x.reshape(-1, 1)", False),
        ("X = x[:, np.newaxis]", False),
        ("X = np.random.randn(5000, 1)", False),
        ("X = np.zeros((100, 1))", False),
        ("X = np.random.randn(5000, 2)", True),
        ("X = df[['LSTAT', 'RM']].values", True),
        ("X = df.drop(columns='y')", True),
    ],
)
def test_a_decision_tree_fitted_on_one_feature_is_not_random(data: str, flagged: bool) -> None:
    imports = "import numpy as np\nfrom sklearn.tree import DecisionTreeRegressor"
    cells = (data, "tree = DecisionTreeRegressor(max_depth=3)\ntree.fit(X, y)")
    assert bool(messages("NBD303", imports, *cells)) == flagged
    # Handed to something else, it may be fitted on other data; not to a helper that fits nothing.
    handed = (data, "tree = DecisionTreeRegressor(max_depth=3)\ncross_val_score(tree, X, y)")
    assert len(messages("NBD303", imports, *handed)) == 1
    helper = "def plot(X, y, model):\n    return model.predict(X)"
    shown = (
        helper,
        data,
        "tree = DecisionTreeRegressor(max_depth=3)\ntree.fit(X, y)\nplot(X, y, tree)",
    )
    assert bool(messages("NBD303", imports, *shown)) == flagged


def test_kbins_discretizer_draws_only_a_subsample_it_is_told_to_take() -> None:
    imports = "from sklearn.preprocessing import KBinsDiscretizer"
    default = "bins = KBinsDiscretizer(n_bins=5, strategy='uniform')\nbins.fit(X)"
    assert messages("NBD303", imports, default) == []
    told = "bins = KBinsDiscretizer(n_bins=5, subsample=1000)\nbins.fit(X)"
    assert len(messages("NBD303", imports, told)) == 1


def test_tsne_draws_only_from_a_random_start() -> None:
    imports = "from sklearn.manifold import TSNE"
    assert messages("NBD303", imports, "emb = TSNE(2).fit_transform(X)") == []
    assert len(messages("NBD303", imports, "emb = TSNE(2, init='random').fit_transform(X)")) == 1

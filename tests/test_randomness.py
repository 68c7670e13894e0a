"""NBD301 unseeded-global-rng, NBD302 unseeded-generator, NBD303 missing-random-state."""

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
    assert found[0].fix.startswith("Seed it before its first use: `np.random.seed(42)`")


def test_a_seeding_helper_defined_in_the_notebook_counts_where_it_is_called() -> None:
    helper = (
        "import random\nimport numpy as np\nimport torch\n"
        "def seed_all(seed):\n    random.seed(seed)\n    np.random.seed(seed)\n"
    )
    assert symbols("NBD301", helper, "seed_all(1)", "np.random.rand(2)\ntorch.rand(2)") == ["torch"]
    # Defining it seeds nothing: only the call does.
    assert symbols("NBD301", helper, "np.random.rand(2)", "seed_all(1)") == ["numpy"]


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
    assert found[0].fix == "Pass a seed: `np.random.default_rng(42)`"


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
        ("SVC(probability=True)", "`SVC` is called without"),
        ("PCA(n_components=2)", "`PCA` is called without"),
        ("sklearn.cluster.KMeans(n_clusters=3)", "`sklearn.cluster.KMeans` is called without"),
    ],
)
def test_missing_random_state(call: str, message: str) -> None:
    result = messages("NBD303", SKLEARN_IMPORTS, call)
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
        "LogisticRegression(solver=solver)",
        "SVC(kernel='rbf')",
        "PCA(n_components=2, svd_solver='full')",
    ],
)
def test_random_state_given_or_not_needed(call: str) -> None:
    assert messages("NBD303", SKLEARN_IMPORTS, call) == []


def test_umap_is_flagged_but_not_the_boosting_libraries_with_fixed_default_seeds() -> None:
    imports = (
        "import umap\nimport xgboost as xgb\nfrom lightgbm import LGBMClassifier\nimport catboost"
    )
    calls = "umap.UMAP(n_neighbors=15)\nxgb.XGBClassifier()\nLGBMClassifier()\ncatboost.CatBoostClassifier()"
    assert symbols("NBD303", imports, calls) == ["umap.UMAP"]


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
    assert len(messages("NBD303", imports, call)) == flagged


def test_random_state_given_by_position() -> None:
    # sample_without_replacement(n_population, n_samples, method="auto", random_state=None)
    imports = "from sklearn.utils.random import sample_without_replacement as swr"
    assert messages("NBD303", imports, "swr(10, 3, 'auto', 0)") == []
    assert len(messages("NBD303", imports, "swr(10, 3, 'auto')")) == 1


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
        " 'outputs': [], 'source': 'from sklearn.svm import NuSVC\\nNuSVC(probability=True)'}\n"
        "nb = from_dict({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {}, 'cells': [cell]}, 'x.ipynb')\n"
        "codes = [d.code for d in check(nb)]\n"
        "assert 'NBD303' in codes, codes\n"
        "heavy = {'sklearn', 'numpy', 'torch', 'xgboost', 'IPython'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

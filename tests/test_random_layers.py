"""NBD301 on layers: where Keras and PyTorch draw a layer's random numbers, and what seeds them."""

from __future__ import annotations

import pytest

from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.rules import lookup
from tests.builders import code, notebook


def messages(*cells: str) -> list[tuple[int, str]]:
    nb = notebook(*(code(source, count) for count, source in enumerate(cells, 1)))
    return [(d.cell, d.message) for d in check(nb, Settings(), rules=[lookup("NBD301")])]


KERAS = "from tensorflow import keras\nfrom tensorflow.keras import layers"
SEED = "import tensorflow as tf\ntf.random.set_seed(1)"


def test_a_layer_made_then_seeded_before_its_model_is_built_is_seeded() -> None:
    # ch15_part1 of rasbt's book: a Conv2D made to show its arguments, a model built and fitted
    # only below tf.random.set_seed(1). Keras 2 draws the weights when the layer is built.
    cells = (
        KERAS,
        "conv_layer = keras.layers.Conv2D(filters=16, kernel_size=(3, 3))",
        SEED,
        "model = keras.Sequential()\nmodel.add(layers.Conv2D(32, (5, 5)))\nmodel.build((None, 28, 28, 1))",
    )
    assert messages(*cells) == []


def test_a_layer_never_built_where_nothing_is_seeded_says_when_it_draws() -> None:
    assert messages(KERAS, "conv_layer = keras.layers.Conv2D(16, (3, 3))") == [
        (
            2,
            "`keras.layers.Conv2D` makes a layer whose initial weights are drawn when it is "
            "built, from the global random generator of Keras, which nothing in the notebook "
            "seeds",
        )
    ]


@pytest.mark.parametrize(
    "built",
    [
        "model = keras.Sequential([layers.Dense(8, input_shape=(4,)), layers.Dense(1)])",
        "model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8), layers.Dense(1)])",
        "model = keras.models.Sequential()\nmodel.add(layers.Dense(8, input_dim=4))\n"
        "model.add(layers.Dense(1))",
        "inputs = keras.Input(shape=(4,))\nhidden = layers.Dense(8)(inputs)",
    ],
)
def test_a_layer_built_where_it_is_made_draws_there(built: str) -> None:
    # A seeding below the model comes too late: the weights were drawn when it was built.
    found = messages(KERAS, built, SEED)
    assert len(found) == 1
    assert found[0][0] == 2
    assert (
        "draws from the global random generator of Keras, which nothing seeds before it"
        in (found[0][1])
    )


def test_a_model_without_its_input_shape_is_built_later() -> None:
    cells = (KERAS, "model = keras.Sequential([layers.Dense(8), layers.Dense(1)])", SEED)
    assert messages(*cells) == []
    cells = (KERAS, "model = keras.Sequential()\nmodel.add(layers.Dense(8))", SEED)
    assert messages(*cells) == []


def test_layers_that_draw_as_the_model_trains() -> None:
    assert messages(KERAS, "drop = layers.Dropout(0.5)", SEED) == []
    # Built where it is made, it still draws only as the model trains.
    assert messages(KERAS, "x = layers.Dropout(0.5)(inputs)", SEED) == []
    assert messages(KERAS, "drop = layers.Dropout(0.5)") == [
        (
            2,
            "`layers.Dropout` makes a layer that draws at random as the model trains, from the "
            "global random generator of Keras, which nothing in the notebook seeds",
        )
    ]


def test_python_random_seeds_keras_weights() -> None:
    # Keras 3 (and tf.keras since 2.10) take an unseeded initializer's seed from `random`.
    cells = (KERAS + "\nimport random\nrandom.seed(0)", "hidden = layers.Dense(8)(inputs)")
    assert messages(*cells) == []


def test_torch_layers_that_draw_nothing_when_made() -> None:
    # PReLU starts from a constant; a lazy layer draws its weights on its first call.
    assert messages("import torch.nn as nn", "act = nn.PReLU()") == []
    assert (
        messages(
            "import torch.nn as nn", "fc = nn.LazyLinear(10)", "import torch\ntorch.manual_seed(0)"
        )
        == []
    )
    assert messages("import torch.nn as nn", "fc = nn.LazyLinear(10)") == [
        (
            2,
            "`nn.LazyLinear` makes a layer whose initial weights are drawn on its first call, "
            "from the global random generator of PyTorch, which nothing in the notebook seeds",
        )
    ]
    # An eager layer draws its weights when it is made: a seed below it comes too late.
    assert messages(
        "import torch.nn as nn", "fc = nn.Linear(4, 2)", "import torch\ntorch.manual_seed(0)"
    ) == [
        (
            2,
            "`nn.Linear` draws from the global random generator of PyTorch, which nothing seeds "
            "before it",
        )
    ]


def test_numpy_seeds_standalone_keras_before_2_4() -> None:
    # Keras 2.0-2.3 drew its initializers' seeds from NumPy (`np.random.randint(10e6)`).
    standalone = "import numpy as np\nnp.random.seed(7)\nfrom keras.layers import Dense"
    assert messages(standalone, "hidden = Dense(8)(inputs)") == []
    tf_keras = "import numpy as np\nnp.random.seed(7)\nfrom tensorflow.keras.layers import Dense"
    assert [cell for cell, _ in messages(tf_keras, "hidden = Dense(8)(inputs)")] == [2]


def test_keras_before_2_4_draws_from_numpy() -> None:
    # Its import printed the backend it used; its initializers drew their seeds from NumPy.
    banner = {"output_type": "stream", "name": "stderr", "text": ["Using Theano backend.\n"]}
    nb = notebook(
        code(
            "import numpy as np\nfrom keras.layers import Dense\nfrom keras.models import Sequential",
            1,
            outputs=[banner],
        ),
        code("model = Sequential()\nmodel.add(Dense(10, input_dim=4))", 2),
        code("np.random.shuffle(rows)", 3),
    )
    found = check(nb, Settings(), rules=[lookup("NBD301")])
    assert [(d.cell, d.symbol, d.message) for d in found] == [
        (
            2,
            "numpy",
            "`Dense` draws from the global random generator of NumPy, which nothing seeds before "
            "it (1 more use below)",
        )
    ]
    assert "np.random.seed(42)" in found[0].fix.message


def test_the_use_shown_is_one_that_draws_where_it_is() -> None:
    # featurization (training-data-analyst): an Embedding made, never built; a model built below.
    cells = (
        KERAS,
        "embedding = layers.Embedding(100, 8)",
        "hidden = layers.Dense(8)(inputs)\nout = layers.Dense(1)(hidden)",
    )
    assert messages(*cells) == [
        (
            3,
            "`layers.Dense` draws from the global random generator of Keras, which nothing seeds "
            "before it (1 more use below)",
        )
    ]


def test_a_loader_draws_its_order_when_it_is_iterated() -> None:
    imports = "import torch\nfrom torch.utils.data import DataLoader, random_split"
    loader = "loader = DataLoader(train_set, batch_size=64, shuffle=True)"
    seeded_below = "torch.manual_seed(0)\nfor x, y in loader:\n    step(x, y)"
    assert messages(imports, loader, seeded_below) == []
    assert messages(imports, loader) == [
        (
            2,
            "`DataLoader` makes a loader that draws its order each time it is iterated, from the "
            "global random generator of PyTorch, which nothing in the notebook seeds",
        )
    ]
    # random_split draws where it is called: a seed below it comes too late.
    split = "train, test = random_split(data, [0.8, 0.2])"
    assert [cell for cell, _ in messages(imports, split, "torch.manual_seed(0)")] == [2]


def test_a_wrapper_builds_the_layer_it_wraps() -> None:
    built = "outputs = layers.Bidirectional(layers.LSTM(32))(inputs)"
    assert [cell for cell, _ in messages(KERAS, built, SEED)] == [2]
    added = (
        "model = keras.Sequential()\n"
        "model.add(layers.TimeDistributed(layers.Dense(8), input_shape=(10, 4)))"
    )
    assert [cell for cell, _ in messages(KERAS, added, SEED)] == [2]
    assert messages(KERAS, "wrapped = layers.Bidirectional(layers.LSTM(32))", SEED) == []

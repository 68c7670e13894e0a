"""Code in a function or class nothing calls never runs: it draws nothing."""

from __future__ import annotations

import pytest

from nb_discipline.engine import check
from nb_discipline.rules import selected_rules
from tests.builders import code, notebook

# datawhalechina/easy-rl notebooks/PolicyGradient.ipynb: PGNet and PolicyGradient are defined and
# never made.
PG_NET = (
    "import torch.nn as nn\n"
    "class PGNet(nn.Module):\n"
    "    def __init__(self, n_states, hidden_dim=36):\n"
    "        super().__init__()\n"
    "        self.fc1 = nn.Linear(n_states, hidden_dim)\n"
)
POLICY = (
    "class PolicyGradient:\n"
    "    def __init__(self, n_states):\n"
    "        self.policy_net = PGNet(n_states)\n"
)


def codes(*sources: str, rule: str = "NBD3") -> list[str]:
    cells = [code(source) for source in sources]
    return [d.code for d in check(notebook(*cells), rules=selected_rules([rule], [], []))]


@pytest.mark.parametrize(
    "sources",
    [
        (PG_NET, POLICY),
        (PG_NET,),
        ("import numpy as np\ndef noise():\n    return np.random.normal(size=3)",),
        ("import numpy as np\ndef noise():\n    return np.random.default_rng()",),
        (
            "from sklearn.model_selection import train_test_split\n"
            "def split(X, y):\n    return train_test_split(X, y)",
        ),
        # a function only a never-called function calls
        ("import numpy as np\ndef noise():\n    return np.random.rand()\ndef g():\n    noise()",),
        # a method of a class nothing makes, whose base is made
        (
            "import random\nclass A:\n    pass\nclass B(A):\n    def f(self):\n        random.random()",
            "a = A()",
        ),
    ],
)
def test_a_function_nothing_calls_draws_nothing(sources: tuple[str, ...]) -> None:
    assert codes(*sources) == []


@pytest.mark.parametrize(
    "last",
    [
        "agent = PolicyGradient(4)",
        "def make():\n    return PolicyGradient(4)\nagent = make()",
        "agents = [PolicyGradient(n) for n in range(3)]",
        "button = Button(command=lambda: PolicyGradient(4))",  # a callback may run
        "run(PolicyGradient)",  # passed on: may be called
        "%time agent = PolicyGradient(4)",
        "for n in range(3):\n    PolicyGradient(n)",
        # NLP-LOVE/ML-NLP Transfer Learning: tf.app.run() calls the kernel namespace's main
        "def main(_):\n    PolicyGradient(4)\ntf.app.run()",
        "def main(_):\n    PolicyGradient(4)\nfrom absl import app\napp.run(main)",
    ],
)
def test_a_function_the_notebook_calls_draws(last: str) -> None:
    assert codes(PG_NET, POLICY, last) == ["NBD301"]


@pytest.mark.parametrize(
    ("definition", "call"),
    [
        ("def main(_):\n    PolicyGradient(4)", "import tensorflow as tf\ntf.app.run()"),
        # Python reads the ligature's name as `fine` (NFKC): the cell's text does not show it
        ("def fine():\n    PolicyGradient(4)", "\ufb01ne()"),
    ],
)
def test_a_function_called_from_a_cell_of_its_own_draws(definition: str, call: str) -> None:
    assert codes(PG_NET, POLICY, definition, call) == ["NBD301"]
    assert codes(PG_NET, POLICY, definition, "print(1)") == []


def test_a_decorated_function_may_be_called_by_its_decorator() -> None:
    """`@interact` calls the function at once; a framework's route later."""
    source = "import numpy as np\n@interact\ndef noise(n=3):\n    return np.random.rand(n)"
    assert codes(source) == ["NBD301"]


def test_a_class_body_runs_where_it_is_written() -> None:
    assert codes("import numpy as np\nclass A:\n    start = np.random.rand()") == ["NBD301"]


def test_a_cell_that_does_not_parse_may_call_anything() -> None:
    source = "import numpy as np\ndef noise():\n    return np.random.rand()"
    assert codes(source, "print 'x'\nnoise()") == ["NBD301"]


def test_the_unreached_calls_of_each_rule() -> None:
    inside = "def split(X, y):\n    return train_test_split(X, y)\n"
    head = "from sklearn.model_selection import train_test_split\nimport numpy as np\n"
    assert codes(head + inside, rule="NBD303") == []
    assert codes(head + inside + "split(1, 2)", rule="NBD303") == ["NBD303"]
    maker = "def make():\n    return np.random.default_rng()\n"
    assert codes(head + maker, rule="NBD302") == []
    assert codes(head + maker + "rng = make()", rule="NBD302") == ["NBD302"]


NOISE = "import numpy as np\ndef noise():\n    return np.random.rand()"


@pytest.mark.parametrize(
    "sources",
    [
        # the name in a string or a comment is no reference: the text only says where to look
        (NOISE, 'print("noise") # noise()'),
        # two functions that call each other and nothing else calls
        (NOISE + "\ndef a():\n    b()\n    noise()\ndef b():\n    a()",),
    ],
)
def test_text_that_names_a_function_without_calling_it_reaches_nothing(
    sources: tuple[str, ...],
) -> None:
    assert codes(*sources) == []


def test_a_function_is_reached_through_the_definitions_that_name_it() -> None:
    """Each link in its own cell, the code that runs last: `noise` <- `step` <- `train`."""
    chain = (NOISE, "def step():\n    return noise()", "def train():\n    step()")
    assert codes(*chain) == []
    assert codes(*chain, "train()") == ["NBD301"]

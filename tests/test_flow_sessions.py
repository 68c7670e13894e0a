"""Two saved counts are read as one kernel session only when the outputs do not show otherwise."""

from __future__ import annotations

import pytest

from nb_discipline.analysis.history import ran_apart
from nb_discipline.engine import check
from nb_discipline.rules import selected_rules
from tests.builders import code, notebook, stream_output


def shown(text: str) -> dict:
    return {
        "output_type": "execute_result",
        "execution_count": None,
        "metadata": {},
        "data": {"text/plain": text},
    }


def history(address: str) -> dict:
    return shown(f"<keras.callbacks.History at 0x{address}>")


def codes(nb, selector: str) -> list[tuple[str, int]]:
    return [(d.code, d.cell) for d in check(nb, rules=selected_rules([selector], [], []))]


def test_objects_far_apart_in_memory_are_not_read_as_one_session() -> None:
    """czy36mengfei/tensorflow2_tutorials_chinese 003-keras_training_and_evaluation.ipynb: cell
    22 [5] prints a History at 0x7f19..., cell 20 [6] one at 0x7f7b...: another process."""
    cells = [
        code("import keras\nmodel = keras.Model()", 2),
        code("model.fit(x)\nmodel = keras.Model()", 18, outputs=[history("7f1de00675c0")]),
        code("model.fit(x)", 6, outputs=[history("7f7b88f8fb38")]),
        code("model = keras.Model()\nmodel.fit(x)", 5, outputs=[history("7f192eecfc88")]),
    ]
    assert codes(notebook(*cells), "NBD203") == []
    assert codes(notebook(*cells), "NBD101") == []
    near = [
        cells[0],
        cells[1],
        code("model.fit(x)", 6, outputs=[history("7f1d9a74d240")]),
        code("model = keras.Model()\nmodel.fit(x)", 5, outputs=[history("7f1d98dd4710")]),
    ]
    assert codes(notebook(*near), "NBD203") == [("NBD203", 3)]
    assert codes(notebook(*near), "NBD101") == [("NBD101", 3), ("NBD101", 4)]


@pytest.mark.parametrize(
    ("one", "other", "apart"),
    [
        ([history("7f1d9a74d240")], [history("7f1d98dd4710")], False),
        ([history("7f1d9a74d240")], [history("7f7b88f8fb38")], True),
        # the nearest pair decides: one process made both close objects
        ([history("7f7b88f8fb38"), history("7f1d00000000")], [history("7f1d98dd4710")], False),
        ([history("7f1d9a74d240")], [], False),  # no evidence
        ([shown("<object at 0x55d0c0a1b2c0>")], [history("7f1d98dd4710")], False),  # heap, maps
        ([shown("<object at 0x10a3b2c50>")], [shown("<object at 0x2fa3b2c50>")], False),  # low
        ([shown("<object at 0x1d3a3b2c5010>")], [shown("<object at 0x1d3fa3b2c501>")], True),
        (
            [stream_output("/tmp/ipykernel_4211/3181.py:3: UserWarning: slow\n", "stderr")],
            [stream_output("/tmp/ipykernel_977/1200.py:5: UserWarning: slow\n", "stderr")],
            True,
        ),
        (
            [stream_output("/tmp/ipykernel_4211/3181.py:3: UserWarning\n", "stderr")],
            [stream_output("/tmp/ipykernel_4211/1200.py:5: UserWarning\n", "stderr")],
            False,
        ),
    ],
)
def test_ran_apart(one: list, other: list, apart: bool) -> None:
    nb = notebook(code("a = 1", 1, outputs=one), code("b = 2", 2, outputs=other))
    first, second = nb.code_cells
    assert ran_apart(first, second) is apart


def test_error_tracebacks_name_the_kernel_process() -> None:
    traceback = {
        "output_type": "error",
        "ename": "ValueError",
        "evalue": "bad",
        "traceback": ["\x1b[0;32m/tmp/ipykernel_31/2754.py\x1b[0m in \x1b[0;36m<module>\x1b[0m"],
    }
    cells = [
        code("x = 1", 1),
        code("print(x)", 3, outputs=[traceback]),
        code("x = 2", 2, outputs=[stream_output("/tmp/ipykernel_58/11.py:1: Warning\n", "stderr")]),
    ]
    assert codes(notebook(*cells), "NBD203") == []
    assert codes(notebook(*cells), "NBD101") == []

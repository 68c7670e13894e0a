"""The cyclic garbage collector: paused while checks build acyclic objects, and always given back."""

from __future__ import annotations

import gc
import threading

import pytest

from nb_discipline import collector
from nb_discipline.batch import PARALLEL_MIN_BYTES, check_files
from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.rules import Rule
from tests.builders import code, notebook, write_notebook


@pytest.fixture
def one_shot(monkeypatch) -> None:
    """This process as the `nbcheck` command: pauses allowed (undone after the test)."""
    monkeypatch.setattr(collector, "_allowed", False)
    collector.allow_pauses()


def test_pauses_nest_and_overlap_across_threads(one_shot) -> None:
    assert gc.isenabled()
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    states = []

    def first() -> None:
        with collector.paused():
            first_in.set()
            second_in.wait()
        first_out.set()

    def second() -> None:
        first_in.wait()
        with collector.paused():
            second_in.set()
            first_out.wait()
            states.append(gc.isenabled())  # the first thread's pause ended, this one's has not
            with collector.paused():
                states.append(gc.isenabled())
            states.append(gc.isenabled())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert states == [False, False, False]
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(one_shot) -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_parallel_check_unfreezes_what_it_froze(tmp_path) -> None:
    # Large enough for the worker pool, which freezes the parent's objects before forking.
    padding = "x" * (PARALLEL_MIN_BYTES // 2)
    paths = [
        str(write_notebook(tmp_path / f"nb{number}.ipynb", code(f"y = 1  # {padding}", 1)))
        for number in range(2)
    ]
    result = check_files(paths, Settings(), jobs=2, use_cache=False)
    assert (result.checked, result.errors) == (2, [])
    assert gc.get_freeze_count() == 0


def recording_rule(states: list[bool]) -> Rule:
    def record(analysis):
        states.append(gc.isenabled())
        return []

    return Rule("NBD999", "record", record)


def test_a_check_outside_the_command_leaves_the_collector_on() -> None:
    """The server checks in threads of a process that does much else, a kernel runs the user's
    code: the collector is one switch for the whole process, so a check there never turns it off."""
    states: list[bool] = []
    thread = threading.Thread(
        target=check, args=(notebook(code("x = 1", 1)), Settings(), [recording_rule(states)])
    )
    thread.start()
    thread.join(timeout=60)
    assert states == [True]


def test_the_command_pauses_the_collector_during_a_check(one_shot) -> None:
    states: list[bool] = []
    check(notebook(code("x = 1", 1)), Settings(), [recording_rule(states)])
    assert states == [False]
    assert gc.isenabled()


def test_a_check_leaves_no_cycle_for_the_paused_collector_to_find() -> None:
    """The analyses are freed by their reference counts when the check ends: what the collector
    would have to find is what a paused collector lets pile up (what several rules share of an
    analysis refers back to it: it is dropped at the end)."""
    cells = [
        code(
            "import numpy as np\nimport torch\nfrom sklearn.model_selection import train_test_split"
        ),
        code("x = np.random.rand(10)\nt = torch.randn(3)\nparts = train_test_split(x)"),
        code("def helper(v):\n    return v * factor\nfactor = 2\nhelper(x)"),
    ]
    check(notebook(*cells))  # what a first check compiles (regular expressions) leaves cycles
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        check(notebook(*cells))
        left = gc.collect()
    finally:
        if was_enabled:
            gc.enable()
    assert left == 0

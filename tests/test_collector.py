"""The cyclic garbage collector: paused while checks build acyclic objects, and always given back."""

from __future__ import annotations

import gc
import threading

from nb_discipline import collector
from nb_discipline.batch import PARALLEL_MIN_BYTES, check_files
from nb_discipline.config import Settings
from tests.builders import code, write_notebook


def test_pauses_nest_and_overlap_across_threads() -> None:
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


def test_a_disabled_collector_stays_disabled() -> None:
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

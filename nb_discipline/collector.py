"""Pausing Python's cyclic garbage collector while nbcheck builds objects that hold no cycles.

The collector starts a pass every 700 new container objects and, now and then, walks every live
one. A check makes many and keeps them, with no reference cycles among them: the modules and
settings of the start-up, the trees and records of an analysis (freed by their reference counts
when the notebook is done). Passes over them find nothing, and their cost grows with what is
alive: a tenth of a one-notebook run, and quadratic time on a notebook of thousands of cells.
"""

from __future__ import annotations

import gc
import os
from _thread import allocate_lock
from collections.abc import Iterator
from contextlib import contextmanager

# The collector is one switch for the whole process. Only a process that does nothing but check
# may turn it off (allow_pauses): in the server's, or a kernel's, a pause would stop the collection
# of everything else the process allocates meanwhile, not only of the check's objects.
_allowed = False
# Checks may overlap in threads: the first pause to begin turns the collector off, the last to end
# turns it back on (if it was on).
_lock = allocate_lock()
_pauses = 0
_was_enabled = False


def allow_pauses() -> None:
    """Let `paused()` pause the collector in this process: the `nbcheck` command and its workers,
    which check and exit. Elsewhere `paused()` changes nothing."""
    global _allowed
    _allowed = True


def pauses_allowed() -> bool:
    return _allowed


def _unlock_in_child() -> None:
    global _lock
    _lock = allocate_lock()  # a fork may copy the lock held by a thread the child does not have


os.register_at_fork(after_in_child=_unlock_in_child)


@contextmanager
def paused() -> Iterator[None]:
    """No collector passes inside; when the last pause ends, it runs again if it ran before.
    Pauses nest, and overlap across threads. Nothing pauses before allow_pauses()."""
    global _pauses, _was_enabled
    if not _allowed:
        yield
        return
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()

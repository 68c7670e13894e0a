"""Pausing Python's cyclic garbage collector while nbcheck builds objects that hold no cycles.

The collector starts a pass every 700 new container objects and, now and then, walks every live
one. A check makes many and keeps them, with no reference cycles among them: the modules and
settings of the start-up, the trees and records of an analysis (freed by their reference counts
when the notebook is done). Passes over them find nothing, and their cost grows with what is
alive: a tenth of a one-notebook run, and quadratic time on a notebook of thousands of cells.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No collector passes inside; on leaving, it runs again if it ran before (nesting is fine)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

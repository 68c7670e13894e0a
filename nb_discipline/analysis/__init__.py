"""Pure program analysis over a Notebook, computed lazily: a rule pays only for what it reads."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from ..config import Settings
from ..model import Notebook
from ..records import TYPE_CHECKING
from .calls import Calls
from .dataflow import Dataflow, predefined_names
from .history import History
from .packages import Project
from .source import ParsedCell, parse_cells

if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")


class Analysis:
    """One notebook under check, with its settings and every analysis of it, each made once."""

    def __init__(self, notebook: Notebook, settings: Settings) -> None:
        self.notebook = notebook
        self.settings = settings
        self._shared: dict = {}

    def shared(self, make: Callable[[Analysis], T]) -> T:
        """`make(self)`, made once for this notebook: what several rules read (the seeding
        before each call, for NBD301 and NBD303; the imports' statuses, for NBD401 and NBD402).
        It lives as long as this analysis, so nothing of a notebook outlives its check."""
        try:
            return self._shared[make]
        except KeyError:
            value = self._shared[make] = make(self)
            return value

    def release(self) -> None:
        """Drop what `shared` made: most of it refers back to this analysis, a cycle that only
        the garbage collector would free, and a check pauses it (nb_discipline.collector)."""
        self._shared.clear()

    @cached_property
    def history(self) -> History:
        return History.of(self.notebook)

    @cached_property
    def parsed(self) -> tuple[ParsedCell, ...]:
        """Every code cell parsed once, in notebook order."""
        return parse_cells(self.notebook.code_cells)

    @cached_property
    def dataflow(self) -> Dataflow:
        """What each code cell reads from and binds in the global namespace."""
        return Dataflow(self.parsed, predefined_names(self.notebook, self.settings.builtins))

    @cached_property
    def calls(self) -> Calls:
        """Calls and imports, top to bottom, with names resolved through the imports above."""
        return Calls.of(self.parsed)

    @cached_property
    def project(self) -> Project:
        """The project the notebook belongs to: its dependency files and its own modules."""
        return Project(self.notebook.path, self.settings)

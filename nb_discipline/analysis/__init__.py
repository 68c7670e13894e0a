"""Pure program analysis over a Notebook, computed lazily: a rule pays only for what it reads."""

from __future__ import annotations

from functools import cached_property

from ..config import Settings
from ..model import Notebook
from .history import History


class Analysis:
    """One notebook under check, with its settings and every analysis of it, each made once."""

    def __init__(self, notebook: Notebook, settings: Settings) -> None:
        self.notebook = notebook
        self.settings = settings

    @cached_property
    def history(self) -> History:
        return History.of(self.notebook)

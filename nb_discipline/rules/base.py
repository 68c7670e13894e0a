"""What a rule is, and what it returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..model import Cell, Fix
from ..records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from ..analysis import Analysis


class Finding(Record):
    """A rule's report about one place in one cell; the engine turns it into a Diagnostic."""

    cell: Cell
    message: str
    row: int = 1
    column: int = 1
    end_row: int | None = None
    end_column: int | None = None
    symbol: str | None = None
    help: str | None = None
    """A sentence for the person: what to do about it."""
    fix: Fix | None = None
    """The edits that do it, when the machine can (`nbcheck --fix`)."""


class Rule(Record):
    """A rule: a stable code, a kebab-case name, and the documented function that checks."""

    code: str
    name: str
    check: Callable[[Analysis], Iterable[Finding]]
    severity: str = "warning"
    python_only: bool = False
    """Rules that read code skip notebooks whose kernel is not Python (order rules do not)."""

    @property
    def family(self) -> str:
        return self.code[:4]

    @property
    def doc(self) -> str:
        import inspect

        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.split("\n\n", 1)[0].replace("\n", " ")

    def to_dict(self) -> dict[str, object]:
        """The rule as `nbcheck rules --json` and the server's rules endpoint give it."""
        return {
            "code": self.code,
            "name": self.name,
            "summary": self.summary,
            "severity": self.severity,
            "python_only": self.python_only,
            "explanation": self.doc,
        }

    def matches(self, selector: str) -> bool:
        """True when `selector` (ALL, a code prefix such as NBD2, a code or a name) names this rule."""
        upper = selector.upper()
        return upper == "ALL" or self.code.startswith(upper) or selector == self.name

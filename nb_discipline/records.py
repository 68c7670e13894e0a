"""`Record`: the class syntax of `typing.NamedTuple`, without its cost at start-up.

nbcheck starts on every commit, so its start-up is part of its speed. Importing `typing` takes
about 5 ms here, and `typing.NamedTuple` turns each field's annotation (a string, under
`from __future__ import annotations`) into a compiled forward reference: 0.3-1 ms per class,
some 15 ms over the records a check defines. A `Record` subclass is the `collections.namedtuple`
that `typing.NamedTuple` would make, with the same fields, defaults, docstring, methods and
annotations, the annotations left as written. Type checkers see `typing.NamedTuple` itself, and
pydantic reads the annotations as it reads a NamedTuple's.

    class Location(Record):
        row: int
        column: int = 1
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:

    class _RecordType(type):
        def __new__(cls, name: str, bases: tuple[type, ...], namespace: dict):
            if not bases:  # Record itself
                return super().__new__(cls, name, bases, namespace)
            fields = list(namespace.get("__annotations__", {}))
            defaults = [namespace[field] for field in fields if field in namespace]
            required = fields[: len(fields) - len(defaults)]
            if any(field in namespace for field in required):
                raise TypeError(f"{name}: a field without a default follows one with a default")
            record = namedtuple(name, fields, defaults=defaults, module=namespace["__module__"])
            for key, value in namespace.items():
                if key not in fields and key not in ("__module__", "__classcell__"):
                    setattr(record, key, value)
            return record

    class Record(metaclass=_RecordType):
        """Base class of the package's named tuples: `class Cell(Record): index: int ...`."""

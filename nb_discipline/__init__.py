"""nb-discipline: make Jupyter notebooks safe to ship models from.

The public API is imported lazily, so `import nb_discipline` stays cheap (nbcheck runs on every
commit, and the IPython extension loads in every kernel).
"""

from __future__ import annotations

from .records import TYPE_CHECKING

__version__ = "0.1.0"

_EXPORTS = {
    "check": ("engine", "check"),
    "Diagnostic": ("model", "Diagnostic"),
    "Notebook": ("model", "Notebook"),
    "Cell": ("model", "Cell"),
    "load": ("loader", "load"),
    "loads": ("loader", "loads"),
    "LoadError": ("loader", "LoadError"),
    "Settings": ("config", "Settings"),
    "RULES": ("rules", "RULES"),
    "seed_everything": ("seeding", "seed_everything"),
}

if TYPE_CHECKING:
    from typing import Any

    from .config import Settings
    from .engine import check
    from .loader import LoadError, load, loads
    from .model import Cell, Diagnostic, Notebook
    from .rules import RULES
    from .seeding import seed_everything


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nb_discipline' has no attribute {name!r}")
    import importlib

    module_name, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(f".{module_name}", __name__), attribute)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nb_discipline`."""
    from .magic import load_ipython_extension as load_extension

    load_extension(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """`%unload_ext nb_discipline`."""
    from .magic import unload_ipython_extension as unload_extension

    unload_extension(ipython)


__all__ = [
    "RULES",
    "Cell",
    "Diagnostic",
    "LoadError",
    "Notebook",
    "Settings",
    "__version__",
    "check",
    "load",
    "loads",
    "seed_everything",
]

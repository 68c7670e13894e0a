"""`nbcheck repro`: re-execute notebooks in fresh kernels under fixed seeds and prove that they
reproduce their MLflow metrics and outputs.

    from nb_discipline.repro import ReproOptions, run_repro
    report = run_repro(["notebooks/"], ReproOptions(runs=2))
    report.reproduced, report.to_dict()

Imported lazily: the pytest plugin and the CLI load this package on every run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "run_repro": "session",
    "ReproOptions": "session",
    "ReproError": "session",
    "Progress": "session",
    "CompareOptions": "compare",
    "Report": "results",
    "NotebookResult": "results",
}

if TYPE_CHECKING:
    from .compare import CompareOptions
    from .results import NotebookResult, Report
    from .session import Progress, ReproError, ReproOptions, run_repro


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'nb_discipline.repro' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "CompareOptions",
    "NotebookResult",
    "Progress",
    "Report",
    "ReproError",
    "ReproOptions",
    "run_repro",
]

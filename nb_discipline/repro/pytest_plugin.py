"""pytest plugin: `pytest --nbcheck-repro notebooks/` makes each notebook one test item that passes
only when it reproduces (the same check as `nbcheck repro`, configured the same way).

One item per notebook is what lets pytest-xdist (`-n auto`) and CI test splitting spread a large
collection across workers and machines. Registered through the `pytest11` entry point, so it is
loaded into every pytest run: it imports nothing heavy until a notebook item runs.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nbcheck-repro", "notebook reproducibility (nb-discipline)")
    group.addoption(
        "--nbcheck-repro",
        action="store_true",
        help="collect .ipynb files as tests that pass when the notebook reproduces",
    )
    group.addoption("--nbcheck-repro-runs", type=int, metavar="N", help="runs per notebook")
    group.addoption("--nbcheck-repro-seed", type=int, metavar="SEED", help="seed for every RNG")
    group.addoption("--nbcheck-repro-timeout", type=float, metavar="SECONDS", help="per cell")
    group.addoption("--nbcheck-repro-kernel", metavar="NAME", help="kernel to run notebooks in")


def pytest_collect_file(file_path, parent):
    if (
        parent.config.getoption("nbcheck_repro")
        and file_path.suffix == ".ipynb"
        and ".ipynb_checkpoints" not in file_path.parts
    ):
        return NotebookFile.from_parent(parent, path=file_path)
    return None


class NotebookFile(pytest.File):
    def collect(self):
        yield NotebookItem.from_parent(self, name="repro")


class ReproFailure(Exception):
    """The notebook did not reproduce; the report says why."""


class NotebookItem(pytest.Item):
    def runtest(self) -> None:
        from ..frontend import settings_for
        from .report import summary, text
        from .results import UNVERIFIED
        from .session import ReproOptions, run_repro

        config = self.config
        settings = settings_for(_ConfigArgs(), start=str(self.path.parent))
        options = ReproOptions.from_settings(
            settings,
            runs=config.getoption("nbcheck_repro_runs"),
            seed=config.getoption("nbcheck_repro_seed"),
            timeout=config.getoption("nbcheck_repro_timeout"),
            kernel=config.getoption("nbcheck_repro_kernel"),
        )
        report = run_repro([str(self.path)], options, settings=settings)
        self.user_properties.append(("nbcheck_repro", report.to_dict()["notebooks"]))
        if not report.errors and all(r.verdict == UNVERIFIED for r in report.results):
            pytest.skip(f"{self.path.name}: {summary(report.results[0])}")
        if not report.reproduced:
            raise ReproFailure(text(report))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ReproFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}: nbcheck repro"


class _ConfigArgs:
    """settings_for reads only these from the command line; configuration is found from the
    notebook's directory upwards."""

    config = None
    isolated = False

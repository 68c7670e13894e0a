from __future__ import annotations

from dataclasses import dataclass

import pytest

from nb_discipline.cli import main
from tests import sandbox


@dataclass
class CliResult:
    exit_code: int
    out: str
    err: str


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """The tests never write to the user's home (tests/sandbox.py), from before the first fixture."""
    sandbox.enter()


@pytest.fixture
def nbcheck(capsys, monkeypatch):
    """Run `nbcheck ARGS` in-process."""
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        exit_code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(exit_code, captured.out, captured.err)

    return run


@pytest.fixture
def shell(monkeypatch, tmp_path):
    """A real IPython shell with the extension loaded, working in an empty directory."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    # mlflow.set_experiment exports MLFLOW_EXPERIMENT_ID: keep it from leaking into later tests.
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    ip.reset(new_session=True)
    ip.run_line_magic("load_ext", "nb_discipline")
    yield ip
    ip.run_line_magic("unload_ext", "nb_discipline")
    ip.reset(new_session=True)

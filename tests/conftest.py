from __future__ import annotations

from dataclasses import dataclass

import pytest

from nb_discipline.cli import main


@dataclass
class CliResult:
    exit_code: int
    out: str
    err: str


@pytest.fixture
def nbcheck(capsys, monkeypatch, tmp_path):
    """Run `nbcheck ARGS` in-process; configuration cache kept in a temp dir."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    monkeypatch.setenv("NO_COLOR", "1")

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        exit_code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(exit_code, captured.out, captured.err)

    return run

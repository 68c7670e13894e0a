"""The suite stays in its sandbox: a run leaves the user's home as it found it (tests/sandbox.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import sandbox

ROOT = Path(__file__).resolve().parents[1]
# A few tests, not the suite: this one of test_source.py opens an IPython shell (its history
# database) in a module-scoped fixture; test_paths.py runs nbcheck (its cache) in each test.
TESTS = ["tests/test_source.py::test_parses_exactly_when_ipython_does", "tests/test_paths.py"]


def test_a_run_leaves_an_empty_home_empty(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # A user with nothing set but HOME: every tool's directory defaults to one under it.
    dropped = {*sandbox.DROPPED, sandbox.USER_VALUES}
    environment = {name: value for name, value in os.environ.items() if name not in dropped}
    environment["HOME"] = str(home)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"]
    result = subprocess.run(
        [*pytest, "--basetemp", str(tmp_path / "basetemp"), *TESTS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(str(path.relative_to(home)) for path in home.rglob("*")) == []

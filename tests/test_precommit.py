"""The pre-commit hook, as a user's repository runs it: `pre-commit try-repo <this repo> nbcheck`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="try-repo needs this project's git checkout"
)
def test_try_repo_on_the_examples(tmp_path) -> None:
    user_repo = tmp_path / "analysis"
    (user_repo / "notebooks").mkdir(parents=True)
    for name in ("sins.ipynb", "clean.ipynb"):
        shutil.copy(EXAMPLES / name, user_repo / "notebooks" / name)
    shutil.copy(EXAMPLES / "requirements.txt", user_repo / "requirements.txt")
    _git(user_repo, "init", "-q")
    _git(user_repo, "add", ".")
    _git(user_repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    pre_commit = [sys.executable, "-m", "pre_commit"]
    result = subprocess.run(
        [*pre_commit, "try-repo", str(ROOT), "nbcheck", "--all-files", "--color", "never"],
        cwd=user_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "nbcheck..." in output and "Failed" in output
    assert "notebooks/sins.ipynb:cell 3:1:1: NBD101" in output
    assert "notebooks/clean.ipynb" not in output

"""The pre-commit hook, as a user's repository runs it: `pre-commit try-repo <this repo> nbcheck`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import code, write_notebook

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


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="the hook is installed from this checkout")
def test_the_hook_with_fix_fails_when_it_changed_a_notebook(tmp_path) -> None:
    """`args: [--fix]` as with ruff: the run that fixes a notebook fails (pre-commit sees the
    file changed), the next one passes. The hook is this repository's at its last commit."""
    user_repo = tmp_path / "analysis"
    user_repo.mkdir()
    (user_repo / "requirements.txt").write_text("numpy==1.26.4\n")
    notebook = write_notebook(
        user_repo / "nb.ipynb",
        code("!pip install numpy", 1),
        code("import numpy as np\nx = np.zeros(3)", 2),
    )
    revision = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    (user_repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {ROOT}\n  rev: {revision}\n  hooks:\n  - id: nbcheck\n    args: [--fix]\n"
    )
    _git(user_repo, "init", "-q")
    _git(user_repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
            cwd=user_repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )

    first = run()
    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    assert "files were modified by this hook" in output
    assert "Found 1 finding in 1 notebook (1 fixed, 0 remaining; 1 checked)." in output
    assert '"%pip install numpy==1.26.4"' in notebook.read_text()
    second = run()
    assert second.returncode == 0, second.stdout + second.stderr

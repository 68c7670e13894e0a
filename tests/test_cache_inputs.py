"""The findings kept for a notebook depend on what its check read, and on nothing more: a file
added to a folder above the project keeps them, a repository appearing above does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from nb_discipline import cache
from tests import test_cache
from tests.builders import code, git, write_notebook
from tests.test_cache import tamper_with_kept_findings

# test_cache's autouse fixture: a cache of each test's own, found by pytest under this name.
cache_directory = test_cache.cache_directory

READS_DATA = "import pandas as pd\nframe = pd.read_csv('data.csv')"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project (its pyproject.toml) in a folder that is in no git repository; pandas unpinned
    (NBD401) gives the check a finding to keep."""
    root = tmp_path / "outer" / "project"
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\ndependencies = ["pandas"]\n')
    (root / "data.csv").write_text("a\n1\n")
    write_notebook(root / "nb.ipynb", code(READS_DATA, 1))
    return root


@pytest.fixture
def kept(project: Path, nbcheck, cache_directory: Path, monkeypatch):
    """Check the project once; returns a function that checks it again: (whether the findings
    came from the cache, the NBD codes found)."""
    monkeypatch.chdir(project)

    def run_again() -> tuple[bool, list[str]]:
        tamper_with_kept_findings(cache_directory)
        out = nbcheck("--output-format", "concise", "nb.ipynb").out
        codes = [line.split()[2] for line in out.splitlines() if " NBD" in line]
        return "FROM THE CACHE" in out, codes

    nbcheck("nb.ipynb")
    return run_again


def test_a_file_added_above_the_project_keeps_the_findings(project: Path, kept) -> None:
    (project.parent / "notes.txt").write_text("unrelated\n")
    (project.parent / "other-project").mkdir()
    assert kept() == (True, ["NBD401"])


def test_a_repository_made_above_the_project_checks_again(project: Path, kept) -> None:
    git(project.parent, "init", "-q")
    assert kept() == (False, ["NBD401", "NBD503"])  # data.csv: git does not track it


def test_an_empty_git_folder_made_a_repository_checks_again(project: Path, kept) -> None:
    (project.parent / ".git").mkdir()  # no HEAD: no repository, to git and to nbcheck
    assert kept() == (False, ["NBD401"])
    assert kept() == (True, ["NBD401"])  # the HEAD it does not have is noted
    git(project.parent, "init", "-q")
    assert kept() == (False, ["NBD401", "NBD503"])


def test_a_git_file_pointing_elsewhere_checks_again(project: Path, kept, tmp_path: Path) -> None:
    """A `.git` file (a worktree's, a submodule's) is read: where it points is an input."""
    tracking = tmp_path / "tracking"
    tracking.mkdir()
    git(tracking, "init", "-q")
    (tracking / "data.csv").write_text("a\n1\n")
    git(tracking, "add", "data.csv")
    (project / ".git").write_text("gitdir: ../missing.git\n")
    assert kept() == (False, ["NBD401", "NBD503"])  # an index that cannot be found tracks nothing
    (project / ".git").write_text(f"gitdir: {tracking / '.git'}\n")
    assert kept() == (False, ["NBD401"])


def test_what_a_path_is_gives_way_to_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("numpy==1.0\n")
    name = str(path)
    with cache.recording() as inputs:
        cache.note(name, cache.entry_status(name))
        cache.note(name)
    assert inputs[name] == cache.file_status(name)
    with cache.recording() as inputs:
        cache.note(name)
        cache.note(name, cache.entry_status(name))
    assert inputs[name] == cache.file_status(name)
    assert cache._unchanged([(name, cache.entry_status(name))])
    path.unlink()
    assert not cache._unchanged([(name, ("entry", "file"))])

"""Which notebooks a run checks: ignore files and excludes, matched as ruff 0.17 matches them.

Each expected list is what `ruff check --show-files PATH` lists in the same tree.
"""

from __future__ import annotations

import os

import pytest

from nb_discipline.config import Settings
from nb_discipline.discovery import discover

FILES = [
    "a.ipynb",
    "build/a.ipynb",
    "build/sub/b.ipynb",
    "build/sub/deep/d.ipynb",
    "build/build/c.ipynb",
    "out/run1/x.ipynb",
    "out/run1/y.tmp.ipynb",
]


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A repository whose build/.gitignore ignores build/sub/deep; the test writes the root's."""
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    (tmp_path / ".git").mkdir()
    (tmp_path / "build" / ".gitignore").write_text("deep/\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def found(paths: list[str], settings: Settings) -> list[str]:
    files, errors = discover(paths, settings)
    assert errors == []
    return sorted(os.path.normpath(name) for name in files)


@pytest.mark.parametrize(
    ("gitignore", "path", "expected"),
    [
        # A folder named on the command line is walked, whatever matches it or a folder above it;
        # the ignore files inside it (build/.gitignore) and above it still apply to its contents.
        ("build/", "build", ["build/a.ipynb", "build/sub/b.ipynb"]),
        ("build", "build", ["build/a.ipynb", "build/sub/b.ipynb"]),  # build/build: a `build`
        ("build/", ".", ["a.ipynb", "out/run1/x.ipynb", "out/run1/y.tmp.ipynb"]),
        ("build/*", "build", []),  # each entry of build/ is matched itself
        ("build/*", "build/sub", ["build/sub/b.ipynb"]),
        ("out/**", "out/run1", []),
        ("*.tmp.ipynb", "out", ["out/run1/x.ipynb"]),
        ("*/", "build/sub", ["build/sub/b.ipynb"]),
        # A folder git ignores is not entered: a file in it cannot be taken back.
        ("build/\n!build/a.ipynb", ".", ["a.ipynb", "out/run1/x.ipynb", "out/run1/y.tmp.ipynb"]),
        (
            "*\n!*/\n!*.ipynb",  # ignore everything but folders and notebooks
            ".",
            sorted(name for name in FILES if not name.startswith("build/sub/deep")),
        ),
    ],
)
def test_gitignore_as_ruff_reads_it(tree, gitignore, path, expected) -> None:
    (tree / ".gitignore").write_text(gitignore + "\n")
    # No excludes: nbcheck's default ones name `build`, ruff 0.17's do not.
    assert found([path], Settings(root=str(tree), exclude=())) == expected


def test_a_folder_named_is_walked_even_when_excluded(tree) -> None:
    settings = Settings(root=str(tree), exclude=("out", "build/sub/"))
    assert found(["."], settings) == ["a.ipynb", "build/a.ipynb", "build/build/c.ipynb"]
    assert found(["out"], settings) == ["out/run1/x.ipynb", "out/run1/y.tmp.ipynb"]
    assert found(["build/sub"], settings) == ["build/sub/b.ipynb"]

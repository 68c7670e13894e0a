"""What nbcheck keeps between runs: a second process parses nothing it parsed before, and every
change to a file it read shows at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import code, write_notebook

PROBE = """
import sys
from nb_discipline.cli import main
code = main(sys.argv[1:])
parsers = sorted(m for m in ('packaging', 'tomllib', 'pydantic', 'yaml') if m in sys.modules)
print('imported:', ' '.join(parsers) or '-')
"""


def nbcheck_process(project: Path, *args: str) -> tuple[list[str], str]:
    """(the findings' lines, the parsers the process imported) of `nbcheck` in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--output-format", "concise", *args, "nb.ipynb"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    *findings, imported = result.stdout.strip().splitlines()
    assert result.returncode in (0, 1), result.stderr
    return findings, imported.removeprefix("imported: ")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\ndependencies = ["pandas==2.2.3"]\n\n'
        '[tool.nb-discipline]\nignore = ["NBD104"]\n'
    )
    (tmp_path / "requirements.txt").write_text("-r requirements-ml.txt\n")
    (tmp_path / "requirements-ml.txt").write_text("scikit-learn==1.5.2\n")
    write_notebook(
        tmp_path / "nb.ipynb",
        code("!pip install lightgbm", 1),
        code("import pandas, sklearn, lightgbm", 2),
    )
    return tmp_path


def test_a_second_run_parses_no_file_again(project: Path) -> None:
    first, imported = nbcheck_process(project)
    assert imported == "packaging pydantic tomllib"
    assert [line.split()[2] for line in first] == ["NBD403", "NBD402"]
    second, imported = nbcheck_process(project)
    assert (second, imported) == (first, "-")


def test_every_change_to_a_file_read_shows_at_once(project: Path) -> None:
    nbcheck_process(project)
    # Each edit keeps the file's size, and follows the last run within the same clock tick.
    (project / "requirements-ml.txt").write_text("scikit-learn>=1.5.2\n")
    findings, _ = nbcheck_process(project)
    assert "NBD401 `sklearn` comes from scikit-learn" in "\n".join(findings)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"NBD104"', '"NBD401"'))
    findings, _ = nbcheck_process(project)
    assert "NBD401" not in "\n".join(findings)


def test_an_unusable_cache_changes_nothing(project: Path, monkeypatch, tmp_path_factory) -> None:
    expected, _ = nbcheck_process(project)
    # Broken entries: each is computed again.
    cache = tmp_path_factory.getbasetemp() / "cache" / "nb-discipline"
    for entry in cache.glob("*.marshal"):
        entry.write_bytes(entry.read_bytes()[:7])
    assert nbcheck_process(project) == (expected, "packaging pydantic tomllib")
    # No cache directory can be made: nothing is kept, and the result is the same.
    not_a_directory = tmp_path_factory.mktemp("unwritable") / "file"
    not_a_directory.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_directory))
    assert nbcheck_process(project) == (expected, "packaging pydantic tomllib")
    assert nbcheck_process(project) == (expected, "packaging pydantic tomllib")

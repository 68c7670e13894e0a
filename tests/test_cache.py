"""What nbcheck keeps between runs: a second process parses nothing it parsed before, and every
change to a file it read shows at once."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import code, write_notebook

PROBE = """
import sys
from nb_discipline.cli import main
code = main(sys.argv[1:])
heavy = (
    'packaging', 'tomllib', 'pydantic', 'yaml', 'nb_discipline.analysis',
    'pathlib', 'typing', 'dataclasses', 'shutil',
)
print('imported:', ' '.join(sorted(m for m in heavy if m in sys.modules)) or '-')
"""

# What a run that finds nothing kept imports: pathlib, typing, dataclasses and shutil come with
# pydantic and the installed metadata, never with the check itself (they cost a fifth of a
# one-notebook run at start-up).
PARSED_EVERYTHING = (
    "dataclasses nb_discipline.analysis packaging pathlib pydantic shutil tomllib typing"
)


def nbcheck_process(project: Path, *args: str) -> tuple[list[str], str]:
    """(the findings' lines, the parsers, analysis and start-up modules the process imported) of
    `nbcheck` in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "--output-format", "concise", *args, "nb.ipynb"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    *findings, imported = result.stdout.strip().splitlines()
    assert result.returncode in (0, 1), result.stderr
    return findings, imported.removeprefix("imported: ")


@pytest.fixture(autouse=True)
def cache_directory(tmp_path_factory, monkeypatch) -> Path:
    """A cache of this test's own (these tests break entries on purpose)."""
    home = tmp_path_factory.mktemp("cache-home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "nb-discipline"


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
        code("!pip install xgboost", 1),
        code("import pandas, sklearn, lightgbm", 2),
    )
    return tmp_path


def test_a_second_run_parses_no_file_again(project: Path) -> None:
    first, imported = nbcheck_process(project)
    assert imported == PARSED_EVERYTHING
    assert [line.split()[2] for line in first] == ["NBD403", "NBD402"]
    # Nor analyses the unchanged notebook again.
    second, imported = nbcheck_process(project)
    assert (second, imported) == (first, "-")
    # A changed notebook is analysed; its dependency files, unchanged, are not parsed again.
    third, imported = nbcheck_process(project, "--no-cache")
    assert (third, imported) == (first, "nb_discipline.analysis")


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


def test_an_unusable_cache_changes_nothing(
    project: Path, cache_directory: Path, monkeypatch, tmp_path_factory
) -> None:
    expected, _ = nbcheck_process(project, "--no-cache")
    # Broken entries: each is computed again.
    for entry in cache_directory.glob("*.marshal"):
        entry.write_bytes(entry.read_bytes()[:7])
    assert nbcheck_process(project) == (expected, PARSED_EVERYTHING)
    # No cache directory can be made: nothing is kept, and the result is the same.
    not_a_directory = tmp_path_factory.mktemp("unwritable") / "file"
    not_a_directory.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_directory))
    assert nbcheck_process(project) == (expected, PARSED_EVERYTHING)
    assert nbcheck_process(project) == (expected, PARSED_EVERYTHING)


# --- findings kept between runs --------------------------------------------------------------


def tamper_with_kept_findings(cache_directory: Path) -> None:
    """Rewrite every kept finding's message: a run that shows it read the finding from the cache."""
    for entry in cache_directory.glob("findings-*.marshal"):
        key, (inputs, findings) = marshal.loads(entry.read_bytes())
        findings = [(*fields[:2], "FROM THE CACHE", *fields[3:]) for fields in findings]
        entry.write_bytes(marshal.dumps((key, (inputs, findings))))


@pytest.fixture
def kept(project: Path, nbcheck, cache_directory: Path, monkeypatch):
    """Check `project` once, then mark what the cache keeps; returns a function that checks it
    again and says whether the findings came from the cache."""
    monkeypatch.chdir(project)

    def run_again(*args: str) -> tuple[bool, str]:
        tamper_with_kept_findings(cache_directory)
        out = nbcheck("--output-format", "concise", *args, "nb.ipynb").out
        return "FROM THE CACHE" in out, out

    nbcheck("nb.ipynb")
    return run_again


def test_unchanged_notebooks_are_not_checked_again(kept) -> None:
    assert kept()[0]
    assert kept()[0]
    assert not kept("--no-cache")[0]


def test_a_changed_notebook_is_checked_again(project: Path, kept) -> None:
    notebook = project / "nb.ipynb"
    notebook.write_text(notebook.read_text().replace("lightgbm", "catboost"))  # same size
    from_cache, out = kept()
    assert not from_cache and "`catboost`" in out


def test_other_settings_are_other_findings(kept) -> None:
    from_cache, out = kept("--select", "NBD403")
    assert not from_cache and "NBD402" not in out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # A dependency file, an included one: what is declared and pinned.
        (
            lambda p: (p / "requirements-ml.txt").write_text("scikit-learn>=1.5.2\n"),
            "NBD403 NBD401 NBD402",
        ),
        # Before each change: NBD403 (`pip install xgboost`) and NBD402 (`import lightgbm`).
        # A module appears beside the notebook: the import is the project's own.
        (lambda p: (p / "lightgbm.py").write_text(""), "NBD403"),
        # A new dependency file is found.
        (lambda p: (p / "requirements-boost.txt").write_text("lightgbm==4.5.0\n"), "NBD403"),
    ],
    ids=["edited-dependency-file", "new-local-module", "new-dependency-file"],
)
def test_a_change_to_what_the_check_read_checks_again(project: Path, kept, change, expected):
    change(project)
    from_cache, out = kept()
    assert not from_cache
    assert [line.split()[2] for line in out.splitlines() if "NBD" in line] == expected.split()


def test_clean_removes_what_is_kept(project: Path, kept, nbcheck, cache_directory: Path) -> None:
    assert list(cache_directory.glob("findings-*"))
    cleaned = nbcheck("clean")
    assert cleaned.exit_code == 0
    assert cleaned.out.startswith("Removed ") and str(cache_directory) in cleaned.out
    assert not cache_directory.exists()
    assert not kept()[0]  # checked again
    assert nbcheck("clean").exit_code == 0
    assert nbcheck("clean").out == f"Nothing to remove: {cache_directory} does not exist\n"


def test_a_settled_unchanged_file_is_unchanged_and_a_changed_one_is_not(
    tmp_path, monkeypatch
) -> None:
    from nb_discipline import cache

    monkeypatch.setattr(cache, "RACY_NS", 0)  # every file counts as settled
    path = tmp_path / "requirements.txt"
    path.write_text("numpy==1.0\n")
    status = cache.file_status(str(path))
    assert status[3] is not None
    assert cache._unchanged([(str(path), status)])  # same inode and times: not read
    path.write_text("numpy==1.0\n")  # new times, same contents: read again, unchanged
    assert cache._unchanged([(str(path), status)])
    path.write_text("numpy==1.10\n")
    assert not cache._unchanged([(str(path), status)])


def test_a_file_changed_within_the_racy_window_has_no_fingerprint(tmp_path) -> None:
    from nb_discipline import cache

    path = tmp_path / "requirements.txt"
    path.write_text("numpy==1.0\n")
    assert cache.file_status(str(path))[3] is None


def test_kept_findings_keep_their_fixes(project: Path, kept, nbcheck) -> None:
    write_notebook(
        project / "nb.ipynb",
        code("import numpy as np", 1),
        code("rng = np.random.default_rng()", 2),
    )
    fresh = json.loads(nbcheck("--no-cache", "--output-format", "json", "nb.ipynb").out)
    assert any(finding["fix"] for finding in fresh)
    kept()  # kept now, and marked
    tamper_with_kept_findings(Path(os.environ["XDG_CACHE_HOME"]) / "nb-discipline")
    again = json.loads(nbcheck("--output-format", "json", "nb.ipynb").out)
    assert {finding["message"] for finding in again} == {"FROM THE CACHE"}
    assert [finding["fix"] for finding in again] == [finding["fix"] for finding in fresh]


def test_a_fix_run_uses_the_findings_a_check_kept(project: Path, kept) -> None:
    """The fix options change what is fixed, not what is found: no second analysis."""
    assert kept("--unsafe-fixes", "--unfixable", "NBD403")[0]
    assert kept("--fix")[0]  # nothing this notebook has is fixed by a safe fix


def test_a_fix_run_with_nothing_to_fix_imports_what_a_check_does(project: Path) -> None:
    nbcheck_process(project)
    assert nbcheck_process(project, "--fix")[1] == "-"

"""Lineage facts (git state, hashes, package versions) and their MLflow tags, without MLflow."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys

import pytest

from nb_discipline.tracking import (
    INSTALL_HINT,
    Lineage,
    MissingMlflowError,
    file_sha256,
    git_state,
    lineage,
    package_versions,
    require_mlflow,
)
from tests.builders import git


@pytest.fixture
def repository(tmp_path):
    (tmp_path / "nb.ipynb").write_text("{}")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "nb.ipynb")
    git(tmp_path, "commit", "-qm", "first")
    return tmp_path


def test_git_state_names_the_commit_and_branch(repository) -> None:
    state = git_state(str(repository))
    assert state is not None
    assert state.commit == git(repository, "rev-parse", "HEAD")
    assert state.branch == "main"
    assert state.dirty is False


def test_a_modified_tracked_file_makes_the_tree_dirty(repository) -> None:
    (repository / "nb.ipynb").write_text('{"changed": true}')
    assert git_state(str(repository)).dirty is True


def test_untracked_files_do_not_make_the_tree_dirty(repository) -> None:
    (repository / "scratch.txt").write_text("notes")
    assert git_state(str(repository)).dirty is False


def test_no_git_state_outside_a_repository(tmp_path) -> None:
    assert git_state(str(tmp_path)) is None


def test_file_sha256(tmp_path) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b"notebook bytes")
    assert file_sha256(str(path)) == hashlib.sha256(b"notebook bytes").hexdigest()
    assert file_sha256(str(tmp_path / "missing.ipynb")) is None


def test_package_versions_name_distributions_not_modules() -> None:
    import numpy
    import sklearn

    versions = package_versions(["numpy.random", "sklearn", "json", "os.path"])
    assert versions == {"numpy": numpy.__version__, "scikit-learn": sklearn.__version__}


def test_lineage_tags_and_params(repository) -> None:
    run = lineage(
        str(repository / "nb.ipynb"),
        cell_id="abc",
        cell_index=3,
        seed=42,
        execution_count=7,
        modules=["numpy"],
    )
    tags = run.tags()
    assert tags["mlflow.source.name"] == str(repository / "nb.ipynb")
    assert tags["mlflow.source.type"] == "NOTEBOOK"
    assert tags["mlflow.source.git.commit"] == git(repository, "rev-parse", "HEAD")
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["nb_discipline.notebook.sha256"] == hashlib.sha256(b"{}").hexdigest()
    assert tags["nb_discipline.cell.id"] == "abc"
    assert tags["nb_discipline.cell.index"] == "3"
    assert tags["nb_discipline.execution_count"] == "7"
    assert tags["nb_discipline.git.dirty"] == "false"
    assert tags["nb_discipline.python"] == platform.python_version()
    assert "nb_discipline.package.numpy" in tags
    assert run.params() == {"seed": "42"}


def test_unknown_facts_are_left_out_not_invented() -> None:
    tags = Lineage(None, None, None, None, None, None, None).tags()
    assert set(tags) == {"nb_discipline.python", "mlflow.source.type"}


def test_without_mlflow_the_error_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # what `import mlflow` sees when absent
    with pytest.raises(MissingMlflowError, match="pip install") as error:
        require_mlflow()
    assert INSTALL_HINT in str(error.value)


def test_importing_tracking_does_not_import_mlflow() -> None:
    code = "import sys, nb_discipline.tracking; print('mlflow' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_inputs_tag_lists_what_fits_and_says_how_many_more() -> None:
    from nb_discipline.lineage import FileInput, Reads
    from nb_discipline.tracking import TAG_CHARACTERS, inputs_tag

    files = tuple(
        FileInput(f"data/part-{n:04}.csv", f"/p/data/part-{n:04}.csv", 1, f"{n:064x}")
        for n in range(500)
    )
    tag = inputs_tag(Reads(files, ("https://example.org/x.csv",)))
    lines = tag.splitlines()
    assert len(tag) <= TAG_CHARACTERS
    assert lines[0] == f"{0:064x} data/part-0000.csv"
    kept = len(lines) - 1
    assert lines[-1] == f"... {501 - kept} more (the run's dataset inputs list them)"
    assert inputs_tag(Reads(files[:2])) == (
        f"{0:064x} data/part-0000.csv\n{1:064x} data/part-0001.csv"
    )


def test_mlflows_own_store_is_not_data(tmp_path) -> None:
    import mlflow

    from nb_discipline.tracking import tracking_locations

    try:
        mlflow.set_tracking_uri(f"file://{tmp_path}/mlruns")
        assert tracking_locations() == (str(tmp_path / "mlruns"),)
        mlflow.set_tracking_uri("http://mlflow.example.org:5000")
        assert tracking_locations() == ("http://mlflow.example.org:5000",)
        mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
        assert tracking_locations() == ()
    finally:
        mlflow.set_tracking_uri(None)


def test_a_skipped_folder_is_not_recorded(tmp_path, monkeypatch) -> None:
    from nb_discipline.lineage import Recorder

    (tmp_path / "mlruns").mkdir()
    (tmp_path / "mlruns" / "meta.yaml").write_text("x\n")
    (tmp_path / "data.csv").write_text("y\n")
    recorder = Recorder(str(tmp_path))
    with recorder.record(skip=[str(tmp_path / "mlruns")]):
        (tmp_path / "mlruns" / "meta.yaml").read_text()
        (tmp_path / "data.csv").read_text()
    assert [file.path for file in recorder.reads.files] == ["data.csv"]

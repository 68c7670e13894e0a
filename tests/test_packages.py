"""analysis.packages: the project root, where its dependency files are, local modules, import names."""

from __future__ import annotations

import marshal
import sys
from pathlib import Path

import pytest

from nb_discipline import cache
from nb_discipline.analysis.packages import (
    Project,
    import_key,
    installed_distributions,
    project_root,
)
from nb_discipline.config import Settings
from tests.test_dependency_files import write


def project(tmp_path: Path, **settings) -> Project:
    (tmp_path / ".git").mkdir(exist_ok=True)
    return Project(
        str(tmp_path / "notebooks" / "nb.ipynb"), Settings(root=str(tmp_path), **settings)
    )


# --- the project root and discovery ---------------------------------------------------------


def test_project_root_is_the_nearest_directory_with_git_or_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path / "sub" / "pyproject.toml", "[project]\nname = 'sub'\n")
    deep = tmp_path / "sub" / "notebooks" / "eda"
    deep.mkdir(parents=True)
    assert project_root(deep) == str(tmp_path / "sub")
    assert project_root(tmp_path / "other") == str(tmp_path)


def test_without_a_root_only_the_notebook_directory_counts(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "pandas==2.2.3\n")
    notebook_dir = tmp_path / "loose"
    notebook_dir.mkdir()
    if project_root(notebook_dir) != str(notebook_dir):
        pytest.skip("a .git or pyproject.toml above the temporary directory makes it a project")
    found = Project(str(notebook_dir / "nb.ipynb"), Settings())
    assert found.dependency_files == ()


def test_looking_for_the_root_keeps_only_whether_each_folder_holds_a_marker(
    tmp_path: Path,
) -> None:
    """A file made in a folder the search passed (in /tmp, say) changes nothing it read, a
    `pyproject.toml` made there does (it is a nearer root), wherever the search ended."""
    notebook_dir = tmp_path / "loose"
    notebook_dir.mkdir()
    with cache.recording() as inputs:
        project_root(notebook_dir)
    read = list(inputs.items())
    (tmp_path / "scratch.csv").write_text("x\n")
    (notebook_dir / "notes.txt").write_text("x\n")
    assert cache._unchanged(read)
    (tmp_path / "pyproject.toml").write_text("")
    assert not cache._unchanged(read)


def test_dependency_files_are_found_from_the_notebook_up_to_the_root(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "pandas==2.2.3\n")
    write(tmp_path / "requirements-dev.txt", "pytest\n")
    write(tmp_path / "requirements" / "ml.txt", "torch==2.4.0\n")
    write(tmp_path / "notebooks" / "environment.yml", "dependencies:\n  - numpy=1.26.4\n")
    write(tmp_path / "notebooks" / "notes.txt", "not a dependency file\n")
    found = project(tmp_path)
    assert [found.display(path) for path in found.dependency_files] == [
        "notebooks/environment.yml",
        "requirements-dev.txt",
        "requirements.txt",
        "requirements/ml.txt",
    ]
    assert found.status("torch").pinned and found.status("numpy").pinned
    assert found.status("pytest").declared and not found.status("pytest").pinned


def test_dependency_files_setting_replaces_discovery(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "pandas==2.2.3\n")
    write(tmp_path / "deps" / "runtime.txt", "polars==1.0.0\n")
    found = project(tmp_path, dependency_files=["deps/runtime.txt"])
    assert found.status("polars").pinned
    assert not found.status("pandas").declared


def test_configured_dependency_files_show_as_written(tmp_path: Path) -> None:
    elsewhere = tmp_path.parent / "shared" / "requirements.txt"
    names = ["./deps/runtime.txt", "deps//dev.txt", "../constraints.txt", str(elsewhere)]
    found = project(tmp_path, dependency_files=names)
    assert [found.display(path) for path in found.dependency_files] == [
        "deps/runtime.txt",
        "deps/dev.txt",
        "../constraints.txt",
        str(elsewhere),
    ]


def test_a_lock_file_pins_a_loosely_declared_dependency(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\ndependencies = ["numpy>=1"]\n')
    write(tmp_path / "uv.lock", '[[package]]\nname = "numpy"\nversion = "2.0.0"\n')
    assert project(tmp_path).status("numpy").pinned


# --- import names, local modules ------------------------------------------------------------


def test_import_names_map_to_distributions(tmp_path: Path) -> None:
    write(
        tmp_path / "requirements.txt",
        "scikit-learn==1.5.2\nopencv-python-headless==4.10.0.84\nPillow==10.4.0\nPyYAML==6.0.2\n"
        "beautifulsoup4==4.12.3\nscikit-image==0.24.0\npytest-xdist==3.6.1\n"
        "grpcio==1.66.1\nimbalanced-learn==0.12.3\n",
    )
    found = project(tmp_path)
    for module, distribution in [
        ("sklearn", "scikit-learn"),
        ("cv2", "opencv-python-headless"),
        ("PIL", "pillow"),
        ("yaml", "pyyaml"),
        ("bs4", "beautifulsoup4"),
        ("skimage", "scikit-image"),
        ("grpc", "grpcio"),  # handson-ml3 ch19: judged false NBD402 without it
        ("imblearn", "imbalanced-learn"),
        ("xdist", "pytest-xdist"),  # only the installed metadata knows this one
    ]:
        status = found.status(module)
        assert (status.declared, status.pinned, status.distribution) == (True, True, distribution)
    assert found.status("torch").distribution == "torch"
    assert not found.status("torch").declared


def test_installed_metadata_is_cached_on_disk(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "_in_memory", {})
    first = installed_distributions()
    assert "pytest-xdist" in first["xdist"]
    (entry,) = (tmp_path / "cache" / "nb-discipline").glob("distributions-*.marshal")
    key, (inputs, value) = marshal.loads(entry.read_bytes())
    assert value == first
    assert {name for name, _ in inputs} == {p for p in sys.path if p.endswith("site-packages")}
    entry.write_bytes(marshal.dumps((key, (inputs, {"xdist": ["from-the-cache"]}))))
    cache._in_memory.clear()
    assert installed_distributions() == {"xdist": ["from-the-cache"]}


@pytest.mark.parametrize(
    ("module", "key"),
    [
        ("sklearn.ensemble.RandomForestClassifier", "sklearn"),
        ("google.cloud.bigquery.Client", "google.cloud.bigquery"),
        ("google.colab.drive", "google.colab"),
        ("azure.identity.DefaultAzureCredential", "azure.identity"),
        ("azure.storage.blob", "azure.storage.blob"),
        ("google", "google"),
    ],
)
def test_import_key(module: str, key: str) -> None:
    assert import_key(module) == key


def test_pin_policy_declared_only_requires_a_declaration(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "pandas>=2\n")
    assert not project(tmp_path).status("pandas").pinned
    assert project(tmp_path, pin_policy="declared").status("pandas").pinned


def test_local_modules_are_never_third_party(tmp_path: Path) -> None:
    write(tmp_path / "notebooks" / "helpers.py", "")
    write(tmp_path / "features" / "__init__.py", "")
    write(tmp_path / "src" / "churn" / "__init__.py", "")
    write(tmp_path / "pipelines" / "clean.py", "")  # a namespace package
    write(tmp_path / "pyproject.toml", '[project]\nname = "churn-model"\n')
    write(tmp_path / "notebooks" / "wandb" / "debug.log", "")  # a run directory, not a package
    found = project(tmp_path, known_first_party=["internal_lib"])
    for module in ["helpers", "features", "churn", "pipelines", "churn_model", "internal_lib"]:
        assert not found.is_third_party(module), module
    for module in ["os", "__future__", "IPython", "tomllib"]:
        assert not found.is_third_party(module), module
    for module in ["wandb", "pandas"]:
        assert found.is_third_party(module), module

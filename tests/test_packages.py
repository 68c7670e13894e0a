"""analysis.packages: the project root, dependency files of every format, local modules, installs."""

from __future__ import annotations

import json
import marshal
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb_discipline import cache
from nb_discipline.analysis.packages import (
    Project,
    conda_spec,
    import_key,
    install_commands,
    installed_distributions,
    project_root,
    read_dependency_file,
)
from nb_discipline.config import Settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def declared(path: Path) -> dict[str, bool]:
    """name -> pinned, for what a file declares; problems must be absent."""
    result = read_dependency_file(path)
    assert result.problems == ()
    return {name: name in result.pinned for name in result.declared}


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


# --- requirements files ---------------------------------------------------------------------


def test_requirements_syntax(tmp_path: Path) -> None:
    requirements = write(
        tmp_path / "requirements.txt",
        "# a comment\n"
        "--index-url https://example.invalid/simple\n"
        "pandas==2.2.3  # trailing comment\n"
        "numpy>=1.26\n"
        "scikit-learn==1.*\n"
        "requests[socks]==2.32.3 ; python_version >= '3.8'\n"
        "Flask_Login===0.6.3\n"
        "torch==2.4.0 \\\n"
        "    --hash=sha256:0123456789abcdef\n"
        "mylib @ https://example.invalid/mylib-1.0-py3-none-any.whl\n"
        "-e git+https://example.invalid/repo.git@v1#egg=Other_Lib\n"
        "-e .\n"
        "https://example.invalid/archive.zip\n"
        ".\n"
        "./vendor/helpers[extra] ; python_version >= '3.8'\n"
        "file:../common\n"
        "file:vendored\n"
        "git+https://example.invalid/tools.git\n"
        "..\\windows\\path\n"
        "dist/helper-1.0.tar.gz\n"
        "seaborn>=0.13 ; platform_machine != 'x86/64'\n",
    )
    assert declared(requirements) == {
        "pandas": True,
        "numpy": False,
        "scikit-learn": False,
        "requests": True,
        "flask-login": True,
        "torch": True,
        "mylib": True,
        "other-lib": True,
        "seaborn": False,
    }


def test_includes_and_constraints(tmp_path: Path) -> None:
    write(tmp_path / "base.txt", "pandas>=2\n-r more/extra.txt\n")
    write(tmp_path / "more" / "extra.txt", "seaborn==0.13.2\n")
    write(tmp_path / "constraints.txt", "pandas==2.2.3\nscipy==1.14.0\n")
    requirements = write(
        tmp_path / "requirements.txt", "-r base.txt\n--constraint constraints.txt\nnumpy\n"
    )
    result = read_dependency_file(requirements)
    assert result.problems == ()
    assert set(result.declared) == {"pandas", "seaborn", "numpy"}  # scipy is only constrained
    assert result.pinned >= {"pandas", "seaborn"} and "numpy" not in result.pinned
    assert Path(result.declared["seaborn"]).name == "extra.txt"


def test_include_cycles_terminate(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r b.txt\npandas==2.2.3\n")
    write(tmp_path / "b.txt", "-r a.txt\nnumpy==2.0.0\n")
    assert declared(tmp_path / "a.txt") == {"pandas": True, "numpy": True}


# --- pyproject.toml, Pipfile, environment.yml, lock files -----------------------------------


def test_pyproject_pep621_optional_dependencies_and_groups(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        "[project]\n"
        'name = "Churn_Model"\n'
        'dependencies = ["pandas==2.2.3", "numpy>=1.26"]\n'
        "[project.optional-dependencies]\n"
        'plots = ["seaborn==0.13.2"]\n'
        "[dependency-groups]\n"
        'test = ["pytest>=8", {include-group = "lint"}]\n'
        'lint = ["ruff==0.6.0"]\n',
    )
    assert declared(pyproject) == {
        "pandas": True,
        "numpy": False,
        "seaborn": True,
        "pytest": False,
        "ruff": True,
    }
    assert read_dependency_file(pyproject).project_names == {"churn-model"}


def test_poetry_constraints(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        "[tool.poetry]\n"
        'name = "churn"\n'
        "[tool.poetry.dependencies]\n"
        'python = "^3.11"\n'
        'pandas = "2.2.3"\n'
        'numpy = "^1.26"\n'
        'scipy = "==1.14.0"\n'
        'torch = { version = "~2.4", source = "pytorch" }\n'
        'mylib = { git = "https://example.invalid/mylib.git", rev = "abc123" }\n'
        "[tool.poetry.group.dev.dependencies]\n"
        'pytest = "*"\n',
    )
    assert declared(pyproject) == {
        "pandas": True,
        "numpy": False,
        "scipy": True,
        "torch": False,
        "mylib": True,
        "pytest": False,
    }


def test_setup_cfg_and_setup_py(tmp_path: Path) -> None:
    setup_cfg = write(
        tmp_path / "setup.cfg",
        "[metadata]\nname = Churn_Tools\n"
        "[options]\ninstall_requires =\n    pandas==2.2.3\n    numpy>=1.26  # loose\n"
        "[options.extras_require]\nplots =\n    seaborn==0.13.2\n",
    )
    assert declared(setup_cfg) == {"pandas": True, "numpy": False, "seaborn": True}
    assert read_dependency_file(setup_cfg).project_names == {"churn-tools"}
    setup_py = write(
        tmp_path / "setup.py",
        "from setuptools import setup\n"
        "setup(\n"
        '    name="churn-tools",\n'
        '    install_requires=["pandas==2.2.3", "numpy>=1.26"],\n'
        '    extras_require={"plots": ["seaborn==0.13.2"], "ml": "torch==2.4.1"},\n'
        '    long_description=open("README.md").read(),\n'
        ")\n",
    )
    assert declared(setup_py) == {"pandas": True, "numpy": False, "seaborn": True, "torch": True}
    computed = write(
        tmp_path / "other" / "setup.py",
        "import setuptools\nsetuptools.setup(install_requires=open('req.txt').read().split())\n",
    )
    assert declared(computed) == {}


def test_pipfile_and_its_lock(tmp_path: Path) -> None:
    pipfile = write(
        tmp_path / "Pipfile",
        '[packages]\npandas = "==2.2.3"\nnumpy = "*"\nrequests = {version = ">=2"}\n'
        '[dev-packages]\npytest = "==8.3.0"\n',
    )
    assert declared(pipfile) == {"pandas": True, "numpy": False, "requests": False, "pytest": True}
    lock = write(
        tmp_path / "Pipfile.lock",
        json.dumps({"_meta": {}, "default": {"numpy": {"version": "==2.0.0"}}, "develop": {}}),
    )
    assert declared(lock) == {"numpy": True}


def test_environment_yml_conda_specs_and_pip_section(tmp_path: Path) -> None:
    write(tmp_path / "requirements-pip.txt", "polars==1.0.0\n")
    environment = write(
        tmp_path / "environment.yml",
        "name: churn\n"
        "channels: [conda-forge]\n"
        "dependencies:\n"
        "  - python=3.11\n"
        "  - numpy=1.26.4\n"
        "  - conda-forge::pandas==2.2.3\n"
        "  - scipy>=1.10\n"
        "  - pytorch\n"
        "  - matplotlib 3.9.1 py311_0\n"
        "  - pip\n"
        "  - pip:\n"
        "    - seaborn==0.13.2\n"
        "    - mlflow\n"
        "    - -r requirements-pip.txt\n",
    )
    result = declared(environment)
    assert result == {
        "python": True,
        "numpy": True,
        "pandas": True,
        "scipy": False,
        "torch": False,
        "matplotlib": True,
        "pip": False,
        "seaborn": True,
        "mlflow": False,
        "polars": True,
    }


def test_pip_installs_the_project_itself_from_an_environment_file(tmp_path: Path) -> None:
    # As AllenDowney/ThinkStats2's: conda hands the pip entries to pip as requirement lines, and
    # pip installs the project beside the file (`.`), a local path, a URL or a VCS checkout.
    environment = write(
        tmp_path / "environment.yml",
        "name: ThinkStats2\n"
        "\n"
        "dependencies:\n"
        "  - python=3.7\n"
        "  - numpy\n"
        "  - pip\n"
        "  - pip:\n"
        "    - .\n"
        "    - -e .\n"
        "    - --editable ./thinkstats\n"
        "    - ./vendor/helpers\n"
        "    - file:../common\n"
        "    - git+https://github.com/example/tools.git@v1.0\n"
        "    - https://example.invalid/archive.zip#egg=Archived_Lib\n"
        "    - dist/mylib-1.0.tar.gz\n"
        "    - empiricaldist==0.6.2  # a comment\n",
    )
    assert declared(environment) == {
        "python": True,
        "numpy": False,
        "pip": False,
        "archived-lib": True,
        "empiricaldist": True,
    }


def test_a_bad_pip_entry_of_an_environment_file_is_reported_at_its_line(tmp_path: Path) -> None:
    environment = write(
        tmp_path / "environment.yml",
        "name: churn\ndependencies:\n  - numpy\n  - pip:\n    - seaborn==0.13.2\n"
        "    - pandas=>2\n    - mlflow\n",
    )
    result = read_dependency_file(environment)
    assert set(result.declared) == {"numpy", "seaborn", "mlflow"}
    [(problem_file, reason)] = result.problems
    assert problem_file == str(environment)
    assert reason.startswith("line 6: bad requirement 'pandas=>2': ")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("uv.lock", 'version = 1\n[[package]]\nname = "NumPy"\nversion = "2.0.0"\n'),
        ("poetry.lock", '[[package]]\nname = "numpy"\nversion = "2.0.0"\n'),
        ("pylock.toml", 'lock-version = "1.0"\n[[packages]]\nname = "numpy"\nversion = "2.0.0"\n'),
        ("pylock.dev.toml", '[[packages]]\nname = "numpy"\nversion = "2.0.0"\n'),
    ],
)
def test_lock_files_pin_what_they_list(tmp_path: Path, name: str, text: str) -> None:
    assert declared(write(tmp_path / name, text)) == {"numpy": True}


def test_a_lock_file_pins_a_loosely_declared_dependency(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\ndependencies = ["numpy>=1"]\n')
    write(tmp_path / "uv.lock", '[[package]]\nname = "numpy"\nversion = "2.0.0"\n')
    assert project(tmp_path).status("numpy").pinned


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("numpy=1.26.4", ("numpy", True)),
        ("numpy==1.26.4", ("numpy", True)),
        ("numpy=1.26.4=py311h64a7726_0", ("numpy", True)),
        ("numpy 1.26.4", ("numpy", True)),
        ("conda-forge::numpy=1.26.4", ("numpy", True)),
        ("numpy=1.26.*", ("numpy", False)),
        ("numpy>=1.26", ("numpy", False)),
        ("numpy>=1.26,<2", ("numpy", False)),
        ("numpy", ("numpy", False)),
        ("pytorch=2.4.0", ("torch", True)),
    ],
)
def test_conda_specs(spec: str, expected: tuple[str, bool]) -> None:
    assert conda_spec(spec) == expected


# --- broken files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("pyproject.toml", "[project\nname = 1\n", "not valid TOML"),
        (
            "pyproject.toml",
            '[project]\ndependencies = "pandas"\n',
            "`project.dependencies` must be a list",
        ),
        (
            "pyproject.toml",
            '[project]\ndependencies = ["pandas=>2"]\n',
            "bad requirement 'pandas=>2'",
        ),
        ("environment.yml", "dependencies: [numpy\n", "not valid YAML"),
        ("Pipfile.lock", "{not json", "not valid JSON"),
        ("setup.cfg", "[options\ninstall_requires = x\n", "not a valid setup.cfg"),
        ("setup.py", "setup(install_requires=['pandas==2'\n", "not valid Python"),
        ("uv.lock", "[[package]]\nversion = '1'\n", "has no name"),
    ],
)
def test_a_broken_file_is_one_problem_naming_it(tmp_path: Path, name, text, reason) -> None:
    path = write(tmp_path / name, text)
    result = read_dependency_file(path)
    assert len(result.problems) == 1
    problem_file, problem = result.problems[0]
    assert problem_file == str(path) and reason in problem


DEEP = 100_000


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("environment.yml", "dependencies: " + "[" * DEEP + "]" * DEEP),
        ("Pipfile.lock", '{"default": ' + "[" * DEEP + "]" * DEEP + "}"),
        ("uv.lock", "package = " + "[" * DEEP + "]" * DEEP),
        ("setup.py", "x = " + "1 + " * DEEP + "1\nsetup(install_requires=['pandas'])\n"),
    ],
)
def test_a_file_nested_deeper_than_the_parsers_reach_is_a_problem(
    tmp_path: Path, name: str, text: str
) -> None:
    # The YAML, JSON, TOML and Python parsers recurse once per level: the notebook is still checked.
    path = write(tmp_path / name, text)
    assert read_dependency_file(path).problems == (
        (str(path), "nested deeper than nbcheck reads (Python's recursion limit)"),
    )


def test_a_file_that_is_not_text_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"pandas==2.2.3\n\xff\xfe\n")
    assert read_dependency_file(path).problems == ((str(path), "not UTF-8 text"),)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be"])
def test_a_requirements_file_with_a_byte_order_mark_is_read_as_pip_reads_it(
    tmp_path: Path, encoding: str
) -> None:
    # PowerShell's `pip freeze > requirements.txt` writes UTF-16 with a byte order mark.
    path = tmp_path / "requirements.txt"
    path.write_bytes("\ufeffpandas==2.2.3\r\nnumpy>=2\r\n".encode(encoding))
    assert declared(path) == {"pandas": True, "numpy": False}


def test_a_bad_requirement_line_keeps_the_other_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "requirements.txt", "pandas==2.2.3\nnumpy=>2\nnot a requirement\nscipy\n"
    )
    result = read_dependency_file(path)
    assert set(result.declared) == {"pandas", "scipy"}
    assert [reason.split(":")[0] for _, reason in result.problems] == ["line 2"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_a_problem_not_a_wait(tmp_path: Path) -> None:
    # Opening a named pipe waits for a writer: before the fix, this test never ended.
    os.mkfifo(tmp_path / "other.txt")
    path = write(tmp_path / "requirements.txt", "-r other.txt\nnumpy==2.0\n")
    result = read_dependency_file(path)
    assert set(result.declared) == {"numpy"}
    assert result.problems == (
        (str(tmp_path / "other.txt"), "a named pipe (FIFO), not a regular file"),
    )


def test_a_missing_include_is_a_problem_of_the_included_file(tmp_path: Path) -> None:
    path = write(tmp_path / "requirements.txt", "pandas==2.2.3\n-r missing.txt\n")
    result = read_dependency_file(path)
    assert set(result.declared) == {"pandas"}
    assert result.problems == ((str(tmp_path / "missing.txt"), "file not found"),)


# --- caching --------------------------------------------------------------------------------


def test_each_file_is_parsed_once_until_it_changes(tmp_path: Path) -> None:
    path = write(tmp_path / "requirements.txt", "pandas==2.2.3\n")
    first = read_dependency_file(path)
    assert read_dependency_file(path) == first
    write(path, "pandas==2.2.3\nnumpy==2.0.0\n")  # within the same clock tick: still seen
    second = read_dependency_file(path)
    assert "numpy" in second.declared and "numpy" not in first.declared


# --- import names, local modules ------------------------------------------------------------


def test_import_names_map_to_distributions(tmp_path: Path) -> None:
    write(
        tmp_path / "requirements.txt",
        "scikit-learn==1.5.2\nopencv-python-headless==4.10.0.84\nPillow==10.4.0\nPyYAML==6.0.2\n"
        "beautifulsoup4==4.12.3\nscikit-image==0.24.0\npytest-xdist==3.6.1\n",
    )
    found = project(tmp_path)
    for module, distribution in [
        ("sklearn", "scikit-learn"),
        ("cv2", "opencv-python-headless"),
        ("PIL", "pillow"),
        ("yaml", "pyyaml"),
        ("bs4", "beautifulsoup4"),
        ("skimage", "scikit-image"),
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


# --- install commands -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("pip install pandas", [("pip", [("pandas", False)])]),
        (
            "pip install -q -U pandas==2.2.3 'numpy>=2'",
            [("pip", [("pandas==2.2.3", True), ("numpy>=2", False)])],
        ),
        (
            "pip3 install --index-url https://example.invalid/simple torch==2.4.0",
            [("pip", [("torch==2.4.0", True)])],
        ),
        ("python -m pip install seaborn", [("pip", [("seaborn", False)])]),
        ("{sys.executable} -m pip install seaborn", [("pip", [("seaborn", False)])]),
        ("/opt/conda/bin/pip install seaborn > /dev/null", [("pip", [("seaborn", False)])]),
        ("pip install -r requirements.txt", [("pip", [])]),
        ("pip install -e . && pip install ./wheels/x.whl", [("pip", []), ("pip", [])]),
        ("pip install --upgrade pip setuptools wheel", [("pip", [])]),
        ("pip install git+https://example.invalid/x.git", [("pip", [])]),
        (
            "pip install mylib@https://example.invalid/x.whl",
            [("pip", [("mylib@https://example.invalid/x.whl", True)])],
        ),
        ("pip install {package}", [("pip", [])]),
        ("pip list", []),
        ("pip show pandas", []),
        (
            "conda install -y -c conda-forge numpy=1.26.4 scipy",
            [("conda", [("numpy=1.26.4", True), ("scipy", False)])],
        ),
        ("mamba install -n base lightgbm", [("mamba", [("lightgbm", False)])]),
        (
            "uv pip install polars==1.0.0 duckdb",
            [("uv", [("polars==1.0.0", True), ("duckdb", False)])],
        ),
        ("echo pip install pandas", []),
        # Words as the shell splits them: redirections, pipes, chains, quotes, comments.
        ("pip install pandas > tmp.log 2>&1", [("pip", [("pandas", False)])]),
        ("pip install -q lightgbm &> /dev/null", [("pip", [("lightgbm", False)])]),
        ("pip install pandas>/dev/null", [("pip", [("pandas", False)])]),
        ("pip install xgboost | tail -1", [("pip", [("xgboost", False)])]),
        (
            "pip freeze | grep kfp==1.8 || pip install kfp; pip install 'tfx[kfp]<2'",
            [("pip", [("kfp", False)]), ("pip", [("tfx[kfp]<2", False)])],
        ),
        ('pip install "pandas>=2" -r requirements.txt', [("pip", [("pandas>=2", False)])]),
        (
            "pip install 'bar==1.0; python_version < \"3.8\"' # for old kernels",
            [("pip", [('bar==1.0; python_version < "3.8"', True)])],
        ),
        ("pip install pandas==2.2.3 'unclosed", []),
        # Options as pip reads them: values of `-i`, `--target`..., letters run together.
        ("pip install -i https://example.invalid/simple torch", [("pip", [("torch", False)])]),
        ("pip install --target libs -qU six", [("pip", [("six", False)])]),
        ("pip install -rrequirements.txt -Uq tqdm", [("pip", [("tqdm", False)])]),
        ("pip -q install imageio", [("pip", [("imageio", False)])]),
        ("sudo -H pip install apache-beam[gcp]", [("pip", [("apache-beam[gcp]", False)])]),
        ("pip install --user $PACKAGES {USER_FLAG} six", [("pip", [("six", False)])]),
        (
            "pip install pkg[extra]==1.0 ./vendor/lib /tmp/x.tar.gz",
            [("pip", [("pkg[extra]==1.0", True)])],
        ),
        # Nothing installed, or versions that a constraints file may pin.
        ("pip install - q - U Slacker", [("pip", [])]),
        ("pip install pandas -", [("pip", [])]),
        ("pip install --dry-run pandas", [("pip", [])]),
        ("pip install -c constraints.txt pandas", [("pip", [])]),
        ("pip install --help", [("pip", [])]),
        ("python -c 'import pip' install pandas", []),
    ],
)
def test_install_commands(command: str, expected) -> None:  # (argument, pinned) per package
    found = [
        (c.tool, [(p.argument, p.pinned) for p in c.packages]) for c in install_commands(command)
    ]
    assert found == expected


# --- robustness: no input makes the parsers raise -------------------------------------------

DEPENDENCY_FILE_NAMES = [
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "Pipfile.lock",
    "uv.lock",
    "poetry.lock",
    "pylock.toml",
    "environment.yml",
    "setup.cfg",
    "setup.py",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(DEPENDENCY_FILE_NAMES),
    text=st.text(st.characters(blacklist_categories=["Cs"]), max_size=200)
    | st.sampled_from(
        [
            "[project]\ndependencies = [1]\n",
            "[project]\noptional-dependencies = []\n",
            "[tool.poetry]\ndependencies = 3\n",
            "[tool.poetry.group.dev]\ndependencies = []\n",
            "dependencies:\n  - {pip: 3}\n",
            "dependencies: 7\n",
            "- just a list\n",
            '{"default": []}',
            "[[package]]\nname = 3\n",
            "packages = 1\n",
            "-r\n-c \n-e\n",
        ]
    ),
)
def test_any_content_is_declarations_or_one_problem(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(0, len(text) + hash(text) % 1_000_000))  # defeat the mtime cache
    result = read_dependency_file(path)
    assert all(problem_file and reason for problem_file, reason in result.problems)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120) | st.builds("pip install {}".format, st.text(max_size=60)))
def test_any_command_line_is_understood_or_ignored(command: str) -> None:
    for install in install_commands(command):
        assert install.tool in {"pip", "conda", "mamba", "micromamba", "uv"}


SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS | st.sampled_from(["numpy", "numpy==1.0", "pandas>=2", "^1.2", "*", "=>bad"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["name", "version", "numpy", "pip", "dependencies", "dev", "include-group"]
            )
            | st.text(max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "project",
        "tool",
        "dependency-groups",
        "dependencies",
        "optional-dependencies",
        "poetry",
        "group",
        "packages",
        "dev-packages",
        "package",
        "default",
        "develop",
        "name",
    ]
)
DOCUMENTS = st.dictionaries(KEYS, VALUES | st.dictionaries(KEYS, VALUES, max_size=4), max_size=5)


@settings(max_examples=400, deadline=None)
@given(DOCUMENTS)
def test_any_document_structure_is_declarations_or_a_problem(document: dict) -> None:
    from nb_discipline.analysis import packages

    for parse in (
        packages._pyproject,
        packages._pipfile,
        lambda d: packages._locked(d.get("package", []), Path("uv.lock")),
    ):
        try:
            parse(document)
        except packages.DependencyFileError as error:
            assert str(error)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=DOCUMENTS, name=st.sampled_from(["environment.yml", "Pipfile.lock"]))
def test_any_yaml_or_json_structure_is_declarations_or_a_problem(
    tmp_path: Path, document: dict, name: str
) -> None:
    import yaml

    path = tmp_path / name
    text = yaml.safe_dump(document) if name.endswith(".yml") else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(0, hash(text) % 1_000_000_000))  # defeat the mtime cache
    result = read_dependency_file(path)
    assert all(reason for _, reason in result.problems)

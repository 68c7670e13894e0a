"""analysis.dependency_files: what dependency files of every format declare and pin, or why not."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb_discipline.analysis import dependency_files
from nb_discipline.analysis.dependency_files import read_dependency_file
from nb_discipline.analysis.package_specs import conda_spec


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def declared(path: Path) -> dict[str, bool]:
    """name -> pinned, for what a file declares; problems must be absent."""
    result = read_dependency_file(path)
    assert result.problems == ()
    return {name: name in result.pinned for name in result.declared}


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
    # Literals named at the top of the file, as TensorFlow Probability's setup.py names them.
    named = write(
        tmp_path / "named" / "setup.py",
        "from setuptools import setup\n"
        "TF_PACKAGE = 'tensorflow >= 2.16'\n"
        "REQUIRED = ['numpy==2.1.0', 'absl-py']\n"
        "CHANGING = ['x']\nCHANGING.append('y')\nCHANGING = ['z']\n"
        "setup(install_requires=REQUIRED, extras_require={'tf': [TF_PACKAGE], 'c': CHANGING})\n",
    )
    assert declared(named) == {"numpy": True, "absl-py": False, "tensorflow": False}


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
    assert read_dependency_file(tmp_path / name).versions == {"numpy": "2.0.0"}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("requirements.txt", "numpy==2.0.0\npandas>=2\nscipy==1.*\ntorch===2.4.0+cpu\n"),
        (
            "pyproject.toml",
            '[project]\ndependencies = ["numpy==2.0.0", "pandas>=2", "scipy==1.*"]\n'
            '[dependency-groups]\ngpu = ["torch===2.4.0+cpu"]\n',
        ),
        (
            "pyproject.toml",
            '[tool.poetry.dependencies]\npython = "^3.11"\nnumpy = "2.0.0"\npandas = "^2"\n'
            'scipy = "1.*"\ntorch = {version = "===2.4.0+cpu", source = "cpu"}\n',
        ),
        (
            "Pipfile",
            '[packages]\nnumpy = "==2.0.0"\npandas = ">=2"\nscipy = "*"\n'
            'torch = {version = "===2.4.0+cpu"}\n',
        ),
        (
            "Pipfile.lock",
            '{"default": {"numpy": {"version": "==2.0.0"}, "torch": {"version": "==2.4.0+cpu"}},'
            ' "develop": {"pandas": {"editable": true, "path": "."}}}',
        ),
        (
            "environment.yml",
            "dependencies:\n  - numpy=2.0.0\n  - pandas>=2\n  - scipy=1.*\n  - polars=1.9\n"
            "  - pip:\n    - torch==2.4.0+cpu\n",
        ),
    ],
)
def test_each_pin_records_its_version(tmp_path: Path, name: str, text: str) -> None:
    """What NBD403's fix pins an install command to: the release a file pins or locks."""
    versions = read_dependency_file(write(tmp_path / name, text)).versions
    assert versions == {"numpy": "2.0.0", "torch": "2.4.0+cpu"}


def test_files_pinning_two_versions_give_none(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "-r ml.txt\n-c constraints.txt\nnumpy==2.0.0\n")
    write(tmp_path / "ml.txt", "numpy==1.26.4\nscipy==1.14.1\n")
    write(tmp_path / "constraints.txt", "pandas==2.2.3\n")
    versions = read_dependency_file(tmp_path / "requirements.txt").versions
    assert versions == {"numpy": "", "scipy": "1.14.1", "pandas": "2.2.3"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("numpy=1.26.4", ("numpy", "1.26.4")),
        ("numpy==1.26.4", ("numpy", "1.26.4")),
        ("numpy=1.26.4=py311h64a7726_0", ("numpy", "1.26.4")),
        ("numpy 1.26.4", ("numpy", "1.26.4")),
        ("conda-forge::numpy=1.26.4", ("numpy", "1.26.4")),
        ("numpy=1.26.*", ("numpy", None)),
        ("numpy>=1.26", ("numpy", None)),
        ("numpy>=1.26,<2", ("numpy", None)),
        ("numpy", ("numpy", None)),
        ("pytorch=2.4.0", ("torch", "2.4.0")),
        ("python-graphviz=0.20.1", ("graphviz", "0.20.1")),
        # conda's graphviz is the Graphviz programs, not the Python module graphviz (handson-ml3).
        ("graphviz", ("conda-graphviz", None)),
    ],
)
def test_conda_specs(spec: str, expected: tuple[str, str | None]) -> None:
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
        ("environment.yml", "dependencies:\n  - '>=1.26'\n", "bad conda package spec '>=1.26'"),
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
    for parse in (
        dependency_files._pyproject,
        dependency_files._pipfile,
        lambda d: dependency_files._locked(d.get("package", []), Path("uv.lock")),
    ):
        try:
            parse(document)
        except dependency_files.DependencyFileError as error:
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


# --- setup.py read without running it, and what a package's metadata is ----------------------


def test_setup_py_names_bound_in_branches_or_beside_it_are_read(tmp_path: Path) -> None:
    # TensorFlow Probability's setup.py: constants chosen by an if/else, the required list
    # imported from required_packages.py beside it.
    write(tmp_path / "required_packages.py", "REQUIRED_PACKAGES = ['numpy>=1.13', 'six']\n")
    setup_py = write(
        tmp_path / "setup.py",
        "import sys\nfrom setuptools import setup\n"
        "from required_packages import REQUIRED_PACKAGES\n"
        "if '--release' in sys.argv:\n    TF = 'tensorflow >= 2.16'\n    name = 'tfp'\n"
        "else:\n    TF = 'tf-nightly'\n    name = 'tfp-nightly'\n"
        "SPLIT = 'pandas scipy'.split() + ['jax']\n"
        "setup(name=name, install_requires=REQUIRED_PACKAGES + ['absl-py'],\n"
        "      extras_require={'tf': [TF], 'more': list(SPLIT)})\n",
    )
    result = read_dependency_file(setup_py)
    assert set(result.declared) == {
        "numpy", "six", "absl-py", "tensorflow", "tf-nightly", "pandas", "scipy", "jax",
    }  # fmt: skip
    assert result.project_names == {"tfp", "tfp-nightly"}
    assert result.unread == () and result.problems == ()


@pytest.mark.parametrize(
    "source",
    [
        "REQS = open('requirements.txt').read().splitlines()\nsetup(install_requires=REQS)\n",
        "with open('reqs.txt') as f:\n    REQS = f.read().splitlines()\nsetup(install_requires=REQS)\n",
        "REQS = ['a']\nREQS.append('b')\nsetup(install_requires=REQS)\n",
        "REQS = ['a']\nREQS += ['b']\nsetup(install_requires=REQS)\n",
        "def reqs():\n    return ['a']\nsetup(install_requires=reqs())\n",
        "from elsewhere import REQS\nsetup(install_requires=REQS)\n",  # no elsewhere.py beside it
        "EXTRAS = {'a': ['x']}\nEXTRAS['all'] = ['y']\nsetup(extras_require=EXTRAS)\n",
        "setup(extras_require={'a': ['x'], 'b': read('b.txt')})\n",
    ],
)
def test_a_setup_py_list_that_cannot_be_known_leaves_the_file_unread(
    tmp_path: Path, source: str
) -> None:
    setup_py = write(tmp_path / "setup.py", "from setuptools import setup\n" + source)
    result = read_dependency_file(setup_py)
    assert result.unread == (str(setup_py),)
    assert "b" not in result.declared and "y" not in result.declared


def test_a_packages_metadata_declares_what_the_package_needs(tmp_path: Path) -> None:
    setup_py = write(tmp_path / "a" / "setup.py", "setup(install_requires=['numpy>=1'])\n")
    setup_cfg = write(tmp_path / "b" / "setup.cfg", "[options]\ninstall_requires = numpy>=1\n")
    for path in (setup_py, setup_cfg):
        assert read_dependency_file(path).packaged == {"numpy"}
    package = write(
        tmp_path / "c" / "pyproject.toml",
        "[build-system]\nrequires = ['hatchling']\n"
        "[project]\nname = 'x'\ndependencies = ['numpy>=1']\n"
        "[project.optional-dependencies]\nplot = ['matplotlib']\n"
        "[dependency-groups]\nnotebooks = ['pandas>=2', 'numpy==2.1.0']\n",
    )
    # The groups describe an environment: numpy is declared (and pinned) there too.
    assert read_dependency_file(package).packaged == {"matplotlib"}
    application = write(
        tmp_path / "d" / "pyproject.toml", "[project]\nname = 'x'\ndependencies = ['numpy>=1']\n"
    )
    assert read_dependency_file(application).packaged == frozenset()


def test_a_name_declared_by_a_package_and_an_environment_is_shown_in_the_environment(
    tmp_path: Path,
) -> None:
    package = read_dependency_file(write(tmp_path / "setup.py", "setup(install_requires=['x'])"))
    environment = read_dependency_file(write(tmp_path / "requirements.txt", "x>=1\ny\n"))
    for merged in (package.merged(environment), environment.merged(package)):
        assert merged.declared == {
            "x": str(tmp_path / "requirements.txt"),
            "y": str(tmp_path / "requirements.txt"),
        }
        assert merged.packaged == frozenset()


# --- conda environment files by content --------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "conda"),
    [
        # aloctavodia/BAP's bap.yml (`conda env create -f bap.yml`)
        (
            "bap.yml",
            "name: bap\nchannels:\n  - conda-forge\ndependencies:\n  - pymc3=3.6\n"
            "  - pip:\n    - arviz==0.3.1\n",
            True,
        ),
        ("conda.yaml", "dependencies:\n- pip:\n  - azureml-sdk\n", True),
        # udacity's environment_win.yml, exported by an old conda
        (
            "environment_win.yml",
            "name: x\nchannels: !!python/tuple\n- defaults\ndependencies:\n- numpy=1.12.0=py35_0\n",
            True,
        ),
        ("chart.yaml", "apiVersion: v2\nname: app\ndependencies:\n  - name: redis\n", False),
        ("workflow.yml", "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n", False),
        ("config.yml", "dependencies: numpy\n", False),
        ("mixed.yml", "dependencies:\n  - numpy\n  - {name: x}\n", False),
        ("broken.yml", "dependencies:\n  - [numpy\n", False),
        ("plain.yml", "name: x\nchannels: [conda-forge]\n", False),
    ],
)
def test_a_conda_environment_file_is_known_by_its_content(
    tmp_path: Path, name: str, text: str, conda: bool
) -> None:
    path = write(tmp_path / name, text)
    assert dependency_files.is_conda_environment(str(path)) is conda


def test_a_remote_include_leaves_the_file_unread(tmp_path: Path) -> None:
    # Azure's automl_env.yml: `- -r https://.../validated_requirements.txt [--no-deps]`
    environment = write(
        tmp_path / "automl_env.yml",
        "dependencies:\n- numpy==1.23.5\n- pip:\n"
        "  - -r https://example.invalid/validated_requirements.txt [--no-deps]\n",
    )
    result = read_dependency_file(environment)
    assert (set(result.declared), result.problems) == ({"numpy"}, ())
    assert result.unread == (str(environment),)

"""The fixes of NBD401 unpinned-import, NBD402 undeclared-import and NBD403 unpinned-install:
each edit is applied here as the engine applies it (a span replaced, rows and columns 1-based),
and the project is checked again."""

from __future__ import annotations

import difflib
import importlib.metadata
import itertools
import json
import re
import shutil
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.loader import load
from nb_discipline.model import Edit
from nb_discipline.rules import lookup
from tests.builders import code, write_notebook

RULES = [lookup(code_) for code_ in ("NBD401", "NBD402", "NBD403", "NBD404")]
# Distributions installed wherever the tests run (nb-discipline's own dependencies).
YAML = importlib.metadata.version("PyYAML")
PACKAGING = importlib.metadata.version("packaging")


def make_project(root: Path, files: dict[str, str]) -> None:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode("utf-8"))


def run(root: Path, *cells: str, where: str = "nb.ipynb"):
    path = write_notebook(root / where, *(code(source, n) for n, source in enumerate(cells, 1)))
    return check(load(str(path)), Settings(root=str(root)), rules=RULES)


def offset(text: str, row: int, column: int) -> int:
    """The engine's reading of a place: rows split as Python's tokenizer splits lines,
    columns in characters."""
    starts = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]
    return starts[row - 1] + column - 1


def applied(text: str, edits: list[Edit]) -> str:
    spans = sorted(
        (offset(text, *e.location), offset(text, *e.end_location), e.content) for e in edits
    )
    for (_, end, _), (start, _, _) in itertools.pairwise(spans):
        assert end < start, "edits of one fix overlap or touch"
    for start, end, content in reversed(spans):
        text = text[:start] + content + text[end:]
    return text


def apply_fix(root: Path, diagnostic, where: str = "nb.ipynb") -> None:
    """Write `diagnostic`'s fix into the notebook and the dependency files it edits."""
    notebook = root / where
    document = json.loads(notebook.read_text(encoding="utf-8"))
    by_file: dict[str, list[Edit]] = {}
    for edit in diagnostic.fix.edits:
        by_file.setdefault(edit.filename or "", []).append(edit)
    for filename, edits in by_file.items():
        if filename:
            path = Path(filename)
            path.write_bytes(applied(path.read_bytes().decode("utf-8"), edits).encode("utf-8"))
            continue
        for cell in {edit.cell for edit in edits}:
            source = document["cells"][cell - 1]["source"]
            mine = [edit for edit in edits if edit.cell == cell]
            document["cells"][cell - 1]["source"] = applied(source, mine)
    notebook.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def source_of(root: Path, cell: int, where: str = "nb.ipynb") -> str:
    return json.loads((root / where).read_text(encoding="utf-8"))["cells"][cell - 1]["source"]


# --- NBD403: install commands -----------------------------------------------------------------


def test_an_install_is_pinned_to_the_projects_pin_safely(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "pandas==2.2.3\n"})
    [found] = run(tmp_path, "%pip install -q pandas\nimport pandas")
    assert found.code == "NBD403"
    assert found.fix.to_dict() == {
        "applicability": "safe",
        "message": "Pin `pandas==2.2.3` (the project's pin)",
        "edits": [
            {
                "content": "pandas==2.2.3",
                "location": {"row": 1, "column": 17},
                "end_location": {"row": 1, "column": 23},
                "cell": 1,
            }
        ],
    }
    apply_fix(tmp_path, found)
    assert source_of(tmp_path, 1) == "%pip install -q pandas==2.2.3\nimport pandas"
    assert run(tmp_path, source_of(tmp_path, 1)) == []


def test_a_lock_files_release_is_the_projects_pin(tmp_path: Path) -> None:
    make_project(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "demo"\ndependencies = ["torch>=2"]\n',
            "uv.lock": 'version = 1\n[[package]]\nname = "torch"\nversion = "2.4.0+cpu"\n',
        },
    )
    [found] = run(tmp_path, "%pip install 'torch>=2'")
    assert (found.fix.applicability, [e.content for e in found.fix.edits]) == (
        "safe",
        ["'torch==2.4.0+cpu'"],
    )


def test_without_a_pin_the_installed_release_is_unsafe_and_pip_becomes_the_magic(
    tmp_path: Path,
) -> None:
    make_project(tmp_path, {})
    [found] = run(tmp_path, 'if True:\n    !pip install -q "pyyaml>=5"')
    assert found.fix.applicability == "unsafe"
    assert found.fix.message == (
        f"Pin `pyyaml=={YAML}` (the version installed where nbcheck runs) and install it with "
        "`%pip`, into the kernel's environment"
    )
    apply_fix(tmp_path, found)
    assert source_of(tmp_path, 1) == f'if True:\n    %pip install -q "pyyaml=={YAML}"'
    assert run(tmp_path, source_of(tmp_path, 1)) == []


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("!pip3 install pyyaml", f"%pip install pyyaml=={YAML}"),
        ("!python -m pip install -U pyyaml", f"%pip install -U pyyaml=={YAML}"),
        ("!python3.11 -mpip install pyyaml", f"%pip install pyyaml=={YAML}"),
        ("!{sys.executable} -m pip install pyyaml", f"%pip install pyyaml=={YAML}"),
        ("!pip -q install PyYAML[libyaml]", f"%pip -q install PyYAML[libyaml]=={YAML}"),
        # Shell syntax besides the one command: `%pip` might not keep its meaning.
        ("!pip install pyyaml && ls", f"!pip install pyyaml=={YAML} && ls"),
        ("!pip install pyyaml > /dev/null", f"!pip install pyyaml=={YAML} > /dev/null"),
        ("!/opt/conda/bin/pip install pyyaml", f"!/opt/conda/bin/pip install pyyaml=={YAML}"),
        ("!sudo pip install pyyaml", f"!sudo pip install pyyaml=={YAML}"),
        # The output is kept (`!!`), or assigned: `%pip` gives none.
        ("!!pip install pyyaml", f"!!pip install pyyaml=={YAML}"),
        ("log = !pip install pyyaml", f"log = !pip install pyyaml=={YAML}"),
        (
            "%pip install 'pyyaml ; python_version>\"3\"'",
            f"%pip install 'pyyaml=={YAML} ; python_version>\"3\"'",
        ),
        ("!uv pip install pyyaml", f"!uv pip install pyyaml=={YAML}"),
        (
            "%%bash\necho start\npip install pyyaml",
            f"%%bash\necho start\npip install pyyaml=={YAML}",
        ),
    ],
)
def test_the_pin_keeps_the_line_as_written(tmp_path: Path, line: str, fixed: str) -> None:
    make_project(tmp_path, {})
    [found] = run(tmp_path, line)
    apply_fix(tmp_path, found)
    assert source_of(tmp_path, 1) == fixed
    assert run(tmp_path, fixed) == []


def test_each_package_of_a_line_gets_its_pin_and_the_same_magic(tmp_path: Path) -> None:
    make_project(tmp_path, {})
    first, second = run(tmp_path, "!pip install pyyaml packaging")
    assert first.fix.edits[0] == second.fix.edits[0]  # `%pip`: made once
    apply_fix(tmp_path, first)
    [second] = run(tmp_path, source_of(tmp_path, 1))
    apply_fix(tmp_path, second)
    assert source_of(tmp_path, 1) == f"%pip install pyyaml=={YAML} packaging=={PACKAGING}"


@pytest.mark.parametrize(
    ("pin", "argument", "pinned"),
    [
        ("numpy=1.26.4", "'conda-forge::numpy>=1.20'", "'conda-forge::numpy=1.26.4'"),
        # conda's `=2024.2` is any 2024.2.x: the release takes `==`
        ("pytz==2024.2", "pytz", "pytz==2024.2"),
    ],
)
def test_conda_installs_are_pinned_as_conda_pins(
    tmp_path: Path, pin: str, argument: str, pinned: str
) -> None:
    make_project(tmp_path, {"environment.yml": f"dependencies:\n  - {pin}\n"})
    [found] = run(tmp_path, f"%conda install -y -c conda-forge {argument}")
    apply_fix(tmp_path, found)
    assert source_of(tmp_path, 1) == f"%conda install -y -c conda-forge {pinned}"
    assert found.fix.applicability == "safe"


@pytest.mark.parametrize(
    "line",
    [
        "%pip install surely-not-installed-anywhere",  # no release known
        "%pip install 'pyyaml<1'",  # the release installed is excluded
        "!pip install --target pyyaml pyyaml",  # the argument is written twice
        "!pip install \\\n    pyyaml",  # continued over two lines
        "!pip install py\\yaml",  # the word is not the argument as written
    ],
)
def test_no_fix_when_no_pin_is_known_and_unique(tmp_path: Path, line: str) -> None:
    make_project(tmp_path, {})
    [found] = run(tmp_path, line)
    assert found.fix is None


# --- NBD401 and NBD402: dependency files ----------------------------------------------------


def fix_file(root: Path, diagnostic) -> str:
    """Apply the fix's one edit to the dependency file it names; the file's new text."""
    [edit] = diagnostic.fix.edits
    assert edit.filename == str(root / Path(edit.filename).relative_to(root))  # absolute
    apply_fix(root, diagnostic)
    return Path(edit.filename).read_bytes().decode("utf-8")


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    """The lines that differ, pairing old and new (a line added pairs with '')."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    changed = [(a, b) for a, b in zip(old, new, strict=False) if a != b]
    return changed or list(zip([""] * (len(new) - len(old)), new[len(old) :], strict=True))


@pytest.mark.parametrize(
    ("name", "text", "line", "pinned"),
    [
        (
            "requirements.txt",
            "# tools\npackaging==24.1\r\npyyaml >= 5  # config\r\nrich\n",
            "pyyaml >= 5  # config\r\n",
            f"pyyaml=={YAML}  # config\r\n",
        ),
        (
            "pyproject.toml",
            '[project]\nname = "demo"\ndependencies = [\n  "PyYAML[libyaml]>=5 ; '
            "python_version >= '3.9'\",  # config\n]\n",
            "  \"PyYAML[libyaml]>=5 ; python_version >= '3.9'\",  # config\n",
            f"  \"PyYAML[libyaml]=={YAML} ; python_version >= '3.9'\",  # config\n",
        ),
        (
            "pyproject.toml",
            "[project]\nname = 'demo'\n[project.optional-dependencies]\nio = ['pyyaml']\n",
            "io = ['pyyaml']\n",
            f"io = ['pyyaml=={YAML}']\n",
        ),
        (
            "pyproject.toml",
            '[tool.poetry.dependencies]\npython = "^3.11"\npyyaml = "^6"\n',
            'pyyaml = "^6"\n',
            f'pyyaml = "{YAML}"\n',
        ),
        (
            "pyproject.toml",
            "[tool.poetry.group.io.dependencies]\nPyYAML = { version = '>=5', optional = true }\n",
            "PyYAML = { version = '>=5', optional = true }\n",
            f"PyYAML = {{ version = '{YAML}', optional = true }}\n",
        ),
        (
            "environment.yml",
            "name: demo\ndependencies:\n  - python=3.11\n  - conda-forge::pyyaml>=5  # c\n",
            "  - conda-forge::pyyaml>=5  # c\n",
            f"  - conda-forge::pyyaml={YAML}  # c\n",
        ),
        (
            "environment.yml",
            'dependencies:\n  - pip\n  - pip:\n      - "pyyaml"\n',
            '      - "pyyaml"\n',
            f'      - "pyyaml=={YAML}"\n',
        ),
    ],
)
def test_unpinned_declarations_are_pinned_in_their_file(
    tmp_path: Path, name: str, text: str, line: str, pinned: str
) -> None:
    make_project(tmp_path, {name: text})
    [found] = run(tmp_path, "import yaml")
    assert found.code == "NBD401"
    assert found.fix.applicability == "unsafe"
    assert found.fix.message.startswith("Pin `") and found.fix.message.endswith(f"` in {name}")
    after = fix_file(tmp_path, found)
    assert changed_lines(text, after) == [(line, pinned)]
    assert run(tmp_path, "import yaml") == []


def test_what_nbd401_cannot_pin_once_gets_no_fix(tmp_path: Path) -> None:
    cases = {
        "excluded/requirements.txt": "pyyaml<5\n",  # the installed release is excluded
        "twice/requirements.txt": "pyyaml>=5 ; python_version<'3.12'\npyyaml>=6 ; python_version>='3.12'\n",
        "continued/requirements.txt": "pyyaml \\\n  >=5\n",
        "hashed/requirements.txt": "pyyaml>=5 --hash=sha256:0123456789abcdef\n",
        "poetry/pyproject.toml": '[tool.poetry.dependencies]\npyyaml = "^5.1 || ^6"\n',
        "tilde/pyproject.toml": '[tool.poetry.dependencies]\npyyaml = "~5.4"\n',  # <5.5
    }
    for name, text in cases.items():
        make_project(tmp_path / name.split("/")[0], {name.split("/")[1]: text})
        [found] = run(tmp_path / name.split("/")[0], "import yaml")
        assert (name, found.code, found.fix) == (name, "NBD401", None)


def test_an_undeclared_import_is_declared_where_the_notebooks_other_imports_are(
    tmp_path: Path,
) -> None:
    files = {
        "requirements.txt": "-r requirements/base.txt\n",
        "requirements/base.txt": "rich==13.9.4\npackaging==24.1\n",
        "requirements-dev.txt": "pytest==8.3.3\n",
        "pyproject.toml": '[project]\nname = "demo"\ndependencies = []\n',
    }
    make_project(tmp_path, files)
    [found] = run(tmp_path, "import packaging, yaml")
    assert found.fix.message == f"Declare `pyyaml=={YAML}` in requirements/base.txt"
    after = fix_file(tmp_path, found)
    assert after == f"rich==13.9.4\npackaging==24.1\npyyaml=={YAML}\n"
    assert run(tmp_path, "import packaging, yaml") == []


@pytest.mark.parametrize(
    ("name", "text", "declared"),
    [
        ("requirements.txt", "", f"pyyaml=={YAML}\n"),
        ("requirements.txt", "packaging\r\nzarr", f"packaging\r\npyyaml=={YAML}\r\nzarr"),
        ("requirements.txt", "zarr\npackaging", f"zarr\npackaging\npyyaml=={YAML}"),
        ("requirements.txt", "zarr\rpackaging\r", f"zarr\rpackaging\rpyyaml=={YAML}\r"),
        (
            "pyproject.toml",
            '[project]\nname = "demo"\ndependencies = [\n    "packaging",\n    "zarr",\n]\n',
            f'[project]\nname = "demo"\ndependencies = [\n    "packaging",\n    "pyyaml=={YAML}",'
            '\n    "zarr",\n]\n',
        ),
        (
            "pyproject.toml",
            '[tool.poetry.dependencies]\npython = "^3.11"\n\n[build-system]\n',
            f'[tool.poetry.dependencies]\npython = "^3.11"\npyyaml = "{YAML}"\n\n[build-system]\n',
        ),
        (
            "environment.yml",
            "dependencies:\n  - pip:\n    - zarr  # arrays\n",
            f"dependencies:\n  - pip:\n    - zarr  # arrays\n    - pyyaml=={YAML}\n",
        ),
    ],
)
def test_the_declaration_is_written_in_place(
    tmp_path: Path, name: str, text: str, declared: str
) -> None:
    make_project(tmp_path, {name: text})
    [found] = [d for d in run(tmp_path, "import yaml") if d.code == "NBD402"]
    assert found.fix.applicability == "unsafe"
    assert fix_file(tmp_path, found) == declared
    assert [d.code for d in run(tmp_path, "import yaml")] == []


@pytest.mark.parametrize(
    "files",
    [
        {},  # no dependency file: none is created
        {"requirements-dev.txt": "pytest==8.3.3\n"},  # declares none of the notebook's imports
        {"pyproject.toml": '[project]\nname = "demo"\ndynamic = ["dependencies"]\n'},
        {"environment.yml": "dependencies:\n  - python=3.11\n"},  # no pip list
        {"requirements.txt": "rich==13.9.4 --hash=sha256:0123456789abcdef\n"},  # pip checks hashes
        {"uv.lock": 'version = 1\n[[package]]\nname = "rich"\nversion = "13.9.4"\n'},
    ],
)
def test_no_declaration_where_no_file_lists_requirements(tmp_path: Path, files) -> None:
    make_project(tmp_path, files)
    [found] = [d for d in run(tmp_path, "import yaml") if d.code == "NBD402"]
    assert found.fix is None


def test_a_module_not_installed_here_gets_no_fix(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "seaborn>=0.12\n"})
    found = run(tmp_path, "import seaborn", "import cv2")
    assert [(d.code, d.fix) for d in found] == [("NBD401", None), ("NBD402", None)]


def test_notebooks_fixing_one_file_make_the_same_edit(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "pyyaml\n"})
    [first] = run(tmp_path, "import yaml", where="a.ipynb")
    [second] = run(tmp_path, "import yaml as y", where="b/b.ipynb")
    assert first.fix == second.fix


# --- end to end: nbcheck --fix ----------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """Two notebooks of one project: both import yaml, which requirements.txt leaves unpinned;
    one installs packaging, which requirements.txt pins."""
    make_project(
        tmp_path,
        {"requirements.txt": "packaging==24.1\r\npyyaml>=5  # config\r\n# end\r\n"},
    )
    write_notebook(tmp_path / "a.ipynb", code("!pip install -q packaging\nimport yaml", 1))
    write_notebook(tmp_path / "b" / "b.ipynb", code("import packaging, yaml", 1))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_fix_writes_the_safe_pin_and_leaves_the_unsafe_ones(project: Path, nbcheck) -> None:
    result = nbcheck("--select", "NBD4", "--fix", ".")
    assert source_of(project, 1, "a.ipynb") == "%pip install -q packaging==24.1\nimport yaml"
    assert (project / "requirements.txt").read_bytes().count(b"pyyaml>=5") == 1
    assert "(1 fixed, 2 remaining" in result.out
    assert "2 unsafe fixes available with `--fix --unsafe-fixes`" in result.out


def test_unsafe_fixes_pin_the_file_once_for_every_notebook(project: Path, nbcheck) -> None:
    result = nbcheck("--select", "NBD4", "--fix", "--unsafe-fixes", ".")
    assert result.exit_code == 0, result.out
    assert (project / "requirements.txt").read_bytes() == (
        f"packaging==24.1\r\npyyaml=={YAML}  # config\r\n# end\r\n".encode()
    )
    again = nbcheck("--select", "NBD4", "--fix", "--unsafe-fixes", ".")
    assert (again.exit_code, "fixed" in again.out) == (0, False)


def test_diff_shows_the_dependency_file_and_writes_nothing(project: Path, nbcheck) -> None:
    before = (project / "requirements.txt").read_bytes()
    result = nbcheck("--select", "NBD4", "--diff", "--unsafe-fixes", ".")
    assert result.exit_code == 1
    assert f"-pyyaml>=5  # config\n+pyyaml=={YAML}  # config" in result.out.replace("\r", "")
    assert (project / "requirements.txt").read_bytes() == before


def test_a_kept_edit_follows_every_change_to_its_file(tmp_path: Path) -> None:
    make_project(tmp_path, {"requirements.txt": "pyyaml>=5\n"})
    [first] = run(tmp_path, "import yaml")
    (tmp_path / "requirements.txt").write_text("# config\npyyaml>=5\n")
    [second] = run(tmp_path, "import yaml")
    assert (first.fix.edits[0].location.row, second.fix.edits[0].location.row) == (1, 2)


REQUIREMENT_LINES = [
    "pyyaml",
    "pyyaml>=5",
    "PyYAML [libyaml] >= 5 ; python_version > '3'  # config",
    "pyyaml<5",
    "# a comment",
    "",
    "   ",
    "numpy==1.26.4",
    "zarr",
    "aiohttp>=3",
    "--index-url https://example.invalid/simple",
    "-e ./vendored",
    "pandas>=2  # data",
]


@given(
    lines=st.lists(st.sampled_from(REQUIREMENT_LINES), max_size=8),
    breaks=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=8, max_size=8),
    final=st.booleans(),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_requirements_file_is_pinned_or_declared_in_one_line(
    tmp_path_factory, lines: list[str], breaks: list[str], final: bool
) -> None:
    """Applied as the engine applies it, an edit leaves every line but one as it was, and the
    file then pins pyyaml to the installed release."""
    from nb_discipline.analysis.dependency_files import declarations_in
    from nb_discipline.dependency_edits import declare, pin
    from nb_discipline.fix import apply_edits, position

    text = "".join(line + brk for line, brk in zip(lines, breaks, strict=False))
    if not final and text:
        text = text.removesuffix("\r\n").removesuffix("\n").removesuffix("\r")
    path = tmp_path_factory.mktemp("p") / "requirements.txt"
    path.write_bytes(text.encode("utf-8"))
    made = pin(str(path), "pyyaml", YAML) or declare(str(path), "pyyaml", YAML)
    if made is None:
        return
    edit = made[0]
    start, end = position(text, *edit.location), position(text, *edit.end_location)
    new = apply_edits(text, [(start, end, edit.content)])
    declared = declarations_in(str(path), new.encode("utf-8"))
    assert declared.problems == () and declared.versions.get("pyyaml") == YAML
    old_lines = re.split(r"\r\n|\r|\n", text)
    new_lines = re.split(r"\r\n|\r|\n", new)
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    # One line pinned, or one added; every other line as it was.
    assert [(i2 - i1, j2 - j1) for _, i1, i2, j1, j2 in changes] in ([(1, 1)], [(0, 1)])


# --- the real notebooks of tests/realworld and tests/regression, with their dependency files --

HERE = Path(__file__).parent
REAL_NOTEBOOKS = sorted(HERE.glob("realworld/*.ipynb")) + sorted(HERE.glob("regression/*.ipynb"))


def realworld_project(notebook: Path, root: Path):
    """The notebook (as `nb.ipynb`) in a fresh project with its dependency files, checked."""
    (root / ".git").mkdir(parents=True)
    files = notebook.with_suffix(".files")
    if files.is_dir():
        shutil.copytree(files, root, dirs_exist_ok=True)
    shutil.copyfile(notebook, root / "nb.ipynb")
    return check(load(str(root / "nb.ipynb")), Settings(root=str(root)), rules=RULES)


def test_every_dependency_fix_of_the_real_notebooks_applies_cleanly(tmp_path: Path) -> None:
    """Each fix alone, in a fresh copy: the edited file still parses (nbcheck's parser, and
    tomllib or PyYAML), one of its lines changed or was added, and the finding is gone with
    nothing new reported."""
    from nb_discipline.analysis.dependency_files import declarations_in

    def key(diagnostic) -> tuple:
        return (diagnostic.code, diagnostic.cell, diagnostic.symbol)

    applied: Counter[str] = Counter()
    for notebook in REAL_NOTEBOOKS:
        first = realworld_project(notebook, tmp_path / notebook.stem)
        for number, found in enumerate(first):
            if found.fix is None:
                continue
            root = tmp_path / f"{notebook.stem}-{number}"
            before = realworld_project(notebook, root)
            fixed = before[number]
            assert key(fixed) == key(found)
            files = {
                e.filename: Path(e.filename).read_text() for e in fixed.fix.edits if e.filename
            }
            apply_fix(root, fixed)
            for name, old in files.items():
                new = Path(name).read_text()
                assert declarations_in(name, new.encode()).problems == ()
                if name.endswith(".toml"):
                    tomllib.loads(new)
                if name.endswith((".yml", ".yaml")):
                    yaml.safe_load(new)
                assert len(changed_lines(old, new)) == 1, (notebook.name, changed_lines(old, new))
            after = check(load(str(root / "nb.ipynb")), Settings(root=str(root)), rules=RULES)
            assert key(fixed) not in {key(d) for d in after}, (notebook.name, fixed.fix.message)
            assert {key(d) for d in after} <= {key(d) for d in before}
            applied[fixed.code] += 1
    # Pins in requirements files, environment.yml and pyproject.toml, declarations, an install
    # (23, 2 and 1 where the test dependencies are installed).
    assert applied["NBD401"] >= 20 and applied["NBD402"] >= 1 and applied["NBD403"] >= 1

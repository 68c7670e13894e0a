"""`nbcheck --fix` and its options, with ruff's meanings: which fixes apply, how they are applied
(passes, overlaps, identical edits), what is written, and what the CLI says.

The rules here are a small table built for the tests (a safe fix and unsafe ones with known
edits), put in place of the real table for the run; the real rules' fixes are tested by their own
families' tests and, end to end, by tests/test_fix_lossless.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nb_discipline import fix, rules
from nb_discipline.config import Settings
from nb_discipline.fix import Policy, fix_notebook, position
from nb_discipline.loader import load
from nb_discipline.model import SAFE, UNSAFE, Diagnostic, Edit, Fix, Location
from nb_discipline.rules import Finding, Rule
from tests.builders import code, markdown, notebook_dict, write_notebook


def _none_comparison(analysis):
    """`x == None` -> `x is None` (safe)."""
    for cell in analysis.notebook.code_cells:
        for row, text in enumerate(cell.source.split("\n"), start=1):
            column = text.find("== None")
            if column >= 0:
                edit = Edit("is", Location(row, column + 1), Location(row, column + 3), cell.index)
                yield Finding(
                    cell,
                    "Comparison to `None`",
                    row,
                    column + 1,
                    fix=Fix(SAFE, "Use `is None`", (edit,)),
                )


def _unseeded(analysis):
    """Each `rand()` in a cell without `seed(42)`: insert `seed(42)` at the top of the cell
    (unsafe); several in a cell ask for the same edit."""
    for cell in analysis.notebook.code_cells:
        if "seed(42)" in cell.source:
            continue
        for row, text in enumerate(cell.source.split("\n"), start=1):
            if "rand()" in text:
                edit = Edit("seed(42)\n", Location(1, 1), Location(1, 1), cell.index)
                yield Finding(cell, "Unseeded", row, 1, fix=Fix(UNSAFE, "Seed it", (edit,)))


def _headers(analysis):
    """A cell without `# header` and without `# title`: insert each at the top (unsafe), two
    different insertions at one place."""
    for cell in analysis.notebook.code_cells:
        for word in ("header", "title"):
            if f"# {word}" not in cell.source:
                edit = Edit(f"# {word}\n", Location(1, 1), Location(1, 1), cell.index)
                yield Finding(cell, f"No {word}", fix=Fix(UNSAFE, f"Add a {word}", (edit,)))


def _no_fix(analysis):
    """`print` in a cell (no fix)."""
    for cell in analysis.notebook.code_cells:
        for row, text in enumerate(cell.source.split("\n"), start=1):
            if "print" in text:
                yield Finding(cell, "Print", row)


TEST_RULES = (
    Rule("NBD901", "none-comparison", _none_comparison),
    Rule("NBD902", "unseeded", _unseeded),
    Rule("NBD903", "no-print", _no_fix),
)


@pytest.fixture
def test_rules(monkeypatch):
    """The test table in place of the real one, for the CLI (`--no-cache`: findings kept by
    another table must not be read)."""
    table = {rule.code: rule for rule in TEST_RULES}
    monkeypatch.setattr(rules, "RULES", TEST_RULES)
    monkeypatch.setattr(rules, "RULES_BY_CODE", table)
    monkeypatch.setattr(rules, "RULES_BY_NAME", {rule.name: rule for rule in TEST_RULES})
    return table


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    write_notebook(
        tmp_path / "nb.ipynb",
        markdown("# Title"),
        code("x = None\nif x == None:\n    print(x)", 1),
        code("a = rand()\nb = rand()", 2),
    )
    return tmp_path


def _sources(path: Path) -> list[str]:
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]]


def _diagnostic(applicability: str = SAFE) -> Diagnostic:
    """An NBD901 finding with a fix of that applicability."""
    start = Location(1, 1)
    fixed = Fix(applicability, "f", (Edit("", start, start, 1),))
    return Diagnostic(
        "NBD901", "none-comparison", "m", "nb.ipynb", 1, None, start, start, fix=fixed
    )


# --- which fixes apply -----------------------------------------------------------------------


def test_safe_fixes_apply_and_unsafe_ones_only_with_unsafe_fixes() -> None:
    safe, unsafe = _diagnostic(), _diagnostic(UNSAFE)
    assert Policy().applies(safe) and not Policy().applies(unsafe)
    assert Policy().hidden(unsafe) and not Policy().hidden(safe)
    assert Policy(unsafe_fixes=True).applies(unsafe) and not Policy(unsafe_fixes=True).hidden(
        unsafe
    )
    assert not Policy().applies(_diagnostic()._replace(fix=None))


@pytest.mark.parametrize(
    ("options", "fixable"),
    [
        ({"unfixable": ("NBD9",)}, False),
        ({"fixable": ("NBD901",), "unfixable": ("NBD9",)}, True),  # the more specific wins
        ({"fixable": ("NBD9",), "unfixable": ("NBD9",)}, False),  # a tie: unfixable
        ({"fixable": ("NBD8",)}, False),
        ({"fixable": ("NBD8",), "extend_fixable": ("none-comparison",)}, True),
        ({"unfixable": ("none-comparison",), "fixable": ("NBD901",)}, False),  # name = code
    ],
)
def test_fixable_and_unfixable_as_ruff(options, fixable) -> None:
    assert Policy(**options).applies(_diagnostic()) is fixable


@pytest.mark.parametrize(
    ("options", "applicability"),
    [
        ({"extend_safe_fixes": ("NBD9",)}, SAFE),
        ({"extend_safe_fixes": ("NBD9",), "extend_unsafe_fixes": ("NBD901",)}, UNSAFE),
        ({"extend_safe_fixes": ("NBD901",), "extend_unsafe_fixes": ("ALL",)}, SAFE),
        ({"extend_safe_fixes": ("NBD901",), "extend_unsafe_fixes": ("NBD901",)}, UNSAFE),
    ],
)
def test_extend_safe_and_unsafe_fixes_as_ruff(options, applicability) -> None:
    assert Policy(**options).applicability(_diagnostic(UNSAFE)) == applicability


def test_positions_are_rows_and_code_point_columns() -> None:
    text = "é = 1\r\nb\n"
    assert position(text, 1, 1) == 0
    assert position(text, 1, 6) == 5  # the end of the line
    assert position(text, 1, 7) is None  # past it
    assert position(text, 2, 1) == 7  # after \r\n
    assert position(text, 3, 1) == len(text)
    assert position(text, 4, 1) is None


# --- applying them ---------------------------------------------------------------------------


def _fixed(tmp_path: Path, *cells, policy: Policy | None = None, table=TEST_RULES):
    """Fix a notebook of `cells` with the rules of `table` (unsafe fixes too, by default)."""
    path = write_notebook(tmp_path / "nb.ipynb", *cells)
    data = path.read_bytes()
    policy = Policy(unsafe_fixes=True) if policy is None else policy
    return fix_notebook(load(str(path)), data, Settings(root=str(tmp_path)), policy, table)


def test_identical_edits_land_once_and_both_findings_count_as_fixed(tmp_path) -> None:
    outcome = _fixed(tmp_path, code("a = rand()\nb = rand()"))
    assert outcome.sources == {1: ("a = rand()\nb = rand()", "seed(42)\na = rand()\nb = rand()")}
    assert outcome.fixed == {"NBD902": 2}
    assert outcome.diagnostics == []


def test_edits_at_one_place_wait_for_the_next_pass(tmp_path) -> None:
    table = (Rule("NBD904", "headers", _headers),)
    outcome = _fixed(tmp_path, code("x = 1"), table=table)
    # The second insertion at the top waits a pass, then goes above the first.
    assert outcome.sources[1][1] == "# title\n# header\nx = 1"
    assert outcome.fixed == {"NBD904": 2}
    assert outcome.diagnostics == []


def test_unsafe_fixes_stay_without_unsafe_fixes(tmp_path) -> None:
    outcome = _fixed(tmp_path, code("a = rand()\nif a == None: pass"), policy=Policy())
    assert outcome.sources[1][1] == "a = rand()\nif a is None: pass"
    assert [d.code for d in outcome.diagnostics] == ["NBD902"]


def test_a_fix_that_breaks_the_syntax_changes_nothing(tmp_path) -> None:
    def breaking(analysis):
        """Replace the cell with `(`."""
        cell = analysis.notebook.cell(1)
        edit = Edit("(", Location(1, 1), Location(1, 6), 1)
        yield Finding(cell, "Broken", fix=Fix(SAFE, "Break it", (edit,)))

    outcome = _fixed(tmp_path, code("x = 1"), table=(Rule("NBD905", "breaking", breaking),))
    assert outcome.sources == {} and outcome.fixed == {}
    assert "syntax error into cell 1" in outcome.warning


def test_fixes_that_never_settle_stop(tmp_path) -> None:
    def forever(analysis):
        """Insert `#` at the top, every time."""
        cell = analysis.notebook.cell(1)
        edit = Edit("#", Location(1, 1), Location(1, 1), 1)
        yield Finding(cell, "Again", fix=Fix(SAFE, "Again", (edit,)))

    outcome = _fixed(tmp_path, code("x = 1"), table=(Rule("NBD906", "forever", forever),))
    assert outcome.sources[1][1] == "#" * fix.MAX_ITERATIONS + "x = 1"
    assert f"did not settle after {fix.MAX_ITERATIONS} passes" in outcome.warning


def test_an_edit_whose_place_does_not_exist_is_not_applied(tmp_path) -> None:
    def astray(analysis):
        """An edit past the end of the cell."""
        cell = analysis.notebook.cell(1)
        edit = Edit("y", Location(5, 1), Location(5, 1), 1)
        yield Finding(cell, "Astray", fix=Fix(SAFE, "Astray", (edit,)))

    outcome = _fixed(tmp_path, code("x = 1"), table=(Rule("NBD907", "astray", astray),))
    assert outcome.sources == {} and len(outcome.diagnostics) == 1


def test_edits_to_another_file_are_made_once_in_its_own_coordinates(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pandas==2.2.0\r\n", encoding="utf-8")

    def pins(analysis):
        """Append `numpy==1.26.4` to requirements.txt while it lacks it (the check reads the
        file from disk, so every pass proposes it again)."""
        if "numpy" in requirements.read_text():
            return
        for cell in analysis.notebook.code_cells:
            edit = Edit(
                "numpy==1.26.4\r\n", Location(2, 1), Location(2, 1), None, "requirements.txt"
            )
            yield Finding(cell, "Unpinned", fix=Fix(UNSAFE, "Pin it", (edit,)))

    table = (Rule("NBD908", "pins", pins), *TEST_RULES)
    monkeypatch.chdir(tmp_path)
    outcome = _fixed(tmp_path, code("import numpy"), code("if numpy == None: pass"), table=table)
    assert outcome.fixed == {"NBD908": 2, "NBD901": 1}  # two findings, one identical edit
    assert list(outcome.files) == [str(requirements)]
    assert fix.write_notebook(outcome) is None
    assert fix.write_other_files([outcome]) == ([str(requirements)], [])
    assert requirements.read_bytes() == b"pandas==2.2.0\r\nnumpy==1.26.4\r\n"


# --- writing ---------------------------------------------------------------------------------


def test_written_atomically_keeping_the_mode_and_following_symlinks(project) -> None:
    target = project / "real" / "nb.ipynb"
    target.parent.mkdir()
    (project / "nb.ipynb").rename(target)
    os.chmod(target, 0o640)
    (project / "link.ipynb").symlink_to(target)
    data = target.read_bytes()
    fix.write_atomically(str(project / "link.ipynb"), b"new", data)
    assert (project / "link.ipynb").is_symlink() and target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["nb.ipynb"]  # no temporary left


def test_a_write_that_fails_leaves_the_file_as_it_was(project, test_rules, nbcheck) -> None:
    # The temporary file's name is taken (by a folder): the new contents cannot be written.
    blocker = project / f".nb.ipynb.{os.getpid()}.nbcheck-fix"
    blocker.mkdir()
    before = (project / "nb.ipynb").read_bytes()
    result = nbcheck("--no-cache", "--fix", "nb.ipynb")
    assert result.exit_code == 2
    assert result.err == "nbcheck: error: nb.ipynb: cannot write the fix: File exists\n"
    assert (project / "nb.ipynb").read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == sorted([".git", blocker.name, "nb.ipynb"])


def test_a_file_changed_since_it_was_read_is_not_overwritten(project, test_rules) -> None:
    outcome = fix.fix_notebook(
        load("nb.ipynb"), Path("nb.ipynb").read_bytes(), Settings(root=str(project)), Policy(),
        TEST_RULES,
    )  # fmt: skip
    changed = Path("nb.ipynb").read_bytes().replace(b"x = None", b"x = 0")
    Path("nb.ipynb").write_bytes(changed)
    assert str(fix.write_notebook(outcome)) == (
        "nb.ipynb: changed on disk since nbcheck read it; not fixed"
    )
    assert Path("nb.ipynb").read_bytes() == changed


def test_the_cli_says_a_file_changed_meanwhile_in_one_line_and_exits_2(
    project, test_rules, monkeypatch, nbcheck
) -> None:
    def touches(analysis):
        """Change the notebook on disk while it is being checked (another program saving it)."""
        path = Path(analysis.notebook.path)
        path.write_bytes(path.read_bytes() + b" ")
        return ()

    table = (*TEST_RULES, Rule("NBD909", "touches", touches))
    monkeypatch.setattr(rules, "RULES", table)
    result = nbcheck("--no-cache", "--fix", "nb.ipynb")
    assert result.exit_code == 2
    assert (
        result.err == "nbcheck: error: nb.ipynb: changed on disk since nbcheck read it; not fixed\n"
    )
    assert "x == None" in _sources(project / "nb.ipynb")[1]


# --- the command line ------------------------------------------------------------------------


def test_check_marks_fixable_findings_and_says_what_fix_would_do(project, test_rules, nbcheck):
    result = nbcheck("--no-cache", "nb.ipynb")
    assert result.exit_code == 1
    lines = result.out.splitlines()
    assert lines[0] == "nb.ipynb:cell 2:2:6: NBD901 [*] Comparison to `None`"
    assert lines[1] == "nb.ipynb:cell 2:3:1: NBD903 Print"
    assert lines[2] == "nb.ipynb:cell 3:1:1: NBD902 Unseeded"
    assert lines[-2:] == [
        "Found 4 findings in 1 notebook (1 checked).",
        "[*] 1 fixable with `--fix` (2 unsafe fixes available with `--fix --unsafe-fixes`).",
    ]
    unsafe = nbcheck("--no-cache", "nb.ipynb", "--unsafe-fixes").out.splitlines()
    assert unsafe[2] == "nb.ipynb:cell 3:1:1: NBD902 [*] Unseeded"
    assert unsafe[-1] == "[*] 3 fixable with `--fix`."
    # Said either way in the settings: no hint.
    assert nbcheck("--no-cache", "nb.ipynb", "--no-unsafe-fixes").out.splitlines()[-1] == (
        "[*] 1 fixable with `--fix`."
    )
    assert nbcheck("--no-cache", "nb.ipynb", "--output-format", "concise").out.splitlines()[0] == (
        "nb.ipynb:cell 2:2:6: NBD901 [*] Comparison to `None`"
    )
    statistics = nbcheck("--no-cache", "nb.ipynb", "--statistics").out.splitlines()
    assert statistics == [
        "    2\tNBD902\t[ ] unseeded",
        "    1\tNBD901\t[*] none-comparison",
        "    1\tNBD903\t[ ] no-print",
    ]


def test_fix_writes_and_says_what_was_fixed_and_what_remains(project, test_rules, nbcheck):
    before = (project / "nb.ipynb").read_bytes()
    result = nbcheck("--no-cache", "--fix", "nb.ipynb")
    assert result.exit_code == 1
    assert _sources(project / "nb.ipynb")[1] == "x = None\nif x is None:\n    print(x)"
    assert result.out.splitlines()[-2:] == [
        "Found 4 findings in 1 notebook (1 fixed, 3 remaining; 1 checked).",
        "2 unsafe fixes available with `--fix --unsafe-fixes`.",
    ]
    assert "NBD901" not in result.out
    (project / "nb.ipynb").write_bytes(before)
    everything = nbcheck("--no-cache", "--fix", "--unsafe-fixes", "--show-fixes", "nb.ipynb")
    assert everything.out.splitlines() == [
        "nb.ipynb:cell 2:3:1: NBD903 Print",
        "",
        "Fixed 3 findings:",
        "- nb.ipynb:",
        "    1 × NBD901 (none-comparison)",
        "    2 × NBD902 (unseeded)",
        "",
        "Found 4 findings in 1 notebook (3 fixed, 1 remaining; 1 checked).",
    ]
    assert _sources(project / "nb.ipynb")[2] == "seed(42)\na = rand()\nb = rand()"
    again = nbcheck("--no-cache", "--fix", "--unsafe-fixes", "nb.ipynb")
    assert again.out.splitlines()[-1] == "Found 1 finding in 1 notebook (1 checked)."


def test_exit_codes_of_fix(project, test_rules, nbcheck) -> None:
    assert nbcheck("--no-cache", "--fix", "--unsafe-fixes", "--ignore", "NBD903").exit_code == 0
    Path("more.ipynb").write_text(Path("nb.ipynb").read_text().replace("x is None", "x == None"))
    code_ = nbcheck(
        "--no-cache", "--fix", "--ignore", "NBD903", "--exit-non-zero-on-fix", "more.ipynb"
    )
    assert code_.exit_code == 1
    assert (
        nbcheck("--no-cache", "--fix", "--ignore", "NBD903", "--exit-non-zero-on-fix").exit_code
        == 0
    )


def test_fix_only_reports_only_what_it_fixed(project, test_rules, nbcheck) -> None:
    result = nbcheck("--no-cache", "--fix-only", "nb.ipynb")
    assert (result.exit_code, result.out) == (
        0,
        "Fixed 1 finding (2 additional fixes available with `--unsafe-fixes`).\n",
    )
    nothing = nbcheck("--no-cache", "--fix-only", "nb.ipynb")
    assert nothing.out == "No findings fixed (2 fixes available with `--unsafe-fixes`).\n"
    nbcheck("--no-cache", "--fix-only", "--unsafe-fixes", "nb.ipynb")
    assert nbcheck("--no-cache", "--fix-only", "--unsafe-fixes", "nb.ipynb").out == ""


def test_diff_shows_each_cell_and_writes_nothing(project, test_rules, nbcheck) -> None:
    before = (project / "nb.ipynb").read_bytes()
    result = nbcheck("--no-cache", "--diff", "--unsafe-fixes", "nb.ipynb")
    assert result.exit_code == 1
    assert result.out == (
        "--- nb.ipynb:cell 2\n"
        "+++ nb.ipynb:cell 2\n"
        "@@ -1,3 +1,3 @@\n"
        " x = None\n"
        "-if x == None:\n"
        "+if x is None:\n"
        "     print(x)\n"
        "--- nb.ipynb:cell 3\n"
        "+++ nb.ipynb:cell 3\n"
        "@@ -1,2 +1,3 @@\n"
        "+seed(42)\n"
        " a = rand()\n"
        " b = rand()\n"
        "\n"
        "Would fix 3 findings.\n"
    )
    assert (project / "nb.ipynb").read_bytes() == before
    safe_only = nbcheck("--no-cache", "--diff", "nb.ipynb")
    assert safe_only.out.endswith(
        "\nWould fix 1 finding (2 additional fixes available with `--unsafe-fixes`).\n"
    )
    nbcheck("--no-cache", "--fix", "--unsafe-fixes", "nb.ipynb")
    clean = nbcheck("--no-cache", "--diff", "nb.ipynb")
    assert (clean.exit_code, clean.out) == (0, "")


def test_json_gives_ruffs_fix_object(project, test_rules, nbcheck) -> None:
    found = json.loads(nbcheck("--no-cache", "--output-format", "json", "nb.ipynb").out)
    assert found[0]["fix"] == {
        "applicability": "safe",
        "message": "Use `is None`",
        "edits": [
            {
                "content": "is",
                "location": {"row": 2, "column": 6},
                "end_location": {"row": 2, "column": 8},
                "cell": 2,
            }
        ],
    }
    assert found[1]["fix"] is None


def test_configured_fix_and_no_fix(project, test_rules, nbcheck) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.nb-discipline]\nfix = true\nunsafe-fixes = true\nunfixable = ["unseeded"]\n'
    )
    before = (project / "nb.ipynb").read_bytes()
    assert nbcheck("--no-cache", "--no-fix", "nb.ipynb").exit_code == 1
    assert (project / "nb.ipynb").read_bytes() == before
    result = nbcheck("--no-cache", "nb.ipynb")
    assert "(1 fixed, 3 remaining; 1 checked)" in result.out
    assert _sources(project / "nb.ipynb")[2] == "a = rand()\nb = rand()"  # unfixable


def test_unknown_selectors_in_fix_options_are_refused(project, test_rules, nbcheck) -> None:
    result = nbcheck("--no-cache", "--unfixable", "NBD777", "nb.ipynb")
    assert result.exit_code == 2
    assert result.err.startswith("nbcheck: error: unknown rule selector `NBD777` in --unfixable")
    (project / "pyproject.toml").write_text('[tool.nb-discipline]\nextend-safe-fixes = ["X1"]\n')
    config = nbcheck("--no-cache", "nb.ipynb")
    assert config.exit_code == 2
    assert "unknown rule selector `X1` in `extend-safe-fixes` in [tool.nb-discipline]" in config.err


def test_stdin_fix_prints_the_fixed_notebook(project, test_rules) -> None:
    script = (
        "import sys\n"
        "from nb_discipline import rules\n"
        "from tests.test_fix import TEST_RULES\n"
        "rules.RULES = TEST_RULES\n"
        "rules.RULES_BY_CODE = {rule.code: rule for rule in TEST_RULES}\n"
        "from nb_discipline.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    data = (project / "nb.ipynb").read_bytes()
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "NO_COLOR": "1"}
    run = subprocess.run(
        [sys.executable, "-c", script, "--no-cache", "--fix", "--stdin-filename", "nb.ipynb"],
        input=data,
        capture_output=True,
        env=environment,
        cwd=project,
    )
    assert run.returncode == 1
    assert run.stdout == data.replace(b"x == None", b"x is None")
    assert run.stderr.decode().splitlines()[-2] == (
        "Found 4 findings in 1 notebook (1 fixed, 3 remaining; 1 checked)."
    )
    assert (project / "nb.ipynb").read_bytes() == data  # nothing written
    clean = subprocess.run(
        [sys.executable, "-c", script, "--no-cache", "--fix", "-", "--select", "NBD901"],
        input=run.stdout,
        capture_output=True,
        env=environment,
        cwd=project,
    )
    assert (clean.returncode, clean.stdout) == (0, run.stdout)


def test_an_nbformat_3_notebook_is_fixed_in_its_own_layout(tmp_path, test_rules, nbcheck) -> None:
    document = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "metadata": {}, "source": "Old"},
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": ["x = 1\n", "if x == None: pass"],
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                        "prompt_number": 1,
                    },
                ],
                "metadata": {},
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(document, indent=1))
    assert nbcheck("--no-cache", "--fix", str(path)).exit_code == 0
    fixed = json.loads(path.read_text())["worksheets"][0]["cells"][1]["input"]
    assert fixed == ["x = 1\n", "if x is None: pass"]


def test_parallel_fixing_gives_what_one_process_gives(tmp_path, test_rules, monkeypatch) -> None:
    from nb_discipline import batch

    big = "x" * (batch.PARALLEL_MIN_BYTES // 3)
    for number in range(4):
        write_notebook(
            tmp_path / f"nb{number}.ipynb",
            markdown(big),
            code(f"y = {number}\nif y == None: pass", 1),
        )
    monkeypatch.chdir(tmp_path)
    paths = sorted(str(p) for p in tmp_path.glob("*.ipynb"))
    outcomes = list(batch.fix_files(paths, Settings(root=str(tmp_path)), jobs=2, use_cache=False))
    assert sorted(outcome.path for outcome in outcomes) == paths
    assert [outcome.fixed for outcome in outcomes] == [{"NBD901": 1}] * 4


def test_notebook_builders_layout_is_kept(project) -> None:
    """The lossless writer keeps what the builders write (indent 1, a trailing newline)."""
    document = notebook_dict(code("a == None", 1))
    text = json.dumps(document, indent=1) + "\n"
    from nb_discipline.notebook_json import replace_sources

    assert (
        replace_sources(text.encode(), {1: "a is None"})
        == text.replace('"a == None"', '"a is None"').encode()
    )


def _pins(analysis):
    """While the requirements.txt above the notebook lacks numpy, append `numpy==1.26.4` to it
    (unsafe), one finding per code cell."""
    requirements = Path(analysis.notebook.path).parents[1] / "requirements.txt"
    text = requirements.read_text()
    if "numpy" in text:
        return
    end = Location(text.count("\n") + 1, 1)
    for cell in analysis.notebook.code_cells:
        edit = Edit("numpy==1.26.4\n", end, end, None, str(requirements))
        yield Finding(cell, "Unpinned", fix=Fix(UNSAFE, "Pin it", (edit,)))


def test_a_pin_two_notebooks_ask_for_is_written_once_and_both_are_checked_again(
    tmp_path, monkeypatch, nbcheck
) -> None:
    monkeypatch.setattr(rules, "RULES", (Rule("NBD908", "pins", _pins),))
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "requirements.txt").write_text("pandas==2.2.0\n")
    for name in ("a", "b"):
        write_notebook(tmp_path / "notebooks" / f"{name}.ipynb", code("import numpy", 1))
    before = {p: p.read_bytes() for p in (tmp_path / "notebooks").iterdir()}
    result = nbcheck("--no-cache", "--fix", "--unsafe-fixes", ".")
    assert (tmp_path / "requirements.txt").read_text() == "pandas==2.2.0\nnumpy==1.26.4\n"
    assert {p: p.read_bytes() for p in (tmp_path / "notebooks").iterdir()} == before
    assert result.out == "Found 2 findings in 2 notebooks (2 fixed, 0 remaining; 2 checked).\n"
    assert result.exit_code == 0

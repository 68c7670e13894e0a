"""`nbcheck`: discovery, exit codes, selection, suppression, configuration and output formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.builders import code, markdown, notebook_dict, write_notebook

DATA = Path(__file__).parent / "data"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project with one messy notebook (NBD101 and NBD103 on cell 3) and one clean one."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    write_notebook(
        tmp_path / "notebooks" / "messy.ipynb",
        markdown("# Messy"),
        code("a = 1", 4),
        code("b = 2  # noqa: NBD999", 3),
    )
    write_notebook(tmp_path / "notebooks" / "clean.ipynb", code("a = 1", 1), code("b = a", 2))
    return tmp_path


def test_findings_exit_1_with_ruff_style_lines(project, nbcheck) -> None:
    result = nbcheck("notebooks")
    assert result.exit_code == 1
    lines = result.out.splitlines()
    assert lines[0] == (
        "notebooks/messy.ipynb:cell 3:1:1: NBD101 Cell 3 ran as [3], before cell 2 above it (run as [4])"
    )
    assert lines[1] == "  = help: Restart the kernel and run all cells top to bottom"
    assert lines[2].startswith(
        "notebooks/messy.ipynb:cell 3:1:1: NBD103 Not run from a fresh kernel: the first count is [3]"
    )
    assert result.out.rstrip().endswith("Found 2 findings in 1 notebook (2 checked).")
    assert result.err == ""


def test_clean_exit_0(project, nbcheck) -> None:
    result = nbcheck("check", "notebooks/clean.ipynb")
    assert (result.exit_code, result.out) == (0, "All checks passed! (1 notebook checked)\n")


def test_default_path_is_the_current_directory(project, nbcheck) -> None:
    assert nbcheck().exit_code == 1


def test_exit_zero_quiet_and_statistics(project, nbcheck) -> None:
    assert nbcheck("notebooks", "--exit-zero").exit_code == 0
    quiet = nbcheck("notebooks", "-q")
    assert len(quiet.out.splitlines()) == 2 and "Found" not in quiet.out
    stats = nbcheck("notebooks", "--statistics")
    assert stats.out.splitlines() == [
        "    1\tNBD101\tout-of-order-execution",
        "    1\tNBD103\tnot-run-from-fresh-kernel",
    ]


@pytest.mark.parametrize(
    ("arguments", "codes"),
    [
        (["--select", "NBD101"], ["NBD101"]),
        (["--select", "out-of-order-execution"], ["NBD101"]),
        (["--select", "NBD1", "--ignore", "NBD103"], ["NBD101"]),
        (["--ignore", "not-run-from-fresh-kernel"], ["NBD101"]),
        (["--select", "NBD104", "--extend-select", "NBD103"], ["NBD103"]),
        (["--select", "ALL", "--ignore", "NBD1"], []),
    ],
)
def test_selection(project, nbcheck, arguments, codes) -> None:
    result = nbcheck("notebooks", "--output-format", "json", *arguments)
    assert sorted(d["code"] for d in json.loads(result.out)) == codes


def test_unknown_selector_is_a_usage_error(project, nbcheck) -> None:
    result = nbcheck("notebooks", "--select", "NBD9")
    assert result.exit_code == 2
    assert result.err.strip().endswith("`nbcheck rules` lists them)")
    assert "unknown rule selector `NBD9`" in result.err


def test_bad_files_are_reported_and_the_rest_still_checked(project, nbcheck) -> None:
    (project / "notebooks" / "empty.ipynb").write_text("")
    (project / "notebooks" / "dir.ipynb").mkdir()
    (project / "notebooks" / "link.ipynb").symlink_to(project / "nowhere.ipynb")
    result = nbcheck("notebooks", "missing.ipynb")
    assert result.exit_code == 2
    assert result.err.splitlines() == [
        "nbcheck: error: missing.ipynb: no such file or directory",
        "nbcheck: error: notebooks/dir.ipynb: is a directory, not a notebook file",
        "nbcheck: error: notebooks/empty.ipynb: file is empty",
        f"nbcheck: error: notebooks/link.ipynb: broken symbolic link to {project / 'nowhere.ipynb'}",
    ]
    assert "NBD101" in result.out
    assert "(2 checked; 4 files could not be checked)" in result.out


@pytest.mark.parametrize(
    ("arguments", "summary"),
    [
        (["missing.ipynb"], "No notebooks checked; 1 file could not be checked."),
        (["empty.ipynb", "README.md"], "No notebooks checked; 2 files could not be checked."),
        (
            ["notebooks/clean.ipynb", "missing.ipynb"],
            "No findings in 1 notebook; 1 file could not be checked.",
        ),
    ],
)
def test_a_file_that_could_not_be_checked_never_passes(project, nbcheck, arguments, summary):
    (project / "empty.ipynb").write_text("")
    (project / "README.md").write_text("# A project\n")
    result = nbcheck(*arguments)
    assert (result.exit_code, result.out) == (2, summary + "\n")
    assert len(result.err.splitlines()) == len(arguments) - ("notebooks/clean.ipynb" in arguments)


def test_a_run_that_checked_nothing_says_so(project, nbcheck) -> None:
    """As ruff: a warning on stderr, exit 0; -q silences it."""
    (project / "notebooks" / ".gitignore").write_text("*.ipynb\n")
    nothing_found = (
        "nbcheck: warning: no notebooks found under the given paths; nothing was checked\n"
    )
    for arguments in (["notebooks"], ["notebooks", "--output-format", "json"]):
        result = nbcheck(*arguments)
        assert (result.exit_code, result.err) == (0, nothing_found)
    assert nbcheck("notebooks").out == "No notebooks checked.\n"
    quiet = nbcheck("notebooks", "-q")
    assert (quiet.exit_code, quiet.out, quiet.err) == (0, "", "")
    no_rules = (
        "nbcheck: warning: no rules selected (--select, --ignore and the configuration leave "
        "none); nothing was checked\n"
    )
    for selection in (["--select", ""], ["--select", "NBD1", "--ignore", "NBD1"]):
        result = nbcheck("notebooks/messy.ipynb", *selection)
        assert (result.exit_code, result.out, result.err) == (
            0,
            "No notebooks checked.\n",
            no_rules,
        )
    assert nbcheck("notebooks/messy.ipynb", "missing.ipynb", "--select", "").exit_code == 2


def test_discovery_skips_checkpoints_gitignored_and_excluded(project, nbcheck) -> None:
    for name in [".ipynb_checkpoints/messy-checkpoint.ipynb", "scratch/tmp.ipynb", "out/x.ipynb"]:
        write_notebook(project / "notebooks" / name, code("a", 9), code("b", 2))
    (project / ".gitignore").write_text("scratch/\n")
    (project / "pyproject.toml").write_text('[tool.nb-discipline]\nextend-exclude = ["out"]\n')
    result = nbcheck("notebooks", "--output-format", "json")
    assert {d["filename"] for d in json.loads(result.out)} == {"notebooks/messy.ipynb"}
    explicit = nbcheck("notebooks/scratch/tmp.ipynb", "--output-format", "json")
    assert {d["filename"] for d in json.loads(explicit.out)} == {"notebooks/scratch/tmp.ipynb"}
    for notebook in ("notebooks/scratch/tmp.ipynb", "notebooks/out/x.ipynb"):
        # A folder named on the command line is walked, as ruff walks it.
        named = nbcheck(os.path.dirname(notebook), "--output-format", "json")
        assert {d["filename"] for d in json.loads(named.out)} == {notebook}


def test_stdin(project, nbcheck, monkeypatch) -> None:
    import io

    data = json.dumps(notebook_dict(code("a = 1", 2), code("b = 2", 1))).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = nbcheck("--stdin-filename", "editor.ipynb", "--output-format", "concise")
    assert result.out == (
        "editor.ipynb:cell 2:1:1: NBD101 Cell 2 ran as [1], before cell 1 above it (run as [2])\n"
    )
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"{")))
    broken = nbcheck("--stdin-filename", "editor.ipynb")
    assert broken.exit_code == 2 and broken.err.startswith(
        "nbcheck: error: editor.ipynb: not valid JSON"
    )


def test_suppression_at_every_level(project, nbcheck) -> None:
    write_notebook(
        project / "notebooks" / "suppressed.ipynb",
        code("a = 1", 6),
        code("b = 2  # noqa: NBD101", 2),
        code("c = 3  # noqa", 3),
        code("d = 4", 4, tags=["nbcheck-ignore:out-of-order-execution"]),
        code("e = 5", 5, tags=["nbcheck-ignore"]),
        code("f = 6", 1, tags=["nbcheck-ignore:NBD2"]),
    )
    result = nbcheck("notebooks/suppressed.ipynb", "--output-format", "json", "--select", "NBD101")
    assert [d["cell"] for d in json.loads(result.out)] == [6]

    metadata = {"nb_discipline": {"ignore": ["NBD101"]}}
    write_notebook(project / "m.ipynb", code("a = 1", 2), code("b = 2", 1), metadata=metadata)
    assert nbcheck("m.ipynb").exit_code == 0

    (project / "pyproject.toml").write_text(
        '[tool.nb-discipline.per-file-ignores]\n"notebooks/messy.ipynb" = ["NBD1"]\n'
    )
    assert nbcheck("notebooks/messy.ipynb").exit_code == 0
    assert nbcheck("notebooks/messy.ipynb", "--isolated").exit_code == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("selekt = ['NBD1']", "unknown key `selekt` in [tool.nb-discipline]; allowed: select,"),
        (
            "select = 'NBD1'",
            "bad value for `select` in [tool.nb-discipline]: Input should be an array",
        ),
        ("pin-policy = 'loose'", "bad value for `pin-policy`"),
        ("[tool.nb-discipline.repro]\nruns = 0", "bad value for `repro.runs`"),
        (
            "[tool.nb-discipline.repro]\nrunz = 2",
            "`runz` in [tool.nb-discipline.repro]; allowed: runs, seed",
        ),
        ("select = ['NBD777']", "unknown rule selector `NBD777`"),
        # Sections are tables: an array is not read as their fields in order (runs, seed, ...).
        ("repro = [3]", "bad value for `repro`"),
        ("[tool.nb-discipline.repro.metrics]\nloss = [0.1]", "bad value for `repro.metrics.loss`"),
    ],
)
def test_bad_configuration_names_the_key_and_file(project, nbcheck, table, message) -> None:
    (project / "pyproject.toml").write_text(f"[tool.nb-discipline]\n{table}\n")
    result = nbcheck("notebooks")
    assert result.exit_code == 2, result.err
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    if "selector" not in message:
        assert str(project / "pyproject.toml") in result.err


def test_invalid_toml_and_missing_config(project, nbcheck) -> None:
    (project / "pyproject.toml").write_text("[tool.nb-discipline\n")
    invalid = nbcheck("notebooks")
    assert invalid.exit_code == 2 and "not valid TOML" in invalid.err
    missing = nbcheck("notebooks", "--config", "nope.toml")
    assert (missing.exit_code, missing.err) == (
        2,
        "nbcheck: error: nope.toml: configuration file not found\n",
    )


def test_config_is_found_by_walking_up_and_cached(project, nbcheck, monkeypatch) -> None:
    (project / "pyproject.toml").write_text('[tool.nb-discipline]\nignore = ["NBD103"]\n')
    monkeypatch.chdir(project / "notebooks")
    first = nbcheck("messy.ipynb", "--output-format", "json")
    second = nbcheck("messy.ipynb", "--output-format", "json")
    assert [d["code"] for d in json.loads(first.out)] == ["NBD101"]
    assert first.out == second.out


def test_json_contract(project, nbcheck) -> None:
    diagnostics = json.loads(nbcheck("notebooks", "--output-format", "json").out)
    first = diagnostics[0]
    assert set(first) >= {
        "code", "name", "message", "filename", "cell", "cell_id", "location",
        "end_location", "severity", "url", "help", "fix", "symbol",
    }  # fmt: skip
    assert first["cell"] == 3 and first["cell_id"].startswith("cell-")
    assert first["location"] == {"row": 1, "column": 1}
    assert first["end_location"]["row"] == 1 and first["end_location"]["column"] >= 1
    lines = nbcheck("notebooks", "--output-format", "json-lines").out.splitlines()
    assert [json.loads(line) for line in lines] == diagnostics


def test_sarif_is_valid_against_the_schema(project, nbcheck) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    document = json.loads(nbcheck("notebooks", "--output-format", "sarif").out)
    jsonschema.validate(document, schema)
    results = document["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["NBD101", "NBD103"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "notebooks/messy.ipynb"
    )
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert rules[results[1]["ruleIndex"]]["id"] == "NBD103"


def test_github_and_junit(project, nbcheck) -> None:
    github = nbcheck("notebooks", "--output-format", "github").out.splitlines()
    assert github[0] == (
        "::warning title=NBD101 out-of-order-execution (cell 3),file=notebooks/messy.ipynb,line=1"
        "::cell 3:1:1: NBD101 Cell 3 ran as [3], before cell 2 above it (run as [4])"
    )
    junit = ElementTree.fromstring(nbcheck("notebooks", "--output-format", "junit").out)
    assert junit.get("failures") == "2"
    cases = junit.findall(".//testcase")
    assert [case.get("name") for case in cases] == [
        "NBD101 out-of-order-execution (cell 3)",
        "NBD103 not-run-from-fresh-kernel (cell 3)",
    ]


def test_output_file(project, nbcheck) -> None:
    result = nbcheck("notebooks", "-o", "report.json", "--output-format", "json")
    assert result.exit_code == 1 and result.out == ""
    assert len(json.loads((project / "report.json").read_text())) == 2


def test_parallel_and_serial_agree(project, nbcheck, monkeypatch) -> None:
    import nb_discipline.batch as batch

    for number in range(12):
        write_notebook(
            project / "many" / f"n{number}.ipynb", code("a = 1", 3 + number), code("b = 2", 2)
        )
    serial = nbcheck("many", "--jobs", "1", "--output-format", "json").out
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    parallel = nbcheck("many", "--jobs", "2", "--output-format", "json").out
    assert serial == parallel
    assert len(json.loads(serial)) == 24


def test_rule_and_rules_commands(nbcheck) -> None:
    doc = nbcheck("rule", "NBD101")
    assert doc.exit_code == 0
    assert doc.out.startswith("# out-of-order-execution (NBD101)")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert section in doc.out
    assert nbcheck("rule", "skipped-cell").out.startswith("# skipped-cell (NBD102)")
    unknown = nbcheck("rule", "NBD999")
    assert unknown.exit_code == 2 and "unknown rule `NBD999`" in unknown.err
    listing = nbcheck("rules")
    assert "NBD104  error-output" in listing.out
    as_json = json.loads(nbcheck("rules", "--json").out)
    assert {"code", "name", "summary", "explanation"} <= set(as_json[0])


def test_usage_errors_exit_2(nbcheck) -> None:
    result = nbcheck("--output-format", "xml")
    assert result.exit_code == 2 and "invalid choice: 'xml'" in result.err
    assert nbcheck("--jobs", "0").exit_code == 2


def test_console_script_runs_without_heavy_imports(project) -> None:
    """The pre-commit path: a fresh process must not import pydantic, nbformat, IPython or jupyter."""
    probe = (
        "import sys\nfrom nb_discipline.cli import main\ncode = main(['notebooks'])\n"
        "heavy = sorted(m for m in ('pydantic', 'nbformat', 'IPython', 'jupyter_server', "
        "'papermill', 'mlflow', 'numpy', 'jsonschema') if m in sys.modules)\n"
        "print(code, heavy)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "1 []", result.stderr


@pytest.mark.parametrize("columns", [None, "100", "0", "-5", "wide"])
def test_help_width_is_the_one_shutil_gives(monkeypatch, columns) -> None:
    """nbcheck tells argparse the width itself, so that argparse does not import shutil."""
    import shutil

    from nb_discipline.frontend import terminal_columns

    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert terminal_columns() == shutil.get_terminal_size().columns

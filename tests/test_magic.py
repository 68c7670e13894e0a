"""The IPython extension on a real InteractiveShell: loading, live warnings, %%production, %nbcheck.

The execute-request metadata path through a real kernel is in test_magic_kernel.py; MLflow runs are
in test_magic_mlflow.py.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from tests.builders import code, markdown, write_notebook

pytestmark = pytest.mark.filterwarnings("ignore:PYTHONHASHSEED was not set:RuntimeWarning")


def run(ip: InteractiveShell, source: str, cell_id: str | None = None, deleted=()):
    metadata = {"cellId": cell_id, "deletedCells": list(deleted)} if cell_id else None
    return ip.run_cell(source, store_history=True, cell_id=cell_id, cell_meta=metadata)


def our_callbacks(ip: InteractiveShell) -> list:
    return [
        callback
        for event in ("pre_run_cell", "post_run_cell")
        for callback in ip.events.callbacks[event]
        if type(getattr(callback, "__self__", None)).__module__ == "nb_discipline.magic"
    ]


def open_notebook(monkeypatch, tmp_path, *cells):
    path = write_notebook(tmp_path / "analysis.ipynb", *cells)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    return path


# --- loading ---------------------------------------------------------------------------------


def test_loading_twice_registers_everything_once(shell) -> None:
    import nb_discipline

    nb_discipline.load_ipython_extension(shell)
    assert len(our_callbacks(shell)) == 2
    for kind, name in (("cell", "production"), ("line", "nbcheck"), ("line", "nb_discipline")):
        assert name in shell.magics_manager.magics[kind]


def test_unloading_removes_every_hook_and_magic(shell) -> None:
    shell.run_line_magic("unload_ext", "nb_discipline")
    assert our_callbacks(shell) == []
    for kind, name in (("cell", "production"), ("line", "nbcheck"), ("line", "nb_discipline")):
        assert name not in shell.magics_manager.magics[kind]
    assert "NbDisciplineMagics" not in shell.magics_manager.registry
    assert "ast_parse" not in vars(shell.compile)
    shell.run_line_magic("load_ext", "nb_discipline")
    assert len(our_callbacks(shell)) == 2


# --- live warnings ---------------------------------------------------------------------------


def test_warns_once_when_a_cell_reads_a_name_set_by_a_cell_below(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    open_notebook(
        monkeypatch,
        tmp_path,
        markdown("# Title"),
        code("print(total)", cell_id="reader"),
        code("total = 41", cell_id="writer"),
    )
    run(shell, "total = 41", "writer")
    run(shell, "print(total)", "reader")
    err = capsys.readouterr().err
    assert "`total` was last set by cell 3, below this one (cell 2)" in err
    run(shell, "print(total)", "reader")
    assert "total" not in capsys.readouterr().err


def test_warns_again_when_a_different_cell_set_the_name(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    open_notebook(
        monkeypatch,
        tmp_path,
        code("print(total)", cell_id="reader"),
        code("total = 1", cell_id="first"),
        code("total = 2", cell_id="second"),
    )
    run(shell, "total = 1", "first")
    run(shell, "print(total)", "reader")
    run(shell, "total = 2", "second")
    run(shell, "print(total)", "reader")
    err = capsys.readouterr().err
    assert "by cell 2, below" in err
    assert "by cell 3, below" in err


def test_a_cell_moved_and_saved_is_seen_in_its_new_place(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    from nb_discipline import magic

    monkeypatch.setattr(magic, "RECHECK_SECONDS", 0.0)
    writer, reader = code("rate = 2", cell_id="writer"), code("print(rate)", cell_id="reader")
    open_notebook(monkeypatch, tmp_path, writer, reader)
    run(shell, "rate = 2", "writer")
    run(shell, "print(rate)", "reader")
    assert "below" not in capsys.readouterr().err
    open_notebook(monkeypatch, tmp_path, reader, writer)  # the user moved the cell and saved
    run(shell, "print(rate)", "reader")
    assert "`rate` was last set by cell 2, below this one (cell 1)" in capsys.readouterr().err


def lint(path, select: str) -> list[str]:
    from nb_discipline.config import Settings
    from nb_discipline.engine import check
    from nb_discipline.loader import load

    return [
        f"cell {d.cell}: {d.message}" for d in check(load(str(path)), Settings(select=[select]))
    ]


def test_a_name_bound_by_a_function_called_below_is_warned_about_as_the_linter_does(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    path = open_notebook(
        monkeypatch,
        tmp_path,
        code("def setup():\n    global session\n    session = 'open'", cell_id="define"),
        code("print(session)", cell_id="reader"),
        code("setup()", cell_id="caller"),
    )
    run(shell, "def setup():\n    global session\n    session = 'open'", "define")
    run(shell, "setup()", "caller")
    run(shell, "print(session)", "reader")
    assert (
        "`session` was last set by cell 3 (calling `setup`), below this one (cell 2)"
        in capsys.readouterr().err
    )
    assert lint(path, "NBD201") == [
        "cell 2: Cell 2 reads `session`, bound only in cell 3 (calling `setup`) below"
    ]


def test_a_name_read_by_a_function_the_cell_calls_is_warned_about_as_the_linter_does(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    path = open_notebook(
        monkeypatch,
        tmp_path,
        code("def show():\n    return limit * 2", cell_id="define"),
        code("show()", cell_id="caller"),
        code("limit = 5", cell_id="writer"),
    )
    for source, cell_id in [
        ("def show():\n    return limit * 2", "define"),
        ("limit = 5", "writer"),
        ("show()", "caller"),
    ]:
        run(shell, source, cell_id)
    assert (
        "`limit`, read through `show`, was last set by cell 3, below this one (cell 2)"
        in capsys.readouterr().err
    )
    assert lint(path, "NBD201") == [
        "cell 2: Cell 2 calls `show`, which reads `limit`, bound only in cell 3 below"
    ]


def test_a_read_on_some_paths_of_a_call_is_warned_about_as_one_it_may_make(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    source = "def show(rows):\n    if rows:\n        return limit * 2"
    path = open_notebook(
        monkeypatch,
        tmp_path,
        code(source, cell_id="define"),
        code("show(data)", cell_id="caller"),
        code("limit = 5\ndata = []", cell_id="writer"),
    )
    for cell_source, cell_id in [
        (source, "define"),
        ("limit = 5\ndata = []", "writer"),
        ("show(data)", "caller"),
    ]:
        run(shell, cell_source, cell_id)
    assert (
        "`limit`, which `show` may read, was last set by cell 3, below this one (cell 2)"
        in capsys.readouterr().err
    )
    assert "cell 2: Cell 2 calls `show`, which may read `limit`, bound only in cell 3 below" in (
        lint(path, "NBD201")
    )


def test_a_function_redefined_is_resolved_as_the_kernel_holds_it(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    open_notebook(
        monkeypatch,
        tmp_path,
        code("def show():\n    return limit", cell_id="first"),
        code("show()", cell_id="caller"),
        code("limit = 5", cell_id="writer"),
        code("def show():\n    return 0", cell_id="second"),
    )
    for source, cell_id in [
        ("def show():\n    return limit", "first"),
        ("limit = 5", "writer"),
        ("def show():\n    return 0", "second"),
        ("show()", "caller"),
    ]:
        run(shell, source, cell_id)
    err = capsys.readouterr().err
    assert "`show` was last set by cell 4, below this one (cell 2)" in err
    assert "`limit`" not in err  # the `show` the kernel holds reads nothing


@pytest.mark.parametrize(
    ("below", "warned"), [("import numpy as np", False), ("import math as np", True)]
)
def test_a_module_imported_again_below_is_the_one_imported_above(
    shell, monkeypatch, tmp_path, capsys, below, warned
) -> None:
    """Python imports a module once: run top to bottom, the cell gets the same object from the
    import above (NBD203 says nothing either); another module is another value."""
    path = open_notebook(
        monkeypatch,
        tmp_path,
        code("import numpy as np", count=1, cell_id="top"),
        code("x = np.pi", count=3, cell_id="reader"),
        code(below, count=2, cell_id="bottom"),
    )
    for source, cell_id in [
        ("import numpy as np", "top"),
        (below, "bottom"),
        ("x = np.pi", "reader"),
    ]:
        run(shell, source, cell_id)
    err = capsys.readouterr().err
    assert ("`np` was last set by cell 3, below this one (cell 2)" in err) is warned
    assert bool(lint(path, "NBD203")) is warned


def test_no_warning_where_a_star_import_above_may_bind_the_name(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    """As the linter, which cannot tell what `*` (or `%pylab`) binds: the benefit of the doubt."""
    path = open_notebook(
        monkeypatch,
        tmp_path,
        code("from math import *", count=1, cell_id="top"),
        code("print(pi)", count=3, cell_id="reader"),
        code("pi = 3", count=2, cell_id="bottom"),
    )
    for source, cell_id in [("from math import *", "top"), ("pi = 3", "bottom")]:
        run(shell, source, cell_id)
    run(shell, "print(pi)", "reader")
    assert "nb_discipline" not in capsys.readouterr().err
    assert lint(path, "NBD2") == []


def test_no_warning_for_names_set_above_or_in_the_same_cell(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    open_notebook(
        monkeypatch,
        tmp_path,
        code("rate = 0.1", cell_id="above"),
        code("steps = 3\nprint(rate * steps)", cell_id="here"),
    )
    run(shell, "rate = 0.1", "above")
    run(shell, "steps = 3\nprint(rate * steps)", "here")
    run(shell, "steps = 3\nprint(rate * steps)", "here")
    assert "nb_discipline" not in capsys.readouterr().err


def test_warns_when_a_cell_reads_a_name_from_a_deleted_cell(shell, capsys) -> None:
    run(shell, "threshold = 0.5", "gone")
    run(shell, "print(threshold)", "reader", deleted=["gone"])
    assert "`threshold` was last set by a cell that has been deleted" in capsys.readouterr().err


def test_warns_about_reads_in_the_body_of_a_cell_magic(shell, capsys) -> None:
    run(shell, "threshold = 0.5", "gone")
    run(shell, "%%time\nprint(threshold)", "reader", deleted=["gone"])
    assert "`threshold` was last set by a cell that has been deleted" in capsys.readouterr().err


def test_status_says_when_the_front_end_sends_no_cell_ids(shell, capsys) -> None:
    shell.run_cell("x = 1")
    shell.run_line_magic("nb_discipline", "status")
    assert "no cell ids received yet" in capsys.readouterr().out
    run(shell, "y = 2", "some-cell")
    shell.run_line_magic("nb_discipline", "")
    out = capsys.readouterr().out
    assert "live warnings: on; tracking 1 name, 0 deleted cells\n" in out
    assert "nb_discipline notebook: no notebook known\n" in out


def test_a_long_session_keeps_a_bounded_cache(shell) -> None:
    from nb_discipline.magic import NAMES_CACHE_SIZE

    live = shell._nb_discipline_extension.live
    for number in range(NAMES_CACHE_SIZE + 20):
        run(shell, f"value_{number} = {number}", f"cell-{number % 7}")
    assert len(live._flows) == NAMES_CACHE_SIZE
    assert live.bound_by["value_0"][:2] == ("cell-0", None)


def test_the_cache_of_a_long_session_is_bounded_by_size_too(shell) -> None:
    from nb_discipline.magic import NAMES_CACHE_CHARACTERS

    live = shell._nb_discipline_extension.live
    padding = "#" * 200_000
    for number in range(60):
        run(shell, f"value_{number} = {number}\n{padding}", f"cell-{number % 7}")
    kept = sum(len(source) for source in live._flows)
    assert kept <= NAMES_CACHE_CHARACTERS
    assert len(live._flows) == NAMES_CACHE_CHARACTERS // 200_020
    assert any(source.startswith("value_59 = 59\n") for source in live._flows)
    run(shell, f"big = 1\n{'#' * (NAMES_CACHE_CHARACTERS + 1)}", "cell-huge")
    assert not any(source.startswith("big = 1") for source in live._flows)
    assert live.bound_by["big"][:2] == ("cell-huge", None)


def test_live_warnings_can_be_switched_off_and_on(shell, capsys) -> None:
    run(shell, "threshold = 0.5", "gone")
    shell.run_line_magic("nb_discipline", "off")
    run(shell, "print(threshold)", "reader", deleted=["gone"])
    captured = capsys.readouterr()
    assert "live warnings: off" in captured.out
    assert "deleted" not in captured.err
    shell.run_line_magic("nb_discipline", "on")
    run(shell, "print(threshold)", "reader")
    assert "deleted" in capsys.readouterr().err
    with pytest.raises(UsageError):
        shell.run_line_magic("nb_discipline", "sideways")


# --- %%production ----------------------------------------------------------------------------


def test_production_seeds_before_running_the_cell(shell) -> None:
    shell.run_cell_magic("production", "--seed 3", "import random\ndraw = random.random()")
    assert shell.user_ns["draw"] == random.Random(3).random()


def test_production_seed_defaults_to_the_configured_one(shell, tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.nb-discipline]\nseed = 11\n")
    shell.run_cell_magic("production", "", "import random\ndraw = random.random()")
    assert shell.user_ns["draw"] == random.Random(11).random()


def test_production_returns_the_value_of_the_last_expression(shell) -> None:
    result = run(shell, "%%production\nx = 20\nx + 22")
    assert result.result == 42
    assert result.error_in_exec is None


def test_production_shows_the_cells_own_lines_in_tracebacks(shell, capsys) -> None:
    result = run(shell, "%%production\nx = 1\nraise ValueError('broken on row 3')")
    assert isinstance(result.error_in_exec, ValueError)
    out = re.sub(r"\x1b\[[0-9;]*m", "", capsys.readouterr().out)
    assert "----> 3 raise ValueError('broken on row 3')" in out


def test_production_without_a_notebook_says_so_once_and_checks_the_history(shell, capsys) -> None:
    run(shell, "import random")
    run(shell, "%%production\nprint(undefined_in_history)")
    err = capsys.readouterr().err
    assert err.count("cannot tell which notebook file this kernel runs") == 1
    assert "NBD202" in err and "undefined_in_history" in err
    run(shell, "%%production\nx = 1")
    assert "cannot tell" not in capsys.readouterr().err


def test_production_judges_the_cell_in_its_saved_notebook(
    shell, monkeypatch, tmp_path, capsys
) -> None:
    open_notebook(
        monkeypatch,
        tmp_path,
        markdown("# Training"),
        code("%%production\nmodel = train(data)", cell_id="train"),
        code("data = [1, 2, 3]\ndef train(rows):\n    return sum(rows)", cell_id="load"),
    )
    run(shell, "data = [1, 2, 3]\ndef train(rows):\n    return sum(rows)", "load")
    capsys.readouterr()
    run(shell, "%%production\nmodel = train(data)", "train")
    err = capsys.readouterr().err
    assert "cell 2:" in err and "NBD201" in err and "`data`" in err
    assert shell.user_ns["model"] == 6


def test_production_strict_refuses_to_run_a_cell_with_findings(shell, capsys) -> None:
    result = run(shell, "%%production --strict\nran = True\nprint(never_defined)")
    assert isinstance(result.error_in_exec, UsageError)
    assert "ran" not in shell.user_ns
    out = capsys.readouterr()
    assert "not running this cell" in out.err + out.out
    assert "never_defined" in out.err + out.out


def test_production_strict_runs_a_clean_cell(shell) -> None:
    result = run(shell, "%%production --strict --seed 5\nvalue = 2 * 21")
    assert result.error_in_exec is None
    assert shell.user_ns["value"] == 42


def test_production_reports_names_from_deleted_cells(shell, capsys) -> None:
    run(shell, "weights = [0.2, 0.8]", "gone")
    run(shell, "%%production\ntotal = sum(weights)", "here", deleted=["gone"])
    err = capsys.readouterr().err
    assert "`weights` was last set by a deleted cell" in err
    assert "has been deleted" not in err  # the live warning does not repeat it


def test_production_prints_the_data_the_cell_read_on_one_line(shell, tmp_path, capsys) -> None:
    (tmp_path / "train.csv").write_bytes(b"a,b\n1,2\n")
    capsys.readouterr()
    result = run(shell, "%%production\nimport pandas\nrows = len(pandas.read_csv('train.csv'))")
    assert result.error_in_exec is None
    lines = [line for line in capsys.readouterr().err.splitlines() if "nb_discipline: read" in line]
    digest = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert lines == [f"nb_discipline: read train.csv (8 B, sha256 {digest[:8]})"]


def test_production_quiet_prints_no_reads_and_a_failing_cell_still_says_them(
    shell, tmp_path, capsys
) -> None:
    (tmp_path / "train.csv").write_text("x\n")
    run(shell, "%%production --quiet\nopen('train.csv').read()")
    assert "nb_discipline: read" not in capsys.readouterr().err
    result = run(shell, "%%production\nopen('train.csv').read()\nraise ValueError('late')")
    assert isinstance(result.error_in_exec, ValueError)
    assert "nb_discipline: read train.csv (2 B" in capsys.readouterr().err


def test_the_audit_hook_is_inert_outside_production_and_after_unloading(shell, tmp_path) -> None:
    from nb_discipline import lineage

    (tmp_path / "train.csv").write_text("x\n")
    run(shell, "%%production --quiet\nopen('train.csv').read()")
    assert lineage._installed and lineage._recording is None
    shell.run_line_magic("unload_ext", "nb_discipline")
    run(shell, "open('train.csv').read()")
    assert lineage._recording is None
    shell.run_line_magic("load_ext", "nb_discipline")


def test_production_rejects_bad_options(shell) -> None:
    with pytest.raises(UsageError):
        shell.run_cell_magic("production", "--seed many", "x = 1")


def test_production_mlflow_without_mlflow_says_how_to_install_it(shell, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # what `import mlflow` sees when absent
    with pytest.raises(UsageError, match=r"pip install 'nb-discipline\[mlflow\]'"):
        shell.run_cell_magic("production", "--mlflow experiment", "x = 1")
    assert "x" not in shell.user_ns


# --- %nbcheck --------------------------------------------------------------------------------


@pytest.fixture
def out_of_order(monkeypatch, tmp_path):
    return open_notebook(
        monkeypatch,
        tmp_path,
        code("a = 1", count=2, cell_id="first"),
        code("b = 2", count=1, cell_id="second"),
    )


def test_nbcheck_lints_the_current_notebook(shell, out_of_order, capsys) -> None:
    shell.run_line_magic("nbcheck", "")
    out = capsys.readouterr().out
    assert out.startswith("analysis.ipynb:cell 2:1:1: NBD101")
    assert "Found 1 finding" in out


def test_nbcheck_shows_an_html_table_in_jupyter(shell, out_of_order) -> None:
    from nb_discipline.magic import Findings
    from nb_discipline.model import CheckResult, FileError

    result = shell.run_line_magic("nbcheck", "--exit-zero")
    assert result is None
    findings = Findings(CheckResult([], [FileError("x.ipynb", "not JSON")], 1))
    bundle, _ = shell.display_formatter.format(findings)
    assert "not JSON" in bundle["text/html"]
    assert "x.ipynb: not JSON" in bundle["text/plain"]


def test_nbcheck_html_has_one_row_per_finding(shell, out_of_order) -> None:
    from nb_discipline.batch import check_files
    from nb_discipline.config import Settings
    from nb_discipline.magic import Findings

    result = check_files([str(out_of_order)], Settings(), jobs=1)
    bundle, _ = shell.display_formatter.format(Findings(result))
    html = bundle["text/html"]
    assert html.count("<tr>") == 1 + len(result.diagnostics)
    assert "<code>NBD101</code>" in html and 'title="cell id second"' in html


def test_nbcheck_takes_the_cli_options(shell, out_of_order, capsys) -> None:
    shell.run_line_magic("nbcheck", "--output-format json")
    findings = json.loads(capsys.readouterr().out)
    assert [finding["code"] for finding in findings] == ["NBD101"]
    shell.run_line_magic("nbcheck", "--ignore NBD1")
    assert "All checks passed!" in capsys.readouterr().out
    with pytest.raises(UsageError, match="unknown rule selector"):
        shell.run_line_magic("nbcheck", "--select NOPE")


def test_nbcheck_without_a_notebook_asks_for_a_path(shell, capsys) -> None:
    with pytest.raises(UsageError, match="give its path"):
        shell.run_line_magic("nbcheck", "")
    assert "input history" not in capsys.readouterr().err


def test_nbcheck_reports_a_missing_path_on_one_line(shell, capsys) -> None:
    shell.run_line_magic("nbcheck", "missing.ipynb")
    assert "missing.ipynb" in capsys.readouterr().out


@pytest.mark.parametrize("seed", ["-1", str(2**32), "1e3"])
def test_production_refuses_a_seed_no_rng_takes(shell, seed) -> None:
    with pytest.raises(UsageError, match=r"a seed is an integer from 0 to 2\*\*32 - 1"):
        shell.run_cell_magic("production", f"--seed {seed}", "x = 1")
    assert "x" not in shell.user_ns


@pytest.mark.parametrize("option", ["--mlflow ''", '--mlflow ""', "--mlflow=", "--mlflow ' '"])
def test_production_refuses_an_empty_mlflow_experiment(shell, option) -> None:
    with pytest.raises(UsageError, match="give the MLflow experiment's name"):
        shell.run_cell_magic("production", option, "x = 1")
    assert "x" not in shell.user_ns


def test_nbcheck_with_an_unclosed_quote_is_a_usage_error(shell) -> None:
    with pytest.raises(UsageError, match="%nbcheck: No closing quotation"):
        shell.run_line_magic("nbcheck", "'abc")


def test_nbcheck_writes_the_report_to_the_output_file(shell, out_of_order, capsys) -> None:
    shell.run_line_magic("nbcheck", "--output-format json -o report.json")
    assert capsys.readouterr().out == "nbcheck: report written to report.json\n"
    findings = json.loads((out_of_order.parent / "report.json").read_text())
    assert [finding["code"] for finding in findings] == ["NBD101"]
    shell.run_line_magic("nbcheck", "--statistics")
    assert capsys.readouterr().out == "    1\tNBD101\tout-of-order-execution\n"


def test_nbcheck_reports_deep_nesting_and_huge_integers_on_one_line_each(
    shell, out_of_order, capsys
) -> None:
    folder = out_of_order.parent
    (folder / "deep.ipynb").write_text(
        '{"nbformat": 4, "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + '}, "cells": []}'
    )
    (folder / "big.ipynb").write_text('{"nbformat": 4, "metadata": {"x": ' + "9" * 5000 + "}}")
    shell.run_line_magic("nbcheck", f"--no-cache {folder}")
    out = capsys.readouterr().out
    assert "deep.ipynb: not valid JSON for nbcheck: JSON nested deeper" in out
    assert "big.ipynb: not valid JSON for nbcheck: an integer in the JSON has more" in out
    assert "NBD101" in out


def test_quotes_around_a_magic_option_value_are_dropped() -> None:
    from nb_discipline.magic import _unquoted

    assert [_unquoted(v) for v in ["'my runs'", '"a b"', "plain", "'", "'a\"", None]] == [
        "my runs",
        "a b",
        "plain",
        "'",
        "'a\"",
        None,
    ]

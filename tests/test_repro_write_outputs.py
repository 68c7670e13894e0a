"""`nbcheck repro --write-outputs`: the NBD1xx findings fixed by running the notebook.

Real papermill runs in real ipykernel kernels (as tests/test_repro.py): the notebook is re-executed
top to bottom in a fresh kernel under the seed and, when the run succeeded, saved in place with the
run's outputs and execution counts and nothing else changed. The style tests feed the saving step a
notebook that a real run executed, with the original written in other JSON styles.
"""

from __future__ import annotations

import json
import os
import random
import stat
from pathlib import Path

import numpy as np
import pytest

from nb_discipline.cli import main
from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.loader import loads
from nb_discipline.repro.runner import NotWritable, saved_notebook
from tests.builders import code, error_output, markdown, stream_output, write_notebook

SEEDED_RANDOM = random.Random(42).random()  # random.random() first under seed 42
SEEDED_NUMPY = np.random.RandomState(42).rand()  # np.random.rand() first under seed 42


def repro(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    exit_code = main(["repro", "--progress", "none", *args])
    captured = capsys.readouterr()
    return exit_code, captured.out, captured.err


def execution_codes(path: Path) -> list[str]:
    """The NBD1xx codes nbcheck reports on the notebook at `path`."""
    notebook = loads(path.read_bytes(), str(path))
    return [d.code for d in check(notebook, Settings()) if d.code.startswith("NBD1")]


def without_run(document: dict) -> dict:
    """The notebook with every code cell's outputs and execution count taken out."""
    document = json.loads(json.dumps(document))
    for cell in document["cells"]:
        if cell["cell_type"] == "code":
            cell.pop("outputs")
            cell.pop("execution_count")
    return document


def stale_notebook(path: Path) -> Path:
    """A notebook saved after an out-of-order session: every NBD1xx rule has a finding on it."""
    return write_notebook(
        path,
        markdown("# Stale — a café's notebook", cell_id="title"),
        code("seed = 0", 5, tags=["parameters"], cell_id="params"),
        code("import random\nimport numpy as np", 3, cell_id="imports"),
        code("", cell_id="empty"),
        code("x = random.random()\nprint('x', x)", cell_id="skipped"),
        {
            **code(
                "y = np.random.rand()\ny",
                9,
                outputs=[
                    {
                        "output_type": "execute_result",
                        "execution_count": 9,
                        "data": {"text/plain": "0.1"},
                        "metadata": {},
                    }
                ],
                cell_id="result",
            ),
            "metadata": {"collapsed": False, "custom": {"kept": "é"}, "tags": ["keep"]},
        },
        code(
            "print('seed', seed)",
            12,
            outputs=[
                stream_output("seed 0\n"),
                error_output("NameError", "name 'z' is not defined"),
            ],
            cell_id="printed",
        ),
        code("# a comment alone", cell_id="comment"),
        metadata={"authors": [{"name": "Zoë"}], "custom": {"a": [1, 2.5, None]}},
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The stale notebook run twice with --write-outputs (2 runs; saved from run 1), then once more
    on what was written; its executed run kept for the style tests."""
    project = tmp_path_factory.mktemp("write")
    path = stale_notebook(project / "stale.ipynb")
    path.chmod(0o640)
    original = path.read_bytes()
    before = execution_codes(path)
    kept = tmp_path_factory.mktemp("kept")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
        patch.setenv("IPYTHONDIR", str(tmp_path_factory.getbasetemp() / "ipython"))
        patch.setenv("NO_COLOR", "1")
        options = ("repro", "--progress", "none", "--write-outputs", "--timeout", "120")
        json_report = ("--output-format", "json", "-o", str(project / "first.json"))
        first = main([*options, "--runs", "2", *json_report, str(path)])
        after_first = path.read_bytes()
        text_report = ("-o", str(project / "second.txt"), "--keep-executed", str(kept))
        second = main([*options, "--runs", "1", *text_report, str(path)])
    report = json.loads((project / "first.json").read_text())
    return {
        "path": path,
        "original": original,
        "before": before,
        "exit_codes": (first, second),
        "after_first": after_first,
        "after_second": path.read_bytes(),
        "report": report["notebooks"][0],
        "executed": kept / "stale.run1.ipynb",
    }


def test_the_stale_notebook_has_every_execution_finding_before(written):
    assert set(written["before"]) == {"NBD101", "NBD102", "NBD103", "NBD104"}


def test_after_writing_nbcheck_reports_no_execution_finding(written):
    assert written["exit_codes"][0] == 0, written["report"]  # the 2 runs reproduced
    assert written["report"]["verdict"] == "reproduced"
    assert written["report"]["outputs_written"] is True
    assert execution_codes(written["path"]) == []


def test_the_saved_outputs_and_counts_are_those_of_the_run(written):
    document = json.loads(written["after_first"])
    cells = {cell["id"]: cell for cell in document["cells"]}
    counts = [cell["execution_count"] for cell in document["cells"] if cell["cell_type"] == "code"]
    assert counts == [1, 2, None, 3, 4, 5, 6]  # the empty cell does not run
    # as Jupyter saves them (nbformat's writer): text split into lines
    assert cells["skipped"]["outputs"] == [
        {"name": "stdout", "output_type": "stream", "text": [f"x {SEEDED_RANDOM}\n"]}
    ]
    [result] = cells["result"]["outputs"]
    assert result["output_type"] == "execute_result"
    assert result["execution_count"] == 4  # the count of its cell, as Jupyter saves it
    assert result["data"]["text/plain"] == [repr(SEEDED_NUMPY)]
    # the stale error is gone; the seed printed is the one the run was made with
    assert cells["printed"]["outputs"] == [
        {"name": "stdout", "output_type": "stream", "text": ["seed 42\n"]}
    ]
    assert cells["comment"]["outputs"] == [] and cells["empty"]["outputs"] == []


def test_nothing_else_changed_and_the_json_style_is_kept(written):
    original = json.loads(written["original"])
    document = json.loads(written["after_first"])
    assert without_run(document) == without_run(original)  # metadata, ids, sources, tags
    # the same style, byte for byte: the builder's key order (not sorted), indent 1, non-ASCII
    # escaped (json.dumps's default), and a trailing newline
    assert written["after_first"].decode() == json.dumps(document, indent=1) + "\n"
    assert b"Zo\\u00eb" in written["original"] and b"Zo\\u00eb" in written["after_first"]
    for added in (b"papermill", b"nbcheck", b"injected-parameters", b"iopub"):
        assert added not in written["after_first"]
    assert stat.S_IMODE(os.stat(written["path"]).st_mode) == 0o640


def test_the_report_says_what_was_written_and_with_which_parameters(written):
    notes = written["report"]["notes"]
    assert f"outputs and execution counts of run 1 written to {written['path']}" in notes
    assert (
        "papermill's parameters for --seed set `seed = 42` after cell 2, which sets `seed = 0`: "
        "the saved outputs are those of the run, not of cell 2 as written"
    ) in notes


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("seed = 42", None),
        ("seed: int = 42", None),
        ("seed = 0\nseed = 42", None),
        ("%env X=1\nseed = 0", None),  # not plain Python: what it sets is not known, not said
        ("rate = 0.1", None),  # papermill sets `seed`, which the cell does not
        ("seed = 42.0", "which sets `seed = 42.0`"),
        ("seed = int('7')", "which computes `seed`"),
    ],
)
def test_the_parameters_note_says_only_what_differs(written, source, said):
    document = json.loads(written["original"])
    document["cells"][1]["source"] = source
    saved = saved_notebook(json.dumps(document).encode(), written["executed"].read_text())
    notes = [note for note in saved.notes if note.startswith("papermill's parameters")]
    if said is None:
        assert notes == []
    else:
        [note] = notes
        assert f"set `seed = 42` after cell 2, {said}: the saved outputs" in note


def test_a_second_write_changes_nothing(written):
    assert written["exit_codes"][1] == 3  # one run, no baseline: unverified, as repro says
    assert written["after_second"] == written["after_first"]


def test_the_written_notebook_is_valid_nbformat(written):
    import nbformat

    nbformat.validate(nbformat.reads(written["after_first"].decode(), as_version=4))


@pytest.mark.parametrize(
    "style",
    [
        {"indent": 2},
        {"indent": 4, "ensure_ascii": True},
        {"indent": "\t", "sort_keys": True},
        {"indent": 1, "crlf": True},
        {"indent": 1, "bom": True},
        {"indent": 1, "newline": False},
        {"indent": None},
    ],
    ids=["indent-2", "ascii-4", "tab-sorted", "crlf", "bom", "no-final-newline", "one-line"],
)
def test_the_file_keeps_its_json_style(written, style):
    document = json.loads(written["original"])
    text = dump(document, **style)
    saved = saved_notebook(
        text.encode("utf-8-sig" if style.get("bom") else "utf-8"),
        written["executed"].read_text(encoding="utf-8"),
    )
    expected = json.loads(written["after_first"])
    if style.get("sort_keys"):
        expected = json.loads(json.dumps(expected, sort_keys=True))
    assert saved.data == dump(expected, **style).encode(
        "utf-8-sig" if style.get("bom") else "utf-8"
    )


def dump(
    document, indent=1, ensure_ascii=False, sort_keys=False, crlf=False, newline=True, bom=False
) -> str:
    text = json.dumps(document, indent=indent, ensure_ascii=ensure_ascii, sort_keys=sort_keys)
    if crlf:
        text = text.replace("\n", "\r\n")
    return text + ("\r\n" if crlf else "\n") * newline


def test_an_nbformat_3_notebook_is_not_rewritten(written):
    document = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}
    with pytest.raises(NotWritable, match="nbformat 3"):
        saved_notebook(json.dumps(document).encode(), written["executed"].read_text())


def test_a_failed_run_writes_nothing_and_says_so(tmp_path, capsys):
    path = write_notebook(
        tmp_path / "fails.ipynb", code("x = 1", 7), code("raise ValueError('bad data')", 2)
    )
    original = path.read_bytes()
    exit_code, out, _ = repro(capsys, "--write-outputs", "--runs", "1", str(path))
    assert exit_code == 1, out
    assert path.read_bytes() == original
    assert "note: outputs not written: run 1 failed (cell 2 raised ValueError: bad data)" in out


def test_sys_exit_above_other_cells_writes_nothing(tmp_path, capsys):
    """papermill stops at `sys.exit(0)` and reports success: the cells below never ran, so the
    run fails and nothing is saved that would show them as not run."""
    path = write_notebook(
        tmp_path / "exits.ipynb",
        code("import sys\nsys.exit(0)", 2),
        code("print('trained')", 1),
    )
    original = path.read_bytes()
    exit_code, out, _ = repro(capsys, "--write-outputs", "--runs", "1", str(path))
    assert exit_code == 1, out
    assert path.read_bytes() == original
    assert (
        "note: outputs not written: run 1 failed (cell 1 ended the run with SystemExit: 0, which "
        "papermill takes for a finished notebook: 1 code cell below it did not run (cell 2))"
    ) in out


def test_a_run_that_timed_out_writes_nothing(tmp_path, capsys):
    path = write_notebook(tmp_path / "slow.ipynb", code("import time\ntime.sleep(60)", 3))
    original = path.read_bytes()
    exit_code, out, _ = repro(capsys, "--write-outputs", "--runs", "1", "--timeout", "2", str(path))
    assert exit_code == 1, out
    assert path.read_bytes() == original
    assert "outputs not written: run 1 failed (cell 1 did not finish within 2 s)" in out


def test_a_notebook_changed_while_it_ran_is_not_overwritten(tmp_path, capsys):
    # The run's working directory is the notebook's folder: its cell appends to its own file.
    path = write_notebook(
        tmp_path / "edited.ipynb",
        code("with open('edited.ipynb', 'a') as handle:\n    handle.write(' ')", 4),
    )
    original = path.read_bytes()
    exit_code, out, _ = repro(capsys, "--write-outputs", "--runs", "1", str(path))
    assert exit_code == 2, out
    assert path.read_bytes() == original + b" "  # the edit made meanwhile, nothing of ours
    assert (
        f"note: outputs not written: {path} changed on disk while the notebook ran "
        "(run it again to write them)"
    ) in out


def test_a_symbolic_link_writes_its_target(tmp_path, capsys):
    target = write_notebook(tmp_path / "real" / "notebook.ipynb", code("print(6 * 7)", 8))
    link = tmp_path / "link.ipynb"
    link.symlink_to(target)
    exit_code, out, _ = repro(capsys, "--write-outputs", "--runs", "1", str(link))
    assert exit_code == 3, out
    assert link.is_symlink() and link.resolve() == target
    [cell] = json.loads(target.read_text())["cells"]
    assert cell["execution_count"] == 1
    assert cell["outputs"] == [{"name": "stdout", "output_type": "stream", "text": ["42\n"]}]
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["notebook.ipynb"]  # no temp file


def test_a_skipped_install_cell_is_saved_as_not_run(tmp_path, capsys):
    path = write_notebook(
        tmp_path / "installs.ipynb",
        code("%pip install nbcheck-no-such-package", 1),
        code("print('ran')", 2),
        code("print('again')", 3),
    )
    exit_code, out, _ = repro(
        capsys, "--write-outputs", "--runs", "1", "--skip-install-cells", str(path)
    )
    assert exit_code == 3, out
    install, printed, again = json.loads(path.read_text())["cells"]
    assert (install["execution_count"], install["outputs"]) == (None, [])
    assert (printed["execution_count"], again["execution_count"]) == (1, 2)
    assert (
        "cell 1 was skipped (--skip-install-cells): saved with no outputs and no execution count"
    ) in out
    assert execution_codes(path) == ["NBD102"]  # true: the install cell did not run


def test_a_notebook_that_cannot_be_written_is_refused_before_running(tmp_path):
    """A read-only notebook is the user's to protect: the rename that would replace it is not
    made, and nothing runs. Run without root's override of file permissions (util-linux's
    setpriv), as tests/test_loader.py does."""
    import shutil
    import subprocess
    import sys

    path = write_notebook(tmp_path / "readonly.ipynb", code("x = 1", 3))
    path.chmod(0o444)
    command = [sys.executable, "-m", "nb_discipline.cli", "repro", "--write-outputs", str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root's file-permission override"
        drop = "-dac_override,-dac_read_search"
        command = [setpriv, "--bounding-set", drop, "--inh-caps", drop, *command]
    result = subprocess.run(command, capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (
        2,
        f"nbcheck: error: --write-outputs: cannot write {path}: the file is not writable\n",
    )

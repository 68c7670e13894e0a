"""`nbcheck repro` and the data a notebook reads: each run records its reads in the kernel
(nb_discipline.lineage), the baseline keeps them, and a report says first which data file changed.

Real papermill runs in real ipykernel kernels on real files (as tests/test_repro.py): a baseline is
written, the data file is edited, and the notebook is run again. The same session runs a notebook
that changes its own input between runs, and notebooks that end with `sys.exit`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from xml.etree import ElementTree

import pytest

from nb_discipline.lineage import Recorder
from nb_discipline.repro import ReproOptions, run_repro
from nb_discipline.repro.baseline import read_baseline
from nb_discipline.repro.compare import CompareOptions, compare
from nb_discipline.repro.report import junit, markdown, text
from nb_discipline.repro.results import (
    DIFFERS,
    EXITED,
    FAILED,
    REPRODUCED,
    DataChange,
    Execution,
    NotebookResult,
    Report,
)
from tests.builders import code, write_notebook
from tests.builders import markdown as markdown_cell

OLD, NEW = b"1\n2\n3\n", b"1\n2\n4\n"
FOREIGN_KERNEL = "nbcheck-no-lineage"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def lineage(tmp_path_factory):
    """A project whose notebook reads data/train.csv: a baseline written from one run, the data
    edited, then that notebook and the others run twice."""
    project = tmp_path_factory.mktemp("lineage")
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n", encoding="utf-8")
    (project / "data").mkdir()
    (project / "data" / "train.csv").write_bytes(OLD)
    notebooks = project / "notebooks"
    sums = write_notebook(
        notebooks / "sums.ipynb",
        markdown_cell("# Sums"),
        code("import csv\nwith open('../data/train.csv') as f:\n    rows = list(csv.reader(f))"),
        code("print(sum(int(row[0]) for row in rows))"),
    )
    # Reads its counter, then writes it one higher: run 2 reads what run 1 wrote.
    (notebooks / "counter.txt").write_text("0", encoding="utf-8")
    counter = write_notebook(
        notebooks / "counter.ipynb",
        code(
            "with open('counter.txt') as f:\n    count = int(f.read())\nprint(count)\n"
            "with open('counter.txt', 'w') as f:\n    f.write(str(count + 1))"
        ),
    )
    exits = write_notebook(
        notebooks / "exits.ipynb",
        code("x = 1"),
        code("import sys\nif x:\n    sys.exit(0)"),
        markdown_cell("## Never reached"),
        code("print('trained')"),
        code(""),
        code("print('saved')"),
    )
    exits_last = write_notebook(
        notebooks / "exits_last.ipynb", code("print(6 * 7)"), code("raise SystemExit")
    )
    # A kernel whose environment cannot import nb_discipline.lineage (another environment's).
    kernels = tmp_path_factory.mktemp("jupyter")
    spec = kernels / "kernels" / FOREIGN_KERNEL / "kernel.json"
    spec.parent.mkdir(parents=True)
    launch = (
        "import sys; sys.modules['nb_discipline.lineage'] = None; "
        "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
    )
    spec.write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-c", launch, "-f", "{connection_file}"],
                "display_name": "no lineage",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    kernelspec = {"name": FOREIGN_KERNEL, "display_name": "no lineage", "language": "python"}
    foreign = write_notebook(
        notebooks / "foreign.ipynb", code("print(6 * 7)"), metadata={"kernelspec": kernelspec}
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
        patch.setenv("IPYTHONDIR", str(tmp_path_factory.getbasetemp() / "ipython"))
        patch.setenv("JUPYTER_PATH", str(kernels))
        written = run_repro([str(sums)], ReproOptions(runs=1, timeout=300, update_baseline=True))
        baseline = json.loads((notebooks / "sums.repro.json").read_text(encoding="utf-8"))
        (project / "data" / "train.csv").write_bytes(NEW)
        report = run_repro(
            [str(sums), str(counter), str(exits), str(exits_last), str(foreign)],
            ReproOptions(runs=2, jobs=2, timeout=300),
        )
    results = {Path(result.path).stem: result for result in report.results}
    return project, written, baseline, report, results


def test_the_baseline_records_the_data_the_run_read(lineage):
    _, written, baseline, _, _ = lineage
    [execution] = written.results[0].executions
    [read] = execution.reads["files"]
    assert (read["path"], read["sha256"], read["size"]) == ("data/train.csv", sha(OLD), len(OLD))
    # the file for review: where it is in the project, its size and digest, nothing of the machine
    assert baseline["reads"] == {
        "files": [{"path": "data/train.csv", "size": len(OLD), "sha256": sha(OLD)}],
        "urls": [],
    }


def test_a_changed_data_file_is_said_first(lineage):
    _, _, _, report, results = lineage
    sums = results["sums"]
    assert sums.verdict == DIFFERS and sums.between_runs is False
    said = (
        f"data/train.csv changed since the baseline (sha256 {sha(OLD)[:12]}… -> {sha(NEW)[:12]}…)"
    )
    assert [change.message for change in sums.data_changes] == [said]
    assert [e.reads["files"][0]["sha256"] for e in sums.executions] == [sha(NEW)] * 2
    # the data changed: no note may say that nothing did
    assert not [note for note in sums.notes if note.startswith("nothing nbcheck records")]
    lines = text(replace(report, results=(sums,))).splitlines()
    assert lines[2].startswith(f"{sums.path}: differs: ")
    assert lines[3] == f"  data: {said}"  # before the table of differences
    assert lines[4].split() == [
        "what",
        "name",
        "baseline",
        "run",
        "1",
        "run",
        "2",
        "difference",
        "tolerance",
    ]
    alone = replace(report, results=(sums,))
    failure = ElementTree.fromstring(junit(alone)).find("testcase/failure")
    assert failure.text.splitlines()[0] == f"data: {said}"
    assert "- data: data/train.csv changed since the baseline (sha256 " in markdown(alone)
    document = json.loads(json.dumps(sums.to_dict()))
    assert document["data_changes"] == [
        {
            "path": "data/train.csv",
            "before": sha(OLD),
            "after": sha(NEW),
            "run": 1,
            "reference": "baseline",
            "message": said,
        }
    ]
    assert document["executions"][0]["reads"]["files"][0]["path"] == "data/train.csv"


def test_a_file_changed_between_runs_is_said_when_the_runs_differ(lineage):
    _, _, _, _, results = lineage
    counter = results["counter"]
    assert counter.verdict == DIFFERS and counter.between_runs is True
    before, after = sha(b"0"), sha(b"1")
    assert [change.message for change in counter.data_changes] == [
        f"notebooks/counter.txt changed between run 1 and run 2 (sha256 {before[:12]}… -> "
        f"{after[:12]}…)"
    ]


def test_sys_exit_that_skips_cells_fails_the_run(lineage):
    _, _, _, _, results = lineage
    exits = results["exits"]
    assert exits.verdict == FAILED and len(exits.executions) == 1
    failure = exits.failure
    assert (failure.kind, failure.cell, failure.ename, failure.evalue) == (
        EXITED,
        2,
        "SystemExit",
        "0",
    )
    assert failure.message == (
        "cell 2 ended the run with SystemExit: 0, which papermill takes for a finished notebook: "
        "2 code cells below it did not run (cells 4 and 6)"
    )
    assert "sys.exit" in failure.fix


def test_sys_exit_in_the_last_cell_ran_every_cell(lineage):
    _, _, _, _, results = lineage
    exits_last = results["exits_last"]
    assert exits_last.verdict == REPRODUCED, exits_last
    first = exits_last.executions[0]
    assert first.reads is None and first.packages == {}
    assert first.reads_error == (
        "cell 2 ended the run with SystemExit before nbcheck's teardown step"
    )


def test_a_kernel_that_cannot_import_the_recorder_says_why(lineage):
    _, _, _, _, results = lineage
    foreign = results["foreign"]
    assert foreign.verdict == REPRODUCED, foreign
    first = foreign.executions[0]
    assert first.reads is None
    assert first.reads_error.startswith("the kernel cannot import nb_discipline.lineage (")
    assert first.seeded  # seeding needs no import: it still ran
    assert first.packages["python"]


def test_a_baseline_without_reads_is_still_read(lineage, tmp_path):
    """A baseline written before repro recorded data: nothing to compare, said only when the
    notebook differs and nothing else recorded changed."""
    _, _, baseline, _, results = lineage
    old = {key: value for key, value in baseline.items() if key != "reads"}
    path = tmp_path / "sums.repro.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    data = read_baseline(path)
    assert data.reads is None
    sums = results["sums"]
    result = compare(sums.path, sums.executions, CompareOptions(), data, seed=42)
    assert result.verdict == DIFFERS and result.data_changes == ()
    assert (
        "nothing nbcheck records (code, seed, package versions) changed since the baseline; "
        "the baseline records no data reads, so none were compared"
    ) in result.notes


def test_nothing_changed_includes_the_data_when_both_recorded_it(lineage, tmp_path):
    _, _, baseline, _, results = lineage
    path = tmp_path / "sums.repro.json"
    path.write_text(json.dumps(baseline), encoding="utf-8")
    sums = results["sums"]
    # the runs as if they had read the baseline's data
    executions = tuple(replace(e, reads=baseline["reads"]) for e in sums.executions)
    result = compare(sums.path, executions, CompareOptions(), read_baseline(path), seed=42)
    assert result.verdict == DIFFERS and result.data_changes == ()
    assert (
        "nothing nbcheck records (code, seed, package versions, data read) changed since the "
        "baseline"
    ) in result.notes


def test_runs_without_reads_say_why_when_the_baseline_has_them(lineage, tmp_path):
    _, _, baseline, _, results = lineage
    path = tmp_path / "sums.repro.json"
    path.write_text(json.dumps(baseline), encoding="utf-8")
    sums = results["sums"]
    reason = "the kernel cannot import nb_discipline.lineage (ModuleNotFoundError)"
    executions = tuple(replace(e, reads=None, reads_error=reason) for e in sums.executions)
    result = compare(sums.path, executions, CompareOptions(), read_baseline(path), seed=42)
    assert result.data_changes == ()
    assert f"the data the runs read was not recorded: {reason}" in result.notes


def test_the_report_keeps_its_version_and_adds_fields(lineage):
    _, _, _, report, _ = lineage
    document = report.to_dict()
    assert document["version"] == 2
    for notebook in document["notebooks"]:
        assert "data_changes" in notebook and "outputs_written" in notebook
        for execution in notebook["executions"]:
            assert "reads" in execution and "reads_error" in execution
    assert isinstance(report, Report) and all(
        isinstance(e, Execution) for r in report.results for e in r.executions
    )


def test_git_records_are_not_data(tmp_path):
    """MLflow and GitPython read `.git/HEAD` when a run starts: a whole notebook's recording
    must not take them for data."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (tmp_path / "train.csv").write_bytes(OLD)
    recorder = Recorder(str(tmp_path))
    recorder.start()
    for name in (".git/HEAD", "train.csv"):
        with open(tmp_path / name, "rb") as handle:
            handle.read()
    reads = recorder.stop()
    assert [file.path for file in reads.files] == ["train.csv"]


def test_a_library_imported_while_recording_keeps_its_folders_out(tmp_path, monkeypatch):
    """matplotlib imported by a cell after the notebook's recording started: its font cache is
    still not data."""
    import matplotlib

    probe = os.path.join(matplotlib.get_cachedir(), "nbcheck-probe.json")
    with open(probe, "w", encoding="utf-8") as handle:
        handle.write("{}")
    try:
        monkeypatch.delitem(sys.modules, "matplotlib")
        recorder = Recorder(str(tmp_path))
        recorder.start()
        monkeypatch.setitem(sys.modules, "matplotlib", matplotlib)  # the notebook imports it
        with open(probe, encoding="utf-8") as handle:
            handle.read()
        assert not recorder.stop().files
    finally:
        os.remove(probe)


def test_only_the_project_files_are_kept_and_compared(tmp_path):
    """A file outside the project (a font cache, a temporary file) is the machine's: its path
    names nothing on another machine, so the baseline leaves it out and no change is said."""
    from nb_discipline.repro.baseline import baseline_document
    from tests.builders import notebook

    def reads(cache: str, data: str) -> dict:
        return {
            "files": [
                {"path": "/home/me/.cache/fonts.json", "size": 2, "sha256": cache},
                {"path": "data/train.csv", "size": 6, "sha256": data},
            ],
            "urls": ["https://example.org/labels.csv"],
        }

    first = Execution(1, 1.0, reads=reads("a" * 64, sha(OLD)))
    document = baseline_document(notebook(code("x = 1")), first, 42, CompareOptions(), 1)
    assert document["reads"] == {
        "files": [{"path": "data/train.csv", "size": 6, "sha256": sha(OLD)}],
        "urls": ["https://example.org/labels.csv"],
    }
    path = tmp_path / "nb.repro.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    runs = [Execution(n, 1.0, reads=reads("b" * 64, sha(NEW))) for n in (1, 2)]
    result = compare("nb.ipynb", runs, CompareOptions(), read_baseline(path))
    assert [(c.path, c.before, c.after) for c in result.data_changes] == [
        ("data/train.csv", sha(OLD), sha(NEW))
    ]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (
            DataChange("data/new.csv", None, "b" * 64, 1),
            f"data/new.csv read by run 1, not when the baseline was written (sha256 {'b' * 12}…)",
        ),
        (
            DataChange("data/old.csv", "a" * 64, None, 1),
            f"data/old.csv read when the baseline was written (sha256 {'a' * 12}…), not by run 1",
        ),
        (
            DataChange("cache.pkl", None, "b" * 64, 2, 1),
            f"cache.pkl read by run 2, not by run 1 (sha256 {'b' * 12}…)",
        ),
        (
            DataChange("cache.pkl", "a" * 64, None, 3, 1),
            f"cache.pkl read by run 1 (sha256 {'a' * 12}…), not by run 3",
        ),
    ],
)
def test_a_file_only_one_side_read_is_named_so(change, said):
    assert change.message == said


def test_the_reports_name_the_first_ten_changed_files_and_count_the_others():
    changes = tuple(DataChange(f"images/{n}.png", "a" * 64, "b" * 64, 1) for n in range(13))
    result = NotebookResult("nb.ipynb", REPRODUCED, data_changes=changes)
    lines = text(Report((result,), 1, 42, 1e-6, 0)).splitlines()
    data = [line for line in lines if line.startswith("  data: ")]
    assert len(data) == 11
    assert data[0].startswith("  data: images/0.png changed since the baseline")
    assert data[-1] == "  data: 3 more data files changed (the JSON report lists them)"
    assert len(result.to_dict()["data_changes"]) == 13

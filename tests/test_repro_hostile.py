"""`nbcheck repro` against notebooks that try to outlive their run: real papermill, real kernels.

A hang here is a failure under a timeout, never a stuck test run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.builders import code, write_notebook
from tests.test_repro import running

# A run of a tiny notebook takes a few seconds; a hang is anything far beyond that.
HANG_SECONDS = 120
# `nbcheck` as its entry point runs it (`python -m nb_discipline.cli` loads that module twice, as
# __main__ and as itself, and the second one's UsageError is not the first one's).
NBCHECK = [sys.executable, "-c", "from nb_discipline.cli import run; run()"]


def repro(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    """`nbcheck repro ARGS` in a session of its own, killed with what it started if it hangs."""
    process = subprocess.Popen(
        [*NBCHECK, "repro", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"nbcheck repro {' '.join(args)} hung for {HANG_SECONDS} s: {err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def daemon_notebook(path: Path, pids: Path, *more: dict) -> Path:
    """Two processes that escape the kernel's process group: one started in a session of its own,
    one double-forked (its parent exits at once, so it is nobody's child); then `more` cells."""
    sleeper = "import time; time.sleep(600)"
    record = f"open({str(pids)!r}, 'a').write(f'{{daemon.pid}}\\n')"
    start = (
        f"daemon = subprocess.Popen([sys.executable, '-c', {sleeper!r}], start_new_session=True)"
    )
    launcher = f"import subprocess, sys; {start}; {record}"
    return write_notebook(
        path,
        code(f"import subprocess, sys\n{start}\n{record}"),
        code(f"subprocess.run([sys.executable, '-c', {launcher!r}], check=True)\nprint('started')"),
        *more,
    )


def test_a_daemon_left_behind_neither_hangs_the_run_nor_outlives_it(tmp_path):
    pids = tmp_path / "daemons.pid"
    notebook = daemon_notebook(tmp_path / "daemon.ipynb", pids)
    started = time.monotonic()
    done = repro(str(notebook), "--runs", "2", "--output-format", "json", "--progress", "none")
    daemons = [int(pid) for pid in pids.read_text().split()]
    try:
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - started < HANG_SECONDS
        assert len(daemons) == 4  # two per run
        for _ in range(50):
            if not any(running(pid) for pid in daemons):
                break
            time.sleep(0.1)
        assert [pid for pid in daemons if running(pid)] == []
        [result] = json.loads(done.stdout)["notebooks"]
        assert result["verdict"] == "reproduced"
        assert any(
            note.startswith("run 1 left 2 processes running when it ended") and "stopped" in note
            for note in result["notes"]
        ), result["notes"]
    finally:
        for pid in daemons:
            if running(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_stops_the_kernel_and_removes_the_stores(tmp_path, stop):
    """Ctrl-C, SIGTERM and SIGHUP alike: the kernel stopped, the temporary stores removed."""
    pid_file = tmp_path / "kernel.pid"
    notebook = write_notebook(
        tmp_path / "slow.ipynb",
        code(
            "import os, time\n"
            f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
            "time.sleep(600)"
        ),
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    process = subprocess.Popen(
        [*NBCHECK, "repro", str(notebook), "--runs", "1"],
        env={**os.environ, "TMPDIR": str(temp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # As in a terminal: a test run started in the background by a shell without job control
        # inherits SIGINT ignored, and so would nbcheck.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + HANG_SECONDS
        while not (pid_file.is_file() and pid_file.read_text()):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.2)
        kernel = int(pid_file.read_text())
        process.send_signal(stop)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 128 + stop, err
    assert b"nbcheck: interrupted" in err
    for _ in range(50):
        if not running(kernel):
            break
        time.sleep(0.1)
    assert not running(kernel)
    assert list(temp.iterdir()) == []


def test_keep_executed_keeps_the_layout_and_rewrites_only_its_own_files(tmp_path):
    write_notebook(tmp_path / "a" / "x.ipynb", code("print('from a')"))
    write_notebook(tmp_path / "b" / "x.ipynb", code("print('from b')"))
    kept = tmp_path / "kept"
    for _ in range(2):  # the second time, it rewrites the files it wrote the first time
        done = repro(
            str(tmp_path / "a"), str(tmp_path / "b"), "--runs", "1", "--keep-executed", str(kept)
        )
        assert done.returncode == 3, done.stderr
    for folder in ("a", "b"):
        executed = json.loads((kept / folder / "x.run1.ipynb").read_text())
        [output] = [c for c in executed["cells"] if "from" in json.dumps(c.get("outputs"))]
        assert output["outputs"][0]["text"] == [f"from {folder}\n"]


@pytest.mark.parametrize("content", ["my notes\n", json.dumps({"cells": [], "nbformat": 4})])
def test_keep_executed_never_overwrites_a_file_it_did_not_write(tmp_path, content):
    notebook = write_notebook(tmp_path / "x.ipynb", code("print(1)"))
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "x.run2.ipynb").write_text(content)
    done = repro(str(notebook), "--keep-executed", str(kept), "--progress", "plain")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"nbcheck: error: --keep-executed: {kept / 'x.run2.ipynb'} exists and nbcheck did not "
        "write it (move it, or choose another directory)"
    ]
    assert (kept / "x.run2.ipynb").read_text() == content
    assert sorted(path.name for path in kept.iterdir()) == ["x.run2.ipynb"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--seed", "-1"], "argument --seed: must be an integer from 0 to 4294967295"),
        (["--seed", str(2**32)], "argument --seed: must be an integer from 0 to 4294967295"),
        (["--timeout", "inf"], "argument --timeout: must be a number of seconds, 0 or more"),
        (["--timeout", "nan"], "argument --timeout: must be a number of seconds, 0 or more"),
        (["--timeout", "-1"], "argument --timeout: must be a number of seconds, 0 or more"),
        (["--rtol", "-1"], "argument --rtol: must be a number, 0 or more"),
        (["--atol", "nan"], "argument --atol: must be a number, 0 or more"),
        (["--runs", "0"], "argument --runs: must be an integer, 1 or more"),
        (["--jobs", "0"], "argument -j/--jobs: must be an integer, 1 or more"),
    ],
)
def test_a_number_nothing_can_run_with_is_a_usage_error(tmp_path, args, said):
    marker = tmp_path / "ran"
    notebook = write_notebook(tmp_path / "nb.ipynb", code(f"open({str(marker)!r}, 'w')"))
    done = repro(str(notebook), *args)
    assert done.returncode == 2
    assert said in done.stderr and "Traceback" not in done.stderr
    assert not marker.exists()


def test_a_seed_out_of_range_in_the_configuration_is_refused_before_running(tmp_path):
    marker = tmp_path / "ran"
    notebook = write_notebook(tmp_path / "nb.ipynb", code(f"open({str(marker)!r}, 'w')"))
    (tmp_path / "pyproject.toml").write_text("[tool.nb-discipline.repro]\nseed = -1\n")
    done = repro(str(notebook), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"nbcheck: error: {tmp_path / 'pyproject.toml'}: bad value for `repro.seed` in "
        "[tool.nb-discipline]: Input should be greater than or equal to 0 (got -1)"
    ]
    assert not marker.exists()


def test_an_unwritable_baseline_dir_is_refused_before_running(tmp_path):
    marker = tmp_path / "ran"
    notebook = write_notebook(tmp_path / "nb.ipynb", code(f"open({str(marker)!r}, 'w')"))
    (tmp_path / "notes.txt").write_text("a file, not a folder\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nb-discipline.repro]\nbaseline-dir = "notes.txt/baselines"\n'
    )
    done = repro(str(notebook), "--update-baseline", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"nbcheck: error: cannot write the baseline {tmp_path / 'notes.txt/baselines/nb.repro.json'}: "
        f"{tmp_path / 'notes.txt'} is not a folder"
    ]
    assert not marker.exists()


def test_a_baseline_run_in_a_store_mlflow_cannot_read_is_one_line(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", code("x = 1"))
    done = repro(str(notebook), "--baseline-run", "abc", "--tracking-uri", "bogus://x")
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("nbcheck: error: run abc at bogus://x: ") and "unsupported URI" in line


def test_an_nbformat_3_notebook_runs(tmp_path):
    notebook = tmp_path / "old.ipynb"
    notebook.write_text(
        json.dumps(
            {
                "metadata": {"name": "old"},
                "nbformat": 3,
                "nbformat_minor": 0,
                "worksheets": [
                    {
                        "cells": [
                            {"cell_type": "heading", "level": 1, "metadata": {}, "source": "Old"},
                            {
                                "cell_type": "code",
                                "collapsed": False,
                                "input": "print(6 * 7)",
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
        )
    )
    done = repro(str(notebook), "--runs", "2", "--output-format", "json", "--progress", "none")
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = json.loads(done.stdout)["notebooks"]
    assert result["verdict"] == "reproduced"


def test_a_timeout_with_a_fraction_applies(tmp_path):
    notebook = write_notebook(tmp_path / "slow.ipynb", code("import time\ntime.sleep(60)"))
    done = repro(str(notebook), "--runs", "1", "--timeout", "2.5", "--output-format", "json")
    assert done.returncode == 1, done.stderr
    [result] = json.loads(done.stdout)["notebooks"]
    assert result["failure"]["kind"] == "timeout", result["failure"]
    assert result["failure"]["message"] == "cell 1 did not finish within 2.5 s"


def test_a_file_that_cannot_be_checked_is_said_once(tmp_path):
    missing = tmp_path / "missing.ipynb"
    done = repro(str(missing))
    assert done.returncode == 2
    said = f"{missing}: no such file or directory"
    assert (done.stdout + done.stderr).count(said) == 1, done
    # A report that goes elsewhere, or is not for reading, leaves stderr to say it.
    done = repro(str(missing), "--output-format", "json")
    assert said in json.loads(done.stdout)["errors"][0]
    assert done.stderr.count(said) == 1


def install_notebook(path: Path, marker: Path) -> Path:
    """An install cell that would change the environment (here: it leaves `marker`)."""
    return write_notebook(
        path,
        code("x = 1"),
        code(f"!pip install --dry-run --no-index nothing-to-install; touch {marker}"),
        code("print(x)"),
    )


def test_an_install_cell_is_said_before_it_runs(tmp_path):
    marker = tmp_path / "installed"
    notebook = install_notebook(tmp_path / "nb.ipynb", marker)
    done = repro(str(notebook), "--runs", "1", "--progress", "plain")
    warning = (
        f"nbcheck: warning: {notebook}: cell 2 runs `!pip install --dry-run --no-index "
        f"nothing-to-install; touch {marker}`, which may install packages into the kernel's "
        "environment (--skip-install-cells runs such cells as no-ops)"
    )
    lines = done.stderr.splitlines()
    assert warning in lines, done.stderr
    assert lines.index(warning) < next(i for i, line in enumerate(lines) if "run 1/1" in line)
    assert marker.exists()


def test_skip_install_cells_runs_them_as_no_ops(tmp_path):
    marker = tmp_path / "installed"
    notebook = install_notebook(tmp_path / "nb.ipynb", marker)
    done = repro(str(notebook), "--runs", "2", "--skip-install-cells", "--progress", "plain")
    assert done.returncode == 0, done.stderr
    assert f"nbcheck: warning: {notebook}: cell 2 skipped (--skip-install-cells)" in done.stderr
    assert not marker.exists()

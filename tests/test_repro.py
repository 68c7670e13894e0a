"""`nbcheck repro` end to end: real papermill, real ipykernel kernels, real MLflow stores.

Executions are expensive, so one module-scoped session runs a small collection of notebooks (each
verdict of the issue) once, and the tests read its report.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nb_discipline.cli import main
from nb_discipline.repro import ReproOptions, run_repro
from nb_discipline.repro.compare import CompareOptions
from nb_discipline.repro.results import (
    DEAD_KERNEL,
    DIFFERS,
    EXCEPTION,
    FAILED,
    MISSING_MODULE,
    REPRODUCED,
    TIMEOUT,
    UNKNOWN_KERNEL,
)
from tests.builders import code, markdown, write_notebook

ROOT = Path(__file__).resolve().parent.parent
SEEDED_SCORE = random.Random(42).random()  # what `random.random()` gives first under seed 42


def training_notebook(path: Path, random_state: str) -> Path:
    """A small scikit-learn training notebook on a bundled dataset, logging to MLflow."""
    return write_notebook(
        path,
        markdown("# Train"),
        code("seed = 0", tags=["parameters"]),
        code(
            "import os\n"
            "import mlflow\n"
            "import numpy as np\n"
            "from sklearn.datasets import load_digits\n"
            "from sklearn.ensemble import RandomForestClassifier\n"
            "from sklearn.metrics import accuracy_score, log_loss\n"
            "from sklearn.model_selection import train_test_split"
        ),
        code(
            "X, y = load_digits(return_X_y=True)\n"
            "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=seed)\n"
            f"model = RandomForestClassifier(n_estimators=8, max_depth=6, random_state={random_state})\n"
            "model.fit(X_train, y_train)\n"
            'print("hash seed", os.environ.get("PYTHONHASHSEED"))'
        ),
        code(
            'with mlflow.start_run(run_name="forest"):\n'
            '    mlflow.log_params({"seed": seed, "n_estimators": 8})\n'
            '    mlflow.log_metric("accuracy", accuracy_score(y_test, model.predict(X_test)))\n'
            '    mlflow.log_metric("log_loss", log_loss(y_test, model.predict_proba(X_test)))\n'
            "    for step, tree in enumerate(model.estimators_[:3]):\n"
            '        mlflow.log_metric("tree_depth", tree.get_depth(), step=step)'
        ),
    )


def score_notebook(path: Path, extra: str = "") -> Path:
    """A fast notebook: one MLflow metric from Python's global RNG, seeded by nbcheck."""
    return write_notebook(
        path,
        code("import random\nimport mlflow"),
        code(
            'with mlflow.start_run(run_name="score"):\n'
            '    mlflow.log_metric("score", random.random())\n' + extra
        ),
    )


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """Run every kind of notebook twice (failures stop after the first run) and keep the report."""
    project = tmp_path_factory.mktemp("collection")
    training_notebook(project / "seeded.ipynb", "seed")
    training_notebook(project / "unseeded.ipynb", "np.random.RandomState()")
    write_notebook(
        project / "raises.ipynb",
        markdown("# Fails"),
        code("x = 1"),
        code("raise ValueError('bad data in column 3')"),
    )
    write_notebook(
        project / "dies.ipynb",
        code("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
    )
    write_notebook(project / "missing.ipynb", code("import numpy\nimport nbcheck_no_such_module"))
    write_notebook(
        project / "outputs.ipynb",
        code("import random\nimport numpy as np"),
        code("print(random.random(), np.random.rand())"),
    )
    write_notebook(
        project / "unknown_kernel.ipynb",
        code("x = 1"),
        metadata={
            "kernelspec": {"name": "no-such-kernel", "display_name": "?", "language": "python"}
        },
    )
    temp = tmp_path_factory.mktemp("tempdir")
    events = []
    with pytest.MonkeyPatch.context() as patch:
        # What tests/conftest.py isolates for each test, for this module-wide session too.
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
        patch.setenv("IPYTHONDIR", str(tmp_path_factory.getbasetemp() / "ipython"))
        patch.setattr("tempfile.tempdir", str(temp))
        report = run_repro(
            [str(project)],
            ReproOptions(runs=2, jobs=2, timeout=300),
            progress=events.append,
        )
    return project, temp, report, events


def result(collection, name):
    _, _, report, _ = collection
    [found] = [r for r in report.results if Path(r.path).name == name]
    return found


def test_seeded_training_notebook_reproduces(collection):
    seeded = result(collection, "seeded.ipynb")
    assert seeded.verdict == REPRODUCED, seeded.differences
    assert seeded.metrics_checked == 3
    first, second = seeded.executions
    [run] = first.runs
    assert run.name == "forest"
    assert run.metrics["accuracy"] == second.runs[0].metrics["accuracy"]
    assert [step for step, _ in run.metrics["tree_depth"]] == [0, 1, 2]  # the full history
    assert run.params["seed"] == "42"  # the seed went in as a papermill parameter
    assert run.tags["nbcheck.repro.run"] == "1"
    assert first.seeded == {"random": "random.seed", "numpy": "numpy.random.seed"}
    assert "scikit-learn" in first.packages and "mlflow-skinny" in first.packages
    hash_seed_cell = next(output for output in first.outputs if "hash seed" in output.text)
    assert hash_seed_cell.text == "hash seed 42\n"
    assert hash_seed_cell.cell == 4  # numbered as in the file: markdown counts, injected cells not


def test_unseeded_estimator_differs_and_names_the_metric(collection):
    unseeded = result(collection, "unseeded.ipynb")
    assert unseeded.verdict == DIFFERS
    names = {difference.name for difference in unseeded.differences}
    assert "log_loss" in names
    row = next(d for d in unseeded.differences if d.name == "log_loss")
    assert len(row.values) == 2 and row.values[0] != row.values[1]
    assert row.difference == pytest.approx(abs(row.values[1] - row.values[0]))
    # the metrics differ, logged by cell 5; the estimator made in cell 4 is the likely cause
    assert row.cell == 5 and unseeded.executions[0].runs[0].cells["log_loss"] == 5
    assert (unseeded.between_runs, unseeded.first_differing_cell) == (True, 5)
    assert [(cause.code, cause.cell) for cause in unseeded.likely_causes] == [("NBD302", 4)]


def test_exception_names_the_cell_type_and_message(collection):
    raises = result(collection, "raises.ipynb")
    assert raises.verdict == FAILED
    assert len(raises.executions) == 1  # a failed run is not repeated
    failure = raises.failure
    assert (failure.kind, failure.cell, failure.ename) == (EXCEPTION, 3, "ValueError")
    assert failure.message == "cell 3 raised ValueError: bad data in column 3"


def test_dead_kernel(collection):
    failure = result(collection, "dies.ipynb").failure
    assert (failure.kind, failure.cell) == (DEAD_KERNEL, 1)
    assert "kernel died while running cell 1" in failure.message


def test_missing_module_suggests_the_fix(collection):
    failure = result(collection, "missing.ipynb").failure
    assert (failure.kind, failure.cell) == (MISSING_MODULE, 1)
    assert "`nbcheck_no_such_module`" in failure.message
    assert "pip install nbcheck_no_such_module" in failure.fix


def test_unknown_kernel_lists_the_installed_ones(collection):
    failure = result(collection, "unknown_kernel.ipynb").failure
    assert failure.kind == UNKNOWN_KERNEL
    assert "no kernel named `no-such-kernel`" in failure.message
    assert "python3" in failure.message
    assert "--kernel" in failure.fix


def test_notebook_without_metrics_is_judged_on_outputs(collection):
    outputs = result(collection, "outputs.ipynb")
    assert outputs.verdict == REPRODUCED
    assert "logs no metrics to MLflow: judged on its outputs" in outputs.notes
    assert outputs.executions[0].outputs[0].text.startswith(f"{SEEDED_SCORE} ")


def test_nothing_left_behind(collection):
    project, temp, report, _ = collection
    assert not report.errors
    assert sorted(p.name for p in project.iterdir() if not p.name.endswith(".ipynb")) == []
    assert list(temp.iterdir()) == []  # the temporary MLflow stores are gone


def test_progress_events(collection):
    _, _, report, events = collection
    finished = [event.path for event in events if event.event == "finished"]
    assert sorted(finished) == sorted(r.path for r in report.results)
    cells = [
        event for event in events if event.event == "cell" and event.path.endswith("seeded.ipynb")
    ]
    assert {(event.cell, event.cells) for event in cells} >= {(2, 5), (5, 5)}


def test_timeout_names_the_cell(tmp_path):
    slow = write_notebook(
        tmp_path / "slow.ipynb", code("x = 1"), code("import time\ntime.sleep(600)")
    )
    report = run_repro([str(slow)], ReproOptions(runs=1, timeout=3))
    failure = report.results[0].failure
    assert (failure.kind, failure.cell) == (TIMEOUT, 2)
    assert failure.message == "cell 2 did not finish within 3 s"


def test_a_long_temporary_directory_still_runs(tmp_path, monkeypatch):
    # A Unix socket's path holds 107 bytes: the kernel's sockets must not follow a long TMPDIR.
    temp = tmp_path / ("t" * 110)
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    notebook = write_notebook(tmp_path / "short.ipynb", code("x = 1\nprint(x)"))
    [result] = run_repro([str(notebook)], ReproOptions(runs=1, timeout=120)).results
    assert result.failure is None, result.failure
    assert list(temp.iterdir()) == []


def nbcheck(capsys, *args):
    capsys.readouterr()
    code_ = main(["repro", "--progress", "none", *args])
    captured = capsys.readouterr()
    return code_, captured.out, captured.err


def test_baseline_written_then_compared(tmp_path, capsys):
    notebook = score_notebook(tmp_path / "score.ipynb")
    exit_code, out, _ = nbcheck(capsys, str(notebook), "--runs", "1", "--update-baseline")
    assert exit_code == 3, out  # written, but one run proves nothing
    baseline = tmp_path / "score.repro.json"
    assert f"baseline written to {baseline} from 1 run" in out
    assert f'"score": {SEEDED_SCORE}' in baseline.read_text()

    kept = tmp_path / "kept"
    exit_code, out, _ = nbcheck(capsys, str(notebook), "--runs", "1", "--keep-executed", str(kept))
    assert exit_code == 0, out
    assert f"baseline {baseline}" in out
    executed = (kept / "score.run1.ipynb").read_text()
    assert "nbcheck-repro-setup" in executed and "nbcheck_repro_cell" in executed

    baseline.write_text(baseline.read_text().replace(str(SEEDED_SCORE), "0.5"))
    report = tmp_path / "report.xml"
    exit_code, out, _ = nbcheck(
        capsys, str(notebook), "--runs", "1", "--output-format", "junit", "-o", str(report)
    )
    assert exit_code == 1
    assert out == ""
    assert 'type="differs"' in report.read_text()
    # the metric with the cell that logged it, every digit of its value
    assert f"metric  score (cell 2)  0.5       {SEEDED_SCORE!r}" in report.read_text()


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    exit_code, out, err = nbcheck(capsys, str(broken), str(tmp_path / "nowhere.ipynb"))
    assert exit_code == 2
    assert f"error: {broken}: not valid JSON" in out  # in the report, not again on stderr
    assert f"{tmp_path / 'nowhere.ipynb'}: no such file or directory" in out
    assert "Traceback" not in err + out


def test_usage_errors(capsys):
    assert nbcheck(capsys, "--jobs", "0", ".")[0] == 2
    exit_code, _, err = nbcheck(capsys, "--baseline-run", "abc", "--update-baseline", ".")
    assert exit_code == 2 and "--update-baseline" in err


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    """A real `mlflow server` on 127.0.0.1 with a sqlite backend, started for these tests."""
    import socket
    import urllib.request

    directory = tmp_path_factory.mktemp("mlflow-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(directory / "server.log", "wb")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{directory / 'mlflow.db'}",
            "--default-artifact-root",
            str(directory / "artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"mlflow server did not start: {(directory / 'server.log').read_text()}")
        time.sleep(0.5)
    yield uri
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    log.close()


def logged_run(uri: str, score: float) -> str:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("Default").experiment_id
    run = client.create_run(experiment, run_name="score")
    client.log_metric(run.info.run_id, "score", score)
    client.set_terminated(run.info.run_id)
    return run.info.run_id


def test_baseline_run_in_a_tracking_server(mlflow_server, tmp_path, capsys):
    notebook = score_notebook(tmp_path / "score.ipynb")
    same = logged_run(mlflow_server, SEEDED_SCORE)
    other = logged_run(mlflow_server, 0.25)
    once_against = (str(notebook), "--runs", "1", "--tracking-uri", mlflow_server, "--baseline-run")
    exit_code, out, _ = nbcheck(capsys, *once_against, same)
    assert exit_code == 0, out
    assert f"baseline MLflow run {same} at {mlflow_server}" in out

    exit_code, out, _ = nbcheck(capsys, *once_against, other, "--output-format", "markdown")
    assert exit_code == 1
    assert f"| metric | score (cell 2) | 0.25 | {SEEDED_SCORE!r} |" in out

    exit_code, _, err = nbcheck(
        capsys, str(notebook), "--baseline-run", "0" * 32, "--tracking-uri", mlflow_server
    )
    assert exit_code == 2 and f"run {'0' * 32} at {mlflow_server}" in err


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_pytest_plugin_makes_one_item_per_notebook_and_runs_under_xdist(tmp_path):
    score_notebook(tmp_path / "good.ipynb")
    write_notebook(tmp_path / "bad.ipynb", code("1 / 0"))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbcheck-repro",
            "--nbcheck-repro-runs",
            "1",
            "-n",
            "2",
            "-p",
            "no:cacheprovider",
            "-q",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    # one run and no baseline proves nothing: skipped, not passed
    assert "1 failed, 1 skipped" in completed.stdout, completed.stdout + completed.stderr
    assert (
        "bad.ipynb: failed: cell 1 raised ZeroDivisionError: division by zero" in completed.stdout
    )
    assert completed.returncode == 1


def test_example_notebook_reproduces_its_committed_baseline(capsys):
    example = ROOT / "examples" / "train_digits.ipynb"
    exit_code, out, _ = nbcheck(capsys, str(example), "--runs", "1")
    assert exit_code == 0, out
    assert f"baseline {example.with_suffix('.repro.json')}" in out
    assert "4 metrics" in out


def test_live_progress_rewrites_one_line_per_notebook():
    import io

    from nb_discipline.repro.cli import _LiveDisplay
    from nb_discipline.repro.session import Progress

    stream = io.StringIO()
    display = _LiveDisplay(stream)
    display(Progress("a.ipynb", "run", 1, 2))
    display(Progress("b.ipynb", "cell", 1, 2, cell=3, cells=5))
    display(Progress("a.ipynb", "run-finished", 1, 2, seconds=1.5))
    frames = stream.getvalue().split("\x1b[2F")
    assert len(frames) == 2  # the second frame moved up over the two lines of the first
    assert "\x1b[2Ka.ipynb: run 1/2 finished (1.5 s)\n" in frames[1]
    assert "\x1b[2Kb.ipynb: run 1/2 cell 3/5\n" in frames[1]


def test_options_come_from_config_and_flags_override(tmp_path):
    from nb_discipline.config import load_settings

    (tmp_path / "pyproject.toml").write_text(
        "[tool.nb-discipline.repro]\nruns = 3\nseed = 7\nrtol = 0.01\n"
        'ignore-metrics = ["time*"]\n[tool.nb-discipline.repro.metrics.loss]\natol = 0.5\n'
    )
    settings = load_settings(None, start=str(tmp_path))
    options = ReproOptions.from_settings(settings, seed=9, atol=0.1)
    assert (options.runs, options.seed) == (3, 9)
    assert options.compare == CompareOptions(
        rtol=0.01,
        atol=0.1,
        metric_tolerances={"loss": (None, 0.5, False)},
        ignore_metrics=("time*",),
    )

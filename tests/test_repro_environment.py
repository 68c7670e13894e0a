"""`nbcheck repro` runs land in their own MLflow store whatever the calling shell exports."""

from __future__ import annotations

import json

from tests.builders import code, write_notebook


def test_inherited_mlflow_targets_do_not_leak_into_the_runs(tmp_path, monkeypatch, nbcheck) -> None:
    # What `mlflow.set_experiment` leaves in a process, and what a user's shell may export.
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "7")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "someone-elses")
    monkeypatch.setenv("MLFLOW_RUN_ID", "0123456789abcdef0123456789abcdef")
    notebook = write_notebook(
        tmp_path / "score.ipynb",
        code(
            "import mlflow\n"
            'with mlflow.start_run(run_name="score"):\n'
            '    mlflow.log_metric("score", 0.5)'
        ),
    )
    result = nbcheck("repro", str(notebook), "--runs", "1", "--output-format", "json")
    assert result.exit_code == 3, result.out + result.err  # one run, no baseline: unverified
    report = json.loads(result.out)
    assert "score" in json.dumps(report)

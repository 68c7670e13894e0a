"""`%%production --mlflow` against a real MLflow store (sqlite in a temp dir) on a real shell."""

from __future__ import annotations

import hashlib
import http.server
import platform
import threading

import mlflow
import pytest

from tests.builders import code, git, markdown, write_notebook

pytestmark = pytest.mark.filterwarnings("ignore:PYTHONHASHSEED was not set:RuntimeWarning")

TRAINING_CELL = """\
import mlflow
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

features, labels = load_digits(return_X_y=True)
train_x, test_x, train_y, test_y = train_test_split(features, labels, test_size=0.3)
model = RandomForestClassifier(n_estimators=8).fit(train_x, train_y)
mlflow.log_metric("accuracy", model.score(test_x, test_y))
mlflow.log_metric("top_importance", float(model.feature_importances_.max()))
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One migrated sqlite store for the module (a fresh one costs seconds)."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    yield mlflow.MlflowClient(uri)
    mlflow.set_tracking_uri(None)


def runs(store, experiment: str):
    found = store.get_experiment_by_name(experiment)
    assert found is not None, f"no experiment {experiment}"
    return store.search_runs([found.experiment_id], order_by=["attributes.start_time ASC"])


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A git repository holding a notebook whose second cell is the one under test."""
    body = (
        "import numpy\nimport mlflow\nfrom sklearn import metrics\n"
        "mlflow.log_metric('loss', 0.25)\nnumpy.zeros(2)"
    )
    path = write_notebook(
        tmp_path / "train.ipynb",
        markdown("# Train"),
        code(f"%%production --mlflow lineage --seed 7\n{body}", cell_id="train-cell"),
    )
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "train.ipynb")
    git(
        tmp_path,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-qm",
        "notebook",
    )
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    return path, body


def test_the_run_carries_the_lineage_and_the_cells_metrics(store, shell, project) -> None:
    import numpy
    import sklearn

    path, body = project
    result = shell.run_cell(
        f"%%production --mlflow lineage --seed 7\n{body}",
        store_history=True,
        cell_id="train-cell",
    )
    assert result.error_in_exec is None
    (run,) = runs(store, "lineage")
    tags = run.data.tags
    assert run.info.run_name == f"train cell 2 [{result.execution_count}]"
    assert tags["nb_discipline.notebook.path"] == str(path)
    assert tags["nb_discipline.notebook.sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert tags["nb_discipline.cell.id"] == "train-cell"
    assert tags["nb_discipline.cell.index"] == "2"
    assert tags["nb_discipline.execution_count"] == str(result.execution_count)
    assert tags["mlflow.source.git.commit"] == git(path.parent, "rev-parse", "HEAD")
    assert tags["nb_discipline.git.dirty"] == "false"
    assert tags["nb_discipline.python"] == platform.python_version()
    assert tags["nb_discipline.package.numpy"] == numpy.__version__
    assert tags["nb_discipline.package.mlflow-skinny"] == mlflow.__version__
    assert tags["nb_discipline.package.scikit-learn"] == sklearn.__version__
    assert run.data.params == {"seed": "7"}
    assert run.data.metrics == {"loss": 0.25}
    assert run.info.status == "FINISHED"


def test_a_changed_working_tree_is_recorded_as_dirty(store, shell, project) -> None:
    path, body = project
    path.write_text(path.read_text() + "\n")
    shell.run_cell(f"%%production --mlflow dirty --run-name named\n{body}", cell_id="train-cell")
    (run,) = runs(store, "dirty")
    assert run.info.run_name == "named"
    assert run.data.tags["nb_discipline.git.dirty"] == "true"


def test_the_users_active_experiment_is_left_alone(store, shell) -> None:
    mlflow.set_experiment("users-own")
    shell.run_cell("%%production --mlflow elsewhere --run-name e\nx = 1")
    with mlflow.start_run(run_name="after") as run:
        pass
    assert store.get_experiment_by_name("users-own").experiment_id == run.info.experiment_id
    assert [r.info.run_name for r in runs(store, "elsewhere")] == ["e"]


def test_a_cell_that_fails_leaves_a_failed_run(store, shell) -> None:
    result = shell.run_cell("%%production --mlflow failing --run-name f\nraise RuntimeError('x')")
    assert isinstance(result.error_in_exec, RuntimeError)
    (run,) = runs(store, "failing")
    assert run.info.status == "FAILED"
    assert "nb_discipline.notebook.path" not in run.data.tags  # no notebook file: none claimed


def test_production_runs_of_a_training_cell_log_identical_metrics(store, shell) -> None:
    for attempt in range(2):
        result = shell.run_cell(
            f"%%production --mlflow training --run-name attempt-{attempt}\n{TRAINING_CELL}"
        )
        assert result.error_in_exec is None
    first, second = runs(store, "training")
    assert first.data.metrics == second.data.metrics
    assert set(first.data.metrics) == {"accuracy", "top_importance"}


def test_the_same_cell_unseeded_and_without_the_magic_does_not_reproduce(store, shell) -> None:
    mlflow.set_experiment("unseeded")
    for attempt in range(2):
        with mlflow.start_run(run_name=f"attempt-{attempt}"):
            result = shell.run_cell(TRAINING_CELL)
        assert result.error_in_exec is None
    first, second = runs(store, "unseeded")
    assert first.data.metrics != second.data.metrics


def test_the_files_and_urls_the_cell_read_are_the_runs_dataset_inputs(
    store, shell, project, capsys
) -> None:
    from tests.test_lineage import _Served

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Served)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/remote.csv"
    path, _ = project
    data = path.parent / "train.csv"
    data.write_bytes(b"a,b\n1,2\n")
    git(path.parent, "add", "train.csv")
    git(path.parent, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "d")
    (path.parent / "extra.csv").write_bytes(b"x\n")
    result = shell.run_cell(
        "%%production --mlflow data --run-name d\nimport pandas\n"
        "rows = len(pandas.read_csv('train.csv')) + len(open('extra.csv').read())\n"
        f"remote = pandas.read_csv('{url}')",
        cell_id="train-cell",
    )
    server.shutdown()
    server.server_close()
    assert result.error_in_exec is None
    (run,) = runs(store, "data")
    digest = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    extra = hashlib.sha256(b"x\n").hexdigest()
    inputs = {
        dataset_input.dataset.name: dataset_input for dataset_input in run.inputs.dataset_inputs
    }
    assert set(inputs) == {"train.csv", "extra.csv", url}
    assert inputs[url].dataset.source_type == "http"
    assert url in inputs[url].dataset.source
    train = inputs["train.csv"]
    assert train.dataset.digest == digest[:32]
    assert train.dataset.source_type == "local"
    assert str(data) in train.dataset.source
    tags = {tag.key: tag.value for tag in train.tags}
    assert tags["nb_discipline.sha256"] == digest
    assert tags["nb_discipline.size"] == "8"
    assert tags["nb_discipline.git"] == "unchanged"
    assert {tag.key: tag.value for tag in inputs["extra.csv"].tags}["nb_discipline.git"] == (
        "untracked"
    )
    assert run.data.tags["nb_discipline.inputs"] == (
        f"{digest} train.csv\n{extra} extra.csv\n{url}"
    )
    assert "nb_discipline: read" not in capsys.readouterr().err  # MLflow has them

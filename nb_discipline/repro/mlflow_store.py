"""MLflow stores for `nbcheck repro`: an isolated sqlite store per run, and reading runs back.

Creating a sqlite store runs MLflow's migrations (seconds), so one migrated template per MLflow
version is kept in the user cache directory and each run gets a copy. The runs of a temporary store
are read with the standard library's sqlite3 rather than through MlflowClient: importing mlflow and
opening its SQLAlchemy store in every run process would cost about as much as a small notebook.
The tables read (runs, metrics, params, tags) have kept their columns since MLflow 1.x; the tests
read stores written by the real MLflow. A run in a user's tracking store (`--baseline-run`) is read
with MlflowClient, which speaks to any store MLflow supports.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import uuid
from importlib import metadata
from pathlib import Path

from .results import MlflowRun

TAG_PREFIX = "nbcheck.repro."


class StoreError(Exception):
    """MLflow is missing or a store cannot be read; the message is one line."""


def mlflow_version() -> str:
    for distribution in ("mlflow-skinny", "mlflow"):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    raise StoreError(
        "MLflow is not installed: `pip install 'nb-discipline[repro]'` brings mlflow-skinny, "
        "sqlalchemy and alembic"
    )


_building = threading.Lock()


def template_store(cache_dir: Path) -> Path:
    """A migrated, empty sqlite store for the installed MLflow, created once and then reused."""
    template = cache_dir / f"mlflow-template-{mlflow_version()}.db"
    with _building:  # threads of one process (the server's jobs) build it once
        if not template.is_file():
            _build_template(cache_dir, template)
    return template


def _build_template(cache_dir: Path, template: Path) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    building = cache_dir / f".mlflow-template-{os.getpid()}-{uuid.uuid4().hex}.db"
    try:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
    except ImportError as error:
        raise StoreError(f"cannot open MLflow sqlite stores: {error}") from None
    import logging

    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.WARNING)  # not the migration chatter on every first run
    try:
        store = SqlAlchemyStore(f"sqlite:///{building}", str(cache_dir / "artifacts"))
        store.engine.dispose()
    finally:
        logger.setLevel(level)
    os.replace(building, template)  # atomic: parallel processes each build, one wins


def prepare_store(template: Path, directory: Path) -> dict[str, str]:
    """Copy the template into `directory`; return the environment that points a kernel at it.

    Artifacts (logged models) must land in `directory`, not next to the notebook: the Default
    experiment's location is rewritten in the copy, and experiments the notebook creates follow
    MLflow's server-side artifact root variable (private, read by its sqlite store factory; they
    would otherwise go to ./mlruns in the notebook's directory)."""
    database = directory / "mlflow.db"
    artifacts = directory / "artifacts"
    shutil.copyfile(template, database)
    connection = sqlite3.connect(database)
    try:
        with connection:
            connection.execute(
                "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                (str(artifacts / "0"),),
            )
    finally:
        connection.close()
    return {
        "MLFLOW_TRACKING_URI": f"sqlite:///{database}",
        "_MLFLOW_SERVER_ARTIFACT_ROOT": str(artifacts),
    }


def read_store(database: Path, cell_at=None) -> tuple[MlflowRun, ...]:
    """Every active MLflow run in a sqlite store, in start order, with params, tags and every
    metric's full history; `cell_at` (seconds since the epoch -> a cell number or None) names the
    cell that logged each metric first."""
    try:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise StoreError(f"{database}: cannot open the MLflow store: {error}") from None
    try:
        runs = connection.execute(
            "SELECT run_uuid, COALESCE(name, '') FROM runs WHERE lifecycle_stage = 'active' "
            "ORDER BY start_time, run_uuid"
        ).fetchall()
        result = []
        for run_id, name in runs:
            params = dict(
                connection.execute(
                    "SELECT key, value FROM params WHERE run_uuid = ? ORDER BY key", (run_id,)
                )
            )
            tags = dict(
                connection.execute(
                    "SELECT key, COALESCE(value, '') FROM tags WHERE run_uuid = ? ORDER BY key",
                    (run_id,),
                )
            )
            histories: dict[str, dict[int, float]] = {}
            for key, step, value, is_nan in connection.execute(
                "SELECT key, step, value, is_nan FROM metrics WHERE run_uuid = ? "
                "ORDER BY key, step, timestamp",
                (run_id,),
            ):
                histories.setdefault(key, {})[int(step)] = float("nan") if is_nan else float(value)
            metrics = {key: tuple(history.items()) for key, history in histories.items()}
            cells = {}
            if cell_at is not None:
                for key, first in connection.execute(
                    "SELECT key, MIN(timestamp) FROM metrics WHERE run_uuid = ? GROUP BY key",
                    (run_id,),
                ):
                    cell = cell_at(first / 1000)
                    if cell is not None:
                        cells[key] = cell
            result.append(MlflowRun(run_id, name, params, metrics, tags, cells))
        return tuple(result)
    except sqlite3.Error as error:
        raise StoreError(f"{database}: cannot read the MLflow store: {error}") from None
    finally:
        connection.close()


def read_run(tracking_uri: str, run_id: str) -> MlflowRun:
    """One run of a real tracking store (a server, a database, a directory) via MlflowClient."""
    try:
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError as error:
        raise StoreError(f"cannot read MLflow runs: {error}") from None
    try:
        client = MlflowClient(tracking_uri)  # refuses a URI whose scheme it does not know
        run = client.get_run(run_id)
        metrics = {}
        for key in sorted(run.data.metrics):
            history: dict[int, float] = {}
            for metric in sorted(
                client.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp)
            ):
                history[int(metric.step)] = float(metric.value)
            metrics[key] = tuple(history.items())
    except MlflowException as error:
        message = str(error.message).strip().splitlines()[0] if error.message else ""
        message = message or type(error).__name__
        raise StoreError(f"run {run_id} at {tracking_uri}: {message}") from None
    except OSError as error:
        raise StoreError(f"run {run_id} at {tracking_uri}: {error}") from None
    return MlflowRun(
        run_id,
        run.info.run_name or "",
        dict(sorted(run.data.params.items())),
        metrics,
        dict(sorted(run.data.tags.items())),
    )

"""Lineage of a notebook run, as MLflow tags, params and dataset inputs: which notebook, which cell,
which code, which data.

`lineage(...)` gathers the facts (no MLflow needed); `start_run(...)` opens an MLflow run that carries
them. MLflow is optional: `require_mlflow()` imports it or raises MissingMlflowError saying how to
install it. Tag names use MLflow's own `mlflow.source.*` tags where one exists, so the MLflow UI
shows them, and `nb_discipline.*` for the rest.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .lineage import FileInput, Reads

INSTALL_HINT = "pip install 'nb-discipline[mlflow]'  (or: pip install mlflow)"
TAG_PREFIX = "nb_discipline."


class MissingMlflowError(ImportError):
    """`--mlflow` was asked for, but MLflow is not installed in this environment."""

    def __init__(self) -> None:
        super().__init__(f"MLflow is not installed in this kernel's environment; {INSTALL_HINT}")


@dataclass(frozen=True)
class GitState:
    commit: str
    dirty: bool
    branch: str | None = None


@dataclass(frozen=True)
class Lineage:
    """Where a result came from. `tags()` and `params()` are what an MLflow run records."""

    notebook_path: str | None
    notebook_sha256: str | None
    cell_id: str | None
    cell_index: int | None
    seed: int | None
    execution_count: int | None
    git: GitState | None
    python: str = field(default_factory=platform.python_version)
    packages: Mapping[str, str] = field(default_factory=dict)

    def tags(self) -> dict[str, str]:
        tags = {
            f"{TAG_PREFIX}python": self.python,
            "mlflow.source.type": "NOTEBOOK",
        }
        if self.notebook_path is not None:
            tags["mlflow.source.name"] = self.notebook_path
            tags[f"{TAG_PREFIX}notebook.path"] = self.notebook_path
        if self.notebook_sha256 is not None:
            tags[f"{TAG_PREFIX}notebook.sha256"] = self.notebook_sha256
        if self.cell_id is not None:
            tags[f"{TAG_PREFIX}cell.id"] = self.cell_id
        if self.cell_index is not None:
            tags[f"{TAG_PREFIX}cell.index"] = str(self.cell_index)
        if self.execution_count is not None:
            tags[f"{TAG_PREFIX}execution_count"] = str(self.execution_count)
        if self.git is not None:
            tags["mlflow.source.git.commit"] = self.git.commit
            tags[f"{TAG_PREFIX}git.dirty"] = str(self.git.dirty).lower()
            if self.git.branch:
                tags["mlflow.source.git.branch"] = self.git.branch
        for package, version in sorted(self.packages.items()):
            tags[f"{TAG_PREFIX}package.{package}"] = version
        return tags

    def params(self) -> dict[str, str]:
        return {} if self.seed is None else {"seed": str(self.seed)}


def lineage(
    notebook_path: str | None,
    *,
    cell_id: str | None = None,
    cell_index: int | None = None,
    seed: int | None = None,
    execution_count: int | None = None,
    modules: Iterable[str] = (),
) -> Lineage:
    """The lineage of a run of `notebook_path` (None when unknown) that imported `modules`."""
    sha256 = None
    if notebook_path is not None:
        notebook_path = os.path.abspath(notebook_path)
        sha256 = file_sha256(notebook_path)
    git_directory = os.path.dirname(notebook_path) if notebook_path else os.getcwd()
    return Lineage(
        notebook_path=notebook_path,
        notebook_sha256=sha256,
        cell_id=cell_id,
        cell_index=cell_index,
        seed=seed,
        execution_count=execution_count,
        git=git_state(git_directory),
        packages=package_versions(modules),
    )


def file_sha256(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def git_state(directory: str) -> GitState | None:
    """The commit checked out at `directory` and whether the working tree has changes; None
    outside a git repository or without git."""
    commit = _git(directory, "rev-parse", "HEAD")
    if commit is None:
        return None
    status = _git(directory, "status", "--porcelain", "--untracked-files=no")
    branch = _git(directory, "rev-parse", "--abbrev-ref", "HEAD")
    return GitState(commit, dirty=bool(status), branch=None if branch == "HEAD" else branch)


def _git(directory: str, *arguments: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", *arguments],
            cwd=directory or ".",
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def package_versions(modules: Iterable[str]) -> dict[str, str]:
    """Distribution name -> installed version for the third-party top-level `modules`."""
    from importlib.metadata import PackageNotFoundError, version

    from .analysis.packages import installed_distributions

    versions: dict[str, str] = {}
    for module in {name.partition(".")[0] for name in modules}:
        if module in sys.stdlib_module_names:
            continue
        for distribution in installed_distributions().get(module, ()):
            try:
                versions[distribution] = version(distribution)
            except PackageNotFoundError:
                continue
    return versions


def require_mlflow() -> Any:
    """The mlflow module, or MissingMlflowError with the command that installs it."""
    try:
        import mlflow
    except ImportError:
        raise MissingMlflowError() from None
    return mlflow


def start_run(experiment: str, run_name: str, run_lineage: Lineage) -> Any:
    """An active MLflow run in `experiment`, named `run_name`, carrying `run_lineage`.

    Use it as a context manager. The name is always given: an unnamed run draws its random name
    from Python's global `random`, which would shift a seeded notebook's random stream. Nested in
    the active run when there is one.
    """
    mlflow = require_mlflow()
    # Not mlflow.set_experiment: the user's own runs after this one stay where they were.
    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    return mlflow.start_run(
        experiment_id=experiment_id,
        run_name=run_name,
        nested=mlflow.active_run() is not None,
        tags=run_lineage.tags(),
    )


def log_params(run_lineage: Lineage) -> None:
    """The lineage's params, in the active run."""
    params = run_lineage.params()
    if params:
        require_mlflow().log_params(params)


def tracking_locations() -> tuple[str, ...]:
    """Where MLflow itself reads: its tracking server's URL, or its file store's folder. The
    cell's own MLflow calls are not data."""
    uri = require_mlflow().get_tracking_uri()
    if uri.startswith(("http://", "https://")):
        return (uri,)
    if uri.startswith("file:"):
        from urllib.parse import unquote, urlparse

        return (os.path.abspath(unquote(urlparse(uri).path)),)
    if "://" not in uri and ":" not in uri.partition("/")[0]:
        return (os.path.abspath(uri),)  # a plain folder is a file store too
    return ()


INPUTS_TAG = f"{TAG_PREFIX}inputs"
# MLflow keeps a tag's value up to 8,000 characters, a dataset's digest up to 36.
TAG_CHARACTERS = 8000
DIGEST_CHARACTERS = 32


def log_reads(reads: Reads) -> None:
    """Each file and URL `reads` holds as a dataset input of the active run (a file's digest is
    the start of its sha256, the whole one an input tag), and one tag listing them all. MLflow's
    own failure is said on stderr: it must not hide the cell's result or error."""
    if not reads:
        return
    mlflow = require_mlflow()
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.http_dataset_source import HTTPDatasetSource
    from mlflow.data.meta_dataset import MetaDataset

    datasets, tags = [], []
    for file in reads.files:
        with warnings.catch_warnings():  # MLflow registers its local source twice, and says so
            warnings.simplefilter("ignore", UserWarning)
            source = resolve_dataset_source(file.location)
        datasets.append(MetaDataset(source, name=file.path, digest=file.sha256[:DIGEST_CHARACTERS]))
        tags.append(_input_tags(file))
    for url in reads.urls:
        datasets.append(MetaDataset(HTTPDatasetSource(url), name=url[:500]))
        tags.append({f"{TAG_PREFIX}remote": "true"})
    try:
        mlflow.log_inputs(datasets, contexts=[None] * len(datasets), tags_list=tags)
        mlflow.set_tag(INPUTS_TAG, inputs_tag(reads))
    except mlflow.exceptions.MlflowException as error:
        print(
            f"nb_discipline: MLflow did not record the data the cell read: {error}", file=sys.stderr
        )


def _input_tags(file: FileInput) -> dict[str, str]:
    tags = {f"{TAG_PREFIX}sha256": file.sha256, f"{TAG_PREFIX}size": str(file.size)}
    if file.git is not None:
        tags[f"{TAG_PREFIX}git"] = file.git
    if file.dvc is not None:
        tags[f"{TAG_PREFIX}dvc.file"] = file.dvc.metadata
        if file.dvc.md5 is not None:
            tags[f"{TAG_PREFIX}dvc.md5"] = file.dvc.md5
        if file.dvc.matches is not None:
            tags[f"{TAG_PREFIX}dvc.matches"] = str(file.dvc.matches).lower()
    return tags


def inputs_tag(reads: Reads) -> str:
    """One line per input: `sha256 path` for a file, the URL for a remote one; cut to what a tag
    holds, saying how many lines were left out."""
    lines = [f"{file.sha256} {file.path}" for file in reads.files] + list(reads.urls)
    text = "\n".join(lines)
    kept = len(lines)
    while len(text) > TAG_CHARACTERS:
        kept -= 1
        more = len(lines) - kept
        text = "\n".join([*lines[:kept], f"... {more} more (the run's dataset inputs list them)"])
    return text

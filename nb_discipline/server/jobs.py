"""Reproducibility checks as background jobs: started by POST, polled by GET, cancelled by DELETE.

Each job runs the same `nbcheck repro` machinery in a thread of the server process; the runner
itself executes every run in its own process, so cancelling stops those processes and their kernels.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
MAX_RUNNING = 2
MAX_KEPT = 50


class JobLimitError(Exception):
    """Too many reproducibility checks running at once."""


@dataclass
class ReproJob:
    id: str
    path: str  # as the browser knows it
    os_path: Path
    document: bytes  # the notebook as read and checked when the job was asked for: what runs
    runs: int | None
    # The server's root (None: the notebook's folder): the report names files relative to it.
    root: Path | None = None
    state: str = RUNNING
    latest: dict[str, Any] | None = None  # the latest progress event
    warnings: list[str] = field(default_factory=list)  # said before the runs (install cells)
    report: dict[str, Any] | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    def progress(self, event: Any) -> None:
        """The progress callback of `run_repro` (called from the job's thread)."""
        if event.event == "warning":
            self.warnings.append(event.message)
            return
        self.latest = {
            "event": event.event,
            "run": event.run,
            "runs": event.runs,
            "cell": event.cell,
            "cells": event.cells,
            "seconds": round(event.seconds, 3),
            "failure": event.failure.to_dict() if event.failure else None,
            "verdict": event.result.verdict if event.result else None,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "state": self.state,
            "cancelling": self.state == RUNNING and self.cancel_event.is_set(),
            "progress": self.latest,
            "warnings": self.warnings,
            "report": self.report,
            "error": self.error,
            "started": self.started,
            "finished": self.finished,
        }

    def run(self) -> None:
        try:
            report = run_repro_for(self)
        except Exception as error:  # the job must end in a state the browser can show
            self.error = f"{type(error).__name__}: {error}"
            self.state = FAILED
        else:
            if self.cancel_event.is_set():
                # Cancelled: whatever the runs had shown by then, the check was not done, so the
                # job says no verdict (neither the report nor the last progress event).
                if self.latest is not None:
                    self.latest = {**self.latest, "verdict": None}
                self.state = CANCELLED
            else:
                self.report = report
                self.state = DONE
        self.finished = time.time()


def run_repro_for(job: ReproJob) -> dict[str, Any]:
    """Run the reproducibility check of the job's notebook with its project's configuration."""
    from ..config import load_settings
    from ..repro import ReproOptions, run_repro

    settings = load_settings(None, start=str(job.os_path.parent))
    options = ReproOptions.from_settings(settings, runs=job.runs)
    report = run_repro(
        [str(job.os_path)],
        options,
        job.progress,
        job.cancel_event,
        settings=settings,
        documents={str(job.os_path): job.document},
    )
    served = report.to_dict()
    for result in served["notebooks"]:
        result["path"] = job.path
        if result["baseline"] is not None and os.path.isabs(result["baseline"]):
            result["baseline"] = served_path(result["baseline"], job.root or job.os_path.parent)
    return served


def served_path(os_path: str, root: Path) -> str:
    """A file the server read (a dependency file a fix edits, a baseline) as the browser knows
    paths: relative to the server root, with `/` (`../` for one above the root, found by walking
    up from the notebook), never where the server keeps it."""
    return Path(os.path.relpath(os.path.realpath(os_path), root)).as_posix()


class ReproJobs:
    """The jobs of one server; finished jobs are kept (up to MAX_KEPT) so their reports can be read."""

    def __init__(self) -> None:
        self._jobs: dict[str, ReproJob] = {}
        self._lock = threading.Lock()
        atexit.register(self.cancel_all)

    def get(self, job_id: str) -> ReproJob | None:
        return self._jobs.get(job_id)

    def start(
        self, path: str, os_path: Path, root: Path, document: bytes, *, runs: int | None
    ) -> ReproJob:
        with self._lock:
            running = [job for job in self._jobs.values() if job.state == RUNNING]
            if len(running) >= MAX_RUNNING:
                raise JobLimitError(
                    f"{len(running)} reproducibility checks are already running; wait or cancel one"
                )
            finished = [job for job in self._jobs.values() if job.state != RUNNING]
            for old in finished[: max(0, len(self._jobs) + 1 - MAX_KEPT)]:
                del self._jobs[old.id]
            job = ReproJob(
                id=uuid.uuid4().hex,
                path=path,
                os_path=os_path,
                root=root,
                document=document,
                runs=runs,
            )
            # A daemon thread, so that the atexit hook below gets to cancel it at server exit.
            job.thread = threading.Thread(
                target=job.run, name=f"nb-discipline-repro-{job.id[:8]}", daemon=True
            )
            self._jobs[job.id] = job
        job.thread.start()
        return job

    def cancel_all(self, timeout: float = 10.0) -> None:
        """Cancel every running job and wait for its processes to stop (at server exit)."""
        jobs = [job for job in self._jobs.values() if job.state == RUNNING]
        for job in jobs:
            job.cancel()
        deadline = time.monotonic() + timeout
        for job in jobs:
            if job.thread is not None:
                job.thread.join(max(0.0, deadline - time.monotonic()))

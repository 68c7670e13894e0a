"""REST handlers. Every verb is authenticated and authorized through jupyter_server, and every path
goes through the contents manager and must resolve (symbolic links included) inside the server root.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import ensure_async, url_path_join
from tornado import web

from .jobs import JobLimitError, ReproJobs, served_path

NAMESPACE = "nb-discipline"
# Notebook JSON with embedded images can be large; anything beyond this is not a notebook to lint.
MAX_BODY_BYTES = 32 * 1024 * 1024
# What a check costs grows with the code in the cells (outputs are only looked at): the most one
# request may ask to check. The largest real notebooks hold a few hundred thousand characters of
# code; the command line checks any size.
MAX_CODE_CHARACTERS = 2_000_000
# Checks run in threads of their own, never more than this many at a time, so that checking never
# takes the threads the server's other work uses.
CHECK_THREADS = 2
# The most runs one reproducibility job may ask for (`runs`, the request's one number): enough to
# see a notebook disagree with itself, never a job that holds a kernel for good.
MAX_RUNS = 20
_check_executor: ThreadPoolExecutor | None = None


class TooMuchCode(ValueError):
    """A notebook with more code than one request may check."""


def _executor() -> ThreadPoolExecutor:
    global _check_executor
    if _check_executor is None:
        _check_executor = ThreadPoolExecutor(CHECK_THREADS, thread_name_prefix="nb-discipline")
    return _check_executor


def check_document(
    document: Any, os_path: Path, api_path: str, select: list[str] | None, ignore: list[str]
) -> dict[str, Any]:
    """The diagnostics of notebook JSON, with the configuration found from the file's folder,
    and the codes of the rules that were selected (none: the panel says no rule ran).

    Raises ValueError with a one-line reason for a broken notebook, configuration or selector.
    """
    from ..engine import check
    from ..frontend import UsageError, settings_for
    from ..loader import LoadError, from_dict
    from ..rules import UnknownSelectorError, selected_rules

    try:
        notebook = from_dict(document, str(os_path))
    except LoadError as error:
        raise ValueError(f"{api_path}: {error.reason}") from None
    code = sum(len(cell.source) for cell in notebook.cells)
    if code > MAX_CODE_CHARACTERS:
        raise TooMuchCode(
            f"{api_path}: {code:,} characters in its cells, more than the {MAX_CODE_CHARACTERS:,} "
            "one request may check; run `nbcheck` on the file instead"
        )
    try:
        settings = settings_for(
            argparse.Namespace(config=None, select=select, ignore=ignore), start=str(os_path.parent)
        )
        rules = selected_rules(settings.select, settings.extend_select, settings.ignore)
    except UsageError as error:
        raise ValueError(str(error)) from None
    except UnknownSelectorError as error:
        raise ValueError(f"unknown rule selector `{error}`") from None
    # Report the path as the browser knows it, not where the server keeps it.
    return {
        "diagnostics": [
            {**d.to_dict(), "filename": api_path} for d in check(notebook, settings, rules)
        ],
        "selected": [rule.code for rule in rules],
    }


class _Handler(APIHandler):
    auth_resource = "contents"

    def json_body(self) -> dict[str, Any]:
        if len(self.request.body) > MAX_BODY_BYTES:
            raise web.HTTPError(413, f"request body above {MAX_BODY_BYTES // 2**20} MiB")
        try:
            body = json.loads(self.request.body)  # bytes: UTF-8 (or -16, -32, as JSON allows)
        except UnicodeDecodeError:
            raise web.HTTPError(400, "the request body is not UTF-8 text") from None
        except (ValueError, RecursionError):  # not JSON, nested too deep, too many digits
            raise web.HTTPError(400, "the request body is not JSON nbcheck reads") from None
        if not isinstance(body, dict):
            raise web.HTTPError(400, "the request body must be a JSON object")
        return body

    async def notebook_file(self, path: Any) -> tuple[str, Path]:
        """The API path and the file on disk of a notebook inside the server root.

        404 for anything the contents manager does not serve (outside the root, hidden, missing)
        and for symbolic links that lead out of the root.
        """
        if not isinstance(path, str) or not path.strip("/"):
            raise web.HTTPError(400, "`path` must name a notebook relative to the server root")
        api_path = path.strip("/")
        manager = self.contents_manager
        try:
            model = await ensure_async(manager.get(api_path, content=False))
        except web.HTTPError as error:
            raise web.HTTPError(404, f"{api_path}: no such notebook in the server root") from error
        if model["type"] != "notebook":
            raise web.HTTPError(400, f"{api_path}: not a notebook (it is a {model['type']})")
        root = Path(manager.root_dir).resolve()
        os_path = (root / api_path).resolve()
        if not os_path.is_relative_to(root):
            raise web.HTTPError(404, f"{api_path}: no such notebook in the server root")
        return api_path, os_path


# Without waiting for a named pipe's writer; the flags a platform lacks are 0 there.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def read_inside(os_path: Path, root: Path, api_path: str) -> bytes:
    """The bytes of the notebook at `os_path`, opened once, and only when the file that was opened
    is a regular file inside `root`: the path was checked before, but a part of it may have been
    replaced by a symbolic link since. Where the process's open files are listed (/proc/self/fd),
    the opened file's own path is checked; elsewhere, that it is the file the path led to when it
    was checked just now. What the job runs is these bytes, never the path read again."""
    from ..loader import MAX_FILE_BYTES, read_limited

    missing = web.HTTPError(404, f"{api_path}: no such notebook in the server root")
    try:
        checked = os.stat(os_path)
        descriptor = os.open(os_path, _OPEN_FLAGS)
    except OSError:
        raise missing from None
    with open(descriptor, "rb") as handle:
        opened = os.fstat(descriptor)
        listed = f"/proc/self/fd/{descriptor}"
        if os.path.exists(listed):
            inside = Path(os.path.realpath(listed)).is_relative_to(root)
        else:
            inside = os.path.samestat(opened, checked)
        if not inside or not stat.S_ISREG(opened.st_mode):
            raise missing
        try:
            return read_limited(handle, MAX_FILE_BYTES, str(os_path))
        except OSError as error:
            raise web.HTTPError(400, f"{api_path}: {error.strerror}") from None


def _selectors(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise web.HTTPError(400, f"`{key}` must be a list of rule codes, prefixes or names")
    return [item.strip() for item in value if item.strip()]


class CheckHandler(_Handler):
    @web.authenticated
    @authorized(action="read", resource="contents")
    async def post(self) -> None:
        body = self.json_body()
        document = body.get("notebook")
        if not isinstance(document, dict):
            raise web.HTTPError(400, "`notebook` must be the notebook's JSON object")
        select = _selectors(body, "select") or None
        ignore = _selectors(body, "ignore")
        api_path, os_path = await self.notebook_file(body.get("path"))
        try:
            checked = await asyncio.get_running_loop().run_in_executor(
                _executor(), check_document, document, os_path, api_path, select, ignore
            )
        except TooMuchCode as error:
            raise web.HTTPError(413, str(error)) from None
        except ValueError as error:
            raise web.HTTPError(400, str(error)) from None
        root = Path(self.contents_manager.root_dir).resolve()
        for diagnostic in checked["diagnostics"]:
            for edit in (diagnostic["fix"] or {}).get("edits", ()):
                if edit.get("filename") is not None:
                    edit["filename"] = served_path(edit["filename"], root)
        self.finish({"path": api_path, **checked})


class RulesHandler(_Handler):
    @web.authenticated
    @authorized(action="read", resource="contents")
    def get(self) -> None:
        from ..rules import RULES

        self.finish({"rules": [rule.to_dict() for rule in RULES]})


class _ReproHandler(_Handler):
    # Running a notebook executes its code: the same permission as starting a kernel.
    auth_resource = "kernels"

    @property
    def jobs(self) -> ReproJobs:
        return self.settings["nb_discipline_jobs"]

    def job_or_404(self, job_id: str):
        job = self.jobs.get(job_id)
        if job is None:
            raise web.HTTPError(404, f"no reproducibility job {job_id}")
        return job


class ReproStartHandler(_ReproHandler):
    @web.authenticated
    @authorized(action="execute", resource="kernels")
    async def post(self) -> None:
        body = self.json_body()
        runs = body.get("runs")
        if runs is not None and (
            not isinstance(runs, int) or isinstance(runs, bool) or not 1 <= runs <= MAX_RUNS
        ):
            raise web.HTTPError(400, f"`runs` must be an integer from 1 to {MAX_RUNS}")
        api_path, os_path = await self.notebook_file(body.get("path"))
        root = Path(self.contents_manager.root_dir).resolve()
        document = read_inside(os_path, root, api_path)
        try:
            job = self.jobs.start(api_path, os_path, root, document, runs=runs)
        except JobLimitError as error:
            raise web.HTTPError(429, str(error)) from None
        self.set_status(202)
        self.set_header("Location", url_path_join(self.base_url, NAMESPACE, "repro", job.id))
        self.finish(job.to_dict())


class ReproJobHandler(_ReproHandler):
    @web.authenticated
    @authorized(action="read", resource="kernels")
    def get(self, job_id: str) -> None:
        self.finish(self.job_or_404(job_id).to_dict())

    @web.authenticated
    @authorized(action="execute", resource="kernels")
    def delete(self, job_id: str) -> None:
        job = self.job_or_404(job_id)
        job.cancel()
        self.set_status(202)
        self.finish(job.to_dict())


def setup_handlers(web_app: Any) -> None:
    web_app.settings["nb_discipline_jobs"] = ReproJobs()
    base = url_path_join(web_app.settings["base_url"], NAMESPACE)
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "check"), CheckHandler),
            (url_path_join(base, "rules"), RulesHandler),
            (url_path_join(base, "repro"), ReproStartHandler),
            (url_path_join(base, "repro", r"(?P<job_id>[0-9a-f]{32})"), ReproJobHandler),
        ],
    )

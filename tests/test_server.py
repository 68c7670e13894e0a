"""The server extension, against a real jupyter_server with real HTTP requests (pytest-jupyter)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

# pytest-jupyter's fixtures, imported here rather than registered in conftest.py so that its
# autouse event-loop fixtures apply to this module only.
from pytest_jupyter.jupyter_server import *  # noqa: F403
from tornado.httpclient import HTTPClientError

from nb_discipline.rules import RULES
from nb_discipline.server.handlers import MAX_BODY_BYTES
from tests.builders import code, markdown, notebook_dict, write_notebook

OUT_OF_ORDER = notebook_dict(
    markdown("# Title"),
    code("x = 1", count=2, cell_id="first"),
    code("y = x + 1", count=1, cell_id="second"),
)
CLEAN = notebook_dict(code("x = 1", count=1), code("y = x + 1", count=2))


@pytest.fixture
def jp_server_config():
    return {
        "ServerApp": {
            "jpserver_extensions": {"nb_discipline.server": True},
            "allow_unauthenticated_access": False,
        }
    }


@pytest.fixture
def request_(jp_fetch, jp_asyncio_loop):
    """A blocking `request(method, *parts, body=...) -> (status, json)`; errors are returned."""

    def request(method, *parts, body=None, raw=None, headers=None):
        payload = raw if raw is not None else (None if body is None else json.dumps(body))
        try:
            response = jp_asyncio_loop.run_until_complete(
                jp_fetch(
                    "nb-discipline",
                    *parts,
                    method=method,
                    body=payload,
                    headers=headers,
                    allow_nonstandard_methods=True,
                )
            )
        except HTTPClientError as error:
            response = error.response
        text = response.body.decode() if response.body else ""
        return response.code, (json.loads(text) if text.startswith("{") else text)

    return request


def check(request_, path, document, **options):
    return request_("POST", "check", body={"path": path, "notebook": document, **options})


def test_check_reports_the_notebook_the_browser_holds(request_, jp_root_dir):
    # The saved file is clean; the unsaved edits the browser sends are not.
    write_notebook(jp_root_dir / "sub" / "nb.ipynb", *CLEAN["cells"])
    status, body = check(request_, "sub/nb.ipynb", OUT_OF_ORDER)
    assert status == 200
    (diagnostic,) = body["diagnostics"]
    assert diagnostic["code"] == "NBD101"
    assert diagnostic["name"] == "out-of-order-execution"
    assert diagnostic["filename"] == "sub/nb.ipynb"
    assert (diagnostic["cell"], diagnostic["cell_id"]) == (3, "second")
    assert set(diagnostic) >= {
        "message",
        "location",
        "end_location",
        "severity",
        "url",
        "help",
        "fix",
    }


def test_check_of_a_clean_notebook_is_empty(request_, jp_root_dir):
    write_notebook(jp_root_dir / "nb.ipynb", *CLEAN["cells"])
    status, body = check(request_, "nb.ipynb", CLEAN)
    assert status == 200
    assert (body["path"], body["diagnostics"]) == ("nb.ipynb", [])
    assert body["selected"] == [rule.code for rule in RULES]


def test_check_says_which_rules_ran_and_when_the_selection_leaves_none(request_, jp_root_dir):
    # Nothing found because nothing was looked for is not a clean notebook: the panel says so.
    write_notebook(jp_root_dir / "nb.ipynb", *OUT_OF_ORDER["cells"])
    status, body = check(request_, "nb.ipynb", OUT_OF_ORDER, select=["NBD1"], ignore=["NBD1"])
    assert (status, body["diagnostics"], body["selected"]) == (200, [], [])
    status, body = check(request_, "nb.ipynb", OUT_OF_ORDER, select=["NBD101"])
    assert body["selected"] == ["NBD101"]
    assert [d["code"] for d in body["diagnostics"]] == ["NBD101"]


def test_project_configuration_applies_and_the_request_can_narrow_it(request_, jp_root_dir):
    (jp_root_dir / "pyproject.toml").write_text('[tool.nb-discipline]\nignore = ["NBD101"]\n')
    write_notebook(jp_root_dir / "project" / "nb.ipynb", *OUT_OF_ORDER["cells"])
    document = notebook_dict(
        code("import random\nrandom.random()", count=2), code("x = 1", count=1)
    )
    status, body = check(request_, "project/nb.ipynb", document)
    assert status == 200
    codes = {d["code"] for d in body["diagnostics"]}
    assert "NBD101" not in codes
    assert "NBD301" in codes
    status, body = check(request_, "project/nb.ipynb", document, ignore=["NBD3"])
    assert {d["code"] for d in body["diagnostics"]} == codes - {"NBD301"}
    status, body = check(request_, "project/nb.ipynb", document, select=["NBD1"])
    assert {d["code"] for d in body["diagnostics"]} <= {"NBD102", "NBD103", "NBD104"}


# A generator made without a seed (NBD302) on a line with characters outside the Basic
# Multilingual Plane before it: 🎲 is one character for Python, two UTF-16 code units in the browser.
UNSEEDED = notebook_dict(
    code("import numpy as np", count=1),
    code('label = "données 🎲"; rng = np.random.default_rng()\nrng.random()', count=2),
)


def apply_edit(source: str, edit: dict) -> str:
    """`source` with one edit made, its rows and columns 1-based code points in the cell."""
    lines = source.splitlines(keepends=True)

    def offset(location):
        return sum(map(len, lines[: location["row"] - 1])) + location["column"] - 1

    return (
        source[: offset(edit["location"])]
        + edit["content"]
        + source[offset(edit["end_location"]) :]
    )


def test_check_returns_the_fix_of_a_finding_and_writes_nothing(request_, jp_root_dir):
    saved = write_notebook(jp_root_dir / "nb.ipynb", *UNSEEDED["cells"]).read_bytes()
    status, body = check(request_, "nb.ipynb", UNSEEDED)
    assert status == 200
    (finding,) = [d for d in body["diagnostics"] if d["code"] == "NBD302"]
    fix = finding["fix"]
    assert fix["applicability"] == "unsafe"
    (edit,) = fix["edits"]
    assert edit["cell"] == 2
    assert "filename" not in edit
    # Columns count characters: the edit lands inside the parentheses, not one character early.
    fixed = apply_edit(UNSEEDED["cells"][1]["source"], edit)
    assert fixed.splitlines()[0] == 'label = "données 🎲"; rng = np.random.default_rng(42)'
    assert (jp_root_dir / "nb.ipynb").read_bytes() == saved
    cells = [dict(cell) for cell in UNSEEDED["cells"]]
    cells[1]["source"] = fixed
    status, body = check(request_, "nb.ipynb", notebook_dict(*cells))
    assert "NBD302" not in {d["code"] for d in body["diagnostics"]}


def test_an_edit_to_a_dependency_file_names_it_as_the_browser_knows_paths(request_, jp_root_dir):
    # The fix of an undeclared import writes into the project's requirements.txt: the browser
    # is told where it is under the server root, never where the server keeps it.
    document = notebook_dict(code("import pandas\nimport numpy", count=1))
    write_notebook(jp_root_dir / "project" / "nb.ipynb", *document["cells"])
    (jp_root_dir / "project" / "requirements.txt").write_text("pandas==2.2.3\n")
    status, body = check(request_, "project/nb.ipynb", document)
    assert status == 200
    (finding,) = [d for d in body["diagnostics"] if d["code"] == "NBD402"]
    (edit,) = finding["fix"]["edits"]
    assert edit["filename"] == "project/requirements.txt"
    assert edit["cell"] is None
    assert str(jp_root_dir) not in json.dumps(body)
    assert (jp_root_dir / "project" / "requirements.txt").read_text() == "pandas==2.2.3\n"


def test_rules_lists_every_rule_with_its_docs(request_):
    status, body = request_("GET", "rules")
    assert status == 200
    assert [rule["code"] for rule in body["rules"]] == [rule.code for rule in RULES]
    for rule in body["rules"]:
        assert "## What it does" in rule["explanation"], rule["code"]
        assert rule["summary"] and rule["name"] and rule["severity"]


@pytest.mark.parametrize(
    ("method", "parts"),
    [("POST", ("check",)), ("GET", ("rules",)), ("POST", ("repro",)), ("GET", ("repro", "0" * 32))],
)
def test_every_endpoint_refuses_requests_without_a_token(request_, method, parts):
    body = None if method == "GET" else json.dumps({"path": "nb.ipynb", "notebook": CLEAN})
    status, _ = request_(method, *parts, raw=body, headers={"Authorization": ""})
    assert status == 403


@pytest.mark.parametrize(
    "path", ["../outside.ipynb", "sub/../../outside.ipynb", "/outside.ipynb", "link.ipynb"]
)
def test_nothing_outside_the_root_is_read_or_run(request_, jp_root_dir, path):
    outside = write_notebook(jp_root_dir.parent / "outside.ipynb", *CLEAN["cells"])
    (jp_root_dir / "sub").mkdir()
    os.symlink(outside, jp_root_dir / "link.ipynb")
    status, body = check(request_, path, CLEAN)
    assert status == 404, body
    status, body = request_("POST", "repro", body={"path": path})
    assert status == 404, body
    assert os.path.abspath(str(jp_root_dir.parent)) not in json.dumps(body)


def test_a_job_runs_the_notebook_it_checked_though_a_symlink_replaced_it(request_, jp_root_dir):
    marker = jp_root_dir.parent / "ran-outside"
    outside = write_notebook(
        jp_root_dir.parent / "outside.ipynb", code(f"open({str(marker)!r}, 'w').write('ran')")
    )
    checked = write_notebook(jp_root_dir / "nb.ipynb", code("print('the checked notebook')"))
    status, job = request_("POST", "repro", body={"path": "nb.ipynb", "runs": 1})
    assert status == 202
    checked.unlink()  # right after the 202: the path now leads out of the root
    os.symlink(outside, checked)
    job = wait_for_job(request_, job["id"], lambda job: job["state"] != "running")
    assert job["state"] == "done", job
    assert not marker.exists()
    (result,) = job["report"]["notebooks"]
    assert result["verdict"] == "unverified", result


def test_hidden_files_are_not_served(request_, jp_root_dir):
    write_notebook(jp_root_dir / ".secret" / "nb.ipynb", *CLEAN["cells"])
    assert check(request_, ".secret/nb.ipynb", OUT_OF_ORDER)[0] == 404


def test_an_absolute_server_path_is_not_read(request_, jp_root_dir):
    inside = write_notebook(jp_root_dir / "nb.ipynb", *CLEAN["cells"])
    status, _ = check(request_, str(inside), CLEAN)
    assert status == 404


def test_a_symlink_that_stays_inside_the_root_is_fine(request_, jp_root_dir):
    target = write_notebook(jp_root_dir / "real.ipynb", *CLEAN["cells"])
    os.symlink(target, jp_root_dir / "alias.ipynb")
    assert check(request_, "alias.ipynb", OUT_OF_ORDER)[0] == 200


def test_a_body_above_the_limit_is_refused_with_413(request_, jp_root_dir):
    write_notebook(jp_root_dir / "nb.ipynb", *CLEAN["cells"])
    padding = "x" * (MAX_BODY_BYTES + 1)
    big = notebook_dict(code(padding, count=1))
    status, body = check(request_, "nb.ipynb", big)
    assert status == 413
    assert "MiB" in body["message"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (
            {"path": "nb.ipynb", "notebook": {"nbformat": 4, "cells": "no"}},
            "'cells' must be a list",
        ),
        (
            {"path": "nb.ipynb", "notebook": {"nbformat": 4, "cells": [{"source": "x"}]}},
            "cell 1: missing key 'cell_type'",
        ),
        ({"path": "nb.ipynb", "notebook": {"cells": []}}, "missing key 'nbformat'"),
        ({"path": "nb.ipynb"}, "`notebook` must be the notebook's JSON object"),
        ({"notebook": CLEAN}, "`path` must name a notebook"),
        ({"path": "nb.ipynb", "notebook": CLEAN, "select": "NBD1"}, "`select` must be a list"),
        ({"path": "nb.ipynb", "notebook": CLEAN, "ignore": ["NBD999"]}, "unknown rule selector"),
        ({"path": "data.txt", "notebook": CLEAN}, "not a notebook (it is a file)"),
        ({"path": "sub", "notebook": CLEAN}, "not a notebook (it is a directory)"),
    ],
)
def test_bad_requests_get_400_with_the_reason(request_, jp_root_dir, payload, reason):
    write_notebook(jp_root_dir / "nb.ipynb", *CLEAN["cells"])
    (jp_root_dir / "data.txt").write_text("text")
    (jp_root_dir / "sub").mkdir()
    status, body = request_("POST", "check", body=payload)
    assert status == 400
    assert reason in body["message"]


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", ""])
def test_a_body_that_is_not_a_json_object_gets_400(request_, raw):
    status, _ = request_("POST", "check", raw=raw)
    assert status == 400


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"path": "nb.ipynb", "notebook": "\xff\xfe"}', "not UTF-8 text"),
        (b'{"path": "nb.ipynb", "notebook": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "JSON"),
        (b'{"path": "nb.ipynb", "notebook": ' + b"9" * 5000 + b"}", "JSON"),
    ],
)
def test_a_body_that_is_not_utf8_or_too_deep_gets_400(request_, jp_root_dir, raw, reason):
    write_notebook(jp_root_dir / "nb.ipynb", *CLEAN["cells"])
    status, body = request_("POST", "check", raw=raw)
    assert status == 400
    assert reason in body["message"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x7fELF\x02\x01\x01\x00\xd0\xff", "not UTF-8 text"),
        (b"[tool.nb-discipline]\nx = " + b"[" * 3000 + b"]" * 3000 + b"\n", "nested deeper"),
        (b"tool = 5\n", "`tool` must be a table"),
    ],
)
def test_a_configuration_that_broke_the_server_gets_400(request_, jp_root_dir, content, reason):
    (jp_root_dir / "pyproject.toml").write_bytes(content)
    write_notebook(jp_root_dir / "nb.ipynb", *CLEAN["cells"])
    status, body = check(request_, "nb.ipynb", CLEAN)
    assert status == 400
    assert "pyproject.toml" in body["message"]
    assert reason in body["message"]


def test_more_code_than_one_request_may_check_gets_413(request_, jp_root_dir):
    from nb_discipline.server.handlers import MAX_CODE_CHARACTERS

    write_notebook(jp_root_dir / "nb.ipynb", *CLEAN["cells"])
    lines = "".join(f"print(name_{number})\n" for number in range(MAX_CODE_CHARACTERS // 16))
    started = time.monotonic()
    status, body = check(request_, "nb.ipynb", notebook_dict(code(lines, count=1)))
    assert status == 413
    assert "run `nbcheck` on the file instead" in body["message"]
    assert time.monotonic() - started < 30


def test_a_broken_project_configuration_gets_400_naming_the_file(request_, jp_root_dir):
    (jp_root_dir / "pyproject.toml").write_text("[tool.nb-discipline]\nselct = []\n")
    write_notebook(jp_root_dir / "nb.ipynb", *CLEAN["cells"])
    status, body = check(request_, "nb.ipynb", CLEAN)
    assert status == 400
    assert "pyproject.toml" in body["message"]
    assert "selct" in body["message"]


def test_an_unknown_job_is_404(request_):
    assert request_("GET", "repro", "f" * 32)[0] == 404
    assert request_("DELETE", "repro", "f" * 32)[0] == 404


def wait_for_job(request_, job_id, until, timeout=240.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = request_("GET", "repro", job_id)
        assert status == 200, job
        if until(job):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s: {job}")


def processes_working_in(directory) -> list[str]:
    """Command lines of the processes whose working directory is inside `directory`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cwd = Path(os.readlink(entry / "cwd"))
            if cwd.is_relative_to(directory):
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError):
            continue
    return found


def test_a_reproducibility_job_runs_in_the_background_and_reports(request_, jp_root_dir):
    write_notebook(
        jp_root_dir / "project" / "seeded.ipynb",
        code("import random\nrandom.seed(1)\nprint(random.random())", count=1),
    )
    status, job = request_("POST", "repro", body={"path": "project/seeded.ipynb", "runs": 1})
    assert status == 202
    assert job["state"] == "running"
    job = wait_for_job(request_, job["id"], lambda job: job["state"] != "running")
    assert job["state"] == "done", job
    (result,) = job["report"]["notebooks"]
    assert result["verdict"] == "unverified", result  # one run, no baseline: nothing compared
    assert job["report"]["runs"] == 1  # the request's, not the default of 2
    assert job["progress"]["event"] == "finished"


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="reads processes from /proc")
def test_cancelling_a_job_stops_its_kernels(request_, jp_root_dir):
    write_notebook(
        jp_root_dir / "slow.ipynb",
        code("x = 1", count=1),
        code("import time\ntime.sleep(300)", count=2),
    )
    status, job = request_("POST", "repro", body={"path": "slow.ipynb", "runs": 1})
    assert status == 202
    wait_for_job(
        request_, job["id"], lambda job: (job["progress"] or {}).get("cell") == 2, timeout=180
    )
    assert any("ipykernel" in command for command in processes_working_in(jp_root_dir))
    status, cancelling = request_("DELETE", "repro", job["id"])
    assert status == 202
    assert cancelling["cancelling"] is True
    job = wait_for_job(request_, job["id"], lambda job: job["state"] != "running", timeout=60)
    assert job["state"] == "cancelled"
    assert job["report"] is None  # a cancelled job has no verdict
    assert processes_working_in(jp_root_dir) == []


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads processes from /proc")
def test_cancelling_a_job_whose_notebook_left_a_daemon_ends_it(request_, jp_root_dir, tmp_path):
    from tests.test_repro import running
    from tests.test_repro_hostile import daemon_notebook

    pids = tmp_path / "daemons.pid"
    daemon_notebook(jp_root_dir / "daemon.ipynb", pids, code("import time\ntime.sleep(300)"))
    status, job = request_("POST", "repro", body={"path": "daemon.ipynb", "runs": 1})
    assert status == 202
    wait_for_job(
        request_, job["id"], lambda job: (job["progress"] or {}).get("cell") == 3, timeout=180
    )
    daemons = [int(pid) for pid in pids.read_text().split()]
    try:
        assert len(daemons) == 2 and all(running(pid) for pid in daemons)
        assert request_("DELETE", "repro", job["id"])[0] == 202
        job = wait_for_job(request_, job["id"], lambda job: job["state"] != "running", timeout=60)
        assert job["state"] == "cancelled"
        assert [pid for pid in daemons if running(pid)] == []
    finally:
        for pid in daemons:
            if running(pid):
                os.kill(pid, 9)


def test_at_most_two_jobs_run_at_once(request_, jp_root_dir):
    for name in ("a", "b", "c"):
        write_notebook(jp_root_dir / f"{name}.ipynb", code("import time\ntime.sleep(300)", count=1))
    started = [request_("POST", "repro", body={"path": f"{name}.ipynb"}) for name in ("a", "b")]
    assert [status for status, _ in started] == [202, 202]
    try:
        for _, job in started:  # both really running: inside their sleeping cell
            seen = wait_for_job(
                request_,
                job["id"],
                lambda job: job["state"] != "running" or (job["progress"] or {}).get("cell") == 1,
                timeout=180,
            )
            assert seen["state"] == "running", json.dumps(seen)
        status, body = request_("POST", "repro", body={"path": "c.ipynb"})
        assert status == 429
        assert "already running" in body["message"]
    finally:
        for _, job in started:
            request_("DELETE", "repro", job["id"])
        for _, job in started:
            wait_for_job(request_, job["id"], lambda job: job["state"] != "running", timeout=60)


def test_a_job_cancelled_after_its_verdict_has_none(tmp_path):
    """Cancelled as the notebook's verdict came in: the job is cancelled, and says no verdict."""
    from nb_discipline.server.jobs import CANCELLED, ReproJob

    class CancelledAtTheVerdict(ReproJob):
        def progress(self, event):
            super().progress(event)
            if event.event == "finished":
                self.cancel()

    notebook = write_notebook(tmp_path / "nb.ipynb", code("print(1)"))
    job = CancelledAtTheVerdict(
        id="0" * 32, path="nb.ipynb", os_path=notebook, document=notebook.read_bytes(), runs=2
    )
    job.run()
    assert job.state == CANCELLED
    assert job.report is None
    assert job.to_dict()["progress"]["verdict"] is None

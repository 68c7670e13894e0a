"""A real jupyter_server, in a process of its own, stopped while a reproducibility job runs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.builders import code, write_notebook
from tests.test_repro import running

TOKEN = "nb-discipline-shutdown-test"
# Shutdown must end within seconds: the jobs' kernels get the runs' grace to stop.
SHUTDOWN_SECONDS = 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`(url, process, root, temp)`: a jupyter_server with the extension, isolated from the
    user's Jupyter configuration, serving `root`."""
    root, config, temp = tmp_path / "root", tmp_path / "config", tmp_path / "tmp"
    for directory in (root, config, temp):
        directory.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"nb_discipline.server": True}}})
    )
    port = free_port()
    log = (tmp_path / "server.log").open("wb")  # a pipe nobody reads would fill and block it
    environment = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "TMPDIR": str(temp),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--port={port}",
            "--ip=127.0.0.1",
            "--no-browser",
            f"--ServerApp.root_dir={root}",
            f"--IdentityProvider.token={TOKEN}",
            "--allow-root",  # as CI containers run
        ],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # As in a terminal: a test run started in the background by a shell without job control
        # inherits SIGINT ignored, and so would the server.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                call(url, "GET", "rules")
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.3)
        yield url, process, root, temp
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def call(url: str, method: str, *parts: str, body=None) -> tuple[int, dict]:
    request = urllib.request.Request(
        "/".join([url, "nb-discipline", *parts]),
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"token {TOKEN}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_for(url: str, job_id: str, until, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job = call(url, "GET", "repro", job_id)
        assert status == 200, job
        if until(job):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} after {timeout} s: {job}")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_server_stops_within_seconds_with_a_job_running(server, stop):
    url, process, root, temp = server
    pids = root / "kernels.pid"
    write_notebook(
        root / "slow.ipynb",
        code(f"import os, time\nopen({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')"),
        code("time.sleep(600)"),
    )
    status, job = call(url, "POST", "repro", body={"path": "slow.ipynb", "runs": 20})
    assert status == 202, job
    wait_for(url, job["id"], lambda job: (job["progress"] or {}).get("cell") == 2)
    process.send_signal(stop)
    if stop == signal.SIGINT:  # jupyter_server asks for confirmation; a second one stops it
        time.sleep(0.5)
        process.send_signal(stop)
    try:
        process.wait(SHUTDOWN_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the server was still running {SHUTDOWN_SECONDS} s after {stop.name}")
    kernels = [int(pid) for pid in pids.read_text().split()]
    assert len(kernels) == 1  # no second run was started
    for _ in range(50):
        if not running(kernels[0]):
            break
        time.sleep(0.1)
    assert not running(kernels[0])
    assert [entry.name for entry in temp.iterdir() if entry.name.startswith("nbcheck-repro-")] == []


@pytest.mark.parametrize("runs", [0, 21, 10**9, 2.5, True, "2"])
def test_runs_is_bounded(server, runs):
    url, _, root, _ = server
    write_notebook(root / "nb.ipynb", code("x = 1"))
    status, body = call(url, "POST", "repro", body={"path": "nb.ipynb", "runs": runs})
    assert status == 400
    assert "`runs` must be an integer from 1 to 20" in body["message"]

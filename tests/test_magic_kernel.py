"""Live warnings through a real ipykernel, fed execute requests the way JupyterLab sends them:
`cellId` and `deletedCells` in the request's metadata, the notebook path in JPY_SESSION_NAME."""

from __future__ import annotations

import os
import sys
import uuid
from queue import Empty

import pytest
from jupyter_client.manager import start_new_kernel

from tests.builders import code, write_notebook

TIMEOUT = 60


class JupyterLabLikeClient:
    """Sends execute requests with JupyterLab's metadata and collects what the cell printed (and
    the HTML it displayed)."""

    def __init__(self, client) -> None:
        self.client = client

    def execute(self, source: str, cell_id: str, deleted: list[str] | None = None) -> dict:
        content = {
            "code": source,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {"cellId": cell_id, "deletedCells": deleted or [], "recordTiming": False}
        message = self.client.session.msg("execute_request", content, metadata=metadata)
        self.client.shell_channel.send(message)
        msg_id = message["header"]["msg_id"]
        streams = {"stdout": "", "stderr": "", "text/html": ""}
        while True:
            try:
                output = self.client.get_iopub_msg(timeout=TIMEOUT)
            except Empty:
                pytest.fail(f"no reply from the kernel within {TIMEOUT}s for {source!r}")
            if output["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = output["msg_type"], output["content"]
            if kind == "stream":
                streams[body["name"]] += body["text"]
            elif kind in ("display_data", "execute_result"):
                streams["text/html"] += body["data"].get("text/html", "")
            elif kind == "error":
                streams["stderr"] += "\n".join(body["traceback"])
            elif kind == "status" and body["execution_state"] == "idle":
                return streams


@pytest.fixture
def kernel(tmp_path):
    notebook = write_notebook(
        tmp_path / "explore.ipynb",
        code("print(rows)", cell_id="reader"),
        code("rows = [1, 2]", cell_id="writer"),
        code("scale = 3", cell_id="scaler"),
    )
    env = {**os.environ, "JPY_SESSION_NAME": str(notebook), "PYTHONHASHSEED": "0"}
    manager, client = start_new_kernel(
        kernel_name="python3", cwd=str(tmp_path), env=env, startup_timeout=TIMEOUT
    )
    try:
        lab = JupyterLabLikeClient(client)
        assert lab.execute("import sys; print(sys.executable)", "setup")["stdout"].strip() == (
            sys.executable
        )
        lab.execute("%load_ext nb_discipline", "setup")
        yield lab
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_cell_reading_a_name_set_below_it_is_warned_once(kernel) -> None:
    kernel.execute("rows = [1, 2]", "writer")
    first = kernel.execute("print(rows)", "reader")
    assert first["stdout"] == "[1, 2]\n"
    assert "`rows` was last set by cell 2, below this one (cell 1)" in first["stderr"]
    assert "rows" not in kernel.execute("print(rows)", "reader")["stderr"]


def test_a_name_from_a_deleted_cell_is_warned_about(kernel) -> None:
    kernel.execute("scale = 3", "scaler")
    streams = kernel.execute("print(scale * 2)", str(uuid.uuid4()), deleted=["scaler"])
    assert streams["stdout"] == "6\n"
    assert "`scale` was last set by a cell that has been deleted" in streams["stderr"]


def test_production_sees_the_cell_id_and_the_deleted_cells(kernel) -> None:
    kernel.execute("scale = 3", "scaler")
    streams = kernel.execute(
        "%%production --strict\nresult = scale * 2", "new-cell", deleted=["scaler"]
    )
    assert "not running this cell" in streams["stderr"]
    assert "`scale` was last set by a deleted cell" in streams["stderr"]
    assert "NameError" in kernel.execute("print(result)", "probe")["stderr"]


def test_unloading_stops_the_warnings(kernel) -> None:
    kernel.execute("%unload_ext nb_discipline", "setup")
    kernel.execute("rows = [1, 2]", "writer")
    assert kernel.execute("print(rows)", "reader")["stderr"] == ""


def test_metadata_is_also_read_from_the_parent_message(kernel) -> None:
    """Older IPython versions do not hand `cell_meta` to the hooks; the kernel's parent has it."""
    streams = kernel.execute(
        "from types import SimpleNamespace\n"
        "from nb_discipline.magic import request_metadata\n"
        "print(request_metadata(get_ipython(), SimpleNamespace()))",
        "probe-cell",
        deleted=["old"],
    )
    assert "'cellId': 'probe-cell'" in streams["stdout"]
    assert "'deletedCells': ['old']" in streams["stdout"]


def test_nbcheck_shows_an_html_table_in_the_front_end(kernel) -> None:
    html = kernel.execute("%nbcheck", "checker")["text/html"]
    assert "<table>" in html
    assert "<code>NBD201</code>" in html and "rows" in html

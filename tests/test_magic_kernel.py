"""The extension in a real ipykernel, driven the way JupyterLab drives it: execute requests with
`cellId` and `deletedCells` in their metadata, the notebook path in JPY_SESSION_NAME, and the
browser's view of the notebook sent over the `nb_discipline.notebook` comm (full notebook, patches),
as the JupyterLab extension sends it."""

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
    the HTML it displayed); answers the kernel's comm as the JupyterLab extension does."""

    def __init__(self, client) -> None:
        self.client = client
        self.comm_id: str | None = None
        self.opened: dict | None = None
        """The data of the kernel's comm_open."""
        self.received: list[dict] = []
        """The data of what the kernel sent on the comm, in order."""
        self.closed = False
        self.seq = -1

        self.subshell_id: str | None = None
        """Set: comm messages go over this subshell, as JupyterLab 4.6 sends them by default."""

    def send(self, data: dict) -> None:
        """A comm message to the kernel, on the shell channel (in order with execute requests)."""
        assert self.comm_id is not None, "the kernel opened no comm"
        message = self.client.session.msg("comm_msg", {"comm_id": self.comm_id, "data": data})
        if self.subshell_id is not None:
            message["header"]["subshell_id"] = self.subshell_id
        self.client.shell_channel.send(message)

    def full(self, cells: list[dict], path: str = "explore.ipynb") -> None:
        """The whole notebook, with the metadata JupyterLab gives a Python notebook."""
        self.seq += 1
        metadata = {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
        self.send(
            {"type": "full", "seq": self.seq, "path": path, "cells": cells, "metadata": metadata}
        )

    def patch(self, *changes: dict, seq: int | None = None) -> None:
        self.seq += 1
        self.send({"type": "patch", "seq": self.seq if seq is None else seq, "changes": changes})

    def execute(self, source: str, cell_id: str | None, deleted: list[str] | None = None) -> dict:
        content = {
            "code": source,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {"deletedCells": deleted or [], "recordTiming": False}
        if cell_id is not None:
            metadata["cellId"] = cell_id
        message = self.client.session.msg("execute_request", content, metadata=metadata)
        self.client.shell_channel.send(message)
        msg_id = message["header"]["msg_id"]
        streams = {"stdout": "", "stderr": "", "text/html": ""}
        while True:
            try:
                output = self.client.get_iopub_msg(timeout=TIMEOUT)
            except Empty:
                pytest.fail(f"no reply from the kernel within {TIMEOUT}s for {source!r}")
            kind, body = output["msg_type"], output["content"]
            if kind == "comm_open" and body["target_name"] == "nb_discipline.notebook":
                self.comm_id, self.opened = body["comm_id"], body["data"]
            elif kind == "comm_msg" and body["comm_id"] == self.comm_id:
                self.received.append(body["data"])
            elif kind == "comm_close" and body["comm_id"] == self.comm_id:
                self.closed = True
            if output["parent_header"].get("msg_id") != msg_id:
                continue
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


# --- the browser's view of the notebook, over the comm ----------------------------------------


def cell(cell_id: str, source: str, cell_type: str = "code", **fields) -> dict:
    """A cell as the JupyterLab extension sends it."""
    return {
        "id": cell_id,
        "cell_type": cell_type,
        "source": source,
        "execution_count": None,
        **fields,
    }


def status(kernel) -> str:
    return kernel.execute("%nb_discipline status", "status-cell")["stdout"]


def test_the_kernel_opens_the_comm_and_uses_the_saved_file_until_the_browser_answers(
    kernel,
) -> None:
    assert kernel.opened == {"version": 1}
    assert "nb_discipline notebook: the saved file explore.ipynb\n" in status(kernel)


def test_an_unsaved_notebook_is_judged_as_the_browser_holds_it(kernel) -> None:
    kernel.full(
        [
            cell("top", "z = w + 1"),
            cell("bottom", "w = 5"),
            cell("checker", "%nbcheck"),
            cell("status-cell", "%nb_discipline status"),
        ]
    )
    kernel.execute("w = 5", "bottom")
    streams = kernel.execute("z = w + 1", "top")
    assert "`w` was last set by cell 2, below this one (cell 1)" in streams["stderr"]
    html = kernel.execute("%nbcheck", "checker")["text/html"]
    assert "Cell 1 reads `w`, bound only in cell 2 below" in html
    assert "`rows`" not in html  # the saved file's finding: not the notebook the browser holds
    assert "Checked the notebook as the browser holds it (unsaved changes included)." in html
    assert "the browser's view of explore.ipynb, 4 cells, updated" in status(kernel)


def test_nbcheck_reports_in_any_format_and_says_it_checked_the_browsers_notebook(kernel) -> None:
    kernel.full([cell("top", "print(late)"), cell("bottom", "late = 1")])
    streams = kernel.execute("%nbcheck --output-format concise --color never", "checker")
    assert streams["stdout"].startswith("explore.ipynb:cell 1:1:7: NBD201 Cell 1 reads `late`")
    assert streams["stderr"] == (
        "nbcheck: checked the notebook as the browser holds it (unsaved changes included).\n"
    )
    streams = kernel.execute(
        "%nbcheck explore.ipynb --output-format concise --color never", "checker"
    )
    assert "`rows`" in streams["stdout"] and "browser" not in streams["stderr"]


def test_a_reordered_cell_is_judged_in_its_new_place(kernel) -> None:
    kernel.full([cell("writer", "rate = 2"), cell("reader", "print(rate)")])
    kernel.execute("rate = 2", "writer")
    assert kernel.execute("print(rate)", "reader")["stderr"] == ""
    kernel.patch({"op": "move", "id": "reader", "index": 0})
    streams = kernel.execute("print(rate)", "reader")
    assert "`rate` was last set by cell 2, below this one (cell 1)" in streams["stderr"]


def test_a_cell_deleted_in_the_browser_is_known_before_the_next_execute_request(kernel) -> None:
    kernel.full([cell("scaler", "scale = 3"), cell("reader", "print(scale * 2)")])
    kernel.execute("scale = 3", "scaler")
    kernel.patch({"op": "delete", "id": "scaler"})
    streams = kernel.execute("print(scale * 2)", "reader")  # deletedCells: none
    assert "`scale` was last set by a cell that has been deleted" in streams["stderr"]
    # Undone: the cell is back, in its place above the reader.
    kernel.patch(
        {"op": "insert", "index": 0, "cell": cell("scaler", "scale = 3")},
        {"op": "insert", "index": 2, "cell": cell("another", "print(scale)")},
    )
    assert kernel.execute("print(scale)", "another")["stderr"] == ""


def test_a_renamed_notebook_is_found_under_its_new_name(kernel, tmp_path) -> None:
    kernel.full([cell("top", "print(late)"), cell("bottom", "late = 1")])
    (tmp_path / "explore.ipynb").rename(tmp_path / "renamed.ipynb")  # what the server does
    kernel.patch({"op": "path", "path": "renamed.ipynb"})
    streams = kernel.execute("%nbcheck --output-format concise --color never", "checker")
    assert streams["stdout"].startswith("renamed.ipynb:cell 1:1:7: NBD201")
    assert "the browser's view of renamed.ipynb, 2 cells" in status(kernel)
    streams = kernel.execute("%%production\nprint(late)", "top")
    assert "cannot tell which notebook" not in streams["stderr"]


def test_production_strict_numbers_cells_as_the_panel_does(kernel) -> None:
    kernel.full(
        [
            cell("title", "# Training", "markdown"),
            cell("intro", "We fit the model on the data loaded below.", "markdown"),
            cell("train", "%%production --strict\nmodel = fit(data)"),
            cell("load", "data = [1, 2]\ndef fit(rows):\n    return sum(rows)"),
        ]
    )
    kernel.execute("data = [1, 2]\ndef fit(rows):\n    return sum(rows)", "load")
    streams = kernel.execute("%%production --strict\nmodel = fit(data)", "train")
    assert "not running this cell" in streams["stderr"]
    assert "cell 3:2:9: NBD201 Cell 3 reads `fit`, bound only in cell 4 below" in streams["stderr"]
    assert "NameError" in kernel.execute("print(model)", "probe")["stderr"]


def test_a_gap_in_the_messages_asks_for_the_whole_notebook_once(kernel) -> None:
    kernel.full([cell("top", "print(late)"), cell("bottom", "late = 1")])
    kernel.seq += 1  # a message lost
    kernel.patch({"op": "source", "id": "top", "source": "print(late * 2)"})
    kernel.patch({"op": "source", "id": "top", "source": "print(late * 3)"})
    assert "the saved file explore.ipynb" in status(kernel)  # no view to trust meanwhile
    assert kernel.received == [{"type": "resync"}]
    kernel.full([cell("top", "print(late * 3)"), cell("bottom", "late = 1")])
    assert "the browser's view of explore.ipynb, 2 cells" in status(kernel)


def test_without_a_cell_id_the_running_cell_is_found_by_its_source(kernel) -> None:
    kernel.full([cell("top", "z = w + 1"), cell("bottom", "w = 5")])
    kernel.execute("w = 5", None)
    streams = kernel.execute("z = w + 1", None)
    assert "`w` was last set by cell 2, below this one (cell 1)" in streams["stderr"]


def test_a_front_end_without_the_extension_closes_the_comm_and_the_saved_file_is_used(
    kernel,
) -> None:
    """JupyterLab closes a comm whose target it does not know."""
    content = {"comm_id": kernel.comm_id, "data": {}}
    kernel.client.shell_channel.send(kernel.client.session.msg("comm_close", content))
    kernel.full([cell("writer", "rows = [1, 2]"), cell("reader", "print(rows)")])  # unheard
    kernel.execute("rows = [1, 2]", "writer")
    streams = kernel.execute("print(rows)", "reader")
    assert "`rows` was last set by cell 2, below this one (cell 1)" in streams["stderr"]
    assert "the saved file explore.ipynb" in status(kernel)


def test_unloading_closes_the_comm(kernel) -> None:
    kernel.execute("%unload_ext nb_discipline", "setup")
    assert kernel.closed


def test_comm_messages_sent_over_a_subshell_are_handled_by_the_main_shell(kernel) -> None:
    """JupyterLab 4.6 sends a comm's messages over a subshell of their own (`commsOverSubshells`)
    when the kernel has subshells; ipykernel hands those of a comm the kernel opened from the main
    shell to the main shell, in order with the cells (a subshell runs beside them)."""
    kernel.client.control_channel.send(kernel.client.session.msg("create_subshell_request", {}))
    kernel.subshell_id = kernel.client.get_control_msg(timeout=TIMEOUT)["content"]["subshell_id"]
    kernel.execute(
        "import threading\n"
        "browser = get_ipython()._nb_discipline_extension.browser\n"
        "handled_by_main_thread, handle = [], browser.receive\n"
        "def receive(*args):\n"
        "    handled_by_main_thread.append(threading.current_thread() is threading.main_thread())\n"
        "    return handle(*args)\n"
        "browser.receive = receive",
        "probe",
    )
    kernel.full([cell("top", "z = w + 1"), cell("bottom", "w = 5")])
    kernel.patch({"op": "move", "id": "bottom", "index": 0})
    assert kernel.execute("print(handled_by_main_thread)", "probe")["stdout"] == "[True, True]\n"
    kernel.execute("w = 5", "bottom")
    assert kernel.execute("z = w + 1", "top")["stderr"] == ""

"""The kernel's view of the notebook the browser holds, kept current by the JupyterLab extension.

Protocol version 1, over a comm with the target name `nb_discipline.notebook`:

- The kernel opens the comm when `%load_ext nb_discipline` loads (open data `{"version": 1}`). A
  browser that connects later (a reloaded page) may open one to the same target itself. A front-end
  without the extension closes it (JupyterLab does so for targets it does not know) or never
  answers (terminal IPython, VS Code, papermill): the kernel then uses the saved file as before.
- The browser sends `{"type": "full", "seq": n, "path": "dir/nb.ipynb", "cells": [...],
  "metadata": {...}}`: the whole notebook, its path relative to the server's root (with `/`),
  each cell `{"id", "cell_type", "source", "execution_count", "tags", "outputs"}` (`tags`,
  `outputs` and `metadata` may be left out: none; `outputs` without their data, each
  `{"output_type"}`, with `ename` and `evalue` for an error), and `{"type": "patch", "seq": n,
  "changes": [...]}` with the changes, in order: `{"op": "source", "id", "source"}`, `{"op":
  "insert", "index", "cell"}`, `{"op": "delete", "id"}`, `{"op": "move", "id", "index"}`, `{"op":
  "count", "id", "execution_count"}`, `{"op": "tags", "id", "tags"}`, `{"op": "outputs", "id",
  "outputs"}`, `{"op": "metadata", "metadata"}`, `{"op": "path", "path"}`. An `index` is the
  cell's place (from 0) once the change is made.
- `seq` grows by one per message. A patch that does not follow the last message, comes with no
  whole notebook before it, or does not fit the cells held (an unknown id, an index out of range)
  leaves the view without a base: the kernel answers `{"type": "resync"}` (at most once per
  RESYNC_SECONDS while none comes) and the browser sends `full`.

Each browser session (the `session` of the messages' header) has its view: two windows on one
kernel each have theirs, and a cell is judged in the view of the session that runs it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

from .model import Cell, Notebook

COMM_TARGET = "nb_discipline.notebook"
PROTOCOL_VERSION = 1
RESYNC_SECONDS = 2.0
MAX_VIEWS = 8
"""Views kept, one per browser session; past it, the one updated longest ago is dropped."""


class ProtocolError(ValueError):
    """A message the view cannot apply."""


class NotebookView:
    """One browser's notebook: its path, and its cells in the browser's order."""

    def __init__(self) -> None:
        self.path: str | None = None
        """The path the browser gives, relative to the server's root."""
        self.seq: int | None = None
        """The `seq` of the last message applied; None without a base (no `full` yet, or a patch
        that could not be applied since)."""
        self.metadata: dict[str, Any] = {}
        self.deleted: set[str] = set()
        """Ids of the cells the browser deleted (and did not put back)."""
        self.updated = 0.0
        """time.monotonic() when the last message was applied."""
        self.comm_id: str | None = None
        self.code_version = 0
        """Grows with each change to what the cells say (sources, order, tags, metadata), not
        with execution counts, outputs or the path: what an analysis of the code may be kept
        for."""
        self._cells: list[dict[str, Any]] = []
        self._positions: dict[str, int] | None = None
        self._notebook: Notebook | None = None

    @property
    def current(self) -> bool:
        return self.seq is not None

    def __len__(self) -> int:
        return len(self._cells)

    def receive(self, data: object) -> bool:
        """Apply one message; False when it cannot be applied: the view then has no base until
        the next `full`."""
        try:
            self._receive(data)
        except ProtocolError:
            self.seq = None
            return False
        self.updated = time.monotonic()
        return True

    def positions(self) -> dict[str, int]:
        """Cell id -> its number, counted from 1 with markdown cells (the panel's numbering)."""
        if self._positions is None:
            self._positions = {cell["id"]: index for index, cell in enumerate(self._cells, 1)}
        return self._positions

    def cell_with_source(self, source: str) -> str | None:
        """The id of the one code cell whose source is `source`; None when none or several are."""
        found = [
            cell["id"]
            for cell in self._cells
            if cell["source"] == source and cell["cell_type"] == "code"
        ]
        return found[0] if len(found) == 1 else None

    def notebook(self, path: str) -> Notebook:
        """The notebook as a `model.Notebook` named `path`, its cells numbered as the panel's."""
        if self._notebook is None or self._notebook.path != path:
            cells = tuple(
                Cell(
                    index,
                    cell["id"],
                    cell["cell_type"],
                    cell["source"],
                    cell["execution_count"],
                    cell["outputs"],
                    cell["tags"],
                )
                for index, cell in enumerate(self._cells, 1)
            )
            self._notebook = Notebook(path, cells, dict(self.metadata))
        return self._notebook

    # --- applying messages ---------------------------------------------------------------------

    def _receive(self, data: object) -> None:
        if not isinstance(data, Mapping):
            raise ProtocolError("not an object")
        seq = data.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise ProtocolError("no seq")
        kind = data.get("type")
        if kind == "full":
            cells = data.get("cells")
            if not isinstance(cells, list):
                raise ProtocolError("no cells")
            new = [_cell(cell) for cell in cells]
            if len({cell["id"] for cell in new}) != len(new):
                raise ProtocolError("two cells share an id")
            self.path = _path(data.get("path"))
            self.metadata = _metadata(data.get("metadata", {}))
            self._cells = new
            self.deleted.difference_update(cell["id"] for cell in new)
            self._changed(structure=True)
        elif kind == "patch":
            if self.seq is None or seq != self.seq + 1:
                raise ProtocolError("a gap before this patch")
            changes = data.get("changes")
            if not isinstance(changes, list):
                raise ProtocolError("no changes")
            for change in changes:
                self._apply(change)
        else:
            raise ProtocolError(f"unknown type {kind!r}")
        self.seq = seq

    def _apply(self, change: object) -> None:
        if not isinstance(change, Mapping):
            raise ProtocolError("a change that is not an object")
        op = change.get("op")
        if op == "path":
            self.path = _path(change.get("path"))
            return
        if op == "metadata":
            self.metadata = _metadata(change.get("metadata"))
            self._changed(structure=False)
            return
        if op == "insert":
            cell = _cell(change.get("cell"))
            if cell["id"] in self.positions():
                raise ProtocolError("an id the notebook holds")
            self._cells.insert(_index(change, len(self._cells) + 1), cell)
            self.deleted.discard(cell["id"])
            self._changed(structure=True)
            return
        cell_id = change.get("id")
        position = self.positions().get(cell_id) if isinstance(cell_id, str) else None
        if position is None:
            raise ProtocolError("an id the notebook does not hold")
        cell = self._cells[position - 1]
        if op == "source":
            cell["source"] = _string(change.get("source"))
        elif op == "count":
            cell["execution_count"] = _count(change.get("execution_count"))
        elif op == "tags":
            cell["tags"] = _tags(change.get("tags"))
        elif op == "outputs":
            cell["outputs"] = _outputs(change.get("outputs"))
        elif op == "delete":
            del self._cells[position - 1]
            self.deleted.add(cell["id"])
        elif op == "move":
            index = _index(change, len(self._cells))
            del self._cells[position - 1]
            self._cells.insert(index, cell)
        else:
            raise ProtocolError(f"unknown op {op!r}")
        self._changed(structure=op in ("delete", "move"), code=op not in ("count", "outputs"))

    def _changed(self, structure: bool, code: bool = True) -> None:
        self._notebook = None
        self.code_version += code
        if structure:
            self._positions = None


def _cell(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError("a cell that is not an object")
    cell_id, cell_type = value.get("id"), value.get("cell_type")
    if not isinstance(cell_id, str) or not cell_id or not isinstance(cell_type, str):
        raise ProtocolError("a cell without an id or a type")
    return {
        "id": cell_id,
        "cell_type": cell_type,
        "source": _string(value.get("source")),
        "execution_count": _count(value.get("execution_count")),
        "tags": _tags(value.get("tags", [])),
        "outputs": _outputs(value.get("outputs", [])),
    }


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise ProtocolError("a source that is not a string")
    return value


def _count(value: object) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise ProtocolError("an execution count that is not an integer")


def _tags(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise ProtocolError("tags that are not a list of strings")
    return tuple(value)


_OUTPUT_FIELDS = ("output_type", "ename", "evalue")


def _outputs(value: object) -> tuple[dict[str, str], ...]:
    """A cell's outputs as the rules read them: their types, and an error's name and value (the
    data, which no rule reads, is not kept if sent)."""
    if not isinstance(value, list):
        raise ProtocolError("outputs that are not a list")
    outputs = []
    for output in value:
        if not isinstance(output, Mapping) or not isinstance(output.get("output_type"), str):
            raise ProtocolError("an output without a type")
        outputs.append(
            {key: output[key] for key in _OUTPUT_FIELDS if isinstance(output.get(key), str)}
        )
    return tuple(outputs)


def _metadata(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ProtocolError("metadata that is not an object")
    return dict(value)


def _path(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ProtocolError("no path")
    return value


def _index(change: Mapping[str, Any], limit: int) -> int:
    index = change.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < limit:
        raise ProtocolError("an index out of range")
    return index


# --- the comm ----------------------------------------------------------------------------------


class BrowserLink:
    """The comm with the browser's extension, and the view each browser session sent over it."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.views: dict[str, NotebookView] = {}
        self.comms: dict[str, Any] = {}
        self.root: str | None = None
        """The server's root folder, once a browser's path and the kernel's own agree on it."""
        self._start = os.getcwd()
        self._asked: dict[str, float] = {}
        self._registered = False

    def open(self) -> None:
        """Open the comm, and accept the ones a browser opens, when the shell runs in a kernel."""
        if getattr(self.shell, "kernel", None) is None:
            return
        try:
            import comm
        except ImportError:  # an ipykernel from before the comm package: no view
            return
        comm.get_comm_manager().register_target(COMM_TARGET, self._opened)
        self._registered = True
        channel = comm.create_comm(target_name=COMM_TARGET, data={"version": PROTOCOL_VERSION})
        self._attach(channel)

    def close(self) -> None:
        """Close every comm (the browser stops sending) and forget the views."""
        if not self._registered:
            return
        import comm

        comm.get_comm_manager().unregister_target(COMM_TARGET, self._opened)
        self._registered = False
        for channel in list(self.comms.values()):
            channel.close()
        self.comms.clear()
        self.views.clear()

    def receive(self, session: str, comm_id: str | None, data: object) -> bool:
        """Apply a browser session's message to its view; True when the kernel should ask it for
        the whole notebook (once per RESYNC_SECONDS while none comes)."""
        view = self.views.get(session)
        if view is None:
            if len(self.views) >= MAX_VIEWS:
                oldest = min(self.views, key=lambda key: self.views[key].updated)
                del self.views[oldest]
            view = self.views[session] = NotebookView()
        view.comm_id = comm_id
        if view.receive(data):
            self._asked.pop(session, None)
            return False
        now = time.monotonic()
        asked = self._asked.get(session)
        if asked is not None and now - asked < RESYNC_SECONDS:
            return False
        self._asked[session] = now
        return True

    def view(self, session: str | None) -> NotebookView | None:
        """The current view of the browser session `session` (the one whose request is running);
        without one, the only current view if there is just one (a console on the same kernel)."""
        view = self.views.get(session) if session is not None else None
        if view is not None and view.current:
            return view
        current = [view for view in self.views.values() if view.current]
        return current[0] if len(current) == 1 else None

    def file_path(self, view: NotebookView) -> str | None:
        """The saved file of the view's notebook (absolute), when the server's root is known: where
        the path the kernel was started for (JPY_SESSION_NAME) ends with the browser's path, or
        where the kernel's first working directory ends with its folder (jupyter_server starts a
        kernel in its notebook's folder)."""
        if view.path is None:
            return None
        parts = [part for part in view.path.split("/") if part]
        if not parts:
            return None
        if self.root is None:
            for root in _roots(parts, self._start):
                if os.path.isfile(os.path.join(root, *parts)):
                    self.root = root
                    break
            else:
                return None
        return os.path.join(self.root, *parts)

    def _opened(self, channel: Any, message: Any) -> None:
        self._attach(channel)

    def _attach(self, channel: Any) -> None:
        self.comms[channel.comm_id] = channel
        channel.on_msg(lambda message: self._message(channel, message))
        channel.on_close(lambda message: self._closed(channel))

    def _message(self, channel: Any, message: Any) -> None:
        session = message.get("header", {}).get("session", "")
        data = message.get("content", {}).get("data")
        if self.receive(session, channel.comm_id, data):
            channel.send({"type": "resync"})

    def _closed(self, channel: Any) -> None:
        self.comms.pop(channel.comm_id, None)
        for session, view in list(self.views.items()):
            if view.comm_id == channel.comm_id:
                del self.views[session]


def _roots(parts: list[str], start: str) -> list[str]:
    """The folders that may be the server's root for a notebook at `parts` below it."""
    roots = []
    session_name = os.environ.get("JPY_SESSION_NAME")
    if session_name and os.path.isabs(session_name):
        known = os.path.normpath(session_name).split(os.sep)
        if known[-len(parts) :] == parts:
            roots.append(os.sep.join(known[: -len(parts)]) or os.sep)
    folders = os.path.normpath(start).split(os.sep)
    above = parts[:-1]
    if not above or folders[-len(above) :] == above:
        roots.append(os.sep.join(folders[: len(folders) - len(above)]) or os.sep)
    return roots

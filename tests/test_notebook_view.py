"""The kernel's view of the notebook the browser holds: messages as the JupyterLab extension sends
them, applied to a NotebookView (the comm itself, through a real kernel, is in
test_magic_kernel.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nb_discipline import notebook_view
from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.notebook_view import NotebookView


def cell(cell_id: str, source: str = "", cell_type: str = "code", **fields) -> dict:
    return {
        "id": cell_id,
        "cell_type": cell_type,
        "source": source,
        "execution_count": None,
        **fields,
    }


def full(*cells: dict, seq: int = 0, path: str = "nb.ipynb", **fields) -> dict:
    return {"type": "full", "seq": seq, "path": path, "cells": list(cells), **fields}


def patch(seq: int, *changes: dict) -> dict:
    return {"type": "patch", "seq": seq, "changes": list(changes)}


def ids(view: NotebookView) -> list[str]:
    return [cell.id for cell in view.notebook("nb.ipynb").cells]


@pytest.fixture
def view() -> NotebookView:
    view = NotebookView()
    assert view.receive(full(cell("a", "x = 1"), cell("b", "# Notes", "markdown"), cell("c")))
    return view


def test_a_view_has_no_base_until_the_whole_notebook_comes() -> None:
    view = NotebookView()
    assert not view.current
    assert not view.receive(patch(1, {"op": "source", "id": "a", "source": "x = 2"}))
    assert view.receive(full(cell("a"), seq=7))
    assert view.current and view.seq == 7


def test_cells_are_numbered_from_1_with_markdown_cells(view) -> None:
    notebook = view.notebook("nb.ipynb")
    assert [(cell.index, cell.id, cell.cell_type) for cell in notebook.cells] == [
        (1, "a", "code"),
        (2, "b", "markdown"),
        (3, "c", "code"),
    ]
    assert view.positions() == {"a": 1, "b": 2, "c": 3}
    assert len(view) == 3


def test_each_change_is_applied_in_order(view) -> None:
    assert view.receive(
        patch(
            1,
            {"op": "source", "id": "a", "source": "x = 2"},
            {"op": "insert", "index": 1, "cell": cell("d", "y = x")},
            {"op": "move", "id": "c", "index": 0},
            {"op": "count", "id": "a", "execution_count": 4},
            {"op": "delete", "id": "b"},
            {"op": "tags", "id": "d", "tags": ["keep"]},
            {"op": "metadata", "metadata": {"kernelspec": {"name": "python3"}}},
            {"op": "path", "path": "work/renamed.ipynb"},
        )
    )
    notebook = view.notebook("nb.ipynb")
    assert [(c.index, c.id, c.source, c.execution_count, c.tags) for c in notebook.cells] == [
        (1, "c", "", None, ()),
        (2, "a", "x = 2", 4, ()),
        (3, "d", "y = x", None, ("keep",)),
    ]
    assert view.positions() == {"c": 1, "a": 2, "d": 3}
    assert view.path == "work/renamed.ipynb"
    assert notebook.metadata == {"kernelspec": {"name": "python3"}}
    assert view.deleted == {"b"}
    assert view.seq == 1


def test_a_deleted_cell_put_back_is_not_deleted(view) -> None:
    assert view.receive(patch(1, {"op": "delete", "id": "a"}))
    assert view.deleted == {"a"}
    assert view.receive(patch(2, {"op": "insert", "index": 0, "cell": cell("a", "x = 1")}))
    assert view.deleted == set()


def test_the_code_version_grows_with_what_the_cells_say_not_with_counts(view) -> None:
    version = view.code_version
    view.receive(patch(1, {"op": "count", "id": "a", "execution_count": 3}))
    view.receive(patch(2, {"op": "path", "path": "renamed.ipynb"}))
    view.receive(patch(3, {"op": "outputs", "id": "a", "outputs": [{"output_type": "stream"}]}))
    assert view.code_version == version
    for seq, change in enumerate(
        [
            {"op": "source", "id": "a", "source": "x = 2"},
            {"op": "move", "id": "a", "index": 2},
            {"op": "tags", "id": "a", "tags": ["t"]},
            {"op": "metadata", "metadata": {}},
            {"op": "delete", "id": "a"},
        ],
        start=4,
    ):
        view.receive(patch(seq, change))
        assert view.code_version > version
        version = view.code_version


@pytest.mark.parametrize(
    "message",
    [
        patch(2, {"op": "source", "id": "a", "source": "x = 2"}),  # a gap: 1 is missing
        patch(0, {"op": "source", "id": "a", "source": "x = 2"}),  # an old one
        patch(1, {"op": "source", "id": "nope", "source": "x = 2"}),
        patch(1, {"op": "source", "id": ["a"], "source": "x = 2"}),
        patch(1, {"op": "source", "id": "a", "source": ["x = 2"]}),
        patch(1, {"op": "insert", "index": 0, "cell": cell("a")}),  # an id the view holds
        patch(1, {"op": "insert", "index": 4, "cell": cell("d")}),
        patch(1, {"op": "insert", "index": True, "cell": cell("d")}),
        patch(1, {"op": "insert", "index": 0, "cell": {"id": "d"}}),
        patch(1, {"op": "move", "id": "a", "index": 3}),
        patch(1, {"op": "move", "id": "a", "index": -1}),
        patch(1, {"op": "count", "id": "a", "execution_count": "3"}),
        patch(1, {"op": "tags", "id": "a", "tags": "keep"}),
        patch(1, {"op": "metadata", "metadata": []}),
        patch(1, {"op": "path", "path": ""}),
        patch(1, {"op": "rename", "id": "a"}),
        patch(1, "source"),
        {"type": "patch", "seq": 1},
        {"type": "patch", "seq": True, "changes": []},
        {"type": "patch", "changes": []},
        {"type": "edit", "seq": 1},
        full(cell("a"), cell("a")),
        full(cell("a", execution_count=True)),
        full(cell("", "x = 1")),
        {"type": "full", "seq": 1, "path": "nb.ipynb"},
        {"type": "full", "seq": 1, "cells": []},
        "full",
        None,
    ],
)
def test_a_message_that_does_not_fit_leaves_the_view_without_a_base(view, message) -> None:
    assert not view.receive(message)
    assert not view.current
    assert not view.receive(patch(2, {"op": "source", "id": "a", "source": "x = 2"}))
    assert view.receive(full(cell("a", "x = 2"), seq=5))
    assert view.current and ids(view) == ["a"]


def test_the_view_carries_what_suppresses_findings_as_the_saved_file_does() -> None:
    """The panel lints the notebook with its tags and metadata: the kernel must see them too."""
    python = {"kernelspec": {"name": "python3", "language": "python"}}
    view = NotebookView()
    view.receive(
        full(
            cell("a", "print(undefined)", tags=["nbcheck-ignore"]),
            cell("b", "y = z"),
            metadata=python,
        )
    )
    findings = check(view.notebook("nb.ipynb"), Settings(select=["NBD202"]))
    assert [(d.cell, d.symbol) for d in findings] == [(2, "z")]
    ignored = {**python, "nb_discipline": {"ignore": "ALL"}}
    view.receive(patch(1, {"op": "metadata", "metadata": ignored}))
    assert check(view.notebook("nb.ipynb"), Settings(select=["NBD202"])) == []


def test_the_view_carries_the_outputs_the_rules_read_without_their_data() -> None:
    """A cell saved with outputs and no count (Colab's way) keeps NBD102 quiet, as in the file;
    an error output is NBD104's."""
    view = NotebookView()
    shown = [{"output_type": "display_data", "data": {"image/png": "iVBOR..."}}]
    view.receive(
        full(
            cell("a", "x = 1", outputs=shown),
            cell("b", "y = x", execution_count=1),
            cell("c", "z = y", execution_count=2),
        )
    )
    assert view.notebook("nb.ipynb").cells[0].outputs == ({"output_type": "display_data"},)
    assert check(view.notebook("nb.ipynb"), Settings(select=["NBD1"])) == []
    error = {"output_type": "error", "ename": "NameError", "evalue": "name 'x' is not defined"}
    view.receive(patch(1, {"op": "outputs", "id": "b", "outputs": [error, {"output_type": 3}]}))
    assert not view.current  # an output without a type
    view.receive(full(cell("a", "x = 1"), cell("b", "y = x", execution_count=1), seq=2))
    view.receive(patch(3, {"op": "outputs", "id": "b", "outputs": [error]}))
    findings = check(view.notebook("nb.ipynb"), Settings(select=["NBD104"]))
    assert [d.message for d in findings] == [
        "Saved output holds an error: NameError: name 'x' is not defined"
    ]


def test_the_running_cell_is_found_by_its_source_when_only_one_cell_holds_it() -> None:
    view = NotebookView()
    view.receive(
        full(cell("a", "x = 1"), cell("b", "y = 2"), cell("c", "y = 2"), cell("d", "x", "raw"))
    )
    assert view.cell_with_source("x = 1") == "a"
    assert view.cell_with_source("y = 2") is None
    assert view.cell_with_source("x") is None


# --- any sequence of changes -----------------------------------------------------------------


@st.composite
def edits(draw) -> tuple[list[dict], list[dict]]:
    """A notebook and the changes a session of editing makes to it, with the cells it ends with."""
    cells = [cell(f"c{n}", f"x{n} = {n}") for n in range(draw(st.integers(1, 6)))]
    start = [dict(c) for c in cells]
    changes = []
    serial = len(cells)
    for _ in range(draw(st.integers(0, 30))):
        op = draw(st.sampled_from(["source", "insert", "delete", "move", "count"]))
        if op == "insert" or not cells:
            index = draw(st.integers(0, len(cells)))
            new = cell(f"c{serial}", f"y = {serial}", draw(st.sampled_from(["code", "markdown"])))
            serial += 1
            cells.insert(index, dict(new))
            changes.append({"op": "insert", "index": index, "cell": new})
            continue
        target = draw(st.sampled_from(cells))
        if op == "source":
            target["source"] = draw(st.text(max_size=5))
            changes.append({"op": "source", "id": target["id"], "source": target["source"]})
        elif op == "count":
            target["execution_count"] = draw(st.none() | st.integers(1, 99))
            changes.append(
                {"op": "count", "id": target["id"], "execution_count": target["execution_count"]}
            )
        elif op == "delete":
            cells.remove(target)
            changes.append({"op": "delete", "id": target["id"]})
        else:
            index = draw(st.integers(0, len(cells) - 1))
            cells.remove(target)
            cells.insert(index, target)
            changes.append({"op": "move", "id": target["id"], "index": index})
    return start, changes, cells


@settings(max_examples=200, deadline=None)
@given(edits(), st.integers(1, 5))
def test_patches_give_the_notebook_a_full_message_gives(session, per_message) -> None:
    start, changes, final = session
    patched = NotebookView()
    assert patched.receive(full(*start))
    for seq, first in enumerate(range(0, len(changes), per_message), start=1):
        assert patched.receive(patch(seq, *changes[first : first + per_message]))
    whole = NotebookView()
    assert whole.receive(full(*final))
    assert patched.notebook("nb.ipynb") == whole.notebook("nb.ipynb")
    assert patched.positions() == whole.positions()


# --- the browser sessions --------------------------------------------------------------------


@pytest.fixture
def browser(shell):
    """The BrowserLink of a shell outside a kernel: no comm, messages handed to it directly."""
    return shell._nb_discipline_extension.browser


def test_each_browser_session_has_its_view(browser) -> None:
    assert browser.view(None) is None
    browser.receive("window-1", None, full(cell("a")))
    assert browser.view("window-1") is browser.view(None) is browser.views["window-1"]
    browser.receive("window-2", None, full(cell("b"), cell("c")))
    assert len(browser.view("window-2")) == 2
    assert browser.view(None) is None  # a console on the kernel: which window is it?
    assert browser.view("console") is None


def test_the_views_kept_are_bounded(browser) -> None:
    for number in range(notebook_view.MAX_VIEWS + 3):
        browser.receive(f"window-{number}", None, full(cell("a")))
    assert len(browser.views) == notebook_view.MAX_VIEWS
    assert "window-0" not in browser.views and f"window-{notebook_view.MAX_VIEWS + 2}" in (
        browser.views
    )


def test_the_kernel_asks_again_for_the_notebook_only_after_a_while(browser, monkeypatch) -> None:
    gap = patch(3, {"op": "source", "id": "a", "source": ""})
    assert browser.receive("window", None, gap)  # ask
    assert not browser.receive("window", None, gap)  # asked a moment ago
    monkeypatch.setattr(notebook_view, "RESYNC_SECONDS", 0.0)
    assert browser.receive("window", None, gap)
    assert not browser.receive("window", None, full(cell("a")))
    assert browser.view("window") is not None


def test_the_saved_file_is_found_below_the_servers_root(browser, tmp_path, monkeypatch) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "nb.ipynb").write_text("{}")
    (tmp_path / "other.ipynb").write_text("{}")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "work" / "nb.ipynb"))
    browser.receive("window", None, full(cell("a"), path="work/nb.ipynb"))
    view = browser.view("window")
    assert browser.file_path(view) == str(tmp_path / "work" / "nb.ipynb")
    browser.receive("window", None, patch(1, {"op": "path", "path": "other.ipynb"}))
    assert browser.file_path(view) == str(tmp_path / "other.ipynb")


def test_without_a_session_name_the_root_is_found_from_the_kernels_folder(
    shell, tmp_path, monkeypatch
) -> None:
    """jupyter_server starts a kernel in its notebook's folder."""
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "renamed.ipynb").write_text("{}")
    monkeypatch.chdir(tmp_path / "work")
    browser = notebook_view.BrowserLink(shell)
    browser.receive("window", None, full(cell("a"), path="work/renamed.ipynb"))
    assert browser.file_path(browser.view("window")) == str(tmp_path / "work" / "renamed.ipynb")
    browser.receive("window", None, patch(1, {"op": "path", "path": "elsewhere/x.ipynb"}))
    assert browser.file_path(browser.view("window")) == str(tmp_path / "elsewhere" / "x.ipynb")


def test_a_path_that_names_no_file_under_any_root_gives_none(browser, tmp_path) -> None:
    browser.receive("window", None, full(cell("a"), path="nowhere/nb.ipynb"))
    assert browser.file_path(browser.view("window")) is None

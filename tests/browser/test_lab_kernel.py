"""The kernel sees the notebook the browser holds: with `%load_ext nb_discipline` in a real kernel
of a real JupyterLab, live warnings, `%%production --strict` and `%nbcheck` judge the cells as the
browser holds them (unsaved, reordered, renamed) and number them as the panel does."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_lab import cell, open_notebook
from tests.builders import code, markdown, write_notebook

RAN = re.compile(r"\[\d+\]")
DOCMANAGER = "@jupyterlab/docmanager-extension:plugin"


def put_plugin_settings(lab, plugin: str, values: dict) -> None:
    request = urllib.request.Request(
        f"{lab.url}lab/api/settings/{plugin}",
        data=json.dumps({"raw": json.dumps(values)}).encode(),
        method="PUT",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).read()


@pytest.fixture
def no_autosave(lab):
    """What the kernel judges must be the browser's cells, not a file autosave wrote."""
    put_plugin_settings(lab, DOCMANAGER, {"autosave": False})
    yield
    put_plugin_settings(lab, DOCMANAGER, {})


def wait_for_the_kernel(lab, path: str) -> None:
    """Until the server says the notebook's kernel is idle with the page connected to it: a cell
    run before the page has its kernel does not run (and the toolbar may say idle before)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{lab.url}api/sessions?token={lab.token}", timeout=10) as got:
            sessions = json.load(got)
        for session in sessions:
            kernel = session["kernel"]
            if (
                session["path"] == path
                and kernel["connections"]
                and (kernel["execution_state"] == "idle")
            ):
                return
        time.sleep(0.2)
    pytest.fail(f"no idle kernel with the page connected for {path} within 60 s")


def current_tab(page):
    return page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")


def edit(page, index: int, text: str) -> None:
    """Replace the source of the cell at `index` by typing, as a user does."""
    target = cell(page, index)
    target.scroll_into_view_if_needed()
    target.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.type(text)
    page.keyboard.press("Escape")


def run(page, index: int) -> str:
    """Run the cell at `index` (Ctrl+Enter) and return the text of its outputs."""
    target = cell(page, index)
    target.scroll_into_view_if_needed()
    target.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Enter")
    expect(target.locator(".jp-InputPrompt")).to_have_text(RAN, timeout=60_000)
    return target.locator(".jp-Cell-outputArea").inner_text()


def panel_finding(page, code_: str):
    page.locator(".nbd-toolbar-count:visible").click()
    return page.locator(f'#nb-discipline-panel .nbd-group[data-code="{code_}"] .nbd-finding')


def test_an_unsaved_notebook_warns_live_with_the_panels_cell_numbers(
    page, lab, no_autosave, screenshot
):
    page.goto(f"{lab.url}lab?token={lab.token}&reset")
    page.locator('.jp-LauncherCard[data-category="Notebook"]').first.click()
    expect(current_tab(page)).to_have_text(re.compile(r"\.ipynb$"), timeout=60_000)
    wait_for_the_kernel(lab, current_tab(page).inner_text())
    first = cell(page, 1)
    first.locator(".cm-content").click()
    page.keyboard.type("%load_ext nb_discipline")
    for kind, text in (("m", "# Notes"), ("y", "z = w + 1"), ("y", "w = 5")):
        page.keyboard.press("Escape")
        page.keyboard.press("b")  # a new cell below
        page.keyboard.press(kind)
        page.keyboard.press("Enter")
        page.keyboard.type(text)
    page.keyboard.press("Escape")
    run(page, 1)
    run(page, 4)
    output = run(page, 3)
    assert "`w` was last set by cell 4, below this one (cell 3)" in output
    saved = (lab.root / current_tab(page).inner_text()).read_text()
    assert "z = w + 1" not in saved  # the kernel judged the cells the browser holds

    finding = panel_finding(page, "NBD201")
    expect(finding).to_have_count(1, timeout=30_000)
    expect(finding.locator(".nbd-where")).to_have_text(re.compile(r"^cell 3:"))
    expect(finding.locator(".nbd-message")).to_contain_text("bound only in cell 4 below")
    screenshot(page, "jupyterlab-kernel-live-warning")


def test_after_a_rename_nbcheck_checks_the_notebook_under_its_new_path(page, lab, no_autosave):
    """A rename keeps the kernel, which was started for the old name (JPY_SESSION_NAME). JupyterLab
    4.6's Save As instead opens the copy in a new session, with a kernel of its own."""
    write_notebook(
        lab.root / "before_rename.ipynb",
        code("%load_ext nb_discipline"),
        code("print(late)"),
        code("late = 1"),
        code("%nbcheck --output-format concise --color never"),
    )
    open_notebook(page, lab, "before_rename.ipynb")
    wait_for_the_kernel(lab, "before_rename.ipynb")
    run(page, 1)
    page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
    page.locator(".lm-Menu-itemLabel", has_text="Rename Notebook…").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("after_rename.ipynb")
    dialog.get_by_role("button", name="Rename").click()
    expect(current_tab(page)).to_have_text("after_rename.ipynb", timeout=30_000)
    edit(page, 2, "print(late * 2)")  # unsaved, after the save
    output = run(page, 4)
    assert output.startswith("after_rename.ipynb:cell 2:1:7: NBD201 Cell 2 reads `late`"), output
    assert "cannot tell which notebook" not in output
    assert "checked the notebook as the browser holds it" in output


def test_a_moved_cell_is_numbered_by_production_strict_as_the_panel_numbers_it(
    page, lab, no_autosave, screenshot
):
    write_notebook(
        lab.root / "reordered.ipynb",
        markdown("# Training"),
        markdown("We fit the model on the data loaded below."),
        code("%load_ext nb_discipline"),
        code("data = [1, 2]\ndef fit(rows):\n    return sum(rows)"),
        code("%%production --strict\nmodel = fit(data)"),
    )
    open_notebook(page, lab, "reordered.ipynb")
    wait_for_the_kernel(lab, "reordered.ipynb")
    run(page, 3)
    run(page, 4)
    moved = cell(page, 5)
    moved.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Shift+ArrowUp")  # notebook:move-cell-up
    expect(cell(page, 4).locator(".cm-content")).to_contain_text("%%production --strict")

    output = run(page, 4)
    assert "not running this cell" in output
    assert "cell 4:2:9: NBD201 Cell 4 reads `fit`, bound only in cell 5 below" in output
    finding = panel_finding(page, "NBD201").filter(has_text="`fit`")
    expect(finding.locator(".nbd-where")).to_have_text("cell 4:2:9", timeout=30_000)
    screenshot(page, "jupyterlab-kernel-production-strict")


def test_after_a_reload_and_a_restart_the_kernel_still_sees_the_browsers_cells(
    page, lab, no_autosave
):
    """A reloaded page finds the kernel's comm (the kernel opened it to the page before) and opens
    its own; a restarted kernel opens a new one when the extension loads again."""
    write_notebook(
        lab.root / "reloaded.ipynb",
        code("%load_ext nb_discipline"),
        code("z = w + 1"),
        code("w = 5"),
    )
    open_notebook(page, lab, "reloaded.ipynb")
    wait_for_the_kernel(lab, "reloaded.ipynb")
    run(page, 1)
    page.reload()
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
    wait_for_the_kernel(lab, "reloaded.ipynb")
    cell(page, 1).locator(".jp-InputPrompt").click()
    page.keyboard.press("a")  # an unsaved cell above: every cell below moves down one
    page.keyboard.press("m")
    page.keyboard.press("Enter")
    page.keyboard.type("# Title")
    page.keyboard.press("Escape")
    run(page, 4)
    assert "`w` was last set by cell 4, below this one (cell 3)" in run(page, 3)

    page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
    page.locator(".lm-Menu-itemLabel", has_text="Restart Kernel…").click()
    page.locator(".jp-Dialog").get_by_role("button", name="Confirm Kernel Restart").click()
    expect(page.locator(".jp-Dialog")).to_have_count(0)
    wait_for_the_kernel(lab, "reloaded.ipynb")
    edit(page, 4, "w = 6")
    run(page, 2)
    expect(cell(page, 2).locator(".jp-InputPrompt")).to_have_text("[1]:")  # the new kernel's
    run(page, 4)
    assert "`w` was last set by cell 4, below this one (cell 3)" in run(page, 3)


def test_notebook_7_sends_the_kernel_its_cells_too(page, lab, no_autosave):
    write_notebook(
        lab.root / "notebook7.ipynb",
        code("%load_ext nb_discipline"),
        code("w = 5"),
        code("z = w + 1"),
    )
    page.goto(f"{lab.url}notebooks/notebook7.ipynb?token={lab.token}")
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
    wait_for_the_kernel(lab, "notebook7.ipynb")
    run(page, 1)
    run(page, 2)
    moved = cell(page, 3)
    moved.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Shift+ArrowUp")  # unsaved: above the cell that sets `w`
    expect(cell(page, 2).locator(".cm-content")).to_contain_text("z = w + 1")
    assert "`w` was last set by cell 3, below this one (cell 2)" in run(page, 2)


def comm_frames(page) -> list[bytes]:
    """Collects the frames the page sends that carry the notebook comm's `full` or `patch`."""
    frames: list[bytes] = []

    def sent(payload) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        if b'"comm_msg"' in data and re.search(rb'"type":\s*"(full|patch)"', data):
            frames.append(data)

    page.on("websocket", lambda socket: socket.on("framesent", sent))
    return frames


def test_typing_in_a_500_cell_notebook_sends_the_edited_cell_only(page, lab, no_autosave):
    cells = [
        code("%load_ext nb_discipline"),
        code("%nbcheck --select NBD201 --output-format concise --color never"),
    ]
    cells += [code(f"value_{index} = {index}\nprint(value_{index})") for index in range(3, 501)]
    cells[399] = code("later = 1")
    write_notebook(lab.root / "large.ipynb", *cells)
    frames = comm_frames(page)
    open_notebook(page, lab, "large.ipynb")
    wait_for_the_kernel(lab, "large.ipynb")
    run(page, 1)
    page.wait_for_timeout(1000)  # and the patch of cell 1's execution count, 300 ms after
    assert b'"type":"full"' in frames[0], "the whole notebook when the kernel opens the comm"
    assert all(b'"type":"patch"' in frame for frame in frames[1:])
    full = len(frames[0])
    typing_starts = len(frames)

    target = cell(page, 250)
    target.scroll_into_view_if_needed()
    target.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    typed = "\nprint(later)  # "
    typed += "x" * (100 - len(typed))
    started = time.monotonic()
    page.keyboard.type(typed, delay=100)
    seconds = time.monotonic() - started
    page.wait_for_timeout(1000)  # the last patch goes out 300 ms after the last key
    sizes = [len(frame) for frame in frames[typing_starts:]]
    figures = {
        "cells": len(cells),
        "full_message_bytes": full,
        "characters_typed": len(typed),
        "typing_seconds": round(seconds, 1),
        "patch_messages": len(sizes),
        "patch_bytes": sum(sizes),
        "largest_patch_bytes": max(sizes),
    }
    print("nb_discipline.notebook comm, typing in a 500-cell notebook:", json.dumps(figures))
    assert 1 <= len(sizes) <= len(typed)
    assert max(sizes) < 2000 < full  # a patch carries the edited cell, not the notebook

    # The kernel holds what the browser holds: the edited cell, in its place.
    output = run(page, 2)
    assert "cell 250:3:7: NBD201 Cell 250 reads `later`, bound only in cell 400 below" in output


def test_the_browser_sends_the_whole_notebook_again_when_the_kernel_asks(page, lab, no_autosave):
    write_notebook(
        lab.root / "resync.ipynb",
        code("%load_ext nb_discipline"),
        code(
            "for channel in get_ipython()._nb_discipline_extension.browser.comms.values():\n"
            '    channel.send({"type": "resync"})'
        ),
    )
    frames = comm_frames(page)
    open_notebook(page, lab, "resync.ipynb")
    wait_for_the_kernel(lab, "resync.ipynb")
    run(page, 1)
    page.wait_for_timeout(1000)
    fulls = [frame for frame in frames if b'"type":"full"' in frame]
    assert len(fulls) == 1
    run(page, 2)
    page.wait_for_timeout(1000)
    fulls = [frame for frame in frames if b'"type":"full"' in frame]
    assert len(fulls) == 2


def test_the_kernel_sees_the_error_an_unsaved_run_left(page, lab, no_autosave):
    """Outputs travel without their data (type, and an error's name and value): `%nbcheck` in the
    kernel reports the error output a run just left, which the file on disk does not have."""
    write_notebook(
        lab.root / "errors.ipynb",
        code("%load_ext nb_discipline"),
        code("1 / 0"),
        code("%nbcheck --select NBD104 --output-format concise --color never"),
    )
    open_notebook(page, lab, "errors.ipynb")
    wait_for_the_kernel(lab, "errors.ipynb")
    run(page, 1)
    assert "ZeroDivisionError" in run(page, 2)
    output = run(page, 3)
    assert output.startswith("errors.ipynb:cell 2:1:1: NBD104"), output
    assert "ZeroDivisionError" in output

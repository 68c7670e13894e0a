"""Fixes in JupyterLab: a finding's fix button edits the cell in the browser (undoable, unsaved),
and the panel's "Fix all" buttons apply every fix the lab can."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_lab import FINDING, cell, open_notebook, put_settings
from tests.builders import code, write_notebook

# 🎲 is one character for Python and two UTF-16 code units for the browser: an edit placed by
# UTF-16 offsets would land one character early, `default_rng42()`.
UNSEEDED_LINE = 'label = "données 🎲"; rng = np.random.default_rng()'
SEEDED_LINE = 'label = "données 🎲"; rng = np.random.default_rng(42)'


def editor_text(page, index: int) -> str:
    return cell(page, index).locator(".cm-content").inner_text()


def test_a_fix_beside_the_cell_edits_it_unsaved_and_ctrl_z_undoes_it(page, lab, screenshot):
    path = write_notebook(
        lab.root / "unseeded.ipynb",
        code("import numpy as np", count=1),
        code(f"{UNSEEDED_LINE}\nrng.random()", count=2),
    )
    saved = path.read_bytes()
    open_notebook(page, lab, "unseeded.ipynb")
    marker = cell(page, 2).locator(f'{FINDING}[data-code="NBD302"]')
    fix = marker.locator(".nbd-fix-button")
    expect(fix).to_have_text("Fix (unsafe)")
    expect(fix).to_have_attribute(
        "title", re.compile(r"Unsafe fix: it may change what the notebook does\. Ctrl\+Z")
    )
    screenshot(page, "jupyterlab-fix-button")

    fix.click()
    expect(cell(page, 2).locator(".cm-line").first).to_have_text(SEEDED_LINE)
    expect(marker).to_have_count(0, timeout=15_000)
    assert path.read_bytes() == saved  # nothing written until the user saves
    screenshot(page, "jupyterlab-fixed-by-button")

    cell(page, 2).locator(".cm-content").click()
    page.keyboard.press("Control+z")
    expect(cell(page, 2).locator(".cm-line").first).to_have_text(UNSEEDED_LINE)
    expect(marker).to_have_count(1, timeout=15_000)


def test_fix_all_safe_then_fix_all_including_unsafe(page, lab, screenshot):
    folder = lab.root / "fix_all"
    folder.mkdir()
    (folder / "requirements.txt").write_text("requests==2.31.0\nnumpy==1.26.4\n")
    path = write_notebook(
        folder / "installs.ipynb",
        code("!pip install requests numpy", count=1),
        code(
            "import numpy as np\nimport pandas\nimport requests\nrng = np.random.default_rng()",
            count=2,
        ),
    )
    saved = path.read_bytes()
    open_notebook(page, lab, "fix_all/installs.ipynb")
    page.locator(".nbd-toolbar-count:visible").click()
    panel = page.locator("#nb-discipline-panel")
    safe = panel.locator(".nbd-fix-all-safe")
    unsafe = panel.locator(".nbd-fix-all-unsafe")
    # Two NBD403 findings (safe: the project pins both), one NBD302 (unsafe: a seed), and one
    # NBD402 whose fix writes into requirements.txt: the command line applies that one.
    expect(safe).to_have_text("Fix all safe (2)")
    expect(unsafe).to_have_text("Fix all, including unsafe (3)")
    expect(panel.locator(".nbd-finding-row .nbd-fix-button")).to_have_count(3)
    undeclared = panel.locator('.nbd-group[data-code="NBD402"] .nbd-finding-row')
    expect(undeclared.locator(".nbd-fix-button")).to_have_count(0)
    expect(undeclared.locator(".nbd-fix-command")).to_have_text(
        re.compile(
            r"^Declare `pandas==[\w.]+` in requirements\.txt: run `nbcheck --fix --unsafe-fixes` "
            r"\(it edits fix_all/requirements\.txt\)$"
        )
    )
    screenshot(page, "jupyterlab-fix-all")

    # Both findings' fixes turn `!pip` into `%pip`: the line gets it once.
    safe.click()
    expect(cell(page, 1).locator(".cm-content")).to_have_text(
        "%pip install requests==2.31.0 numpy==1.26.4"
    )
    expect(panel.locator(".nbd-fix-status")).to_have_text("Applied 2 fixes.")
    expect(panel.locator('.nbd-group[data-code="NBD403"]')).to_have_count(0)
    expect(safe).to_be_disabled()
    expect(unsafe).to_have_text("Fix all, including unsafe (1)")

    unsafe.click()
    expect(cell(page, 2).locator(".cm-line").nth(3)).to_have_text("rng = np.random.default_rng(42)")
    expect(panel.locator(".nbd-panel-summary")).to_have_text("installs.ipynb: 1 finding")
    expect(panel.locator(".nbd-fix-all")).to_have_count(0)
    assert (folder / "requirements.txt").read_text() == "requests==2.31.0\nnumpy==1.26.4\n"
    assert path.read_bytes() == saved
    screenshot(page, "jupyterlab-fixed-all")


def test_a_fix_is_not_applied_to_a_cell_changed_since_the_check(page, lab):
    # Edits are positions in the source that was checked: in a cell edited since, they could
    # land anywhere. A long delay keeps the edit below unchecked when the fix is clicked.
    try:
        put_settings(lab, {"delay": 60_000})
        write_notebook(
            lab.root / "stale.ipynb",
            code("import numpy as np", count=1),
            code("rng = np.random.default_rng()", count=2),
        )
        open_notebook(page, lab, "stale.ipynb")
        marker = cell(page, 2).locator(f'{FINDING}[data-code="NBD302"]')
        expect(marker.locator(".nbd-fix-button")).to_be_visible()
        cell(page, 2).locator(".cm-content").click()
        page.keyboard.press("Control+Home")
        page.keyboard.type("# the user's line\n")
        marker.locator(".nbd-fix-button").click()
        page.locator(".nbd-toolbar-count:visible").click()
        status = page.locator("#nb-discipline-panel .nbd-fix-status")
        expect(status).to_have_text(
            "Nothing applied: cell 2 changed since the last check. Checked again: try again."
        )
        lines = cell(page, 2).locator(".cm-line")
        expect(lines).to_have_text(["# the user's line", "rng = np.random.default_rng()"])
        # A cell that runs changes counts, outputs and the kernel's metadata, not the code the
        # status speaks of: it stays (a kernel connecting late used to take it away).
        cell(page, 1).locator(".cm-content").click()
        page.keyboard.press("Control+Enter")
        expect(cell(page, 1).locator(".jp-InputPrompt")).not_to_have_text("[1]:")
        expect(cell(page, 1).locator(".jp-InputPrompt")).not_to_have_text("[*]:")
        expect(status).to_have_text(
            "Nothing applied: cell 2 changed since the last check. Checked again: try again."
        )

        # The check it ran has the finding at its new place: its fix applies there.
        marker.locator(".nbd-fix-button").click()
        expect(lines).to_have_text(["# the user's line", "rng = np.random.default_rng(42)"])
        expect(status).to_have_text("Applied 1 fix.")
        # It said what the last fix did: the next edit takes it away.
        cell(page, 1).locator(".cm-content").click()
        page.keyboard.type(" ")
        expect(status).to_have_count(0)
    finally:
        put_settings(lab, {})

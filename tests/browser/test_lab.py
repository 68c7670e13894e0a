"""What a user sees in JupyterLab: markers beside the cells, the panel, the reproducibility check."""

from __future__ import annotations

import json
import re
import urllib.request

from playwright.sync_api import expect

from nb_discipline.rules import RULES
from tests.builders import code, write_notebook

FINDING = ".nbd-cell-finding"


def found_by_nbcheck(path) -> list:
    from nb_discipline.config import load_settings
    from nb_discipline.engine import check
    from nb_discipline.loader import load

    return check(load(str(path)), load_settings(None, start=str(path.parent)))


def open_notebook(page, lab, path: str):
    """Open a notebook and wait for its first check (it runs as soon as the notebook opens)."""
    page.goto(lab.tree_url(path))
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
    count = page.locator(".nbd-toolbar-count:visible")
    expect(count).not_to_have_attribute("data-checks", "0", timeout=30_000)
    return count


def cell(page, index: int):
    """The cell at a 1-based position (the numbering of the findings)."""
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index - 1)


def test_markers_appear_beside_the_cells_and_go_when_fixed(page, lab, screenshot):
    count = open_notebook(page, lab, "sins.ipynb")
    expect(count).to_have_text(f"NBD {len(found_by_nbcheck(lab.root / 'sins.ipynb'))}")
    path_cell = cell(page, 9)
    path_cell.scroll_into_view_if_needed()
    marker = path_cell.locator(f'{FINDING}[data-code="NBD501"]')
    expect(marker).to_contain_text("Absolute path `/home/alice/data/churn_clean.csv`")
    # Coloured by severity, and the offending line highlighted in the editor.
    expect(marker).to_have_class(re.compile(r"nbd-severity-warning"))
    expect(path_cell.locator(".cm-line.nbd-line")).to_have_count(1)
    error_cell = cell(page, 6)
    expect(error_cell.locator(f'{FINDING}[data-code="NBD104"]')).to_have_class(
        re.compile(r"nbd-severity-error")
    )
    screenshot(page, "jupyterlab-markers")

    # Fix the cell in the editor (unsaved): its marker goes within a few seconds.
    path_cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.type('df.assign(scaled=scaled).to_csv("churn_clean.csv")')
    expect(marker).to_have_count(0, timeout=15_000)
    expect(cell(page, 6).locator(f'{FINDING}[data-code="NBD104"]')).to_have_count(1)
    screenshot(page, "jupyterlab-fixed")

    # Run the never-run cell 4 in a fresh kernel: it fails (`df` is undefined there), and after
    # the run its markers say so instead of "never run".
    never_run = cell(page, 4)
    expect(never_run.locator(f'{FINDING}[data-code="NBD102"]')).to_have_count(1)
    never_run.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Enter")
    expect(never_run.locator(f'{FINDING}[data-code="NBD104"]')).to_contain_text(
        "NameError", timeout=60_000
    )
    expect(never_run.locator(f'{FINDING}[data-code="NBD102"]')).to_have_count(0)


def test_the_panel_groups_findings_by_rule_shows_docs_and_jumps_to_the_cell(page, lab, screenshot):
    open_notebook(page, lab, "sins.ipynb")
    page.locator(".nbd-toolbar-count:visible").click()
    panel = page.locator("#nb-discipline-panel")
    expect(panel).to_be_visible()
    group = panel.locator('.nbd-group[data-code="NBD303"]')
    screenshot(page, "jupyterlab-overview")
    expect(group.locator(".nbd-name")).to_have_text("missing-random-state")
    expect(panel.locator(".nbd-group")).to_have_count(
        len({d.code for d in found_by_nbcheck(lab.root / "sins.ipynb")})
    )

    group.locator(".nbd-docs-button").click()
    expect(group.locator(".nbd-docs")).to_contain_text("What it does")

    page.locator(".jp-NotebookPanel:visible .jp-Notebook").first.click(position={"x": 5, "y": 5})
    group.locator(".nbd-finding").first.click()
    active = page.locator(".jp-NotebookPanel:visible .jp-Cell.jp-mod-active")
    expect(active.locator(f'{FINDING}[data-code="NBD303"]')).to_have_count(1)
    screenshot(page, "jupyterlab-panel")

    page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
    expect(page.locator(".lm-Menu-itemLabel", has_text="Check reproducibility")).to_be_visible()
    page.keyboard.press("Escape")

    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("Show rule docs")
    page.keyboard.press("Enter")
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("nb-discipline rules")
    expect(dialog.locator(".nbd-rule-docs")).to_have_count(len(RULES))
    dialog.get_by_role("button", name="Close").click()


def test_check_reproducibility_shows_progress_the_verdict_and_what_differs(page, lab, screenshot):
    count = open_notebook(page, lab, "train_digits.ipynb")
    expect(count).to_have_text("NBD ✓")
    page.locator(".nbd-toolbar-repro:visible").click()
    panel = page.locator("#nb-discipline-panel")
    expect(panel.locator(".nbd-repro-progress")).to_contain_text("Run 1 of 1", timeout=60_000)
    screenshot(page, "jupyterlab-repro-progress")
    verdict = panel.locator(".nbd-verdict")
    expect(verdict).to_have_text("Reproduced", timeout=300_000)
    expect(panel.locator(".nbd-repro-summary")).to_contain_text("1 run and the baseline,")
    screenshot(page, "jupyterlab-repro-reproduced")

    # Change a parameter without saving: the check saves first, and the metrics now differ
    # from the committed baseline.
    parameters = cell(page, 2)
    parameters.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.type("seed = 42\ntest_size = 0.25\nC = 0.01")
    page.locator(".nbd-toolbar-repro:visible").click()
    expect(verdict).to_have_text("Differs", timeout=300_000)
    rows = panel.locator(".nbd-differences .nbd-difference")
    expect(rows.filter(has_text="accuracy").first).to_be_visible()
    expect(rows.filter(has_text="0.01").first).to_be_visible()
    # The difference and the tolerance come first, and stay in view in the panel.
    head = panel.locator(".nbd-differences th")
    expect(head.nth(1)).to_have_text("difference")
    expect(head.nth(2)).to_have_text("tolerance")
    tolerance = rows.first.locator("td").nth(2)
    assert tolerance.evaluate(
        "cell => cell.getBoundingClientRect().right <= "
        "document.querySelector('#nb-discipline-panel').getBoundingClientRect().right"
    )
    screenshot(page, "jupyterlab-repro-differs")
    assert "C = 0.01" in (lab.root / "train_digits.ipynb").read_text()


def test_notebook_7_shows_the_same_markers_count_and_panel(page, lab, screenshot):
    page.goto(f"{lab.url}notebooks/sins.ipynb?token={lab.token}")
    count = page.locator(".nbd-toolbar-count:visible")
    expect(count).not_to_have_attribute("data-checks", "0", timeout=60_000)
    expect(count).to_have_text(f"NBD {len(found_by_nbcheck(lab.root / 'sins.ipynb'))}")
    expect(cell(page, 6).locator(f'{FINDING}[data-code="NBD104"]')).to_have_count(1)
    count.click()
    expect(page.locator("#nb-discipline-panel .nbd-group").first).to_be_visible()
    screenshot(page, "notebook7")


def put_settings(lab, values: dict) -> None:
    """Store the extension's user settings, as the Settings Editor does."""
    request = urllib.request.Request(
        f"{lab.url}lab/api/settings/nb-discipline:plugin",
        data=json.dumps({"raw": json.dumps(values)}).encode(),
        method="PUT",
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=30).read()


def test_settings_select_rules_and_turn_automatic_checks_off(page, lab):
    try:
        put_settings(lab, {"select": ["NBD501"]})
        count = open_notebook(page, lab, "sins.ipynb")
        expect(count).to_have_text("NBD 1")
        path_cell = cell(page, 9)
        path_cell.scroll_into_view_if_needed()
        expect(path_cell.locator(f'{FINDING}[data-code="NBD501"]')).to_have_count(1)
        expect(page.locator(f'{FINDING}:not([data-code="NBD501"])')).to_have_count(0)

        put_settings(lab, {"enabled": False})
        page.reload()
        count = page.locator(".nbd-toolbar-count:visible")
        expect(count).to_have_text("NBD off", timeout=60_000)
        expect(page.locator(FINDING)).to_have_count(0)
        # Checking on demand still works.
        count.click()
        page.locator("#nb-discipline-panel .nbd-check-button").click()
        expected = len(found_by_nbcheck(lab.root / "sins.ipynb"))
        expect(count).to_have_text(f"NBD {expected}", timeout=30_000)

        # Only on save: an edit leaves the findings alone until the notebook is saved.
        put_settings(lab, {"checkOn": "save"})
        page.reload()
        count = open_notebook(page, lab, "sins.ipynb")
        path_cell = cell(page, 9)
        path_cell.scroll_into_view_if_needed()
        marker = path_cell.locator(f'{FINDING}[data-code="NBD501"]')
        expect(marker).to_have_count(1)
        path_cell.locator(".cm-content").click()
        page.keyboard.press("Control+a")
        page.keyboard.type('df.assign(scaled=scaled).to_csv("churn_clean.csv")')
        page.wait_for_timeout(3000)  # three times the delay after an edit
        expect(marker).to_have_count(1)
        page.keyboard.press("Control+s")
        expect(marker).to_have_count(0, timeout=15_000)
        expect(count).to_have_text(f"NBD {expected - 1}")
    finally:
        put_settings(lab, {})


def test_the_panel_says_when_the_selection_leaves_no_rule(page, lab):
    # Nothing found because nothing was looked for is not a clean notebook.
    try:
        put_settings(lab, {"select": ["NBD5"], "ignore": ["NBD5"]})
        count = open_notebook(page, lab, "sins.ipynb")
        expect(count).to_have_text("NBD –")
        count.click()
        summary = page.locator("#nb-discipline-panel .nbd-panel-summary")
        expect(summary).to_have_text(
            "sins.ipynb: no rules selected "
            "(the select and ignore settings and the project leave none)"
        )
    finally:
        put_settings(lab, {})


def test_the_reproducibility_check_shows_its_warnings(page, lab):
    write_notebook(
        lab.root / "installs.ipynb",
        code("%pip install --no-index --dry-run pip", count=1),
        code("print('done')", count=2),
    )
    open_notebook(page, lab, "installs.ipynb")
    page.locator(".nbd-toolbar-repro:visible").click()
    panel = page.locator("#nb-discipline-panel")
    warning = panel.locator(".nbd-repro-warning")
    expect(warning).to_have_text(
        "cell 1 runs `%pip install --no-index --dry-run pip`, which may install packages into "
        "the kernel's environment (--skip-install-cells runs such cells as no-ops)",
        timeout=60_000,
    )
    expect(panel.locator(".nbd-verdict")).to_be_visible(timeout=300_000)
    expect(warning).to_have_count(1)

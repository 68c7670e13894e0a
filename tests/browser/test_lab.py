"""What a user sees in JupyterLab: markers beside the cells, the panel, the reproducibility check."""

from __future__ import annotations

import re

import pytest

playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
expect = playwright_api.expect

FINDING = ".nbd-cell-finding"


def codes_found_by_nbcheck(path) -> set[str]:
    from nb_discipline.config import load_settings
    from nb_discipline.engine import check
    from nb_discipline.loader import load

    return {d.code for d in check(load(str(path)), load_settings(None, start=str(path.parent)))}


def open_notebook(page, lab, path: str):
    page.goto(lab.tree_url(path))
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=60_000)
    # The first check runs as soon as the notebook is open.
    page.locator(FINDING).first.wait_for(timeout=30_000)


def cell(page, index: int):
    """The cell at a 1-based position (the numbering of the findings)."""
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index - 1)


def test_markers_appear_beside_the_cells_and_go_when_fixed(page, lab, screenshot):
    open_notebook(page, lab, "sins.ipynb")
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
    expect(page.locator(".nbd-toolbar-count:visible")).to_have_text(re.compile(r"NBD \d+"))
    screenshot(page, "jupyterlab-markers")

    # Fix the cell in the editor (unsaved): its marker goes within a few seconds.
    path_cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.type('df.assign(scaled=scaled).to_csv("churn_clean.csv")')
    expect(marker).to_have_count(0, timeout=15_000)
    expect(cell(page, 6).locator(f'{FINDING}[data-code="NBD104"]')).to_have_count(1)
    screenshot(page, "jupyterlab-fixed")


def test_the_panel_groups_findings_by_rule_shows_docs_and_jumps_to_the_cell(page, lab, screenshot):
    open_notebook(page, lab, "sins.ipynb")
    page.locator(".nbd-toolbar-count:visible").click()
    panel = page.locator("#nb-discipline-panel")
    expect(panel).to_be_visible()
    group = panel.locator('.nbd-group[data-code="NBD303"]')
    expect(group.locator(".nbd-name")).to_have_text("missing-random-state")
    expect(panel.locator(".nbd-group")).to_have_count(
        len(codes_found_by_nbcheck(lab.root / "sins.ipynb"))
    )

    group.locator(".nbd-docs-button").click()
    expect(group.locator(".nbd-docs")).to_contain_text("What it does")

    page.locator(".jp-NotebookPanel:visible .jp-Notebook").first.click(position={"x": 5, "y": 5})
    group.locator(".nbd-finding").first.click()
    active = page.locator(".jp-NotebookPanel:visible .jp-Cell.jp-mod-active")
    expect(active.locator(f'{FINDING}[data-code="NBD303"]')).to_have_count(1)
    screenshot(page, "jupyterlab-panel")

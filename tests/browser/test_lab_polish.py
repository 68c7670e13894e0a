"""What the panel, the menus and the settings show in the cases a tour of JupyterLab found wrong:
an invalid selection, the Run menu, the settings form, a narrow panel, the reproducibility verdict
and the data it read."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import REPO
from tests.browser.test_lab import FINDING, open_notebook, put_settings
from tests.builders import code, write_notebook


def open_settings(page):
    """The settings form of the extension, in the Settings Editor."""
    page.keyboard.press("Control+,")
    page.locator(".jp-PluginList-entry", has_text="nb-discipline").first.click()
    form = page.locator(".jp-SettingsForm").first
    expect(form.get_by_text("Select rules", exact=True).first).to_be_visible(timeout=30_000)
    return form


def test_an_invalid_select_clears_the_findings_while_the_error_stands(page, lab):
    count = open_notebook(page, lab, "sins.ipynb")
    expect(page.locator(FINDING).first).to_be_visible()
    status = page.locator(".nbd-status-count")
    try:
        form = open_settings(page)
        select = form.locator(".jp-arrayFieldWrapper").filter(has_text="Select rules")
        select.get_by_role("button", name="Add").click()
        select.locator("input").last.fill("NBD999")
        select.locator("input").last.press("Tab")
        page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="sins.ipynb").click()
        expect(count).to_have_text("NBD ?", timeout=30_000)
        expect(page.locator(FINDING)).to_have_count(0)
        expect(status).to_have_text("nb-discipline: error")
        expect(status).to_have_attribute("title", "unknown rule selector `NBD999`")
        count.click()
        panel = page.locator("#nb-discipline-panel")
        expect(panel.locator(".nbd-error")).to_contain_text("NBD999")
        expect(panel.locator(".nbd-group")).to_have_count(0)
    finally:
        put_settings(lab, {})


def test_the_run_menu_has_the_checks_in_a_group_of_their_own_with_no_check_mark(page, lab):
    open_notebook(page, lab, "sins.ipynb")
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
    item = page.locator(".lm-Menu-item", has_text="Check notebook")
    expect(item).to_be_visible()
    expect(item.locator(".lm-Menu-itemIcon svg")).to_have_count(0)
    expect(item).not_to_have_class("lm-mod-toggled")
    before = item.evaluate("node => node.previousElementSibling.dataset.type")
    assert before == "separator"
    following = page.locator(".lm-Menu-item", has_text="Check reproducibility")
    assert item.evaluate(
        "(node, next) => node.nextElementSibling === next", following.element_handle()
    )
    page.keyboard.press("Escape")


def test_the_settings_form_shows_each_description_once(page, lab):
    open_notebook(page, lab, "sins.ipynb")
    form = open_settings(page)
    for description in (
        "Rule codes, prefixes (NBD3), names or ALL. Empty: the project's configuration decides.",
        "Added to the project's ignore list.",
    ):
        expect(form.get_by_text(description, exact=True).locator("visible=true")).to_have_count(1)


def test_a_narrow_panel_cuts_names_and_paths_and_scrolls_code(page, lab, screenshot):
    count = open_notebook(page, lab, "sins.ipynb")
    count.click()
    panel = page.locator("#nb-discipline-panel")
    group = panel.locator('.nbd-group[data-code="NBD303"]')
    group.locator(".nbd-docs-button").click()
    code = group.locator(".nbd-rule-docs pre").first
    expect(code).to_be_visible(timeout=30_000)
    assert code.evaluate("node => getComputedStyle(node).whiteSpace") == "pre"
    assert code.evaluate("node => getComputedStyle(node).overflowX") == "auto"
    assert code.locator("code").evaluate("node => getComputedStyle(node).whiteSpace") == "pre"
    name = group.locator(".nbd-name")
    expect(name).to_have_attribute("title", "missing-random-state")
    assert name.evaluate("node => getComputedStyle(node).textOverflow") == "ellipsis"
    expect(panel.locator(".nbd-notebook-name")).to_have_attribute("title", "sins.ipynb")
    # Nothing runs off the panel's edge: it never scrolls sideways.
    assert panel.evaluate("node => node.scrollWidth <= node.clientWidth")
    screenshot(page, "jupyterlab-narrow-panel")


def test_the_verdict_says_the_baseline_it_used_relative_to_the_server_root(page, lab):
    # The notebook as committed: an earlier test saves a changed parameter into the lab's copy.
    shutil.copyfile(REPO / "examples" / "train_digits.ipynb", lab.root / "train_digits.ipynb")
    open_notebook(page, lab, "train_digits.ipynb")
    page.locator(".nbd-toolbar-repro:visible").click()
    panel = page.locator("#nb-discipline-panel")
    expect(panel.locator(".nbd-verdict")).to_have_text("Reproduced", timeout=300_000)
    expect(panel.locator(".nbd-repro-summary")).to_contain_text("1 run and the baseline,")
    baseline = panel.locator(".nbd-repro-baseline")
    expect(baseline).to_have_text("Baseline: train_digits.repro.json")
    assert str(lab.root) not in panel.inner_text()


def test_the_verdict_says_first_which_data_file_changed_since_the_baseline(page, lab):
    (lab.root / "prices.csv").write_text("price\n1\n2\n")
    write_notebook(
        lab.root / "prices.ipynb",
        code('import csv\nrows = list(csv.DictReader(open("prices.csv")))', count=1),
        code('print(sum(float(row["price"]) for row in rows))', count=2),
    )
    nbcheck = Path(sys.executable).parent / "nbcheck"
    subprocess.run(
        [nbcheck, "repro", "prices.ipynb", "--runs", "2", "--update-baseline"],
        cwd=lab.root,
        check=True,
    )
    (lab.root / "prices.csv").write_text("price\n1\n5\n")
    open_notebook(page, lab, "prices.ipynb")
    page.locator(".nbd-toolbar-repro:visible").click()
    panel = page.locator("#nb-discipline-panel")
    expect(panel.locator(".nbd-verdict")).to_have_text("Differs", timeout=300_000)
    change = panel.locator(".nbd-data-change")
    expect(change).to_contain_text("prices.csv changed since the baseline (sha256 ")
    # Before the table of what differs, as the text report says it first.
    assert change.evaluate(
        "node => Boolean(node.compareDocumentPosition("
        "document.querySelector('#nb-discipline-panel .nbd-differences')) & 4)"
    )

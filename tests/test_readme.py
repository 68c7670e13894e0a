"""The documentation's console examples are run, and print what the documentation says they print.

A fenced block opened with ```console in README.md or docs/*.md is an example: each line starting
with `$ ` is a command, run by bash in a fresh copy of the repository's examples/ and
pyproject.toml (a git repository, as a clone is), and the lines up to the next command are its
output, stdout and stderr as a terminal shows them, compared exactly. Only what changes from run to run by its nature is
normalised, in both texts: durations printed as `[34.5 s]` or `(14.0 s)`. Commands the reader runs
for effect (installs, servers) are shown in ```bash blocks, which are not run; no other block may
show a finding line, so every finding the documentation shows is one of these examples.

After a deliberate change of what a command prints, `NBD_UPDATE_DOCS=1 pytest tests/test_readme.py`
writes what the commands print into the pages; read the diff before committing it.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nb_discipline.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# What an example works on, as a fresh clone has it (a git repository): the repository's examples,
# and the pyproject.toml that makes their folder's parent the project root (it declares matplotlib,
# unpinned: NBD401 in sins.ipynb).
COPIED = ("examples", "pyproject.toml", ".gitignore")
DURATION = re.compile(r"(?<=[\[(])\d+(?:\.\d+)? s(?=[\])])")
FINDING = re.compile(r"^\S+\.ipynb:cell \d+:\d+:\d+: NBD\d{3} ", re.MULTILINE)
SEPARATOR = "\x1e"  # printed by the script between commands, as printf's \036


def _blocks(page: Path) -> list[tuple[str, int, str]]:
    """Every fenced block of a page: (info string, line of its opening fence, content)."""
    blocks = []
    info, start, lines = None, 0, []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if info is None and line.startswith("```"):
            info, start, lines = line[3:].strip(), number, []
        elif info is not None and line.rstrip() == "```":
            blocks.append((info, start, "\n".join(lines)))
            info = None
        elif info is not None:
            lines.append(line)
    assert info is None, f"{page.name}:{start}: a fenced block is never closed"
    return blocks


def _examples() -> list:
    return [
        pytest.param(page, line, text, id=f"{page.relative_to(ROOT)}:{line}")
        for page in PAGES
        for info, line, text in _blocks(page)
        if info == "console"
    ]


def _commands(text: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of one example."""
    pairs: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        else:
            assert pairs, f"an example starts with a command (`$ ...`), not {line!r}"
            pairs[-1][1].append(line)
    return [(command, "\n".join(output)) for command, output in pairs]


def _run(commands: list[str], cwd: Path) -> list[str]:
    """Each command's output, run one after another by one bash (so `echo $?` reads the last)."""
    script = "".join(
        f"{command} 2>&1\n__status=$?\nprintf '\\036'\n(exit $__status)\n" for command in commands
    )
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        # As a terminal shows it: stdout and stderr in the order they were written.
        "PYTHONUNBUFFERED": "1",
        "NO_COLOR": "1",
        "COLUMNS": "80",
        "XDG_CACHE_HOME": str(cwd.parent / "cache"),
    }
    for name in ("CI", "GITHUB_ACTIONS", "FORCE_COLOR", "MLFLOW_TRACKING_URI"):
        env.pop(name, None)
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.stderr == "", result.stderr
    outputs = result.stdout.split(SEPARATOR)
    assert outputs[-1] == "" and len(outputs) == len(commands) + 1, result.stdout
    return [output.removesuffix("\n") for output in outputs[:-1]]


def _normalised(text: str) -> str:
    return DURATION.sub("… s", text)


def _clone(work: Path) -> Path:
    """The files of COPIED that git tracks (with their changes), in a new repository's index."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *COPIED], cwd=ROOT, capture_output=True, text=True
    )
    if listed.returncode != 0:
        pytest.skip("the examples run in a copy of this project's git checkout")
    for name in listed.stdout.split("\0"):
        if name and (ROOT / name).is_file():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, work / name)
    for command in (["git", "init", "-q"], ["git", "add", "."]):
        subprocess.run(command, cwd=work, check=True, capture_output=True)
    return work


@pytest.mark.parametrize(("page", "line", "text"), _examples())
def test_console_example_prints_what_the_page_shows(page, line, text, tmp_path) -> None:
    work = _clone(tmp_path / "work")
    pairs = _commands(text)
    outputs = _run([command for command, _ in pairs], work)
    shown = "\n".join(f"$ {command}\n{output}".rstrip("\n") for command, output in pairs)
    printed = "\n".join(
        f"$ {command}\n{output}".rstrip("\n")
        for (command, _), output in zip(pairs, outputs, strict=True)
    )
    if os.environ.get("NBD_UPDATE_DOCS") and _normalised(printed) != _normalised(shown):
        _rewrite(page, line, text, printed)
    assert _normalised(printed) == _normalised(shown), (
        f"{page.name}:{line}: the example does not print what the page shows. It runs in a copy of "
        "examples/ (an illustration that cannot run there goes in a ```text block, said to be one)"
    )


def _rewrite(page: Path, line: int, text: str, printed: str) -> None:
    """Put what the example printed in place of what the page shows (NBD_UPDATE_DOCS)."""
    content = page.read_text(encoding="utf-8")
    shown = f"```console\n{text}\n```"
    assert content.count(shown) == 1, f"{page.name}:{line}: the example is not there once"
    page.write_text(content.replace(shown, f"```console\n{printed}\n```"), encoding="utf-8")


def test_every_finding_the_documentation_shows_is_a_tested_example() -> None:
    untested = [
        f"{page.relative_to(ROOT)}:{line}"
        for page in PAGES
        for info, line, text in _blocks(page)
        if info != "console" and FINDING.search(text)
    ]
    assert untested == []


def test_the_documentation_has_examples() -> None:
    pages = {example.values[0].relative_to(ROOT).as_posix() for example in _examples()}
    assert {"README.md", "docs/linting.md", "docs/rules.md", "docs/repro.md"} <= pages


def test_sins_breaks_every_rule_but_a_broken_dependency_file() -> None:
    """The README says so: examples/sins.ipynb shows every rule a notebook can show."""
    from nb_discipline.config import load_settings
    from nb_discipline.engine import check
    from nb_discipline.loader import load

    sins = ROOT / "examples" / "sins.ipynb"
    found = {d.code for d in check(load(str(sins)), load_settings(None, start=str(ROOT)))}
    assert found == {rule.code for rule in RULES} - {"NBD404"}


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_links_stay_inside_the_repository_and_lead_somewhere(page) -> None:
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if target.startswith(("https://", "http://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        assert resolved.is_relative_to(ROOT), f"{page.name}: {target} leaves the repository"
        assert resolved.exists(), f"{page.name}: {target} does not exist"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{page.name}: no heading #{anchor} in {path}"


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to dashes."""
    anchors = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_every_rule_has_its_row_in_the_rules_page() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    missing = [rule.code for rule in RULES if f"| {rule.code} | `{rule.name}` |" not in page]
    assert missing == []


@pytest.mark.parametrize("command", [["nbcheck"], ["nbcheck", "repro"]], ids=" ".join)
def test_every_option_is_in_the_configuration_page(command) -> None:
    from nb_discipline.cli import main

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    help_text = io.StringIO()
    with pytest.raises(SystemExit), contextlib.redirect_stdout(help_text):
        main([*command[1:], "--help"])
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", help_text.getvalue())) - {"--help"}
    assert sorted(option for option in options if f"`{option}" not in page) == []


def test_every_configuration_key_is_in_the_configuration_page() -> None:
    from nb_discipline.config import ReproSettings, Settings

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    keys = [*Settings._fields, *ReproSettings._fields]
    internal = {"root", "source", "repro"}
    missing = [
        key.replace("_", "-")
        for key in keys
        if key not in internal and f"`{key.replace('_', '-')}`" not in page
    ]
    assert missing == []

"""Every rule's documentation: the four sections, `nbcheck rule CODE`, and its examples checked.

The `## Example` and `## Use instead` code blocks are turned into notebooks. A line such as
`# cell 2, run as [1]`, `# cell 2, never run`, `# cell 2` or `# cell 1, output: ValueError: bad`
starts a cell; a block without such lines is one cell run as [1]. Lines before the first cell of
the form `# requirements.txt: pandas==2.2.3, seaborn==0.13.2` write a project file beside the
notebook, one comma-separated item a line. The rule alone must fire on the Example and stay
silent on Use instead.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nb_discipline.engine import check
from nb_discipline.loader import load
from nb_discipline.rules import RULES, Rule
from tests.builders import code, error_output, write_notebook

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Use instead")
CELL_MARKER = re.compile(
    r"# cell (?P<index>\d+)"
    r"(?:, run as \[(?P<count>\d+)\]|, (?P<never>never run)|, output: (?P<ename>\w+): (?P<evalue>.*))?"
    r"\s*$"
)
PROJECT_FILE = re.compile(r"# (?P<name>[\w.-]+\.(?:txt|toml|yml|yaml|cfg|lock)): (?P<content>.*)$")
CODE_BLOCK = re.compile(r"```python\n(?P<body>.*?)```", re.DOTALL)


@dataclass
class DocNotebook:
    cells: list[dict] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)


def section(doc: str, title: str) -> str:
    start = doc.index(title) + len(title)
    following = doc.find("\n## ", start)
    return doc[start : following if following != -1 else len(doc)]


def doc_notebook(block: str) -> DocNotebook:
    result = DocNotebook()
    current: list[str] | None = None
    options: dict = {}

    def close() -> None:
        if current is not None:
            result.cells.append(code("\n".join(current).strip("\n"), **options))

    for line in block.splitlines():
        marker = CELL_MARKER.match(line)
        project_file = PROJECT_FILE.match(line) if current is None else None
        if marker is not None:
            close()
            assert int(marker["index"]) == len(result.cells) + 1, f"cells out of order: {line}"
            count = int(marker["count"]) if marker["count"] else None
            outputs = [error_output(marker["ename"], marker["evalue"])] if marker["ename"] else []
            options = {"count": count, "outputs": outputs}
            current = []
        elif project_file is not None:
            items = [item.strip() for item in project_file["content"].split(",")]
            result.files[project_file["name"]] = "\n".join(items) + "\n"
        else:
            if current is None:
                current, options = [], {"count": 1}
            current.append(line)
    close()
    return result


def run_block(rule: Rule, block: str, directory: Path) -> list:
    documented = doc_notebook(block)
    directory.mkdir(parents=True, exist_ok=True)
    # A git repository at the project root: nothing above it counts, and it tracks nothing.
    subprocess.run(["git", "init", "-q", str(directory)], check=True)
    for name, content in documented.files.items():
        (directory / name).write_text(content, encoding="utf-8")
    path = write_notebook(directory / "example.ipynb", *documented.cells)
    return check(load(str(path)), rules=[rule])


def block_of(rule: Rule, title: str) -> str:
    blocks = CODE_BLOCK.findall(section(rule.doc, title))
    assert len(blocks) == 1, f"{rule.code}: {title} needs exactly one ```python block"
    return blocks[0]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_docstring_has_the_four_sections_in_order(rule: Rule) -> None:
    positions = [rule.doc.find(title) for title in SECTIONS]
    assert -1 not in positions, f"{rule.code} lacks {SECTIONS[positions.index(-1)]}"
    assert positions == sorted(positions)
    assert rule.summary and not rule.summary.startswith("#")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_example_fires(rule: Rule, tmp_path: Path) -> None:
    diagnostics = run_block(rule, block_of(rule, "## Example"), tmp_path)
    assert diagnostics, f"{rule.code} is silent on its own Example"
    assert {diagnostic.code for diagnostic in diagnostics} == {rule.code}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_use_instead_is_clean(rule: Rule, tmp_path: Path) -> None:
    diagnostics = run_block(rule, block_of(rule, "## Use instead"), tmp_path)
    assert [diagnostic.message for diagnostic in diagnostics] == []


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_command_prints_the_documentation(rule: Rule, nbcheck) -> None:
    for selector in (rule.code, rule.name):
        result = nbcheck("rule", selector)
        assert result.exit_code == 0
        assert f"{rule.name} ({rule.code})" in result.out
        assert all(title in result.out for title in SECTIONS)
        assert block_of(rule, "## Example") in result.out


def test_markers_build_the_cells_they_describe() -> None:
    documented = doc_notebook(
        "# requirements.txt: pandas==2.2.3, numpy>=1\n"
        "# cell 1, run as [2]\nx = 1\n"
        "# cell 2, never run\ny = 2\n"
        "# cell 3, output: ZeroDivisionError: division by zero\n1 / 0\n"
        "# cell 4\nz = 3\n"
    )
    assert documented.files == {"requirements.txt": "pandas==2.2.3\nnumpy>=1\n"}
    assert [(cell["source"], cell["execution_count"]) for cell in documented.cells] == [
        ("x = 1", 2),
        ("y = 2", None),
        ("1 / 0", None),
        ("z = 3", None),
    ]
    assert documented.cells[2]["outputs"][0]["ename"] == "ZeroDivisionError"
    unmarked = doc_notebook("import os\nos.getcwd()\n")
    assert [(cell["source"], cell["execution_count"]) for cell in unmarked.cells] == [
        ("import os\nos.getcwd()", 1)
    ]

"""Notebooks that look like real work, checked with the default rule set against exact findings.

`tests/regression/` holds notebooks written for this project; `tests/realworld/` holds real
notebooks from public repositories (ATTRIBUTION.md there says where each comes from, under which
licence, and what was stripped). Each `<name>.ipynb` sits beside `<name>.expected.json`: the list of findings
(`code`, `cell`, `row`, `symbol`) that `nbcheck` must report, no more, no fewer. The files of
`<name>.files/` (requirements.txt, pyproject.toml, ...) are copied beside the notebook into a
fresh project, so dependency rules judge the notebook against its own project only.

After a deliberate change, `NBD_UPDATE_REGRESSION=1 pytest tests/test_regression.py` rewrites the
expected files; read the diff finding by finding before committing it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.loader import load

HERE = Path(__file__).parent
NOTEBOOKS = sorted(HERE.glob("regression/*.ipynb")) + sorted(HERE.glob("realworld/*.ipynb"))


def findings(notebook: Path, project: Path) -> list[dict]:
    (project / ".git").mkdir(parents=True)
    files = notebook.with_suffix(".files")
    if files.is_dir():
        shutil.copytree(files, project, dirs_exist_ok=True)
    copy = project / notebook.name
    shutil.copyfile(notebook, copy)
    diagnostics = check(load(str(copy)), Settings(root=str(project)))
    return [
        {"code": d.code, "cell": d.cell, "row": d.location.row, "symbol": d.symbol}
        for d in diagnostics
    ]


def test_there_are_regression_notebooks() -> None:
    for folder in ("regression", "realworld"):
        assert len(list((HERE / folder).glob("*.ipynb"))) >= 2, folder
    for notebook in NOTEBOOKS:
        assert notebook.with_suffix(".expected.json").is_file(), notebook.name


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_exact_findings(notebook: Path, tmp_path: Path) -> None:
    actual = findings(notebook, tmp_path / "project")
    expected_file = notebook.with_suffix(".expected.json")
    if os.environ.get("NBD_UPDATE_REGRESSION"):
        expected_file.write_text(json.dumps(actual, indent=1) + "\n", encoding="utf-8")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    assert actual == expected

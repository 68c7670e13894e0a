"""Sample nbcheck's findings on a folder of notebooks for a person to judge, and score the verdicts.

    python benchmarks/audit.py sample FOLDER -o SHEET [--per-rule 12] [--seed 0] [--select RULES]
                                      [--verdicts OLD]
    python benchmarks/audit.py show SHEET [--next | ID]
    python benchmarks/audit.py judge SHEET ID true|false|true-not-worth-acting "note"
    python benchmarks/audit.py score SHEET

`sample` runs nbcheck (the one on PATH, or `--nbcheck`) with every rule (or those `--select`
names) on FOLDER and draws, for
each rule, `--per-rule` findings (all of them where there are fewer), spread over the repositories
(the first folder level under FOLDER) in turn, with a seeded generator: the same corpus, seed and
nbcheck give the same sheet. The sheet is JSON Lines, one finding a line, each with what a judge
needs beside the message: the cell's source with the reported line marked, the notebook's kernel
and execution counts, and per rule family

- NBD1xx: the execution counts of every code cell (and the error output for NBD104);
- NBD2xx: the cells that bind the name (read with `ast`, not with nbcheck's analysis) and the
  cells that mention it;
- NBD3xx: the seeding calls in the cells above and in the cell itself;
- NBD4xx: the dependency files from the notebook's folder up to the project root, with their text.

`show --next` prints the first finding without a verdict; `judge` records a verdict (`true`: the
claim is true; `true-not-worth-acting`: true but a user would rightly not act on it; `false`: the
claim is false) and a note; `score` prints per rule the findings sampled and judged, how many are
true, and the precision (true and true-not-worth-acting over judged).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

VERDICTS = ("true", "false", "true-not-worth-acting")
SEEDING = re.compile(
    r"\bseed\b|set_seed|manual_seed|random_state|default_rng|RandomState|PYTHONHASHSEED|"
    r"\.seed\(|random_seed"
)
DEPENDENCY_FILE = re.compile(
    r"requirements.*\.txt|pyproject\.toml|Pipfile(\.lock)?|setup\.cfg|setup\.py|"
    r"environment\.ya?ml|uv\.lock|poetry\.lock|pylock(\..+)?\.toml"
)
LINE_SHOWN = 400  # characters of one dependency-file line, and lines of one file, shown at most


def run_nbcheck(folder: Path, nbcheck: str, select: str = "ALL") -> list[dict]:
    completed = subprocess.run(
        [
            nbcheck,
            "--output-format",
            "json",
            "--select",
            select,
            "--exit-zero",
            "-q",
            "--no-cache",
            ".",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 and not completed.stdout:
        sys.exit(f"nbcheck failed: {completed.stderr}")
    return json.loads(completed.stdout)


def stratified(findings: list[dict], per_rule: int, seed: int) -> list[dict]:
    """Up to `per_rule` findings of each rule, taken from each repository in turn (seeded)."""
    generator = random.Random(seed)
    by_rule: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for finding in findings:
        repository = Path(finding["filename"]).parts[0]
        by_rule[finding["code"]][repository].append(finding)
    chosen = []
    for code in sorted(by_rule):
        pools = [by_rule[code][repository] for repository in sorted(by_rule[code])]
        for pool in pools:
            generator.shuffle(pool)
        generator.shuffle(pools)
        taken: list[dict] = []
        while len(taken) < per_rule and any(pools):
            for pool in pools:
                if pool and len(taken) < per_rule:
                    taken.append(pool.pop())
        chosen.extend(taken)
    return chosen


def read_cells(path: Path) -> tuple[list[dict], dict]:
    """The notebook's cells as nbformat 4 dicts (nbformat 3 worksheets flattened) and metadata."""
    document = json.loads(path.read_text(encoding="utf-8-sig"))
    if document.get("nbformat") == 3:
        cells = [cell for sheet in document.get("worksheets", []) for cell in sheet["cells"]]
        for cell in cells:
            cell.setdefault("source", cell.get("input", ""))
            cell.setdefault("execution_count", cell.get("prompt_number"))
    else:
        cells = document.get("cells", [])
    for cell in cells:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return cells, document.get("metadata", {})


def marked(source: str, row: int | None) -> str:
    lines = source.splitlines() or [""]
    width = len(str(len(lines)))
    return "\n".join(
        f"{'>>' if number == row else '  '} {number:>{width}} | {line}"
        for number, line in enumerate(lines, start=1)
    )


def parsed(source: str) -> ast.Module | None:
    """The cell as Python, with IPython's magics and shell lines blanked out; None if it fails."""
    if source.lstrip().startswith("%%"):
        return None
    kept = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or stripped.endswith("?"):
            line = line[: len(line) - len(stripped)] + "pass"
        kept.append(line)
    try:
        return ast.parse("\n".join(kept))
    except SyntaxError:
        return None


def binds(tree: ast.Module, name: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
            return True
        named = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        if named and node.name == name:
            return True
        if isinstance(node, ast.alias):
            bound = node.asname or node.name.split(".")[0]
            if bound == name or node.name == "*":
                return True
    return False


def context(finding: dict, folder: Path) -> dict:
    path = folder / finding["filename"]
    cells, metadata = read_cells(path)
    code = finding["code"]
    number = finding["cell"]
    kernel = metadata.get("kernelspec", {}).get("name") or metadata.get("language_info", {}).get(
        "version"
    )
    facts: dict = {"kernel": kernel, "python": metadata.get("language_info", {}).get("version")}
    counts = [
        [index, cell.get("execution_count")]
        for index, cell in enumerate(cells, start=1)
        if cell.get("cell_type") == "code"
    ]
    if code.startswith(("NBD1", "NBD2")):
        facts["execution_counts"] = counts
    if code == "NBD104" and number:
        outputs = cells[number - 1].get("outputs", [])
        facts["error_output"] = [
            f"{output.get('ename')}: {output.get('evalue')}"
            for output in outputs
            if output.get("output_type") in ("error", "pyerr")
        ]
    name = finding.get("symbol")
    if code.startswith("NBD2") and name:
        bound_in, mentioned_in, unparsed = [], [], []
        word = re.compile(rf"(?<![\w.]){re.escape(name)}\b")
        for index, cell in enumerate(cells, start=1):
            if cell.get("cell_type") != "code":
                continue
            tree = parsed(cell["source"])
            if tree is None:
                unparsed.append(index)
            elif binds(tree, name):
                bound_in.append(index)
            if word.search(cell["source"]):
                mentioned_in.append(index)
        facts["cells_binding_name_or_star_import"] = bound_in
        facts["cells_mentioning_name"] = mentioned_in
        facts["cells_not_parsed"] = unparsed
        facts["binding_sources"] = {
            str(index): marked(cells[index - 1]["source"], None) for index in bound_in[:4]
        }
    if code.startswith("NBD3") and number:
        seeding = []
        for index, cell in enumerate(cells[:number], start=1):
            if cell.get("cell_type") != "code":
                continue
            for row, line in enumerate(cell["source"].splitlines(), start=1):
                if SEEDING.search(line):
                    seeding.append(f"cell {index} line {row}: {line.strip()}")
        facts["seeding_lines_above_and_in_cell"] = seeding
    if code.startswith("NBD4"):
        facts["dependency_files"] = dependency_files(path.parent, folder)
        facts["local_modules"] = sorted(
            entry.name
            for entry in path.parent.iterdir()
            if entry.suffix == ".py" or (entry.is_dir() and (entry / "__init__.py").exists())
        )
    return facts


def dependency_files(start: Path, folder: Path) -> dict[str, str]:
    """Dependency files from `start` up to the project root (a `.git` or pyproject.toml)."""
    found = {}
    directory = start
    while True:
        for entry in sorted(directory.iterdir()):
            if entry.is_file() and DEPENDENCY_FILE.fullmatch(entry.name):
                lines = entry.read_text(encoding="utf-8", errors="replace").splitlines()
                text = "\n".join(line[:LINE_SHOWN] for line in lines[:LINE_SHOWN])
                found[str(entry.relative_to(folder))] = text
        root = (directory / ".git").exists() or (directory / "pyproject.toml").exists()
        if root or directory == folder or directory.parent == directory:
            return found
        directory = directory.parent


def command_sample(arguments: argparse.Namespace) -> None:
    folder = arguments.folder.resolve()
    findings = run_nbcheck(folder, arguments.nbcheck, arguments.select)
    totals = Counter(finding["code"] for finding in findings)
    rows = []
    for number, finding in enumerate(stratified(findings, arguments.per_rule, arguments.seed), 1):
        cells, _ = read_cells(folder / finding["filename"])
        cell = finding["cell"]
        source = cells[cell - 1]["source"] if cell else ""
        rows.append(
            {
                "id": number,
                "rule": finding["code"],
                "rule_findings": totals[finding["code"]],
                "notebook": os.path.normpath(finding["filename"]),
                "cell": cell,
                "row": finding["location"]["row"],
                "symbol": finding.get("symbol"),
                "message": finding["message"],
                "help": finding.get("help"),
                "fix": finding.get("fix"),
                "source": marked(source, finding["location"]["row"]) if cell else "",
                "context": context(finding, folder),
                "verdict": None,
                "note": "",
            }
        )
    carried = carry_verdicts(rows, arguments.verdicts) if arguments.verdicts else 0
    write_sheet(arguments.output, rows)
    print(f"{len(findings)} findings; {len(rows)} sampled into {arguments.output}")
    if arguments.verdicts:
        print(f"{carried} verdicts carried over from {arguments.verdicts}")
    for code, total in sorted(totals.items()):
        print(f"  {code}  {total:6} found  {sum(r['rule'] == code for r in rows):4} sampled")


def carry_verdicts(rows: list[dict], earlier: Path) -> int:
    """Copy the verdicts of an earlier sheet to the same findings (same rule, notebook, cell,
    line, symbol and message): a new sample after a rule change is judged only where it changed."""

    def key(row: dict) -> tuple:
        return (
            row["rule"],
            row["notebook"],
            row["cell"],
            row["row"],
            row["symbol"],
            row["message"],
        )

    judged = {key(row): row for row in read_sheet(earlier) if row["verdict"]}
    carried = 0
    for row in rows:
        old = judged.get(key(row))
        if old is not None:
            row["verdict"], row["note"] = old["verdict"], old["note"]
            carried += 1
    return carried


def read_sheet(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_sheet(path: Path, rows: list[dict]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    temporary.replace(path)


def show(row: dict) -> str:
    parts = [
        f"#{row['id']}  {row['rule']}  {row['notebook']}  cell {row['cell']}, line {row['row']}",
        f"message: {row['message']}",
    ]
    if row.get("help"):
        parts.append(f"help: {row['help']}")
    if row["fix"]:
        edits = row["fix"]["edits"] if isinstance(row["fix"], dict) else None
        if edits is None:  # a sheet from before fixes had edits: the fix was a sentence
            parts.append(f"fix: {row['fix']}")
        else:
            shown = "; ".join(f"{edit['content']!r} at {edit['location']}" for edit in edits)
            parts.append(f"fix ({row['fix']['applicability']}): {row['fix']['message']}: {shown}")
    if row["verdict"]:
        parts.append(f"verdict: {row['verdict']}  {row['note']}")
    parts.append(row["source"])
    for key, value in row["context"].items():
        if isinstance(value, dict):
            for name, text in value.items():
                parts.append(f"--- {key}: {name}\n{text}")
        elif isinstance(value, list) and value and key != "execution_counts":
            parts.append(f"--- {key}:\n" + "\n".join(f"  {item}" for item in value))
        else:
            parts.append(f"--- {key}: {value}")
    return "\n".join(parts)


def command_show(arguments: argparse.Namespace) -> None:
    rows = read_sheet(arguments.sheet)
    if arguments.id is not None:
        chosen = [row for row in rows if row["id"] == arguments.id]
    else:
        chosen = [row for row in rows if row["verdict"] is None][:1]
        left = sum(row["verdict"] is None for row in rows)
        print(f"{left} of {len(rows)} findings left to judge")
    for row in chosen:
        print(show(row))


def command_judge(arguments: argparse.Namespace) -> None:
    rows = read_sheet(arguments.sheet)
    for row in rows:
        if row["id"] == arguments.id:
            row["verdict"], row["note"] = arguments.verdict, arguments.note
            break
    else:
        sys.exit(f"no finding #{arguments.id} in {arguments.sheet}")
    write_sheet(arguments.sheet, rows)


def command_score(arguments: argparse.Namespace) -> None:
    rows = read_sheet(arguments.sheet)
    print(
        f"{'rule':8} {'found':>6} {'sampled':>7} {'judged':>6} {'true':>5} {'worth':>5} {'precision':>9}"
    )
    totals = Counter()
    for code in sorted({row["rule"] for row in rows}):
        of_rule = [row for row in rows if row["rule"] == code]
        verdicts = Counter(row["verdict"] for row in of_rule)
        judged = sum(verdicts[verdict] for verdict in VERDICTS)
        true = verdicts["true"] + verdicts["true-not-worth-acting"]
        figures = Counter(
            found=of_rule[0]["rule_findings"],
            sampled=len(of_rule),
            judged=judged,
            true=true,
            worth=verdicts["true"],
        )
        totals.update(figures)
        print(line(code, figures))
    print(line("total", totals))


def line(label: str, figures: Counter) -> str:
    precision = f"{figures['true'] / figures['judged']:.1%}" if figures["judged"] else "-"
    return (
        f"{label:8} {figures['found']:6} {figures['sampled']:7} {figures['judged']:6} "
        f"{figures['true']:5} {figures['worth']:5} {precision:>9}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    sample = commands.add_parser("sample", help="sample findings per rule into a sheet")
    sample.add_argument("folder", type=Path)
    sample.add_argument("-o", "--output", type=Path, required=True)
    sample.add_argument("--per-rule", type=int, default=12)
    sample.add_argument("--seed", type=int, default=0)
    sample.add_argument("--nbcheck", default="nbcheck")
    sample.add_argument("--select", default="ALL", help="rules to sample (nbcheck's --select)")
    sample.add_argument(
        "--verdicts", type=Path, help="an earlier sheet: keep its verdicts on the same findings"
    )
    shown = commands.add_parser("show", help="print a finding with its context")
    shown.add_argument("sheet", type=Path)
    shown.add_argument("id", type=int, nargs="?")
    shown.add_argument("--next", action="store_true", help="the first finding with no verdict")
    judge = commands.add_parser("judge", help="record a verdict and a note")
    judge.add_argument("sheet", type=Path)
    judge.add_argument("id", type=int)
    judge.add_argument("verdict", choices=VERDICTS)
    judge.add_argument("note", nargs="?", default="")
    score = commands.add_parser("score", help="precision per rule")
    score.add_argument("sheet", type=Path)
    arguments = parser.parse_args()
    {
        "sample": command_sample,
        "show": command_show,
        "judge": command_judge,
        "score": command_score,
    }[arguments.command](arguments)


if __name__ == "__main__":
    main()

"""SARIF 2.1.0, as GitHub code scanning reads it.

Rows are relative to a cell, so each result names the cell in its message and carries it as a
logical location and in `properties`; the physical region is the finding's row and column.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..model import CheckResult
from ..rules import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics, errors = result.diagnostics, result.errors
    rule_index = {rule.code: position for position, rule in enumerate(RULES)}
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.doc},
            "help": {"text": rule.doc, "markdown": rule.doc},
            "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        }
        for rule in RULES
    ]
    results = [
        {
            "ruleId": d.code,
            "ruleIndex": rule_index[d.code],
            "level": LEVELS.get(d.severity, "warning"),
            "message": {"text": f"cell {d.cell}: {d.message}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": Path(d.filename).as_posix()},
                        "region": {
                            "startLine": d.location.row,
                            "startColumn": d.location.column,
                            "endLine": d.end_location.row,
                            "endColumn": d.end_location.column,
                        },
                    },
                    "logicalLocations": [{"name": f"cell {d.cell}", "kind": "module"}],
                }
            ],
            "properties": {"cell": d.cell, "cell_id": d.cell_id, "symbol": d.symbol},
        }
        for d in diagnostics
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": error.reason},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": Path(error.filename).as_posix()}}}
            ],
        }
        for error in errors
    ]
    run: dict = {
        "tool": {
            "driver": {
                "name": "nbcheck",
                "semanticVersion": __version__,
                "informationUri": "https://pypi.org/project/nb-discipline/",
                "rules": rules,
            }
        },
        "results": results,
    }
    if notifications:
        run["invocations"] = [
            {"executionSuccessful": False, "toolExecutionNotifications": notifications}
        ]
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

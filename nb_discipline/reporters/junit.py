"""JUnit XML: a test suite per notebook, a failing test case per finding (as ruff writes it)."""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from ..model import CheckResult, Diagnostic
from .text import position


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics, errors = result.diagnostics, result.errors
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for diagnostic in diagnostics:
        by_file[diagnostic.filename].append(diagnostic)
    failures = len(diagnostics)
    root = ET.Element(
        "testsuites",
        name="nbcheck",
        tests=str(max(failures, 1) + len(errors)),
        failures=str(failures),
        errors=str(len(errors)),
    )
    if not diagnostics and not errors:
        suite = ET.SubElement(root, "testsuite", name="nbcheck", tests="1", failures="0")
        ET.SubElement(suite, "testcase", name="No findings", classname="nbcheck")
    for filename, found in by_file.items():
        suite = ET.SubElement(
            root, "testsuite", name=filename, tests=str(len(found)), failures=str(len(found))
        )
        for d in found:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{d.code} {d.name} (cell {d.cell})",
                classname=filename,
            )
            failure = ET.SubElement(case, "failure", message=d.message, type=d.code)
            failure.text = f"{position(d)}: {d.code} {d.message}"
    for error in errors:
        suite = ET.SubElement(root, "testsuite", name=error.filename, tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", name="load", classname=error.filename)
        ET.SubElement(case, "error", message=error.reason, type="LoadError")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

"""JUnit XML: a test suite per notebook, a failing test case per finding (as ruff writes it)."""

from __future__ import annotations

import re
from collections import defaultdict
from xml.etree import ElementTree as ET

from ..model import CheckResult, Diagnostic
from .text import position

# What XML 1.0 cannot hold, even escaped: most C0 controls, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """`text` as XML can carry it: each character it cannot, as a visible escape (\\x0b)."""
    return _NOT_XML.sub(lambda match: ascii(match.group())[1:-1], text)


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
        name = _xml(filename)
        suite = ET.SubElement(
            root, "testsuite", name=name, tests=str(len(found)), failures=str(len(found))
        )
        for d in found:
            case = ET.SubElement(
                suite, "testcase", name=f"{d.code} {d.name} (cell {d.cell})", classname=name
            )
            failure = ET.SubElement(case, "failure", message=_xml(d.message), type=d.code)
            failure.text = _xml(f"{position(d)}: {d.code} {d.message}")
    for error in errors:
        name = _xml(error.filename)
        suite = ET.SubElement(root, "testsuite", name=name, tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", name="load", classname=name)
        ET.SubElement(case, "error", message=_xml(error.reason), type="LoadError")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

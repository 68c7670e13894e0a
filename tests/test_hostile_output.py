"""Where the report goes and what it holds: a closed or full standard output is one error line and
exit 2; file names and outputs holding control characters, escape sequences or lone surrogates give
valid JSON and XML, and nothing raw reaches the terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.builders import code, error_output, write_notebook

UNSEEDED = "import random\nx = random.random()\n"
HOSTILE = "bad\x00\x0b\x0c\x1b[31mred\x1b[0m \ud800 \udcff"


def run_nbcheck(*args: str, cwd: Path, shell_redirect: str = "") -> subprocess.CompletedProcess:
    command = " ".join([sys.executable, "-m", "nb_discipline.cli", *args]) + shell_redirect
    try:
        return subprocess.run(
            ["sh", "-c", command],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=None if shell_redirect else subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"nbcheck {' '.join(args)} did not end")


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    write_notebook(tmp_path / "nb.ipynb", code(UNSEEDED, 1))
    return tmp_path


@pytest.mark.parametrize(
    ("redirect", "reason"),
    [(" >&-", "standard output is closed"), (" >/dev/full", "No space left on device")],
)
def test_a_closed_or_full_stdout_is_one_error_line_and_exit_2(project, redirect, reason) -> None:
    if redirect.endswith("/dev/full") and not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    result = run_nbcheck("--no-cache", "nb.ipynb", cwd=project, shell_redirect=redirect)
    assert result.returncode == 2
    assert result.stderr.decode() == f"nbcheck: error: cannot write the output: {reason}\n"


@pytest.mark.parametrize("command", ["rules", "rule NBD101", "rules --json"])
def test_the_rule_listings_on_a_closed_stdout_are_one_error_line(project, command) -> None:
    result = run_nbcheck(command, cwd=project, shell_redirect=" >&-")
    assert result.returncode == 2
    assert (
        result.stderr.decode()
        == "nbcheck: error: cannot write the output: standard output is closed\n"
    )


@pytest.fixture
def hostile(project) -> Path:
    """A notebook whose error output holds control characters, escapes and lone surrogates."""
    write_notebook(
        project / "err.ipynb", code("raise ValueError()", 1, outputs=[error_output(evalue=HOSTILE)])
    )
    return project


@pytest.mark.parametrize("output_format", ["json", "json-lines", "sarif"])
def test_json_formats_stay_valid_utf8_json(hostile, output_format) -> None:
    result = run_nbcheck("--no-cache", "--output-format", output_format, "err.ipynb", cwd=hostile)
    assert result.returncode == 1, result.stderr
    assert b"Traceback" not in result.stderr
    text = result.stdout.decode("utf-8")  # strict: the bytes are UTF-8
    documents = (
        [json.loads(line) for line in text.splitlines()]
        if "lines" in output_format
        else [json.loads(text)]
    )
    assert "\ud800" in json.dumps(documents, ensure_ascii=False)  # the escape reads back


@pytest.mark.parametrize("destination", ["stdout", "file"])
def test_junit_stays_valid_xml(hostile, destination) -> None:
    args = ["--no-cache", "--output-format", "junit", "err.ipynb"]
    if destination == "file":
        args += ["-o", "report.xml"]
    result = run_nbcheck(*args, cwd=hostile)
    assert result.returncode == 1, result.stderr
    xml = result.stdout if destination == "stdout" else (hostile / "report.xml").read_bytes()
    root = ElementTree.fromstring(xml)
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert "\\x0b\\x0c\\x1b[31mred" in failure.get("message")


def test_the_text_report_escapes_control_characters(hostile) -> None:
    result = run_nbcheck("--no-cache", "err.ipynb", cwd=hostile)
    assert result.returncode == 1
    out = result.stdout.decode("utf-8")
    assert "\\x1b[31mred\\x1b[0m" in out
    assert not any(ord(char) < 0x20 and char != "\n" for char in out)


def test_control_characters_in_file_names_are_escaped_on_the_terminal(project) -> None:
    write_notebook(project / "a\x1b[2Jb.ipynb", code(UNSEEDED, 1))
    (project / "c\x1b]0;title\x07.ipynb").write_text("{")
    os.mkdir(project / "undecodable")
    name = os.fsencode(project / "undecodable") + b"/\xff\x1b[31m.ipynb"
    with open(name, "w") as handle:
        handle.write(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    (project / "undecodable" / "broken.ipynb").write_text("[]")
    result = run_nbcheck("--no-cache", ".", cwd=project)
    assert result.returncode == 2
    out, err = result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
    assert "./a\\x1b[2Jb.ipynb:cell 1:2:5: NBD301" in out
    assert "nbcheck: error: ./c\\x1b]0;title\\x07.ipynb: not valid JSON" in err
    assert "\x1b" not in out + err
    json_result = run_nbcheck("--no-cache", "--output-format", "json", ".", cwd=project)
    filenames = {finding["filename"] for finding in json.loads(json_result.stdout.decode("utf-8"))}
    assert "./a\x1b[2Jb.ipynb" in filenames

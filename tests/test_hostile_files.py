"""Hostile and unlucky files: whatever is named as a notebook, a dependency file, a configuration or
a cache entry, nbcheck ends, says in one line what was wrong with which file, checks the rest, and
exits 2. Each check runs in a subprocess under a timeout, so a hang is a failure, not a stuck run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nb_discipline import cache, loader
from nb_discipline.loader import LoadError, load, loads
from tests.builders import code, markdown, notebook_dict, write_notebook

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")

UNSEEDED = "import random\nx = random.random()\n"


def _limit_memory() -> None:
    """Before the fix, /dev/zero was read until MemoryError: keep that from taking the machine."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


def run_nbcheck(*args: str, cwd: Path, stdin=subprocess.DEVNULL, timeout: float = 60):
    try:
        return subprocess.run(
            [sys.executable, "-m", "nb_discipline.cli", *args],
            cwd=cwd,
            stdin=stdin,
            preexec_fn=_limit_memory,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"nbcheck {' '.join(args)} did not end within {timeout} s")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    write_notebook(tmp_path / "good.ipynb", code(UNSEEDED, 1))
    return tmp_path


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("nbcheck: error:")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_fifo_named_like_a_notebook_is_one_error_and_the_rest_is_checked(project, jobs) -> None:
    os.mkfifo(project / "pipe.ipynb")
    result = run_nbcheck("--no-cache", "-j", jobs, "pipe.ipynb", "good.ipynb", cwd=project)
    assert result.returncode == 2, result.stderr
    assert error_lines(result.stderr) == [
        "nbcheck: error: pipe.ipynb: a named pipe (FIFO), not a regular file"
    ]
    assert "Traceback" not in result.stderr
    assert "good.ipynb:cell 1:2:5: NBD301" in result.stdout


def test_a_fifo_found_in_a_folder_is_one_error_too(project) -> None:
    os.mkfifo(project / "pipe.ipynb")
    result = run_nbcheck("--no-cache", ".", cwd=project)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "nbcheck: error: ./pipe.ipynb: a named pipe (FIFO), not a regular file"
    ]
    assert "NBD301" in result.stdout


def test_a_symlink_to_dev_zero_is_not_read_without_bound(project) -> None:
    (project / "zero.ipynb").symlink_to("/dev/zero")
    result = run_nbcheck("--no-cache", "zero.ipynb", "good.ipynb", cwd=project)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "nbcheck: error: zero.ipynb: a character device, not a regular file"
    ]
    assert "NBD301" in result.stdout


def test_a_notebook_above_the_size_limit_is_refused_unread(tmp_path) -> None:
    path = tmp_path / "huge.ipynb"
    with open(path, "wb") as handle:
        handle.truncate(getattr(loader, "MAX_FILE_BYTES", 256 * 2**20) + 1)  # sparse: no disk used
    with pytest.raises(LoadError, match=r"larger than 256 MiB, the most nbcheck reads"):
        load(str(path))


def test_a_fifo_included_by_a_requirements_file_does_not_hang(project) -> None:
    os.mkfifo(project / "other.txt")
    (project / "requirements.txt").write_text("-r other.txt\nnumpy==2.0\n")
    result = run_nbcheck("--no-cache", ".", cwd=project, timeout=15)
    assert "Traceback" not in result.stderr
    assert "NBD301" in result.stdout


def test_a_fifo_as_the_configuration_or_gitignore_does_not_hang(project) -> None:
    os.mkfifo(project / ".gitignore")
    result = run_nbcheck("--no-cache", ".", cwd=project)
    assert result.returncode == 1, result.stderr
    os.mkfifo(project / "nb.toml")
    result = run_nbcheck("--no-cache", "--config", "nb.toml", ".", cwd=project)
    assert result.returncode == 2
    assert error_lines(result.stderr) == [
        "nbcheck: error: nb.toml: cannot read: a named pipe (FIFO), not a regular file"
    ]


def test_a_fifo_in_place_of_a_cache_entry_or_its_temporary_file_does_not_hang(
    project, tmp_path_factory
) -> None:
    cache_home = tmp_path_factory.mktemp("cache-home")
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    first = subprocess.run(
        [sys.executable, "-m", "nb_discipline.cli", "good.ipynb"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert first.returncode == 1
    entries = list((cache_home / "nb-discipline").glob("findings-*.marshal"))
    assert len(entries) == 1
    entries[0].unlink()
    os.mkfifo(entries[0])
    try:
        again = subprocess.run(
            [sys.executable, "-m", "nb_discipline.cli", "good.ipynb"],
            cwd=project,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("a FIFO in the cache hung the run")
    assert again.returncode == 1
    assert "NBD301" in again.stdout


def test_a_fifo_in_the_inputs_of_a_cache_entry_reads_as_unreadable(tmp_path) -> None:
    os.mkfifo(tmp_path / "pipe")
    assert cache.file_status(str(tmp_path / "pipe"))[0] == "unreadable"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            '{"nbformat": 4, "metadata": {"x": '
            + "[" * 100_000
            + "]" * 100_000
            + '}, "cells": []}',
            "JSON nested deeper than nbcheck reads",
        ),
        (
            '{"nbformat": 4, "metadata": {"x": ' + "9" * 5000 + '}, "cells": []}',
            "an integer in the JSON has more than 4300 digits",
        ),
        (
            '{"nbformat": 4, "metadata": {"x": -' + "9" * 5000 + '}, "cells": []}',
            "an integer in the JSON has more than 4300 digits",
        ),
    ],
)
def test_deep_nesting_and_huge_integers_are_one_line_load_errors(text, reason) -> None:
    with pytest.raises(LoadError) as caught:
        loads(text, "x.ipynb")
    assert caught.value.reason.startswith(f"not valid JSON for nbcheck: {reason}")
    assert "\n" not in caught.value.reason


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_deep_nesting_and_huge_integers_do_not_abort_the_run(project, jobs) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (project / "deep.ipynb").write_text(
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": {"x": ' + deep + '}, "cells": []}'
    )
    big = "9" * 5000
    (project / "big.ipynb").write_text(
        '{"nbformat": 4, "nbformat_minor": 5, "metadata": {"x": ' + big + '}, "cells": []}'
    )
    # Past batch.PARALLEL_MIN_BYTES, -j2 checks in worker processes.
    write_notebook(project / "padding.ipynb", markdown("padding " * 600_000))
    result = run_nbcheck("--no-cache", "-j", jobs, ".", cwd=project)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = error_lines(result.stderr)
    assert [line.split(":")[2].strip() for line in errors] == ["./big.ipynb", "./deep.ipynb"]
    assert "NBD301" in result.stdout


def test_deeply_nested_code_in_a_cell_does_not_abort_the_run(project) -> None:
    write_notebook(
        project / "chain.ipynb",
        code("x = " + "1 + " * 50_000 + "1\n" + "y = " + "(" * 3000 + "1" + ")" * 3000, 1),
    )
    result = run_nbcheck("--no-cache", ".", cwd=project, timeout=120)
    assert "Traceback" not in result.stderr
    assert "good.ipynb:cell 1:2:5: NBD301" in result.stdout


def test_a_notebook_read_from_closed_stdin_is_a_usage_error(project) -> None:
    script = "import os, sys; os.close(0); from nb_discipline.cli import run; run()"
    result = subprocess.run(
        [sys.executable, "-c", script, "-"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == "nbcheck: error: -: cannot read: standard input is closed\n"


def test_the_findings_cache_is_not_fooled_by_an_edit_with_the_same_size_and_crc32(
    project, nbcheck, monkeypatch
) -> None:
    import zlib

    seeded = notebook_dict(code("import random\nrandom.seed(0)\nx = random.random()\n", 1))
    unseeded = notebook_dict(code("import random\n#andom.seed(0)\nx = random.random()\n", 1))
    unseeded["cells"][0]["id"] = seeded["cells"][0]["id"]
    first = json.dumps(seeded).encode() + b" " * 64
    edited = _same_crc32(json.dumps(unseeded).encode(), 64, zlib.crc32(first))
    assert len(edited) == len(first) and zlib.crc32(edited) == zlib.crc32(first)
    monkeypatch.chdir(project)
    path = project / "nb.ipynb"
    path.write_bytes(first)
    assert nbcheck("nb.ipynb").exit_code == 0
    path.write_bytes(edited)
    result = nbcheck("nb.ipynb")
    assert result.exit_code == 1
    assert "NBD301" in result.out


def _same_crc32(data: bytes, slots: int, target: int) -> bytes:
    """`data` followed by `slots` bytes of JSON whitespace (spaces and tabs) chosen so that the
    whole has the CRC-32 `target`: CRC-32 is affine in its input bits, so a space-or-tab choice
    per slot is a linear system over GF(2)."""
    import zlib

    base = zlib.crc32(data + b" " * slots)
    columns = []
    for slot in range(slots):
        tab = bytearray(b" " * slots)
        tab[slot] = ord("\t")
        columns.append(zlib.crc32(data + bytes(tab)) ^ base)
    basis: dict[int, tuple[int, int]] = {}  # top bit -> (vector, slots chosen)
    for slot, vector in enumerate(columns):
        chosen = 1 << slot
        while vector:
            top = vector.bit_length() - 1
            if top not in basis:
                basis[top] = (vector, chosen)
                break
            vector, chosen = vector ^ basis[top][0], chosen ^ basis[top][1]
    want, chosen = base ^ target, 0
    while want:
        top = want.bit_length() - 1
        want, chosen = want ^ basis[top][0], chosen ^ basis[top][1]
    return data + bytes(ord("\t") if chosen >> slot & 1 else ord(" ") for slot in range(slots))


@pytest.mark.parametrize("jobs", [1, 2])
def test_nbcheck_failing_on_one_notebook_checks_the_others(tmp_path, monkeypatch, jobs) -> None:
    """A failure of nbcheck's own (a rule that raises on some notebook) is that notebook's error
    line, not the end of a run over a thousand."""
    from nb_discipline import rules
    from nb_discipline.batch import check_files
    from nb_discipline.config import Settings
    from nb_discipline.rules import Rule

    def fragile(analysis):
        if "fragile" in analysis.notebook.path:
            raise RecursionError("maximum recursion depth exceeded")
        return []

    monkeypatch.setattr(rules, "RULES", (*rules.RULES, Rule("NBD999", "fragile", fragile)))
    padding = markdown("padding " * 300_000)  # past PARALLEL_MIN_BYTES with two notebooks
    fragile_path = write_notebook(tmp_path / "fragile.ipynb", code(UNSEEDED, 1), padding)
    good_path = write_notebook(tmp_path / "good.ipynb", code(UNSEEDED, 1), padding)
    result = check_files([str(fragile_path), str(good_path)], Settings(), jobs, use_cache=False)
    assert [error.reason for error in result.errors] == [
        "nbcheck failed on this notebook (RecursionError: maximum recursion depth exceeded); "
        "the other notebooks are checked; please report it"
    ]
    assert [(d.filename, d.code) for d in result.diagnostics] == [(str(good_path), "NBD301")]

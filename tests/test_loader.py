"""Every file gets an answer: a Notebook, or a LoadError with a one-line reason. Never a crash."""

from __future__ import annotations

import json
import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb_discipline.loader import LoadError, from_dict, load, loads
from tests.builders import code, markdown, notebook_dict, write_notebook


def reason_for(data: bytes | str) -> str:
    with pytest.raises(LoadError) as caught:
        loads(data, "nb.ipynb")
    assert caught.value.path == "nb.ipynb"
    assert "\n" not in caught.value.reason
    return caught.value.reason


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "file is empty"),
        (b"  \n\t", "file is empty"),
        (b"{not json", "not valid JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "not valid JSON"),
        (b"[1, 2, 3]", "the JSON is a list, not an object"),
        (b'"just a string"', "the JSON is a string"),
        (b'{"hello": "world"}', "no 'nbformat' and no 'cells'"),
        (b'{"cells": []}', "missing key 'nbformat'"),
        (b'{"nbformat": 4, "metadata": {}}', "missing key 'cells'"),
        (b'{"nbformat": "4", "cells": []}', "'nbformat' must be an integer"),
        (b'{"nbformat": 5, "cells": []}', "unsupported nbformat 5"),
        (b'{"nbformat": 4, "cells": {}}', "'cells' must be a list"),
        (b'{"nbformat": 4, "cells": [1]}', "cell 1: a cell must be an object"),
        (b'{"nbformat": 4, "cells": [{"source": ""}]}', "cell 1: missing key 'cell_type'"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code"}]}', "cell 1: missing key 'source'"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "video", "source": ""}]}', "unknown cell_type"),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": [1]}]}',
            "'source' must be a string or a list of strings",
        ),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "execution_count": "1"}]}',
            "'execution_count' must be an integer or null",
        ),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "outputs": [{}]}]}',
            "every output must be an object with an 'output_type'",
        ),
        (
            b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "", "metadata": {"tags": "x"}}]}',
            "metadata 'tags' must be a list of strings",
        ),
    ],
)
def test_broken_content_gets_a_one_line_reason(data: bytes, expected: str) -> None:
    assert expected in reason_for(data)


def test_binary_garbage_is_named_as_such() -> None:
    assert "not UTF-8" in reason_for(bytes(range(256)) * 4)


def test_utf8_bom_is_accepted() -> None:
    data = b"\xef\xbb\xbf" + json.dumps(notebook_dict(code("x = 1", 1))).encode()
    assert loads(data, "nb.ipynb").cells[0].source == "x = 1"


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4, 5])
def test_nbformat_4_minor_versions(minor: int) -> None:
    document = notebook_dict(code(["import os\n", "os.getcwd()"], 1), markdown(["# Title"]))  # type: ignore[arg-type]
    document["nbformat_minor"] = minor
    if minor < 5:
        for cell in document["cells"]:
            del cell["id"]
    notebook = from_dict(document, "nb.ipynb")
    assert [cell.index for cell in notebook.cells] == [1, 2]
    assert notebook.cells[0].source == "import os\nos.getcwd()"
    assert notebook.cells[0].id == (None if minor < 5 else document["cells"][0]["id"])


def test_cells_without_optional_keys_are_read() -> None:
    notebook = loads(
        b'{"nbformat": 4, "nbformat_minor": 0, "cells": ['
        b'{"cell_type": "code", "source": "x"}, {"cell_type": "raw", "source": "y"}]}',
        "nb.ipynb",
    )
    assert notebook.cells[0].execution_count is None
    assert notebook.cells[0].outputs == ()
    assert notebook.is_python


def test_nbformat_3_is_upgraded() -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "source": ["Title"], "metadata": {}},
                    {
                        "cell_type": "code",
                        "language": "python",
                        "input": ["x = 1\n", "print(x)"],
                        "prompt_number": 3,
                        "outputs": [
                            {"output_type": "stream", "stream": "stdout", "text": ["1\n"]},
                            {"output_type": "pyout", "prompt_number": 3, "text": ["2"]},
                        ],
                        "metadata": {},
                    },
                ]
            }
        ],
    }
    # Sources and texts saved as lists of lines, as every nbformat 3 file on disk has them.
    notebook = loads(json.dumps(v3), "old.ipynb")
    assert [cell.cell_type for cell in notebook.cells] == ["markdown", "code"]
    assert notebook.cells[1].source == "x = 1\nprint(x)"
    assert notebook.cells[1].execution_count == 3
    assert [output["output_type"] for output in notebook.cells[1].outputs] == [
        "stream",
        "execute_result",
    ]
    # nbformat 3 has no cell ids: none is made up (the conversion's are random).
    assert [cell.id for cell in notebook.cells] == [None, None]


def test_malformed_nbformat_3_gets_a_reason() -> None:
    assert "nbformat 3" in reason_for(b'{"nbformat": 3, "worksheets": 7}')


def test_filesystem_problems(tmp_path) -> None:
    directory = tmp_path / "folder.ipynb"
    directory.mkdir()
    broken = tmp_path / "broken.ipynb"
    broken.symlink_to(tmp_path / "gone.ipynb")
    loop = tmp_path / "loop.ipynb"
    loop.symlink_to(loop)
    expectations = {
        str(directory): "is a directory",
        str(broken): "broken symbolic link",
        str(loop): "symbolic link loop",
        str(tmp_path / "missing.ipynb"): "no such file",
    }
    for path, expected in expectations.items():
        with pytest.raises(LoadError, match=expected):
            load(path)


def test_unreadable_file(tmp_path) -> None:
    """Root reads files whatever their mode says, so as root the check runs with the capability
    to override file permissions dropped (util-linux's setpriv)."""
    import shutil
    import subprocess

    path = write_notebook(tmp_path / "secret.ipynb", code("x = 1", 1))
    path.chmod(0)
    command = [sys.executable, "-m", "nb_discipline.cli", str(path)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root's file-permission override"
        drop = "-dac_override,-dac_read_search"
        command = [setpriv, "--bounding-set", drop, "--inh-caps", drop, *command]
    result = subprocess.run(command, capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (
        2,
        f"nbcheck: error: {path}: permission denied\n",
    )


def test_large_notebook_loads(tmp_path) -> None:
    """A 200 MB notebook (mostly a big base64 image output) loads and is checked."""
    blob = "A" * (200 * 1024 * 1024)
    output = {"output_type": "display_data", "data": {"image/png": blob}, "metadata": {}}
    path = write_notebook(tmp_path / "huge.ipynb", code("plot()", 1, outputs=[output]))
    del blob
    assert path.stat().st_size > 200 * 1024 * 1024
    notebook = load(str(path))
    assert notebook.cells[0].outputs[0]["output_type"] == "display_data"


def test_non_python_kernel_is_read() -> None:
    document = notebook_dict(code("x <- 1", 1), language="R")
    notebook = from_dict(document, "analysis.ipynb")
    assert notebook.language == "r"
    assert not notebook.is_python


@pytest.mark.parametrize(
    ("kernelspec", "language"),
    [
        ({"name": "ir", "display_name": "R"}, "r"),  # as Colab saves an R notebook
        ({"name": "julia-1.10", "display_name": "Julia 1.10"}, "julia"),
        ({"name": "sagemath-10.2", "display_name": "SageMath 10.2"}, "sage"),
        ({"name": "python3", "display_name": "Python 3"}, "python"),
        ({"name": "my-project-env", "display_name": "Project"}, "python"),
    ],
)
def test_a_kernel_named_without_its_language(kernelspec: dict, language: str) -> None:
    document = notebook_dict(code("x <- 1", 1), metadata={"kernelspec": kernelspec})
    del document["metadata"]["language_info"]
    assert from_dict(document, "analysis.ipynb").language == language


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
cell_shapes = st.fixed_dictionaries(
    {},
    optional={
        "cell_type": st.sampled_from(["code", "markdown", "raw", "heading", 3]) | json_values,
        "source": st.text(max_size=60) | st.lists(st.text(max_size=20), max_size=4) | json_values,
        "execution_count": st.none() | st.integers(-3, 50) | json_values,
        "outputs": st.lists(
            st.fixed_dictionaries(
                {"output_type": st.sampled_from(["error", "stream", "display_data"]) | json_values},
                optional={"ename": json_values, "evalue": json_values, "text": json_values},
            ),
            max_size=3,
        )
        | json_values,
        "metadata": st.fixed_dictionaries({}, optional={"tags": json_values}) | json_values,
        "id": st.text(max_size=8) | json_values,
    },
)
notebook_shapes = st.fixed_dictionaries(
    {},
    optional={
        "nbformat": st.sampled_from([3, 4, 4, 4, 5]) | json_values,
        "nbformat_minor": st.integers(0, 6) | json_values,
        "metadata": st.fixed_dictionaries(
            {},
            optional={
                "language_info": st.fixed_dictionaries({"name": st.sampled_from(["python", "R"])})
                | json_values,
                "nb_discipline": st.fixed_dictionaries({"ignore": json_values}) | json_values,
            },
        )
        | json_values,
        "cells": st.lists(cell_shapes, max_size=6) | json_values,
        "worksheets": json_values,
    },
)


def _check_cleanly(data: bytes) -> None:
    from nb_discipline.engine import check

    try:
        notebook = loads(data, "fuzz.ipynb")
    except LoadError as error:
        assert error.reason and "\n" not in error.reason
        return
    for diagnostic in check(notebook):
        assert diagnostic.cell >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data: bytes) -> None:
    _check_cleanly(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(notebook_shapes)
def test_random_notebook_shaped_json_never_crashes(document: dict) -> None:
    _check_cleanly(json.dumps(document).encode())


# Hostile shapes: nesting around the recursion limit, integers around the digit limit, and
# control characters, lone surrogates and escape sequences where text goes.
def _nested(depth: int, leaf: str) -> str:
    return "[" * depth + leaf + "]" * depth


hostile_text = st.lists(
    st.characters(codec=None, max_codepoint=0xFFFF, exclude_categories=())
    | st.sampled_from(["\x00", "\x0b", "\x0c", "\x1b[31m", "\ud800", "\udcff", "\ufffe", "\r"]),
    max_size=20,
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(0, 3000) | st.sampled_from([990, 1000, 1010, 100_000]),
    digits=st.integers(1, 6000) | st.sampled_from([4300, 4301]),
    where=st.sampled_from(["metadata", "execution_count", "outputs"]),
)
def test_deep_nesting_and_huge_integers_never_crash(depth: int, digits: int, where: str) -> None:
    number = "7" * digits
    cell = '{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": %s, "execution_count": %s}'
    value = _nested(depth, number)
    if where == "execution_count":
        text = cell % ("[]", value)
    elif where == "outputs":
        text = cell % (f'[{{"output_type": "stream", "text": {value}}}]', "1")
    else:
        text = cell % ("[]", "1")
    metadata = value if where == "metadata" else "{}"
    document = '{"nbformat": 4, "nbformat_minor": 5, "metadata": {"x": %s}, "cells": [%s]}'
    _check_cleanly((document % (metadata, text)).encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=hostile_text, evalue=hostile_text, name=hostile_text)
def test_control_characters_and_surrogates_give_valid_reports(source, evalue, name) -> None:
    from xml.etree import ElementTree

    from nb_discipline.engine import check
    from nb_discipline.model import CheckResult, FileError
    from nb_discipline.reporters import FORMATS, renderer

    document = notebook_dict(
        code(source, 1, outputs=[{"output_type": "error", "ename": "E", "evalue": evalue}])
    )
    path = f"{name}.ipynb"
    data = json.dumps(document).encode("utf-8", "surrogatepass")
    try:
        notebook = loads(data, path)
    except LoadError as error:
        assert "\n" not in error.reason
        return
    result = CheckResult(check(notebook), [FileError(path, evalue or "x")], 1)
    for output_format in FORMATS:
        report = renderer(output_format)(result).encode("utf-8", "backslashreplace")
        if output_format in ("json", "sarif"):
            json.loads(report)
        elif output_format == "json-lines":
            for line in report.splitlines():
                json.loads(line)
        elif output_format == "junit":
            ElementTree.fromstring(report)
        elif output_format == "github":  # the runner reads one command per line, data %-escaped
            assert all(line.startswith(b"::") for line in report.split(b"\n")[:-1])
        else:
            lines = report.decode("utf-8").splitlines()
            controls = [c for line in lines for c in line if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0]
            assert not controls, output_format

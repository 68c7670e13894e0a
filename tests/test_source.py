"""analysis.source: IPython syntax masked in place, positions those of the cell."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nb_discipline.analysis import Analysis
from nb_discipline.analysis.dataflow import cell_flow
from nb_discipline.analysis.source import (
    PYTHON_CELL_MAGICS,
    ShellCommand,
    SyntaxErrorInfo,
    parse_source,
)
from nb_discipline.config import Settings
from nb_discipline.engine import check
from nb_discipline.loader import from_dict
from nb_discipline.rules import lookup
from tests.builders import code, markdown, notebook, notebook_dict

LINES = [
    "y?",
    "x = (1,",
    "%%time",
    "%%bash",
    "%time x = f(y)",
    "files = !ls",
    "x = %sx ls",
    "obj?",
    "    y = x",
    "def f():",
    's = """',
    "x = [1,\n  %2]",
    "pip install x",
    "for i in r:",
]


def statements(source: str) -> list[str]:
    tree = parse_source(source).tree
    assert tree is not None, parse_source(source).syntax_error
    return [ast.unparse(statement) for statement in tree.body]


def name_span(source: str, name: str) -> tuple[int, int, int, int]:
    parsed = parse_source(source)
    assert parsed.tree is not None
    node = next(n for n in ast.walk(parsed.tree) if isinstance(n, ast.Name) and n.id == name)
    return parsed.span(node)


def test_plain_python_is_parsed_as_is() -> None:
    parsed = parse_source("x = 1\nprint(x)")
    assert parsed.syntax_error is None and parsed.shell_commands == ()
    assert statements("x = 1\nprint(x)") == ["x = 1", "print(x)"]


@pytest.mark.parametrize(
    "line",
    ["%matplotlib inline", "!ls -la", "!!ls", "df?", "df.head??", "?df", "??df", "%%%weird"],
)
def test_ipython_lines_become_pass_on_the_same_row(line: str) -> None:
    assert statements(f"a = 1\n{line}\nb = a") == ["a = 1", "pass", "b = a"]
    assert name_span(f"a = 1\n{line}\nb = a", "b") == (3, 1, 3, 2)


def test_magic_inside_a_block_keeps_the_block() -> None:
    source = "for f in files:\n    !cp {f} out/\n    n = 1"
    assert statements(source) == ["for f in files:\n    pass\n    n = 1"]
    assert parse_source(source).shell_commands == (ShellCommand("cp {f} out/", 2, 5, 17),)


def test_assignment_from_a_shell_or_magic_binds_the_target() -> None:
    source = "files = !ls *.csv\nenv = %env\nd['k'] = !pwd"
    assert statements(source) == ["files = None", "env = None", "d['k'] = None"]
    commands = parse_source(source).shell_commands
    assert commands == (ShellCommand("ls *.csv", 1, 9, 18), ShellCommand("pwd", 3, 10, 14))


def test_comparisons_and_augmented_assignments_are_not_magic_assignments() -> None:
    parsed = parse_source("x += !ls")
    assert parsed.tree is None and parsed.syntax_error is not None
    assert statements("ok = a % b\nmsg = '%s' % x") == ["ok = a % b", "msg = '%s' % x"]


def test_shell_commands_and_package_magics() -> None:
    source = "%pip install pandas==2.2.3\n%conda install numpy\n!pip install \\\n  seaborn\nx = 1"
    parsed = parse_source(source)
    assert [command.text for command in parsed.shell_commands] == [
        "pip install pandas==2.2.3",
        "conda install numpy",
        "pip install seaborn",
    ]
    assert [(command.row, command.column) for command in parsed.shell_commands] == [
        (1, 1),
        (2, 1),
        (3, 1),
    ]
    # The continued line is masked with its command; `x` stays on row 5.
    assert name_span(source, "x") == (5, 1, 5, 2)


def test_time_magic_runs_its_statement_in_the_same_columns() -> None:
    source = "%time df = load(path)\n%timeit -n 10 -r 3 score(model)"
    assert statements(source) == ["if 1:\n    df = load(path)", "if 1:\n    score(model)"]
    assert name_span(source, "df") == (1, 7, 1, 9)
    assert name_span(source, "model") == (2, 26, 2, 31)


def test_time_magic_on_a_compound_statement_is_masked() -> None:
    assert statements("%time for i in x: pass") == ["pass"]


@pytest.mark.parametrize("magic", ["time", "capture", "timeit", "prun", "production --seed 3"])
def test_python_cell_magics_keep_their_body_and_rows(magic: str) -> None:
    source = f"%%{magic}\nmodel = fit(x)\n!echo done"
    parsed = parse_source(source)
    assert parsed.cell_magic == magic.split()[0]
    assert statements(source) == ["model = fit(x)", "pass"]
    assert name_span(source, "model") == (2, 1, 2, 6)
    assert parsed.shell_commands == (ShellCommand("echo done", 3, 1, 11),)


def test_timeit_setup_on_the_magic_line_runs_first() -> None:
    source = "%%timeit -n 10 -r 2 data = make(size)\nprocess(data)"
    assert statements(source) == ["if 1:\n    data = make(size)", "process(data)"]
    assert name_span(source, "size") == (1, 33, 1, 37)
    assert statements("%%timeit -q\nprocess()") == ["process()"]


def test_nested_cell_magics() -> None:
    parsed = parse_source("%%capture out\n%%time\n    model = fit(x)\n    !echo hi")
    assert parsed.cell_magic == "capture" and parsed.magic_bindings == ("out",)
    assert [ast.unparse(s) for s in parsed.tree.body] == ["model = fit(x)", "pass"]
    assert parsed.shell_commands == (ShellCommand("echo hi", 4, 5, 13),)
    foreign = parse_source("%%capture\n%%bash\npip install x")
    assert foreign.tree is None and foreign.syntax_error is None
    assert [command.text for command in foreign.shell_commands] == ["pip install x"]


def test_capture_binds_its_variable() -> None:
    assert parse_source("%%capture out --no-stderr\nprint(1)").magic_bindings == ("out",)
    assert parse_source("%%capture --no-stdout\nprint(1)").magic_bindings == ()
    assert parse_source("%%capture --no-stderr captured\nprint(1)").magic_bindings == ("captured",)


@pytest.mark.parametrize("magic", ["bash", "html", "writefile data.csv", "javascript", "latex"])
def test_foreign_cell_magics_have_no_tree_and_no_error(magic: str) -> None:
    parsed = parse_source(f"%%{magic}\nthis is (not python")
    assert parsed.tree is None and parsed.syntax_error is None
    assert not parsed.binds_unknown


def test_shell_cell_lines_are_shell_commands_and_outputs_bind() -> None:
    parsed = parse_source("\n%%script bash --out listing\n# comment\n  pip install x\n\nls")
    assert parsed.cell_magic == "script" and parsed.magic_bindings == ("listing",)
    assert parsed.shell_commands == (
        ShellCommand("pip install x", 4, 3, 16),
        ShellCommand("ls", 6, 1, 3),
    )
    assert parse_source("%%html\n<b>pip install x</b>").shell_commands == ()


def test_unknown_cell_magics_and_run_may_bind_anything() -> None:
    assert parse_source("%%cython\ndef f(): pass").binds_unknown
    assert parse_source("%%sql\nSELECT 1").binds_unknown
    assert parse_source("%run helpers.py").binds_unknown
    assert parse_source("%store -r").binds_unknown
    stored = parse_source("%store -r model data")
    assert statements("%store -r model data") == ["model = data = None"]
    assert not stored.binds_unknown


@pytest.mark.parametrize(
    "line", ["%macro imports 1-3", "%macro -q imports 1", "%macro -r imports 4"]
)
def test_macro_binds_its_name_after_its_options(line: str) -> None:
    assert statements(line) == ["imports = None"]


def test_a_line_magic_binds_on_its_own_row() -> None:
    # The names are bound where the magic runs: a read below it is not a read before it, and
    # a magic in a branch binds only there.
    source = "if fresh:\n    %store -r model\nelse:\n    model = fit()\nprint(model)"
    flow = cell_flow(parse_source(source))
    assert "model" not in flow.reads and "model" in flow.binds
    assert statements("b = %R -o a x <- 1") == ["b = a = None"]
    assert statements("%store -r class") == ["pass"]


def test_one_line_cells_use_automagic() -> None:
    parsed = parse_source("pip install pandas")
    assert statements("pip install pandas") == ["pass"]
    assert parsed.shell_commands == (ShellCommand("pip install pandas", 1, 1, 19),)
    assert statements("ls -la") == ["pass"]
    assert statements("cd ..") == ["pass"]
    # Valid Python keeps its meaning, and so do longer cells.
    assert statements("history") == ["history"]
    assert statements("time = 3") == ["time = 3"]
    assert parse_source("x = 1\npip install pandas").syntax_error is not None


def test_strings_and_brackets_are_not_logical_line_starts() -> None:
    source = 's = """\n!not a command\n%neither\n"""\nt = (1,\n%2)\nu = 1'
    parsed = parse_source(source)
    assert parsed.tree is None  # `%2)` inside the brackets is Python's modulo: a syntax error
    assert parsed.syntax_error == SyntaxErrorInfo("invalid syntax", 6, 1)
    assert statements('s = """\n!not a command\n?\n"""\nx = 1') == [
        "s = '\\n!not a command\\n?\\n'",
        "x = 1",
    ]
    assert statements("q = 'what?'  # asked?\nr = 1 if a else \\\n  2") == [
        "q = 'what?'",
        "r = 1 if a else 2",
    ]


def test_common_indentation_is_removed_like_ipython() -> None:
    assert statements("    x = 1\n\n    if x:\n        y = x") == ["x = 1", "if x:\n    y = x"]
    # IPython 8 and earlier strip the first line's indentation where a line starts with it.
    assert statements("    x = 1\nz = 2") == ["x = 1", "z = 2"]
    assert parse_source("    x = 1\n  z = 2").syntax_error is not None
    assert name_span("    x = 1\n    y = x", "y") == (2, 5, 2, 6)


def test_syntax_errors_are_cell_relative_and_in_characters() -> None:
    assert parse_source("a = 1\nb = (2,").syntax_error == SyntaxErrorInfo(
        "'(' was never closed", 2, 5
    )
    error = parse_source("é = 'ü' + ?? +").syntax_error
    assert error is not None and (error.row, error.column) == (1, 11)
    assert parse_source("x = 1\n  y = 2").syntax_error == SyntaxErrorInfo("unexpected indent", 2, 2)
    assert parse_source("a\x00b").syntax_error is not None


def test_a_lone_surrogate_is_reported_where_it_is() -> None:
    # JSON may hold "\\ud800"; Python cannot encode the cell to compile it.
    assert parse_source("x = 1\ny = 'é\ud800'").syntax_error == SyntaxErrorInfo(
        "it holds a lone surrogate (U+D800), which is not text", 2, 7
    )


def test_a_cell_read_as_python_without_the_notebook_naming_its_language_says_so() -> None:
    cells = (code("x = (1,", 1), code("git branch newidea", 2), code("y = 1", 3), code("z = 2", 4))

    def messages(metadata: dict | None, cells: tuple = cells) -> list[str]:
        document = notebook_dict(*cells)
        if metadata is not None:
            document["metadata"] = metadata
        nb = from_dict(document, "test.ipynb")
        return [d.message for d in check(nb, rules=[lookup("NBD001")])]

    named = ["Cell does not parse: '(' was never closed", "Cell does not parse: invalid syntax"]
    assert messages(None) == named
    assert messages({"kernelspec": {"name": "python3", "display_name": "Python 3"}}) == named
    # Metadata stripped (ipython-books' bash and Julia notebooks), or a kernel unknown here named
    # without its language: the cells are read as Python, and the message says why.
    unnamed = [
        "Cell does not parse as Python (the notebook does not name its language): "
        "'(' was never closed",
        "Cell does not parse as Python (the notebook does not name its language): invalid syntax",
    ]
    assert messages({}) == unnamed
    assert messages({"kernelspec": {"name": "conda-env-x", "display_name": "x"}}) == unnamed
    # Most of its cells do not parse: one finding says it may be another kernel's notebook.
    shell = (code("pwd", 1), code("git branch newidea", 2), code("echo 'x' > f.py", 3), code("", 4))
    assert messages({}, shell) == [
        "Cell does not parse as Python (invalid syntax), nor does 1 more of the notebook's 3 code "
        "cells, and the notebook does not name its language: it may be written for another kernel"
    ]
    assert len(messages({"kernelspec": {"name": "python3"}}, shell)) == 2


def test_a_cell_of_a_python_2_notebook_is_said_not_to_parse_as_python_3() -> None:
    def messages(metadata: dict) -> list[str]:
        document = notebook_dict(code("print 'done'", 1)) | {"metadata": metadata}
        return [d.message for d in check(from_dict(document, "x"), rules=[lookup("NBD001")])]

    python_2 = [
        "Cell does not parse as Python 3 (the notebook's kernel is Python 2): Missing "
        "parentheses in call to 'print'. Did you mean print(...)?"
    ]
    kernel = {"name": "python2", "display_name": "Python 2", "language": "python"}
    assert messages({"kernelspec": kernel}) == python_2
    # The version the kernel reported decides (aymericdamien/TensorFlow-Examples: a "python3"
    # kernelspec that ran Python 2.7.12).
    kernel = {"name": "python3", "display_name": "Python [default]", "language": "python"}
    assert (
        messages({"kernelspec": kernel, "language_info": {"name": "python", "version": "2.7.12"}})
        == python_2
    )
    assert messages(
        {"kernelspec": kernel, "language_info": {"name": "python", "version": "3.6.1"}}
    ) == ["Cell does not parse: Missing parentheses in call to 'print'. Did you mean print(...)?"]


def test_a_cell_magic_written_with_one_percent_says_how_it_is_read() -> None:
    # GoogleCloudPlatform/training-data-analyst: Google Cloud Datalab ran `%bash` over a body as
    # `%%bash`; IPython reads it as a line magic and the body as Python.
    cells = (
        code("%bash\ngcloud storage ls gs://${BUCKET}/preproc/", 1),
        code("%bq query\nSELECT 1", 2),
        code("%matplotlib inline\nx = (1,", 3),
        code("%bash", 4),
    )
    found = check(notebook(*cells), rules=[lookup("NBD001")])
    assert [(d.cell, d.location.row, d.message) for d in found] == [
        (
            1,
            2,
            "Cell does not parse: invalid syntax; `%bash` on its first line is read as a line "
            "magic, not as the cell magic `%%bash` (Google Cloud Datalab alone read it as one)",
        ),
        (
            2,
            2,
            "Cell does not parse: invalid syntax; `%bq` on its first line is read as a line "
            "magic, not as the cell magic `%%bq` (Google Cloud Datalab alone read it as one)",
        ),
        (3, 2, "Cell does not parse: '(' was never closed"),
    ]


def test_parsing_does_not_warn(recwarn) -> None:
    parse_source('pattern = "\\d+\\.\\d"')
    assert [str(w.message) for w in recwarn] == []


def test_spans_count_characters_not_bytes() -> None:
    assert name_span("é = 'ü'; zz = é", "zz") == (1, 10, 1, 12)


def test_analysis_parses_each_code_cell_once() -> None:
    nb = notebook(code("x = 1", 1), markdown("# t"), code("%%bash\nls", 2))
    analysis = Analysis(nb, Settings())
    parsed = analysis.parsed
    assert analysis.parsed is parsed
    assert [p.cell.index for p in parsed] == [1, 3]
    assert parsed[0].tree is not None and parsed[1].tree is None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet="%!?;,/=()[]{}'\"\\#:xy1 .\t*é", max_size=12) | st.sampled_from(LINES),
        max_size=8,
    )
)
def test_any_text_parses_or_reports_without_raising(lines: list[str]) -> None:
    source = "\n".join(lines)
    parsed = parse_source(source)
    flow = cell_flow(parsed)
    rows = len(source.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    if parsed.tree is not None:
        for node in ast.walk(parsed.tree):
            if isinstance(node, ast.expr | ast.stmt):
                row, column, end_row, _ = parsed.span(node)
                assert 1 <= row <= end_row <= rows and column >= 1
    for read in flow.reads.values():
        assert 1 <= read.row <= rows
    if parsed.syntax_error is not None:
        assert parsed.tree is None and 1 <= parsed.syntax_error.row <= rows + 1


@pytest.fixture(scope="module")
def ipython():
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


def ipython_parses(shell, source: str) -> bool:
    """Whether IPython can compile the cell, or for `%%time`-like magics the body they run."""
    while True:
        lines = source.split("\n")
        first = next((row for row, line in enumerate(lines) if line.strip()), None)
        if first is None or not lines[first].lstrip().startswith("%%"):
            break
        name = (lines[first].strip()[2:].split() or [""])[0]
        if name not in PYTHON_CELL_MAGICS:
            break
        source = "\n".join(lines[first + 1 :])
    return any(_compiles(shell, text) for text in (source, _ipython_8_leading_indent(source)))


def _compiles(shell, source: str) -> bool:
    try:
        ast.parse(shell.transform_cell(source))
    except SyntaxError:
        return False
    return True


def _ipython_8_leading_indent(source: str) -> str:
    """What IPython 8 and earlier did first (`leading_indent`, removed in IPython 9): the first
    line's indentation taken off every line that starts with it."""
    lines = source.split("\n")
    first = next((line for line in lines if line.strip()), "")
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return source
    return "\n".join(line[len(indent) :] if line.startswith(indent) else line for line in lines)


IPYTHON_CELLS = [
    "files = !ls\nx = %env HOME\n%matplotlib inline\n!!ls\ndf?\n??df",
    "for f in files:\n    !cp {f} out/\n    %time g(f)",
    "%%time\nx = 1\n!echo {x}",
    "%%bash\nif [ -f x ]; then echo (; fi",
    "    a = 1\n    b = a",
    "a = 1\n  b = 2",
    "x = (1,\n%2)",
    "s = '''\n!not a command\n'''\nt = 1",
    "!ls \\\n  -la\nx = 1",
    "pip install pandas",
    "obj.attr?",
    "x = 1 ?",
    "%%capture out\nprint(1)",
    "d['k'] = !pwd",
    "x += !ls",
    "a == !b",
    "%%timeit -n1 a = 1\nb = a",
    "def f():\n    %time g()\n    return 1",
    "@decorator\n%time x\ndef f(): pass",
    "/f x\n,f a b\n;f a b\n, a",
    "/ f x",
    ",*]",
    "!= 1",
    "%= 1",
    "%time x?",
    "%timeit [a \\\n   for a in b]",
    "x = (1, y?",
    "x = (1, y?\nz = 2",
    "x = \\\n  y?",
    "f(a,\n b?\n c)",
    "x = 1  # y?",
    ">>> x = 1\n>>> for i in r:\n...     print(i)",
    ">>> import os\n\n >>> os.getcwd()",
]


@pytest.mark.parametrize("source", IPYTHON_CELLS)
def test_parses_exactly_when_ipython_does(ipython, source: str) -> None:
    assert (parse_source(source).syntax_error is None) == ipython_parses(ipython, source)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(LINES) | st.sampled_from(["x = 1", "", "  ", "# c"]), max_size=6))
def test_parses_exactly_when_ipython_does_on_line_mixes(ipython, lines: list[str]) -> None:
    source = "\n".join(lines)
    assert (parse_source(source).syntax_error is None) == ipython_parses(ipython, source)


def test_the_file_a_writefile_cell_writes() -> None:
    assert parse_source("%%writefile helpers.py\ndef f(): pass").written_file == "helpers.py"
    assert parse_source("%%file -a pkg/__init__.py\n").written_file == "pkg/__init__.py"
    assert parse_source('%%capture\n%%writefile "my model.py"\nx').written_file == "my model.py"
    for source in ["x = 1", "%%bash\necho hi > a.py", "%%writefile\n"]:
        assert parse_source(source).written_file is None


@pytest.mark.parametrize(
    ("source", "error"),
    [
        # Help on a row above, on the same row, in a logical line of several rows: the error is
        # reported where it is in the cell.
        ("x?\ny = (1,", SyntaxErrorInfo("'(' was never closed", 2, 5)),
        ("df.head??\nfor i in r print(i)", SyntaxErrorInfo("invalid syntax", 2, 12)),
        ("x = 1; y?\nz = (", SyntaxErrorInfo("'(' was never closed", 2, 5)),
        ("x = \\\n  y?\nz = (", SyntaxErrorInfo("'(' was never closed", 3, 5)),
        ("%time x?\nz = (", SyntaxErrorInfo("'(' was never closed", 2, 5)),
        ("é?\nz = 'é' +", SyntaxErrorInfo("invalid syntax", 2, 10)),
        ("x = (1, y?\nz = 2", SyntaxErrorInfo("invalid syntax", 1, 10)),
        ("x = [1,\n  y]?", SyntaxErrorInfo("invalid syntax", 2, 5)),
        # On the help's own row: a `?` that is not help (a comment follows, code follows) is
        # the error, where it is.
        ("a = 1; b?  # why", SyntaxErrorInfo("invalid syntax", 1, 9)),
        ("x?  y = (", SyntaxErrorInfo("invalid syntax", 1, 2)),
        # Prompts IPython removes: the column is the cell's, prompt included.
        (
            ">>> x = 1\n>>> print 'a'",
            SyntaxErrorInfo(
                "Missing parentheses in call to 'print'. Did you mean print(...)?", 2, 5
            ),
        ),
    ],
)
def test_help_and_prompts_leave_a_real_error_where_it_is(source: str, error) -> None:
    assert parse_source(source).syntax_error == error


def test_prompts_are_removed_and_positions_kept() -> None:
    source = ">>> import os\n\n >>> cwd = os.getcwd()\n>>> !ls {cwd}"
    parsed = parse_source(source)
    assert parsed.syntax_error is None
    assert name_span(source, "cwd") == (3, 6, 3, 9)
    assert parsed.shell_commands == (ShellCommand("ls {cwd}", 4, 5, 14),)


def test_a_shell_cell_joins_lines_continued_with_a_backslash() -> None:
    parsed = parse_source("%%bash\nset -e\npip install \\\n    pandas==2.2.3 seaborn\n# done\n")
    assert parsed.shell_commands == (
        ShellCommand("set -e", 2, 1, 7),
        ShellCommand("pip install pandas==2.2.3 seaborn", 3, 1, 14),
    )


def test_an_r_cell_binds_in_python_only_what_it_outputs() -> None:
    plain = parse_source("%%R\nx <- 42")
    assert (plain.binds_unknown, plain.magic_bindings) == (False, ())
    out = parse_source("%%R -i df -o fit,coefs --output=summary\nfit <- lm(y ~ x, df)")
    assert (out.binds_unknown, out.magic_bindings) == (False, ("fit", "coefs", "summary"))

"""Cell source -> Python AST, with IPython's own syntax masked so that positions stay those of the cell.

IPython accepts more than Python: line magics (`%matplotlib inline`), shell escapes (`!ls`,
`files = !ls`, `x = %sx ls`), help (`obj?`, `??obj`), a cell magic on the first line (`%%bash`,
`%%time`), and, in a one-line cell, magics typed without their `%` (automagic: `pip install x`).
Rather than running IPython's transformer (heavy to import), each such line is replaced by a Python
statement on the same row: `pass`, `x = None` for an assignment from a magic, or `if 1:` followed by
the statement a `%time`-like magic runs, in the same columns. Every other line is left untouched, so
rows and columns of the AST are those of the cell (columns as UTF-8 byte offsets, as `ast` gives
them; `ParsedCell.span` turns them into 1-based character columns).

Before that, IPython takes off a pasted session's prompts (`>>> `, `In [3]: `) and the cell's
indentation, and its versions differ in how: a cell is read as the newest IPython reads it, else
as the first older one that parses it; when the saved outputs hold the SyntaxError of its last
run, as the first that does not (that IPython ran it).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache, partial
from keyword import iskeyword

from .. import collector
from ..model import Cell
from ..records import Record


class SyntaxErrorInfo(Record):
    """Why a cell does not parse, at a cell-relative 1-based row and column."""

    message: str
    row: int
    column: int


class ShellCommand(Record):
    """A shell command a cell runs (`!cmd`, `x = !cmd`, `%pip ...`, `%conda ...`, a `%%bash` line).

    `text` is the command as the shell (or package manager) receives it: `pip install pandas` for
    both `!pip install pandas` and `%pip install pandas`. `row`/`column` locate its first character
    in the cell (the `!` or `%` escape, when there is one), 1-based.
    """

    text: str
    row: int
    column: int
    end_column: int


class ParsedCell(Record):
    cell: Cell
    tree: ast.Module | None
    """None when the cell is not Python (a `%%bash`-style cell) or does not parse."""

    syntax_error: SyntaxErrorInfo | None
    shell_commands: tuple[ShellCommand, ...]
    cell_magic: str | None = None
    """The cell magic on the first line (`time` for `%%time`), if any."""

    magic_bindings: tuple[str, ...] = ()
    """Names bound by IPython syntax, outside the tree: `%%capture out`, `%%bash --out x`."""

    binds_unknown: bool = False
    """The cell may bind names nobody can see: `%run script.py`, `%%cython`, unknown cell magics."""

    @property
    def written_file(self) -> str | None:
        """The file a `%%writefile` / `%%file` cell writes (`-a` appends to it), as written."""
        if self.cell_magic is None:
            return None
        for line in _split_lines(self.cell.source.lstrip()):
            match = _CELL_MAGIC.match(line.strip())
            if match is None:
                return None
            if match["name"] in {"writefile", "file"}:
                import shlex  # only the dependency rules ask, for a notebook's own modules

                try:
                    words = shlex.split(match["args"])
                except ValueError:
                    words = match["args"].split()
                names = [word for word in words if not word.startswith("-")]
                return names[0] if names else None
        return None

    def span(self, node: ast.AST) -> tuple[int, int, int, int]:
        """(row, column, end_row, end_column) of a node, 1-based character columns in the cell."""
        row = node.lineno  # type: ignore[attr-defined]
        end_row = node.end_lineno or row  # type: ignore[attr-defined]
        column = node.col_offset  # type: ignore[attr-defined]
        end_offset = node.end_col_offset  # type: ignore[attr-defined]
        if not self.cell.source.isascii():  # the offsets count UTF-8 bytes, not characters
            column = self._characters(row, column)
            if end_offset is not None:
                end_offset = self._characters(end_row, end_offset)
        return row, column + 1, end_row, column + 1 if end_offset is None else end_offset + 1

    def _characters(self, row: int, byte_offset: int) -> int:
        lines = _cached_lines(self.cell.source)
        line = lines[row - 1] if 0 < row <= len(lines) else ""
        return len(line.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def parse_cell(cell: Cell) -> ParsedCell:
    """The AST of a code cell with IPython syntax masked, or why it has none."""
    with _quiet():
        return _parse_cell(cell)


def _parse_cell(cell: Cell) -> ParsedCell:
    readings = _readings(cell.source)
    first = _read(cell, *next(readings))
    parsed_when_run = not _ran_into_syntax_error(cell)
    if (first.syntax_error is None) == parsed_when_run:
        return first  # most cells: the other readings are not even made
    for text, shifts in readings:
        parsed = _read(cell, text, shifts)
        if (parsed.syntax_error is None) == parsed_when_run:
            return parsed
    return first


def _read(cell: Cell, source: str, shifts: list[int] | None) -> ParsedCell:
    """One reading of the cell: `source` is the cell with each row's first `shifts[row]`
    characters taken off (by IPython's prompt and indentation stripping)."""
    masked = _mask(source)
    if masked.python is None:
        tree, error = None, None
    else:
        tree, error = _parse(masked.python, dedent=shifts is None)
        if (automagic := _automagic(source, parses=error is None)) is not None:
            masked = _mask(automagic)
            tree, error = _parse(masked.python or "", dedent=shifts is None)
            # The `%` added for the masking is not in the cell.
            masked.shell_commands = tuple(
                command._replace(end_column=command.end_column - 1)
                for command in masked.shell_commands
            )
    if shifts is not None:
        tree, error = _shifted_back(tree, error, masked, shifts)
    return ParsedCell(
        cell,
        tree,
        error,
        masked.shell_commands,
        masked.cell_magic,
        masked.magic_bindings,
        masked.binds_unknown,
    )


_SYNTAX_ERRORS = frozenset({"SyntaxError", "IndentationError", "TabError"})


def _ran_into_syntax_error(cell: Cell) -> bool:
    """The saved outputs hold the SyntaxError of the cell's last run: the IPython that ran it did
    not parse it."""
    for output in cell.outputs:
        if output.get("output_type") == "error" and output.get("ename") in _SYNTAX_ERRORS:
            return True
    return False


def parse_cells(cells: Iterable[Cell]) -> tuple[ParsedCell, ...]:
    """`parse_cell` for many cells, with the cyclic garbage collector paused meanwhile (ASTs hold
    no reference cycles: see nb_discipline.collector)."""
    with collector.paused(), _quiet():
        return tuple(_parse_cell(cell) for cell in cells)


def parse_source(source: str, index: int = 0) -> ParsedCell:
    """`parse_cell` for a bare source string (a cell being run, known only by its text)."""
    return parse_cell(Cell(index=index, id=None, cell_type="code", source=source))


# --- prompts ---------------------------------------------------------------------------------

# IPython takes a pasted session's prompts off before anything else, and each version does it its
# own way. IPython 7.0 to 9.9: `>>> ` and `... ` off every line when the first line starts with
# `>>> ` or the second with either (`...` alone is Python's Ellipsis); IPython 9.10 and later: when
# any line starts with `>>>`, indented or not, both prompts off every line but those of a docstring
# (a triple-quoted string opening a line), then the indentation the stripped lines share. All of
# them: `In [3]: ` and `   ...: ` off every line when the first or second line starts with one.
_MAYBE_PROMPT = re.compile(r"^[ \t]*>>>|^\.\.\.(?: |$)|In \[\d+\]: |\.\.\.:", re.MULTILINE)
_CLASSIC_FIRST = re.compile(r">>>(?: |$)")
_CLASSIC = re.compile(r"(?:>>>|\.\.\.)(?: |$)")
_DOCTEST_FIRST = re.compile(r"\s*>>>")
_DOCTEST = re.compile(r"\s*(?:>>>|\.\.\.)[ \t]?")
_IPYTHON_PROMPT = re.compile(r"(?:(?:\[nav\]|\[ins\])? )?In \[\d+\]: |\s*\.{3,}: ?")
_TRIPLE_QUOTE = re.compile(r"(?<!\\)(\"\"\"|\'\'\')")
_STRING_PREFIX = re.compile(r"[rubfRUBF]*")


def _readings(source: str) -> Iterator[tuple[str, list[int] | None]]:
    """The cell as each IPython since 7.0 runs it, the newest first, each once: (the text, how
    many characters each row lost at its start, or None when it is the cell as written)."""
    maybe = ">>>" in source or "..." in source or "In [" in source
    prompted = maybe and _MAYBE_PROMPT.search(source) is not None
    if not prompted:
        yield source, None  # `_parse` takes off the indentation all lines share, if it must
        lines = _split_lines(source)
        if (shifts := _first_line_indent(lines)) is not None:  # IPython 8 and earlier
            yield "\n".join(_cut(lines, shifts)), shifts
        return
    lines = _split_lines(source)
    readings: list[tuple[str, list[int] | None]] = []
    for indent, prompts in (
        (_dedent, _doctest_prompts),  # IPython 9.10 and later
        (_dedent, _classic_prompts),  # IPython 9.0 to 9.9
        (_first_line_indent, _classic_prompts),  # IPython 8 and earlier
    ):
        reading = _reading(lines, indent, prompts) or (source, None)
        if reading not in readings:
            readings.append(reading)
            yield reading


def _reading(
    lines: list[str],
    indent: Callable[[list[str]], list[int] | None],
    prompts: Callable[[list[str], int], list[int] | None],
) -> tuple[str, list[int]] | None:
    """The lines after the indentation step, then the `>>>` prompts, then IPython's own took
    characters off their starts; None when none took any."""
    # IPython drops the leading blank lines once, before any step: the prompts are looked for
    # on the first two lines after those, even where a step has emptied one.
    first = next((row for row, line in enumerate(lines) if line.strip()), len(lines))
    shifts = [0] * len(lines)
    for step in (indent, partial(prompts, first=first), partial(_ipython_prompts, first=first)):
        removed = step(lines)
        if removed is not None:
            lines = _cut(lines, removed)
            shifts = [total + more for total, more in zip(shifts, removed, strict=True)]
    return ("\n".join(lines), shifts) if any(shifts) else None


def _cut(lines: list[str], removed: list[int]) -> list[str]:
    return [line[count:] for line, count in zip(lines, removed, strict=True)]


def _classic_prompts(lines: list[str], first: int) -> list[int] | None:
    """IPython 7.0 to 9.9: `>>> `/`... ` off every line, if the two lines from row index
    `first` show one."""
    head = lines[first : first + 2]
    if not (head and _CLASSIC_FIRST.match(head[0])) and not (
        len(head) > 1 and _CLASSIC.match(head[1])
    ):
        return None
    return [match.end() if (match := _CLASSIC.match(line)) else 0 for line in lines]


def _ipython_prompts(lines: list[str], first: int) -> list[int] | None:
    """`In [3]: ` and `   ...: ` off every line, if the two lines from row index `first` show
    one."""
    if not any(_IPYTHON_PROMPT.match(line) for line in lines[first : first + 2]):
        return None
    return [match.end() if (match := _IPYTHON_PROMPT.match(line)) else 0 for line in lines]


def _doctest_prompts(lines: list[str], first: int) -> list[int] | None:
    """IPython 9.10 and later: the prompts off every line outside docstrings, if one line
    outside them starts with `>>>` (any line: `first` does not matter); then each run of
    stripped lines dedented."""
    kept = _docstring_rows(lines)
    if not any(
        not keep and _DOCTEST_FIRST.match(line) for line, keep in zip(lines, kept, strict=True)
    ):
        return None
    removed = [
        0 if keep or (match := _DOCTEST.match(line)) is None else match.end()
        for line, keep in zip(lines, kept, strict=True)
    ]
    stripped = _cut(lines, removed)
    start = 0
    while start < len(lines):  # runs of rows outside docstrings, or inside them
        end = start
        while end < len(lines) and kept[end] == kept[start]:
            end += 1
        if not kept[start] and any(removed[start:end]):
            margin = _dedent(stripped[start:end]) or [0] * (end - start)
            removed[start:end] = [a + b for a, b in zip(removed[start:end], margin, strict=True)]
        start = end
    return removed


def _docstring_rows(lines: list[str]) -> list[bool]:
    """Rows IPython 9.10 leaves their prompts: those of a triple-quoted string opening a line
    (only a prefix such as `r` before it, or a prompt when no line above had `>>>`), the
    opening row included."""
    kept = []
    quote: str | None = None
    keep = seen = False
    for line in lines:
        kept.append(quote is not None and keep)
        for match in _TRIPLE_QUOTE.finditer(line):
            if quote is None:
                quote = match[1]
                before = line[: match.start()]
                unprompted = _DOCTEST.sub("", before, count=1)
                prompted = unprompted != before
                keep = not (prompted and seen) and bool(
                    _STRING_PREFIX.fullmatch(unprompted.strip())
                )
                kept[-1] = keep
            elif quote == match[1]:
                quote, keep = None, False
        seen = seen or _DOCTEST_FIRST.match(line) is not None
    return kept


def _dedent(lines: list[str]) -> list[int] | None:
    """What `textwrap.dedent` takes off each line (blank lines lose all): IPython 9 removes the
    indentation all lines share. None when it takes nothing."""
    indents = [line[: len(line) - len(line.lstrip(" \t"))] for line in lines if line.strip(" \t")]
    # The longest common prefix of all the indents is that of the first and last in order.
    low, high = min(indents, default=""), max(indents, default="")
    margin = next(
        (i for i, pair in enumerate(zip(low, high, strict=False)) if pair[0] != pair[1]), len(low)
    )
    removed = [margin if line.strip(" \t") else len(line) for line in lines]
    return removed if any(removed) else None


def _shifted_back(
    tree: ast.Module | None, error: SyntaxErrorInfo | None, masked: _Masked, shifts: list[int]
) -> tuple[ast.Module | None, SyntaxErrorInfo | None]:
    """Positions in the cell as written, prompts included (prompts are ASCII: bytes are
    characters)."""

    def shift(row: int) -> int:
        return shifts[row - 1] if 0 < row <= len(shifts) else 0

    for node in ast.walk(tree) if tree is not None else ():
        if hasattr(node, "col_offset"):
            node.col_offset += shift(node.lineno)  # type: ignore[attr-defined]
            if getattr(node, "end_col_offset", None) is not None:
                node.end_col_offset += shift(node.end_lineno)  # type: ignore[attr-defined]
    masked.shell_commands = tuple(
        command._replace(
            column=command.column + shift(command.row),
            end_column=command.end_column + shift(command.row),
        )
        for command in masked.shell_commands
    )
    if error is not None:
        error = error._replace(column=error.column + shift(error.row))
    return tree, error


# --- parsing ---------------------------------------------------------------------------------


@contextmanager
def _quiet() -> Iterator[None]:
    # `"\d"` in a cell: Python warns (SyntaxWarning from 3.12); the check reports, not warns.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _parse(text: str, dedent: bool = True) -> tuple[ast.Module | None, SyntaxErrorInfo | None]:
    """The tree of `text`, or why it has none; `dedent`: IPython 9 removes the indentation all
    lines share first (a reading that stripped prompts or indentation has done it already)."""
    try:
        return ast.parse(text), None
    except IndentationError as error:
        if dedent and _all_indented(text):
            try:
                return _parse_indented(text), None
            except SyntaxError as nested:
                return None, _error_info(nested, row_shift=-1)
        return None, _error_info(error)
    except SyntaxError as error:
        return None, _error_info(error)
    except UnicodeEncodeError as error:  # JSON's "\ud800": no encoding writes it, nor compiles it
        rows = _split_lines(text[: error.start])
        character = f"U+{ord(text[error.start]):04X}"
        message = f"it holds a lone surrogate ({character}), which is not text"
        return None, SyntaxErrorInfo(message, len(rows), len(rows[-1]) + 1)
    except (ValueError, RecursionError, MemoryError) as error:  # null bytes, absurd nesting
        return None, SyntaxErrorInfo(str(error) or type(error).__name__, 1, 1)


def _parse_indented(text: str) -> ast.Module:
    wrapped = ast.parse("if 1:\n" + text)
    # Lines indented less than the first one end up after the `if`, still in order.
    body = [*wrapped.body[0].body, *wrapped.body[1:]]  # type: ignore[attr-defined]
    for statement in body:
        ast.increment_lineno(statement, -1)
    return ast.Module(body=body, type_ignores=[])


def _error_info(error: SyntaxError, row_shift: int = 0) -> SyntaxErrorInfo:
    row = max((error.lineno or 1) + row_shift, 1)
    return SyntaxErrorInfo(error.msg or "invalid syntax", row, max(error.offset or 1, 1))


def _all_indented(text: str) -> bool:
    lines = [line for line in _split_lines(text) if line.strip()]
    return bool(lines) and all(line.startswith((" ", "\t")) for line in lines)


def _first_line_indent(lines: list[str]) -> list[int] | None:
    """What IPython 8 and earlier took off each line (IPython 9 dropped it): the first line's
    indentation, off every line that starts with it (a cell magic's body: its own first
    line's). None when that line is not indented."""
    body = 0
    while body < len(lines) and (not lines[body].strip() or lines[body].startswith("%%")):
        body += 1
    first = lines[body] if body < len(lines) else ""
    indent = first[: len(first) - len(first.lstrip(" \t"))]
    if not indent:
        return None
    return [
        len(indent) if row >= body and line.startswith(indent) else 0
        for row, line in enumerate(lines)
    ]


_NEWLINE = re.compile(r"\r\n|\r|\n")


def _split_lines(text: str) -> list[str]:
    """Lines as Python's tokenizer counts them (not str.splitlines, which also splits on \\f)."""
    return _NEWLINE.split(text)


@lru_cache(maxsize=16)
def _cached_lines(text: str) -> tuple[str, ...]:
    """The lines of the cell being analysed: spans of its nodes are asked for one after another."""
    return tuple(_split_lines(text))


# --- masking ---------------------------------------------------------------------------------

# Cell magics whose body is Python run in the user's namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "production"})
# Cell magics whose body is something else and that bind nothing (unless --out/--err/--proc).
FOREIGN_CELL_MAGICS = frozenset(
    {
        "bash", "sh", "script", "html", "HTML", "javascript", "js", "latex", "markdown", "svg",
        "writefile", "file", "perl", "ruby", "python", "python2", "python3", "pypy", "system",
        "sx", "!",
    }
)  # fmt: skip
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "system", "sx", "!"})
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
# Line magics that hand their arguments to a shell or a package manager.
PACKAGE_MAGICS = frozenset({"pip", "conda", "mamba", "micromamba", "uv"})
SHELL_LINE_MAGICS = frozenset({"sx", "system"})
# Line magics whose argument is a Python statement run in the user's namespace, and their options
# that take a value (`%timeit -n 10 f()`).
STATEMENT_MAGICS = {"time": "", "timeit": "nrp", "prun": "DlsT"}
COMPOUND_KEYWORDS = frozenset(
    {"for", "while", "if", "with", "try", "def", "class", "async", "match", "@"}
)
# Line magics that can bind names nobody can see.
UNKNOWN_BINDING_MAGICS = frozenset({"run", "rerun", "recall", "load", "pylab"})
# Magic names that a one-line cell may use without `%` (IPython's automagic); only applied when
# the line is not Python, or for names that are never taken as variables.
AUTOMAGIC = frozenset(
    {
        "pip", "conda", "mamba", "micromamba", "uv", "cd", "ls", "pwd", "matplotlib", "load_ext",
        "reload_ext", "unload_ext", "autoreload", "aimport", "env", "set_env", "time", "timeit",
        "who", "whos", "who_ls", "run", "store", "config", "history", "reset", "xmode", "pdb",
        "lsmagic", "pylab", "mkdir", "rmdir", "cat", "cp", "mv", "rm", "less", "man", "pinfo",
        "pinfo2", "psource", "pdoc", "pdef", "pfile", "precision", "colors", "bookmark", "dhist",
        "dirs", "pushd", "popd", "alias", "unalias", "sx", "system", "prun", "xdel", "tb",
    }
)  # fmt: skip
ALWAYS_AUTOMAGIC = frozenset({"ls", "pwd", "who", "whos", "lsmagic", "dhist", "dirs", "popd"})

# A cheap test that spares most cells the line-by-line scan: no line starts with an escape, ends
# with `?`, or assigns from `!`/`%`. Without `%`, `!` or `?` in the cell, only the autocall escapes
# (`/f x`, `,f a b`, `;f a b`) can match: a search for them alone is several times faster.
_MAYBE_IPYTHON = re.compile(r"^[ \t]*[%!?/,;]|\?[ \t]*$|=[ \t]*[!%]", re.MULTILINE)
_AUTOCALL_BELOW_FIRST_LINE = re.compile(r"\n[ \t]*[/,;]")
# `!=` and `%=` are operators to IPython's tokenizer, not escapes.
_ESCAPE = re.compile(r"[ \t]*(?:!!|\?\?|[!%](?!=)|[?,;]|/(?=\S))")
_MAGIC = re.compile(r"%(?P<name>[\w.]+)?(?P<space>[ \t]*)(?P<args>.*)", re.DOTALL)
_ASSIGN_FROM_MAGIC = re.compile(r"=[ \t]*(?:!|%(?=[A-Za-z_%]))")
_HELP_END = re.compile(r"%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+|\[-?[0-9]+\])*\?\??$")
_CELL_MAGIC = re.compile(r"%%(?P<name>\S*)[ \t]*(?P<args>.*)")
_OUTPUT_OPTION = re.compile(r"--(?:out|err|proc)[ =]+([A-Za-z_]\w*)")


def _help_end(line: str) -> bool:
    """The line ends with `name?` or `name??`. Tried only on a line ending with `?` (`$` also
    matches before a final newline): the search tries every start, slowly on a long line."""
    return line.endswith(("?", "?\n")) and _HELP_END.search(line) is not None


class _Masked:
    __slots__ = ("binds_unknown", "cell_magic", "magic_bindings", "python", "shell_commands")

    def __init__(
        self,
        python: str | None,
        shell_commands: tuple[ShellCommand, ...] = (),
        cell_magic: str | None = None,
        magic_bindings: tuple[str, ...] = (),
        binds_unknown: bool = False,
    ) -> None:
        self.python = python
        self.shell_commands = shell_commands
        self.cell_magic = cell_magic
        self.magic_bindings = magic_bindings
        self.binds_unknown = binds_unknown


def _mask(source: str) -> _Masked:
    if source.lstrip().startswith("%%"):
        lines = _split_lines(source)
        first = next(row for row, line in enumerate(lines) if line.strip())
        return _mask_cell_magic(lines, first)
    if not _may_hold_ipython(source):
        return _Masked(source)
    return _LineMasker().mask(_split_lines(source))


def _may_hold_ipython(source: str) -> bool:
    if "%" in source or "!" in source or "?" in source:
        return _MAYBE_IPYTHON.search(source) is not None
    return (
        source.lstrip(" \t")[:1] in ("/", ",", ";")
        or _AUTOCALL_BELOW_FIRST_LINE.search(source) is not None
    )


def _mask_cell_magic(lines: list[str], row: int) -> _Masked:
    match = _CELL_MAGIC.match(lines[row].strip())
    assert match is not None
    name, args = match["name"], match["args"]
    bindings = tuple(_OUTPUT_OPTION.findall(args))
    if name in PYTHON_CELL_MAGICS:
        if name == "capture":
            bindings = tuple(arg for arg in args.split() if not arg.startswith("-"))[:1]
        inner = next(
            (number for number in range(row + 1, len(lines)) if lines[number].strip()), None
        )
        if inner is not None and lines[inner].lstrip().startswith("%%"):
            # `%%capture` over `%%time`: the body is itself a cell with its own magic.
            nested = _mask_cell_magic(lines, inner)
            nested.cell_magic = name
            nested.magic_bindings = bindings + nested.magic_bindings
            return nested
        body = _LineMasker().mask([_setup_statement(lines[row], name, args), *lines[row + 1 :]])
        return _Masked(
            "\n" * row + (body.python or ""),
            tuple(_shifted(command, row) for command in body.shell_commands),
            name,
            bindings,
            body.binds_unknown,
        )
    if name == "R":  # R code that binds in Python only what its options name
        return _Masked(None, (), name, _r_outputs(args), binds_unknown=False)
    shell = name in SHELL_CELL_MAGICS or (name == "script" and (args.split() or [""])[0] in SHELLS)
    commands = _shell_lines(lines, row + 1) if shell else ()
    return _Masked(None, commands, name, bindings, binds_unknown=name not in FOREIGN_CELL_MAGICS)


# rpy2's `%R`/`%%R` (and IPython's rmagic before it, with `-d`): the R objects pushed into the
# Python namespace, as argparse reads `-o x`, `-ox`, `--output x`, `--output=x`; comma-separated.
_R_OUTPUT = re.compile(r"(?:^|\s)(?:-[od]|--output\b|--dataframe\b)(?:=|[ \t]+)?([^\s=]\S*)")


def _r_outputs(args: str) -> tuple[str, ...]:
    """The Python names a `%R` line or `%%R` cell binds (an R name such as `a.b` binds none)."""
    names = (name for value in _R_OUTPUT.findall(args) for name in value.split(","))
    return tuple(name for name in names if name.isidentifier() and not iskeyword(name))


def _shell_lines(lines: list[str], first: int) -> tuple[ShellCommand, ...]:
    """The commands of a shell cell's body from row index `first`: one a line, a line ending in
    `\\` joined with the next as the shell joins them; comments left out."""
    commands = []
    pending: list[str] = []
    for index in range(first, len(lines)):
        line = lines[index]
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            start = index
        if line.rstrip().endswith("\\") and index + 1 < len(lines):
            pending.append(line.rstrip()[:-1].strip())
            continue
        text = " ".join(piece for piece in [*pending, line.strip()] if piece)
        opening = lines[start]
        indent = len(opening) - len(opening.lstrip())
        commands.append(ShellCommand(text, start + 1, indent + 1, len(opening) + 1))
        pending = []
    return tuple(commands)


def _setup_statement(line: str, name: str, args: str) -> str:
    """`%%timeit -n 10 data = make()` runs `data = make()` first: keep it, in its columns."""
    if name != "timeit":
        return ""
    statement = _statement_after_options(args, STATEMENT_MAGICS[name])
    if not _is_simple_statement(statement):
        return ""
    return "if 1:".ljust(len(line) - len(statement)) + statement


def _is_simple_statement(statement: str) -> bool:
    """Whether a `%time`-like magic's argument is a statement that `if 1:` can take on its own
    line: not empty, not only a comment (`%timeit # YOUR CODE` times nothing), not compound."""
    if not statement or statement.startswith("#"):
        return False
    return statement.split()[0].rstrip(":") not in COMPOUND_KEYWORDS


def _shifted(command: ShellCommand, rows: int) -> ShellCommand:
    return ShellCommand(command.text, command.row + rows, command.column, command.end_column)


def _automagic(source: str, parses: bool) -> str | None:
    """The source with `%` added when IPython would run this one-line cell (or one-line body of
    a `%%time`-like cell magic, which IPython transforms the same way) as a magic."""
    stripped = source.strip()
    if "%%" not in stripped and ("\n" in stripped or "\r" in stripped):
        return None  # more than one line: most cells stop here, before any splitting
    lines = _split_lines(source)
    start = 0
    while True:  # leading blank lines go, and each cell magic line before the body
        while start < len(lines) and not lines[start].strip():
            start += 1
        if start < len(lines) and lines[start].lstrip().startswith("%%"):
            start += 1
        else:
            break
    body = lines[start:]
    if body and body[-1] == "":
        body.pop()  # a final newline does not make a second line
    if len(body) != 1:
        return None
    line = body[0]
    word = re.match(r"([ \t]*)([A-Za-z_]\w*)(?=\s|$)(\s*)(.?)", line)
    if word is None or word[2] not in AUTOMAGIC or word[4] in ("=", ","):
        return None
    if parses and word[2] not in ALWAYS_AUTOMAGIC:
        return None
    start = source.rindex(line)  # after the cell magic's line, if any
    return f"{source[:start]}{word[1]}%{source[start + len(word[1]) :]}"


class _LineMasker:
    """Masks IPython lines; tracks strings and brackets so that only logical line starts count."""

    def __init__(self) -> None:
        self.quote: str | None = None
        self.depth = 0
        self.continued = False
        self.commands: list[ShellCommand] = []
        self.binds_unknown = False

    def mask(self, lines: list[str]) -> _Masked:
        out: list[str] = []
        row = start = 0  # `start`: the row where the logical line being read began
        while row < len(lines):
            line = lines[row]
            at_start = self.quote is None and self.depth == 0 and not self.continued
            if at_start:
                start = row
            replacement = self._mask_line(line, row + 1, lines) if at_start else None
            if replacement is None:
                out.append(line)
                code_end = self._advance(line)
                row += 1
                # The cell's final newline makes no line of its own.
                last = row == len(lines) or (row == len(lines) - 1 and not lines[-1])
                if (row - start > 1 or self.depth) and self._ends_logical_help(
                    line, code_end, last
                ):
                    # IPython reads the whole logical line (`x = \`, then `  y?`) as help on
                    # `y`: its rows are masked, in place.
                    indent = out[start][: len(out[start]) - len(out[start].lstrip(" \t"))]
                    out[start:] = [indent + "pass"] + [""] * (row - start - 1)
                    self.depth, self.continued = 0, False
                continue
            out.append(replacement)
            if replacement.endswith("\\"):  # `%timeit f(a, \`: the statement goes on below
                self._advance(replacement)
                row += 1
                continue
            # A masked line continued with a backslash takes the following lines with it.
            while line.rstrip().endswith("\\") and row + 1 < len(lines):
                row += 1
                line = lines[row]
                out.append("")
            row += 1
        return _Masked("\n".join(out), tuple(self.commands), binds_unknown=self.binds_unknown)

    def _mask_line(self, line: str, row: int, lines: list[str]) -> str | None:
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)]
        if not stripped:
            return None
        escape = _ESCAPE.match(line)
        if escape is not None:
            start = len(indent)
            if stripped.startswith("!"):
                self._shell(
                    line[start + (2 if stripped.startswith("!!") else 1) :], row, start, lines
                )
            elif stripped.startswith("%"):
                return self._line_magic(line, indent, row, lines)
            elif stripped[0] in "/,;" and not _autocall_parses(stripped):
                return None
            return indent + "pass"
        assign = _ASSIGN_FROM_MAGIC.search(line)
        if assign is not None and self._is_assignment_target(line[: assign.start()]):
            value_column = assign.end() - 1
            if line[value_column] == "!":
                self._shell(line[value_column + 1 :], row, value_column, lines)
                return line[: assign.start() + 1] + " None"
            # `b = %R -o a code`: the magic binds `a` (`a = None`), then the assignment `b`.
            magic = self._line_magic(line[value_column:], "", row, lines, offset=value_column)
            targets = magic.removesuffix("None") if magic != "pass" else ""
            return f"{line[: assign.start() + 1]} {targets}None"
        if self._ends_with_help(line):
            return indent + "pass"
        return None

    def _line_magic(
        self, line: str, indent: str, row: int, lines: list[str], offset: int = 0
    ) -> str:
        """The statement that stands for a line magic on its row: `pass`, the statement a
        `%time`-like magic runs, or `a = b = None` for the names it binds (`%store -r a b`)."""
        start = len(indent)
        match = _MAGIC.match(line, start)
        if match is None or match["name"] is None:
            return indent + "pass"
        name, args = match["name"], match["args"]
        if name in PACKAGE_MAGICS:
            self._shell(line[start + 1 :], row, offset + start, lines)
        elif name in SHELL_LINE_MAGICS:
            self._shell(args, row, offset + start, lines)
        elif name in UNKNOWN_BINDING_MAGICS:
            self.binds_unknown = True
        elif name == "store" and args.split()[:1] == ["-r"]:
            names = [word for word in args.split()[1:] if not word.startswith("-")]
            self.binds_unknown = self.binds_unknown or not names
            return _binding(indent, names)
        elif name == "R":
            return _binding(indent, _r_outputs(args))
        elif name == "Rpull":  # `%Rpull x y`: each name (`-d` is a flag of IPython's rmagic)
            return _binding(indent, args.split())
        elif name == "macro" and (words := [w for w in args.split() if not w.startswith("-")]):
            return _binding(indent, words[:1])  # `%macro -q name 1-3`: options come first
        elif name in STATEMENT_MAGICS and not offset and not self._ends_with_help(line):
            # `%time x?` is help on `x`, as a line of its own would be.
            statement = _statement_after_options(args, STATEMENT_MAGICS[name])
            if _is_simple_statement(statement):
                prefix = len(line) - len(statement)
                if prefix - start >= len("if 1:"):
                    return indent + "if 1:".ljust(prefix - start) + statement
        return indent + "pass"

    def _shell(self, text: str, row: int, column: int, lines: list[str]) -> None:
        """Record a shell command whose escape is at 0-based `column` of `row`."""
        pieces = [text.rstrip()]
        following = row
        while pieces[-1].endswith("\\") and following < len(lines):
            pieces[-1] = pieces[-1][:-1].rstrip()
            pieces.append(lines[following].strip())
            following += 1
        command = " ".join(piece for piece in pieces if piece)
        self.commands.append(ShellCommand(command, row, column + 1, len(lines[row - 1]) + 1))

    def _is_assignment_target(self, prefix: str) -> bool:
        """Whether `prefix` of `prefix= %magic` is what Python assigns to (not the start of a
        string: `'x = %d' % x` formats one)."""
        if not prefix.strip() or "=" in prefix or "#" in prefix:
            return False
        try:
            ast.parse(prefix.strip() + " = None")
        except (SyntaxError, ValueError):
            return False
        return True

    def _ends_with_help(self, line: str) -> bool:
        """`obj?`, `df.head??`, `x[0]?`: a name, then `?` or `??` ending the line (as IPython)."""
        if not _help_end(line):
            return False
        scanner = _LineMasker()
        code_end = scanner._advance(line)
        return scanner.quote is None and scanner.depth == 0 and code_end == len(line)

    def _ends_logical_help(self, line: str, code_end: int, last: bool) -> bool:
        """Whether `line` ends a logical line (or the cell, brackets still open) with `name?`."""
        ends = self.quote is None and (last or (self.depth == 0 and not self.continued))
        return ends and code_end == len(line) and _help_end(line)

    def _advance(self, line: str) -> int:
        """Move the string/bracket state past `line`; returns where its code ends (a comment)."""
        position = 0
        length = len(line)
        self.continued = False
        while position < length:
            if self.quote is not None:
                match = _STRING_END[self.quote].search(line, position)
                if match is None:
                    if len(self.quote) == 1 and not line.endswith("\\"):
                        self.quote = None  # unterminated: a syntax error Python will report
                    return length
                position = match.end()
                if not match.group().startswith("\\"):
                    self.quote = None
                continue
            match = _INTERESTING.search(line, position)
            if match is None:
                return length
            character = match.group()
            position = match.end()
            if character == "#":
                return match.start()
            if character == "\\":
                self.continued = not line[position:].strip()
            elif character in "([{":
                self.depth += 1
            elif character in ")]}":
                self.depth = max(self.depth - 1, 0)
            elif line.startswith(character * 3, match.start()):
                self.quote = character * 3
                position = match.start() + 3
            else:
                self.quote = character
        return length


_INTERESTING = re.compile(r"""[\\"'#()\[\]{}]""")
_STRING_END = {
    quote: re.compile(r"\\.|\\$|" + re.escape(quote)) for quote in ('"""', "'''", '"', "'")
}


def _binding(indent: str, names: Iterable[str]) -> str:
    """`a = b = None` for the Python names among `names`, `pass` when there are none."""
    names = [name for name in names if name.isidentifier() and not iskeyword(name)]
    return indent + (" = ".join([*names, "None"]) if names else "pass")


def _autocall_parses(line: str) -> bool:
    """Whether IPython's rewrite of `/f a b` (`f(a, b)`), `,f a b` (`f("a", "b")`) or `;f a b`
    (`f("a b")`) is Python."""
    name, _, args = line[1:].partition(" ")
    if line[0] == "/":
        call = f"{name}({', '.join(args.split())})"
    elif line[0] == ",":
        call = name + '("' + '", "'.join(args.split()) + '")'
    else:
        call = f'{name}("{args}")'
    try:
        ast.parse(call)
    except (SyntaxError, ValueError):
        return False
    return True


def _statement_after_options(args: str, options_with_value: str) -> str:
    """`-n 10 -r 3 f(x)` -> `f(x)`: the statement after a magic's options."""
    rest = args
    while True:
        match = re.match(r"-(\w)(\S*)\s*", rest)
        if match is None:
            return rest
        rest = rest[match.end() :]
        if match[1] in options_with_value and not match[2]:
            rest = re.sub(r"^\S+\s*", "", rest, count=1)

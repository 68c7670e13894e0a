"""The default format: one ruff-style line per finding, a help line when there is advice, a summary."""

from __future__ import annotations

from ..model import CheckResult, Diagnostic

BOLD, RED, CYAN, YELLOW, DIM, RESET = (
    "\033[1m",
    "\033[31m",
    "\033[36m",
    "\033[33m",
    "\033[2m",
    "\033[0m",
)


# Control characters (C0, DEL, C1) as \xNN: a file name or a quoted output holding an escape
# sequence or a newline must not move the cursor, recolour the terminal or fake a line.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}


def printable(text: str) -> str:
    """`text` with its control characters escaped, for one line of a terminal."""
    return text.translate(_CONTROLS)


def position(diagnostic: Diagnostic) -> str:
    """`path:cell N:row:col`, the notebook form of ruff's `path:row:col`."""
    return (
        f"{printable(diagnostic.filename)}:cell {diagnostic.cell}:"
        f"{diagnostic.location.row}:{diagnostic.location.column}"
    )


def line(diagnostic: Diagnostic, color: bool = False) -> str:
    message = printable(diagnostic.message)
    if not color:
        return f"{position(diagnostic)}: {diagnostic.code} {message}"
    code_color = RED if diagnostic.severity == "error" else YELLOW
    return (
        f"{BOLD}{position(diagnostic)}{RESET}{CYAN}:{RESET} "
        f"{BOLD}{code_color}{diagnostic.code}{RESET} {message}"
    )


def summary(result: CheckResult) -> str:
    """The last line: what was checked, what was found, and what could not be checked. "All checks
    passed!" only when every notebook given was checked and nothing was found."""
    diagnostics, errors, checked = result.diagnostics, result.errors, result.checked
    failed = f"{_count(len(errors), 'file')} could not be checked" if errors else ""
    if diagnostics:
        files = len({diagnostic.filename for diagnostic in diagnostics})
        found = f"Found {_count(len(diagnostics), 'finding')} in {_count(files, 'notebook')}"
        return f"{found} ({checked} checked{'; ' + failed if failed else ''})."
    if not checked:
        return f"No notebooks checked{'; ' + failed if failed else ''}."
    if failed:
        return f"No findings in {_count(checked, 'notebook')}; {failed}."
    return f"All checks passed! ({_count(checked, 'notebook')} checked)"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def render(result: CheckResult, color: bool = False) -> str:
    diagnostics = result.diagnostics
    out = []
    for diagnostic in diagnostics:
        out.append(line(diagnostic, color))
        if diagnostic.help:
            help_text = f"  = help: {printable(diagnostic.help)}"
            out.append(f"{DIM}{help_text}{RESET}" if color else help_text)
    if diagnostics:
        out.append("")
    out.append(summary(result))
    return "\n".join(out) + "\n"

"""The default format: one ruff-style line per finding, a help line when there is advice, a summary."""

from __future__ import annotations

from ..fix import Policy
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
    if text.isprintable():  # no control character: most text, checked much faster than mapped
        return text
    return text.translate(_CONTROLS)


def position(diagnostic: Diagnostic) -> str:
    """`path:cell N:row:col`, the notebook form of ruff's `path:row:col`."""
    return (
        f"{printable(diagnostic.filename)}:cell {diagnostic.cell}:"
        f"{diagnostic.location.row}:{diagnostic.location.column}"
    )


def line(diagnostic: Diagnostic, color: bool = False, fixable: bool = False) -> str:
    """The finding's line; `fixable`: `--fix` would fix it, marked `[*]` as ruff marks it."""
    message = printable(diagnostic.message)
    marker = " [*]" if fixable else ""
    if not color:
        return f"{position(diagnostic)}: {diagnostic.code}{marker} {message}"
    code_color = RED if diagnostic.severity == "error" else YELLOW
    return (
        f"{BOLD}{position(diagnostic)}{RESET}{CYAN}:{RESET} "
        f"{BOLD}{code_color}{diagnostic.code}{RESET}{marker} {message}"
    )


def policy(result: CheckResult) -> Policy:
    """The fix settings the result was made with."""
    return result.policy if result.policy is not None else Policy()


def summary(result: CheckResult) -> str:
    """The last line: what was checked, what was found (and fixed), and what could not be
    checked. "All checks passed!" only when every notebook given was checked and nothing was
    found."""
    diagnostics, errors, checked = result.diagnostics, result.errors, result.checked
    failed = f"{_count(len(errors), 'file')} could not be checked" if errors else ""
    fixed = sum(sum(counts.values()) for counts in result.fixed.values())
    if fixed:
        files = len({d.filename for d in diagnostics} | set(result.fixed))
        found = (
            f"Found {_count(fixed + len(diagnostics), 'finding')} in {_count(files, 'notebook')}"
        )
        counts = f"{fixed} fixed, {len(diagnostics)} remaining; {checked} checked"
        return f"{found} ({counts}{'; ' + failed if failed else ''})."
    if diagnostics:
        files = len({diagnostic.filename for diagnostic in diagnostics})
        found = f"Found {_count(len(diagnostics), 'finding')} in {_count(files, 'notebook')}"
        return f"{found} ({checked} checked{'; ' + failed if failed else ''})."
    if not checked:
        return f"No notebooks checked{'; ' + failed if failed else ''}."
    if failed:
        return f"No findings in {_count(checked, 'notebook')}; {failed}."
    return f"All checks passed! ({_count(checked, 'notebook')} checked)"


def fix_hint(result: CheckResult) -> str | None:
    """What `--fix` would fix, and how many more `--unsafe-fixes` would (only while unsafe
    fixes are not mentioned in the settings either way), as ruff says it."""
    fixes = policy(result)
    fixable = sum(1 for d in result.diagnostics if fixes.applies(d))
    unsafe = 0
    if fixes.unsafe_fixes is None:
        unsafe = sum(1 for d in result.diagnostics if fixes.hidden(d))
    hidden = f"{_count(unsafe, 'unsafe fix', 'unsafe fixes')} available with `--fix --unsafe-fixes`"
    if fixable:
        return f"[*] {fixable} fixable with `--fix`{f' ({hidden})' if unsafe else ''}."
    return f"{hidden}." if unsafe else None


def fixed_summary(result: CheckResult, verb: str = "Fixed") -> str | None:
    """`--fix-only` and `--diff`'s last line: how many findings were (would be) fixed, and how
    many more `--unsafe-fixes` would fix; None when there is nothing to say."""
    fixes = policy(result)
    fixed = sum(sum(counts.values()) for counts in result.fixed.values())
    unsafe = sum(1 for d in result.diagnostics if fixes.hidden(d))
    if fixed:
        more = f" ({_count(unsafe, 'additional fix', 'additional fixes')} available with `--unsafe-fixes`)"
        return f"{verb} {_count(fixed, 'finding')}{more if unsafe else ''}."
    if unsafe:
        nothing = "No findings fixed" if verb == "Fixed" else "No findings would be fixed"
        return f"{nothing} ({_count(unsafe, 'fix', 'fixes')} available with `--unsafe-fixes`)."
    return None


def fixed_list(result: CheckResult) -> list[str]:
    """`--show-fixes`: the fixes applied, per file and rule, as ruff lists them."""
    from ..rules import lookup

    fixed = sum(sum(counts.values()) for counts in result.fixed.values())
    if not fixed:
        return []
    out = [f"Fixed {_count(fixed, 'finding')}:"]
    for filename in sorted(result.fixed):
        out.append(f"- {printable(filename)}:")
        for code, count in sorted(result.fixed[filename].items()):
            rule = lookup(code)
            out.append(f"    {count} × {code} ({rule.name if rule else code})")
    return out


def _count(number: int, noun: str, plural: str | None = None) -> str:
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def render(result: CheckResult, color: bool = False) -> str:
    fixes = policy(result)
    out = []
    if result.fix_mode != "fix-only":
        for diagnostic in result.diagnostics:
            out.append(line(diagnostic, color, fixes.applies(diagnostic)))
            if diagnostic.help:
                help_text = f"  = help: {printable(diagnostic.help)}"
                out.append(f"{DIM}{help_text}{RESET}" if color else help_text)
        if result.diagnostics:
            out.append("")
    if result.show_fixes and (listed := fixed_list(result)):
        out.extend([*listed, ""])
    if result.fix_mode == "fix-only":
        last = fixed_summary(result)
        out.extend([last] if last else [])
    else:
        out.append(summary(result))
        hint = fix_hint(result)
        out.extend([hint] if hint else [])
    return "".join(entry + "\n" for entry in out)

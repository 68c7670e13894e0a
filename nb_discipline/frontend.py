"""What every command-line front-end shares (`nbcheck`, `nbcheck repro`, `%nbcheck`, the server's
handlers and the pytest plugin): the usage error, the parser that raises it, the settings a command
line gives, and writing a report."""

from __future__ import annotations

import argparse
import errno
import os
import sys


class UsageError(Exception):
    """A problem with the command line or the configuration: one line, exit code 2."""


class Formatter(argparse.HelpFormatter):
    """argparse's help formatter, given the terminal's width. Left to find it, argparse imports
    shutil (and with it bz2 and lzma) for every argument added: a tenth of a one-notebook run."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24) -> None:
        super().__init__(prog, indent_increment, max_help_position, terminal_columns() - 2)


def terminal_columns() -> int:
    """The width shutil.get_terminal_size gives: $COLUMNS if positive, else the terminal's, else
    80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class Parser(argparse.ArgumentParser):
    def __init__(self, **options) -> None:
        super().__init__(formatter_class=Formatter, **options)

    def error(self, message: str):  # argparse exits with 2 too; keep its usage line
        self.print_usage(sys.stderr)
        raise UsageError(message)


def comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def settings_for(args: argparse.Namespace, start: str = "."):
    """Settings from the configuration file and the command-line overrides."""
    from .config import ConfigError, Settings, load_settings

    try:
        if getattr(args, "isolated", False):
            settings = Settings(root=os.path.abspath(start))
        else:
            settings = load_settings(args.config, start=start)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    changes = {}
    if getattr(args, "select", None) is not None:
        changes["select"] = args.select
    if getattr(args, "extend_select", None):
        changes["extend_select"] = [*settings.extend_select, *args.extend_select]
    if getattr(args, "ignore", None):
        changes["ignore"] = [*settings.ignore, *args.ignore]
    if getattr(args, "extend_exclude", None):
        changes["extend_exclude"] = [*settings.extend_exclude, *args.extend_exclude]
    changes.update(_fix_changes(args, settings))
    return settings.replace(**changes) if changes else settings


def _fix_changes(args: argparse.Namespace, settings) -> dict:
    """The fix options of the command line (`nbcheck` only; `%nbcheck` has none), as ruff reads
    them: --fixable and --unfixable replace the configured lists, --extend-fixable adds."""
    changes: dict = {}
    if getattr(args, "fix", None) is not None:
        changes["fix"] = args.fix
    if getattr(args, "unsafe_fixes", None) is not None:
        changes["unsafe_fixes"] = args.unsafe_fixes
    for option in ("fixable", "unfixable", "extend_fixable"):
        selectors = getattr(args, option, None)
        if selectors is None:
            continue
        for selector in selectors:
            from .rules import UnknownSelectorError, matching

            try:
                matching(selector)
            except UnknownSelectorError:
                raise UsageError(
                    f"unknown rule selector `{selector}` in --{option.replace('_', '-')} (use a "
                    "code such as NBD101, a prefix such as NBD1, a rule name, or ALL; "
                    "`nbcheck rules` lists them)"
                ) from None
        previous = settings.extend_fixable if option == "extend_fixable" else ()
        changes[option] = (*previous, *selectors)
    return changes


def write_report(text: str | bytes, output_file: str | None) -> None:
    """The report to `output_file`, or to stdout without one, as UTF-8 (bytes as they are). A
    lone surrogate (from a file name that is not UTF-8) is written as its escape, `\\udcff`, which
    JSON reads back."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "backslashreplace")
    if output_file is not None:
        try:
            with open(output_file, "wb") as handle:
                handle.write(data)
        except OSError as error:
            raise UsageError(f"{output_file}: cannot write report: {error.strerror}") from None
        return
    stream = sys.stdout
    try:
        if stream is None:  # started with stdout closed
            raise OSError(errno.EBADF, "standard output is closed")
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is None:  # a text stream with no bytes below it
            stream.write(data.decode("utf-8"))
            stream.flush()
        else:
            buffer.write(data)
            buffer.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        reason = "standard output is closed" if error.errno == errno.EBADF else error.strerror
        raise UsageError(f"cannot write the output: {reason}") from None

"""`nbcheck`: lint notebooks (`nbcheck [check] PATHS`), prove they reproduce (`nbcheck repro`),
read the rules (`nbcheck rule CODE`, `nbcheck rules`).

Exit codes: 0 nothing found (a run that checked nothing, too, with a warning on stderr, as ruff),
1 findings, 2 usage, configuration or I/O errors (a file that could not be checked among them).
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from . import __version__
from .frontend import Parser, UsageError, comma_list, settings_for, write_report

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
COMMANDS = ("check", "repro", "rule", "rules", "clean")


def check_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """The parser of the check's options: `nbcheck [check]` and the notebook's `%nbcheck`."""
    parser = Parser(prog=prog, description=description)
    _add_check_arguments(parser)
    return parser


def _add_check_arguments(parser: argparse.ArgumentParser) -> None:
    from .reporters import FORMATS

    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="notebooks or folders (default: .)"
    )
    parser.add_argument(
        "--output-format", choices=FORMATS, default=os.environ.get("NBCHECK_OUTPUT_FORMAT", "text")
    )
    parser.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--select", type=comma_list, metavar="RULES", help="rules to enable")
    parser.add_argument("--extend-select", type=comma_list, default=[], metavar="RULES")
    parser.add_argument("--ignore", type=comma_list, default=[], metavar="RULES")
    parser.add_argument("--extend-exclude", type=comma_list, default=[], metavar="PATTERNS")
    parser.add_argument("--config", metavar="FILE", help="pyproject.toml or nb-discipline.toml")
    parser.add_argument("--isolated", action="store_true", help="ignore all configuration files")
    parser.add_argument("--statistics", action="store_true", help="count findings per rule")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    parser.add_argument("-q", "--quiet", action="store_true", help="findings only, no summary")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: all cores)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="check every notebook again, ignoring the findings kept from earlier runs",
    )
    parser.add_argument(
        "--stdin-filename", metavar="PATH", help="read one notebook from stdin, report it as PATH"
    )
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(arguments)
    except UsageError as error:
        print(f"nbcheck: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("nbcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_ERROR


def _dispatch(arguments: list[str]) -> int:
    if arguments and arguments[0] in ("-V", "--version"):
        print(f"nbcheck {__version__}")
        return EXIT_CLEAN
    command = arguments[0] if arguments and arguments[0] in COMMANDS else "check"
    rest = arguments[1:] if arguments and arguments[0] in COMMANDS else arguments
    if command == "rule":
        return _rule(rest)
    if command == "rules":
        return _rules(rest)
    if command == "clean":
        return _clean(rest)
    if command == "repro":
        from .repro.cli import add_arguments, run

        parser = Parser(prog="nbcheck repro", description="Re-execute notebooks and compare.")
        add_arguments(parser)
        return run(parser.parse_args(rest))
    parser = check_parser(
        "nbcheck",
        "Lint Jupyter notebooks for hidden state, unseeded randomness and unpinned dependencies. "
        "Subcommands: check (default), repro, rule CODE, rules, clean.",
    )
    _add_fix_arguments(parser)
    return _check(parser.parse_args(rest))


def _add_fix_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `nbcheck --fix`, with ruff's names and meanings."""
    fixes = parser.add_argument_group("fixes")
    fixes.add_argument(
        "--fix",
        action="store_true",
        default=None,
        help="apply the fixes (the safe ones; unsafe ones too with --unsafe-fixes)",
    )
    fixes.add_argument("--no-fix", dest="fix", action="store_false", help="do not apply fixes")
    fixes.add_argument(
        "--unsafe-fixes",
        action="store_true",
        default=None,
        help="apply and mark [*] the fixes that may change what the notebook does, too",
    )
    fixes.add_argument("--no-unsafe-fixes", dest="unsafe_fixes", action="store_false")
    fixes.add_argument(
        "--diff",
        action="store_true",
        help="show the fixes as a diff of each cell's source, write nothing; exit 1 if any",
    )
    fixes.add_argument(
        "--fix-only",
        action="store_true",
        help="apply fixes and report nothing else; exit 0 whatever remains",
    )
    fixes.add_argument("--show-fixes", action="store_true", help="list the fixes applied")
    fixes.add_argument(
        "--exit-non-zero-on-fix",
        action="store_true",
        help="exit 1 when something was fixed, even if nothing remains",
    )
    fixes.add_argument("--fixable", type=comma_list, metavar="RULES", help="rules --fix may fix")
    fixes.add_argument("--extend-fixable", type=comma_list, metavar="RULES")
    fixes.add_argument("--unfixable", type=comma_list, metavar="RULES", help="rules never fixed")


def collect(args: argparse.Namespace, paths: list[str], start: str = "."):
    """Check what the parsed check arguments ask for: the CheckResult, or a UsageError.
    The CLI and the notebook's `%nbcheck` both go through here. A run that checks nothing (no
    notebook found, no rule selected) says so on stderr, as ruff does, and is not an error."""
    from . import collector

    # The start-up's imports and settings live as long as the run, with no cycles among them.
    with collector.paused():
        from .batch import check_files
        from .model import CheckResult
        from .rules import UnknownSelectorError, selected_rules

        settings = settings_for(args, start=start)
        try:
            rules = selected_rules(settings.select, settings.extend_select, settings.ignore)
        except UnknownSelectorError as error:
            raise UsageError(
                f"unknown rule selector `{error}` (use a code such as NBD101, a prefix such as "
                "NBD1, a rule name, or ALL; `nbcheck rules` lists them)"
            ) from None
        if args.jobs is not None and args.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        stdin = args.stdin_filename is not None or paths == ["-"]
        if not rules:
            _warn(args, "no rules selected (--select, --ignore and the configuration leave none)")
            # The paths are still looked for: one that does not exist is an error.
            return CheckResult(errors=[] if stdin else _discover(paths, settings)[1])
        mode = fix_mode(args, settings)
        if stdin:
            return _check_stdin(args.stdin_filename or "-", settings, mode)
        files, missing = _discover(paths, settings)
        if not files and not missing:
            _warn(args, "no notebooks found under the given paths")
    if mode is None:
        from .fix import Policy

        result = check_files(files, settings, args.jobs, use_cache=not args.no_cache)
        result.policy = Policy.of(settings)
    else:
        result = _fix_files(files, settings, args, mode)
    result.errors = sorted([*missing, *result.errors], key=lambda error: error.filename)
    return result


def fix_mode(args: argparse.Namespace, settings) -> str | None:
    """ "diff", "fix-only" or "fix" when fixes are asked for (on the command line or by `fix =
    true`), else None."""
    if getattr(args, "diff", False):
        return "diff"
    if getattr(args, "fix_only", False):
        return "fix-only"
    return "fix" if settings.fix else None


def _fix_files(files: list[str], settings, args: argparse.Namespace, mode: str):
    """Apply the fixes (`--diff`: only work them out), then say what remains. Each notebook is
    written (or its diff made) as soon as it is fixed, so its bytes are not kept meanwhile; the
    other files the fixes edit are written last, their edits merged."""
    from .batch import check_files, fix_files
    from .fix import Outcome, Policy, diff, merge_file_edits, write_notebook, write_other_files
    from .model import CheckResult, FileError

    use_cache = not args.no_cache
    result = CheckResult()
    result.policy, result.fix_mode, result.show_fixes = Policy.of(settings), mode, args.show_fixes
    outcomes: list[Outcome] = []
    diffs: dict[str, str] = {}
    for outcome in fix_files(files, settings, args.jobs, use_cache=use_cache):
        if isinstance(outcome, FileError):
            result.errors.append(outcome)
            continue
        result.checked += 1
        if outcome.warning:
            _warn_about(args, f"{outcome.path}: {outcome.warning}")
        if mode == "diff":
            diffs[outcome.path] = diff([outcome], {})
        else:
            error = write_notebook(outcome)
            if error is not None:  # not written: nothing it fixed is fixed
                result.errors.append(error)
                outcome = outcome._replace(sources={}, fixed={}, files={})
        outcomes.append(outcome._replace(original=b""))
    outcomes.sort(key=lambda outcome: outcome.path)
    result.diagnostics = sorted(
        (d for outcome in outcomes for d in outcome.diagnostics), key=lambda d: d.sort_key()
    )
    if mode == "diff":
        other_files, errors = merge_file_edits(outcomes)
        result.diff = "".join(diffs[path] for path in sorted(diffs)) + diff([], other_files)
        result.errors.extend(errors)
    else:
        changed, errors = write_other_files(outcomes)
        result.errors.extend(errors)
        affected = _reading(files, changed, settings)
        if affected:  # what their last checks read from those files is no longer so
            kept = [d for d in result.diagnostics if d.filename not in affected]
            again = check_files(sorted(affected), settings, args.jobs, use_cache).diagnostics
            result.diagnostics = sorted([*kept, *again], key=lambda d: d.sort_key())
    result.fixed = {outcome.path: outcome.fixed for outcome in outcomes if outcome.fixed}
    return result


def _reading(notebooks: list[str], changed: list[str], settings) -> set[str]:
    """The notebooks whose check may read one of the `changed` dependency files: those below the
    file's folder (a notebook's dependency files are found from its folder up to the project's
    root), or all of them when the configuration names the files."""
    if not changed:
        return set()
    if settings.dependency_files is not None:
        return set(notebooks)
    folders = {os.path.dirname(os.path.abspath(path)) for path in changed}
    return {
        path
        for path in notebooks
        if any(
            os.path.abspath(path).startswith(folder.rstrip(os.sep) + os.sep) for folder in folders
        )
    }


def _discover(paths: list[str], settings):
    """The notebooks under `paths`, and the paths that do not exist."""
    from .discovery import discover

    try:
        return discover(paths, settings)
    except ValueError as error:  # pathspec's, for a pattern that is not a gitignore pattern
        raise UsageError(f"bad pattern in exclude or extend-exclude: {error}") from None


def _warn(args: argparse.Namespace, reason: str) -> None:
    """A run that will check nothing, on stderr (unless --quiet, as ruff)."""
    if not args.quiet:
        print(f"nbcheck: warning: {reason}; nothing was checked", file=sys.stderr)


def _warn_about(args: argparse.Namespace, text: str) -> None:
    from .reporters.text import printable

    if not args.quiet:
        print(f"nbcheck: warning: {printable(text)}", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    from .reporters.text import printable

    result = collect(args, args.paths or ["."])
    for error in result.errors:
        print(f"nbcheck: error: {printable(str(error))}", file=sys.stderr)
    fixed = any(result.fixed.values())
    if result.fix_mode == "diff":
        from .reporters.text import fixed_summary

        last = fixed_summary(result, verb="Would fix")
        separator = "\n" if result.diff else ""
        write_report(result.diff + (f"{separator}{last}\n" if last else ""), args.output_file)
        if result.errors:
            return EXIT_ERROR
        return EXIT_FINDINGS if result.diff else EXIT_CLEAN
    if result.fixed_notebook is not None:  # a notebook read from stdin: it goes to stdout
        write_report(result.fixed_notebook, None)
        print(report(args, result), end="", file=sys.stderr)
    else:
        write_report(report(args, result), args.output_file)
    if result.errors:
        return EXIT_ERROR
    if fixed and args.exit_non_zero_on_fix:
        return EXIT_FINDINGS
    if result.fix_mode == "fix-only" or args.exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if result.diagnostics else EXIT_CLEAN


def report(args: argparse.Namespace, result) -> str:
    """The report the parsed check arguments ask for (format, --statistics, --quiet, colour)."""
    from .reporters import renderer

    if args.statistics:
        return _statistics(result)
    color = _use_color(args.color) and not args.output_file
    output_format = args.output_format
    if args.quiet and output_format == "text":
        output_format = "concise"
    return renderer(output_format)(result, color)


def _check_stdin(filename: str, settings, mode: str | None):
    """The notebook on stdin, checked; with a fix mode, fixed (its edits to other files left
    out: a notebook on stdin is fixed onto stdout, as ruff does, and nothing is written)."""
    from .engine import check
    from .loader import LoadError, loads
    from .model import CheckResult, FileError

    result = CheckResult()
    try:
        data = _read_stdin(filename)
        notebook = loads(data, filename)
    except LoadError as error:
        result.errors.append(FileError(error.path, error.reason))
        return result
    result.checked = 1
    from .fix import Policy, diff, fix_notebook, notebook_bytes

    result.policy = Policy.of(settings)
    if mode is None:
        result.diagnostics = check(notebook, settings)
        return result
    result.fix_mode = mode
    outcome = fix_notebook(notebook, data, settings, result.policy, other_files=False)
    result.diagnostics = outcome.diagnostics
    result.fixed = {filename: outcome.fixed} if outcome.fixed else {}
    if mode == "diff":
        result.diff = diff([outcome], {})
    else:
        result.fixed_notebook = notebook_bytes(outcome) or data
    return result


def _read_stdin(filename: str) -> bytes:
    """The notebook on standard input, with the size limit of notebook files."""
    from .loader import MAX_FILE_BYTES, LoadError, read_limited

    try:
        if sys.stdin is None:  # started with stdin closed
            raise OSError(errno.EBADF, "standard input is closed")
        return read_limited(sys.stdin.buffer, MAX_FILE_BYTES, filename)
    except OSError as error:
        closed = error.errno == errno.EBADF
        reason = "standard input is closed" if closed else error.strerror or str(error)
        raise LoadError(filename, f"cannot read: {reason}") from None


def _statistics(result) -> str:
    """Findings per rule; when `--fix` would fix some, each rule marked `[*]` (fixable) or `[ ]`,
    as ruff marks them."""
    from collections import Counter

    from .reporters.text import policy
    from .rules import lookup

    fixes = policy(result)
    counts = Counter(diagnostic.code for diagnostic in result.diagnostics)
    fixable = {d.code for d in result.diagnostics if fixes.applies(d)}
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = lookup(code)
        marker = ("[*] " if code in fixable else "[ ] ") if fixable else ""
        lines.append(f"{count:>5}\t{code}\t{marker}{rule.name if rule else ''}")
    return "".join(line + "\n" for line in lines)


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout is not None and sys.stdout.isatty()


def _rule(arguments: list[str]) -> int:
    from .rules import RULES, lookup

    parser = Parser(prog="nbcheck rule", description="Show a rule's documentation.")
    parser.add_argument("rule", nargs="?", metavar="CODE_OR_NAME")
    parser.add_argument("--all", action="store_true", help="every rule's documentation")
    parser.add_argument("--output-format", choices=("text", "json"), default="text")
    args = parser.parse_args(arguments)
    if args.all:
        rules = list(RULES)
    elif args.rule is None:
        raise UsageError("give a rule code or name (for example `nbcheck rule NBD101`), or --all")
    else:
        rule = lookup(args.rule)
        if rule is None:
            raise UsageError(f"unknown rule `{args.rule}`; `nbcheck rules` lists them")
        rules = [rule]
    if args.output_format == "json":
        import json

        payload = [rule.to_dict() for rule in rules]
        document = payload if args.all else payload[0]
        write_report(json.dumps(document, indent=2, ensure_ascii=False) + "\n", None)
    else:
        write_report("\n\n".join(f"# {r.name} ({r.code})\n\n{r.doc}" for r in rules) + "\n", None)
    return EXIT_CLEAN


def _rules(arguments: list[str]) -> int:
    from .rules import RULES

    parser = Parser(prog="nbcheck rules", description="List every rule.")
    parser.add_argument("--json", action="store_true", help="machine-readable, with the docs")
    args = parser.parse_args(arguments)
    if args.json:
        import json

        payload = [rule.to_dict() for rule in RULES]
        write_report(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", None)
        return EXIT_CLEAN
    width = max(len(rule.name) for rule in RULES)
    write_report("".join(f"{r.code}  {r.name:<{width}}  {r.summary}\n" for r in RULES), None)
    return EXIT_CLEAN


def _clean(arguments: list[str]) -> int:
    import shutil
    from pathlib import Path

    from . import cache

    parser = Parser(
        prog="nbcheck clean",
        description="Remove what nbcheck keeps between runs: findings, parsed dependency files, "
        "validated settings, the MLflow template store of `nbcheck repro`.",
    )
    parser.parse_args(arguments)
    directory = Path(cache.directory())
    if not directory.is_dir():
        print(f"Nothing to remove: {directory} does not exist")
        return EXIT_CLEAN
    files = [path for path in directory.rglob("*") if path.is_file()]
    size = sum(path.stat().st_size for path in files)
    try:
        shutil.rmtree(directory)
    except OSError as error:
        raise UsageError(f"{directory}: cannot remove: {error.strerror or error}") from None
    print(f"Removed {len(files)} files ({size / 1e6:.1f} MB) from {directory}")
    return EXIT_CLEAN


def run() -> None:
    """The `nbcheck` console script: main(), then exit without tearing the interpreter down
    (module cleanup is a noticeable share of a one-notebook run, as pre-commit makes them)."""
    from . import collector

    collector.allow_pauses()  # a process that only checks: see nb_discipline.collector
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except OSError:  # a closed pipe, a full device: said already, or nowhere to say it
            code = EXIT_ERROR
    os._exit(code)


if __name__ == "__main__":
    # `python -m nb_discipline.cli` runs this file as __main__, a second copy of the module: the
    # errors the subcommands raise are the package module's classes, so run that module's entry.
    from nb_discipline.cli import run as package_run

    package_run()

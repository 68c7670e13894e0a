"""`nbcheck repro PATHS`: the command line over run_repro. Exit 0 only when every notebook
reproduced; 1 when one differs or failed; 2 for usage, configuration and input errors; 3 when
nothing failed or differed but a notebook was run once with no baseline (nothing was compared)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .report import FORMATS
from .results import DIFFERS, FAILED, UNVERIFIED

# One run with no baseline: nothing was compared, so nothing was proven either way.
EXIT_UNVERIFIED = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="notebooks or folders (default: .)"
    )
    parser.add_argument(
        "--runs", type=_at_least_one, metavar="N", help="runs per notebook (default 2)"
    )
    parser.add_argument(
        "--seed", type=_seed, metavar="SEED", help="seed for every RNG, 0 to 2**32 - 1 (default 42)"
    )
    parser.add_argument(
        "-j", "--jobs", type=_at_least_one, default=1, metavar="N", help="notebooks run in parallel"
    )
    parser.add_argument("--kernel", metavar="NAME", help="kernel to use instead of the notebook's")
    parser.add_argument(
        "--timeout", type=_seconds, metavar="SECONDS", help="per cell, 0 for none (default 600)"
    )
    parser.add_argument(
        "--rtol", type=_tolerance, metavar="R", help="relative tolerance for metrics"
    )
    parser.add_argument(
        "--atol", type=_tolerance, metavar="A", help="absolute tolerance for metrics"
    )
    baseline = parser.add_mutually_exclusive_group()
    baseline.add_argument("--baseline", metavar="FILE", help="baseline file (one notebook)")
    baseline.add_argument(
        "--baseline-run", metavar="RUN_ID", help="compare with this run of --tracking-uri"
    )
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        default=os.environ.get("MLFLOW_TRACKING_URI"),
        help="MLflow tracking store of --baseline-run (default: $MLFLOW_TRACKING_URI)",
    )
    parser.add_argument(
        "--update-baseline",
        action="store_true",
        help="record the baseline (written when the runs agree; with --runs 1, from that run, "
        "marked as unchecked)",
    )
    parser.add_argument(
        "--output-format",
        choices=FORMATS,
        default=os.environ.get("NBCHECK_REPRO_OUTPUT_FORMAT", "text"),
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--keep-executed", metavar="DIR", help="save each executed notebook in DIR")
    parser.add_argument(
        "--skip-install-cells",
        action="store_true",
        help="run cells with install commands (%%pip install, !pip install...) as no-ops",
    )
    parser.add_argument(
        "--write-outputs",
        action="store_true",
        help="save run 1's outputs and execution counts into each notebook that ran without "
        "failing (fixes NBD1xx findings; nothing else of the file changes)",
    )
    parser.add_argument("--config", metavar="FILE", help="pyproject.toml or nb-discipline.toml")
    parser.add_argument("--isolated", action="store_true", help="ignore all configuration files")
    parser.add_argument(
        "--progress",
        choices=("auto", "live", "plain", "none"),
        default="auto",
        help="live lines on a terminal, plain lines otherwise (auto)",
    )


# The numbers of the command line, refused as the configuration refuses them (argparse says which
# option: `argument --seed: must be ...`, exit code 2).
def _number(convert, accept, said: str):
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(said)
        return value

    return parse


_at_least_one = _number(int, lambda value: value >= 1, "must be an integer, 1 or more")
_seed = _number(int, lambda value: 0 <= value < 2**32, f"must be an integer from 0 to {2**32 - 1}")
# inf and nan are floats, but no time or tolerance: `not value >= 0` is true of nan.
_seconds = _number(
    float, lambda value: 0 <= value < float("inf"), "must be a number of seconds, 0 or more"
)
_tolerance = _number(float, lambda value: 0 <= value < float("inf"), "must be a number, 0 or more")


def run(args: argparse.Namespace) -> int:
    from ..frontend import UsageError, settings_for, write_report
    from .report import renderer
    from .session import ReproError, ReproOptions, run_repro

    if args.update_baseline and args.baseline_run:
        raise UsageError("--update-baseline writes a baseline file; it cannot rewrite a run")
    settings = settings_for(args)
    options = ReproOptions.from_settings(
        settings,
        runs=args.runs,
        seed=args.seed,
        jobs=args.jobs,
        kernel=args.kernel,
        timeout=args.timeout,
        rtol=args.rtol,
        atol=args.atol,
        baseline=args.baseline,
        baseline_run=args.baseline_run,
        tracking_uri=args.tracking_uri,
        update_baseline=args.update_baseline or None,
        keep_executed=args.keep_executed,
        skip_install_cells=args.skip_install_cells or None,
        write_outputs=args.write_outputs or None,
    )
    display = _display(args.progress)
    previous = _stop_on(STOP_SIGNALS)
    try:
        report = run_repro(args.paths or ["."], options, display, threading.Event(), settings)
    except ReproError as error:
        raise UsageError(str(error)) from None
    except _Stopped as stopped:
        print(f"nbcheck: interrupted by {signal.Signals(stopped.signum).name}", file=sys.stderr)
        return 128 + stopped.signum
    finally:
        display.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if args.output or args.output_format != "text":
        # The text report on stdout lists them already; a report that goes to a file, or in a
        # format for machines, leaves them to stderr.
        for error in report.errors:
            print(f"nbcheck: error: {error}", file=sys.stderr)
    if not report.results and not report.errors:
        print("nbcheck: warning: no notebooks found", file=sys.stderr)
    write_report(renderer(args.output_format)(report), args.output)
    counts = report.counts()
    # A notebook that ran but could not be written (it changed meanwhile): an input error.
    unwritten = any(
        result.verdict != FAILED and result.outputs_written is False for result in report.results
    )
    if report.errors or unwritten:
        return 2
    if counts[DIFFERS] or counts[FAILED]:
        return 1
    return EXIT_UNVERIFIED if counts[UNVERIFIED] else 0


# Stopped by the system or a closed terminal: as with Ctrl-C, the runs stop their kernels and the
# temporary stores are removed before nbcheck exits (with 128 + the signal's number).
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class _Stopped(KeyboardInterrupt):
    """A stop signal, raised where Ctrl-C's KeyboardInterrupt would be (it is one)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum, frame):
    raise _Stopped(signum)


def _stop_on(signals) -> dict:
    """Raise _Stopped on each of `signals` (in the main thread only: elsewhere Python cannot
    install a handler); returns the handlers to put back."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, _raise_stopped) for signum in signals}


def _display(choice: str):
    if choice == "none":
        return _Display(None)
    live = choice == "live" or (
        choice == "auto" and sys.stderr.isatty() and not os.environ.get("CI")
    )
    return _LiveDisplay(sys.stderr) if live else _Display(sys.stderr)


class _Display:
    """Plain progress lines (CI logs): one when a run ends, one with each verdict. Warnings are
    written to stderr even when progress is not shown."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def __call__(self, event) -> None:
        line = self.line(event)
        stream = sys.stderr if event.event == "warning" else self.stream
        if line and stream is not None:
            with self.lock:
                stream.write(line + "\n")
                stream.flush()

    @staticmethod
    def line(event) -> str | None:
        if event.event == "warning":
            return f"nbcheck: warning: {event.path}: {event.message}"
        if event.event == "run-finished":
            outcome = f"failed: {event.failure.message}" if event.failure else "finished"
            return f"{event.path}: run {event.run}/{event.runs} {outcome} ({event.seconds:.1f} s)"
        if event.event == "finished":
            from .report import summary

            return f"{event.path}: {summary(event.result)}"
        return None

    def close(self) -> None:
        pass


class _LiveDisplay(_Display):
    """One line per notebook, rewritten in place as its runs and cells advance."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.states: dict[str, str] = {}
        self.drawn = 0

    def __call__(self, event) -> None:
        with self.lock:
            if event.event == "warning":  # a line that stays, above the live ones
                up = f"\x1b[{self.drawn}F" if self.drawn else ""
                self.stream.write(f"{up}\x1b[2K{self.line(event)}\n")
                self.drawn = 0
                if self.states:
                    self._draw()
                return
            if event.event == "run":
                state = f"run {event.run}/{event.runs} starting kernel"
            elif event.event == "cell":
                state = f"run {event.run}/{event.runs} cell {event.cell}/{event.cells}"
            else:
                state = self.line(event) or ""
                state = state.removeprefix(f"{event.path}: ")
            self.states[event.path] = state
            self._draw()

    def _draw(self) -> None:
        width = os.get_terminal_size(self.stream.fileno()).columns if self.stream.isatty() else 100
        output = f"\x1b[{self.drawn}F" if self.drawn else ""
        for path, state in self.states.items():
            output += f"\x1b[2K{path}: {state}"[: width + 4] + "\n"
        self.stream.write(output)
        self.stream.flush()
        self.drawn = len(self.states)

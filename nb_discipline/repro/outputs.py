"""Text outputs compared for what they say: pure, standard library only.

Sanitizing blanks only what is volatile by construction, so that two runs that printed different
things never look alike: memory addresses in reprs, UUIDs, the run's own MLflow run ids and
temporary directories, the lines that `%time`, `%%time` and `%timeit` print, the timing parts of
tqdm and Keras progress bars, and timestamps that fall inside the run's own wall-clock window (a
printed "now"; a date from the data stays). What a carriage return or backspace overwrote is
dropped, as a terminal would, and colour codes are removed.

Numbers found in the text are then compared as numbers: a line matches when its words match and
each number is within tolerance of the reference's. Integers compare exactly unless a configured
tolerance covers them (a count, a seed or an id off by one is a difference whatever its size).
Tables (an HTML table from a DataFrame's rich output, turned into tab-separated lines by the
runner, or a DataFrame printed as text) are compared cell by cell, and a difference is named by
its row and column.
"""

from __future__ import annotations

import calendar
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# IPython writes microseconds as μs (U+03BC); µs (U+00B5) and us are other libraries' spellings.
_UNIT = r"(?:ns|μs|µs|us|ms|s)"
_SPAN = rf"(?:[\d.]+(?:e[+-]?\d+)? ?{_UNIT}|\d+(?:d|h|min|s)(?: \d+(?:h|min|s))*)"
# Whole lines that only timing prints. Replaced: %time's and %timeit's results. Removed: the lines
# they print only sometimes (a slow parse or compile, a run much slower than the others).
_TIMING_LINES = (
    (rf"^CPU times: user {_SPAN}, sys: {_SPAN}, total: {_SPAN}$", "CPU times: <timing>"),
    (rf"^Wall time: {_SPAN}$", "Wall time: <timing>"),
    (
        rf"^{_SPAN} (?:±|\+-) {_SPAN} per loop \(mean (?:±|\+-) std\. dev\. of \d+ runs?, "
        r"[\d,]+ loops? each\)$",
        "<timing> per loop (%timeit)",
    ),
    (rf"^(?:Compiler|Parser) *: {_SPAN}\n", ""),
    (
        r"^The slowest run took [\d.]+ times longer than the fastest\. This could mean that an "
        r"intermediate result is being cached\.\n",
        "",
    ),
)
_SANITIZERS = (
    *_TIMING_LINES,
    # tqdm's elapsed time, remaining time and rate: `[00:01<00:00, 9.52it/s]`, `[00:00, 3.1it/s]`
    (r"\[(?:\d+:)?\d\d:\d\d(?:<(?:(?:\d+:)?\d\d:\d\d|\?))?(?:, *[^\]\n]*)?\]$", "[<timing>]"),
    (r"(?<=\bat )0x[0-9a-fA-F]+\b", "0x<address>"),  # the default repr: <object at 0x7f...>
    (r"\b0x(?:7f|55|56)[0-9a-f]{10}\b", "0x<address>"),  # a 64-bit Linux address printed alone
    (r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<uuid>"),
)
# A Keras progress line (`12/50 ━━━━ 3s 52ms/step - loss: 0.5`, `12/50 [===>...] - ETA: 3s`,
# `50/50 - 1s - 30ms/step`): within it, the elapsed time, ETA and time per step.
_KERAS_LINE = re.compile(r"^\s*\d+/\d+ (?:\[[=>.]+\]|[━─]+|-)(?: |$).*$", re.M)
_KERAS_TIMING = re.compile(
    rf"(?:ETA: (?:\d+:)*\d+s?|(?<![\w.])\d+(?:\.\d+)?{_UNIT}(?:/(?:step|sample|epoch))?)(?!\w)"
)
# A directory or file that tempfile named (`tmp` and 8 random characters) directly in a temporary
# directory, or a run directory of ours (`nbcheck-repro-` and 8 characters, then `index-run`).
_TEMP_ROOTS = (
    r"(?:/private)?(?:/tmp|/var/tmp|/var/folders/[^/\s]+/[^/\s]+/T)|[A-Za-z]:\\[^\s'\"]*?\\Temp"
)
_TEMP_NAME = r"[/\\](?:tmp|nbcheck-repro-)[a-z0-9_]{8}(?:[/\\]\d+-\d+)?(?=[/\\'\"\s]|$)"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TIMESTAMPS = (
    # ISO 8601 and str(datetime): 2026-12-06 02:27:05.818098, 2026-12-06T02:27:05+00:00,
    # logging's 2026-12-06 02:27:05,818, and a date alone
    r"(?<![\w.-])(?P<Y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)"
    r"(?:[ T](?P<H>\d\d):(?P<M>\d\d)(?::(?P<S>\d\d)(?P<f>[.,]\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d\d:?\d\d)?(?!\d)",
    # time.ctime(): Sun Dec  6 02:27:05 2026
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<b>" + "|".join(_MONTHS) + r") (?P<d> \d|\d\d) "
    r"(?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d) (?P<Y>\d{4})\b",
    # repr(datetime.now()): datetime.datetime(2026, 12, 6, 2, 27, 5, 818407)
    r"\bdatetime\.datetime\((?P<Y>\d{4}), (?P<m>\d{1,2}), (?P<d>\d{1,2})"
    r"(?:, (?P<H>\d{1,2}))?(?:, (?P<M>\d{1,2}))?(?:, (?P<S>\d{1,2}))?(?:, (?P<us>\d{1,6}))?"
    r"(?P<utc>, tzinfo=datetime\.timezone\.utc)?\)",
    # a time of day alone: 02:27:05, 02:27:05.818
    r"(?<![\w:.-])(?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)(?P<f>[.,]\d+)?(?![\w:]|\.\d)",
)
# A number; dates and times of day are words, compared whole (a date is not a quantity).
_NUMBER = re.compile(
    r"(?P<date>(?<![\w.])(?:\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?"
    r"|\d\d?:\d\d(?::\d\d(?:[.,]\d+)?)?)(?![\w:]))"
    r"|(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?!\w|\.\d)"
)
# How much a sanitized timestamp may stray outside the run's window (clock reads, rounding).
WINDOW_SLACK = 1.0


@dataclass(frozen=True)
class Tolerance:
    """`|value - reference| <= atol + rtol * |reference|`, numpy's `isclose` rule."""

    rtol: float
    atol: float

    def allows(self, value: float, reference: float) -> bool:
        if math.isnan(value) or math.isnan(reference):
            return math.isnan(value) and math.isnan(reference)
        if math.isinf(value) or math.isinf(reference):
            return value == reference
        return abs(value - reference) <= self.atol + self.rtol * abs(reference)

    def __str__(self) -> str:
        if not self.rtol and not self.atol:
            return "exact"
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


EXACT = Tolerance(0.0, 0.0)


def sanitize(
    text: str,
    extra_patterns: Sequence[str] = (),
    window: tuple[float, float] | None = None,
    known: Sequence[str] = (),
) -> str:
    """`text` as a terminal would show it, with what is volatile by construction replaced:
    timing lines and progress-bar timings, addresses, UUIDs, the `known` strings (the run's own
    MLflow run ids), temporary directories, and timestamps inside `window` (the run's start and
    end, seconds since the epoch); then the user's patterns."""
    text = _ANSI.sub("", text)
    text = "\n".join(_overwritten(line) for line in text.split("\n"))
    for pattern, replacement in _compiled("sanitizers"):
        text = pattern.sub(replacement, text)
    text = _KERAS_LINE.sub(lambda line: _KERAS_TIMING.sub("<time>", line.group()), text)
    for value in known:
        if value:
            text = text.replace(value, "<run id>")
    text = _temporary_paths(text)
    if window is not None:
        for pattern in _compiled("timestamps"):
            text = pattern.sub(lambda match: _timestamp(match, window), text)
    for pattern in extra_patterns:
        text = re.sub(pattern, "<sanitized>", text, flags=re.MULTILINE)
    return text


def _overwritten(line: str) -> str:
    """What is left of a line once carriage returns and backspaces have done their work."""
    line = line.rstrip("\r").rsplit("\r", 1)[-1]
    if "\b" not in line:
        return line
    kept: list[str] = []
    for character in line:
        if character == "\b":
            if kept:
                kept.pop()
        else:
            kept.append(character)
    return "".join(kept)


_COMPILED: dict[str, list] = {}


def _compiled(kind: str) -> list:
    """The patterns of `kind`, compiled on first use."""
    if kind not in _COMPILED:
        if kind == "sanitizers":
            _COMPILED[kind] = [(re.compile(p, re.M), r) for p, r in _SANITIZERS]
        else:
            _COMPILED[kind] = [re.compile(pattern) for pattern in _TIMESTAMPS]
    return _COMPILED[kind]


def _temporary_paths(text: str) -> str:
    roots = _TEMP_ROOTS
    tmpdir = os.environ.get("TMPDIR", "").rstrip("/\\")
    if tmpdir:
        roots += "|" + re.escape(tmpdir)
    return re.sub(rf"(?:{roots}){_TEMP_NAME}", "<tmp>", text, flags=re.M)


def _timestamp(match: re.Match[str], window: tuple[float, float]) -> str:
    """`<timestamp>` when the time the match names overlaps the run's window, else the match."""
    interval = _interval(match.groupdict())
    if interval is None:
        return match.group()
    first, last, offsets, time_of_day = interval
    start, end = window[0] - WINDOW_SLACK, window[1] + WINDOW_SLACK
    days = _day_starts(start, end) if time_of_day else [0.0]
    for day in days:
        for offset in offsets:
            if day + first + offset <= end and day + last + offset >= start:
                return "<timestamp>"
    return match.group()


def _interval(fields: Mapping[str, str | None]):
    """(first, last, offsets, time_of_day): the seconds the text names, as UTC epoch seconds (or
    seconds into a day for a time of day alone), and the offsets to try: its own time zone, or
    both local time and UTC when it names none."""
    try:
        hour, minute, second = (int(fields.get(k) or 0) for k in ("H", "M", "S"))
        fraction = fields.get("f") or ""
        micro = fields.get("us")
        if fields.get("S") is not None:
            resolution = 10.0 ** -(len(fraction) - 1) if fraction else 1.0
        elif fields.get("M") is not None:
            resolution = 60.0
        elif fields.get("H") is not None:
            resolution = 3600.0
        else:
            resolution = 86400.0
        seconds = hour * 3600 + minute * 60 + second
        if fraction:
            seconds += float("0." + fraction[1:])
        if micro:
            seconds += int(micro) / 1e6
            resolution = 1e-6
        if fields.get("Y") is None:
            return seconds, seconds + resolution, _local_and_utc(), True
        month = int(fields["m"]) if fields.get("m") else _MONTHS.index(fields["b"]) + 1
        day = int(fields["d"])
        epoch = calendar.timegm((int(fields["Y"]), month, day, 0, 0, 0)) + seconds
    except (TypeError, ValueError, OverflowError):
        return None
    zone = fields.get("tz")
    if zone == "Z" or fields.get("utc"):
        offsets: tuple[float, ...] = (0.0,)
    elif zone:
        sign = -1 if zone[0] == "+" else 1
        digits = zone[1:].replace(":", "")
        offsets = (sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60),)
    else:
        offsets = _local_and_utc()
    return epoch, epoch + resolution, offsets, False


def _local_and_utc() -> tuple[float, ...]:
    """What to add to a naive time to make it UTC: nothing (it was UTC), or the local zone's
    offsets, standard and daylight-saving."""
    zones = {0.0, float(time.timezone), -float(time.localtime().tm_gmtoff)}
    if time.daylight:
        zones.add(float(time.altzone))
    return tuple(sorted(zones))


def _day_starts(start: float, end: float) -> list[float]:
    first = math.floor(start / 86400) * 86400 - 86400  # a time of day may be the day before
    return [first + 86400 * n for n in range(int((end - first) // 86400) + 1)]


# --- Numbers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    """One number that moved, or one line whose words changed (no difference nor tolerance)."""

    place: str  # "line 3, 2nd number", "row 'r2', column 'c'", "line 3"
    reference: str | None  # the reference's number or line (None: the reference has no such line)
    values: tuple[str | None, ...]  # each run's number or line
    difference: float | None
    tolerance: Tolerance | None


class OutputTolerances:
    """The tolerance of each number of a cell: configured per cell (`cell N`) or per regular
    expression (the numbers inside its matches), later entries winning; otherwise `default` for
    a number with a fraction or exponent and exactness for an integer. None means ignored."""

    def __init__(
        self,
        default: Tolerance,
        overrides: Mapping[str, tuple[float | None, float | None, bool]] = (),
    ) -> None:
        self.default = default
        self.overrides = []
        for key, (rtol, atol, ignore) in dict(overrides).items():
            cell = re.fullmatch(r"cell (\d+)", key.strip())
            target = int(cell.group(1)) if cell else re.compile(key, re.M)
            self.overrides.append((target, rtol, atol, ignore))

    def for_cell(self, cell: int, text: str):
        """A function from a number's (start, end, is_integer) in `text` to its tolerance."""
        spans = []
        for target, rtol, atol, ignore in self.overrides:
            if isinstance(target, int):
                if target == cell:
                    spans.append(((0, len(text)), rtol, atol, ignore))
            else:
                spans.extend((match.span(), rtol, atol, ignore) for match in target.finditer(text))

        def tolerance(start: int, end: int, integer: bool) -> Tolerance | None:
            chosen = EXACT if integer else self.default
            for (first, last), rtol, atol, ignore in spans:
                if first <= start and end <= last:
                    if ignore:
                        return None
                    base = self.default
                    chosen = Tolerance(
                        base.rtol if rtol is None else rtol, base.atol if atol is None else atol
                    )
            return chosen

        return tolerance


class _Line:
    __slots__ = ("numbers", "start", "text", "words")

    def __init__(self, text: str, start: int) -> None:
        self.text, self.start = text, start
        self.numbers = [
            (m.group(), m.start() + start, m.end() + start)
            for m in _NUMBER.finditer(text)
            if m.group("date") is None
        ]
        skeleton = _NUMBER.sub(lambda m: m.group() if m.group("date") else "\0", text)
        cells = skeleton.split("\t")
        self.words = tuple(" ".join(cell.split()) for cell in cells)


def _lines(text: str) -> list[_Line]:
    lines, start = [], 0
    for line in text.split("\n"):
        lines.append(_Line(line, start))
        start += len(line) + 1
    while lines and not lines[-1].text.strip():
        lines.pop()
    return lines


def compare_text(
    reference: str, texts: Sequence[str], tolerance_of, limit: int = 10
) -> tuple[list[Moved], int]:
    """What differs between `texts` (one per run) and `reference`: the first line whose words
    differ, or else every number outside its tolerance (the first `limit`, and how many more)."""
    reference_lines = _lines(reference)
    runs = [_lines(text) for text in texts]
    for number in range(max(len(reference_lines), *(len(lines) for lines in runs))):
        expected = reference_lines[number] if number < len(reference_lines) else None
        got = [lines[number] if number < len(lines) else None for lines in runs]
        if expected is None or any(line is None or line.words != expected.words for line in got):
            return [
                Moved(
                    f"line {number + 1}",
                    expected.text if expected else None,
                    tuple(line.text if line else None for line in got),
                    None,
                    None,
                )
            ], 0
    moved: list[Moved] = []
    more = 0
    for index, expected in enumerate(reference_lines):
        for position, (literal, start, end) in enumerate(expected.numbers):
            integer = not any(c in literal for c in ".eE")
            tolerance = tolerance_of(start, end, integer)
            if tolerance is None:
                continue
            values = [runs[r][index].numbers[position][0] for r in range(len(runs))]
            reference_value = float(literal)
            floats = [float(value) for value in values]
            if all(tolerance.allows(value, reference_value) for value in floats):
                continue
            if len(moved) >= limit:
                more += 1
                continue
            spread = max(abs(value - reference_value) for value in floats)
            place = _table_place(reference_lines, index, position) or (
                f"line {index + 1}, {_ordinal(position + 1)} number"
            )
            moved.append(Moved(place, literal, tuple(values), spread, tolerance))
    return moved, more


def _ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _table_place(lines: list[_Line], index: int, position: int) -> str | None:
    """`row R, column C` of a number in a table, or None when the line is not in one or the
    number's column cannot be told for certain. Tables are tab-separated lines (an HTML table,
    header first, its first header cell blank when the first column holds row labels), or a
    DataFrame printed as text (a header that starts blank over the index, columns right-aligned)."""
    line = lines[index]
    literal, start, end = line.numbers[position]
    start, end = start - line.start, end - line.start
    tabbed = "\t" in line.text
    first = index
    while first > 0 and (
        "\t" in lines[first - 1].text if tabbed else lines[first - 1].text.strip()
    ):
        first -= 1
    if first == index:
        return None  # the header itself, or a line alone
    header = lines[first].text
    if tabbed:
        names, cells = header.split("\t"), line.text.split("\t")
        column = line.text[:start].count("\t")
        if len(names) != len(cells) or cells[column].strip() != literal:
            return None
        labelled = not names[0].strip()
        name = names[column].strip()
        if not name or (labelled and column == 0):
            return None
        row = repr(cells[0].strip()) if labelled else str(index - first)
        return f"row {row}, column {name!r}"
    if not header[:1].isspace() or "\t" in header:
        return None
    # The label runs to the first gap of two spaces; a line that starts blank continues the label
    # of a row above (a sparse multi-level index) and is not named.
    label = re.match(r"(\S+(?: \S+)*?) {2,}", line.text)
    if label is None or label.end(1) > start:
        return None  # no label, or the number is part of it
    name = next((m.group() for m in re.finditer(r"\S+", header) if m.end() == end), None)
    if name is None:
        return None
    return f"row {label.group(1)!r}, column {name!r}"

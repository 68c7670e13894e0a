"""Rewrite cell sources in a notebook's JSON text without touching anything else.

`nbcheck --fix` must leave a notebook byte for byte as it was outside the sources it edits: the
indentation, the key order, the escaping of non-ASCII text, CRLF line ends, the trailing newline,
metadata, outputs and ids. Serialising the notebook again would change some of them whatever
options it took (every writer has its own), so the edit is made in the text: the span of each
edited cell's `"source"` value is found in the original, and only that span is replaced.

Within a source written as a list of lines, the lines the edit left alone keep their exact text
(their escapes too); only the lines around the edit are written again, split at newlines as
Jupyter splits them, and encoded as the file encodes its strings (`\\u00e9` or `é`, `\\/`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from .records import Record


class NotebookTextError(ValueError):
    """The JSON text is not laid out as a notebook whose sources can be located."""


class _Span(Record):
    start: int
    end: int


class _SourceValue(Record):
    """Where one cell's source value lies in the text: the whole value, and for a list, each
    string element of it."""

    value: _Span
    elements: tuple[_Span, ...] | None  # None: the value is a single string


_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u([0-9a-fA-F]{4})")
_SLASH_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\/")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LOWER_ESCAPE = re.compile(r"(\\+)u([0-9a-f]{4})")


def replace_sources(data: bytes, sources: Mapping[int, str]) -> bytes:
    """`data` (a notebook's UTF-8 JSON) with the source of each cell in `sources` (numbered from
    1, as everywhere in nbcheck) replaced; every byte outside those source values is kept."""
    text = data.decode("utf-8")
    located = locate_sources(text)
    style = _Style.of(text)
    pieces: list[str] = []
    position = 0
    for index in sorted(sources):
        if not 0 < index <= len(located) or located[index - 1] is None:
            raise NotebookTextError(f"cell {index}: its source cannot be located in the JSON text")
        value = located[index - 1]
        pieces.append(text[position : value.value.start])
        pieces.append(_new_value(text, value, sources[index], style))
        position = value.value.end
    pieces.append(text[position:])
    return "".join(pieces).encode("utf-8")


def locate_sources(text: str) -> list[_SourceValue | None]:
    """Each cell's source value, in the order of the notebook's cells (nbformat 4: `cells`;
    nbformat 3: the cells of every worksheet, whose code cells keep their source in `input`).
    None for a cell whose text is not its source as nbcheck reads it (an nbformat 3 heading,
    which the upgrade to nbformat 4 turns into markdown)."""
    position = _skip(text, 1 if text.startswith("\ufeff") else 0)
    top = dict(_members(text, position))
    if "cells" in top:
        return [_cell_source(text, start, "source") for start in _elements(text, top["cells"][0])]
    if "worksheets" not in top:
        raise NotebookTextError("no 'cells' and no 'worksheets' in the notebook")
    located: list[_SourceValue | None] = []
    for sheet in _elements(text, top["worksheets"][0]):
        members = dict(_members(text, sheet))
        if "cells" in members:
            located.extend(
                _cell_source(text, start, None) for start in _elements(text, members["cells"][0])
            )
    return located


def _cell_source(text: str, start: int, key: str | None) -> _SourceValue | None:
    """The source value of the cell object at `start`; `key` None: nbformat 3's keys."""
    members = dict(_members(text, start))
    if key is None:
        cell_type = _value(text, members.get("cell_type"))
        if cell_type == "heading":
            return None
        key = "input" if cell_type == "code" else "source"
    if key not in members:
        return None
    value_start, value_end = members[key]
    if text[value_start] == '"':
        return _SourceValue(_Span(value_start, value_end), None)
    if text[value_start] != "[":
        return None
    elements = []
    for element in _elements(text, value_start):
        if text[element] != '"':
            return None
        elements.append(_Span(element, _DECODER.raw_decode(text, element)[1]))
    return _SourceValue(_Span(value_start, value_end), tuple(elements))


def _value(text: str, span: tuple[int, int] | None):
    return None if span is None else _DECODER.raw_decode(text, span[0])[0]


def _skip(text: str, position: int) -> int:
    return _WHITESPACE.match(text, position).end()


def _members(text: str, position: int):
    """(key, (value start, value end)) for each member of the object at `position`, in order
    (a repeated key comes again: the last one wins, as for json.loads)."""
    if text[position : position + 1] != "{":
        raise NotebookTextError(f"expected an object at offset {position}")
    position = _skip(text, position + 1)
    if text[position : position + 1] == "}":
        return
    while True:
        key, position = _DECODER.raw_decode(text, position)
        position = _skip(text, position)
        if text[position : position + 1] != ":" or not isinstance(key, str):
            raise NotebookTextError(f"expected ':' at offset {position}")
        start = _skip(text, position + 1)
        end = _DECODER.raw_decode(text, start)[1]
        yield key, (start, end)
        position = _skip(text, end)
        if text[position : position + 1] == ",":
            position = _skip(text, position + 1)
        elif text[position : position + 1] == "}":
            return
        else:
            raise NotebookTextError(f"expected ',' or '}}' at offset {position}")


def _elements(text: str, position: int) -> list[int]:
    """The start of each element of the array at `position`."""
    if text[position : position + 1] != "[":
        raise NotebookTextError(f"expected an array at offset {position}")
    starts: list[int] = []
    position = _skip(text, position + 1)
    if text[position : position + 1] == "]":
        return starts
    while True:
        starts.append(position)
        position = _skip(text, _DECODER.raw_decode(text, position)[1])
        if text[position : position + 1] == ",":
            position = _skip(text, position + 1)
        elif text[position : position + 1] == "]":
            return starts
        else:
            raise NotebookTextError(f"expected ',' or ']' at offset {position}")


class _Style(Record):
    """How the file writes strings and lays out arrays."""

    ensure_ascii: bool
    upper_hex: bool
    escaped_slash: bool
    newline: str
    indent: str | None  # one level of indentation; None: the file has no line breaks

    @classmethod
    def of(cls, text: str) -> _Style:
        body = text[1:] if text.startswith("\ufeff") else text
        escapes = [match.group(1) for match in _STRING_ESCAPE.finditer(body)]
        # A file with non-ASCII text written as is was not written with ensure_ascii; one that
        # escapes it was; one with none either way gets nbformat's choice (not escaped).
        ensure_ascii = body.isascii() and any(int(escape, 16) >= 0x80 for escape in escapes)
        upper_hex = any(escape != escape.lower() for escape in escapes) and not any(
            escape != escape.upper() for escape in escapes
        )
        escaped_slash = _SLASH_ESCAPE.search(body) is not None
        match = re.match(r"\s*\{(\r?\n)([ \t]*)", body)
        if match is None:
            return cls(ensure_ascii, upper_hex, escaped_slash, "\n", None)
        return cls(ensure_ascii, upper_hex, escaped_slash, match.group(1), match.group(2) or " ")

    def encode(self, value: str) -> str:
        encoded = json.dumps(value, ensure_ascii=self.ensure_ascii)
        if not self.ensure_ascii:  # a lone surrogate has no UTF-8: JSON writes it escaped
            encoded = _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", encoded)
        if self.upper_hex:
            encoded = _LOWER_ESCAPE.sub(_upper_escape, encoded)
        if self.escaped_slash:
            encoded = encoded.replace("/", "\\/")
        return encoded


def _upper_escape(match: re.Match) -> str:
    backslashes = match.group(1)
    if len(backslashes) % 2 == 0:  # an escaped backslash followed by a literal `u`
        return match.group()
    return f"{backslashes}u{match.group(2).upper()}"


def split_lines(source: str) -> list[str]:
    """A source as Jupyter saves it: lines split after each `\\n`, the ends kept."""
    lines = source.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])


def _new_value(text: str, value: _SourceValue, source: str, style: _Style) -> str:
    if value.elements is None:
        old = _DECODER.raw_decode(text, value.value.start)[0]
        return text[value.value.start : value.value.end] if old == source else style.encode(source)
    elements = value.elements
    strings = [_DECODER.raw_decode(text, element.start)[0] for element in elements]
    if "".join(strings) == source:
        return text[value.value.start : value.value.end]
    # The lines at either end that the new source still has, as they are, keep their text.
    # A kept line is a whole line of the new source (the lines around it are split anew).
    head, offset = 0, 0
    while head < len(strings) and strings[head].endswith("\n"):
        if not source.startswith(strings[head], offset):
            break
        offset += len(strings[head])
        head += 1
    tail, end = len(strings), len(source)
    while tail > head and end - len(strings[tail - 1]) >= offset:
        start = end - len(strings[tail - 1])
        if not source.endswith(strings[tail - 1], 0, end) or source[start - 1 : start] not in (
            "",
            "\n",
        ):
            break
        end = start
        tail -= 1
    middle = [style.encode(line) for line in split_lines(source[offset:end])]
    tokens = (
        [text[span.start : span.end] for span in elements[:head]]
        + middle
        + [text[span.start : span.end] for span in elements[tail:]]
    )
    if not tokens:
        return "[]"
    opening, separator, closing = _layout(text, value, style)
    kept = {  # the separator that followed each kept token in the original
        position: text[elements[position].end : elements[position + 1].start]
        for position in range(len(elements) - 1)
    }
    pieces = [opening]
    for position, token in enumerate(tokens):
        pieces.append(token)
        if position == len(tokens) - 1:
            break
        if position < head - 1:
            pieces.append(kept[position])
        elif position >= head + len(middle) and position - head - len(middle) + tail in kept:
            pieces.append(kept[position - head - len(middle) + tail])
        else:
            pieces.append(separator)
    pieces.append(closing)
    return "".join(pieces)


def _inline_separator(text: str, start: int) -> str:
    """`, ` or `,`, as the members before `start` are separated."""
    return ", " if re.search(r'[\]}"\d], "', text[:start]) else ","


def _layout(text: str, value: _SourceValue, style: _Style) -> tuple[str, str, str]:
    """The text after `[`, between two elements and before `]` of this source list: the
    original's, or, for a list that was empty, what the file's indentation implies."""
    elements = value.elements
    start, end = value.value.start, value.value.end
    if elements:
        opening = text[start : elements[0].start]
        closing = text[elements[-1].end : end]
        if len(elements) > 1:
            separator = text[elements[0].end : elements[1].start]
        else:
            separator = "," + opening[1:] if "\n" in opening else _inline_separator(text, start)
        return opening, separator, closing
    if style.indent is None:
        return "[", _inline_separator(text, start), "]"
    line_start = text.rfind("\n", 0, start) + 1
    key_indent = _WHITESPACE.match(text, line_start).group().lstrip("\r\n")
    inner = style.newline + key_indent + style.indent
    return "[" + inner, "," + inner, style.newline + key_indent + "]"

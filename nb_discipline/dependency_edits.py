"""The fixes of NBD401 and NBD402 in a project's dependency files: a distribution pinned where a
file declares it, or declared, pinned, in a file that lists the project's requirements.

Each is one edit of the file: its old text and the new differ in one span, which the edit
replaces (rows and columns as a finding's, 1-based, columns in characters), so every other byte
stays as it was. The new text is made line by line in a requirements file, by tomlkit (which keeps
a TOML document's layout) in pyproject.toml, and at the places PyYAML's composer gives in
environment.yml. An edit is offered only when the new text, read by nbcheck's own parser, declares
what the old one did with that one distribution pinned, and, read by tomllib or PyYAML, differs
from the old only at that declaration or in the list that gains it.

Edits are kept between runs (nb_discipline.cache) while the file is unchanged: tomlkit and
PyYAML are imported only when a file is edited for the first time.
"""

from __future__ import annotations

import re

from . import cache as disk_cache
from .loader import read_file
from .model import Edit, Location
from .records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

    # (new text, the declaration as the new text writes it, where the parsed document changes)
    Change = tuple[str, str, tuple]


def pin(path: str, distribution: str, version: str) -> tuple[Edit, str] | None:
    """(the edit, the declaration it writes: `pandas==2.2.3`) pinning `distribution` (a
    normalized name) to `version` where `path` declares it, once; None when the file declares it
    in no place or several, its constraint excludes `version`, or the file cannot be edited."""
    return _edit("pin", path, distribution, version)


def declare(path: str, distribution: str, version: str) -> tuple[Edit, str] | None:
    """(the edit, the declaration it writes) adding `distribution==version` to the requirements
    `path` lists: a line of a requirements file, an entry of pyproject.toml's
    `[project].dependencies` (else of Poetry's `[tool.poetry.dependencies]`), an entry of an
    environment.yml's `pip:` list. Among entries in alphabetical order it goes in its place,
    else last. None for a file that has no such list, or declares the distribution already."""
    return _edit("declare", path, distribution, version)


def _edit(action: str, path: str, distribution: str, version: str) -> tuple[Edit, str] | None:
    def compute() -> tuple | None:
        try:
            content, before = read_file(path)
        except OSError:
            disk_cache.note(path)
            return None
        disk_cache.note(path, content=content, before=before)
        change = _change(action, path, content, distribution, version)
        if change is None:
            return None
        new, written = change
        return _replacement(content.decode("utf-8"), new, path).plain(), written

    found = disk_cache.from_files(
        f"{action}-edit", repr((path, distribution, version)), compute, remember=False
    )
    return None if found is None else (Edit.from_plain(found[0]), found[1])


def _change(
    action: str, path: str, content: bytes, distribution: str, version: str
) -> tuple[str, str] | None:
    """(the new text, the declaration it writes), checked; None when there is none."""
    from .analysis.dependency_files import file_format

    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    kind = file_format(path)
    editor = _EDITORS.get(kind)
    if editor is None:
        return None
    change = editor(action, text, distribution, version)
    if change is None:
        return None
    new, written, place = change
    if not _declares_the_pin(path, content, new.encode("utf-8"), distribution, version):
        return None
    loader = _LOADERS.get(kind)
    if loader is not None and list(_differences(loader(text), loader(new))) != [place]:
        return None
    return new, written


def _declares_the_pin(path: str, old: bytes, new: bytes, distribution: str, version: str) -> bool:
    """nbcheck's reading of the new text is that of the old with `distribution` declared and
    pinned at `version`, and nothing else changed."""
    from .analysis.dependency_files import declarations_in

    before, after = declarations_in(path, old), declarations_in(path, new)
    return (
        not after.problems
        and set(after.declared) == set(before.declared) | {distribution}
        and after.pinned == before.pinned | {distribution}
        and after.versions.get(distribution) == version
        and after.project_names == before.project_names
    )


def _differences(old: Any, new: Any, place: tuple = ()) -> Iterator[tuple]:
    """The places where two parsed documents differ: a value that changed, or a list whose
    length did."""
    if isinstance(old, dict) and isinstance(new, dict) and old.keys() == new.keys():
        for key in old:
            yield from _differences(old[key], new[key], (*place, key))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (before, after) in enumerate(zip(old, new, strict=True)):
            yield from _differences(before, after, (*place, index))
    elif old != new or type(old) is not type(new):
        yield place


def _replacement(old: str, new: str, path: str) -> Edit:
    """The one edit that turns `old` into `new`: the span between what they share at the
    start and at the end."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    shared_end = 0
    while shared_end < limit - start and old[-1 - shared_end] == new[-1 - shared_end]:
        shared_end += 1
    end = len(old) - shared_end
    content = new[start : len(new) - shared_end]
    return Edit(content, _location(old, start), _location(old, end), filename=path)


def _location(text: str, offset: int) -> Location:
    """Row and column (1-based, characters) of `offset`, rows split as Python splits lines."""
    breaks = list(re.finditer(r"\r\n|\r|\n", text[:offset]))
    row_start = breaks[-1].end() if breaks else 0
    return Location(len(breaks) + 1, offset - row_start + 1)


def _line_break(text: str) -> str:
    """The file's line break (its first), for the lines a fix adds."""
    first = re.search(r"\r\n|\r|\n", text)
    return "\n" if first is None else first[0]


def _sorted_position(names: list[str], name: str) -> int | None:
    """Where `name` goes among `names` when they are in alphabetical order (at least two of
    them); None when they are not (the new one then goes last)."""
    if len(names) < 2 or names != sorted(names):
        return None
    return next((index for index, other in enumerate(names) if other > name), None)


# --- requirements files -----------------------------------------------------------------------


def _requirements(action: str, text: str, distribution: str, version: str) -> Change | None:
    from packaging.requirements import InvalidRequirement, Requirement

    from .analysis.dependency_files import requirements_file_lines
    from .analysis.package_specs import normalize_name, pin_requirement

    if re.search(r"--(require-)?hash", text):
        return None  # pip checks hashes: a new version, or a new line, needs its hash
    lines = re.split(r"\r\n|\r|\n", text)
    entries = []  # (row, requirement text, normalized name)
    for row, kind, requirement in requirements_file_lines(enumerate(lines, 1)):
        if kind != "requirement":
            continue
        try:
            name = normalize_name(Requirement(requirement).name)
        except InvalidRequirement:
            return None  # pip refuses the whole file: NBD404 says so
        entries.append((row, requirement, name))
    mine = [entry for entry in entries if entry[2] == distribution]
    starts = [0] + [match.end() for match in re.finditer(r"\r\n|\r|\n", text)]
    if action == "pin":
        if len(mine) != 1:
            return None
        row, requirement, _ = mine[0]
        column = lines[row - 1].find(requirement)  # not found: continued over several lines
        written = pin_requirement(requirement, version)
        if column < 0 or written is None:
            return None
        start = starts[row - 1] + column
        new = text[:start] + written + text[start + len(requirement) :]
        return new, written, ()
    if mine:
        return None
    written = f"{distribution}=={version}"
    before = _sorted_position([name for _, _, name in entries], distribution)
    if before is not None:
        offset = starts[entries[before][0] - 1]
        return text[:offset] + written + _line_break(text) + text[offset:], written, ()
    filled = [row for row, line in enumerate(lines, 1) if line.strip()]
    if not filled:
        return written + _line_break(text) + text, written, ()
    last = filled[-1]
    if re.sub(r"(^|\s+)#.*$", "", lines[last - 1]).endswith("\\"):
        return None  # the new line would continue the last one
    offset = starts[last - 1] + len(lines[last - 1])
    return text[:offset] + _line_break(text) + written + text[offset:], written, ()


# --- pyproject.toml ---------------------------------------------------------------------------


def _pyproject(action: str, text: str, distribution: str, version: str) -> Change | None:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from .analysis.dependency_files import DependencyFileError, pyproject_requirements
    from .analysis.package_specs import normalize_name

    try:
        document = tomlkit.parse(text)
        places = list(pyproject_requirements(document))
    except (TOMLKitError, DependencyFileError):
        return None
    found = []  # (keys, list or table, index or key)
    for keys, listed in places:
        if isinstance(listed, list):
            found.extend(
                (keys, listed, index)
                for index, entry in enumerate(listed)
                if isinstance(entry, str) and _requirement_name(entry) == distribution
            )
        else:
            found.extend(
                (keys, listed, key) for key in listed if normalize_name(key) == distribution
            )
    if action == "pin":
        if len(found) != 1:
            return None
        keys, listed, at = found[0]
        pinned = _pin_toml_entry(listed, at, version)
        if pinned is None:
            return None
        written, inner = pinned
        return document.as_string(), written, (*keys, at, *inner)
    if found:
        return None
    project = document.get("project", {})
    for keys, listed in places:
        # `[project].dependencies` as written in the file, not the default of its absence
        if keys == ("project", "dependencies") and project.get("dependencies") is listed:
            written = f"{distribution}=={version}"
            names = [_requirement_name(entry) if isinstance(entry, str) else "" for entry in listed]
            before = _sorted_position(names, distribution)
            if before is None:
                listed.append(written)
            else:
                listed.insert(before, written)
            return document.as_string(), written, keys
    for keys, listed in places:
        if keys == ("tool", "poetry", "dependencies") and listed:
            listed.add(distribution, version)
            return document.as_string(), f'{distribution} = "{version}"', keys
    return None


def _requirement_name(entry: str) -> str | None:
    from packaging.requirements import InvalidRequirement, Requirement

    from .analysis.package_specs import normalize_name

    try:
        return normalize_name(Requirement(entry).name)
    except InvalidRequirement:
        return None


def _pin_toml_entry(listed: Any, at: int | str, version: str) -> tuple[str, tuple] | None:
    """Pin the entry `at` of a requirement list (a PEP 508 string) or a Poetry table (a
    constraint string, or an inline table's `version`), in the quotes it had: (the declaration
    written, the keys below `at` that change)."""
    from .analysis.package_specs import pin_requirement

    entry = listed[at]
    if isinstance(listed, list):
        written = pin_requirement(str(entry), version)
        if written is None:
            return None
        listed[at] = _same_quotes(entry, written)
        return written, ()
    owner, key = (entry, "version") if isinstance(entry, dict) else (listed, at)
    constraint = owner.get(key)
    if not isinstance(constraint, str) or not _poetry_allows(str(constraint), version):
        return None
    owner[key] = _same_quotes(constraint, version)
    if isinstance(entry, dict):
        return f'{at}.version = "{version}"', ("version",)
    return f'{at} = "{version}"', ()


def _same_quotes(old: Any, value: str) -> Any:
    import tomlkit
    from tomlkit.items import StringType

    literal = getattr(old, "type", None) in (StringType.SLL, StringType.MLL)
    return tomlkit.string(value, literal=literal and "'" not in value)


def _poetry_allows(constraint: str, version: str) -> bool:
    """Whether a Poetry constraint admits `version`: `^1.2` (>=1.2,<2), `~1.2` (>=1.2,<1.3),
    `1.2.*`, `*`, a bare version (exactly it), or PEP 440 clauses separated by commas or spaces;
    `||` alternatives are not read (nothing admitted)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion

    clauses = []
    for clause in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", constraint.strip()):
        if clause in {"", "*"}:
            continue
        operator, number = re.fullmatch(r"(?s)(\^|~(?!=)|[<>=!~]*)\s*(.*)", clause).groups()
        parts = number.split(".")
        if operator in {"^", "~"} and all(part.isdigit() for part in parts):
            if operator == "^":
                bump = next((i for i, part in enumerate(parts) if part != "0"), len(parts) - 1)
            else:
                bump = min(1, len(parts) - 1)
            upper = [*parts[:bump], str(int(parts[bump]) + 1)]
            clauses += [f">={number}", f"<{'.'.join(upper)}"]
        else:
            clauses.append(f"{operator or '=='}{number}")
    try:
        return "||" not in constraint and SpecifierSet(",".join(clauses)).contains(
            version, prereleases=True
        )
    except (InvalidSpecifier, InvalidVersion):
        return False


# --- environment.yml --------------------------------------------------------------------------


def _environment(action: str, text: str, distribution: str, version: str) -> Change | None:
    import yaml

    from .analysis.package_specs import conda_spec, pin_conda_spec, pin_requirement

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    dependencies = _yaml_value(root, "dependencies")
    if not isinstance(dependencies, yaml.SequenceNode):
        return None
    found = []  # (node, pin function, place)
    pip, pip_place = None, ()
    for index, item in enumerate(dependencies.value):
        if isinstance(item, yaml.ScalarNode):
            try:
                name = conda_spec(item.value)[0]
            except ValueError:
                continue
            if name == distribution:
                found.append((item, pin_conda_spec, ("dependencies", index)))
        elif isinstance(_yaml_value(item, "pip"), yaml.SequenceNode):
            pip, pip_place = _yaml_value(item, "pip"), ("dependencies", index, "pip")
            for number, entry in enumerate(pip.value):
                if isinstance(entry, yaml.ScalarNode) and (
                    _requirement_name(entry.value) == distribution
                ):
                    found.append((entry, pin_requirement, (*pip_place, number)))
    if action == "pin":
        if len(found) != 1:
            return None
        node, pin_spec, place = found[0]
        written = pin_spec(node.value, version)
        start, end = node.start_mark.index, node.end_mark.index
        quote = node.style if node.style in {"'", '"'} else ""
        escaped = {"'": "'", '"': '"\\'}.get(quote, "")  # characters the quotes would escape
        multiline = node.start_mark.line != node.end_mark.line
        if written is None or multiline or any(char in written for char in escaped):
            return None
        return text[:start] + quote + written + quote + text[end:], written, place
    if found or pip is None or pip.flow_style or not pip.value:
        return None
    written = f"{distribution}=={version}"
    entries = pip.value
    names = [_requirement_name(entry.value) or "" for entry in entries]
    before = _sorted_position(names, distribution)
    anchor = entries[before if before is not None else -1]
    line_start = text.rfind("\n", 0, anchor.start_mark.index) + 1
    prefix = text[line_start : anchor.start_mark.index]
    if not re.fullmatch(r"[ \t]*-[ \t]+", prefix) or anchor.end_mark.line != anchor.start_mark.line:
        return None
    if before is not None:
        new = text[:line_start] + prefix + written + _line_break(text) + text[line_start:]
    else:
        end = re.compile(r"\r\n|\r|\n|\Z").search(text, anchor.end_mark.index).start()
        new = text[:end] + _line_break(text) + prefix + written + text[end:]
    return new, written, pip_place


def _yaml_value(mapping: Any, key: str) -> Any:
    """The node a YAML mapping node gives `key`, or None."""
    import yaml

    if not isinstance(mapping, yaml.MappingNode):
        return None
    return next((value for name, value in mapping.value if name.value == key), None)


def _load_toml(text: str) -> Any:
    import tomllib

    return tomllib.loads(text)


def _load_yaml(text: str) -> Any:
    import yaml

    return yaml.safe_load(text)


_EDITORS: dict[str, Callable[[str, str, str, str], Change | None]] = {
    "requirements": _requirements,
    "pyproject": _pyproject,
    "environment": _environment,
}
_LOADERS: dict[str, Callable[[str], Any]] = {"pyproject": _load_toml, "environment": _load_yaml}

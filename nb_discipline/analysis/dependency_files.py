"""What a project's dependency files declare and pin: requirements*.txt (with `-r`/`-c`
includes), pyproject.toml (PEP 621, PEP 735 groups, Poetry), setup.cfg, setup.py, Pipfile, the lock
files (Pipfile.lock, uv.lock, poetry.lock, pylock.toml) and conda's environment.yml.

What a file declares is kept between runs (nb_discipline.cache) while none of the files read
changes, so checking a thousand notebooks of one project, or one notebook at every commit, parses
each dependency file once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from types import MappingProxyType

from .. import cache as disk_cache
from ..loader import read_file
from ..records import TYPE_CHECKING, Record
from .package_specs import (
    conda_spec,
    exact_version,
    names_no_distribution,
    normalize_name,
    requirement_is_pinned,
)

if TYPE_CHECKING:
    from typing import Any

    from packaging.requirements import Requirement

LOCK_FILE_NAMES = frozenset({"uv.lock", "poetry.lock", "Pipfile.lock", "pylock.toml"})
ENVIRONMENT_FILE_NAMES = frozenset({"environment.yml", "environment.yaml"})
_REQUIREMENTS_NAME = re.compile(r"requirements.*\.txt\Z")
_PYLOCK_NAME = re.compile(r"pylock\.[^.]+\.toml\Z")


class DependencyFileError(Exception):
    """A dependency file that cannot be read; the message says where and why."""


class Declarations(Record):
    """What one dependency file (with its includes) says: names are PEP 503 normalized."""

    declared: Mapping[str, str] = MappingProxyType({})
    """Declared name -> the file that declares it ("" until `_read` knows the file)."""
    pinned: frozenset[str] = frozenset()
    project_names: frozenset[str] = frozenset()
    """The project's own distribution names (its imports are first-party)."""
    problems: tuple[tuple[str, str], ...] = ()
    """(file, reason) for each file that could not be read; the readable rest still counts."""
    versions: Mapping[str, str] = MappingProxyType({})
    """Pinned name -> the release it is pinned or locked at ("" when two pins disagree)."""
    packaged: frozenset[str] = frozenset()
    """Declared names that only a package's metadata declares (setup.py, setup.cfg, the
    `[project]` or Poetry dependencies of a pyproject.toml with a `[build-system]`): what a
    library needs, as ranges, which is right for a library; no environment file declares them."""
    unread: tuple[str, ...] = ()
    """Files with a requirement list that cannot be known without running them (a setup.py
    that reads it from a file): any distribution may be declared there."""
    metadata_files: frozenset[str] = frozenset()
    """The `.txt` file names a setup.py's strings name (`"requirements.txt"`): the requirement
    files it reads into its metadata, most likely."""

    def merged(self, other: Declarations) -> Declarations:
        mine, theirs = self._environment_names(), other._environment_names()
        declared = {**other.declared, **self.declared}
        # A name both declare is shown where an environment file declares it.
        declared.update(
            (name, other.declared[name]) for name in theirs - mine if name in self.declared
        )
        return Declarations(
            declared,
            self.pinned | other.pinned,
            self.project_names | other.project_names,
            self.problems + tuple(p for p in other.problems if p not in self.problems),
            _versions([*self.versions.items(), *other.versions.items()]),
            (self.packaged | other.packaged) - mine - theirs,
            self.unread + tuple(path for path in other.unread if path not in self.unread),
            self.metadata_files | other.metadata_files,
        )

    def _environment_names(self) -> set[str]:
        return set(self.declared).difference(self.packaged)

    def as_package(self) -> Declarations:
        """The same declarations, made by a package's metadata (see `packaged`)."""
        return self._replace(packaged=frozenset(self.declared))


def _versions(pins: Iterable[tuple[str, str]]) -> dict[str, str]:
    """name -> version of (name, version) pairs; "" for a name pinned at two versions."""
    versions: dict[str, str] = {}
    for name, version in pins:
        versions[name] = version if versions.get(name, version) == version else ""
    return versions


def is_dependency_file(name: str) -> bool:
    """Whether a file named `name` is one nbcheck reads dependencies from."""
    return bool(
        name in {"pyproject.toml", "Pipfile", "setup.cfg", "setup.py"}
        or name in LOCK_FILE_NAMES
        or name in ENVIRONMENT_FILE_NAMES
        or _REQUIREMENTS_NAME.match(name)
        or _PYLOCK_NAME.match(name)
    )


# The top-level keys of conda's environment file (`conda env create -f`).
_CONDA_KEYS = frozenset({"name", "channels", "dependencies", "prefix", "variables"})


def is_conda_environment(path: str) -> bool:
    """Whether a YAML file that is not named environment.yml is a conda environment file by its
    content (`bap.yml`, `conda.yaml`, `environment_win.yml`): a mapping with a `dependencies`
    list and no key conda's format does not have, whose entries are conda specs (strings) or
    a `pip:` list. A file without a top-level `dependencies:` line is not parsed. Kept between
    runs while the file is unchanged."""

    def check() -> bool:
        try:
            content = _content(path)
        except DependencyFileError:
            return False
        if re.search(rb"(?m)^dependencies[ \t]*:", content) is None:
            return False
        import yaml

        try:
            document = yaml.load(_text(content), Loader=_yaml_loader())
        except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
            return False
        if not isinstance(document, dict) or not set(document) <= _CONDA_KEYS:
            return False
        entries = document.get("dependencies")
        return isinstance(entries, list) and all(
            isinstance(entry, str)
            or (
                isinstance(entry, dict) and set(entry) == {"pip"} and isinstance(entry["pip"], list)
            )
            for entry in entries
        )

    return disk_cache.from_files("conda-environment", os.path.abspath(path), check)


def read_dependency_file(path: str | os.PathLike[str]) -> Declarations:
    """What `path` declares and pins (with its includes); a broken file becomes a problem.

    Kept between runs (see nb_discipline.cache) while none of the files read has changed: parsing
    needs `packaging`, whose import alone costs a quarter of a one-notebook run."""
    path = os.path.abspath(path)

    def parse() -> tuple:
        declarations = _read(path, frozenset())
        # A plain dict and tuple: marshal writes neither the read-only default mapping nor a
        # NamedTuple.
        plain = {"declared": dict(declarations.declared), "versions": dict(declarations.versions)}
        return tuple(declarations._replace(**plain))

    return Declarations(*disk_cache.from_files("dependencies", path, parse))


def declarations_in(path: str, content: bytes) -> Declarations:
    """What the file at `path` would declare if it held `content` (its includes as they are on
    disk); a broken content becomes a problem. Not kept between runs."""
    return _read(os.path.abspath(path), frozenset(), content)


def _read(path: str, including: frozenset[str], content: bytes | None = None) -> Declarations:
    try:
        if content is None:
            content = _content(path)
        declarations = _parse(path, content, including | {path})
        own = {name: source or path for name, source in declarations.declared.items()}
        return declarations._replace(declared=own)
    except DependencyFileError as error:
        reason = str(error)
    except UnicodeDecodeError as error:
        reason = f"not {error.encoding.upper()} text"
    except RecursionError:  # the YAML, TOML, JSON and Python parsers recurse once per level
        reason = "nested deeper than nbcheck reads (Python's recursion limit)"
    return Declarations(problems=((path, reason),))


def _content(path: str) -> bytes:
    """The bytes of the regular file at `path`, noted as an input of what is computed from them.
    Anything else is refused before a byte is read: a named pipe would wait for a writer, a
    device never end."""
    try:
        content, before = read_file(path)
    except OSError as error:
        disk_cache.note(path)
        missing = isinstance(error, FileNotFoundError)
        raise DependencyFileError(
            "file not found" if missing else error.strerror or str(error)
        ) from None
    disk_cache.note(path, content=content, before=before)
    return content


def file_format(path: str) -> str:
    """How a dependency file is read, by its name: `pyproject`, `Pipfile`, `Pipfile.lock`,
    `lock` (uv.lock, poetry.lock), `pylock`, `environment` (conda's YAML), `setup.cfg`,
    `setup.py`, or `requirements` (any other name: an included file may be called anything)."""
    name = os.path.basename(path)
    if name == "pyproject.toml":
        return "pyproject"
    if name in {"Pipfile", "Pipfile.lock", "setup.cfg", "setup.py"}:
        return name
    if name in {"uv.lock", "poetry.lock"}:
        return "lock"
    if name == "pylock.toml" or _PYLOCK_NAME.match(name):
        return "pylock"
    if name in ENVIRONMENT_FILE_NAMES or os.path.splitext(name)[1] in {".yml", ".yaml"}:
        return "environment"
    return "requirements"


def _parse(path: str, content: bytes, including: frozenset[str]) -> Declarations:
    kind = file_format(path)
    if kind == "pyproject":
        return _pyproject(_toml(content))
    if kind == "Pipfile":
        return _pipfile(_toml(content))
    if kind == "Pipfile.lock":
        return _pipfile_lock(content)
    if kind in {"lock", "pylock"}:
        entries = "package" if kind == "lock" else "packages"
        return _locked(_toml(content).get(entries, []), path)
    if kind == "environment":
        return _environment(path, content, including)
    if kind == "setup.cfg":
        return _setup_cfg(path, content).as_package()
    if kind == "setup.py":
        return _setup_py(path, content).as_package()
    lines = _requirements_text(content).splitlines()
    return _requirement_lines(enumerate(lines, 1), path, including)


def _toml(content: bytes) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(_text(content))
    except tomllib.TOMLDecodeError as error:
        raise DependencyFileError(f"not valid TOML: {error}") from None


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind):
        expected = {list: "a list", dict: "a table", str: "a string"}[kind]
        raise DependencyFileError(f"`{where}` must be {expected}")
    return value


def _from_requirement_strings(lines: Iterable[Any], where: str) -> Declarations:
    from packaging.requirements import InvalidRequirement, Requirement

    requirements = []
    for line in lines:
        text = _expect(line, str, where)
        try:
            requirements.append(Requirement(text))
        except InvalidRequirement as error:
            reason = _why_bad(text, error)
            raise DependencyFileError(f"bad requirement {text!r} in `{where}`: {reason}") from None
    return _from_requirements(requirements)


def _from_requirements(requirements: Iterable[Requirement]) -> Declarations:
    declared, pinned, versions = set(), set(), []
    for requirement in requirements:
        name = normalize_name(requirement.name)
        declared.add(name)
        if requirement_is_pinned(requirement):
            pinned.add(name)
        version = exact_version(requirement.specifier)
        if version is not None:
            versions.append((name, version))
    return Declarations(
        dict.fromkeys(declared, ""), frozenset(pinned), versions=_versions(versions)
    )


def _pyproject(document: dict[str, Any]) -> Declarations:
    """PEP 621, PEP 735 and Poetry's lists; with a `[build-system]` the file describes a package,
    whose `[project]` and Poetry dependencies are its metadata (dependency groups, and Poetry's
    dev dependencies and groups, are never published: they describe environments)."""
    result = Declarations()
    package = "build-system" in document
    for keys, listed in pyproject_requirements(document):
        if isinstance(listed, list):
            # PEP 735: strings are requirements; tables are {include-group = "..."}.
            lines = [entry for entry in listed if not isinstance(entry, dict)]
            found = _from_requirement_strings(lines, ".".join(keys))
        else:
            found = _poetry_table(listed)
        if package and (keys[0] == "project" or keys == ("tool", "poetry", "dependencies")):
            found = found.as_package()
        result = result.merged(found)
    project = document.get("project", {})
    poetry = document.get("tool", {}).get("poetry")
    names = [project.get("name"), poetry.get("name") if isinstance(poetry, dict) else None]
    own = frozenset(normalize_name(str(name)) for name in names if name is not None)
    return result.merged(Declarations(project_names=own))


def pyproject_requirements(document: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(keys, value) for each place of a pyproject.toml that lists requirements: PEP 621's
    dependencies and optional dependencies and PEP 735's groups (lists), and Poetry's dependency
    tables (name -> constraint). A place of the wrong type is a DependencyFileError."""
    project = _expect(document.get("project", {}), dict, "project")
    dependencies = project.get("dependencies", [])
    yield ("project", "dependencies"), _expect(dependencies, list, "project.dependencies")
    optional = _expect(project.get("optional-dependencies", {}), dict, "optional-dependencies")
    for extra, lines in optional.items():
        where = f"project.optional-dependencies.{extra}"
        yield ("project", "optional-dependencies", extra), _expect(lines, list, where)
    groups = _expect(document.get("dependency-groups", {}), dict, "dependency-groups")
    for group, entries in groups.items():
        yield ("dependency-groups", group), _expect(entries, list, f"dependency-groups.{group}")
    poetry = _expect(document.get("tool", {}), dict, "tool").get("poetry")
    if not isinstance(poetry, dict):
        return
    for table in ("dependencies", "dev-dependencies"):
        where = f"tool.poetry.{table}"
        yield ("tool", "poetry", table), _expect(poetry.get(table, {}), dict, where)
    for group, table in _expect(poetry.get("group", {}), dict, "tool.poetry.group").items():
        where = f"tool.poetry.group.{group}"
        dependencies = _expect(table, dict, where).get("dependencies", {})
        keys = ("tool", "poetry", "group", group, "dependencies")
        yield keys, _expect(dependencies, dict, f"{where}.dependencies")


def _poetry_table(table: Mapping[str, Any]) -> Declarations:
    declared, pinned, versions = set(), set(), []
    for name, constraint in table.items():
        if name.lower() == "python":
            continue
        normalized = normalize_name(name)
        declared.add(normalized)
        exact, version = _poetry_pin(constraint)
        if exact:
            pinned.add(normalized)
        if version:
            versions.append((normalized, version))
    return Declarations(
        dict.fromkeys(declared, ""), frozenset(pinned), versions=_versions(versions)
    )


def _poetry_pin(constraint: Any) -> tuple[bool, str | None]:
    """(pinned, the version) of a Poetry constraint: a bare version (`"1.2.3"`) or `==` is
    exact; a table without a version is a git, path or URL source, which names one artifact;
    a list (one constraint per platform) pins when each item does."""
    if isinstance(constraint, list):
        pins = [_poetry_pin(item) for item in constraint]
        versions = {version for _, version in pins}
        return all(exact for exact, _ in pins), versions.pop() if len(versions) == 1 else None
    if isinstance(constraint, dict):
        if "version" not in constraint:
            return True, None
        constraint = constraint["version"]
    version = _exact(str(constraint).strip(), bare=True)
    return version is not None, version


def _exact(text: str, *, bare: bool = False) -> str | None:
    """The version a PEP 440 specifier (or, with `bare`, a bare `1.2.3`, as Poetry and Pipfile
    write one) selects alone; None for a range, `*` or text that is no specifier."""
    from packaging.specifiers import SpecifierSet

    if bare and re.fullmatch(r"\d[\w.+!-]*", text) and "*" not in text:
        return text
    try:
        return exact_version(SpecifierSet(text))
    except ValueError:
        return None


def _setup_cfg(path: str, content: bytes) -> Declarations:
    """setuptools' declarative config: `install_requires` and `extras_require` of [options]."""
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_text(content), path)
    except configparser.Error as error:
        raise DependencyFileError(f"not a valid setup.cfg: {_one_line(str(error))}") from None
    lines = _setup_cfg_lines(parser.get("options", "install_requires", fallback=""))
    if parser.has_section("options.extras_require"):
        for _, value in parser.items("options.extras_require"):
            lines.extend(_setup_cfg_lines(value))
    result = _from_requirement_strings(lines, "options.install_requires")
    name = parser.get("metadata", "name", fallback="")
    if name:
        result = result.merged(Declarations(project_names=frozenset({normalize_name(name)})))
    return result


def _setup_cfg_lines(value: str) -> list[str]:
    lines = (line.split(" #")[0].strip() for line in value.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _setup_py(path: str, content: bytes) -> Declarations:
    """The `install_requires`, `extras_require` and `name` of a `setup(...)` call, as far as
    they can be known without running it (see `_SetupValues`). A requirement list that cannot be
    known (read from a file, built by a function) leaves the file `unread`: any distribution may
    be in it."""
    import ast

    tree = _python(path, content)
    values = _SetupValues(tree, os.path.dirname(path))
    lines: list[Any] = []
    names: set[str] = set()
    unknown = False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) != "setup":
            continue
        for keyword in node.keywords:
            if keyword.arg == "install_requires":
                found = _requirement_lists(values.possible(keyword.value))
                unknown = unknown or found is None
                lines.extend(found or ())
            elif keyword.arg == "extras_require":
                for extra in _extras(keyword.value, values):
                    unknown = unknown or extra is None
                    lines.extend(extra or ())
            elif keyword.arg == "name":
                for value in values.possible(keyword.value) or ():
                    if isinstance(value, str):
                        names.add(normalize_name(value))
    result = _from_requirement_strings(lines, "setup(install_requires=...)")
    unread = (path,) if unknown else ()
    named = frozenset(
        os.path.basename(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[\w./-]+\.txt", node.value)
    )
    found = Declarations(project_names=frozenset(names), unread=unread, metadata_files=named)
    return result.merged(found)


def _python(path: str, content: bytes):
    import ast

    try:
        return ast.parse(_text(content), path)
    except (SyntaxError, ValueError) as error:
        raise DependencyFileError(f"not valid Python: {error}") from None


def _requirement_lists(possible: list[Any] | None) -> list[str] | None:
    """The requirement lines of every value a requirement list may have (setuptools takes a list
    of requirements, or one string of them, a line each); None when one of them is unknown."""
    if possible is None:
        return None
    lines: list[str] = []
    for value in possible:
        if isinstance(value, str):
            lines.extend(_setup_cfg_lines(value))
        elif isinstance(value, list | tuple) and all(isinstance(line, str) for line in value):
            lines.extend(value)
        else:
            return None
    return lines


def _extras(node, values: _SetupValues) -> list[list[str] | None]:
    """The requirement lines of each extra of `extras_require`, each read on its own (None for
    one that cannot be known): one computed extra hides none of the others."""
    import ast

    if isinstance(node, ast.Dict):
        return [_requirement_lists(values.possible(value)) for value in node.values]
    possible = values.possible(node)
    if possible is None or not all(isinstance(value, dict) for value in possible):
        return [None]
    return [_requirement_lists([extra]) for value in possible for extra in value.values()]


class _SetupValues:
    """What the expressions of a setup.py may evaluate to, without running it.

    A name counts when every binding of it at the module's top level (in `if`/`else` branches,
    `try` blocks: each is a possible value) is a plain `NAME = expression`, nothing changes it in
    place (`NAME.append(...)`, `NAME += ...`, `NAME[key] = ...`), and its expressions are known:
    literals, the names above, `+` of lists or strings, `"a b".split()`, `.splitlines()`,
    `.strip()`, `list(...)`; or a name imported from a module beside setup.py
    (`from required_packages import REQUIRED_PACKAGES`), read the same way. Anything else (a
    file read, a function's result) is unknown."""

    LIMIT = 64  # possible values of one expression; more is unknown

    def __init__(self, tree, directory: str, depth: int = 0) -> None:
        import ast

        self.directory, self.depth = directory, depth
        self.bindings: dict[str, list] = {}
        self.imported: dict[str, tuple[str, str]] = {}
        unknown: set[str] = set()
        for statement in _top_level(tree.body):
            unknown.update(_changed_in_place(statement))
            if (
                isinstance(statement, ast.Assign)
                and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)
            ):
                self.bindings.setdefault(statement.targets[0].id, []).append(statement.value)
            elif isinstance(statement, ast.ImportFrom) and statement.level == 0:
                for alias in statement.names:
                    name = alias.asname or alias.name
                    if name in self.imported:
                        unknown.add(name)
                    self.imported[name] = (statement.module or "", alias.name)
            elif isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                unknown.add(statement.name)
            else:  # bound by a loop, a `with`, an unpacking, `+=`, `del`, an import
                for node in (n for part in _own_parts(statement) for n in ast.walk(part)):
                    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                        unknown.add(node.id)
                    elif isinstance(node, ast.alias):
                        unknown.add((node.asname or node.name).split(".")[0])
        unknown.update(set(self.bindings) & set(self.imported))
        for name in unknown:
            self.bindings.pop(name, None)
            self.imported.pop(name, None)

    def possible(self, node, depth: int = 0) -> list[Any] | None:
        """Every value `node` may have; None when one of them cannot be known."""
        import ast
        from itertools import product

        if depth > 20:
            return None
        if isinstance(node, ast.Constant):
            return [node.value]
        if isinstance(node, ast.Name):
            if node.id in self.imported:
                return self._imported(*self.imported[node.id])
            if node.id not in self.bindings:
                return None
            return self._union(self.possible(value, depth + 1) for value in self.bindings[node.id])
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            parts = [self.possible(element, depth + 1) for element in node.elts]
            return self._combine(parts, list)
        if isinstance(node, ast.Dict):
            if any(key is None for key in node.keys):
                return None
            parts = [self.possible(part, depth + 1) for part in (*node.keys, *node.values)]
            half = len(node.keys)
            return self._combine(
                parts, lambda items: dict(zip(items[:half], items[half:], strict=True))
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts = [self.possible(node.left, depth + 1), self.possible(node.right, depth + 1)]
            if None in parts:
                return None
            sums = [left + right for left, right in product(*parts) if _addable(left, right)]
            return sums if len(sums) == len(parts[0]) * len(parts[1]) else None
        if isinstance(node, ast.Call) and not node.keywords:
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"list", "tuple"} and len(node.args) == 1:
                inner = self.possible(node.args[0], depth + 1)
                if inner is None or not all(isinstance(v, list | tuple) for v in inner):
                    return None
                return [list(value) for value in inner]
            if (
                isinstance(func, ast.Attribute)
                and not node.args
                and func.attr in {"split", "splitlines", "strip"}
            ):
                inner = self.possible(func.value, depth + 1)
                if inner is None or not all(isinstance(value, str) for value in inner):
                    return None
                return [getattr(value, func.attr)() for value in inner]
        return None

    def _imported(self, module: str, name: str) -> list[Any] | None:
        """A name a module beside setup.py binds (setup.py's folder is on sys.path when it
        runs): read from that file, noted as an input."""
        import ast

        path = os.path.join(self.directory, *module.split(".")) + ".py"
        if self.depth > 0 or not os.path.isfile(path):
            return None
        try:
            tree = _python(path, _content(path))
        except (DependencyFileError, UnicodeDecodeError, RecursionError):
            return None
        other = _SetupValues(tree, self.directory, self.depth + 1)
        return other.possible(ast.Name(name, ast.Load()))

    def _union(self, parts) -> list[Any] | None:
        values: list[Any] = []
        for part in parts:
            if part is None:
                return None
            values.extend(part)
        return values if len(values) <= self.LIMIT else None

    def _combine(self, parts: list, make) -> list[Any] | None:
        from itertools import product

        if None in parts:
            return None
        count = 1
        for part in parts:
            count *= len(part)
        if count > self.LIMIT:
            return None
        return [make(list(items)) for items in product(*parts)]


def _top_level(body: list) -> Iterator:
    """The statements of a module that run when it runs, the bodies of `if`, `try`, `with`,
    `for` and `while` included, each compound statement first (its test, target or `as` names
    are read from it); functions and classes are only defined."""
    import ast

    for statement in body:
        yield statement
        if isinstance(statement, ast.If | ast.Try | ast.With | ast.For | ast.While):
            for block in ("body", "orelse", "finalbody"):
                yield from _top_level(getattr(statement, block, []))
            for handler in getattr(statement, "handlers", []):
                yield from _top_level(handler.body)


def _own_parts(statement) -> list:
    """What a statement holds besides the statements of its bodies: an `if`'s or `while`'s test,
    a `for`'s target and iterable, a `with`'s items; the statement itself when it has no body."""
    import ast

    if isinstance(statement, ast.If | ast.While):
        return [statement.test]
    if isinstance(statement, ast.For):
        return [statement.target, statement.iter]
    if isinstance(statement, ast.With):
        return list(statement.items)
    if isinstance(statement, ast.Try):
        return [ast.Name(h.name, ast.Store()) for h in statement.handlers if h.name]
    return [statement]


def _changed_in_place(statement) -> set[str]:
    """Names whose value `statement` changes without binding them again: `NAME.append(...)` (and
    `extend`, `insert`, `update`, `pop`, `remove`, `clear`), `NAME[key] = ...`, `NAME.attr = ...`,
    and any name a `global` statement of a function names. A compound statement is read whole."""
    import ast

    changed = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Global):
            changed.update(node.names)
        elif isinstance(node, ast.Attribute | ast.Subscript) and isinstance(node.value, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                changed.add(node.value.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.attr in {"append", "extend", "insert", "update", "pop", "remove", "clear"}
        ):
            changed.add(node.func.value.id)
    return changed


def _addable(left: Any, right: Any) -> bool:
    return type(left) is type(right) and isinstance(left, list | tuple | str)


def _pipfile(document: dict[str, Any]) -> Declarations:
    declared, pinned, versions = set(), set(), []
    for section in ("packages", "dev-packages"):
        for name, constraint in _expect(document.get(section, {}), dict, section).items():
            normalized = normalize_name(name)
            declared.add(normalized)
            if isinstance(constraint, dict):
                if "version" not in constraint:
                    pinned.add(normalized)  # git, path or file source
                    continue
                constraint = constraint["version"]
            version = _exact(str(constraint).strip())
            if version is not None:
                pinned.add(normalized)
                versions.append((normalized, version))
    return Declarations(
        dict.fromkeys(declared, ""), frozenset(pinned), versions=_versions(versions)
    )


def _pipfile_lock(content: bytes) -> Declarations:
    import json

    try:
        document = json.loads(_text(content))
    except json.JSONDecodeError as error:
        raise DependencyFileError(f"not valid JSON: {error}") from None
    _expect(document, dict, "(document)")
    entries = [
        (normalize_name(name), entry)
        for section in ("default", "develop")
        for name, entry in _expect(document.get(section, {}), dict, section).items()
    ]
    locked = frozenset(name for name, _ in entries)
    versions = [
        (name, version)
        for name, entry in entries
        if isinstance(entry, dict) and (version := _exact(str(entry.get("version", ""))))
    ]
    return Declarations(dict.fromkeys(locked, ""), locked, versions=_versions(versions))


def _locked(packages: Any, path: str) -> Declarations:
    """A lock file: every package it lists is installed at the version it records."""
    names, versions = set(), []
    for package in _expect(packages, list, "package"):
        name = _expect(package, dict, "package").get("name")
        if not isinstance(name, str):
            raise DependencyFileError(f"a package entry in {os.path.basename(path)} has no name")
        names.add(normalize_name(name))
        if isinstance(package.get("version"), str):
            versions.append((normalize_name(name), package["version"]))
    locked = frozenset(names)
    return Declarations(dict.fromkeys(locked, ""), locked, versions=_versions(versions))


def _environment(path: str, content: bytes, including: frozenset[str]) -> Declarations:
    import yaml  # only projects with a conda environment file pay for the import

    try:
        document = yaml.load(_text(content), Loader=_yaml_loader())
    except yaml.YAMLError as error:
        raise DependencyFileError(f"not valid YAML: {_one_line(str(error))}") from None
    if document is None:
        return Declarations()
    _expect(document, dict, "(document)")
    declared, pinned, versions = set(), set(), []
    result = Declarations()
    for entry in _expect(document.get("dependencies") or [], list, "dependencies"):
        if isinstance(entry, dict):
            # conda writes these to a requirements file beside this one, a line each, for pip.
            entries = _expect(entry.get("pip") or [], list, "dependencies.pip")
            lines = [_expect(line, str, "dependencies.pip") for line in entries]
            numbered = ((line.line, line) for line in lines)
            result = result.merged(_requirement_lines(numbered, path, including))
            continue
        try:
            name, version = conda_spec(str(_expect(entry, str, "dependencies")))
        except ValueError as error:
            raise DependencyFileError(str(error)) from None
        declared.add(name)
        if version is not None:
            pinned.add(name)
            # conda's `=1.26` is any 1.26.x: only `==1.26` or a full `=1.26.4` names the release
            if "==" in entry or version.count(".") >= 2:
                versions.append((name, version))
    conda = Declarations(
        dict.fromkeys(declared, ""), frozenset(pinned), versions=_versions(versions)
    )
    return result.merged(conda)


class _LineString(str):
    """A string of a YAML file that knows the line it starts on."""

    line = 0


@cache
def _yaml_loader() -> type:
    """yaml's safe loader, whose strings know their line: a bad pip entry is reported there;
    and a `!!python/tuple` is a list."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
            text = _LineString(super().construct_yaml_str(node))
            text.line = node.start_mark.line + 1
            return text

    Loader.add_constructor("tag:yaml.org,2002:str", Loader.construct_yaml_str)
    # Old conda exports write `channels: !!python/tuple [...]`, which conda reads as a list.
    Loader.add_constructor("tag:yaml.org,2002:python/tuple", Loader.construct_sequence)
    return Loader


def _why_bad(text: str, error: Exception) -> str:
    """Why `text` is no requirement: packaging's message without the lines that draw a caret
    under it, or, for conda's `name=1.0`, what pip's hint says."""
    if "=" in text and not re.search(r"[=!<>~]=|[<>]", text):
        return "`=` is not a version operator (`==` is)"
    return (str(error).splitlines() or [""])[0]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _text(content: bytes) -> str:
    return content.decode("utf-8")


# The byte order marks pip looks for at the start of a requirements file, and their encodings.
_BYTE_ORDER_MARKS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _requirements_text(content: bytes) -> str:
    """A requirements file's text, decoded as pip does: UTF-8, or what a byte order mark says
    (PowerShell's `pip freeze > requirements.txt` writes UTF-16)."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if content.startswith(mark):
            return content[len(mark) :].decode(encoding)
    return _text(content)


def _logical_lines(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """(first line number, text) of numbered lines, with comments dropped and `\\` continuations
    joined, as pip reads them."""
    pending, start = "", 0
    for number, raw in lines:
        line = re.sub(r"(^|\s+)#.*$", "", raw)
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        text = (pending + line).strip()
        pending = ""
        if text:
            yield start, text
    if pending.strip():
        yield start, pending.strip()


# Strings compiled (and kept) by `re` on first use: a run reads a file only when it changed.
# An include's file, and whatever follows it (`-r https://.../req.txt [--no-deps]`, as
# Azure's conda files write it).
_INCLUDE = r"(?P<option>-r|--requirement|-c|--constraint)\s*=?\s*(?P<file>\S+)(\s.*)?"
_EDITABLE = r"(-e|--editable)\s*=?\s*(?P<target>\S+)"
_EGG = r"[#&]egg=(?P<name>[A-Za-z0-9][\w.-]*)"


def requirements_file_lines(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str, str]]:
    """(first line number, kind, text) of each logical line of a requirements file, numbered:
    kind `include` (`-r`/`-c` file), `local` (a local path, archive or URL, editable or not:
    only an `#egg=name` fragment names what it installs) or `requirement` (per-line options
    such as `--hash` cut off); options that install nothing (`--index-url`) are left out."""
    for number, text in _logical_lines(lines):
        if re.fullmatch(_INCLUDE, text) is not None:
            yield number, "include", text
            continue
        editable = re.fullmatch(_EDITABLE, text) is not None
        if not editable and text.startswith("-"):
            continue
        text = re.split(r"\s+--?[a-z]", text, maxsplit=1)[0]
        local = editable or names_no_distribution(text.split(";")[0].strip())
        yield number, "local" if local else "requirement", text


def _requirement_lines(
    lines: Iterable[tuple[int, str]], path: str, including: frozenset[str]
) -> Declarations:
    """requirements.txt syntax, on numbered lines: requirements, `-r`/`-c` includes, options,
    and what pip installs from a local path or URL (`.`, `-e ./pkg`, `git+https://...`). A bad
    line is the file's problem; the lines around it still count."""
    from packaging.requirements import InvalidRequirement, Requirement

    requirements, pinned_by_egg = [], set()
    problems: list[tuple[str, str]] = []
    result = Declarations()
    for number, kind, text in requirements_file_lines(lines):
        if kind == "include":
            include = re.fullmatch(_INCLUDE, text)
            if re.match(r"[A-Za-z][\w+.-]*://", include["file"]):
                # pip fetches it when it installs: what it declares is not known here.
                result = result.merged(Declarations(unread=(path,)))
                continue
            target = os.path.abspath(os.path.join(os.path.dirname(path), include["file"]))
            if target in including:
                continue
            included = _read(target, including)
            if include["option"] in {"-c", "--constraint"}:
                # A constraint file pins versions but installs nothing.
                included = Declarations(
                    pinned=included.pinned, problems=included.problems, versions=included.versions
                )
            result = result.merged(included)
        elif kind == "local":
            egg = re.search(_EGG, text)
            if egg is not None:
                pinned_by_egg.add(normalize_name(egg["name"]))
        else:
            try:
                requirements.append(Requirement(text))
            except InvalidRequirement as error:
                if not problems:
                    reason = _why_bad(text, error)
                    problems.append((path, f"line {number}: bad requirement {text!r}: {reason}"))
    eggs = Declarations(dict.fromkeys(pinned_by_egg, ""), frozenset(pinned_by_egg))
    own = _from_requirements(requirements).merged(eggs)
    return result.merged(own._replace(problems=tuple(problems)))

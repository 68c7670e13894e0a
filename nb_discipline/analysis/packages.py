"""Import names -> distributions, and what the project's dependency files declare and pin.

The project root is the nearest directory at or above the notebook that holds `.git` or
`pyproject.toml`; without one, the notebook's own directory. Dependency files are looked for in
every directory from the notebook's up to the root (or taken from `dependency-files`), and modules
found in those directories or the root's `src/` (a `name.py`, or a folder of Python files) are the
project's own.

Directory listings are cached per process. What dependency files declare is kept between runs
(nb_discipline.cache) while none of the files read changes, so checking a thousand notebooks of one
project, or one notebook at every commit, parses each dependency file once.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Iterable, Iterator, Mapping
from functools import cache, cached_property
from types import MappingProxyType

from .. import cache as disk_cache
from ..config import Settings
from ..loader import read_file
from ..records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import Any

if TYPE_CHECKING:  # packaging is imported where a file or command is parsed: it costs start-up
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

PROJECT_ROOT_MARKERS = (".git", "pyproject.toml")

# The kernel a notebook runs in always provides these; hosted notebooks (Colab, Kaggle, JupyterLite)
# provide their own modules, which no package index serves. Dotted names are `import_key`s.
KERNEL_PROVIDED = frozenset(
    {"IPython", "ipykernel", "google.colab", "kaggle_secrets", "kaggle_datasets", "pyodide"}
)
# Modules of Python 2's standard library that Python 3 renamed or removed: old notebooks import
# them, and no dependency file could provide them.
PYTHON2_STANDARD_LIBRARY = frozenset(
    {
        "BaseHTTPServer", "ConfigParser", "Cookie", "HTMLParser", "Queue", "SimpleHTTPServer",
        "SocketServer", "StringIO", "Tkinter", "UserDict", "UserList", "UserString",
        "__builtin__", "anydbm", "commands", "cookielib", "copy_reg", "cPickle", "cStringIO",
        "dummy_thread", "exceptions", "htmlentitydefs", "httplib", "md5", "robotparser", "sets",
        "sha", "thread", "tkMessageBox", "urllib2", "urlparse", "xmlrpclib",
    }
)  # fmt: skip

# Import names whose distribution has another name; used when the distribution is not installed
# where nbcheck runs. Keys are top-level names, or dotted names inside a namespace package.
WELL_KNOWN_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "sklearn": ("scikit-learn",),
    "cv2": (
        "opencv-python",
        "opencv-python-headless",
        "opencv-contrib-python",
        "opencv-contrib-python-headless",
    ),
    "PIL": ("Pillow",),
    "yaml": ("PyYAML",),
    "bs4": ("beautifulsoup4",),
    "skimage": ("scikit-image",),
    "dateutil": ("python-dateutil",),
    "dotenv": ("python-dotenv",),
    "jwt": ("PyJWT",),
    "Crypto": ("pycryptodome",),
    "OpenSSL": ("pyOpenSSL",),
    "attr": ("attrs",),
    "zmq": ("pyzmq",),
    "serial": ("pyserial",),
    "docx": ("python-docx",),
    "pptx": ("python-pptx",),
    "fitz": ("PyMuPDF",),
    "Bio": ("biopython",),
    "git": ("GitPython",),
    "MySQLdb": ("mysqlclient",),
    "psycopg2": ("psycopg2", "psycopg2-binary"),
    "umap": ("umap-learn",),
    "faiss": ("faiss-cpu", "faiss-gpu"),
    "community": ("python-louvain",),
    "slugify": ("python-slugify",),
    "magic": ("python-magic",),
    "absl": ("absl-py",),
    "osgeo": ("GDAL",),
    "google.protobuf": ("protobuf",),
    "mpl_toolkits": ("matplotlib",),
    "pkg_resources": ("setuptools",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos"),
    "keras": ("keras", "tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos"),
    "pytorch_lightning": ("pytorch-lightning", "lightning"),
    "mlflow": ("mlflow", "mlflow-skinny"),
    "Levenshtein": ("Levenshtein", "python-Levenshtein"),
    "igraph": ("igraph", "python-igraph"),
    "wx": ("wxPython",),
    "gi": ("PyGObject",),
    "kafka": ("kafka-python",),
    "jose": ("python-jose",),
    "multipart": ("python-multipart",),
    "lxml": ("lxml",),
}

# conda package names that differ from the PyPI distribution of the same code.
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "py-xgboost": "xgboost",
    "py-opencv": "opencv-python",
    "libopencv": "opencv-python",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "tensorflow-base": "tensorflow",
    "matplotlib-base": "matplotlib",
}

# Namespace packages that many distributions share: `google.cloud.bigquery` comes from
# google-cloud-bigquery, `azure.storage.blob` from azure-storage-blob.
NAMESPACE_PACKAGES = frozenset(
    {"google", "azure", "azureml", "backports", "jaraco", "sphinxcontrib", "zope"}
)

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

    def merged(self, other: Declarations) -> Declarations:
        return Declarations(
            {**other.declared, **self.declared},
            self.pinned | other.pinned,
            self.project_names | other.project_names,
            self.problems + tuple(p for p in other.problems if p not in self.problems),
        )


class ImportStatus(Record):
    """What the project says about one third-party import."""

    distribution: str
    """The distribution named in messages: the declared one, else the best guess."""
    declared: bool
    pinned: bool
    known: bool = True
    """A distribution is known to provide the module (declared, installed where nbcheck runs, or
    well known); False when `distribution` is a guess: the import name hyphenated, or a declared
    distribution named after it."""


def normalize_name(name: str) -> str:
    """PEP 503: `Scikit_Learn` and `scikit-learn` are the same distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_exact(specifier: SpecifierSet) -> bool:
    """True for `==1.2.3` or `===1.2.3`, alone or with other clauses; `==1.*` is not exact."""
    return any(
        (spec.operator == "==" and not spec.version.endswith(".*")) or spec.operator == "==="
        for spec in specifier
    )


def requirement_is_pinned(requirement: Requirement) -> bool:
    """Exact version, or a direct reference (`name @ url`) that names one artifact."""
    return bool(requirement.url) or is_exact(requirement.specifier)


# --- the project: root, directories, local modules -------------------------------------------


def project_root(start: str | os.PathLike[str]) -> str:
    """The nearest directory at or above `start` holding `.git` or `pyproject.toml`, else `start`."""
    start = directory = os.fspath(start)
    while True:
        disk_cache.note(directory, disk_cache.directory_status(directory))
        if any(os.path.exists(os.path.join(directory, marker)) for marker in PROJECT_ROOT_MARKERS):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent


class _Listing(Record):
    files: frozenset[str]
    subdirectories: frozenset[str]

    def has_module(self, directory: str, module: str) -> bool:
        """`module.py` here, or a package: a subdirectory with `__init__.py` or, for a namespace
        package, any `.py` file (a run directory such as `wandb/` or `mlruns/` has none)."""
        if f"{module}.py" in self.files:
            return True
        if module not in self.subdirectories:
            return False
        return any(name.endswith(".py") for name in _listing(os.path.join(directory, module)).files)


_listings: dict[str, tuple[disk_cache.FileStatus, _Listing]] = {}


def _listing(directory: str) -> _Listing:
    status = disk_cache.directory_status(directory)
    disk_cache.note(directory, status)
    if status[0] != "directory":
        return _Listing(frozenset(), frozenset())
    cached = _listings.get(directory)
    if cached is not None and cached[0] == status:
        return cached[1]
    files, subdirectories = set(), set()
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                try:
                    if entry.is_file():
                        files.add(entry.name)
                    elif entry.is_dir():
                        subdirectories.add(entry.name)
                except OSError:
                    continue
    except OSError:
        pass
    listing = _Listing(frozenset(files), frozenset(subdirectories))
    _listings[directory] = (status, listing)
    return listing


def _is_dependency_file(name: str) -> bool:
    return bool(
        name in {"pyproject.toml", "Pipfile", "setup.cfg", "setup.py"}
        or name in LOCK_FILE_NAMES
        or name in ENVIRONMENT_FILE_NAMES
        or _REQUIREMENTS_NAME.match(name)
        or _PYLOCK_NAME.match(name)
    )


def _dependency_files_in(directory: str) -> list[str]:
    """The dependency files in `directory`, and the `.txt` files of its `requirements/` folder."""
    listing = _listing(directory)
    found = [
        os.path.join(directory, name) for name in sorted(listing.files) if _is_dependency_file(name)
    ]
    if "requirements" in listing.subdirectories:
        nested = os.path.join(directory, "requirements")
        found.extend(
            os.path.join(nested, name)
            for name in sorted(_listing(nested).files)
            if name.endswith(".txt")
        )
    return found


class Project:
    """The project a notebook belongs to, as the dependency rules see it."""

    def __init__(self, notebook_path: str, settings: Settings) -> None:
        self.settings = settings
        self.notebook_dir = os.path.dirname(os.path.abspath(notebook_path))
        self.root = project_root(self.notebook_dir)

    @cached_property
    def directories(self) -> tuple[str, ...]:
        """The notebook's directory and each one above it, up to the project root."""
        chain = [self.notebook_dir]
        while chain[-1] != self.root:
            chain.append(os.path.dirname(chain[-1]))
        return tuple(chain)

    @cached_property
    def dependency_files(self) -> tuple[str, ...]:
        if self.settings.dependency_files is not None:
            base = os.path.abspath(self.settings.root)
            # Shown as written, normalized: `./deps.txt` as `deps.txt`, one above as `../deps.txt`.
            return tuple(
                os.path.join(base, os.path.normpath(name))
                for name in self.settings.dependency_files
            )
        return tuple(path for d in self.directories for path in _dependency_files_in(d))

    @cached_property
    def declarations(self) -> Declarations:
        total = Declarations()
        for path in self.dependency_files:
            total = total.merged(read_dependency_file(path))
        return total

    def display(self, path: str | os.PathLike[str]) -> str:
        """A path as messages show it: relative to the project root when inside it."""
        path = os.fspath(path)
        inside = os.path.join(self.root, "")
        if path.startswith(inside):
            return path.removeprefix(inside).replace(os.sep, "/")
        return path

    @cached_property
    def _first_party(self) -> frozenset[str]:
        return (
            frozenset(normalize_name(name) for name in self.settings.known_first_party)
            | self.declarations.project_names
        )

    def is_local(self, module: str) -> bool:
        """A module of the project itself: a file or package beside the notebook, above it up
        to the root, under the root's `src/`, the project's own distribution, or known-first-party."""
        if normalize_name(module) in self._first_party:
            return True
        return _has_module(module, (*self.directories, os.path.join(self.root, "src")))

    def has_module_in(self, module: str, directories: Iterable[str]) -> bool:
        """A file or package `module` in one of `directories` (relative to the notebook's)."""
        base = self.notebook_dir
        return _has_module(module, (os.path.normpath(os.path.join(base, d)) for d in directories))

    def is_third_party(self, module: str) -> bool:
        """Whether a dotted import comes from a distribution: not the standard library (Python
        3's or 2's), nor the kernel's, nor the project's (see `is_local`)."""
        top_level = module.split(".")[0]
        return not (
            top_level in {"__future__", "__main__"}
            or top_level in sys.stdlib_module_names
            or top_level in PYTHON2_STANDARD_LIBRARY
            or import_key(module) in KERNEL_PROVIDED
            or self.is_local(top_level)
        )

    def status(self, module: str) -> ImportStatus:
        """Whether the distribution that provides `module` (a dotted import) is declared and
        pinned. Besides the distributions of its `import_key`, a dotted import counts as declared
        by a distribution its first parts name (`megatron.core` by megatron-core): a namespace
        package shared by several distributions, which no table lists."""
        declarations = self.declarations
        key = import_key(module)
        candidates = _candidates(key)
        declared = [name for name in candidates if name in declarations.declared]
        if not declared and "." in module:
            parts = module.split(".")
            dotted = (normalize_name("-".join(parts[:n])) for n in range(2, len(parts) + 1))
            declared = [name for name in dotted if name in declarations.declared]
        known = True
        if not declared:
            # Installed metadata is slow to gather; only consult it when the names did not match.
            installed = installed_distributions() if "." not in key else {}
            candidates = _candidates(key, installed)
            declared = [name for name in candidates if name in declarations.declared]
            known = bool(declared) or len(candidates) > 1 or key in WELL_KNOWN_DISTRIBUTIONS
            known = known or key in installed
            if not known:
                # A declared distribution named after the module (hydra-core for `hydra`,
                # nemo-toolkit for `nemo`) may provide it; whether it does cannot be known here,
                # so nothing is claimed: not undeclared, nor unpinned.
                stem = candidates[-1]
                for name in declarations.declared:
                    if name.startswith(f"{stem}-") or name.endswith(f"-{stem}"):
                        return ImportStatus(name, True, True, False)
        pinned = any(name in declarations.pinned for name in declared)
        if self.settings.pin_policy == "declared":
            pinned = True
        return ImportStatus((declared or candidates)[0], bool(declared), pinned, known)


def _has_module(module: str, directories: Iterable[str]) -> bool:
    return any(_listing(directory).has_module(directory, module) for directory in directories)


def import_key(module: str) -> str:
    """What an import is judged by: its top-level name (`sklearn`), or inside a namespace package
    the part that names a distribution (`google.cloud.bigquery`, `azure.storage.blob`)."""
    parts = module.split(".")
    if parts[0] not in NAMESPACE_PACKAGES or len(parts) == 1:
        return parts[0]
    depth = 3 if parts[1] in {"cloud", "storage", "ai", "mgmt", "keyvault"} else 2
    return ".".join(parts[:depth])


def _candidates(key: str, installed: Mapping[str, list[str]] | None = None) -> list[str]:
    """Normalized names of the distributions that may provide `key` (see import_key), best
    first: the installed metadata's (when given), the table's, the dotted name hyphenated."""
    names: list[str] = list(installed.get(key, ())) if installed else []
    names.extend(WELL_KNOWN_DISTRIBUTIONS.get(key, ()))
    names.append(key.replace(".", "-"))
    unique = dict.fromkeys(normalize_name(name) for name in names)
    return list(unique)


def installed_distributions() -> Mapping[str, list[str]]:
    """Top-level import name -> distributions, from the installed metadata.

    Reading every distribution's RECORD takes most of a second, so the result is kept between runs
    (nb_discipline.cache) while the site-packages directories on sys.path are unchanged (installing,
    upgrading or removing a package changes them), and in memory for the process.
    """
    # The script's or current directory changes often and holds no metadata.
    site_directories = [
        entry for entry in sys.path if os.path.basename(entry) in {"site-packages", "dist-packages"}
    ]

    def gather() -> dict[str, list[str]]:
        from importlib.metadata import packages_distributions

        for site_directory in site_directories:
            disk_cache.note(site_directory)
        return packages_distributions()

    return disk_cache.from_files("distributions", repr(site_directories), gather)


# --- dependency files ------------------------------------------------------------------------


def read_dependency_file(path: str | os.PathLike[str]) -> Declarations:
    """What `path` declares and pins (with its includes); a broken file becomes a problem.

    Kept between runs (see nb_discipline.cache) while none of the files read has changed: parsing
    needs `packaging`, whose import alone costs a quarter of a one-notebook run."""
    path = os.path.abspath(path)

    def parse() -> tuple:
        declarations = _read(path, frozenset())
        # A plain dict and tuple: marshal writes neither the read-only default mapping nor a
        # NamedTuple.
        return tuple(declarations._replace(declared=dict(declarations.declared)))

    return Declarations(*disk_cache.from_files("dependencies", path, parse))


def _read(path: str, including: frozenset[str]) -> Declarations:
    try:
        declarations = _parse(path, _content(path), including | {path})
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


def _parse(path: str, content: bytes, including: frozenset[str]) -> Declarations:
    name = os.path.basename(path)
    if name == "pyproject.toml":
        return _pyproject(_toml(content))
    if name == "Pipfile":
        return _pipfile(_toml(content))
    if name == "Pipfile.lock":
        return _pipfile_lock(content)
    if name in {"uv.lock", "poetry.lock"}:
        return _locked(_toml(content).get("package", []), path)
    if name == "pylock.toml" or _PYLOCK_NAME.match(name):
        return _locked(_toml(content).get("packages", []), path)
    if name in ENVIRONMENT_FILE_NAMES or os.path.splitext(name)[1] in {".yml", ".yaml"}:
        return _environment(path, content, including)
    if name == "setup.cfg":
        return _setup_cfg(path, content)
    if name == "setup.py":
        return _setup_py(path, content)
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

    declared, pinned = set(), set()
    for line in lines:
        text = _expect(line, str, where)
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            reason = _why_bad(text, error)
            raise DependencyFileError(f"bad requirement {text!r} in `{where}`: {reason}") from None
        name = normalize_name(requirement.name)
        declared.add(name)
        if requirement_is_pinned(requirement):
            pinned.add(name)
    return Declarations(dict.fromkeys(declared, ""), frozenset(pinned))


def _pyproject(document: dict[str, Any]) -> Declarations:
    result = Declarations()
    project = _expect(document.get("project", {}), dict, "project")
    if "name" in project:
        result = Declarations(project_names=frozenset({normalize_name(str(project["name"]))}))
    result = result.merged(
        _from_requirement_strings(
            _expect(project.get("dependencies", []), list, "project.dependencies"),
            "project.dependencies",
        )
    )
    optional = _expect(project.get("optional-dependencies", {}), dict, "optional-dependencies")
    for extra, lines in optional.items():
        where = f"project.optional-dependencies.{extra}"
        result = result.merged(_from_requirement_strings(_expect(lines, list, where), where))
    groups = _expect(document.get("dependency-groups", {}), dict, "dependency-groups")
    for group, entries in groups.items():
        where = f"dependency-groups.{group}"
        # PEP 735: strings are requirements; tables are {include-group = "..."}.
        lines = [entry for entry in _expect(entries, list, where) if not isinstance(entry, dict)]
        result = result.merged(_from_requirement_strings(lines, where))
    poetry = _expect(document.get("tool", {}), dict, "tool").get("poetry")
    if isinstance(poetry, dict):
        result = result.merged(_poetry(poetry))
    return result


def _poetry(poetry: dict[str, Any]) -> Declarations:
    tables = [("tool.poetry.dependencies", poetry.get("dependencies", {}))]
    tables.append(("tool.poetry.dev-dependencies", poetry.get("dev-dependencies", {})))
    groups = _expect(poetry.get("group", {}), dict, "tool.poetry.group")
    for group, table in groups.items():
        where = f"tool.poetry.group.{group}"
        tables.append(
            (f"{where}.dependencies", _expect(table, dict, where).get("dependencies", {}))
        )
    declared, pinned = set(), set()
    for where, table in tables:
        for name, constraint in _expect(table, dict, where).items():
            if name.lower() == "python":
                continue
            normalized = normalize_name(name)
            declared.add(normalized)
            if _poetry_pinned(constraint):
                pinned.add(normalized)
    names = {normalize_name(str(poetry["name"]))} if "name" in poetry else set()
    return Declarations(dict.fromkeys(declared, ""), frozenset(pinned), frozenset(names))


def _poetry_pinned(constraint: Any) -> bool:
    """Poetry: a bare version (`"1.2.3"`) or `==` is exact; a table without a version is a
    git, path or URL source, which names one artifact."""
    if isinstance(constraint, list):
        return all(_poetry_pinned(item) for item in constraint)
    if isinstance(constraint, dict):
        if "version" not in constraint:
            return True
        constraint = constraint["version"]
    from packaging.specifiers import SpecifierSet

    text = str(constraint).strip()
    if re.fullmatch(r"\d[\w.+!-]*", text) and "*" not in text:
        return True
    try:
        return is_exact(SpecifierSet(text))
    except ValueError:
        return False


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


def _requirement_list(value: Any) -> list[Any]:
    """setuptools takes a list of requirements, or one string of them, a line each."""
    if isinstance(value, str):
        return _setup_cfg_lines(value)
    return list(value) if isinstance(value, list | tuple) else []


def _setup_py(path: str, content: bytes) -> Declarations:
    """The literal `install_requires`, `extras_require` and `name` of a `setup(...)` call; values
    computed at run time (read from a file, say) cannot be known without running it."""
    import ast

    try:
        tree = ast.parse(_text(content), path)
    except (SyntaxError, ValueError) as error:
        raise DependencyFileError(f"not valid Python: {error}") from None
    lines: list[Any] = []
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) != "setup":
            continue
        for keyword in node.keywords:
            try:
                value = ast.literal_eval(keyword.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            if keyword.arg == "install_requires":
                lines.extend(_requirement_list(value))
            elif keyword.arg == "extras_require" and isinstance(value, dict):
                lines.extend(line for extra in value.values() for line in _requirement_list(extra))
            elif keyword.arg == "name" and isinstance(value, str):
                names.add(normalize_name(value))
    result = _from_requirement_strings(lines, "setup(install_requires=...)")
    return result.merged(Declarations(project_names=frozenset(names)))


def _pipfile(document: dict[str, Any]) -> Declarations:
    from packaging.specifiers import SpecifierSet

    declared, pinned = set(), set()
    for section in ("packages", "dev-packages"):
        for name, constraint in _expect(document.get(section, {}), dict, section).items():
            normalized = normalize_name(name)
            declared.add(normalized)
            if isinstance(constraint, dict):
                if "version" not in constraint:
                    pinned.add(normalized)  # git, path or file source
                    continue
                constraint = constraint["version"]
            text = str(constraint).strip()
            try:
                exact = text != "*" and is_exact(SpecifierSet(text))
            except ValueError:
                exact = False
            if exact:
                pinned.add(normalized)
    return Declarations(dict.fromkeys(declared, ""), frozenset(pinned))


def _pipfile_lock(content: bytes) -> Declarations:
    import json

    try:
        document = json.loads(_text(content))
    except json.JSONDecodeError as error:
        raise DependencyFileError(f"not valid JSON: {error}") from None
    _expect(document, dict, "(document)")
    names = [
        name
        for section in ("default", "develop")
        for name in _expect(document.get(section, {}), dict, section)
    ]
    locked = frozenset(normalize_name(name) for name in names)
    return Declarations(dict.fromkeys(locked, ""), locked)


def _locked(packages: Any, path: str) -> Declarations:
    """A lock file: every package it lists is installed at the version it records."""
    names = set()
    for package in _expect(packages, list, "package"):
        name = _expect(package, dict, "package").get("name")
        if not isinstance(name, str):
            raise DependencyFileError(f"a package entry in {os.path.basename(path)} has no name")
        names.add(normalize_name(name))
    locked = frozenset(names)
    return Declarations(dict.fromkeys(locked, ""), locked)


# Patterns for dependency files, which a run reads only when they changed since the last: kept
# as strings, compiled (and kept) by `re` on first use.
_CONDA_SPEC = r"(?s)(?:[\w./-]+::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*)\s*(?P<rest>.*)"


def conda_spec(text: str) -> tuple[str, bool]:
    """(PyPI-style normalized name, pinned) for a conda spec: `numpy=1.26.4`, `numpy==1.26.4`,
    `conda-forge::numpy 1.26.4 py311_0`. conda's `=1.26.4` selects that release; a `*`, a range
    or no version is not a pin."""
    match = re.fullmatch(_CONDA_SPEC, text.strip())
    if match is None:
        raise DependencyFileError(f"bad conda package spec {text!r}")
    name = normalize_name(match["name"])
    name = CONDA_TO_PYPI.get(name, name)
    rest = match["rest"].strip()
    version = rest.lstrip("=").split("=")[0].split()[0] if rest.lstrip("=") else ""
    pinned = (
        bool(version)
        and (rest.startswith("=") or rest[:1].isdigit())
        and "*" not in version
        and not re.search(r"[<>!~,|]", version)
    )
    return name, pinned


def _environment(path: str, content: bytes, including: frozenset[str]) -> Declarations:
    import yaml  # only projects with a conda environment file pay for the import

    try:
        document = yaml.load(_text(content), Loader=_yaml_loader())
    except yaml.YAMLError as error:
        raise DependencyFileError(f"not valid YAML: {_one_line(str(error))}") from None
    if document is None:
        return Declarations()
    _expect(document, dict, "(document)")
    declared, pinned = set(), set()
    result = Declarations()
    for entry in _expect(document.get("dependencies") or [], list, "dependencies"):
        if isinstance(entry, dict):
            # conda writes these to a requirements file beside this one, a line each, for pip.
            entries = _expect(entry.get("pip") or [], list, "dependencies.pip")
            lines = [_expect(line, str, "dependencies.pip") for line in entries]
            numbered = ((line.line, line) for line in lines)
            result = result.merged(_requirement_lines(numbered, path, including))
            continue
        name, exact = conda_spec(str(_expect(entry, str, "dependencies")))
        declared.add(name)
        if exact:
            pinned.add(name)
    return result.merged(Declarations(dict.fromkeys(declared, ""), frozenset(pinned)))


class _LineString(str):
    """A string of a YAML file that knows the line it starts on."""

    line = 0


@cache
def _yaml_loader() -> type:
    """yaml's safe loader, whose strings know their line: a bad pip entry is reported there."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_yaml_str(self, node: yaml.ScalarNode) -> str:
            text = _LineString(super().construct_yaml_str(node))
            text.line = node.start_mark.line + 1
            return text

    Loader.add_constructor("tag:yaml.org,2002:str", Loader.construct_yaml_str)
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


# Strings compiled on first use, as _CONDA_SPEC above; _NAMED_REFERENCE serves install commands.
_INCLUDE = r"(?P<option>-r|--requirement|-c|--constraint)\s*=?\s*(?P<file>\S+)"
_EDITABLE = r"(-e|--editable)\s*=?\s*(?P<target>\S+)"
_NAMED_REFERENCE = re.compile(r"[A-Za-z0-9][\w.-]*\s*(\[[^\]]*\])?\s*@")
_EGG = r"[#&]egg=(?P<name>[A-Za-z0-9][\w.-]*)"
# The URL schemes pip takes a requirement for a link by (its own and its version controls').
_PIP_URL = r"(?i)(file|https?|ftp|(git|hg|svn|bzr)\+[a-z]+):"


def _requirement_lines(
    lines: Iterable[tuple[int, str]], path: str, including: frozenset[str]
) -> Declarations:
    """requirements.txt syntax, on numbered lines: requirements, `-r`/`-c` includes, options,
    and what pip installs from a local path or URL (`.`, `-e ./pkg`, `git+https://...`). A bad
    line is the file's problem; the lines around it still count."""
    from packaging.requirements import InvalidRequirement, Requirement

    declared, pinned = set(), set()
    problems: list[tuple[str, str]] = []
    result = Declarations()
    for number, text in _logical_lines(lines):
        include = re.fullmatch(_INCLUDE, text)
        if include is not None:
            target = os.path.abspath(os.path.join(os.path.dirname(path), include["file"]))
            if target in including:
                continue
            included = _read(target, including)
            if include["option"] in {"-c", "--constraint"}:
                # A constraint file pins versions but installs nothing.
                included = Declarations(pinned=included.pinned, problems=included.problems)
            result = result.merged(included)
            continue
        editable = re.fullmatch(_EDITABLE, text)
        if editable is None and text.startswith("-"):
            continue  # --index-url, --find-links, ...: options that install nothing
        text = re.split(r"\s+--?[a-z]", text, maxsplit=1)[0]  # per-line options: --hash=...
        if editable is not None or _names_no_distribution(text.split(";")[0].strip()):
            # A local project, archive or URL: only an `#egg=name` fragment names what it installs.
            egg = re.search(_EGG, text)
            if egg is not None:
                declared.add(normalize_name(egg["name"]))
                pinned.add(normalize_name(egg["name"]))
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            if not problems:
                reason = _why_bad(text, error)
                problems.append((path, f"line {number}: bad requirement {text!r}: {reason}"))
            continue
        name = normalize_name(requirement.name)
        declared.add(name)
        if requirement_is_pinned(requirement):
            pinned.add(name)
    own = Declarations(dict.fromkeys(declared, ""), frozenset(pinned), problems=tuple(problems))
    return result.merged(own)


# --- install commands in cells ---------------------------------------------------------------

# Long options of `pip install`, pip's general options, `uv pip install` and `conda install` that
# take a value (`--index-url URL`); the word after one is its value, not a package.
OPTIONS_WITH_VALUE = frozenset(
    [
        "--requirement",
        "--constraint",
        "--editable",
        "--index-url",
        "--extra-index-url",
        "--find-links",
        "--target",
        "--prefix",
        "--root",
        "--upgrade-strategy",
        "--trusted-host",
        "--no-binary",
        "--only-binary",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--src",
        "--cache-dir",
        "--log",
        "--log-file",
        "--proxy",
        "--timeout",
        "--retries",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--progress-bar",
        "--config-settings",
        "--global-option",
        "--build-option",
        "--install-option",
        "--report",
        "--python",
        "--use-feature",
        "--use-deprecated",
        "--index",
        "--default-index",
        "--index-strategy",
        "--upgrade-package",
        "--reinstall-package",
        "--name",
        "--channel",
        "--file",
        "--override",
        "--group",
        "--extra",
    ]
)
# Their one-letter forms, per tool (conda's `-c` is a channel, pip's a constraints file).
LETTERS_WITH_VALUE = {"pip": "rceiftC", "uv": "rceiftCpP", "conda": "cnp"}
# Options after which the command installs nothing: asking for help, or a dry run.
INSTALLS_NOTHING = frozenset({"-h", "--help", "--dry-run"})
# Words before a command that run it (`sudo pip install x`), and their options that take a value.
COMMAND_PREFIXES = frozenset({"sudo", "time", "nohup", "env", "command", "exec", "nice"})
PREFIX_OPTIONS_WITH_VALUE = frozenset({"-u", "-g", "-n"})

# Upgrading the installer itself changes no result.
INSTALLER_TOOLING = frozenset({"pip", "setuptools", "wheel"})
CONDA_TOOLS = frozenset({"conda", "mamba", "micromamba"})
# Archives pip installs from a file (they name no distribution it can see before unpacking).
ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz")


class InstalledPackage(Record):
    argument: str
    """As the installer receives it, quotes removed: `numpy>=2`."""
    name: str
    """PEP 503 normalized: `numpy`."""
    pinned: bool


class InstallCommand(Record):
    """One `pip install` / `conda install` in a shell escape or magic, and what it installs."""

    tool: str
    """pip, conda, mamba, micromamba or uv (`uv pip install`)."""
    packages: tuple[InstalledPackage, ...] = ()
    """The distributions it names. Empty when it names none, installs nothing (a dry run, an
    argument the installer rejects, so it stops before installing), or a constraints file may
    pin them (`-c constraints.txt`)."""


def install_commands(command: str) -> list[InstallCommand]:
    """The install commands in a shell line such as `!pip install -q pandas==2.2.2 && ls`: the
    line is split into words and simple commands as the shell does (quotes, `&&`, `;`, `|`,
    redirections), and each command's arguments are read as the installer does."""
    found = []
    for words in _simple_commands(command):
        install = _install_command(words)
        if install is not None:
            found.append(install)
    return found


def _simple_commands(command: str) -> list[list[str]]:
    """The words of each simple command in a shell line; redirections (`> log`, `2>&1`) left out.
    A line the shell cannot split (an open quote) runs nothing."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""  # `#` starts a comment only at the start of a word, as in the shell
    commands: list[list[str]] = [[]]
    redirected = False
    try:
        for token in lexer:
            if redirected:
                redirected = False  # the file or descriptor a redirection names
            elif token.startswith("#"):
                break
            elif token.strip("();<>&|"):  # a word (quoted punctuation included)
                commands[-1].append(token)
            elif "<" in token or ">" in token:
                if commands[-1] and commands[-1][-1].isdigit():
                    commands[-1].pop()  # the descriptor of `2>&1`
                redirected = True
            elif commands[-1]:
                commands.append([])  # `&&`, `||`, `;`, `|`, `&`, `(`: the next command
    except ValueError:
        return []
    return [words for words in commands if words]


def _install_command(words: list[str]) -> InstallCommand | None:
    position = _after_prefixes(words)
    tool, position = _installer(words, position)
    if tool is None:
        return None
    family = "conda" if tool in CONDA_TOOLS else tool
    # pip's general options may come before the subcommand: `pip -q install x`.
    while position < len(words) and words[position].startswith("-"):
        position += 2 if words[position] in OPTIONS_WITH_VALUE else 1
    if words[position : position + 1] != ["install"]:
        return None
    packages: list[InstalledPackage] = []
    arguments = iter(words[position + 1 :])
    for word in arguments:
        if word in INSTALLS_NOTHING or (family == "conda" and word == "-d"):
            return InstallCommand(tool)
        if word.startswith("--"):
            option, has_value, _ = word.partition("=")
            if option == "--constraint" and family != "conda":
                return InstallCommand(tool)
            if option in OPTIONS_WITH_VALUE and not has_value:
                next(arguments, None)
            continue
        if word.startswith("-") and len(word) > 1:  # letters, one may take a value: `-qU`, `-rx`
            for offset, letter in enumerate(word[1:], 2):
                if letter in LETTERS_WITH_VALUE[family]:
                    if letter == "c" and family != "conda":
                        return InstallCommand(tool)
                    if offset == len(word):
                        next(arguments, None)
                    break
            continue
        if any(mark in word for mark in "{}$`"):
            continue  # a value IPython or the shell fills in: unknown here
        if _names_no_distribution(word):
            continue
        named = _name_and_pin(family, word)
        if named is None:
            return InstallCommand(tool)  # rejected (`-` of a mangled `- q`): nothing installed
        name, pinned = named
        if name not in INSTALLER_TOOLING:
            packages.append(InstalledPackage(word, name, pinned))
    return InstallCommand(tool, tuple(packages))


def _after_prefixes(words: list[str]) -> int:
    """Where the command itself starts: after `NAME=value` assignments, `sudo -H`, `time`..."""
    position = 0
    while position < len(words):
        word = words[position]
        if word in COMMAND_PREFIXES:
            position += 1
            while position < len(words) and words[position].startswith("-"):
                position += 2 if words[position] in PREFIX_OPTIONS_WITH_VALUE else 1
        elif re.fullmatch(r"[A-Za-z_]\w*=.*", word, re.DOTALL):
            position += 1
        else:
            return position
    return position


def _installer(words: list[str], position: int) -> tuple[str | None, int]:
    """(pip, conda, mamba, micromamba or uv; where its subcommand starts), or (None, _) for a
    command that runs no installer: `pip3`, `/opt/conda/bin/pip`, `python -m pip`,
    `{sys.executable} -m pip`, `uv pip`."""
    if position >= len(words):
        return None, position
    program = words[position].rsplit("/", 1)[-1]
    position += 1
    if re.fullmatch(r"python[\d.]*|\{sys\.executable\}|\$\{?PYTHON\}?", program):
        while position < len(words) and words[position] not in {"-m", "-mpip"}:
            if not words[position].startswith("-"):
                return None, position  # a script, or `-c code`
            position += 1
        if words[position : position + 2] == ["-m", "pip"]:
            return "pip", position + 2
        return ("pip", position + 1) if words[position : position + 1] == ["-mpip"] else (None, 0)
    if re.fullmatch(r"pip[\d.]*", program):
        return "pip", position
    if program == "uv" and words[position : position + 1] == ["pip"]:
        return "uv", position + 1
    if program in CONDA_TOOLS:
        return program, position
    return None, position


def _names_no_distribution(word: str) -> bool:
    """A local path (`.`, `./pkg`, `..\\pkg`), an archive or a bare URL (`file:pkg`): pip
    installs what it holds, under a name it learns only then. `name @ url` names its
    distribution."""
    if _NAMED_REFERENCE.match(word):
        return False
    return (
        "/" in word
        or "\\" in word
        or word.startswith((".", "~"))
        or word.endswith(ARCHIVES)
        or re.match(_PIP_URL, word) is not None
    )


@cache
def _name_and_pin(family: str, word: str) -> tuple[str, bool] | None:
    """(normalized name, pinned) of one install argument; None when the installer rejects it.
    Kept between runs: parsing needs `packaging`, and a notebook's install lines rarely change."""
    return disk_cache.memoized(
        "install-argument", (family, word), lambda: _parse_spec(family, word)
    )


def _parse_spec(family: str, word: str) -> tuple[str, bool] | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        if family == "conda":
            return conda_spec(word)
        requirement = Requirement(word)
    except (DependencyFileError, InvalidRequirement):
        return None
    return normalize_name(requirement.name), requirement_is_pinned(requirement)

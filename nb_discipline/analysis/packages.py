"""Import names -> distributions, and the project a notebook belongs to.

The project root is the nearest directory at or above the notebook that holds `.git` or
`pyproject.toml`; without one, the notebook's own directory. Dependency files are looked for in
every directory from the notebook's up to the root (or taken from `dependency-files`), and modules
found in those directories or the root's `src/` (a `name.py`, or a folder of Python files) are the
project's own. Directory listings are cached per process; what the files declare is read by
analysis.dependency_files.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property

from .. import cache as disk_cache
from ..config import Settings
from ..records import TYPE_CHECKING, Record
from .dependency_files import (
    ENVIRONMENT_FILE_NAMES,
    Declarations,
    file_format,
    is_conda_environment,
    is_dependency_file,
    read_dependency_file,
)
from .package_specs import normalize_name

if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")

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
    # azureml-sdk installs azureml-core (azureml.core, .data, .exceptions), azureml-train-core
    # and azureml-pipeline; other azureml modules need their own distribution or its extras.
    "azureml.core": ("azureml-core", "azureml-sdk"),
    "azureml.data": ("azureml-core", "azureml-sdk"),
    "azureml.exceptions": ("azureml-core", "azureml-sdk"),
    "azureml.train": ("azureml-train-core", "azureml-sdk"),
    "azureml.pipeline": ("azureml-pipeline-core", "azureml-pipeline-steps", "azureml-sdk"),
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
    "grpc": ("grpcio",),
    "imblearn": ("imbalanced-learn",),
    "pylab": ("matplotlib",),
    "bson": ("pymongo",),
    "googleapiclient": ("google-api-python-client",),
    "kerastuner": ("keras-tuner",),
    "skopt": ("scikit-optimize",),
    "surprise": ("scikit-surprise",),
    "haiku": ("dm-haiku",),
    "sonnet": ("dm-sonnet",),
    "tree": ("dm-tree",),
    "official": ("tf-models-official",),
    "win32api": ("pywin32",),
    "win32com": ("pywin32",),
    "OpenGL": ("PyOpenGL",),
    "cairo": ("pycairo",),
    "dns": ("dnspython",),
    "websocket": ("websocket-client",),
    "socks": ("PySocks",),
    "telegram": ("python-telegram-bot",),
    "discord": ("discord.py",),
    "newspaper": ("newspaper3k",),
    "Xlib": ("python-xlib",),
    "nacl": ("PyNaCl",),
    "talib": ("TA-Lib",),
    "pyximport": ("Cython",),
    "past": ("future",),
    "snappy": ("python-snappy",),
}

# Namespace packages that many distributions share: `google.cloud.bigquery` comes from
# google-cloud-bigquery, `azure.storage.blob` from azure-storage-blob.
NAMESPACE_PACKAGES = frozenset(
    {"google", "azure", "azureml", "backports", "jaraco", "sphinxcontrib", "zope"}
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


def project_root(start: str | os.PathLike[str]) -> str:
    """The nearest directory at or above `start` holding `.git` or `pyproject.toml`, else `start`."""
    start = directory = os.fspath(start)
    while True:
        for marker in PROJECT_ROOT_MARKERS:  # what is kept: whether each marker is there
            path = os.path.join(directory, marker)
            status = disk_cache.entry_status(path)
            disk_cache.note(path, status)
            if status[1] != "missing":
                return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent


class _Listing(Record):
    files: frozenset[str]
    subdirectories: frozenset[str]
    dependency_names: tuple[str, ...] = ()
    """The files named as dependency files, or YAML (a conda environment file by its content),
    sorted: picked once per listing, not once per notebook beside them."""

    def has_module(self, directory: str, module: str, listing: Callable[[str], _Listing]) -> bool:
        """`module.py` here, or a package: a subdirectory with `__init__.py` or, for a namespace
        package, any `.py` file (a run directory such as `wandb/` or `mlruns/` has none);
        `listing` lists the subdirectory."""
        if f"{module}.py" in self.files:
            return True
        if module not in self.subdirectories:
            return False
        return any(name.endswith(".py") for name in listing(os.path.join(directory, module)).files)


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
    candidates = (
        name for name in files if is_dependency_file(name) or name.endswith((".yml", ".yaml"))
    )
    listing = _Listing(frozenset(files), frozenset(subdirectories), tuple(sorted(candidates)))
    _listings[directory] = (status, listing)
    return listing


def _dependency_files_in(directory: str, listed: Callable[[str], _Listing]) -> list[str]:
    """The dependency files in `directory` (a conda environment file by its content, whatever
    its name), and the `.txt` files of its `requirements/` folder (`listed` lists a folder)."""
    listing = listed(directory)
    found = [
        os.path.join(directory, name)
        for name in listing.dependency_names
        if is_dependency_file(name) or is_conda_environment(os.path.join(directory, name))
    ]
    if "requirements" in listing.subdirectories:
        nested = os.path.join(directory, "requirements")
        found.extend(
            os.path.join(nested, name)
            for name in sorted(listed(nested).files)
            if name.endswith(".txt")
        )
    return found


# Folders of a project's root that hold its environment files for every notebook in it: Binder's
# (repo2docker reads `binder/` or `.binder/` before the root) and the usual names of the others.
ENVIRONMENT_FOLDERS = ("binder", ".binder", "environment", "environments", "envs", "conda")


class Project:
    """The project a notebook belongs to, as the dependency rules see it."""

    def __init__(self, notebook_path: str, settings: Settings) -> None:
        self.settings = settings
        self.notebook_dir = os.path.dirname(os.path.abspath(notebook_path))
        self.notebook_name = os.path.basename(notebook_path)
        self.root = project_root(self.notebook_dir)
        self._listings: dict[str, _Listing] = {}

    def _listing(self, directory: str) -> _Listing:
        """A directory's listing, looked at once for the project's notebook: one check needs
        no fresher view, and looks at the same few directories for every import."""
        listing = self._listings.get(directory)
        if listing is None:
            listing = self._listings[directory] = _listing(directory)
        return listing

    def _has_module(self, module: str, directories: Iterable[str]) -> bool:
        return any(
            self._listing(directory).has_module(directory, module, self._listing)
            for directory in directories
        )

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
        root_folders = self._listing(self.root).subdirectories
        environment_folders = [
            os.path.join(self.root, name) for name in ENVIRONMENT_FOLDERS if name in root_folders
        ]
        return tuple(
            path
            for d in (*self.directories, *environment_folders)
            for path in _dependency_files_in(d, self._listing)
            if not self._another_notebooks(path)
        )

    def _another_notebooks(self, path: str) -> bool:
        """A conda environment file named after another notebook beside it (Azure's
        `configuration.yml` beside `configuration.ipynb`) is that notebook's environment."""
        name = os.path.basename(path)
        stem, extension = os.path.splitext(name)
        if extension not in {".yml", ".yaml"} or name in ENVIRONMENT_FILE_NAMES:
            return False
        notebook = f"{stem}.ipynb"
        return (
            notebook != self.notebook_name
            and notebook in self._listing(os.path.dirname(path)).files
        )

    @cached_property
    def environment_files(self) -> tuple[str, ...]:
        """The dependency files that describe an environment to install, not a package's
        metadata (setup.py, setup.cfg, a pyproject.toml whose every declaration is its
        package's: see `Declarations.packaged`)."""
        return tuple(path for path, (_, package) in self._files.items() if not package)

    @cached_property
    def _files(self) -> dict[str, tuple[Declarations, bool]]:
        """Each dependency file -> (what it declares, whether it is a package's metadata)."""
        read = {path: read_dependency_file(path) for path in self.dependency_files}
        # A folder of requirement files (`requirements/`) some of which a setup.py reads holds
        # the package's: its other files are for its docs, tests or containers.
        folders = {
            os.path.dirname(path)
            for path in read
            if _read_by_setup_py(path, read) and os.path.dirname(path) not in self.directories
        }
        files = {}
        for path, declarations in read.items():
            if _read_by_setup_py(path, read) or (
                os.path.dirname(path) in folders and file_format(path) == "requirements"
            ):
                files[path] = (declarations.as_package(), True)
            else:
                files[path] = (declarations, _package_metadata(path, declarations))
        return files

    @cached_property
    def declarations(self) -> Declarations:
        total = Declarations()
        for declarations, _ in self._files.values():
            total = total.merged(declarations)
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
        to the root, under the root's `src/`, a git submodule named after it there (its files
        come with `git submodule update`), the project's own distribution, or known-first-party."""
        if normalize_name(module) in self._first_party:
            return True
        directories = (*self.directories, os.path.join(self.root, "src"))
        return self._has_module(module, directories) or any(
            os.path.join(d, module) in self._submodules for d in directories
        )

    @cached_property
    def _submodules(self) -> frozenset[str]:
        """The paths of the git submodules the root's `.gitmodules` names."""
        path = os.path.join(self.root, ".gitmodules")
        disk_cache.note(path)
        try:
            with open(path, encoding="utf-8", errors="replace") as file:
                text = file.read()
        except OSError:
            return frozenset()
        return frozenset(
            os.path.normpath(os.path.join(self.root, found.strip('"')))
            for found in re.findall(r"^\s*path\s*=\s*(.+?)\s*$", text, re.MULTILINE)
        )

    def has_module_in(self, module: str, directories: Iterable[str]) -> bool:
        """A file or package `module` in one of `directories` (relative to the notebook's)."""
        base = self.notebook_dir
        return self._has_module(
            module, (os.path.normpath(os.path.join(base, d)) for d in directories)
        )

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


def _read_by_setup_py(path: str, read: Mapping[str, Declarations]) -> bool:
    """A requirements file that a setup.py beside it or one folder up names (NVIDIA/NeMo's
    setup.py reads requirements/requirements_asr.txt into an extra): the package's metadata."""
    if file_format(path) != "requirements":
        return False
    name, folder = os.path.basename(path), os.path.dirname(path)
    for directory in (folder, os.path.dirname(folder)):
        setup_py = read.get(os.path.join(directory, "setup.py"))
        if setup_py is not None and name in setup_py.metadata_files:
            return True
    return False


def _package_metadata(path: str, declarations: Declarations) -> bool:
    """setup.py, setup.cfg, or a pyproject.toml whose every declaration is its package's."""
    name = os.path.basename(path)
    if name in {"setup.py", "setup.cfg"}:
        return True
    packaged = declarations.packaged
    return name == "pyproject.toml" and bool(packaged) and packaged == set(declarations.declared)


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

    def gather() -> dict[str, list[str]]:
        from importlib.metadata import packages_distributions

        return packages_distributions()

    return _from_installed("distributions", gather)


def installed_release(distribution: str) -> str | None:
    """The public release of `distribution` (a normalized name) installed where nbcheck runs
    (`2.4.0` of `2.4.0+cu121`: `==2.4.0` admits it), or None; kept between runs as
    `installed_distributions` is."""

    def gather() -> dict[str, str]:
        from importlib.metadata import distributions

        from packaging.version import InvalidVersion, Version

        releases: dict[str, str] = {}
        for found in distributions():  # in sys.path order: the first is the one imported
            name = normalize_name(found.metadata["Name"] or "")
            if name and name not in releases:
                try:
                    releases[name] = Version(found.version).public
                except (InvalidVersion, TypeError):
                    releases[name] = ""
        return releases

    return _from_installed("releases", gather).get(distribution) or None


def _from_installed(kind: str, gather: Callable[[], T]) -> T:
    """What `gather` reads from the installed metadata, kept while the site-packages
    directories on sys.path are unchanged."""
    # The script's or current directory changes often and holds no metadata.
    site_directories = [
        entry for entry in sys.path if os.path.basename(entry) in {"site-packages", "dist-packages"}
    ]

    def noted() -> T:
        for site_directory in site_directories:
            disk_cache.note(site_directory)
        return gather()

    return disk_cache.from_files(kind, repr(site_directories), noted)

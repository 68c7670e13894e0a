"""NBD502, NBD503: the data a notebook reads, and whether anything pins the version it read.

Both read the same places: the path or URL argument of the calls that load data (`pd.read_csv`,
`np.load`, `urlopen`, `requests.get`, `Image.open`, `open` for reading, ...), written as a string
literal, or as a name the notebook binds once to one (`DATA = "data/train.csv"`), or built from
those with `+`, an f-string or `os.path.join`; NBD502 also reads `wget` and `curl` commands.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator

from ..records import TYPE_CHECKING, Record
from .base import Finding

if TYPE_CHECKING:
    from ..analysis import Analysis
    from ..analysis.calls import CallSite
    from ..analysis.source import ParsedCell

# Where the path is, by callee: (its position, the keywords that name it).
_PANDAS_PATH = (
    0,
    ("filepath_or_buffer", "io", "path", "path_or_buf", "filepath", "path_or_buffer"),
)
_NUMPY_PATH = (0, ("fname", "file"))
_URL = (0, ("url",))
DATA_READERS = {
    **{
        f"pandas.read_{kind}": _PANDAS_PATH
        for kind in [
            "csv",
            "table",
            "excel",
            "json",
            "parquet",
            "feather",
            "pickle",
            "hdf",
            "stata",
            "sas",
            "spss",
            "orc",
            "fwf",
            "xml",
            "html",
        ]
    },
    **{f"numpy.{name}": _NUMPY_PATH for name in ("load", "loadtxt", "genfromtxt", "fromfile")},
    **{
        f"polars.{name}": (0, ("source",))
        for name in [
            "read_csv",
            "read_parquet",
            "read_json",
            "read_ndjson",
            "read_ipc",
            "read_excel",
            "scan_csv",
            "scan_parquet",
            "scan_ndjson",
            "scan_ipc",
        ]
    },
    "pyarrow.parquet.read_table": (0, ("source",)),
    "pyarrow.csv.read_csv": (0, ("input_file",)),
    "PIL.Image.open": (0, ("fp",)),
    "cv2.imread": (0, ("filename",)),
    "imageio.imread": (0, ("uri",)),
    "imageio.v2.imread": (0, ("uri",)),
    "imageio.v3.imread": (0, ("uri",)),
    "matplotlib.pyplot.imread": (0, ("fname",)),
    "matplotlib.image.imread": (0, ("fname",)),
    "skimage.io.imread": (0, ("fname",)),
    "joblib.load": (0, ("filename",)),
    "torch.load": (0, ("f",)),
    "scipy.io.loadmat": (0, ("file_name",)),
    "xarray.open_dataset": (0, ("filename_or_obj",)),
    "geopandas.read_file": (0, ("filename",)),
}
# Calls that fetch a URL, besides the readers above (which take URLs too).
URL_READERS = {
    "urllib.request.urlopen": _URL,
    "urllib.request.urlretrieve": _URL,
    "urllib.urlopen": _URL,
    "urllib.urlretrieve": _URL,
    "urllib2.urlopen": _URL,
    "six.moves.urllib.request.urlopen": _URL,
    "six.moves.urllib.request.urlretrieve": _URL,
    "requests.get": _URL,
    "httpx.get": _URL,
    "wget.download": _URL,
    "tensorflow.keras.utils.get_file": (1, ("origin",)),
    "keras.utils.get_file": (1, ("origin",)),
    "torch.hub.download_url_to_file": _URL,
    "pooch.retrieve": _URL,
}
# Where NBD502 looks for a URL: the readers above win over a URL reader of the same name.
_REMOTE_READERS = {**URL_READERS, **DATA_READERS}
# Keywords whose value checks what was downloaded: a download with one is pinned by its contents.
CHECKSUM_KEYWORDS = frozenset(["known_hash", "file_hash", "md5_hash", "hash_prefix"])
URL_SCHEMES = ("http://", "https://", "ftp://", "s3://", "gs://", "gcs://", "az://", "abfs://")
DOWNLOAD_COMMANDS = frozenset(["wget", "curl"])
# A download piped into a shell, an interpreter or a key store is a setup step, not data; so is
# a file of these kinds (an installer script, a signing key, a package).
SETUP_PIPE = re.compile(r"\|\s*(?:sudo\s+)?(?:sh|bash|zsh|apt-key|gpg|python3?|perl)\b")
SETUP_FILES = (".sh", ".gpg", ".asc", ".pub", ".key", ".deb", ".rpm", ".whl", ".run", ".exe")

_MOVING_REFS = r"(?:master|main|HEAD|develop|dev|trunk|gh-pages|refs/heads/[^/]+)"
_COMMIT = r"[0-9a-f]{7,40}|[0-9a-f]{64}"
# Hosts that serve a repository's file at a named ref: (pattern up to the ref, moving).
_REPOSITORY_FILES = (
    r"https?://raw\.githubusercontent\.com/[^/]+/[^/]+/(?P<ref>[^/]+)/",
    r"https?://github\.com/[^/]+/[^/]+/(?:raw|blob)/(?P<ref>[^/]+)/",
    r"https?://gitlab\.com/(?:[^/]+/)+-/(?:raw|blob)/(?P<ref>[^/]+)/",
    r"https?://bitbucket\.org/[^/]+/[^/]+/raw/(?P<ref>[^/]+)/",
    r"https?://huggingface\.co/(?:datasets/|spaces/)?(?:[^/]+/)?[^/]+/(?:resolve|raw|blob)/(?P<ref>[^/]+)/",
    r"https?://gist\.githubusercontent\.com/[^/]+/[^/]+/raw/(?P<ref>[^/]+)/",
    r"https?://gist\.github\.com/[^/]+/[^/]+/raw/(?P<ref>[^/]+)/",
    r"https?://cdn\.jsdelivr\.net/gh/[^/]+/[^/@]+@(?P<ref>[^/]+)/",
)
# Content-addressed or versioned for good: a DOI, a Zenodo or figshare record's file, IPFS, an
# archived snapshot, a release's asset, a package index's file.
_PINNED_HOSTS = (
    r"https?://(?:dx\.)?doi\.org/",
    r"https?://(?:www\.)?zenodo\.org/(?:api/)?records?/\d+",
    r"https?://(?:ndownloader\.)?figshare\.com/(?:ndownloader/)?files/\d+",
    r"https?://ndownloader\.figshare\.com/files/\d+",
    r"https?://[^/]*ipfs[^/]*/ipfs/",
    r"https?://web\.archive\.org/web/\d{8,14}",
    r"https?://github\.com/[^/]+/[^/]+/releases/download/",
    r"https?://files\.pythonhosted\.org/packages/",
)
_VERSION_QUERY = r"[?&](?:version|versionId|generation|rev|revision|sha|commit)="
_VERSION_SEGMENT = r"/v?\d+(?:[._]\d+)+[^/]*/|/v\d+(?:alpha|beta)?\d*/|/\d{4}-\d{2}-\d{2}/"
# A file whose name carries its version (`aclImdb_v1.tar.gz`, `data-2.1.0.csv`): a new version
# of the data is a new file.
_VERSION_IN_NAME = r"[_-](?:v\d+(?:[._]\d+)*|\d+(?:\.\d+){1,3})(?:[._-][^/]*)?$"
_CHECKSUM_FRAGMENT = r"#(?:sha256|sha1|md5|sha512)="
_LOCAL_HOSTS = r"[a-z]+://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?:[:/]|$)"


def url_pin(url: str) -> str | None:
    """What pins `url` to one version of its content, or None when nothing does.

    Pinned: a commit in a repository file's URL (raw.githubusercontent.com, github.com's raw and
    blob, GitLab, Bitbucket, Hugging Face's resolve, gists, jsDelivr); any ref there but a moving
    one (`master`, `main`, `HEAD`, `dev`, `gh-pages`, ...: a tag or another name may be a
    version); a DOI, a Zenodo record or figshare file, IPFS, a Wayback Machine snapshot, a GitHub
    release's asset, a PyPI file; a `version=`, `versionId=` (S3), `generation=` (GCS), `rev=`,
    `revision=`, `sha=` or `commit=` query; a checksum fragment (`#sha256=...`); a path segment
    that is a version number or a date (`/v2/`, `/v1beta/`, `/1.0.3/`, `/2024-01-31/`); a file
    name that carries a version (`aclImdb_v1.tar.gz`, `data-2.1.0.csv`).
    """
    for pattern in _REPOSITORY_FILES:
        match = re.match(pattern, url)
        if match is not None:
            ref = match["ref"]
            if re.fullmatch(_COMMIT, ref):
                return f"commit {ref}"
            if re.fullmatch(_MOVING_REFS, ref):
                return None
            return f"ref {ref}"
    for pattern in _PINNED_HOSTS:
        if re.match(pattern, url):
            return "a versioned host"
    if re.search(_VERSION_QUERY, url):
        return "a version in the query"
    if re.search(_CHECKSUM_FRAGMENT, url):
        return "a checksum"
    path = url.split("?", 1)[0].split("#", 1)[0]
    if re.search(_VERSION_SEGMENT, path + "/"):
        return "a version in the path"
    if re.search(_VERSION_IN_NAME, path.rsplit("/", 1)[-1]):
        return "a version in the file name"
    return None


# --- what a notebook's arguments say ---------------------------------------------------------

_UNKNOWN = "\0"
"""Stands for a part of a built string that the notebook does not give."""


class _Strings:
    """Names the notebook binds exactly once, to a string it spells out: `URL = "https://..."`.
    A name bound anywhere else too (a loop, a parameter, another assignment) is not known.
    Looked up name by name: most paths are written in the call, and need no name."""

    def __init__(self, parsed: tuple[ParsedCell, ...]) -> None:
        self._parsed = parsed
        self._assigned: dict[str, ast.expr | None] = {}
        self._once: dict[str, bool] = {}
        self._resolving: set[str] = set()

    def _cells_naming(self, name: str) -> list[ParsedCell]:
        """The cells whose code may name `name`: their source holds it, or is not ASCII (Python
        reads identifiers in their NFKC form)."""
        return [
            cell
            for cell in self._parsed
            if cell.tree is not None
            and (name in cell.cell.source or not cell.cell.source.isascii())
        ]

    def _assignment(self, name: str) -> ast.expr | None:
        """The value of the last `name = value` at a cell's top level."""
        if name not in self._assigned:
            value = None
            for cell in self._cells_naming(name):
                for statement in cell.tree.body:  # type: ignore[union-attr]
                    if (
                        isinstance(statement, ast.Assign)
                        and len(statement.targets) == 1
                        and isinstance(target := statement.targets[0], ast.Name)
                        and target.id == name
                    ):
                        value = statement.value
            self._assigned[name] = value
        return self._assigned[name]

    def _bound_once(self, name: str) -> bool:
        once = self._once.get(name)
        if once is None:
            once = self._once[name] = self._bindings(name) == 1
        return once

    def _bindings(self, name: str) -> int:
        """How often `name` is bound (an assignment target counts 1, a parameter 2)."""
        count = 0
        for cell in self._cells_naming(name):
            for node in ast.walk(cell.tree):  # type: ignore[arg-type]
                if isinstance(node, ast.Name):
                    if node.id == name and isinstance(node.ctx, ast.Store):
                        count += 1
                elif isinstance(node, ast.arg) and node.arg == name:
                    count += 2
        return count

    def text(self, node: ast.expr | None) -> str | None:
        """The string `node` makes, with _UNKNOWN for each part the notebook does not give;
        None when it is not a string at all."""
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            value = self._assignment(node.id)
            if value is None or node.id in self._resolving:
                return None
            self._resolving.add(node.id)
            try:
                text = self.text(value)
            finally:
                self._resolving.discard(node.id)
            # Counting the name's bindings walks trees: only for a value that makes a string.
            return text if text is not None and self._bound_once(node.id) else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                if isinstance(value, ast.FormattedValue):
                    known = self.text(value.value) if value.format_spec is None else None
                    parts.append(_UNKNOWN if known is None else known)
                else:
                    parts.append(self.text(value) or "")
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.text(node.left), self.text(node.right)
            if left is None:
                return None
            return left + (_UNKNOWN if right is None else right)
        if isinstance(node, ast.Call) and _is_path_join(node) and node.args:
            parts = [self.text(argument) for argument in node.args]
            if parts[0] is None:
                return None
            return "/".join(_UNKNOWN if part is None else part for part in parts)
        return None


def _is_path_join(node: ast.Call) -> bool:
    func = node.func
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "join"
        and (isinstance(func.value, ast.Attribute) and func.value.attr == "path")
    )


def _argument(call: ast.Call, where: tuple[int, tuple[str, ...]]) -> ast.expr | None:
    position, keywords = where
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if len(call.args) > position and not any(
        isinstance(argument, ast.Starred) for argument in call.args[: position + 1]
    ):
        return call.args[position]
    return None


def _callee(site: CallSite) -> str | None:
    """The resolved callee, or `open` for the builtin."""
    if site.qualified is not None:
        return site.qualified
    return "open" if site.dotted == "open" else None


# --- NBD502 ----------------------------------------------------------------------------------


def unpinned_remote_data(nb: Analysis) -> Iterator[Finding]:
    """Data read from a URL at run time, with nothing that pins which version of it is read.

    ## What it does
    Flags a URL that a call reads data from (`pd.read_csv`, `np.loadtxt`, `urlopen`,
    `urlretrieve`, `requests.get`, `keras.utils.get_file`, `pooch.retrieve`, ...) or that a
    `wget` or `curl` command downloads, when nothing pins the version it gets (a download piped
    into a shell, an interpreter, `apt-key` or `gpg`, or of an installer script, a signing key or
    a package, is a setup step, not data). Pinned: a commit
    in a repository file's URL (`raw.githubusercontent.com/owner/repo/<commit>/...`, GitHub's
    `raw`/`blob`, GitLab, Bitbucket, Hugging Face's `resolve/<commit>`), a ref there other than a
    moving branch (`master`, `main`, `HEAD`, `dev`, `gh-pages`: a tag may be a version); a DOI, a
    Zenodo record's or figshare file, IPFS, a Wayback Machine snapshot, a GitHub release asset; a
    `version=`, `versionId=`, `generation=`, `rev=` or `commit=` query; a version or date as a
    path segment (`/v2/`, `/1.0.3/`, `/2024-01-31/`); a checksum the download is checked
    against (`known_hash=`, `file_hash=`, `md5_hash=`, `hash_prefix=`, `#sha256=`). A URL is read
    when it is written in the call or bound once to a name (`URL = "https://..."`); servers on
    the machine itself (`localhost`) are left out.

    ## Why is this bad?
    What is at the URL can change, or vanish, without the notebook changing: the next run trains
    on other data and nobody can say which data the published results came from.

    ## Example
    ```python
    # cell 1, run as [1]
    import pandas as pd
    url = "https://raw.githubusercontent.com/mwaskom/seaborn-data/master/iris.csv"
    iris = pd.read_csv(url)
    ```

    ## Use instead
    ```python
    # cell 1, run as [1]
    import pandas as pd
    url = (
        "https://raw.githubusercontent.com/mwaskom/seaborn-data/"
        "71e2436a092d714350de0fc409ca8a8714e7e78f/iris.csv"
    )
    iris = pd.read_csv(url)
    ```
    """
    # Every URL judged starts with a scheme's `//`, spelled out in some cell (even split in two
    # literals, `"https:" "//host/x.csv"`): a notebook with none has no call to look at.
    if not any("//" in parsed.cell.source for parsed in nb.parsed):
        return
    strings = _Strings(nb.parsed)
    for site in nb.calls.calls:
        callee = _callee(site)
        where = _REMOTE_READERS.get(callee)  # type: ignore[arg-type]
        if where is None:
            continue
        if any(k.arg in CHECKSUM_KEYWORDS and not _is_none(k.value) for k in site.node.keywords):
            continue
        url = strings.text(_argument(site.node, where))
        if url is None or not _unpinned_url(url):
            continue
        row, column, end_row, end_column = site.parsed.span(site.node)
        shown = site.dotted or callee
        yield _remote_finding(
            site.parsed, url, f"`{shown}` reads", row, column, end_row, end_column
        )
    for parsed in nb.parsed:
        for command in parsed.shell_commands:
            for tool, url in _downloaded_urls(command.text):
                if _unpinned_url(url):
                    yield _remote_finding(
                        parsed,
                        url,
                        f"`{tool}` downloads",
                        command.row,
                        command.column,
                        command.row,
                        command.end_column,
                    )


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _unpinned_url(text: str) -> bool:
    """A URL whose scheme and host the notebook gives, on another machine, that no pin names.
    A URL built from parts the notebook does not give is judged only when the given start
    already names a moving branch."""
    if not text.startswith(URL_SCHEMES) or re.match(_LOCAL_HOSTS, text):
        return False
    known = text.split(_UNKNOWN, 1)[0]
    if _UNKNOWN not in text:
        return url_pin(text) is None
    # Only a repository file's URL whose known start names a moving branch is judged.
    for pattern in _REPOSITORY_FILES:
        match = re.match(pattern, known)
        if match is not None:
            return re.fullmatch(_MOVING_REFS, match["ref"]) is not None
    return False


def _remote_finding(
    parsed: ParsedCell, url: str, verb: str, row: int, column: int, end_row: int, end_column: int
) -> Finding:
    shown = url.replace(_UNKNOWN, "…")
    return Finding(
        parsed.cell,
        f"{verb} {shown} at run time, and nothing pins its version: what is at this URL can "
        "change between runs",
        row,
        column,
        end_row,
        end_column,
        symbol=shown,
        help="Read a pinned version (a commit or a version in the URL, a DOI), check a checksum "
        "(`pooch.retrieve(url, known_hash=...)`), or keep the data in the repository with DVC",
    )


def _downloaded_urls(command: str) -> Iterator[tuple[str, str]]:
    """(tool, URL) for each URL a `wget` or `curl` in a shell line downloads; what IPython
    expands in it (`{expression}`, `$name`) is not known."""
    if not any(name in command for name in DOWNLOAD_COMMANDS) or SETUP_PIPE.search(command):
        return
    from ..analysis.install_commands import _simple_commands

    for words in _simple_commands(command):
        position = 1 if words[0] == "sudo" and len(words) > 1 else 0
        tool = os.path.basename(words[position])
        if tool not in DOWNLOAD_COMMANDS:
            continue
        for word in words[position + 1 :]:
            if word.startswith(URL_SCHEMES) and not word.split("?")[0].endswith(SETUP_FILES):
                yield tool, re.sub(r"\{[^}]*\}|\$\w+|\$\{[^}]*\}", _UNKNOWN, word)


# --- NBD503 ----------------------------------------------------------------------------------

# Files `open()` reads that are data; other files a notebook opens (`.json`, `.yaml`, `.ini`) are
# more often configuration, and some are credentials kept out of git on purpose.
OPEN_DATA_SUFFIXES = (
    ".csv",
    ".tsv",
    ".txt",
    ".dat",
    ".data",
    ".jsonl",
    ".parquet",
    ".feather",
    ".npy",
    ".npz",
    ".pkl",
    ".pickle",
    ".h5",
    ".hdf5",
    ".xls",
    ".xlsx",
    ".arff",
    ".mat",
    ".zip",
    ".gz",
    ".bz2",
    ".xz",
    ".tar",
    ".tgz",
    ".svm",
    ".libsvm",
)
CREDENTIALS = re.compile(r"key|token|secret|passw|credential", re.I)


class _LocalRead(Record):
    parsed: ParsedCell
    node: ast.Call
    path: str
    shown: str


def untracked_data_file(nb: Analysis) -> Iterator[Finding]:
    """A data file the notebook reads by a relative path, which neither git nor DVC tracks.

    ## What it does
    In a git repository, flags a file that a call reads data from (`pd.read_csv`, `np.load`,
    `Image.open`, `joblib.load`, `torch.load`, `open` of a data file such as `.csv`, `.txt` or
    `.npy` but not a key or token file, ...) by a path relative to the notebook's folder, when git's index does not list it and no
    DVC metadata names it (a `.dvc` file beside it or beside a folder holding it, an output of a
    `dvc.lock` or `dvc.yaml` stage). Not flagged: a notebook that may make the file itself
    (another call, a shell command, a comment or a cell that does not parse names the file or
    its folder, or the notebook downloads, unpacks or runs something: `wget`, `urlretrieve`,
    `extractall`, `%run`, `!python ...`), or changes its working directory (`os.chdir`, `%cd`);
    a path the repository tracks elsewhere (a notebook run from another folder); a path outside
    the repository; Kaggle's `../input/...` (data the platform attaches); absolute paths (NBD501).
    Git's index is read directly (git need not be installed), once, and kept in nbcheck's cache.

    ## Why is this bad?
    The notebook's results depend on a file that only one machine has: a clone of the repository
    cannot run it, and nobody can tell which version of the data produced what the notebook shows.

    ## Example
    ```python
    # measurements.txt: 5.1, 4.9, 4.7
    import numpy as np
    values = np.loadtxt("measurements.txt")
    ```

    ## Use instead
    ```python
    # measurements.txt: 5.1, 4.9, 4.7
    # dvc.yaml: stages: {measure: {outs: [measurements.txt]}}
    import numpy as np
    values = np.loadtxt("measurements.txt")
    ```
    """
    from .. import datafiles

    # First the repository: outside one (where the project's root, looked up for every notebook,
    # already holds these folders' status) the rule reads nothing else.
    repository = datafiles.git_repository(os.path.dirname(os.path.abspath(nb.notebook.path)))
    if repository is None:
        return
    strings = _Strings(nb.parsed)
    reads = _local_reads(nb, strings)
    if not reads or _may_make_files(nb):
        return
    index = datafiles.git_index(repository)
    if index is None:
        return
    worktree = os.path.join(repository.worktree, "")
    dvc = datafiles.DvcLookup(repository.worktree)
    named = _named_elsewhere(nb, reads, strings)
    for read in reads:
        if not read.path.startswith(worktree) or read.path in named:
            continue
        relative = read.path[len(worktree) :].replace(os.sep, "/")
        if index.tracks(relative) or _tracked_elsewhere(index, read.shown):
            continue
        if dvc.output(read.path) is not None or _named_by_a_neighbour(nb, read.path, worktree):
            continue
        row, column, end_row, end_column = read.parsed.span(read.node)
        yield Finding(
            read.parsed.cell,
            f"`{read.shown}` is read here, but neither git nor DVC tracks it: a clone of the "
            "repository does not have the data this notebook reads",
            row,
            column,
            end_row,
            end_column,
            symbol=read.shown,
            help="Track the file with DVC (`dvc add`), or with git when it is small, or read "
            "it from a pinned URL",
        )


def _local_reads(nb: Analysis, strings: _Strings) -> list[_LocalRead]:
    """The data files the notebook reads by a relative path it spells out, as absolute paths."""
    base = os.path.dirname(os.path.abspath(nb.notebook.path))
    reads = []
    for site in nb.calls.calls:
        callee = _callee(site)
        where = DATA_READERS.get(callee) if callee != "open" else (0, ("file",))  # type: ignore[arg-type]
        if where is None:
            continue
        text = strings.text(_argument(site.node, where))
        if not text or _UNKNOWN in text or not _relative_path(text) or _kaggle_path(text):
            continue
        if callee == "open" and (
            not text.lower().endswith(OPEN_DATA_SUFFIXES)
            or CREDENTIALS.search(os.path.basename(text))
            or not _opens_to_read(site.node)
        ):
            continue
        path = os.path.normpath(os.path.join(base, text))
        reads.append(_LocalRead(site.parsed, site.node, path, os.path.normpath(text)))
    return reads


def _relative_path(text: str) -> bool:
    if "://" in text or text.startswith(("/", "~", "\\")) or re.match(r"[A-Za-z]:", text):
        return False
    return not any(character in text for character in "*?[{$%\n")


def _kaggle_path(text: str) -> bool:
    """`../input/<dataset>/...` and `../working/...`: Kaggle's layout, where the platform attaches
    the data (a versioned Kaggle dataset) beside the notebook's working folder."""
    return text.replace("\\", "/").startswith(("../input/", "../working/"))


def _opens_to_read(call: ast.Call) -> bool:
    mode = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "mode":
            mode = keyword.value
    if mode is None:
        return True
    return isinstance(mode, ast.Constant) and isinstance(mode.value, str) and "r" in mode.value


DOWNLOAD_OR_UNPACK = re.compile(
    r"download|fetch|retrieve|extract|unzip|untar|unpack|get_file|urlopen|decompress", re.I
)


def _may_make_files(nb: Analysis) -> bool:
    """Whether the notebook may make files whose names it does not spell out: it runs shell
    commands or scripts (`!python prep.py`, `%run`), downloads or unpacks something, or changes
    its working directory."""
    for parsed in nb.parsed:
        if any(not _harmless_command(command.text) for command in parsed.shell_commands):
            return True
        if parsed.binds_unknown or (parsed.tree is None and parsed.cell_magic is not None):
            return True
        source = parsed.cell.source
        if "chdir" in source or "%cd" in source or "%run" in source:
            return True
    return any(
        DOWNLOAD_OR_UNPACK.search(site.dotted or site.qualified or "") for site in nb.calls.calls
    )


HARMLESS_COMMANDS = frozenset(
    [
        "pip",
        "pip3",
        "conda",
        "mamba",
        "uv",
        "python3",
        "ls",
        "echo",
        "cat",
        "head",
        "tail",
        "pwd",
        "nvidia-smi",
        "which",
        "wc",
        "du",
        "df",
        "free",
        "whoami",
        "date",
        "env",
        "nproc",
        "lscpu",
    ]
)


def _harmless_command(command: str) -> bool:
    """Installs and looks: commands that make no data file (`python -m pip`, `ls data`)."""
    words = command.split()
    if not words:
        return True
    if words[0] in {"python", "python3"}:
        return len(words) > 2 and words[1] == "-m" and words[2] in {"pip", "uv"}
    return words[0] in HARMLESS_COMMANDS


def _named_elsewhere(nb: Analysis, reads: list[_LocalRead], strings: _Strings) -> set[str]:
    """The paths read that the notebook also names outside a reading call, or whose folder it
    names: it may write them (`df.to_csv(path)`, `np.save`, `os.makedirs("out")`,
    `%%writefile`, a shell command)."""
    base = os.path.dirname(os.path.abspath(nb.notebook.path))
    reading = {id(read.node) for read in reads}
    named: set[str] = set()
    # Names made in the code (`"test" + str(i) + ".zip"`, f-strings): what they may be.
    patterns: list[re.Pattern[str]] = []
    for site in nb.calls.calls:
        if id(site.node) in reading:
            continue
        for argument in [*site.node.args, *(k.value for k in site.node.keywords)]:
            text = strings.text(argument)
            if not text:
                continue
            if _UNKNOWN not in text:
                if _relative_path(text):
                    named.add(os.path.normpath(os.path.join(base, text)))
            elif _names_files(text):
                parts = (re.escape(part) for part in text.split(_UNKNOWN))
                patterns.append(re.compile("(?:.*/)?" + ".+".join(parts)))
    for parsed in nb.parsed:
        written = parsed.written_file
        if written:
            named.add(os.path.normpath(os.path.join(base, written)))
    # Text the analysis cannot see through: shell commands, cells that do not parse, comments
    # (a commented-out `df.to_csv("x.csv")` says the file was made by the notebook).
    unseen = [c.text for parsed in nb.parsed for c in parsed.shell_commands]
    for parsed in nb.parsed:
        source = parsed.cell.source
        if parsed.tree is None:
            unseen.append(source)
        elif "#" in source:
            unseen.extend(line for line in source.splitlines() if line.lstrip().startswith("#"))
    commands = "\n".join(unseen)
    found = set()
    for read in reads:
        if os.path.splitext(read.path)[0] in named:  # np.save("x", a) writes x.npy
            found.add(read.path)
        folder = read.path
        while folder.startswith(base) and folder != base:
            if folder in named:
                found.add(read.path)
                break
            folder = os.path.dirname(folder)
        if os.path.basename(read.path) in commands:
            found.add(read.path)
        relative = os.path.relpath(read.path, base).replace(os.sep, "/")
        if any(pattern.fullmatch(relative) for pattern in patterns):
            found.add(read.path)
    return found


def _names_files(text: str) -> bool:
    """A relative name made in the code says enough to match: an extension after its last
    unknown part, and at least three characters of its own besides (`test{i}_parquet.zip`,
    `out/{name}.csv`; not `{name}.csv`)."""
    stem, _, extension = text.rpartition(".")
    known = len(stem.replace(_UNKNOWN, ""))
    return bool(stem) and _UNKNOWN not in extension and known >= 3 and not text.startswith("/")


def _named_by_a_neighbour(nb: Analysis, path: str, worktree: str) -> bool:
    """Another notebook or script in the notebook's folder, or in the file's folder or one above
    it in the repository, names the file: it may well make it (`1_download.ipynb` saves the
    pickle `2_train.ipynb` reads; `05_cbow/train.ipynb` writes `05_cbow/temp/vocab.pkl`)."""
    from .. import cache as disk_cache
    from ..loader import read_file

    name = os.path.basename(path).encode()
    own = os.path.abspath(nb.notebook.path)
    folders = [os.path.dirname(own)]
    folder = os.path.dirname(path)
    while os.path.join(folder, "").startswith(worktree) and folder not in folders:
        folders.append(folder)
        folder = os.path.dirname(folder)
    for folder in folders:
        try:
            entries = sorted(os.listdir(folder))
        except OSError:
            continue
        disk_cache.note(folder, disk_cache.directory_status(folder))
        for entry in entries:
            other = os.path.join(folder, entry)
            if other == own or not entry.endswith((".ipynb", ".py")):
                continue
            try:
                content, status = read_file(other)
            except OSError:
                continue
            disk_cache.note(other, content=content, before=status)
            if name in content:
                return True
    return False


def _tracked_elsewhere(index, shown: str) -> bool:
    """Whether the repository tracks a file at `shown` from its root or under some folder: the
    notebook may be meant to run from there."""
    tail = shown.replace(os.sep, "/").lstrip("./")
    return any(name == tail or name.endswith("/" + tail) for name in index.entries)

"""The data a piece of code read, seen from inside the kernel: every file it opened for reading
(path, size, sha256, and whether git and DVC track it) and every URL it fetched over HTTP(S).

Found with Python's audit hooks (`sys.addaudithook`), not by patching libraries: the `open` event
is raised by `open()`, `io.open`, `os.open` and everything built on them (pandas, NumPy, PIL,
pickle, joblib, torch.load, ...); `urllib.Request` by `urllib.request` (pandas' URL reader uses
it), and `http.client.send` by every request `http.client` sends, `requests` and urllib3 included,
whose request line and `Host` header give the URL. What these events do not show is not recorded:
files opened by C or Rust code without Python's `open` (PyArrow's and Polars' own readers, HDF5
through h5py, SQLite), and connections that do not go through `http.client` (aiohttp, hence
gcsfs, s3fs and fsspec's HTTP file system; database drivers; raw sockets).

An audit hook cannot be removed. `install()` adds one for the whole process, once; outside
`record()` it returns at its first test. See docs/lineage.md.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from . import datafiles

CHUNK_BYTES = 1 << 20
_READ = (os.O_RDONLY, os.O_RDWR)
_ACCESS = os.O_ACCMODE
# Not data: the interpreter's and the operating system's own files, and code.
SYSTEM_DIRECTORIES = ("/proc/", "/dev/", "/sys/", "/etc/", "/usr/", "/lib/", "/lib64/", "/run/")
CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyi", ".pth", ".so", ".pyd")
# Compiled code, and git's own records (MLflow and GitPython read `.git/HEAD` to tag a run).
NOT_DATA_FOLDERS = frozenset({"__pycache__", ".git"})
HTTP_METHODS = (b"GET ",)


@dataclass(frozen=True)
class DvcRecord:
    metadata: str
    """The `.dvc`, `dvc.lock` or `dvc.yaml` that names the file's version, as shown."""
    md5: str | None
    """DVC's hash of the output (`....dir` for a folder holding the file); None in dvc.yaml."""
    matches: bool | None
    """Whether the file read is the version DVC records (its md5 is DVC's); None for a file
    inside a DVC-tracked folder, or without a recorded hash."""


@dataclass(frozen=True)
class FileInput:
    path: str
    """Relative to the project root (`/`-separated) when inside it, else absolute."""
    location: str
    """The absolute path it was read from."""
    size: int
    sha256: str
    git: str | None = None
    """`unchanged` (tracked, as committed to the index), `modified`, `untracked`; None outside
    a git repository or when git's index cannot be read."""
    dvc: DvcRecord | None = None

    def to_json(self) -> dict:
        data: dict = {
            "path": self.path,
            "location": self.location,
            "size": self.size,
            "sha256": self.sha256,
            "git": self.git,
        }
        if self.dvc is not None:
            data["dvc"] = {
                "file": self.dvc.metadata,
                "md5": self.dvc.md5,
                "matches": self.dvc.matches,
            }
        return data


@dataclass(frozen=True)
class Reads:
    """What a recorded piece of code read: files in the order first read, then URLs."""

    files: tuple[FileInput, ...] = ()
    urls: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.files or self.urls)

    def to_json(self) -> dict:
        return {"files": [file.to_json() for file in self.files], "urls": list(self.urls)}

    def line(self) -> str:
        """One line for the person: `read data/train.csv (2.1 MB, sha256 3f2a9c01, git
        unchanged), https://example.org/x.csv`; a file DVC tracks says `dvc x.dvc`, and
        `dvc x.dvc modified` when it is not the version DVC records."""
        parts = []
        for file in self.files:
            facts = [_size(file.size), f"sha256 {file.sha256[:8]}"]
            if file.dvc is not None:
                state = " modified" if file.dvc.matches is False else ""
                facts.append(f"dvc {os.path.basename(file.dvc.metadata)}{state}")
            elif file.git is not None:
                facts.append(f"git {file.git}")
            parts.append(f"{file.path} ({', '.join(facts)})")
        parts.extend(self.urls)
        return "nb_discipline: read " + ", ".join(parts) if parts else "nb_discipline: read no data"


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} B"
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000 or unit == "TB":
            return f"{size:.1f} {unit}"
    raise AssertionError  # the loop returns


# --- the hook --------------------------------------------------------------------------------


class _Recording:
    """The events of one `record()`: opens in order, and URLs."""

    def __init__(self, excluded: tuple[str, ...], skip_urls: tuple[str, ...]) -> None:
        self.excluded = excluded
        """Folders (ending with a separator) whose files are not data."""
        self.skip_urls = skip_urls
        self.opened: dict[str, tuple[os.stat_result, str]] = {}
        """Absolute path -> (its status and sha256 when first opened for reading)."""
        self.written: set[str] = set()
        self.urls: dict[str, None] = {}


_recording: _Recording | None = None
_installed = False
_hashing = threading.local()
_digests: dict[tuple[str, int, int, int, int], str] = {}
"""(path, inode, size, mtime ns, ctime ns) -> sha256: a file is hashed once while unchanged."""


def install() -> None:
    """Add the audit hook, once per process (a hook cannot be removed: it stays, inert)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


def _hook(event: str, args: tuple) -> None:
    if _recording is None:
        return
    try:
        if event == "open":
            _opened(_recording, *args)
        elif event == "http.client.send":
            _sent(_recording, *args)
        elif event == "urllib.Request":
            url, data, _headers, method = args
            if data is None and method in (None, "GET"):
                _requested(_recording, url)
    except Exception:  # an exception here would fail the user's open or request
        return


def _opened(recording: _Recording, path: object, mode: object, flags: object) -> None:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str) or getattr(_hashing, "busy", False):
        return  # a descriptor (`open(fd)`), or the hook's own reading
    path = os.path.abspath(path)
    if path in recording.opened or path in recording.written:
        return
    if path.endswith(CODE_SUFFIXES) or path.startswith(recording.excluded):
        return
    if NOT_DATA_FOLDERS.intersection(path.split(os.sep)):
        return
    access = flags & _ACCESS if isinstance(flags, int) else os.O_RDONLY
    if access not in _READ or (isinstance(flags, int) and flags & os.O_TRUNC):
        recording.written.add(path)  # written before being read: the code's output, not an input
        return
    try:
        status = os.stat(path)
    except OSError:
        return  # the open will fail too
    if not stat.S_ISREG(status.st_mode):
        return
    digest = sha256(path, status)
    if digest is not None:
        recording.opened[path] = (status, digest)


def sha256(path: str, status: os.stat_result) -> str | None:
    """The file's sha256, read in chunks; kept while its inode, size and times are unchanged."""
    key = (path, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
    digest = _digests.get(key)
    if digest is not None:
        return digest
    _hashing.busy = True
    try:
        hasher = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                hasher.update(chunk)
        digest = hasher.hexdigest()
    except OSError:
        return None
    finally:
        _hashing.busy = False
    _digests[key] = digest
    return digest


def _sent(recording: _Recording, connection: object, data: object) -> None:
    """A request's first bytes: `GET /path HTTP/1.1\\r\\nHost: example.org\\r\\n...`."""
    if not isinstance(data, bytes | bytearray) or not data.startswith(HTTP_METHODS):
        return
    head = bytes(data[:8192]).split(b"\r\n\r\n", 1)[0].decode("latin-1")
    request_line, *headers = head.split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return
    target = parts[1]
    if "://" not in target:  # not through a proxy: the Host header names the server
        host = next(
            (
                value.strip()
                for name, _, value in (h.partition(":") for h in headers)
                if name.strip().lower() == "host"
            ),
            None,
        )
        if host is None:
            return
        scheme = "https" if getattr(connection, "default_port", None) == 443 else "http"
        target = f"{scheme}://{host}{target}"
    _requested(recording, target)


def _requested(recording: _Recording, url: object) -> None:
    if isinstance(url, str) and not url.startswith(recording.skip_urls):
        recording.urls.setdefault(url.partition("#")[0], None)


# --- a recording -----------------------------------------------------------------------------


@dataclass
class Recorder:
    """Records what the code run between `start()` and `stop()` (or inside `record()`) reads,
    for files under `root` shown relative to it. One recording at a time per process: one
    started inside another records nothing (the outer one sees the reads).

    `nbcheck repro` can record a whole notebook: a first cell `recorder = Recorder(root);
    recorder.start()`, a last one `recorder.stop()` that saves `recorder.reads.to_json()`."""

    root: str
    reads: Reads | None = None
    """What was read, once the recording stopped; None when it ran inside another one."""
    _recording: _Recording | None = field(default=None, init=False, repr=False)

    def start(self, skip: Iterable[str] = ()) -> None:
        """Record from now on; `skip`: URL prefixes and folders that are not data (where MLflow
        keeps its own records)."""
        global _recording
        install()
        if _recording is None:
            urls = tuple(item for item in skip if "://" in item)
            folders = tuple(os.path.join(item, "") for item in skip if "://" not in item)
            self._recording = _recording = _Recording(excluded_prefixes() + folders, urls)

    def stop(self) -> Reads | None:
        global _recording
        if self._recording is not None and _recording is self._recording:
            _recording = None
            # A library imported since start() (matplotlib) names its own folders only now.
            late = excluded_prefixes()
            opened = self._recording.opened
            for path in [path for path in opened if path.startswith(late)]:
                del opened[path]
            self.reads = describe(self._recording, self.root)
        self._recording = None
        return self.reads

    @contextmanager
    def record(self, skip: Iterable[str] = ()) -> Iterator[Recorder]:
        self.start(skip)
        try:
            yield self
        finally:
            self.stop()


def changed_files(before: dict, after: dict) -> list[tuple[str, str | None, str | None]]:
    """(path, sha256 before, sha256 after) of each file whose contents differ between two
    `Reads.to_json()` records (None: not read then), in the order `after` read them, then the
    files only `before` read."""
    old = {file["path"]: file["sha256"] for file in before.get("files", ())}
    new = {file["path"]: file["sha256"] for file in after.get("files", ())}
    changed = [
        (path, old.get(path), digest) for path, digest in new.items() if old.get(path) != digest
    ]
    return changed + [(path, digest, None) for path, digest in old.items() if path not in new]


def excluded_prefixes() -> tuple[str, ...]:
    """Folders whose files are the interpreter's, the kernel's or the system's, not data."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    prefixes.update(
        entry for entry in sys.path if entry.endswith(("site-packages", "dist-packages"))
    )
    try:
        import IPython

        shell = IPython.get_ipython()
        if shell is not None:
            prefixes.add(shell.profile_dir.location)
            prefixes.add(shell.ipython_dir)
    except (ImportError, AttributeError):
        pass
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is not None:  # its font list and style cache
        try:
            prefixes.add(matplotlib.get_cachedir())
            prefixes.add(matplotlib.get_configdir())
        except Exception:
            pass
    runtime = os.environ.get("JUPYTER_RUNTIME_DIR")
    if runtime:
        prefixes.add(runtime)
    folders = tuple(os.path.join(os.path.abspath(prefix), "") for prefix in prefixes if prefix)
    return folders + SYSTEM_DIRECTORIES


def describe(recording: _Recording, root: str) -> Reads:
    """The recorded reads with git's and DVC's view of each file."""
    root = os.path.abspath(root)
    repository = datafiles.git_repository(root)
    index = datafiles.git_index(repository) if repository else None
    git_states: dict[str, str | None] = {}
    if repository is not None and index is not None:
        git_states = _git_states(repository, index, recording.opened)
    dvc = datafiles.DvcLookup(repository.worktree if repository else root)
    files = []
    for path, (status, digest) in recording.opened.items():
        files.append(
            FileInput(
                path=_shown(path, root),
                location=path,
                size=status.st_size,
                sha256=digest,
                git=git_states.get(path),
                dvc=_dvc(dvc.output(path), path, root),
            )
        )
    return Reads(tuple(files), tuple(recording.urls))


def _shown(path: str, root: str) -> str:
    inside = os.path.join(root, "")
    return path[len(inside) :].replace(os.sep, "/") if path.startswith(inside) else path


def _git_states(
    repository: datafiles.GitRepository,
    index: datafiles.GitIndex,
    opened: dict[str, tuple[os.stat_result, str]],
) -> dict[str, str | None]:
    """unchanged / modified / untracked for each file inside the repository's working tree. A
    file whose status alone cannot tell is asked of git (`git diff --quiet`, once for all)."""
    inside = os.path.join(repository.worktree, "")
    states: dict[str, str | None] = {}
    ask: dict[str, str] = {}
    for path, (status, _) in opened.items():
        if not path.startswith(inside):
            continue
        relative = path[len(inside) :].replace(os.sep, "/")
        if relative not in index.entries:
            states[path] = "untracked"
            continue
        unchanged = index.unchanged(relative, status)
        if unchanged is None:
            ask[relative] = path
        else:
            states[path] = "unchanged" if unchanged else "modified"
    if ask:
        changed = _git_changed(repository.worktree, list(ask))
        for relative, path in ask.items():
            states[path] = (
                None if changed is None else ("modified" if relative in changed else "unchanged")
            )
    return states


def _git_changed(worktree: str, paths: list[str]) -> set[str] | None:
    """Which of `paths` differ from git's index (git applies filters such as LFS); None without
    git."""
    try:
        completed = subprocess.run(
            ["git", "diff", "--name-only", "-z", "--no-renames", "--", *paths],
            cwd=worktree,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return {os.fsdecode(name) for name in completed.stdout.split(b"\0") if name}


def _dvc(output: datafiles.DvcOutput | None, path: str, root: str) -> DvcRecord | None:
    if output is None:
        return None
    matches = None
    if output.path == path and output.md5 is not None and not output.md5.endswith(".dir"):
        matches = _md5(path) == output.md5
    return DvcRecord(_shown(output.metadata, root), output.md5, matches)


def _md5(path: str) -> str | None:
    """DVC's hash of a file: the md5 of its bytes."""
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "md5").hexdigest()
    except OSError:
        return None

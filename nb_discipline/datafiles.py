"""Which data files git and DVC track, read from their own files: git's index (`.git/index`) and
DVC's metadata (`x.dvc` beside a file or folder, `dvc.lock` and `dvc.yaml` stage outputs). Neither
git nor DVC need be installed.

Used by the check (NBD503: kept in nbcheck's cache, so it imports nothing heavy until a file has
to be parsed) and by `%%production`'s record of the files a cell read.

Git's index lists every tracked path with the file's status (size, times, inode) when git last
looked at it. A path in the index is tracked; it is unchanged when its status is still the one the
index holds and the index was written after the file's last change (git's own test; see
`GitIndex.unchanged`). Index versions 2, 3 and 4 are read, sparse indexes too; a split index (its
entries in another file) is not, and counts as unknown rather than as "nothing tracked".
"""

from __future__ import annotations

import os

from . import cache as disk_cache
from .loader import read_file
from .records import Record

# An index entry's status: ctime s, ctime ns, mtime s, mtime ns, dev, ino, mode, uid, gid, size.
_STATUS_BYTES = 40
_SPARSE_DIRECTORY_MODE = 0o040000


class GitRepository(Record):
    worktree: str
    """The folder holding `.git`: paths in the index are relative to it."""
    git_directory: str


def git_repository(start: str) -> GitRepository | None:
    """The git repository whose working tree holds `start` (a folder), or None. A `.git` folder
    makes one when it holds a `HEAD` (as git checks: an empty `.git` is no repository, and git
    looks further up); so does a `.git` file (`gitdir: ...`, worktrees and submodules)."""
    # What is noted is only whether each `.git` on the way up is a folder (with a HEAD) or a
    # file: a file added to a folder above the project keeps the findings kept for it.
    directory = os.path.abspath(start)
    while True:
        marker = os.path.join(directory, ".git")
        kind = _noted_entry(marker)
        if kind == "directory" and _noted_entry(os.path.join(marker, "HEAD")) == "file":
            return GitRepository(directory, marker)
        if kind == "file":
            disk_cache.note(marker)
            try:
                text = read_file(marker, 4096)[0].decode("utf-8", "replace")
            except OSError:
                return None
            if text.startswith("gitdir:"):
                target = text[len("gitdir:") :].strip()
                return GitRepository(directory, os.path.normpath(os.path.join(directory, target)))
            return None
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _noted_entry(path: str) -> str:
    """What `path` is ("file", "directory", "other" or "missing"), noted as an input."""
    status = disk_cache.entry_status(path)
    disk_cache.note(path, status)
    return status[1]


class GitIndex(Record):
    entries: dict
    """Path relative to the working tree, `/`-separated -> (size, mtime ns, ctime ns, ino), as
    git last saw the file; a sparse index's folder entries end with `/`."""
    mtime_ns: int
    """When the index was written: a file changed at or after it may differ with the same status."""

    def tracks(self, path: str) -> bool:
        """Whether git tracks the file or folder `path` (relative, `/`-separated)."""
        if path in self.entries:
            return True
        folder = path.rstrip("/") + "/"
        # A folder is tracked when a file in it is; a sparse index lists folders themselves.
        if folder in self.entries:
            return True
        parent = path
        while "/" in parent:
            parent = parent.rsplit("/", 1)[0]
            if parent + "/" in self.entries:
                return True
        return any(name.startswith(folder) for name in self.entries)

    def unchanged(self, path: str, status: os.stat_result) -> bool | None:
        """True when the file's status is the one git recorded, and the index was written after
        the file last changed (git's test for an unchanged file); None when only its contents
        could tell (git itself then compares them); False when its size differs."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        size, mtime_ns, ctime_ns, inode = entry
        if size != status.st_size % 2**32:
            return False
        same = (mtime_ns, ctime_ns, inode) == (
            status.st_mtime_ns,
            status.st_ctime_ns,
            status.st_ino % 2**32,
        )
        if same and status.st_mtime_ns < self.mtime_ns:
            return True
        return None


def git_index(repository: GitRepository) -> GitIndex | None:
    """The repository's index, kept in nbcheck's cache while the index file is unchanged; an
    empty one when there is no index yet (nothing added); None when it cannot be read."""
    path = os.path.join(repository.git_directory, "index")
    object_bytes = 32 if _object_format(repository.git_directory) == "sha256" else 20

    def parse() -> tuple | None:
        try:
            content, status = read_file(path)
        except FileNotFoundError:
            disk_cache.note(path)
            return ({}, 0)
        except OSError:
            disk_cache.note(path)
            return None
        disk_cache.note(path, content=content, before=status)
        entries = parse_index(content, object_bytes)
        return None if entries is None else (entries, status.st_mtime_ns)

    parsed = disk_cache.from_files("git-index", path, parse)
    return None if parsed is None else GitIndex(*parsed)


def _object_format(git_directory: str) -> str:
    """`sha1`, or `sha256` for a repository made with `--object-format=sha256`."""
    for directory in (git_directory, os.path.join(git_directory, "..", "..")):
        try:
            text = read_file(os.path.join(directory, "config"), 1 << 20)[0]
        except OSError:
            continue
        for line in text.decode("utf-8", "replace").splitlines():
            key, _, value = line.partition("=")
            if key.strip().lower() == "objectformat":
                return value.strip().lower()
        return "sha1"
    return "sha1"


def parse_index(content: bytes, object_bytes: int = 20) -> dict | None:
    """Path -> (size, mtime ns, ctime ns, ino) of git index `content`; None when it is not an
    index this reads (another format, a split index, or damaged)."""
    import struct

    if len(content) < 12 or content[:4] != b"DIRC":
        return None
    version, count = struct.unpack_from(">II", content, 4)
    if version not in (2, 3, 4):
        return None
    entries: dict = {}
    offset = 12
    previous = b""
    unpack = struct.Struct(">10I").unpack_from
    fixed = _STATUS_BYTES + object_bytes
    try:
        for _ in range(count):
            start = offset
            ctime_s, ctime_ns, mtime_s, mtime_ns, _dev, ino, mode, _uid, _gid, size = unpack(
                content, offset
            )
            (flags,) = struct.unpack_from(">H", content, offset + fixed)
            offset += fixed + 2
            if flags & 0x4000 and version >= 3:  # extended flags
                offset += 2
            if version == 4:
                strip, offset = _varint(content, offset)
                end = content.index(b"\0", offset)
                name = previous[: len(previous) - strip] + content[offset:end]
                offset = end + 1
            else:
                end = content.index(b"\0", offset)
                name = content[offset:end]
                # Entries are padded with 1 to 8 NULs to a multiple of 8 bytes.
                offset = start + ((end - start + 8) & ~7)
            previous = name
            path = name.decode("utf-8", "surrogateescape")
            if mode == _SPARSE_DIRECTORY_MODE:
                path = path.rstrip("/") + "/"
            entries[path] = (
                size,
                mtime_s * 1_000_000_000 + mtime_ns,
                ctime_s * 1_000_000_000 + ctime_ns,
                ino,
            )
        # Extensions: a split index keeps its entries elsewhere.
        while offset + 8 <= len(content) - object_bytes:
            signature = content[offset : offset + 4]
            (length,) = struct.unpack_from(">I", content, offset + 4)
            if signature == b"link":
                return None
            offset += 8 + length
    except (struct.error, ValueError, IndexError):
        return None
    return entries


def _varint(content: bytes, offset: int) -> tuple[int, int]:
    """Git's offset encoding (index version 4's path prefix lengths)."""
    byte = content[offset]
    offset += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = content[offset]
        offset += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, offset


# --- DVC -------------------------------------------------------------------------------------


class DvcOutput(Record):
    metadata: str
    """The file that records it: `data/train.csv.dvc`, `dvc.lock` or `dvc.yaml` (absolute)."""
    path: str
    """The output it names (absolute): the file itself, or a folder holding it."""
    md5: str | None
    """DVC's hash of it (`...` or, for a folder, `....dir`); None in `dvc.yaml` (no hash there)."""


class DvcLookup:
    """Which DVC output holds a path, for paths under `stop` (the repository's root): each
    folder's listing and DVC metadata are read once per lookup object."""

    def __init__(self, stop: str) -> None:
        self.stop = os.path.normpath(stop)
        self._names: dict[str, frozenset[str]] = {}

    def output(self, path: str) -> DvcOutput | None:
        """The DVC output that holds the file or folder `path` (absolute): a `.dvc` file beside
        it or beside a folder holding it, or an output of a `dvc.lock` or `dvc.yaml` stage in a
        folder from the file's up to `stop`."""
        path = os.path.normpath(path)
        candidate, directory = path, os.path.dirname(path)
        while True:
            names = self._listing(directory)
            metadata = [candidate + ".dvc"] if os.path.basename(candidate) + ".dvc" in names else []
            metadata += [os.path.join(directory, n) for n in ("dvc.lock", "dvc.yaml") if n in names]
            for name in metadata:
                for output, md5 in _outputs(name):
                    if _holds(output, path):
                        return DvcOutput(name, output, md5)
            if directory == self.stop or os.path.dirname(directory) == directory:
                return None
            candidate, directory = directory, os.path.dirname(directory)

    def _listing(self, directory: str) -> frozenset[str]:
        """The names in `directory` that DVC metadata can have."""
        names = self._names.get(directory)
        if names is None:
            disk_cache.note(directory, disk_cache.directory_status(directory))
            try:
                with os.scandir(directory) as entries:
                    names = frozenset(
                        entry.name
                        for entry in entries
                        if entry.name.endswith(".dvc") or entry.name in ("dvc.lock", "dvc.yaml")
                    )
            except OSError:
                names = frozenset()
            self._names[directory] = names
        return names


def _holds(output: str, path: str) -> bool:
    return path == output or path.startswith(output.rstrip(os.sep) + os.sep)


def _outputs(metadata: str) -> list:
    """(absolute output path, md5 or None) of each output a DVC metadata file names; kept in
    nbcheck's cache while the file is unchanged. A file that is not DVC's YAML names none."""
    return disk_cache.from_files("dvc-outputs", metadata, lambda: _read_outputs(metadata))


def _read_outputs(metadata: str) -> list:
    try:
        content, status = read_file(metadata)
    except OSError:
        disk_cache.note(metadata)
        return []
    disk_cache.note(metadata, content=content, before=status)
    import yaml  # only when a project has DVC metadata

    try:
        document = yaml.safe_load(content)
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError):
        return []
    base = os.path.dirname(metadata)
    lists = []
    if isinstance(document, dict):
        if metadata.endswith(".dvc"):
            lists.append(document.get("outs"))
        stages = document.get("stages")
        if isinstance(stages, dict):
            for stage in stages.values():
                if isinstance(stage, dict):
                    lists.append(stage.get("outs"))
                    lists.append(stage.get("metrics"))
                    lists.append(stage.get("plots"))
    found = []
    for outputs in lists:
        for output in outputs if isinstance(outputs, list) else ():
            # dvc.yaml lists names, or {name: {options}}; .dvc and dvc.lock files {path, md5}.
            if isinstance(output, str):
                name, md5 = output, None
            elif isinstance(output, dict) and isinstance(output.get("path"), str):
                name, md5 = output["path"], output.get("md5")
            elif isinstance(output, dict) and len(output) == 1:
                name, md5 = next(iter(output)), None
            else:
                continue
            if isinstance(name, str) and name:
                found.append(
                    (
                        os.path.normpath(os.path.join(base, name)),
                        md5 if isinstance(md5, str) else None,
                    )
                )
    return found

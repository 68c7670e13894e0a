"""Which files to check: the notebooks under the given paths, minus excludes and ignored files."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from .config import Settings
from .model import FileError
from .records import Record

NOTEBOOK_SUFFIX = ".ipynb"
# The group pathspec's gitignore regexes give the slash that closes a folder they match.
DIRECTORY_MARK = "ps_d"


class _Ignore(Record):
    base: str  # absolute
    spec: object  # pathspec.PathSpec
    outside_by_name: bool = False
    """Match paths outside `base` by their name (excludes do; a .gitignore applies only below)."""

    def matches(self, path: str, is_dir: bool) -> bool:
        """Whether the last pattern that matches `path` (absolute) itself (not a folder above it:
        the walk does not enter an ignored folder, and never tests the folders it was given)
        ignores it."""
        inside = self.base.rstrip(os.sep) + os.sep
        if path.startswith(inside):  # os.path.relpath's answer, in a tenth of its time
            relative = path[len(inside) :].replace(os.sep, "/")
        else:
            relative = os.path.relpath(path, self.base).replace(os.sep, "/")
        if relative.startswith(".."):
            if not self.outside_by_name:
                return False
            relative = os.path.basename(path)
        if is_dir:
            relative += "/"
        ignored = False
        for pattern in self.spec.patterns:  # type: ignore[attr-defined]
            if pattern.include is not None and _matches_itself(pattern.regex, relative):
                ignored = pattern.include
        return ignored


def _matches_itself(regex, relative: str) -> bool:
    """Whether a pathspec pattern's regex matches `relative` itself, as git and ruff match. The
    regex also matches what lies below a folder it matches, marking that folder's closing slash
    (the group `ps_d`): a match whose mark ends before the path does is the folder's, not its own,
    and a later one may still be the path's own (`*/` marks every folder's slash)."""
    position = 0
    while (match := regex.search(relative, position)) is not None:
        mark = match.groupdict().get(DIRECTORY_MARK)
        if mark is None or match.end(DIRECTORY_MARK) == len(relative):
            return True
        position = match.start() + 1
    return False


def discover(paths: Sequence[str], settings: Settings) -> tuple[list[str], list[FileError]]:
    """Notebook files under `paths` (files given by name are always checked), and paths that
    do not exist."""
    excludes: list[_Ignore] | None = None  # built on the first folder: pre-commit passes files
    files: list[str] = []
    errors: list[FileError] = []
    for path in paths:
        if os.path.isdir(path) and not path.endswith(NOTEBOOK_SUFFIX):
            if excludes is None:
                excludes = _excludes(settings)
            files.extend(_walk(path, excludes, settings.respect_gitignore))
        elif os.path.lexists(path):
            files.append(path)
        else:
            errors.append(FileError(path, "no such file or directory"))
    seen: set[str] = set()
    unique = [
        f for f in files if not (os.path.normpath(f) in seen or seen.add(os.path.normpath(f)))
    ]
    return unique, errors


def _excludes(settings: Settings) -> list[_Ignore]:
    import pathspec

    patterns = [*settings.exclude, *settings.extend_exclude]
    if not patterns:
        return []
    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    return [_Ignore(os.path.abspath(settings.root), spec, outside_by_name=True)]


def _walk(top: str, excludes: list[_Ignore], respect_gitignore: bool) -> Iterator[str]:
    ignores = list(excludes)
    if respect_gitignore:
        ignores.extend(_git_ignores_above(top))
    yield from _walk_dir(top, os.path.abspath(top), ignores, respect_gitignore)


def _walk_dir(
    directory: str, absolute: str, ignores: list[_Ignore], respect_gitignore: bool
) -> Iterator[str]:
    if respect_gitignore:
        own = _gitignore(absolute, ".gitignore")
        if own is not None:
            ignores = [*ignores, own]
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        entry_absolute = os.path.join(absolute, entry.name)
        if any(ignore.matches(entry_absolute, is_dir) for ignore in ignores):
            continue
        if is_dir and not entry.name.endswith(NOTEBOOK_SUFFIX):
            if not entry.is_symlink():
                yield from _walk_dir(entry.path, entry_absolute, ignores, respect_gitignore)
        elif entry.name.endswith(NOTEBOOK_SUFFIX):
            yield entry.path


def _git_ignores_above(top: str) -> list[_Ignore]:
    """.gitignore files between the repository root and `top`, and .git/info/exclude."""
    directory = os.path.realpath(top)
    chain = [directory]  # `top` and the directories above it, up to the file system's root
    while (parent := os.path.dirname(chain[-1])) != chain[-1]:
        chain.append(parent)
    found = []
    for folder in reversed(chain):
        if os.path.exists(os.path.join(folder, ".git")):
            found = []
            exclude = _gitignore(folder, os.path.join(".git", "info", "exclude"))
            if exclude is not None:
                found.append(exclude)
        if folder != directory:
            ignore = _gitignore(folder, ".gitignore")
            if ignore is not None:
                found.append(ignore)
    return found


def _gitignore(base: str, name: str) -> _Ignore | None:
    """The patterns of an ignore file; None when there is no such regular file. Lines that git
    accepts and pathspec refuses (`!` or `\\` alone, a trailing `\\`) match nothing, in git as
    here."""
    from .loader import read_file

    try:
        lines = read_file(os.path.join(base, name))[0].decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    import pathspec

    try:
        return _Ignore(base, pathspec.GitIgnoreSpec.from_lines(lines))
    except ValueError:  # pathspec's pattern error
        return _Ignore(base, pathspec.GitIgnoreSpec.from_lines(filter(_git_accepts, lines)))


def _git_accepts(line: str) -> bool:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True

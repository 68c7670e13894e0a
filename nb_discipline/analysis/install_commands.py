"""The `pip install` / `conda install` commands in a notebook's shell escapes and magics
(`!pip install -q pandas==2.2.2 && ls`), and the distributions each installs: the line is split as
the shell splits it, the arguments read as the installer reads them.
"""

from __future__ import annotations

import re
import shlex
from functools import cache

from .. import cache as disk_cache
from ..records import Record
from .package_specs import conda_spec, names_no_distribution, normalize_name, requirement_is_pinned

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


_QUOTING = str.maketrans("", "", "'\"\\")


def install_commands(command: str) -> list[InstallCommand]:
    """The install commands in a shell line such as `!pip install -q pandas==2.2.2 && ls`: the
    line is split into words and simple commands as the shell does (quotes, `&&`, `;`, `|`,
    redirections), and each command's arguments are read as the installer does."""
    # Every installer's subcommand is the word `install`, which quotes and backslashes may split
    # (`pip ins'tall'`) but not hide: most shell lines (`!ls`, `!wget ...`) are not split at all.
    if "install" not in command.translate(_QUOTING):
        return []
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
        if names_no_distribution(word):
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


@cache
def _name_and_pin(family: str, word: str) -> tuple[str, bool] | None:
    """(normalized name, pinned) of one install argument; None when the installer rejects it.
    Kept between runs: parsing needs `packaging`, and a notebook's install lines rarely change."""
    return disk_cache.memoized(
        "install-argument", (family, word), lambda: _parse_spec(family, word)
    )


def _parse_spec(family: str, word: str) -> tuple[str, bool] | None:
    from packaging.requirements import Requirement

    try:
        if family == "conda":
            name, version = conda_spec(word)
            return name, version is not None
        requirement = Requirement(word)
    except ValueError:  # InvalidRequirement is one
        return None
    return normalize_name(requirement.name), requirement_is_pinned(requirement)

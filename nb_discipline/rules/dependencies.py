"""NBD4xx: third-party imports and installs that the project does not declare and pin."""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..model import SAFE, UNSAFE, Edit, Fix, Location
from ..records import TYPE_CHECKING
from .base import Finding

if TYPE_CHECKING:
    import ast

    from ..analysis import Analysis
    from ..analysis.calls import ImportSite
    from ..analysis.install_commands import InstalledPackage
    from ..analysis.packages import ImportStatus
    from ..analysis.source import ShellCommand
    from ..model import Cell

# The analysis is imported by the functions that run it: listing and selecting rules needs none.


def _third_party_imports(nb: Analysis) -> Iterator[ImportSite]:
    """The first import of each third-party distribution (see `import_key`), top to bottom;
    optional imports (`try: ... except ImportError`, `if TYPE_CHECKING:`) and modules the notebook
    provides itself (see `_notebook_modules`) are left out."""
    from ..analysis.packages import import_key

    project = nb.project
    seen: set[str] = set()
    own: tuple[frozenset[str], tuple[str, ...]] | None = None
    for site in nb.calls.imports:
        key = import_key(site.module)
        if key in seen or site.optional:
            continue
        seen.add(key)
        if not project.is_third_party(site.module):
            continue
        if own is None:  # most notebooks write no module and change no sys.path: look once
            own = _notebook_modules(nb)
        modules, directories = own
        if site.top_level not in modules and not project.has_module_in(site.top_level, directories):
            yield site


def _notebook_modules(nb: Analysis) -> tuple[frozenset[str], tuple[str, ...]]:
    """(modules, directories): what the notebook puts beside itself, and the directories it adds
    to `sys.path` (`sys.path.insert(0, "../utils")`, or a name assigned such a path). A module is a
    file a `%%writefile` / `%%file` cell writes (`helpers.py`; `pkg/model.py` makes `pkg` and
    `model`), or a `.py` file a code cell names anywhere: fetched (`!wget .../utils.py`,
    `urlretrieve(".../utils.py")`), written through a variable (`%%writefile {module_file}`),
    copied or run, or the `x_pb2` module protoc makes of an `x.proto` the notebook names."""
    import ast  # the analysis has imported both: lookups, not loads
    import re

    files = [parsed.written_file or "" for parsed in nb.parsed if parsed.cell_magic]
    for parsed in nb.parsed:
        source = parsed.cell.source
        if ".py" not in source and ".proto" not in source:
            continue
        # Then the name before it, read backwards; protoc makes `x_pb2.py` of `x.proto`.
        for match in re.finditer(r"\.(py|proto)\b", source):
            before = source[max(match.start() - 200, 0) : match.start()][::-1]
            stem = re.match(r"[\w.-]+", before)
            if stem is not None:
                made = "_pb2.py" if match[1] == "proto" else ".py"
                files.append(stem[0][::-1] + made)
    modules = set()
    for file in files:
        if not file.endswith(".py"):
            continue
        parts = [part for part in file.replace("\\", "/").split("/") if part not in {"", "."}]
        modules.add(parts[-1].removesuffix(".py"))
        if len(parts) > 1 and parts[0] != ".." and ":" not in parts[0]:
            modules.add(parts[0])
    # Directories added to sys.path, or made the working directory (the kernel's '' entry).
    calls = [
        call.node.args[-1]
        for call in nb.calls.calls
        if call.qualified in {"sys.path.insert", "sys.path.append", "os.chdir"} and call.node.args
    ]
    assigned = {
        statement.targets[0].id: statement.value
        for parsed in (nb.parsed if calls else ())
        for statement in (parsed.tree.body if parsed.tree is not None else ())
        if isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    }
    paths = [_literal_path(argument, assigned) for argument in calls]
    paths.extend(
        name.strip("'\"")
        for parsed in nb.parsed
        if "cd" in parsed.cell.source
        for name in re.findall(r"(?m)^[ \t]*%?cd[ \t]+(\S+)[ \t]*$", parsed.cell.source)
    )
    for parsed in nb.parsed:  # moved or copied into place: `!mv repo/going_modular .`
        for command in parsed.shell_commands:
            words = command.text.split()
            if words[:1] in (["mv"], ["cp"], ["ln"], ["rsync"]):
                modules.update(word.strip("'\"/").rsplit("/", 1)[-1] for word in words[1:])
    directories = tuple(path for path in paths if path is not None)
    return frozenset(modules), directories


def _literal_path(
    node: ast.expr | None, assigned: dict[str, ast.expr], depth: int = 0
) -> str | None:
    """A path written as a string, possibly through `os.path.join`, `abspath`, `realpath`,
    `normpath` or `expanduser` of strings, or a name a cell assigns such a path; None for anything
    computed otherwise."""
    import ast  # the analysis has imported it: this is a lookup, not a load

    if depth > 8:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return _literal_path(assigned.get(node.id), assigned, depth + 1)
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    function = node.func.attr if isinstance(node.func, ast.Attribute) else None
    parts = [_literal_path(argument, assigned, depth + 1) for argument in node.args]
    if not parts or None in parts:
        return None
    if function == "join":
        return os.path.join(*parts)  # type: ignore[arg-type]
    if function in {"abspath", "realpath", "normpath", "expanduser"} and len(parts) == 1:
        return parts[0]
    return None


def _statuses(nb: Analysis) -> tuple[tuple[ImportSite, ImportStatus], ...]:
    """Each distribution once, at its first import: `mpl_toolkits` after `matplotlib` is the
    same distribution. Made once for NBD401 and NBD402."""
    return nb.shared(_first_import_statuses)


def _first_import_statuses(nb: Analysis) -> tuple[tuple[ImportSite, ImportStatus], ...]:
    project = nb.project
    reported: set[str] = set()
    statuses = []
    for site in _third_party_imports(nb):
        status = project.status(site.module)
        if status.distribution not in reported:
            reported.add(status.distribution)
            statuses.append((site, status))
    return tuple(statuses)


def _finding(
    site: ImportSite, message: str, symbol: str, help: str, fix: Fix | None = None
) -> Finding:
    row, column, end_row, end_column = site.parsed.span(site.node)
    return Finding(site.parsed.cell, message, row, column, end_row, end_column, symbol, help, fix)


def _imported(site: ImportSite, status: ImportStatus) -> str:
    """`sklearn` (scikit-learn), or just `pandas` when the names agree."""
    from ..analysis.package_specs import normalize_name
    from ..analysis.packages import import_key

    key = import_key(site.module)
    if normalize_name(key) == status.distribution:
        return f"`{key}`"
    return f"`{key}` ({status.distribution})"


def unpinned_import(nb: Analysis) -> Iterator[Finding]:
    """A third-party import whose distribution is declared but not pinned to an exact version.

    ## What it does
    Maps each third-party import to its distribution (`sklearn` is scikit-learn) and looks it up
    in the project's dependency files: requirements*.txt (with `-r`/`-c` includes),
    pyproject.toml (PEP 621, dependency groups, Poetry), conda's environment files, Pipfile,
    setup.cfg, setup.py, and the lock files uv.lock, poetry.lock, Pipfile.lock and pylock.toml.
    It flags a distribution that is declared, but nowhere with an exact version (`==1.5.2`); a
    lock file pins what it lists.
    A package's metadata (setup.py, setup.cfg, the `[project]` and Poetry dependencies of a
    pyproject.toml with a `[build-system]`, and the requirement files a setup.py names) declares
    what the package needs as ranges, which is right for a library: a distribution only it
    declares is not flagged. The pin belongs in an environment file (requirements,
    environment.yml, dependency groups) or a lock. Nothing is said when an environment's list
    cannot be known without running something (a `-r https://...` include): it may pin
    anything. With `pin-policy = "declared"` a declaration is enough.

    ## Why is this bad?
    `scikit-learn>=1.3` installs whatever is newest on the day: a new release can change
    defaults, results, or break the notebook, and nobody can rebuild the environment that made
    the saved results.

    ## Example
    ```python
    # requirements.txt: pandas>=2
    # cell 1, run as [1]
    import pandas as pd
    ```

    ## Use instead
    ```python
    # requirements.txt: pandas==2.2.3
    # cell 1, run as [1]
    import pandas as pd
    ```

    ## Fix
    Unsafe: the release pinned is the one installed where nbcheck runs, which need not be the
    one the notebook ran with. The declaration is pinned where it is written: `pandas>=2`
    becomes `pandas==2.2.3` in a requirements file, in pyproject.toml's lists (PEP 621
    dependencies, optional dependencies, dependency groups) or in environment.yml's `pip:` list;
    a Poetry constraint becomes the bare version (`"2.2.3"`), a conda entry `pandas=2.2.3`. The
    name, extras, markers, quotes and comments are kept, and no other byte of the file changes.
    No fix when the distribution is not installed there, the declared constraint excludes the
    installed release, the file declares it more than once, or the file is setup.py, setup.cfg
    or a Pipfile.
    """
    from ..analysis.packages import import_key

    project = nb.project
    # An environment's list read at run time (a `-r https://...` include) may pin anything; a
    # setup.py's declares only its package's ranges, which are never flagged.
    if any(os.path.basename(path) != "setup.py" for path in project.declarations.unread):
        return
    packaged = project.declarations.packaged
    for site, status in _statuses(nb):
        if status.declared and not status.pinned and status.distribution not in packaged:
            path = project.declarations.declared[status.distribution]
            where = project.display(path)
            yield _finding(
                site,
                f"`{import_key(site.module)}` comes from {status.distribution}, which {where} "
                "declares without an exact version",
                status.distribution,
                f"Pin it in {where}: `{status.distribution}==<version>` (or use a lock file)",
                _file_fix("pin", nb, [path], status.distribution),
            )


def undeclared_import(nb: Analysis) -> Iterator[Finding]:
    """A third-party import that no dependency file of the project declares.

    ## What it does
    Flags the first import of each third-party module whose distribution appears in none of the
    project's dependency files. Dependency files are found in the notebook's directory and each
    one above it up to the project root (the nearest directory with `.git` or
    `pyproject.toml`) and in the root's environment folders (`binder/` and `.binder/`, which
    Binder reads, `environment/`, `environments/`, `envs/`, `conda/`), or listed in
    `dependency-files`; a conda environment file is known by its
    content, whatever its name (`bap.yml`, `conda.yaml`), unless it is named after another
    notebook beside it (that notebook's environment). When a list cannot be known without
    running something (a setup.py that reads its requirements from a file, a `-r https://...`
    include), nothing is said: it may declare anything. Standard-library modules (Python 2's
    too), the kernel's own (`IPython`) and a hosted notebook's (`google.colab`), modules of the
    project (a `.py` file, package or git submodule beside the notebook, above it up to the
    root, in the root's `src/` or in a directory the notebook adds to `sys.path` or moves to; the project's own
    distribution; `known-first-party`), modules the notebook provides itself (a file a
    `%%writefile` cell writes, a `name.py` a cell fetches or names, what `!mv`/`!cp` put in
    place), distributions the notebook installs itself (`%pip install seaborn`: NBD403 judges
    its pin), optional imports inside
    `try: ... except ImportError` and imports under `if TYPE_CHECKING:` are never flagged. Each
    distribution is reported once, at its first import.

    ## Why is this bad?
    Whoever runs the notebook next installs the project's dependencies and gets an
    `ImportError`, or an untested version of the package from their own environment.

    ## Example
    ```python
    # requirements.txt: pandas==2.2.3
    # cell 1, run as [1]
    import pandas as pd
    import seaborn as sns
    ```

    ## Use instead
    ```python
    # requirements.txt: pandas==2.2.3, seaborn==0.13.2
    # cell 1, run as [1]
    import pandas as pd
    import seaborn as sns
    ```

    ## Fix
    Unsafe, as NBD401's: `seaborn==0.13.2`, the release installed where nbcheck runs, is
    declared in the file that declares the notebook's other imports, else in the project's
    requirements.txt, pyproject.toml (`[project].dependencies`, else Poetry's
    `[tool.poetry.dependencies]`) or environment.yml (its `pip:` list): in its alphabetical
    place when the entries are in alphabetical order, else last. No file is created. No fix
    when the module is not installed there or several installed distributions provide it.
    """
    project = nb.project
    if project.declarations.unread:
        return  # a list read at run time may declare anything
    files = [project.display(path) for path in project.dependency_files]
    looked = ", ".join(files) if files else "none found from the notebook up to the project root"
    # Advice names an environment file, else a pyproject.toml (where the fix can write), never
    # a setup.py or setup.cfg: a library's metadata is not where a notebook's imports belong.
    pyprojects = [
        path for path in project.dependency_files if os.path.basename(path) == "pyproject.toml"
    ]
    targets = [project.display(path) for path in (*project.environment_files, *pyprojects)]
    target = targets[0] if targets else "requirements.txt"
    statuses = list(_statuses(nb))
    installed = _installed_by_the_notebook(nb) if statuses else frozenset()
    for site, status in statuses:
        if not status.declared and status.distribution not in installed:
            fix = None
            if status.known and _one_distribution_provides(site):
                fix = _file_fix("declare", nb, _declaring_files(nb, statuses), status.distribution)
            yield _finding(
                site,
                f"{_imported(site, status)} is imported but declared in no "
                f"dependency file (read: {looked})",
                status.distribution,
                _declare(status, target),
                fix,
            )


def _installed_by_the_notebook(nb: Analysis) -> frozenset[str]:
    """The distributions the notebook's own install commands name (`%pip install seaborn`),
    pinned or not: the notebook declares them itself, and NBD403 judges the pin."""
    from ..analysis.install_commands import install_commands

    return frozenset(
        package.name
        for parsed in nb.parsed
        for command in parsed.shell_commands
        for install in install_commands(command.text)
        for package in install.packages
    )


def _declaring_files(nb: Analysis, statuses: list[tuple[ImportSite, ImportStatus]]) -> list[str]:
    """Where NBD402's fix declares a distribution, best first: the files that declare the
    notebook's other imports (in the order of those imports), then the project's
    requirements.txt, pyproject.toml or environment.yml (a `requirements-dev.txt` that declares
    none of them may be meant for something else)."""
    project = nb.project
    declared = [
        project.declarations.declared[status.distribution]
        for _, status in statuses
        if status.declared and status.distribution in project.declarations.declared
    ]
    main = {"requirements.txt", "pyproject.toml", "environment.yml", "environment.yaml"}
    others = [path for path in project.dependency_files if os.path.basename(path) in main]
    return list(dict.fromkeys([*declared, *others]))


def _one_distribution_provides(site: ImportSite) -> bool:
    """No two installed distributions provide the imported module (opencv-python and
    opencv-contrib-python both give `cv2`): which one the notebook needs is unknown."""
    from ..analysis.package_specs import normalize_name
    from ..analysis.packages import import_key, installed_distributions

    providers = installed_distributions().get(import_key(site.module), [])
    return len({normalize_name(name) for name in providers}) <= 1


def _file_fix(action: str, nb: Analysis, paths: list[str], distribution: str) -> Fix | None:
    """NBD401's and NBD402's fix (unsafe: the release installed where nbcheck runs need not be
    the one the notebook ran with): pin `distribution` in the first of `paths` that declares it
    once (`pin`), or declare it pinned in the first that lists requirements (`declare`), the
    rest of the file kept byte for byte (see nb_discipline.dependency_edits). None when the
    release is unknown or no file can take the edit."""
    from .. import dependency_edits
    from ..analysis.packages import installed_release

    version = installed_release(distribution)
    if version is None:
        return None
    edit = getattr(dependency_edits, action)
    for path in paths:
        made = edit(path, distribution, version)
        if made is not None:
            verb = "Pin" if action == "pin" else "Declare"
            message = f"{verb} `{made[1]}` in {nb.project.display(path)}"
            return Fix(UNSAFE, message, (made[0],))
    return None


def _declare(status: ImportStatus, target: str) -> str:
    """The fix of NBD402: declare the distribution; when no distribution is known to provide the
    module, it may be the project's own (a file the notebook fetches at run time, say)."""
    declare = f"declare it with an exact version in {target}: `{status.distribution}==<version>`"
    if status.known:
        return declare[0].upper() + declare[1:]
    return f"If it is a module of the project, list it in `known-first-party`; else {declare}"


def unpinned_install(nb: Analysis) -> Iterator[Finding]:
    """`%pip install` / `!pip install` / `%conda install` without an exact version.

    ## What it does
    Reads the install commands a notebook runs (`%pip`, `!pip`, `!python -m pip`, `%conda`,
    `%mamba`, `!uv pip`, and lines of `%%bash` cells) and flags each package argument without an
    exact version (`pandas==2.2.3` for pip, `numpy=1.26.4` for conda). A line is split as the
    shell splits it (quotes, `&&`, `;`, `|`, redirections such as `> log 2>&1`) and its arguments
    are read as the installer reads them: option values (`-i URL`, `--target dir`), requirements
    files, local paths, URLs and `$var`/`{var}` expansions are not packages. Upgrading pip itself
    is not flagged, nor a command that installs nothing (a dry run, or an argument the installer
    rejects, such as the `-` of a mangled `- q`), nor one with a constraints file (`-c`), which may
    pin the versions.

    ## Why is this bad?
    The version the cell gets depends on the day it runs and on what is already installed: the
    next run of the notebook may use another release than the one that produced its results.

    ## Example
    ```python
    # cell 1, run as [1]
    %pip install pandas scikit-learn>=1.4
    ```

    ## Use instead
    ```python
    # cell 1, run as [1]
    %pip install pandas==2.2.3 scikit-learn==1.5.2
    ```

    ## Fix
    Safe when the project's dependency files pin or lock the package (`pandas==2.2.3` in
    requirements.txt, an entry of uv.lock): the argument is pinned to that release. Otherwise
    unsafe, to the release installed where nbcheck runs. Quotes, extras and markers are kept;
    a conda argument becomes `name=version`. A `!pip install` line that is one command
    (`!pip`, `!pip3`, `!python -m pip`, `!{sys.executable} -m pip`; no `&&`, pipe or
    redirection) becomes `%pip install`, which installs into the kernel's environment. No fix
    when no release is known, the argument excludes it, or the argument is not written exactly
    once on one line.
    """
    from ..analysis.install_commands import CONDA_TOOLS, install_commands

    for parsed in nb.parsed:
        for command in parsed.shell_commands:
            for install in install_commands(command.text):
                exact = "name=X.Y.Z" if install.tool in CONDA_TOOLS else "name==X.Y.Z"
                for package in install.packages:
                    if package.pinned:
                        continue
                    yield Finding(
                        parsed.cell,
                        f"`{install.tool} install {package.argument}` pins no exact version: "
                        "which version the cell gets depends on when it runs and on what is "
                        "already installed",
                        command.row,
                        command.column,
                        command.row,
                        command.end_column,
                        symbol=package.name,
                        help=f"Pin an exact version (`{exact}`), or install from a pinned "
                        "requirements file",
                        fix=_pin_install(nb, parsed.cell, command, install.tool, package),
                    )


# A word of a shell line, quotes and escapes included: what a pin rewrites in place.
_SHELL_WORD = r"""(?:[^\s'"\\;&|<>()]|\\.|'[^']*'|"(?:[^"\\]|\\.)*")+"""


def _pin_install(
    nb: Analysis, cell: Cell, command: ShellCommand, tool: str, package: InstalledPackage
) -> Fix | None:
    """NBD403's fix: the package's argument pinned to the release the project's dependency
    files pin or lock (safe), else to the one installed where nbcheck runs (unsafe); a `!pip`
    line that is one command becomes `%pip`, which installs into the kernel's environment.
    None when no release is known, the argument excludes it, or the argument cannot be found
    once in the command as written (a command continued over several lines, say)."""
    import re
    import shlex

    from .. import cache as disk_cache
    from ..analysis.install_commands import CONDA_TOOLS
    from ..analysis.package_specs import pin_conda_spec, pin_requirement
    from ..analysis.packages import installed_release

    version = nb.project.declarations.versions.get(package.name)
    applicability, source = SAFE, "the project's pin"
    if not version:
        version = installed_release(package.name)
        applicability, source = UNSAFE, "the version installed where nbcheck runs"
    if version is None:
        return None
    pin = pin_conda_spec if tool in CONDA_TOOLS else pin_requirement
    # Kept between runs: pinning needs `packaging`, and a notebook's install lines rarely change.
    key = (pin.__name__, package.argument, version)
    pinned = disk_cache.memoized("pin", key, lambda: pin(package.argument, version))
    line = re.split(r"\r\n|\r|\n", cell.source)[command.row - 1]
    start = line.find(command.text, command.column - 1)
    if pinned is None or start < 0:
        return None
    words = list(re.finditer(_SHELL_WORD, line[start : start + len(command.text)]))
    values = [shlex.split(word[0]) for word in words]
    found = [word for word, value in zip(words, values, strict=True) if value == [package.argument]]
    if len(found) != 1:
        return None
    written = _as_written(found[0][0], package.argument, pinned)
    if written is None:
        return None
    edits = [
        _cell_edit(cell, command.row, start + found[0].start(), start + found[0].end(), written)
    ]
    message = f"Pin `{pinned}` ({source})"
    if tool == "pip" and line[:start].strip() == "!":
        program = _program_end(words, values, command.text)
        if program is not None:
            edits.insert(0, _cell_edit(cell, command.row, start - 1, start + program, "%pip"))
            message += " and install it with `%pip`, into the kernel's environment"
    return Fix(applicability, message, tuple(edits))


def _as_written(word: str, argument: str, pinned: str) -> str | None:
    """`pinned` quoted as `word` (the argument as the line writes it) is: bare, or in single or
    double quotes; None for a word quoted some other way."""
    if word == argument:
        return pinned
    for quote, forbidden in (("'", "'"), ('"', '"\\$`')):
        if word == f"{quote}{argument}{quote}" and not any(c in pinned for c in forbidden):
            return f"{quote}{pinned}{quote}"
    return None


def _program_end(words: list, values: list[list[str]], text: str) -> int | None:
    """Where the words that run pip end in a command that is nothing but one `pip install`
    (`pip`, `pip3`, `python -m pip`, `{sys.executable} -m pip`): `%pip` replaces them. None for
    a line with shell syntax besides (`&&`, `|`, a redirection), whose meaning `%pip` may not
    keep, or a pip named by its path."""
    import re

    if re.sub(_SHELL_WORD, "", text).strip() or not values:
        return None
    program = values[0]
    if re.fullmatch(r"pip[\d.]*", program[0] if len(program) == 1 else ""):
        return words[0].end()
    python = r"python[\d.]*|\{sys\.executable\}"
    if len(program) == 1 and re.fullmatch(python, program[0]):
        if values[1:3] == [["-m"], ["pip"]]:
            return words[2].end()
        if values[1:2] == [["-mpip"]]:
            return words[1].end()
    return None


def _cell_edit(cell: Cell, row: int, start: int, end: int, content: str) -> Edit:
    """Replace columns `start` to `end` (0-based, end excluded) of `row` of `cell`."""
    return Edit(content, Location(row, start + 1), Location(row, end + 1), cell=cell.index)


def unreadable_dependency_file(nb: Analysis) -> Iterator[Finding]:
    """A dependency file of the project cannot be read.

    ## What it does
    Reports, once per file in each notebook it covers, a dependency file that is not valid TOML,
    YAML, JSON or requirements syntax (a bad requirement is named by its line, in an
    `environment.yml`'s `pip:` section too), that a `-r` include names but does not exist, that `dependency-files` lists but is
    missing, or that is no regular file (a named pipe is refused, not waited on). The finding sits
    on the notebook's first third-party import. The check goes on with the other files and with
    the readable lines of a requirements file.

    ## Why is this bad?
    What the broken file declares is unknown: NBD401 and NBD402 cannot judge the imports it was
    meant to cover, and pip or conda will fail on it too.

    ## Example
    ```python
    # requirements.txt: pandas=>2
    # cell 1, run as [1]
    import pandas as pd
    ```

    ## Use instead
    ```python
    # requirements.txt: pandas==2.2.3
    # cell 1, run as [1]
    import pandas as pd
    ```
    """
    problems = nb.project.declarations.problems
    if not problems:
        return
    first = next(_third_party_imports(nb), None)
    if first is None:
        return
    for path, reason in problems:
        shown = nb.project.display(path)
        if reason.startswith("line "):  # one bad line of a requirements file: the rest is read
            message = f"Dependency file {shown}, {reason}"
            help = f"Fix {shown} (pip refuses the whole file); its other lines are still checked"
        else:
            message = f"Cannot read dependency file {shown}: {reason}"
            help = f"Fix {shown}; until then the imports it declares are not checked"
        yield _finding(first, message, shown, help)

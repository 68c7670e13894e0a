"""NBD501: absolute local paths, which tie a notebook to the machines where they exist."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from ..records import TYPE_CHECKING
from .base import Finding

if TYPE_CHECKING:
    from ..analysis import Analysis

# Patterns used only on cells with a path-like literal are left as strings, compiled (and kept)
# by `re` on first use: most runs never need them.
_WINDOWS_PATH = r"(?:[A-Za-z]:[\\/]|\\\\[\w.$-]+\\)[^\n]*"
_POSIX_PATH = r"/[^/\s][^\n]*"
# A quote right before the start of an absolute path: cells without one are not walked at all.
_MAYBE_PATH_LITERAL = re.compile(r"""["'](?:/[^/\s"']|[A-Za-z]:[\\/]|\\\\|file://)""")
# URLs, regular expressions, and `PATH`-like lists (`/bin:/usr/bin`).
_NOT_A_PATH = r"://|:/|[\^$|()<>\[\]]"
# What only looks like a path: TensorFlow device names (`/job:worker/task:1`, `/device:GPU:0`),
# whose first segment is `name:value`, and the placeholders of examples (`/path/to/data`).
_NOT_A_FILE = r"/\w+:|[\\/]path[\\/]to(?:[\\/]|$)|[A-Za-z]:[\\/]path[\\/]to[\\/]"
# Paths that name the operating system, not somebody's data: the same on every Unix machine.
SYSTEM_PREFIXES = (
    "/dev/",
    "/proc/",
    "/sys/",
    "/tmp/",
    "/var/tmp/",
    "/usr/",
    "/bin/",
    "/sbin/",
    "/etc/",
    "/lib/",
    "/lib64/",
)
# Methods whose string argument is a pattern or a piece of text, and calls whose argument is a
# URL route, not a file: `path.startswith("/home")`, `@app.route("/predict")`.
NOT_FILE_CALLS = frozenset(
    [
        "startswith",
        "endswith",
        "replace",
        "split",
        "rsplit",
        "strip",
        "lstrip",
        "rstrip",
        "removeprefix",
        "removesuffix",
        "find",
        "rfind",
        "index",
        "rindex",
        "count",
        "partition",
        "rpartition",
        "format",
        "print",
        "route",
        "api_route",
        "add_url_rule",
        "add_api_route",
        "websocket",
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "mount",  # `drive.mount("/content/drive")`: where a runtime mounts storage, not data
    ]
)
# Spark resolves a path against the cluster's default file system (HDFS, DBFS), not a local disk:
# `sc.textFile("/data/x")`, and whatever a reader or writer loads (`spark.read.csv(...)`,
# `df.write.mode("overwrite").parquet(...)`).
CLUSTER_FILE_CALLS = frozenset(
    [
        "textFile",
        "wholeTextFiles",
        "binaryFiles",
        "saveAsTextFile",
        "saveAsTextFiles",
        "saveAsPickleFile",
    ]
)
CLUSTER_IO_ATTRIBUTES = frozenset(["read", "write", "readStream", "writeStream"])
# Calls that test whether a path exists: a notebook that tests a path before using it runs
# anywhere (`if os.path.exists("/opt/...")`, `Path("/data/x").is_file()`).
EXISTENCE_TESTS = frozenset(["exists", "lexists", "isfile", "isdir", "is_file", "is_dir"])


def absolute_path_text(text: str) -> bool:
    """True for `/home/ana/data.csv`, `C:\\data\\x.csv`, `\\\\server\\share\\x`, `file:///home/ana`;
    False for URLs, route-like fragments (`/api`), regexes and the operating system's own
    directories."""
    if text.startswith("file://"):
        text = text[len("file://") :]  # file:///home/ana/mlruns is a local path too
    if re.fullmatch(_WINDOWS_PATH, text):
        return not re.match(_NOT_A_FILE, text)
    if re.match(_NOT_A_FILE, text):
        return False
    if not re.fullmatch(_POSIX_PATH, text) or re.search(_NOT_A_PATH, text):
        return False
    if any(text == prefix[:-1] or text.startswith(prefix) for prefix in SYSTEM_PREFIXES):
        return False
    segments = [segment for segment in text.split("/") if segment]
    # `/data/raw` or `/train.csv`; a single bare segment (`/predict`) is too often a route.
    return len(segments) >= 2 or "." in segments[0][1:]


def _literal_text(node: ast.AST) -> str | None:
    """The text of a string literal; for an f-string, its literal start up to the first field
    when that start already names a directory (`f"/home/ana/{name}.csv"` -> `/home/ana/`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return head.value if head.value.endswith(("/", "\\")) else None
    return None


def _path_candidates(tree: ast.Module) -> Iterator[ast.expr]:
    """String literals in the places data paths go: call arguments, assigned values (also inside
    a list, tuple or dict), default argument values, and the left of `/` or `+`."""
    for node in ast.walk(tree):
        values: list[ast.expr] = []
        if isinstance(node, ast.Call):
            if not _not_local_file_call(node.func):
                values = [*node.args, *(keyword.value for keyword in node.keywords)]
        elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value:
            values = [node.value]
        elif isinstance(node, ast.arguments):
            values = [*node.defaults, *(d for d in node.kw_defaults if d is not None)]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Add):
            values = [node.left]
        for value in values:
            if isinstance(value, ast.List | ast.Tuple | ast.Set):
                yield from value.elts
            elif isinstance(value, ast.Dict):
                yield from value.values
            else:
                yield value


def _callee(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _not_local_file_call(func: ast.expr) -> bool:
    """True for calls whose string arguments are not local files: string methods, routes, mount
    points, and Spark's readers and writers (the cluster's file system)."""
    callee = _callee(func)
    if callee in NOT_FILE_CALLS or callee in CLUSTER_FILE_CALLS:
        return True
    while isinstance(func, ast.Attribute | ast.Call):
        func = func.func if isinstance(func, ast.Call) else func.value
        if isinstance(func, ast.Attribute) and func.attr in CLUSTER_IO_ATTRIBUTES:
            return True
    return False


def _tested_for_existence(tree: ast.Module) -> set[str]:
    """The path literals a cell tests for existence, directly (`os.path.exists("/x")`,
    `Path("/x").is_file()`) or through a name it assigns the literal to (`p = "/x"`, then
    `isfile(p)`)."""
    texts: set[str] = set()
    names: set[str] = set()
    assigned: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node.func) in EXISTENCE_TESTS:
            tested = node.args[0] if node.args else None
            func = node.func
            if tested is None and isinstance(func, ast.Attribute):  # Path("/x").exists()
                made = func.value
                if isinstance(made, ast.Call) and made.args:
                    tested = made.args[0]
            if isinstance(tested, ast.Name):
                names.add(tested.id)
            elif tested is not None and (text := _literal_text(tested)) is not None:
                texts.add(text)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and (text := _literal_text(node.value)) is not None:
                assigned.append((target.id, text))
    texts.update(text for name, text in assigned if name in names)
    return texts


def _allowed(text: str, allowed: list[str]) -> bool:
    """`allowed-absolute-paths`: a prefix (`/dbfs` allows `/dbfs/x`, not `/dbfsx`) or a glob."""
    for entry in allowed:
        if any(character in entry for character in "*?["):
            import fnmatch  # only with glob entries in the option

            if fnmatch.fnmatchcase(text, entry):
                return True
            continue
        prefix = entry.rstrip("/\\")
        if text == prefix or (
            text.startswith(prefix) and text[len(prefix) : len(prefix) + 1] in {"/", "\\"}
        ):
            return True
    return False


def absolute_path(nb: Analysis) -> Iterator[Finding]:
    """A string literal that is an absolute local path, used to read or write data.

    ## What it does
    Flags string literals that are absolute paths on a local disk (`/home/ana/data.csv`,
    `/Users/ana/...`, `/mnt/...`, `C:\\data\\...`, `\\\\server\\share\\...`) where paths are
    used: arguments of calls, assigned values, default values of parameters, the left of `/`.
    The operating system's own directories (`/tmp`, `/dev`, `/usr`, `/etc`, ...), URLs, route-like
    fragments (`/predict`), string methods' arguments (`s.startswith("/home")`), TensorFlow
    device names (`/job:worker/task:1`), placeholders (`/path/to/data`), mount points
    (`drive.mount("/content/drive")`), Spark's paths (`sc.textFile`, `spark.read...`, `df.write...`:
    the cluster's file system) and paths the cell tests for existence before using them
    (`if os.path.exists("/opt/x")`: the notebook runs without them) are not flagged. Paths under
    `allowed-absolute-paths` (prefixes, or glob patterns) are allowed.

    ## Why is this bad?
    The notebook only runs on the machine, and under the account, where the path exists: CI, a
    colleague or a scheduled run fails, or quietly reads another file that happens to be there.

    ## Example
    ```python
    # cell 1, run as [1]
    import pandas as pd
    df = pd.read_csv("/home/ana/projects/churn/data/train.csv")
    ```

    ## Use instead
    ```python
    # cell 1, run as [1]
    from pathlib import Path
    import pandas as pd
    DATA = Path("data")
    df = pd.read_csv(DATA / "train.csv")
    ```
    """
    allowed = nb.settings.allowed_absolute_paths
    for parsed in nb.parsed:
        if parsed.tree is None or not _MAYBE_PATH_LITERAL.search(parsed.cell.source):
            continue
        seen: set[int] = set()
        tested: set[str] | None = None
        for node in _path_candidates(parsed.tree):
            text = _literal_text(node)
            if text is None or id(node) in seen or not absolute_path_text(text):
                continue
            seen.add(id(node))
            if _allowed(text, allowed):
                continue
            if tested is None:
                tested = _tested_for_existence(parsed.tree)
            if text in tested:
                continue
            row, column, end_row, end_column = parsed.span(node)
            yield Finding(
                parsed.cell,
                f"Absolute path `{text}`: the notebook depends on a file system where this path exists",
                row,
                column,
                end_row,
                end_column,
                symbol=text,
                help="Use a path relative to the project (pathlib.Path), or make it a parameter "
                "of the notebook",
            )

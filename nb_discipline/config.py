"""Settings: `[tool.nb-discipline]` in pyproject.toml, validated with pydantic, plus CLI overrides.

The settings are plain named tuples, so the engine and a project without configuration never import
pydantic (it costs about a quarter of a second, on every commit), nor dataclasses (with inspect, a
tenth of a one-notebook run). pydantic validates the very same classes when a configuration table
exists; a table that validated once is remembered in the user cache directory (nb_discipline.cache)
by its content, so the next run skips the import. The settings are shared by every check and never
changed in place: `replace` makes new ones.
"""

from __future__ import annotations

import os

from . import cache
from .records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import Annotated, Any, Literal

    # The annotations are strings until pydantic resolves them, in _validate_with_pydantic.
    from annotated_types import Ge, Lt

FIX_FIELDS = (
    "fix",
    "unsafe_fixes",
    "fixable",
    "extend_fixable",
    "unfixable",
    "extend_safe_fixes",
    "extend_unsafe_fixes",
)
SELECTOR_FIELDS = FIX_FIELDS[2:]
CONFIG_FILES = ("nb-discipline.toml", ".nb-discipline.toml", "pyproject.toml")
_TOO_DEEP = "nested deeper than nbcheck reads (Python's recursion limit)"
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    "__pypackages__",
    "build",
    "dist",
    "site-packages",
    ".ipynb_checkpoints",
)


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class MetricTolerance(Record):
    """Tolerance for one metric (or a glob of metrics) in the reproducibility check."""

    rtol: Annotated[float, Ge(0)] | None = None
    atol: Annotated[float, Ge(0)] | None = None
    ignore: bool = False


class ReproSettings(Record):
    """`[tool.nb-discipline.repro]`: defaults for `nbcheck repro`."""

    runs: Annotated[int, Ge(1)] = 2
    seed: Annotated[int, Ge(0), Lt(2**32)] = 42
    timeout: Annotated[float, Ge(0), Lt(float("inf"))] | None = 600.0
    kernel: str | None = None
    rtol: Annotated[float, Ge(0)] = 1e-6
    atol: Annotated[float, Ge(0)] = 0.0
    metrics: dict[str, MetricTolerance] = {}  # noqa: RUF012 (never changed in place)
    # Numbers printed in outputs: "cell N" (every number of that cell) or a regular expression
    # (the numbers inside its matches) -> tolerance; the others use rtol and atol.
    outputs: dict[str, MetricTolerance] = {}  # noqa: RUF012 (never changed in place)
    ignore_metrics: tuple[str, ...] = ()
    ignore_params: tuple[str, ...] = ()
    compare_outputs: bool = True
    compare_images: bool = False
    sanitizers: tuple[str, ...] = ()
    baseline_dir: str | None = None


class Settings(Record):
    """Everything the engine and the front-ends read; defaults are the behaviour without config."""

    select: tuple[str, ...] = ("ALL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    per_file_ignores: dict[str, tuple[str, ...]] = {}  # noqa: RUF012 (never changed in place)
    seed_functions: tuple[str, ...] = ()
    random_state_functions: tuple[str, ...] = ()
    dependency_files: tuple[str, ...] | None = None
    pin_policy: Literal["exact", "declared"] = "exact"
    known_first_party: tuple[str, ...] = ()
    allowed_absolute_paths: tuple[str, ...] = ()
    builtins: tuple[str, ...] = ()
    """Names the project's kernels predefine (`spark` on a Spark kernel): never undefined."""
    fix: bool = False
    """Apply the fixes without `--fix` (`--no-fix` turns it off for one run)."""
    unsafe_fixes: bool | None = None
    """Apply unsafe fixes too; None: not said (the summary then says how many there are)."""
    fixable: tuple[str, ...] = ("ALL",)
    extend_fixable: tuple[str, ...] = ()
    unfixable: tuple[str, ...] = ()
    extend_safe_fixes: tuple[str, ...] = ()
    extend_unsafe_fixes: tuple[str, ...] = ()
    seed: Annotated[int, Ge(0), Lt(2**32)] = 42
    """What `%%production` seeds every RNG with: numpy takes 0 to 2**32 - 1."""
    repro: ReproSettings = ReproSettings()
    # Where the configuration came from; relative patterns and paths are resolved against root.
    root: str = "."
    source: str | None = None

    def replace(self, **changes: Any) -> Settings:
        return self._replace(**changes)

    def for_checking(self) -> Settings:
        """These settings with the fix options at their defaults: they change what is fixed,
        not what is found (a `--fix` run uses the findings a check kept)."""
        return self._replace(**{field: Settings._field_defaults[field] for field in FIX_FIELDS})


class ConfigError(Exception):
    """A configuration problem, already phrased as one line naming the file."""


def find_config(start: str | os.PathLike[str]) -> str | None:
    """The nearest configuration file at or above `start` that configures nb-discipline."""
    directory = os.path.realpath(start)
    if os.path.isfile(directory):
        directory = os.path.dirname(directory)
    while True:
        for name in CONFIG_FILES:
            candidate = os.path.join(directory, name)
            if not os.path.isfile(candidate):
                continue
            try:
                if _table(candidate) is not None:
                    return candidate
            except ConfigError:
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _table(path: str) -> Any:
    """The nb-discipline table of a configuration file (None: a pyproject.toml without one).

    Kept between runs (nb_discipline.cache) while the file is unchanged: finding the configuration
    then costs no TOML parsing on every commit."""

    def read() -> Any:
        cache.note(path)
        tool = (document := _read_toml(path)).get("tool", {})
        if not isinstance(tool, dict):
            raise ConfigError(f"{path}: `tool` must be a table, not {tool!r}")
        if os.path.basename(path) == "pyproject.toml":
            return tool.get("nb-discipline")
        return tool.get("nb-discipline", document)

    return cache.from_files("config-table", os.path.abspath(path), read)


def load_settings(config_path: str | os.PathLike[str] | None, *, start: str = ".") -> Settings:
    """Settings from `config_path`, or from the configuration found by walking up from `start`."""
    path = os.fspath(config_path) if config_path is not None else find_config(start)
    if path is None:
        return Settings(root=os.path.realpath(start))
    if not os.path.exists(path):
        raise ConfigError(f"{path}: configuration file not found")
    table = _table(path)
    settings = validate_table({} if table is None else table, path)
    return settings.replace(root=os.path.dirname(os.path.realpath(path)), source=path)


def validate_table(table: Any, source: str) -> Settings:
    """Validate a raw `[tool.nb-discipline]` table; errors name the key and what is allowed."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [tool.nb-discipline] must be a table")
    for internal in ("root", "source"):
        if internal in table:
            raise ConfigError(
                f"{source}: unknown key `{internal}` in [tool.nb-discipline]; "
                f"allowed: {_allowed_keys(())}"
            )
    # Kept as plain values between runs: the next run with this table skips pydantic's import.
    try:
        values = cache.memoized(
            "settings",
            sorted(_flatten(table)),
            lambda: _plain(_validate_with_pydantic(table, source)),
        )
    except RecursionError:  # tables within tables, from dotted keys
        raise ConfigError(f"{source}: [tool.nb-discipline] has tables {_TOO_DEEP}") from None
    repro = dict(values["repro"])
    for table in ("metrics", "outputs"):
        repro[table] = {key: MetricTolerance(**value) for key, value in repro[table].items()}
    return Settings(**{**values, "repro": ReproSettings(**repro)})


def _plain(value: Any) -> Any:
    """Settings as dicts, tuples and scalars, which the cache can keep."""
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {key: _plain(item) for key, item in value._asdict().items()}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _validate_with_pydantic(table: dict, source: str) -> Settings:
    import typing

    import annotated_types
    import pydantic

    # pydantic resolves the string annotations in this module's namespace, where the names they
    # use are otherwise imported only for type checkers.
    globals().update(
        Annotated=typing.Annotated,
        Literal=typing.Literal,
        Ge=annotated_types.Ge,
        Lt=annotated_types.Lt,
    )
    config = pydantic.ConfigDict(extra="forbid", alias_generator=_kebab, populate_by_name=True)
    _expect_tables(table, source)
    try:
        settings = pydantic.TypeAdapter(Settings, config=config).validate_python(table)
    except pydantic.ValidationError as error:
        problem = error.errors()[0]
        location = tuple(str(part) for part in problem["loc"])
        if problem["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            table = ".".join(("tool.nb-discipline", *location[:-1]))
            raise ConfigError(
                f"{source}: unknown key `{location[-1]}` in [{table}]; "
                f"allowed: {_allowed_keys(location)}"
            ) from None
        key = ".".join(location) or "(table)"
        # TOML's word for the lists that settings keep as tuples.
        message = "Input should be an array" if problem["type"] == "tuple_type" else problem["msg"]
        raise ConfigError(
            f"{source}: bad value for `{key}` in [tool.nb-discipline]: {message}"
            f" (got {problem.get('input')!r})"
        ) from None
    _check_selectors(settings, source)
    return settings


def _check_selectors(settings: Settings, source: str) -> None:
    """Each `per-file-ignores` key a pattern pathspec reads, and each selector there and in the
    fix options one that names a rule (a typo would silently ignore or fix nothing)."""
    import pathspec

    from .rules import UnknownSelectorError, matching

    places = [(f"`{_kebab(field)}`", getattr(settings, field)) for field in SELECTOR_FIELDS]
    for pattern, selectors in settings.per_file_ignores.items():
        where = f"`per-file-ignores` key {pattern!r}"
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except ValueError as error:
            raise ConfigError(
                f"{source}: bad pattern, {where} in [tool.nb-discipline]: {error}"
            ) from None
        places.append((where, selectors))
    for where, selectors in places:
        for selector in selectors:
            try:
                matching(selector)
            except UnknownSelectorError:
                raise ConfigError(
                    f"{source}: unknown rule selector `{selector}` in {where} in "
                    "[tool.nb-discipline] (use a code such as NBD101, a prefix such as NBD1, a "
                    "rule name, or ALL; `nbcheck rules` lists them)"
                ) from None


def _expect_tables(table: dict, source: str) -> None:
    """pydantic fills a named tuple from an array too (`repro = [3]` would set `runs`): the
    sections that are tables, `repro` and each of its `metrics` and `outputs`, must be tables."""
    repro = table.get("repro", {})
    sections = {"repro": repro}
    for name in ("metrics", "outputs"):
        if isinstance(repro, dict) and isinstance(repro.get(name), dict):
            sections.update({f"repro.{name}.{key}": value for key, value in repro[name].items()})
    for key, value in sections.items():
        if not isinstance(value, dict):
            raise ConfigError(
                f"{source}: bad value for `{key}` in [tool.nb-discipline]: "
                f"Input should be a table (got {value!r})"
            )


def _allowed_keys(location: tuple) -> str:
    cls: type = Settings
    if len(location) > 1 and location[0] == "repro":
        cls = MetricTolerance if location[1] in ("metrics", "outputs") else ReproSettings
    names = [_kebab(name) for name in cls._fields if name not in {"root", "source"}]
    return ", ".join(names)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        items: list[tuple[str, str]] = []
        for key, item in value.items():
            items.extend(_flatten(item, f"{prefix}.{key}"))
        return items or [(prefix, "{}")]
    return [(prefix, repr(value))]


def _read_toml(path: str) -> dict[str, Any]:
    import tomllib

    from .loader import read_file

    try:
        text = read_file(path)[0].decode("utf-8")
        return tomllib.loads(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML: the file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:  # the parser recurses once per level of arrays and inline tables
        raise ConfigError(f"{path}: arrays or tables {_TOO_DEEP}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None

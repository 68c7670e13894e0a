"""Settings: `[tool.nb-discipline]` in pyproject.toml, validated with pydantic, plus CLI overrides.

The settings are plain dataclasses, so the engine and a project without configuration never import
pydantic (it costs about a quarter of a second, on every commit). pydantic validates the very same
dataclasses when a configuration table exists; a table that validated once is remembered in the user
cache directory (nb_discipline.cache) by its content, so the next run skips the import.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from . import cache

if TYPE_CHECKING:
    # The annotations are strings until pydantic resolves them, in _validate_with_pydantic.
    from annotated_types import Ge

CONFIG_FILES = ("nb-discipline.toml", ".nb-discipline.toml", "pyproject.toml")
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


_PYDANTIC_CONFIG = {"extra": "forbid", "alias_generator": _kebab, "populate_by_name": True}


@dataclass(frozen=True)
class MetricTolerance:
    """Tolerance for one metric (or a glob of metrics) in the reproducibility check."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    rtol: Annotated[float, Ge(0)] | None = None
    atol: Annotated[float, Ge(0)] | None = None
    ignore: bool = False


@dataclass(frozen=True)
class ReproSettings:
    """`[tool.nb-discipline.repro]`: defaults for `nbcheck repro`."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    runs: Annotated[int, Ge(1)] = 2
    seed: int = 42
    timeout: Annotated[float, Ge(0)] | None = 600.0
    kernel: str | None = None
    rtol: Annotated[float, Ge(0)] = 1e-6
    atol: Annotated[float, Ge(0)] = 0.0
    metrics: dict[str, MetricTolerance] = field(default_factory=dict)
    ignore_metrics: list[str] = field(default_factory=list)
    ignore_params: list[str] = field(default_factory=list)
    compare_outputs: bool = True
    compare_images: bool = False
    sanitizers: list[str] = field(default_factory=list)
    baseline_dir: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything the engine and the front-ends read; defaults are the behaviour without config."""

    __pydantic_config__ = _PYDANTIC_CONFIG

    select: list[str] = field(default_factory=lambda: ["ALL"])
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    extend_exclude: list[str] = field(default_factory=list)
    respect_gitignore: bool = True
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    seed_functions: list[str] = field(default_factory=list)
    random_state_functions: list[str] = field(default_factory=list)
    dependency_files: list[str] | None = None
    pin_policy: Literal["exact", "declared"] = "exact"
    known_first_party: list[str] = field(default_factory=list)
    allowed_absolute_paths: list[str] = field(default_factory=list)
    builtins: list[str] = field(default_factory=list)
    """Names the project's kernels predefine (`spark` on a Spark kernel): never undefined."""
    seed: int = 42
    repro: ReproSettings = field(default_factory=ReproSettings)
    # Where the configuration came from; relative patterns and paths are resolved against root.
    root: str = "."
    source: str | None = None

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


class ConfigError(Exception):
    """A configuration problem, already phrased as one line naming the file."""


def find_config(start: str | os.PathLike[str]) -> Path | None:
    """The nearest configuration file at or above `start` that configures nb-discipline."""
    directory = Path(start).resolve()
    if directory.is_file():
        directory = directory.parent
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = candidate_dir / name
            if not candidate.is_file():
                continue
            try:
                if _table(candidate) is not None:
                    return candidate
            except ConfigError:
                return candidate
    return None


def _table(path: Path) -> Any:
    """The nb-discipline table of a configuration file (None: a pyproject.toml without one).

    Kept between runs (nb_discipline.cache) while the file is unchanged: finding the configuration
    then costs no TOML parsing on every commit."""

    def read() -> Any:
        cache.note(path)
        tool = (document := _read_toml(path)).get("tool", {})
        if path.name == "pyproject.toml":
            return tool.get("nb-discipline")
        return tool.get("nb-discipline", document)

    return cache.from_files("config-table", os.path.abspath(path), read)


def load_settings(config_path: str | os.PathLike[str] | None, *, start: str = ".") -> Settings:
    """Settings from `config_path`, or from the configuration found by walking up from `start`."""
    path = Path(config_path) if config_path is not None else find_config(start)
    if path is None:
        return Settings(root=str(Path(start).resolve()))
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    table = _table(path)
    settings = validate_table({} if table is None else table, str(path))
    return settings.replace(root=str(path.resolve().parent), source=str(path))


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
    values = cache.memoized(
        "settings",
        sorted(_flatten(table)),
        lambda: dataclasses.asdict(_validate_with_pydantic(table, source)),
    )
    repro = dict(values["repro"])
    repro["metrics"] = {key: MetricTolerance(**value) for key, value in repro["metrics"].items()}
    return Settings(**{**values, "repro": ReproSettings(**repro)})


def _validate_with_pydantic(table: dict, source: str) -> Settings:
    import annotated_types
    import pydantic

    # pydantic resolves the string annotations in this module's namespace.
    globals().setdefault("Ge", annotated_types.Ge)

    try:
        return pydantic.TypeAdapter(Settings).validate_python(table)
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
        raise ConfigError(
            f"{source}: bad value for `{key}` in [tool.nb-discipline]: {problem['msg']}"
            f" (got {problem.get('input')!r})"
        ) from None


def _allowed_keys(location: tuple) -> str:
    cls: type = Settings
    if len(location) > 1 and location[0] == "repro":
        cls = MetricTolerance if location[1] == "metrics" else ReproSettings
    names = [_kebab(f.name) for f in dataclasses.fields(cls) if f.name not in {"root", "source"}]
    return ", ".join(names)


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        items: list[tuple[str, str]] = []
        for key, item in value.items():
            items.extend(_flatten(item, f"{prefix}.{key}"))
        return items or [(prefix, "{}")]
    return [(prefix, repr(value))]


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None

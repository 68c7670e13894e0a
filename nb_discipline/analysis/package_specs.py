"""One package as a dependency file or an install command writes it: its PEP 503 name, whether it
pins one release (a PEP 508 requirement or a conda spec), and the arguments that name no
distribution at all (a local path, an archive, a URL).
"""

from __future__ import annotations

import re

from ..records import TYPE_CHECKING

if TYPE_CHECKING:  # packaging is imported where a file or command is parsed: it costs start-up
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

# conda package names that differ from the PyPI distribution of the same code.
CONDA_TO_PYPI = {
    "pytorch": "torch",
    "py-xgboost": "xgboost",
    "py-opencv": "opencv-python",
    "libopencv": "opencv-python",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "tensorflow-base": "tensorflow",
    "matplotlib-base": "matplotlib",
    "python-graphviz": "graphviz",
    "pytables": "tables",
    "msgpack-python": "msgpack",
    # conda's graphviz is the Graphviz programs (dot); the Python module is python-graphviz's.
    "graphviz": "conda-graphviz",
}

# Archives pip installs from a file (they name no distribution it can see before unpacking).
ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz")
# Compiled now: every install argument of every run is matched against it.
_NAMED_REFERENCE = re.compile(r"[A-Za-z0-9][\w.-]*\s*(\[[^\]]*\])?\s*@")
# Compiled (and kept) by `re` on first use: dependency files are read only when they change.
_CONDA_SPEC = r"(?s)(?:[\w./-]+::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.-]*)\s*(?P<rest>.*)"
# The URL schemes pip takes a requirement for a link by (its own and its version controls').
_PIP_URL = r"(?i)(file|https?|ftp|(git|hg|svn|bzr)\+[a-z]+):"


def normalize_name(name: str) -> str:
    """PEP 503: `Scikit_Learn` and `scikit-learn` are the same distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def exact_version(specifier: SpecifierSet) -> str | None:
    """The one release `==1.2.3` or `===1.2.3` selects (alone or with other clauses); None when
    the specifier allows several (`==1.*`, `>=1.2`)."""
    for spec in specifier:
        if (spec.operator == "==" and not spec.version.endswith(".*")) or spec.operator == "===":
            return spec.version
    return None


def requirement_is_pinned(requirement: Requirement) -> bool:
    """Exact version, or a direct reference (`name @ url`) that names one artifact."""
    return bool(requirement.url) or exact_version(requirement.specifier) is not None


def conda_spec(text: str) -> tuple[str, str | None]:
    """(PyPI-style normalized name, the exact version or None) of a conda spec: `numpy=1.26.4`,
    `numpy==1.26.4`, `conda-forge::numpy 1.26.4 py311_0`. conda's `=1.26.4` selects that release;
    a `*`, a range or no version is not a pin. A ValueError says why `text` is no spec."""
    match = re.fullmatch(_CONDA_SPEC, text.strip())
    if match is None:
        raise ValueError(f"bad conda package spec {text!r}")
    name = normalize_name(match["name"])
    name = CONDA_TO_PYPI.get(name, name)
    rest = match["rest"].strip()
    version = rest.lstrip("=").split("=")[0].split()[0] if rest.lstrip("=") else ""
    pinned = (
        bool(version)
        and (rest.startswith("=") or rest[:1].isdigit())
        and "*" not in version
        and not re.search(r"[<>!~,|]", version)
    )
    return name, version if pinned else None


def names_no_distribution(word: str) -> bool:
    """A local path (`.`, `./pkg`, `..\\pkg`), an archive or a bare URL (`file:pkg`): pip
    installs what it holds, under a name it learns only then. `name @ url` names its
    distribution."""
    if _NAMED_REFERENCE.match(word):
        return False
    return (
        "/" in word
        or "\\" in word
        or word.startswith((".", "~"))
        or word.endswith(ARCHIVES)
        or re.match(_PIP_URL, word) is not None
    )


# A requirement's name and extras, as written: what a pin keeps before its `==version`.
_REQUIREMENT_HEAD = r"\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\s*\[[^\]]*\])?"


def pin_requirement(text: str, version: str) -> str | None:
    """`text` (a PEP 508 requirement) pinned to `version`: its version specifier, if any,
    replaced by `==version`, its name, extras and markers kept as written (`pandas[excel]>=2 ;
    python_version>'3.9'` -> `pandas[excel]==2.2.3 ; python_version>'3.9'`). None when `text`
    is no requirement, names a URL, or excludes `version` (a pin must not contradict it)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion

    try:
        requirement = Requirement(text)
        if requirement.url or not requirement.specifier.contains(version, prereleases=True):
            return None
    except (InvalidRequirement, InvalidVersion):
        return None
    head = re.match(_REQUIREMENT_HEAD, text)
    if head is None:
        return None
    marker = text.find(";", head.end())
    end = len(text) if marker < 0 else marker
    specifier = text[head.end() : end]
    space = specifier[len(specifier.rstrip()) :] if marker >= 0 else ""
    return f"{text[: head.end()]}=={version}{space}{text[end:]}"


def pin_conda_spec(text: str, version: str) -> str | None:
    """`text` (a conda spec) pinned to `version` as conda pins (`numpy=1.26.4`; `==` for a
    shorter version, which `=` would take as a prefix: `pytz==2024.2`): its channel and name
    kept, its version constraint and build string replaced. None when `text` is no spec or its
    constraint excludes `version`."""
    match = re.fullmatch(_CONDA_SPEC, text.strip())
    if match is None or not _conda_allows(match["rest"], version):
        return None
    operator = "=" if version.count(".") >= 2 else "=="
    return f"{text[: match.end('name')]}{operator}{version}"


def _conda_allows(constraint: str, version: str) -> bool:
    """Whether a conda version constraint (`>=1.2,<2`, `1.2.*`, `=1.2` meaning 1.2.*, `==1.2.3`,
    none) admits `version`; a constraint read no further (`1.2|1.4`) admits nothing."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion

    words = constraint.split()
    if not words:
        return True
    text = words[0]
    if not text.startswith(("==", "<", ">", "!", "~")):  # `=1.2`, `1.2`: that release and after
        text = "==" + text.lstrip("=").removesuffix("*").removesuffix(".") + ".*"
    try:
        return SpecifierSet(text).contains(version, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False

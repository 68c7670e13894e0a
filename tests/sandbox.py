"""The test session's sandbox: the tests never write to the user's home.

tests/conftest.py enters it when pytest configures, before collection and before any fixture of
any scope, so a module- or session-scoped fixture is as isolated as a test: HOME becomes an empty
temporary directory, and the variables that would send a tool elsewhere (the XDG directories,
IPython's and Jupyter's, pre-commit's and matplotlib's) are dropped, so that every tool the tests
run (nbcheck's cache, IPython's history, Jupyter's runtime files, MLflow's, pre-commit's
environments) writes into that directory. The user's MLflow settings (`MLFLOW_TRACKING_URI`...)
are dropped too: no test logs a run to the user's tracking server. Subprocesses inherit all of it.

What the tests only read is kept: the user's pip configuration (the package index of the tests
that install packages) through `PIP_CONFIG_FILE`. And the steps that build something rather than
test it (the JupyterLab bundle) run with the user's own variables, `user_environment()`, to reuse
their caches.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile

DROPPED = (
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "IPYTHONDIR",
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR",
    "MPLCONFIGDIR",
    "PRE_COMMIT_HOME",
)
# The user's values of what the sandbox changes, as JSON: set by the first pytest process, so that
# pytest-xdist's workers (which start inside it) still know them.
USER_VALUES = "NB_DISCIPLINE_TESTS_USER_VALUES"


def _pip_configuration() -> str | None:
    """The user's pip configuration file, where pip looks for it (`pip config debug`)."""
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    for path in (
        os.path.join(config_home, "pip", "pip.conf"),
        os.path.expanduser("~/.pip/pip.conf"),
    ):
        if os.path.isfile(path):
            return path
    return None


def enter() -> None:
    """Sandbox this process and its children until it exits."""
    changed = ["HOME", *DROPPED, *(name for name in os.environ if name.startswith("MLFLOW_"))]
    if USER_VALUES not in os.environ:
        os.environ[USER_VALUES] = json.dumps({name: os.environ.get(name) for name in changed})
        pip_configuration = _pip_configuration()
        if pip_configuration and "PIP_CONFIG_FILE" not in os.environ:
            os.environ["PIP_CONFIG_FILE"] = pip_configuration
    home = tempfile.mkdtemp(prefix="nb-discipline-tests-home-")
    # Removed at exit, after the exit handlers registered later (IPython's writes its history).
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    os.environ["HOME"] = home
    for name in changed[1:]:
        os.environ.pop(name, None)


def user_environment() -> dict[str, str]:
    """The environment as the user started the tests, for the build steps."""
    environment = dict(os.environ)
    for name, value in json.loads(environment.pop(USER_VALUES)).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment

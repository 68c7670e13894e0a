"""Build hook: hatch-jupyter-builder's, which builds the JupyterLab bundle with Node, except when
pre-commit installs nbcheck as a hook.

pre-commit installs hooks from a git checkout, where the bundle is never committed, into an
environment of its own (`<cache>/repo<id>/py_env-<python>`) that only ever runs `nbcheck`. Building
the bundle there would need Node on every machine that commits, and minutes of `jlpm install`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hatch_jupyter_builder.plugin import JupyterBuildHook


def is_pre_commit_environment() -> bool:
    prefix = Path(sys.prefix)
    return prefix.name.startswith("py_env-") and prefix.parent.name.startswith("repo")


class CustomBuildHook(JupyterBuildHook):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if is_pre_commit_environment():
            self._skipped = True  # also skips the ensured-targets check in finalize()
            return
        super().initialize(version, build_data)


def get_build_hook() -> type[CustomBuildHook]:
    """hatch's pick among the hook classes this file holds (it imports JupyterBuildHook too)."""
    return CustomBuildHook

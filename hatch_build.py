"""Build hook: hatch-jupyter-builder's, which builds the JupyterLab bundle with Node for a wheel or
an sdist (a release, `pip install .`), except where nothing needs the bundle.

- An editable install (`pip install -e .`, the README's first command) needs only nbcheck, and a
  first build of the bundle costs minutes (`jlpm install` fetches about 104 MB of packages, then
  rspack), hidden behind pip's "Preparing editable metadata". It never runs Node: the browser
  tests build the bundle when they need it (tests/browser/conftest.py), and for `jupyter lab` a
  developer builds it by hand (README, "Development install of the extension"). A bundle already
  built is still installed with the package.
- pre-commit installs hooks from a git checkout, where the bundle is never committed, into an
  environment of its own (`<cache>/repo<id>/py_env-<python>`) that only ever runs `nbcheck`.
  Building the bundle there would need Node on every machine that commits.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hatch_jupyter_builder.plugin import JupyterBuildHook

BUNDLE = "nb_discipline/labextension"
HOW_TO_BUILD = "cd labextension && jlpm install && jlpm build"


def is_pre_commit_environment() -> bool:
    prefix = Path(sys.prefix)
    return prefix.name.startswith("py_env-") and prefix.parent.name.startswith("repo")


class CustomBuildHook(JupyterBuildHook):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            self._skipped = True  # what the parent class sets when it builds nothing
            if (Path(self.root) / BUNDLE / "package.json").exists():
                self.app.display_info(
                    f"nb-discipline: installing the JupyterLab extension as built in {BUNDLE}, "
                    f"not rebuilt ({HOW_TO_BUILD} rebuilds it)"
                )
            else:
                self.app.display_warning(
                    "nb-discipline: an editable install does not build the JupyterLab extension; "
                    f"to use it in JupyterLab: {HOW_TO_BUILD}, then install again"
                )
            return
        if is_pre_commit_environment():
            self._skipped = True
            return
        super().initialize(version, build_data)


def get_build_hook() -> type[CustomBuildHook]:
    """hatch's pick among the hook classes this file holds (it imports JupyterBuildHook too)."""
    return CustomBuildHook

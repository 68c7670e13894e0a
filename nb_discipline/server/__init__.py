"""The jupyter_server extension: authenticated REST endpoints over the same core as `nbcheck`.

Enabled by jupyter-config/jupyter_server_config.d/nb_discipline.json (installed with the package):

- `POST /nb-discipline/check`: the diagnostics of the notebook JSON the browser holds
- `GET /nb-discipline/rules`: every rule with its documentation
- `POST /nb-discipline/repro`, `GET|DELETE /nb-discipline/repro/<job>`: the reproducibility check
  of a saved notebook as a background job

The extension is an ExtensionApp so that the server's shutdown reaches it (`stop_extension`, run
while the server stops, before the interpreter exits): it cancels the running jobs there. An
`atexit` hook would come too late: Python first joins the threads of every ThreadPoolExecutor, and
a job's thread would go on running, and even start its next run.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.extension.application import ExtensionApp


class NbDisciplineExtension(ExtensionApp):
    name = "nb_discipline"

    def initialize_handlers(self) -> None:
        from .handlers import setup_handlers

        setup_handlers(self.serverapp.web_app)
        self.log.info("nb-discipline: /nb-discipline endpoints enabled")

    async def stop_extension(self) -> None:
        jobs = self.serverapp.web_app.settings.get("nb_discipline_jobs")
        if jobs is not None:
            await asyncio.get_running_loop().run_in_executor(None, jobs.cancel_all)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "nb_discipline.server", "app": NbDisciplineExtension}]

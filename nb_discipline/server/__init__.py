"""The jupyter_server extension: authenticated REST endpoints over the same core as `nbcheck`.

Enabled by jupyter-config/jupyter_server_config.d/nb_discipline.json (installed with the package):

- `POST /nb-discipline/check`: the diagnostics of the notebook JSON the browser holds
- `GET /nb-discipline/rules`: every rule with its documentation
- `POST /nb-discipline/repro`, `GET|DELETE /nb-discipline/repro/<job>`: the reproducibility check
  of a saved notebook as a background job
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "nb_discipline.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from .handlers import setup_handlers

    setup_handlers(server_app.web_app)
    server_app.log.info("nb-discipline: /nb-discipline endpoints enabled")

"""jupyter_server extension of kfsm_lab: REST routes under ``/kfsm-lab/`` for the lab extension."""

from __future__ import annotations

from typing import Any

from .config import KfsmLab

__all__ = ["KfsmLab", "load_jupyter_server_extension"]


def load_jupyter_server_extension(server_app: Any) -> None:
    """Read ``c.KfsmLab.*`` from the server's config and register the handlers."""
    from .handlers import setup_handlers

    config = KfsmLab(parent=server_app)
    setup_handlers(server_app.web_app, config)
    try:
        settings = config.load()
        server_app.log.info("kfsm_lab server extension loaded (target=%s, region=%s)",
                            settings.target, settings.region)
        if settings.target == "local":
            _point_kfp_links_here(server_app)
    except Exception as err:  # noqa: BLE001 - a bad setting must not stop the server; routes report it as JSON
        server_app.log.error("kfsm_lab settings are invalid: %s", err)


def _point_kfp_links_here(server_app: Any) -> None:
    """Kernels inherit the server's environment: kfp.Client's run and experiment links then open the
    kit's run page under this server (the origin Binder exposes), not the local API's own port."""
    import os

    from jupyter_server.utils import url_path_join

    os.environ.setdefault("KF_PIPELINES_UI_ENDPOINT", url_path_join(server_app.connection_url, "kfsm-lab", "ui"))

"""The run page outside the Lab shell: ``<base_url>/kfsm-lab/ui/`` with KFP-style fragments.

``#/runs/details/<id>`` and ``#/experiments/details/<id>`` are the fragments Kubeflow's own UI
uses, so ``kfp.Client``'s links land here when ``KF_PIPELINES_UI_ENDPOINT`` points at this page.
The page is the same code as the Lab's run page, bundled on its own (``static/``); it follows the
Lab's theme and language settings. A browser without a login is sent to the server's login page.
"""

from __future__ import annotations

import html
import json
import mimetypes
import os
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join

STATIC_DIR = Path(__file__).resolve().parent / "static"
BUNDLE = "runpage.js"
UI_ENV = "KF_PIPELINES_UI_ENDPOINT"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pipeline run · kfsm_lab</title>
<script id="jupyter-config-data" type="application/json">{config}</script>
<script src="{bundle}" defer></script>
</head>
<body class="kfsm-lab-standalone">
<main id="kfsm-lab-root" class="kfsm-lab-standalone-root">
<noscript>This page needs JavaScript.</noscript>
<p class="kfsm-lab-missing" hidden>{missing}</p>
</main>
</body>
</html>
"""


def ui_path(base_url: str) -> str:
    """``<base_url>/kfsm-lab/ui`` (no trailing slash, as KFP expects its UI prefix)."""
    return url_path_join(base_url, "kfsm-lab", "ui").rstrip("/")


class _UiHandler(JupyterHandler):
    """A browser without a login is sent to the login page; anything else without one gets a plain 403."""

    async def prepare(self) -> None:  # type: ignore[override]
        wants_page = "text/html" in self.request.headers.get("Accept", "") and self.request.method == "GET"
        await super().prepare(_redirect_to_login=wants_page and self.redirects_to_login)

    redirects_to_login = True


class UiPageHandler(_UiHandler):
    """The standalone page (HTML); its data comes from the authenticated JSON routes."""

    @tornado.web.authenticated
    def get(self) -> None:
        _ = self.xsrf_token  # sets the _xsrf cookie the page's POSTs (terminate, re-run) send back
        base = self.settings["base_url"]
        # appUrl is relative to baseUrl, as in JupyterLab's own page config
        config = {"baseUrl": base, "appUrl": "/lab", "translationsApiUrl": "/lab/api/translations",
                  "kfsmStandalone": True,
                  "kfsmUiPath": ui_path(base)}
        bundle_ok = (STATIC_DIR / BUNDLE).is_file()
        page = _PAGE.format(
            config=html.escape(json.dumps(config), quote=False).replace("</", "<\\/"),
            bundle=html.escape(url_path_join(base, "kfsm-lab", "ui", "static", BUNDLE)),
            missing="" if bundle_ok else "The run page was not built: reinstall kfsm_lab.")
        if not bundle_ok:
            page = page.replace(" hidden>", ">")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(page)


class UiRedirectHandler(_UiHandler):
    """``…/ui`` → ``…/ui/`` (the browser keeps the ``#/runs/details/…`` fragment)."""

    @tornado.web.authenticated
    def get(self) -> None:
        self.redirect(url_path_join(self.settings["base_url"], "kfsm-lab", "ui") + "/")


class UiStaticHandler(_UiHandler):
    """The page's script and styles (only files of the built bundle; no path outside it)."""

    redirects_to_login = False

    @tornado.web.authenticated
    def get(self, name: str) -> None:
        path = (STATIC_DIR / name).resolve()
        if path.parent != STATIC_DIR.resolve() or not path.is_file():
            raise tornado.web.HTTPError(404, f"no such file of the run page: {name}")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.set_header("Content-Type", f"{kind}; charset=utf-8" if kind.startswith(("text/", "application/j"))
                        else kind)
        self.set_header("Cache-Control", "no-cache")
        self.finish(path.read_bytes())


def routes(base: str) -> list[tuple[str, Any]]:
    return [
        (url_path_join(base, "ui"), UiRedirectHandler),
        (url_path_join(base, "ui") + "/", UiPageHandler),
        (url_path_join(base, "ui", "static", r"([A-Za-z0-9_.-]+)"), UiStaticHandler),
    ]


def point_kfp_links_here(base_url: str, target: str | None) -> None:
    """On the local target, make ``kfp.Client`` in this server's kernels link to this page.

    Kernels inherit the server's environment; a value the user set is kept.
    """
    if target == "local" and not os.environ.get(UI_ENV):
        os.environ[UI_ENV] = ui_path(base_url)

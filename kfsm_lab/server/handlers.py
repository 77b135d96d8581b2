"""Authenticated REST routes under ``/kfsm-lab/`` for the lab extension.

Every verb is ``@tornado.web.authenticated``; APIHandler adds the XSRF check on writes. Slow work
(boto3, run records) runs in a worker thread so the server's event loop never waits on AWS.
Errors are JSON ``{"error", "message", "hint"}`` with a status code that says whose move it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from .._version import __version__
from ..errors import KfsmError, ValidationError
from . import endpoints, notebooks, runs
from .config import KfsmLab
from .errors import status_for

log = logging.getLogger(__name__)

NAMESPACE = "kfsm-lab"
SETTINGS_KEY = "kfsm_lab"


class _ClientCache:
    """One SageMaker client and one recent endpoint listing per (target, region).

    boto3 clients are thread-safe and costly to build; the listing is shared by every browser tab
    polling the status bar for ``cache_seconds``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._listings: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    def sagemaker(self, settings: Any) -> Any:
        from .. import aws

        endpoint = ""
        if settings.target == "local":
            from ..localcloud import ensure_running

            endpoint = ensure_running().endpoint_url
        key = (settings.target, settings.region, endpoint)
        with self._lock:
            client = self._clients.get(key)
        if client is None:
            client = aws.client(settings, "sagemaker")
            with self._lock:
                self._clients[key] = client
        return client

    def listing(self, key: tuple[str, str], max_age: float) -> dict[str, Any] | None:
        with self._lock:
            hit = self._listings.get(key)
        return hit[1] if hit and time.monotonic() - hit[0] < max_age else None

    def store(self, key: tuple[str, str], value: dict[str, Any]) -> None:
        with self._lock:
            self._listings[key] = (time.monotonic(), value)

    def forget(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._listings.pop(key, None)


def _local_cloud_running() -> bool:
    """Whether the local cloud runs now: the cost guard must not start one just to count endpoints."""
    try:
        from ..localcloud import status
    except ImportError as exc:
        raise KfsmError(f"the local cloud cannot be loaded ({exc})",
                        "reinstall kfsm_lab, or set c.KfsmLab.target = 'aws'") from exc
    return status() is not None


class KfsmHandler(APIHandler):
    """Shared plumbing: settings, JSON replies, kit errors as JSON."""

    @property
    def kfsm(self) -> dict[str, Any]:
        return self.settings[SETTINGS_KEY]

    @property
    def config_object(self) -> KfsmLab:
        return self.kfsm["config"]

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    def reply_error(self, err: KfsmError) -> None:
        self.reply(err.to_dict(), status_for(err))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Unexpected failures also come back as the kit's JSON shape (no traceback to the browser)."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, tornado.web.HTTPError):
            message = exc.log_message or self._reason
        else:
            message = f"{type(exc).__name__}: {exc}" if exc else self._reason
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": "HTTPError" if isinstance(exc, tornado.web.HTTPError) else "ServerError",
                                "message": message, "hint": None}))

    async def run_kit(self, func: Any, *args: Any) -> Any:
        """Run blocking kit code in a thread; kit errors become JSON replies (returns None then)."""
        try:
            return await asyncio.to_thread(func, *args)
        except KfsmError as err:
            self.reply_error(err)
            return None


class VersionHandler(KfsmHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        info: dict[str, Any] = {"name": "kfsm_lab", "version": __version__}
        try:
            settings = self.config_object.load()
            info.update(target=settings.target, region=settings.region)
        except KfsmError as err:
            info["settings_error"] = err.to_dict()
        self.reply(info)


class EndpointsHandler(KfsmHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        fresh = self.get_query_argument("fresh", "0") in ("1", "true")
        result = await self.run_kit(self._list, fresh)
        if result is not None:
            self.reply(result)

    def _list(self, fresh: bool) -> dict[str, Any]:
        settings = self.config_object.load()
        key = (settings.target, settings.region)
        cache: _ClientCache = self.kfsm["cache"]
        if not fresh:
            hit = cache.listing(key, self.config_object.cache_seconds)
            if hit is not None:
                return {**hit, "cached": True}
        if settings.target == "local" and not _local_cloud_running():
            from .. import pricing

            result = {"target": "local", "region": settings.region, "count": 0, "endpoints": [],
                      "cost": pricing.estimate([], settings.region), "scanned": 0,
                      "note": "The local cloud is not running, so no endpoint is live."}
        else:
            result = endpoints.list_kit_endpoints(cache.sagemaker(settings), settings.region, settings.target)
        result["checked_at"] = time.time()
        cache.store(key, result)
        return {**result, "cached": False}


class EndpointHandler(KfsmHandler):
    @tornado.web.authenticated
    async def delete(self, name: str) -> None:
        result = await self.run_kit(self._delete, name)
        if result is not None:
            self.reply(result)

    def _delete(self, name: str) -> dict[str, Any]:
        if not name or len(name) > 63 or not all(c.isalnum() or c == "-" for c in name):
            raise ValidationError("endpoint name", name, "must be 1-63 letters, digits or hyphens")
        settings = self.config_object.load()
        cache: _ClientCache = self.kfsm["cache"]
        if settings.target == "local" and not _local_cloud_running():
            from .errors import NotFoundError

            raise NotFoundError(f"endpoint {name!r} does not exist: the local cloud is not running",
                                "start it with `kfsm-lab local start`")
        result = endpoints.delete_kit_endpoint(cache.sagemaker(settings), name)
        cache.forget((settings.target, settings.region))
        return result


class RunsHandler(KfsmHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        raw = self.get_query_argument("limit", "20")
        try:
            limit = int(raw)
            if not 1 <= limit <= 200:
                raise ValueError
        except ValueError:
            self.reply_error(ValidationError("limit", raw, "must be a whole number from 1 to 200"))
            return
        result = await self.run_kit(runs.recent_runs, limit)
        if result is not None:
            self.reply({"runs": result})


class NotebookOpenHandler(KfsmHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            self.reply_error(ValidationError("body", None, "must be JSON like {\"path\": \"\", \"lang\": \"en\"}"))
            return
        if not isinstance(body, dict):
            self.reply_error(ValidationError("body", body, "must be a JSON object"))
            return
        try:
            result = await notebooks.open_notebook(self.contents_manager, body.get("path"), body.get("lang"),
                                                   self.config_object.notebooks_path())
        except KfsmError as err:
            self.reply_error(err)
            return
        self.reply(result)


def setup_handlers(web_app: Any, config: KfsmLab) -> None:
    """Register the routes under ``<base_url>/kfsm-lab/``."""
    from . import run_handlers, ui
    from .watch import RunWatches

    web_app.settings[SETTINGS_KEY] = {"config": config, "cache": _ClientCache()}
    web_app.settings[run_handlers.WATCHES_KEY] = RunWatches()
    base = url_path_join(web_app.settings["base_url"], NAMESPACE)
    web_app.add_handlers(".*$", [
        (url_path_join(base, "version"), VersionHandler),
        (url_path_join(base, "endpoints"), EndpointsHandler),
        (url_path_join(base, "endpoints", r"([^/]+)"), EndpointHandler),
        (url_path_join(base, "runs"), RunsHandler),
        (url_path_join(base, "notebooks", "open"), NotebookOpenHandler),
        *run_handlers.routes(base),
        *ui.routes(base),
    ])

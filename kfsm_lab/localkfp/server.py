"""The local Kubeflow Pipelines' HTTP server: :class:`.api.LocalKfpApp` on 127.0.0.1, in the local cloud process."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from ..localcloud.constants import SHUTDOWN_POLL_SECONDS
from ..localcloud.peer import SameUserHandlerMixin
from .api import LocalKfpApp

SPARE_AFTER_SECONDS = 8.0  # the spare runner starts by then even if no client has asked the API anything


class _QuietHandler(SameUserHandlerMixin, WSGIRequestHandler):
    """Notes the peer's uid on each connection (the app refuses other local users in KFP's error shape)."""

    refuse_other_users = False

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # kfp.Client polls; no line per request
        pass


class LocalKfpServer:
    """Serve the local KFP API next to the local cloud (``cloud_endpoint``) on its own port."""

    def __init__(self, cloud_endpoint: str, region: str, host: str = "127.0.0.1", port: int = 0) -> None:
        from ..localcloud.server import check_loopback

        self.host = check_loopback(host)
        self.app = LocalKfpApp(cloud_endpoint, region)
        self.httpd = make_server(self.host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.port = self.httpd.server_address[1]
        self.app.origin = self.endpoint_url
        self._thread: threading.Thread | None = None
        self._later: threading.Timer | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> LocalKfpServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(SHUTDOWN_POLL_SECONDS,), daemon=True,
                                        name="kfsm-localkfp")
        self._thread.start()
        self._later = threading.Timer(SPARE_AFTER_SECONDS, self.app.start_spare)
        self._later.daemon = True
        self._later.start()
        return self

    def shutdown(self) -> None:
        if self._later is not None:
            self._later.cancel()
        if self.app.spare is not None:
            self.app.spare.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

"""The local cloud's HTTP front door: one WSGI app on 127.0.0.1 for every service.

Dispatch order for each request:

1. the door (:mod:`.door`): another local user's connection is refused; a CORS preflight gets a
   grant only for a configured origin; ``/_kfsm/*`` admin routes (health, stats, pace, faults,
   state) need the admin token; everything else needs a valid Signature V4 by a key this cloud issued,
2. fault hook (:meth:`LocalCloudApp.fault_for`: throttling, 5xx or slow responses armed through
   ``/_kfsm/faults``, see :mod:`.faults`),
3. SageMaker control plane (``X-Amz-Target: SageMaker.*``) and runtime
   (``POST /endpoints/<name>/invocations``), served by :mod:`.sagemaker`,
4. everything else to moto's own WSGI dispatcher in this process (S3, IAM, STS, Logs, …), whose
   state :mod:`.persistence` keeps in the state folder.

Requests are counted per ``service.Operation`` unless they come from the emulation itself, and
so are the access key ids that signed them — as SHA-256 fingerprints, never the ids themselves —
so a test can prove from the cloud's side which credentials reached it.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import math
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from .constants import (
    ACCOUNT_ID,
    ADMIN_PREFIX,
    DEFAULT_REGION,
    DEFAULT_SOCKET_TIMEOUT,
    INTERNAL_HEADER,
    SERVICE_NAME,
    SHUTDOWN_POLL_SECONDS,
    SOCKET_TIMEOUT_ENV,
)
from .iam_partitions import defer_other_partitions, ensure_policies

INVOCATION_RE = re.compile(r"^/endpoints/([^/]+)/invocations$")
INTERNAL_ENV = "HTTP_" + INTERNAL_HEADER.upper().replace("-", "_")
_SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_KEY_RE = re.compile(r"Credential=([^/,\s]+)/")

StartResponse = Callable[..., Any]


def check_loopback(host: str) -> str:
    """Refuse anything but a loopback address: the local cloud serves one local user, never the network."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    from ..errors import ValidationError

    raise ValidationError("host", host, "the local cloud binds only to a loopback address",
                          "use 127.0.0.1 (the local cloud is for the user who starts it; it must not be reachable "
                          "from the network)")


def _scope(environ: dict[str, Any]) -> tuple[str | None, str | None]:
    """``(region, service)`` of the SigV4 credential scope (header, or query for presigned URLs)."""
    m = _SCOPE_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if m is None and "X-Amz-Credential=" in environ.get("QUERY_STRING", ""):
        cred = parse_qs(environ["QUERY_STRING"]).get("X-Amz-Credential", [""])[0]
        m = _SCOPE_RE.search("Credential=" + cred + "/aws4_request" if not cred.endswith("aws4_request")
                             else "Credential=" + cred)
    return (m.group(1), m.group(2)) if m else (None, None)


def _s3_operation(method: str, path: str, query: str, environ: dict[str, Any]) -> str:
    parts = [p for p in path.split("/") if p]
    q = parse_qs(query, keep_blank_values=True)
    if not parts:
        return "ListBuckets"
    if len(parts) == 1:
        if method == "GET":
            return "ListObjectsV2" if q.get("list-type") == ["2"] else (
                "GetBucketLocation" if "location" in q else "ListObjects")
        return {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket",
                "POST": "DeleteObjects" if "delete" in q else "PostBucket"}.get(method, method)
    if method == "PUT":
        if "uploadId" in q:
            return "UploadPart"
        return "CopyObject" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "PutObject"
    if method == "POST":
        return "CreateMultipartUpload" if "uploads" in q else "CompleteMultipartUpload"
    return {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(method, method)


def fingerprint(secret: str) -> str:
    """A short one-way fingerprint of a credential (what the stats show instead of the value)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _access_key(environ: dict[str, Any]) -> str | None:
    """The access key id that signed the request (SigV4 header, SigV4 or SigV2 presigned query)."""
    m = _KEY_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if m:
        return m.group(1)
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if auth.startswith("AWS "):  # SigV2 header
        return auth[4:].split(":", 1)[0] or None
    q = parse_qs(environ.get("QUERY_STRING", ""))
    cred = (q.get("X-Amz-Credential") or [""])[0]
    if cred:
        return cred.split("/", 1)[0]
    return (q.get("AWSAccessKeyId") or [None])[0]


class Stats:
    """Request counts per ``service.Operation`` and per signing key fingerprint since start (or reset)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._keys: Counter[str] = Counter()
        self._tokens: Counter[str] = Counter()
        self.since = time.time()

    def add(self, key: str, environ: dict[str, Any] | None = None) -> None:
        access_key = _access_key(environ) if environ is not None else None
        token = (environ or {}).get("HTTP_X_AMZ_SECURITY_TOKEN") or \
            (parse_qs((environ or {}).get("QUERY_STRING", "")).get("X-Amz-Security-Token") or [None])[0]
        with self._lock:
            self._counts[key] += 1
            if access_key:
                self._keys[fingerprint(access_key)] += 1
            if token:
                self._tokens[fingerprint(token)] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            counts = dict(sorted(self._counts.items()))
            keys = dict(sorted(self._keys.items()))
            tokens = dict(sorted(self._tokens.items()))
        return {"since": self.since, "total": sum(counts.values()), "requests": counts,
                "access_key_fingerprints": keys, "session_token_fingerprints": tokens}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._keys.clear()
            self._tokens.clear()
            self.since = time.time()


class LocalCloudApp:
    """The WSGI application. Build with :func:`build_app`."""

    def __init__(self, moto_app: Callable, sagemaker: Any, pace: Any, region: str, door: Any, faults: Any,
                 persistence: Any = None) -> None:
        self.moto_app = moto_app
        self.sagemaker = sagemaker
        self.pace = pace
        self.region = region
        self.door = door
        self.persistence = persistence
        self.stats = Stats()
        self.started = time.time()
        self.last_request = time.time()  # the last client request (not the emulation's own): idle shutdown
        self.instance_id = uuid.uuid4().hex  # this process; ``state_id`` (persistence) outlives it
        self.kfp_endpoint = ""  # the local Kubeflow Pipelines API beside it (set before it serves)
        self.faults = faults  # the same table the SageMaker service was built with

    @property
    def state_id(self) -> str:
        return self.persistence.state_id if self.persistence is not None else self.instance_id

    # -- fault injection ----------------------------------------------------------------------------
    def fault_for(self, service: str, operation: str, environ: dict[str, Any]
                  ) -> tuple[int, dict[str, str], bytes] | None:
        """A canned failure for this client request (after any injected delay), or None to serve it.

        The emulation's own calls (``X-Kfsm-Internal``) are never faulted: a fault models the
        service misbehaving towards its client, not the service breaking itself.
        """
        if environ.get("kfsm.internal"):
            return None
        return self.faults.for_request(service, operation)

    # -- dispatch -------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        from .door import request_protocol

        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")

        def reply(status: int, headers: dict[str, str], body: bytes) -> list[bytes]:
            return self._reply(start_response, status, headers, body, environ)

        is_admin = path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")
        signing_name, proto = request_protocol(environ, path, method)
        refused = self.door.other_user(environ, "rest-json" if is_admin else proto)
        if refused is not None:
            return reply(*refused)
        if method == "OPTIONS" and environ.get("HTTP_ORIGIN") and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
            return reply(*self.door.preflight(environ))
        if is_admin:
            return reply(*(self.door.admin(environ, method) or self._admin(method, path, environ)))
        if path.startswith("/moto-api"):  # moto's own admin (reset, a dump of every secret) is not served
            return reply(*_json(404, {"error": "not found; the local cloud's admin routes are under /_kfsm/"}))
        try:
            body = _body(environ)
        except ValueError as exc:
            from .door import render

            return reply(*render(proto, 400, "InvalidRequest" if proto == "s3" else "SerializationException",
                                 str(exc)))
        caller, refused = self.door.signature(environ, signing_name, proto, body)
        if refused is not None:
            return reply(*refused)
        internal = bool(caller is not None and caller.is_root and environ.get(INTERNAL_ENV))
        environ["kfsm.internal"] = internal
        environ["kfsm.signing_service"] = caller.service if caller is not None else ""
        service, operation, kind = self._classify(environ, path, method)
        if not internal:
            self.stats.add(f"{service}.{operation}", environ)
            self.last_request = time.time()
        fault = self.fault_for(service, operation, environ)
        if fault is not None:
            return reply(*fault)
        if kind == "sagemaker":
            region = _scope(environ)[0] or self.region
            return reply(*self.sagemaker.handle_control(operation, body, region))
        if kind == "runtime":
            region = _scope(environ)[0] or self.region
            headers = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
            if environ.get("CONTENT_TYPE"):
                headers["content-type"] = environ["CONTENT_TYPE"]
            name = unquote(INVOCATION_RE.match(path).group(1))  # type: ignore[union-attr]
            return reply(*self.sagemaker.handle_invocation(name, body, headers, region))
        ensure_policies(ACCOUNT_ID, _scope(environ)[0])  # a request in aws-cn, aws-us-gov, ...: see iam_partitions
        return self._moto(environ, start_response, service, operation, method)

    def _moto(self, environ: dict[str, Any], start_response: StartResponse, service: str, operation: str,
              method: str) -> Iterable[bytes]:
        """moto answers; its CORS headers are dropped; a change is noted for the next save."""
        from .persistence import changes_state

        def filtered(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, self.door.response_headers(environ, headers), exc_info)

        if self.persistence is None:
            return self.moto_app(environ, filtered)
        with self.persistence.gate.shared():
            result = self.moto_app(environ, filtered)
            out = list(result)
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if changes_state(service, operation, method):
            self.persistence.touched(service)
        return out

    def _classify(self, environ: dict[str, Any], path: str, method: str) -> tuple[str, str, str]:
        """``(service, operation, kind)`` where kind says who serves it: sagemaker, runtime or moto."""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("SageMaker."):
            return "sagemaker", target.split(".", 1)[1], "sagemaker"
        if method == "POST" and INVOCATION_RE.match(path):
            return "sagemaker-runtime", "InvokeEndpoint", "runtime"
        service = environ.get("kfsm.signing_service") or _scope(environ)[1] or "unknown"
        if target:
            return service, target.rsplit(".", 1)[-1], "moto"
        if service == "s3":
            return "s3", _s3_operation(method, path, environ.get("QUERY_STRING", ""), environ), "moto"
        action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
        if not action and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            body = _body(environ)
            action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        return service, (action[0] if action else f"{method} {path.split('?')[0]}"), "moto"

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "service": SERVICE_NAME, "pid": os.getpid(), "pace": self.pace.seconds,
                "region": self.region, "account": ACCOUNT_ID, "uptime": time.time() - self.started,
                "started_at": self.started, "instance_id": self.instance_id, "state_id": self.state_id,
                "idle_seconds": time.time() - self.last_request,
                "persistent": self.persistence is not None, "kfp_endpoint": self.kfp_endpoint}

    def _admin(self, method: str, path: str, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        route = path[len(ADMIN_PREFIX):]
        if route == "/health" and method == "GET":
            return _json(200, self.health())
        if route == "/stats" and method == "GET":
            from .. import heap

            return _json(200, {**self.stats.snapshot(), "refused": dict(sorted(self.door.refused.items())),
                               "heap": heap.stats()})
        if route == "/stats/reset" and method == "POST":
            self.stats.reset()
            return _json(200, self.stats.snapshot())
        if route == "/pace" and method in ("GET", "POST"):
            if method == "POST":
                from ..validation import pace as check_pace

                try:
                    body = json.loads(_body(environ) or b"{}")
                    value = check_pace(body.get("pace") if isinstance(body, dict) else None)
                except (ValueError, TypeError) as exc:  # ValidationError is a ValueError
                    detail = getattr(exc, "message", None) or "the body is not JSON"
                    return _json(400, {"error": f'send {{"pace": <seconds from 0 to 60>}} ({detail})'})
                self.pace.seconds = value
            return _json(200, {"pace": self.pace.seconds})
        if route == "/faults":
            return self._faults_route(method, environ)
        if route == "/state" and method == "GET":
            return _json(200, self.persistence.snapshot() if self.persistence else {"persistent": False})
        if route == "/state/save" and method == "POST":
            if self.persistence is None:
                return _json(409, {"error": "this local cloud keeps no state (it was started without a state folder)"})
            written = self.persistence.save(force=True)
            return _json(200, {"written": written, **self.persistence.snapshot()})
        return _json(404, {"error": f"no admin route {method} {path}",
                           "routes": ["GET /_kfsm/health", "GET /_kfsm/stats", "POST /_kfsm/stats/reset",
                                      "GET|POST /_kfsm/pace", "GET|POST|DELETE /_kfsm/faults", "GET /_kfsm/state",
                                      "POST /_kfsm/state/save"]})

    def _faults_route(self, method: str, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        """GET lists the armed faults and what fired; POST arms one; DELETE clears them all."""
        from .faults import FaultError, parse

        if method == "GET":
            return _json(200, self.faults.snapshot())
        if method == "DELETE":
            return _json(200, {"cleared": self.faults.clear(), **self.faults.snapshot()})
        if method == "POST":
            try:
                fault = parse(json.loads(_body(environ) or b"{}"))
            except (ValueError, RecursionError) as exc:  # FaultError or bad JSON
                msg = str(exc) if isinstance(exc, FaultError) else "the body is not JSON"
                return _json(400, {"error": msg, "example": {"operation": "sagemaker.DescribeTrainingJob",
                                                              "kind": "throttle", "count": 3}})
            self.faults.add(fault)
            return _json(200, {"armed": fault.id, **self.faults.snapshot()})
        return _json(405, {"error": f"{method} is not allowed on /_kfsm/faults; use GET, POST or DELETE"})

    def _reply(self, start_response: StartResponse, status: int, headers: dict[str, str], body: bytes,
               environ: dict[str, Any]) -> list[bytes]:
        from http import HTTPStatus

        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        hdrs = [(k, v) for k, v in headers.items()]
        hdrs.append(("Content-Length", str(len(body))))
        hdrs.append(("x-amzn-RequestId", _request_id()))
        start_response(f"{status} {phrase}", self.door.response_headers(environ, hdrs))
        return [body]


def _request_id() -> str:
    return str(uuid.uuid4())


def _json(status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


def _body(environ: dict[str, Any]) -> bytes:
    """Read the request body once and put it back, so moto can read it again.

    A chunked transfer (no Content-Length) is read to its end; a Content-Length that is not a
    number is a client error (ValueError).
    """
    cached = environ.get("kfsm.body")
    if cached is not None:
        return cached
    import io

    raw_length = (environ.get("CONTENT_LENGTH") or "").strip()
    if environ.get("wsgi.input_terminated") and not raw_length:
        body = environ["wsgi.input"].read()
    else:
        try:
            length = int(raw_length or 0)
        except ValueError:
            raise ValueError(f"Content-Length {raw_length!r} is not a number") from None
        if length < 0:
            raise ValueError(f"Content-Length {raw_length!r} is negative")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    # the stream now ends where the body does: werkzeug reads it as it is (one read of a BytesIO at its start
    # hands back ``body`` itself) instead of wrapping it in a LimitedStream that copies it 64 KB at a time
    # (12 ms of the local cloud's time per 11 MB PutObject)
    environ["wsgi.input_terminated"] = True
    environ["kfsm.body"] = body
    return body


def build_app(endpoint_url: str, pace_seconds: float = 0.0, region: str = DEFAULT_REGION, keys: Any = None,
              persist_dir: Path | None = None) -> LocalCloudApp:
    """moto's dispatcher plus the SageMaker emulation, wired to call back into ``endpoint_url``.

    ``keys`` (:class:`.keys.RootKeys`) are the ones the door accepts and the emulation signs its own
    calls with; ``persist_dir`` makes the cloud keep its state there (moto's part is loaded here,
    before anything is served; SageMaker's once the server answers: see :meth:`LocalCloudServer.start`).
    """
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("MOTO_DISABLE_GLOBAL_CORS", "true")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .door import Door
    from .faults import FaultTable
    from .gateway import Gateway
    from .keys import load_or_create
    from .sagemaker.models import Pace
    from .sagemaker.responses import SageMakerService

    keys = keys if keys is not None else load_or_create()
    pace = Pace(pace_seconds)
    faults = FaultTable()
    service = SageMakerService(ACCOUNT_ID, Gateway(endpoint_url, keys), pace, faults)
    persistence = None
    if persist_dir is not None:
        from .persistence import Persistence

        persistence = Persistence(persist_dir, service)
        persistence.load_moto()
    defer_other_partitions(ACCOUNT_ID)  # after the saved state is back: a partition in use keeps what it has
    return LocalCloudApp(_dispatcher(DomainDispatcherApplication)(create_backend_app), service, pace, region,
                         Door(keys, ACCOUNT_ID), faults, persistence)


def _dispatcher(base: type) -> type:
    """moto's dispatcher with its per-request backend lookup done once per host.

    For every request moto lists its own package folder (~180 ``stat`` calls) to learn its service
    names, twice, under its dispatch lock — ~0.5 ms of each IAM, S3 or STS call. The names do not change
    while the process runs, nor does the backend a host maps to.
    """
    from moto.backends import list_of_moto_modules

    class Dispatcher(base):  # type: ignore[misc, valid-type]
        MAX_HOSTS = 512  # hosts come from signed requests of the local user; still, the memo stays small

        def __init__(self, create_app: Callable) -> None:
            super().__init__(create_app)
            self._modules = frozenset(list_of_moto_modules())
            self._by_host: dict[str, Any] = {}

        def warm(self, service: str) -> None:
            """Build the service's app now (its routes, its response module), not on its first request.

            Built outside the dispatch lock, which every request takes to find its app: IAM's app takes
            ~0.3 s and Logs' ~0.25 s to build (their modules' imports), and a cold setup's first S3 calls
            waited for both under it. A request for the same service meanwhile builds its own (the first
            one kept wins; an app holds routes only, the backends are shared).
            """
            if service in self.app_instances:
                return
            app = self.create_app(service)
            with self.lock:
                self.app_instances.setdefault(service, app)

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None or host == "moto_api":
                return super().get_backend_for_host(host)
            try:
                return self._by_host[host]
            except KeyError:
                pass
            backend = host if host in self._modules else super().get_backend_for_host(host)
            if len(self._by_host) < self.MAX_HOSTS:
                self._by_host[host] = backend
            return backend

    return Dispatcher


def socket_timeout() -> float:
    """Seconds a connection may stay silent (a stalled upload, an idle keep-alive) before it is closed."""
    raw = os.environ.get(SOCKET_TIMEOUT_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_SOCKET_TIMEOUT
    except ValueError:
        return DEFAULT_SOCKET_TIMEOUT
    return value if math.isfinite(value) and value > 0 else DEFAULT_SOCKET_TIMEOUT


def _handler() -> type:
    """moto's request handler, quiet (no log line per request), with the caller's uid and a socket timeout."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    from .peer import SameUserHandlerMixin

    class Handler(SameUserHandlerMixin, MotoRequestHandler):
        refuse_other_users = False  # the app refuses them, in each service's own error shape
        timeout = socket_timeout()

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    return Handler


class LocalCloudServer:
    """A threaded HTTP server around :class:`LocalCloudApp` (in this process; lifecycle runs it detached)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, pace: float = 0.0,
                 region: str = DEFAULT_REGION, keys: Any = None, persist_dir: Path | None = None) -> None:
        from werkzeug.serving import make_server

        self.host = check_loopback(host)
        self._app_ref: dict[str, LocalCloudApp] = {}

        def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            return self._app_ref["app"](environ, start_response)

        self.httpd = make_server(self.host, port, app, threaded=True, request_handler=_handler())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.app = build_app(self.endpoint_url, pace, region, keys, persist_dir)
        self._app_ref["app"] = self.app
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever(SHUTDOWN_POLL_SECONDS)

    def start(self) -> LocalCloudServer:
        """Serve on a daemon thread; then give SageMaker its saved state and start saving."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="kfsm-localcloud")
        self._thread.start()
        if self.app.persistence is not None:
            self.app.persistence.load_sagemaker()
            self.app.persistence.start()
        return self

    def shutdown(self) -> None:
        """Stop serving, then write what changed (clean shutdown keeps everything)."""
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)
        if self.app.persistence is not None:
            with contextlib.suppress(Exception):
                self.app.persistence.close()

"""The local cloud's HTTP front door: one WSGI app on 127.0.0.1 for every service.

Dispatch order for each request:

1. ``/_kfsm/*`` admin routes (health, stats, pace, faults),
2. fault hook (:meth:`LocalCloudApp.fault_for`: throttling, 5xx or slow responses armed through
   ``/_kfsm/faults``, see :mod:`.faults`),
3. SageMaker control plane (``X-Amz-Target: SageMaker.*``) and runtime
   (``POST /endpoints/<name>/invocations``), served by :mod:`.sagemaker`,
4. everything else to moto's own WSGI dispatcher in this process (S3, IAM, STS, Logs, …).

Requests are counted per ``service.Operation`` unless they come from the emulation itself, and
so are the access key ids that signed them — as SHA-256 fingerprints, never the ids themselves —
so a test can prove from the cloud's side which credentials reached it.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

from .constants import ACCOUNT_ID, ADMIN_PREFIX, DEFAULT_REGION, INTERNAL_HEADER, SERVICE_NAME

INVOCATION_RE = re.compile(r"^/endpoints/([^/]+)/invocations$")
INTERNAL_ENV = "HTTP_" + INTERNAL_HEADER.upper().replace("-", "_")
_SCOPE_RE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_KEY_RE = re.compile(r"Credential=([^/,\s]+)/")

StartResponse = Callable[..., Any]


def check_loopback(host: str) -> str:
    """Refuse anything but a loopback address: the local cloud has no authentication."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    from ..errors import ValidationError

    raise ValidationError("host", host, "the local cloud binds only to a loopback address",
                          "use 127.0.0.1 (it has no authentication, so it must not be reachable from the network)")


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

    def __init__(self, moto_app: Callable, sagemaker: Any, pace: Any, region: str, faults: Any) -> None:
        self.moto_app = moto_app
        self.sagemaker = sagemaker
        self.pace = pace
        self.region = region
        self.stats = Stats()
        self.started = time.time()
        self.instance_id = uuid.uuid4().hex  # tells a restarted cloud from the one resources were made on
        self.faults = faults  # the same table the SageMaker service was built with

    # -- fault injection ----------------------------------------------------------------------------
    def fault_for(self, service: str, operation: str, environ: dict[str, Any]
                  ) -> tuple[int, dict[str, str], bytes] | None:
        """A canned failure for this client request (after any injected delay), or None to serve it.

        The emulation's own calls (``X-Kfsm-Internal``) are never faulted: a fault models the
        service misbehaving towards its client, not the service breaking itself.
        """
        if environ.get(INTERNAL_ENV):
            return None
        return self.faults.for_request(service, operation)

    # -- dispatch -------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith(ADMIN_PREFIX + "/"):
            return self._reply(start_response, *self._admin(method, path, environ))
        service, operation, kind = self._classify(environ, path, method)
        if not environ.get(INTERNAL_ENV):
            self.stats.add(f"{service}.{operation}", environ)
        fault = self.fault_for(service, operation, environ)
        if fault is not None:
            return self._reply(start_response, *fault)
        if kind == "sagemaker":
            region = _scope(environ)[0] or self.region
            return self._reply(start_response, *self.sagemaker.handle_control(operation, _body(environ), region))
        if kind == "runtime":
            region = _scope(environ)[0] or self.region
            headers = {k[5:].lower().replace("_", "-"): v for k, v in environ.items() if k.startswith("HTTP_")}
            if environ.get("CONTENT_TYPE"):
                headers["content-type"] = environ["CONTENT_TYPE"]
            name = unquote(INVOCATION_RE.match(path).group(1))  # type: ignore[union-attr]
            return self._reply(start_response, *self.sagemaker.handle_invocation(name, _body(environ), headers,
                                                                                  region))
        return self.moto_app(environ, start_response)

    def _classify(self, environ: dict[str, Any], path: str, method: str) -> tuple[str, str, str]:
        """``(service, operation, kind)`` where kind says who serves it: sagemaker, runtime or moto."""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("SageMaker."):
            return "sagemaker", target.split(".", 1)[1], "sagemaker"
        if method == "POST" and INVOCATION_RE.match(path):
            return "sagemaker-runtime", "InvokeEndpoint", "runtime"
        _, service = _scope(environ)
        if service is None and "AWSAccessKeyId=" in environ.get("QUERY_STRING", ""):
            service = "s3"  # a SigV2 presigned URL: only S3 makes those
        service = service or "unknown"
        if target:
            return service, target.rsplit(".", 1)[-1], "moto"
        if service == "s3":
            return "s3", _s3_operation(method, path, environ.get("QUERY_STRING", ""), environ), "moto"
        action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
        if not action and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            body = _body(environ)
            action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        return service, (action[0] if action else f"{method} {path.split('?')[0]}"), "moto"

    def _admin(self, method: str, path: str, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        route = path[len(ADMIN_PREFIX):]
        if route == "/health" and method == "GET":
            return _json(200, {"status": "ok", "service": SERVICE_NAME, "pid": os.getpid(), "pace": self.pace.seconds,
                               "region": self.region, "account": ACCOUNT_ID, "uptime": time.time() - self.started,
                               "started_at": self.started, "instance_id": self.instance_id})
        if route == "/stats" and method == "GET":
            return _json(200, self.stats.snapshot())
        if route == "/stats/reset" and method == "POST":
            self.stats.reset()
            return _json(200, self.stats.snapshot())
        if route == "/pace" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    value = float(json.loads(_body(environ) or b"{}").get("pace"))
                    if value < 0:
                        raise ValueError
                except (TypeError, ValueError):
                    return _json(400, {"error": 'send {"pace": <seconds >= 0>}'})
                self.pace.seconds = value
            return _json(200, {"pace": self.pace.seconds})
        if route == "/faults":
            return self._faults_route(method, environ)
        return _json(404, {"error": f"no admin route {method} {path}",
                           "routes": ["GET /_kfsm/health", "GET /_kfsm/stats", "POST /_kfsm/stats/reset",
                                      "GET|POST /_kfsm/pace", "GET|POST|DELETE /_kfsm/faults"]})

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
            except ValueError as exc:  # FaultError or bad JSON
                msg = str(exc) if isinstance(exc, FaultError) else "the body is not JSON"
                return _json(400, {"error": msg, "example": {"operation": "sagemaker.DescribeTrainingJob",
                                                              "kind": "throttle", "count": 3}})
            self.faults.add(fault)
            return _json(200, {"armed": fault.id, **self.faults.snapshot()})
        return _json(405, {"error": f"{method} is not allowed on /_kfsm/faults; use GET, POST or DELETE"})

    @staticmethod
    def _reply(start_response: StartResponse, status: int, headers: dict[str, str], body: bytes) -> list[bytes]:
        from http import HTTPStatus

        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        hdrs = [(k, v) for k, v in headers.items()]
        hdrs.append(("Content-Length", str(len(body))))
        hdrs.append(("x-amzn-RequestId", _request_id()))
        start_response(f"{status} {phrase}", hdrs)
        return [body]


def _request_id() -> str:
    return str(uuid.uuid4())


def _json(status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


def _body(environ: dict[str, Any]) -> bytes:
    """Read the request body once and put it back, so moto can read it again."""
    cached = environ.get("kfsm.body")
    if cached is not None:
        return cached
    import io

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["kfsm.body"] = body
    return body


def build_app(endpoint_url: str, pace_seconds: float = 0.0, region: str = DEFAULT_REGION) -> LocalCloudApp:
    """moto's dispatcher plus the SageMaker emulation, wired to call back into ``endpoint_url``."""
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from .faults import FaultTable
    from .gateway import Gateway
    from .sagemaker.models import Pace
    from .sagemaker.responses import SageMakerService

    pace = Pace(pace_seconds)
    faults = FaultTable()
    service = SageMakerService(ACCOUNT_ID, Gateway(endpoint_url), pace, faults)
    return LocalCloudApp(DomainDispatcherApplication(create_backend_app), service, pace, region, faults)


def _quiet_handler() -> type:
    """moto's request handler without a log line per request (they would flood the log file)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class QuietHandler(MotoRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    return QuietHandler


class LocalCloudServer:
    """A threaded HTTP server around :class:`LocalCloudApp` (in this process; lifecycle runs it detached)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, pace: float = 0.0,
                 region: str = DEFAULT_REGION) -> None:
        from werkzeug.serving import make_server

        self.host = check_loopback(host)
        self._app_ref: dict[str, LocalCloudApp] = {}

        def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            return self._app_ref["app"](environ, start_response)

        self.httpd = make_server(self.host, port, app, threaded=True, request_handler=_quiet_handler())
        self.port = self.httpd.server_address[1]
        self.app = build_app(self.endpoint_url, pace, region)
        self._app_ref["app"] = self.app
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def start(self) -> LocalCloudServer:
        """Serve on a daemon thread (tests and embedding)."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="kfsm-localcloud")
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

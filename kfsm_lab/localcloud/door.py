"""The local cloud's door: who may come in, and the answer for those who may not.

Three locks, checked in this order for every request:

1. **The caller's uid** (Linux): a connection from another local user is refused (:mod:`.peer`).
2. **CORS**: no ``Access-Control-*`` header is ever sent, so a web page the user has open cannot
   read an answer — unless ``KFSM_CORS_ORIGIN`` names that page's origin (the Jupyter server's own),
   which alone is then granted. A preflight from any other origin is refused.
3. **A signature or the admin token**: AWS requests must carry a valid Signature Version 4 by a key
   this cloud issued — its root key (``localcloud-keys.json``, 0600) or an IAM access key created in
   it (and the session keys of roles assumed in it). The admin routes ``/_kfsm/*`` need the admin
   token from the same file in ``X-Kfsm-Admin-Token``, and a JSON body for POST.

Refusals are AWS's own, in each service's wire shape: ``MissingAuthenticationToken``,
``InvalidClientTokenId``, ``SignatureDoesNotMatch``, ``IncompleteSignature`` (query: IAM, STS),
``UnrecognizedClientException``, ``InvalidSignatureException``… (JSON: SageMaker, Logs, Runtime),
``AccessDenied``, ``InvalidAccessKeyId``, ``SignatureDoesNotMatch``… (S3's XML).
"""

from __future__ import annotations

import hmac
import json
import os
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from . import peer, sigv4
from .constants import ADMIN_TOKEN_HEADER, CORS_ORIGIN_ENV
from .keys import RootKeys

Reply = tuple[int, dict[str, str], bytes]
SERVED_SIGNING_NAMES = frozenset({"s3", "iam", "sts", "logs", "sagemaker"})
ADMIN_TOKEN_ENV = "HTTP_" + ADMIN_TOKEN_HEADER.upper().replace("-", "_")

_SIG_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                 "Secret Access Key and signing method. Consult the service documentation for details.")
_S3_SIG_MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your "
                    "key and signing method.")
_BAD_TOKEN = "The security token included in the request is invalid."  # noqa: S105 - a message

# (status, code, message) per refusal and protocol. Messages are AWS's; None means: the problem's own.
_REFUSALS: dict[str, dict[str, tuple[int, str, str | None]]] = {
    "missing": {"query": (403, "MissingAuthenticationToken", "Request is missing Authentication Token"),
                "json": (400, "MissingAuthenticationTokenException", "Missing Authentication Token"),
                "rest-json": (403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
                "s3": (403, "AccessDenied", "Access Denied")},
    "unknown_key": {"query": (403, "InvalidClientTokenId", _BAD_TOKEN),
                    "json": (400, "UnrecognizedClientException", _BAD_TOKEN),
                    "rest-json": (403, "UnrecognizedClientException", _BAD_TOKEN),
                    "s3": (403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our "
                                                      "records.")},
    "bad_token": {"query": (403, "InvalidClientTokenId", _BAD_TOKEN),
                  "json": (400, "UnrecognizedClientException", _BAD_TOKEN),
                  "rest-json": (403, "UnrecognizedClientException", _BAD_TOKEN),
                  "s3": (400, "InvalidToken", "The provided token is malformed or otherwise invalid.")},
    "mismatch": {"query": (403, "SignatureDoesNotMatch", _SIG_MISMATCH),
                 "json": (400, "InvalidSignatureException", _SIG_MISMATCH),
                 "rest-json": (403, "InvalidSignatureException", _SIG_MISMATCH),
                 "s3": (403, "SignatureDoesNotMatch", _S3_SIG_MISMATCH)},
    "incomplete": {"query": (400, "IncompleteSignature", None), "json": (400, "IncompleteSignatureException", None),
                   "rest-json": (403, "IncompleteSignatureException", None),
                   "s3": (400, "AuthorizationHeaderMalformed", None)},
    "unsupported": {"query": (400, "IncompleteSignature", None),
                    "json": (400, "IncompleteSignatureException", None),
                    "rest-json": (403, "IncompleteSignatureException", None),
                    "s3": (400, "InvalidRequest", "The authorization mechanism you have provided is not supported. "
                                                  "Please use AWS4-HMAC-SHA256.")},
    "skewed": {"query": (403, "SignatureDoesNotMatch", None), "json": (400, "InvalidSignatureException", None),
               "rest-json": (403, "InvalidSignatureException", None),
               "s3": (403, "RequestTimeTooSkewed", "The difference between the request time and the current time "
                                                   "is too large.")},
    "expired": {"query": (403, "SignatureDoesNotMatch", "Signature expired"),
                "json": (400, "InvalidSignatureException", "Signature expired"),
                "rest-json": (403, "InvalidSignatureException", "Signature expired"),
                "s3": (403, "AccessDenied", "Request has expired")},
    "content_mismatch": {"query": (403, "SignatureDoesNotMatch", None),
                         "json": (400, "InvalidSignatureException", None),
                         "rest-json": (403, "InvalidSignatureException", None),
                         "s3": (400, "XAmzContentSHA256Mismatch", None)},
    "chunk_signature": {"query": (403, "SignatureDoesNotMatch", None), "json": (400, "InvalidSignatureException", None),
                        "rest-json": (403, "InvalidSignatureException", None),
                        "s3": (403, "SignatureDoesNotMatch", None)},
    "scope": {"query": (403, "SignatureDoesNotMatch", None), "json": (400, "InvalidSignatureException", None),
              "rest-json": (403, "InvalidSignatureException", None),
              "s3": (400, "AuthorizationHeaderMalformed", None)},
    "other_user": {"query": (403, "AccessDenied", None), "json": (400, "AccessDeniedException", None),
                   "rest-json": (403, "AccessDeniedException", None), "s3": (403, "AccessDenied", None)},
}


def render(proto: str, status: int, code: str, message: str, extra: dict[str, str] | None = None) -> Reply:
    """An error in the wire shape of ``proto`` (json, rest-json, query, s3), messages XML-escaped."""
    request_id = str(uuid.uuid4())
    if proto == "json":
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, \
            json.dumps({"__type": code, "message": message}).encode()
    if proto == "rest-json":
        return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, \
            json.dumps({"message": message}).encode()
    if proto == "s3":
        fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in (extra or {}).items())
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
                f"</Message>{fields}<RequestId>{request_id}</RequestId></Error>")
        return status, {"Content-Type": "application/xml"}, body.encode()
    kind = "Sender" if status < 500 else "Receiver"
    body = (f'<ErrorResponse><Error><Type>{kind}</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId>"
            "</ErrorResponse>")
    return status, {"Content-Type": "text/xml"}, body.encode()


def refusal(kind: str, proto: str, message: str | None = None, extra: dict[str, str] | None = None) -> Reply:
    status, code, default = _REFUSALS[kind][proto]
    return render(proto, status, code, default or message or code, extra)


@dataclass(frozen=True)
class Caller:
    """Who signed a request that came in."""

    access_key_id: str
    kind: str  # root, iam, sts
    service: str = ""  # the signing name of the credential scope (s3 for S3's Signature V2)

    @property
    def is_root(self) -> bool:
        return self.kind == "root"


class CredentialStore:
    """The secrets of every key this cloud issued: its root key and the keys inside its own moto."""

    def __init__(self, root: RootKeys, account_id: str) -> None:
        self.root = root
        self.account_id = account_id

    def lookup(self, access_key_id: str) -> tuple[str, str | None, str] | None:
        """``(secret, session token or None, kind)`` for a key this cloud knows and that is active."""
        if hmac.compare_digest(access_key_id, self.root.access_key_id):
            return self.root.secret_access_key, None, "root"
        for _ in range(3):  # moto's dicts may change size under us while another thread creates a key
            try:
                return self._moto_lookup(access_key_id)
            except RuntimeError:
                continue
        return None

    def _moto_lookup(self, access_key_id: str) -> tuple[str, str | None, str] | None:
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        # Every account: a role assumed in another account (moto's multi-account) lives in that account's backend.
        for account in list(iam_backends):
            for backend in list(dict.values(iam_backends[account])):
                for user in list(backend.users.values()):
                    for key in list(user.access_keys):
                        if key.access_key_id == access_key_id:
                            return (key.secret_access_key, None, "iam") if key.status == "Active" else None
        for account in list(sts_backends):
            for backend in list(dict.values(sts_backends[account])):
                for role in list(backend.assumed_roles):
                    if role.access_key_id == access_key_id:
                        return role.secret_access_key, role.session_token, "sts"
        return None


def request_protocol(environ: dict[str, Any], path: str, method: str) -> tuple[str, str]:
    """``(signing name, protocol)`` the request is shaped for, before trusting anything it claims."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target.startswith("SageMaker."):
        return "sagemaker", "json"
    if target.startswith("Logs_"):
        return "logs", "json"
    if target:
        return "", "json"
    if method == "POST" and path.startswith("/endpoints/") and path.endswith("/invocations"):
        return "sagemaker", "rest-json"
    query = environ.get("QUERY_STRING", "")
    if "Action=" in query or environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return "", "query"
    return "s3", "s3"


class Door:
    """Checks one request; ``None`` from a check means: come in."""

    def __init__(self, keys: RootKeys, account_id: str, cors_origins: Iterable[str] | None = None) -> None:
        self.keys = keys
        self.credentials = CredentialStore(keys, account_id)
        origins = cors_origins if cors_origins is not None else _origins_from_env()
        self.cors_origins = frozenset(o.rstrip("/") for o in origins if o)
        self._lock = threading.Lock()
        self.refused: dict[str, int] = {}

    def _count(self, code: str) -> None:
        with self._lock:
            self.refused[code] = self.refused.get(code, 0) + 1

    def _refuse(self, kind: str, proto: str, message: str | None = None, extra: dict[str, str] | None = None) -> Reply:
        reply = refusal(kind, proto, message, extra)
        self._count(_REFUSALS[kind][proto][1])
        return reply

    # -- lock 1: the caller's uid --------------------------------------------------------------------
    def other_user(self, environ: dict[str, Any], proto: str) -> Reply | None:
        uid = peer.environ_peer_uid(environ)
        if peer.is_same_user(uid):
            return None
        return self._refuse("other_user", proto, "The local cloud serves only the local user who started it "
                                                 f"(uid {os.getuid()}); this connection came from uid {uid}.")

    # -- lock 2: CORS ----------------------------------------------------------------------------------
    def allowed_origin(self, environ: dict[str, Any]) -> str | None:
        origin = (environ.get("HTTP_ORIGIN") or "").rstrip("/")
        return origin if origin and origin in self.cors_origins else None

    def preflight(self, environ: dict[str, Any]) -> Reply:
        """The answer to ``OPTIONS`` with an Origin: a grant only for a configured origin, never reflected."""
        origin = self.allowed_origin(environ)
        if origin is None:
            self._count("CORSForbidden")
            return 403, {"Content-Type": "text/plain"}, b"CORS: this origin is not allowed\n"
        headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                   "Access-Control-Allow-Methods": "GET, PUT, POST, DELETE, HEAD",
                   "Access-Control-Allow-Headers": "authorization, content-type, x-amz-date, x-amz-target, "
                                                   "x-amz-content-sha256, x-amz-security-token, x-amz-user-agent, "
                                                   "amz-sdk-invocation-id, amz-sdk-request",
                   "Access-Control-Max-Age": "600"}
        return 200, headers, b""

    def response_headers(self, environ: dict[str, Any], headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """``headers`` without any CORS header the emulation added, plus a grant for a configured origin."""
        out = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
        origin = self.allowed_origin(environ)
        if origin is not None:
            out += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                    ("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, x-amz-request-id, ETag")]
        return out

    # -- lock 3a: the admin token -------------------------------------------------------------------------
    def admin(self, environ: dict[str, Any], method: str) -> Reply | None:
        given = environ.get(ADMIN_TOKEN_ENV, "")
        if not given or not hmac.compare_digest(given.encode(), self.keys.admin_token.encode()):
            self._count("AdminTokenMissing" if not given else "AdminTokenWrong")
            return 403, {"Content-Type": "application/json"}, json.dumps({
                "error": f"the admin routes need the {ADMIN_TOKEN_HEADER} header with the token from the state "
                         "folder's localcloud-keys.json",
                "hint": "use kfsm_lab.localcloud.status().admin(route) or `kfsm-lab local ...`"}).encode()
        ctype = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if method in ("POST", "PUT") and ctype != "application/json":
            self._count("AdminNotJson")
            return 415, {"Content-Type": "application/json"}, json.dumps({
                "error": f"admin {method} requests must be application/json, not {ctype or 'no content type'}"
            }).encode()
        return None

    # -- lock 3b: the signature ------------------------------------------------------------------------
    def signature(self, environ: dict[str, Any], signing_name: str, proto: str, body: bytes
                  ) -> tuple[Caller | None, Reply | None]:
        """``(caller, None)`` for a request signed by a key this cloud issued, else ``(None, refusal)``."""
        try:
            claim = sigv4.parse(environ)
        except sigv4.AuthProblem as exc:
            return None, self._refuse(exc.kind, proto, exc.message)
        if claim.service not in SERVED_SIGNING_NAMES or (signing_name and claim.service != signing_name):
            want = signing_name or "one of " + ", ".join(sorted(SERVED_SIGNING_NAMES))
            return None, self._refuse("scope", proto, f"Credential should be scoped to correct service: '{want}'. ")
        found = self.credentials.lookup(claim.access_key_id)
        if found is None:
            return None, self._refuse("unknown_key", proto, extra={"AWSAccessKeyId": claim.access_key_id})
        secret, token, kind = found
        if token is not None and not hmac.compare_digest((claim.security_token or "").encode(), token.encode()):
            return None, self._refuse("bad_token", proto)
        if token is None and claim.security_token:
            return None, self._refuse("bad_token", proto)
        try:
            sigv4.check_time(claim)
            ok = sigv4.verify(environ, claim, secret, body)
        except sigv4.AuthProblem as exc:
            return None, self._refuse(exc.kind, proto, exc.message)
        if not ok:
            return None, self._refuse("mismatch", proto, extra={"AWSAccessKeyId": claim.access_key_id,
                                                                "SignatureProvided": claim.signature})
        return Caller(claim.access_key_id, kind, claim.service), None


def _origins_from_env() -> list[str]:
    return [o.strip() for o in os.environ.get(CORS_ORIGIN_ENV, "").split(",") if o.strip()]


__all__ = ["Caller", "CredentialStore", "Door", "refusal", "render", "request_protocol"]

"""AWS Signature Version 4 (and S3's Version 2), checked on the server side for one WSGI request.

What the local cloud accepts is what AWS accepts: the ``Authorization: AWS4-HMAC-SHA256 …`` header
and the presigned query (``X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…``); for S3 also
``UNSIGNED-PAYLOAD`` and the chunked uploads (``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`` with a
signature per chunk, ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``), and S3's legacy Version 2 (``AWS key:sig``
header, ``AWSAccessKeyId=…&Signature=…&Expires=…`` query), which boto3's ``generate_presigned_url``
still makes for S3 by default. The canonical request is rebuilt from
the request as it came over the wire (raw path and query, the signed headers, the payload hash),
per the SigV4 specification; the client side in the tests is botocore's own signer, so the two
are independent implementations that must agree.

The module knows nothing about keys or error shapes: :func:`parse` says what the request claims
(or raises :class:`AuthProblem`), :func:`verify` checks it against a secret.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_tz
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
S3_ONLY_PAYLOADS = (UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW_SECONDS = 15 * 60  # AWS refuses requests dated more than 15 minutes off
MAX_PRESIGN_SECONDS = 7 * 24 * 3600
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


class AuthProblem(Exception):
    """Why a request cannot be checked at all. ``kind``: missing, incomplete, unsupported, expired, skewed,
    content_mismatch, chunk_signature, scope."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Claim:
    """What a signed request says about itself."""

    access_key_id: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    amz_date: str  # the request's timestamp, YYYYMMDDTHHMMSSZ
    signed_headers: tuple[str, ...]
    signature: str
    presigned: bool
    expires: int | None  # V4: seconds the presigned URL is valid; V2: epoch seconds it expires at
    security_token: str | None
    version: int = 4

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def _header(environ: dict[str, Any], name: str) -> str | None:
    key = name.lower()
    if key == "content-type":
        return environ.get("CONTENT_TYPE")
    if key == "content-length":
        return environ.get("CONTENT_LENGTH")
    return environ.get("HTTP_" + key.upper().replace("-", "_"))


def _raw_target(environ: dict[str, Any]) -> tuple[str, str]:
    """``(path, query)`` exactly as the client sent them."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        if "://" in raw.split("?", 1)[0]:  # absolute-form request target
            raw = "/" + raw.split("://", 1)[1].partition("/")[2]
        path, _, query = raw.partition("?")
        return path or "/", query
    return quote(environ.get("PATH_INFO", "") or "/", safe="/~"), environ.get("QUERY_STRING", "")


def _amz_date(environ: dict[str, Any]) -> str | None:
    value = _header(environ, "x-amz-date")
    if value:
        return value.strip()
    date = _header(environ, "date")
    if date:
        parsed = parsedate_tz(date)
        if parsed:
            return time.strftime(_AMZ_DATE, time.gmtime(calendar.timegm(parsed[:9]) - (parsed[9] or 0)))
    return None


def _parse_credential(value: str) -> tuple[str, str, str, str]:
    parts = value.split("/")
    if len(parts) != 5 or not parts[0]:
        raise AuthProblem("incomplete", "Credential should have the form "
                                        f"<key>/<date>/<region>/<service>/aws4_request, got '{value}'")
    key, date, region, service, terminal = parts
    if terminal != "aws4_request":
        raise AuthProblem("incomplete", f"Credential should be scoped with a valid terminator: 'aws4_request', "
                                        f"not '{terminal}'")
    if not re.fullmatch(r"\d{8}", date):
        raise AuthProblem("incomplete", f"Date must be in YYYYMMDD format, got '{date}'")
    return key, date, region, service


def parse(environ: dict[str, Any]) -> Claim:
    """What the request claims, from its Authorization header or its presigned query."""
    auth = (_header(environ, "authorization") or "").strip()
    _, query = _raw_target(environ)
    params = dict(parse_qsl(query, keep_blank_values=True))
    if auth:
        algorithm, _, rest = auth.partition(" ")
        if algorithm == "AWS":  # S3's Signature Version 2: "AWS <key>:<signature>"
            key, sep, sig = rest.strip().partition(":")
            if not sep or not key or not sig:
                raise AuthProblem("incomplete", "Signature Version 2 Authorization must be 'AWS <key>:<signature>'")
            return Claim(key, "", "", "s3", "", (), sig, False, None, _header(environ, "x-amz-security-token"), 2)
        if algorithm != ALGORITHM:
            raise AuthProblem("unsupported", f"Unsupported AWS 'algorithm': '{algorithm}'; use {ALGORITHM}")
        fields: dict[str, str] = {}
        for part in rest.split(","):
            k, sep, v = part.strip().partition("=")
            if sep:
                fields[k.strip()] = v.strip()
        missing = [f for f in ("Credential", "SignedHeaders", "Signature") if not fields.get(f)]
        if missing:
            raise AuthProblem("incomplete", " ".join(f"Authorization header requires '{f}' parameter." for f in missing)
                              + f" Authorization={algorithm}")
        key, date, region, service = _parse_credential(fields["Credential"])
        amz_date = _amz_date(environ)
        if not amz_date:
            raise AuthProblem("incomplete", "Authorization header requires existence of either a 'X-Amz-Date' "
                                            "or a 'Date' header.")
        signed = tuple(h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip())
        return Claim(key, date, region, service, amz_date, signed, fields["Signature"], False, None,
                     _header(environ, "x-amz-security-token"))
    if "X-Amz-Algorithm" in params or "X-Amz-Signature" in params or "X-Amz-Credential" in params:
        if params.get("X-Amz-Algorithm") != ALGORITHM:
            raise AuthProblem("unsupported", f"X-Amz-Algorithm only supports \"{ALGORITHM}\"")
        missing = [p for p in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature")
                   if not params.get(p)]
        if missing:
            raise AuthProblem("incomplete", "Query-string authentication requires the " + ", ".join(missing)
                              + " parameter" + ("s" if len(missing) > 1 else ""))
        key, date, region, service = _parse_credential(params["X-Amz-Credential"])
        expires = params.get("X-Amz-Expires")
        try:
            exp = int(expires) if expires is not None else None
        except ValueError:
            raise AuthProblem("incomplete", "X-Amz-Expires should be a number") from None
        if exp is not None and not 1 <= exp <= MAX_PRESIGN_SECONDS:
            raise AuthProblem("incomplete", "X-Amz-Expires must be between 1 and 604800 seconds")
        signed = tuple(h.strip().lower() for h in params["X-Amz-SignedHeaders"].split(";") if h.strip())
        return Claim(key, date, region, service, params["X-Amz-Date"], signed, params["X-Amz-Signature"], True,
                     exp, params.get("X-Amz-Security-Token"))
    if "AWSAccessKeyId" in params or "Signature" in params:
        missing = [p for p in ("AWSAccessKeyId", "Signature", "Expires") if not params.get(p)]
        if missing:
            raise AuthProblem("incomplete", "Query-string authentication requires the Signature, Expires and "
                                            "AWSAccessKeyId parameters")
        try:
            expires_at = int(params["Expires"])
        except ValueError:
            raise AuthProblem("incomplete", "Expires must be a number of seconds since the epoch") from None
        return Claim(params["AWSAccessKeyId"], "", "", "s3", "", (), params["Signature"], True, expires_at,
                     params.get("x-amz-security-token"), 2)
    raise AuthProblem("missing", "Request is missing Authentication Token")


def _epoch(amz_date: str) -> float:
    try:
        return calendar.timegm(time.strptime(amz_date, _AMZ_DATE))
    except ValueError:
        raise AuthProblem("incomplete", f"X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", "
                                        f"got '{amz_date}'") from None


def check_time(claim: Claim, now: float | None = None) -> None:
    """The request's timestamp is within 15 minutes of now (header) or its presigned URL has not expired."""
    now = time.time() if now is None else now
    if claim.version == 2:
        _check_time_v2(claim, now)
        return
    when = _epoch(claim.amz_date)
    if claim.amz_date[:8] != claim.date:
        raise AuthProblem("incomplete", f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                                        f"date from HTTP: '{claim.date}' != '{claim.amz_date[:8]}'")
    if claim.presigned:
        if when > now + MAX_SKEW_SECONDS:
            raise AuthProblem("skewed", "Request is not yet valid")
        if now > when + (claim.expires or 3600):
            raise AuthProblem("expired", "Request has expired")
        return
    if abs(now - when) > MAX_SKEW_SECONDS:
        now_text = time.strftime(_AMZ_DATE, time.gmtime(now))
        raise AuthProblem("skewed", f"Signature expired: {claim.amz_date} is now earlier than "
                                    f"{time.strftime(_AMZ_DATE, time.gmtime(now - MAX_SKEW_SECONDS))} "
                                    f"({now_text} - 15 min.)" if when < now else
                          f"Signature not yet current: {claim.amz_date} is still later than "
                          f"{time.strftime(_AMZ_DATE, time.gmtime(now + MAX_SKEW_SECONDS))} ({now_text} + 15 min.)")


def _check_time_v2(claim: Claim, now: float) -> None:
    if claim.presigned:
        if now > (claim.expires or 0):
            raise AuthProblem("expired", "Request has expired")
        return


# --- the canonical request ------------------------------------------------------------------------

def _uri_encode(text: str, safe: str) -> str:
    return quote(text, safe=safe)


def _normalize_path(path: str) -> str:
    """RFC 3986 dot-segment removal, as AWS does for every service but S3."""
    from botocore.utils import normalize_url_path

    return normalize_url_path(path)


def _paths(raw_path: str, service: str) -> list[str]:
    if service == "s3":  # S3: the path as sent (encoded once), no normalization
        candidates = [raw_path, _uri_encode(unquote(raw_path), "/~")]
    else:  # the others: normalized, then each segment encoded once more
        candidates = [_uri_encode(_normalize_path(raw_path), "/~"),
                      _uri_encode(_uri_encode(_normalize_path(unquote(raw_path)), "/~"), "/~")]
    return list(dict.fromkeys(candidates))


def _queries(raw_query: str, presigned: bool) -> list[str]:
    pairs = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        if presigned and unquote(key) == "X-Amz-Signature":
            continue
        pairs.append((key, value))
    as_sent = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    spec = "&".join(f"{k}={v}" for k, v in sorted((_uri_encode(unquote(k), "-_.~"), _uri_encode(unquote(v), "-_.~"))
                                                   for k, v in pairs))
    return list(dict.fromkeys([spec, as_sent]))


def _canonical_headers(environ: dict[str, Any], names: tuple[str, ...]) -> str:
    lines = []
    for name in sorted(set(names)):
        value = _header(environ, name)
        if value is None:
            value = ""
        lines.append(f"{name}:{' '.join(value.split())}")
    return "\n".join(lines) + "\n"


def payload_hash(environ: dict[str, Any], claim: Claim, body: bytes) -> str:
    """The payload hash the signature covers; raises when a declared hash does not fit the body."""
    declared = _header(environ, "x-amz-content-sha256")
    s3 = claim.service == "s3"
    if declared is not None:
        declared = declared.strip()
        if declared in S3_ONLY_PAYLOADS:
            if not s3:
                raise AuthProblem("content_mismatch", f"x-amz-content-sha256 '{declared}' is only valid for S3")
            return declared
        if not _HEX64.match(declared):
            raise AuthProblem("content_mismatch", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, "
                                                  "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.")
        if hashlib.sha256(body).hexdigest() != declared:
            raise AuthProblem("content_mismatch", "The provided 'x-amz-content-sha256' header does not match what "
                                                  "was computed.")
        return declared
    if claim.presigned and s3:
        return UNSIGNED_PAYLOAD
    if s3 and not claim.presigned:
        raise AuthProblem("incomplete", "Missing required header for this request: x-amz-content-sha256")
    return hashlib.sha256(body).hexdigest()


def canonical_requests(environ: dict[str, Any], claim: Claim, body_hash: str) -> list[str]:
    """Every canonical form of this request a correct client may have signed (usually one)."""
    raw_path, raw_query = _raw_target(environ)
    method = environ.get("REQUEST_METHOD", "GET").upper()
    headers = _canonical_headers(environ, claim.signed_headers)
    signed = ";".join(sorted(set(claim.signed_headers)))
    return [f"{method}\n{path}\n{query}\n{headers}\n{signed}\n{body_hash}"
            for path in _paths(raw_path, claim.service) for query in _queries(raw_query, claim.presigned)]


@lru_cache(maxsize=256)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _sign(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def string_to_sign(claim: Claim, canonical: str) -> str:
    return f"{ALGORITHM}\n{claim.amz_date}\n{claim.scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def verify(environ: dict[str, Any], claim: Claim, secret: str, body: bytes) -> bool:
    """True when ``claim.signature`` is what ``secret`` signs for this request (and, for a signed chunked
    upload, every chunk's signature too)."""
    if claim.version == 2:
        return verify_v2(environ, claim, secret)
    if "host" not in claim.signed_headers:
        raise AuthProblem("incomplete", "'Host' must be a 'SignedHeader' in the AWS Authorization.")
    body_hash = payload_hash(environ, claim, body)
    key = signing_key(secret, claim.date, claim.region, claim.service)
    for canonical in canonical_requests(environ, claim, body_hash):
        if hmac.compare_digest(_sign(key, string_to_sign(claim, canonical)), claim.signature):
            if body_hash in (STREAMING_SIGNED, STREAMING_SIGNED_TRAILER):
                verify_chunks(body, claim, key, body_hash == STREAMING_SIGNED_TRAILER)
            elif body_hash == STREAMING_UNSIGNED_TRAILER:
                check_unsigned_chunks(body)
            return True
    return False


def string_to_sign_v2(environ: dict[str, Any], claim: Claim) -> str:
    """S3's Signature Version 2 string to sign (verb, MD5, type, date or expiry, x-amz headers, resource)."""
    from urllib.parse import urlsplit

    from botocore.auth import HmacV1Auth
    from botocore.compat import HTTPHeaders

    raw_path, raw_query = _raw_target(environ)
    headers = HTTPHeaders()
    for key, value in environ.items():
        if key.startswith("HTTP_X_AMZ_"):
            headers[key[5:].lower().replace("_", "-")] = value
    if claim.presigned:
        date = str(claim.expires)
    elif _header(environ, "x-amz-date") and not _header(environ, "date"):
        date = ""
    else:
        date = (_header(environ, "date") or "").strip()
    signer = HmacV1Auth(None)
    resource = signer.canonical_resource(urlsplit(f"{raw_path}?{raw_query}" if raw_query else raw_path))
    amz = signer.canonical_custom_headers(headers)
    lines = [environ.get("REQUEST_METHOD", "GET").upper(), (_header(environ, "content-md5") or "").strip(),
             (environ.get("CONTENT_TYPE") or "").strip(), date]
    return "\n".join(lines) + "\n" + (amz + "\n" if amz else "") + resource


def verify_v2(environ: dict[str, Any], claim: Claim, secret: str) -> bool:
    import base64

    if not claim.presigned:
        raw_date = _header(environ, "x-amz-date") or _header(environ, "date") or ""
        parsed = parsedate_tz(raw_date)
        if parsed is None:
            raise AuthProblem("incomplete", "AWS authentication requires a valid Date or x-amz-date header")
        when = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
        if abs(time.time() - when) > MAX_SKEW_SECONDS:
            raise AuthProblem("skewed", "The difference between the request time and the current time is too large.")
    digest = hmac.new(secret.encode(), string_to_sign_v2(environ, claim).encode(), hashlib.sha1).digest()
    expected = base64.b64encode(digest).decode()
    given = unquote(claim.signature) if claim.presigned else claim.signature
    return hmac.compare_digest(expected, given) or hmac.compare_digest(expected, claim.signature)


# --- aws-chunked bodies -----------------------------------------------------------------------------

def _chunks(body: bytes, signed: bool) -> tuple[list[tuple[bytes, str | None]], bytes]:
    """``([(data, chunk signature)], trailer bytes)`` of an aws-chunked body; AuthProblem when malformed."""
    pos, out = 0, []
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise AuthProblem("chunk_signature", "the aws-chunked body ends before its final chunk")
        head = body[pos:end].decode("latin-1")
        size_text, _, ext = head.partition(";")
        try:
            size = int(size_text, 16)
        except ValueError:
            raise AuthProblem("chunk_signature",
                              f"an aws-chunked chunk size is not hexadecimal: {size_text!r}") from None
        sig = None
        if signed:
            name, _, sig = ext.partition("=")
            if name.strip() != "chunk-signature" or not sig:
                raise AuthProblem("chunk_signature", "an aws-chunked chunk has no chunk-signature")
        data = body[end + 2:end + 2 + size]
        if len(data) != size:
            raise AuthProblem("chunk_signature", "the aws-chunked body is shorter than its chunk sizes say")
        out.append((data, sig))
        pos = end + 2 + size
        if size == 0:
            return out, body[pos:]
        if body[pos:pos + 2] != b"\r\n":
            raise AuthProblem("chunk_signature", "an aws-chunked chunk is not followed by CRLF")
        pos += 2


def verify_chunks(body: bytes, claim: Claim, key: bytes, trailer: bool) -> None:
    """Each chunk is signed over the previous signature (seeded by the request's own), as S3 requires."""
    previous = claim.signature
    chunks, rest = _chunks(body, signed=True)
    for data, sig in chunks:
        text = "\n".join(("AWS4-HMAC-SHA256-PAYLOAD", claim.amz_date, claim.scope, previous, EMPTY_SHA256,
                          hashlib.sha256(data).hexdigest()))
        if not hmac.compare_digest(_sign(key, text), sig or ""):
            raise AuthProblem("chunk_signature", "The request signature we calculated does not match the signature "
                                                 "you provided for a chunk of the aws-chunked body.")
        previous = sig or ""
    if trailer:
        lines = [ln for ln in rest.split(b"\r\n") if ln]
        fields = [ln for ln in lines if not ln.startswith(b"x-amz-trailer-signature:")]
        given = [ln.split(b":", 1)[1].strip().decode() for ln in lines if ln.startswith(b"x-amz-trailer-signature:")]
        if not given:
            raise AuthProblem("chunk_signature", "the aws-chunked body has no x-amz-trailer-signature")
        canonical = b"".join(f.split(b":", 1)[0].strip().lower() + b":" + f.split(b":", 1)[1].strip() + b"\n"
                             for f in fields if b":" in f)
        text = "\n".join(("AWS4-HMAC-SHA256-TRAILER", claim.amz_date, claim.scope, previous,
                          hashlib.sha256(canonical).hexdigest()))
        if not hmac.compare_digest(_sign(key, text), given[0]):
            raise AuthProblem("chunk_signature", "The trailer signature of the aws-chunked body does not match.")


def check_unsigned_chunks(body: bytes) -> None:
    _chunks(body, signed=False)


__all__ = ["ALGORITHM", "AuthProblem", "Claim", "canonical_requests", "check_time", "parse", "payload_hash",
           "signing_key", "string_to_sign", "verify"]

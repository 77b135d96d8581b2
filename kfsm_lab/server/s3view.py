"""S3 objects of the local cloud, viewable from the run page's Inputs/Outputs tab.

Only the kit's own buckets (the configured one, or one tagged ``kfsm-lab:created-by=kfsm-lab``) and
only within size limits: a preview shows the first ``PREVIEW_BYTES``; a download streams at most
``DOWNLOAD_LIMIT``. On the aws target the page links to the S3 console instead.
"""

from __future__ import annotations

import re
from typing import Any

from ..aws import error_code, translate
from ..errors import ValidationError
from ..names import is_kit_tagged
from .errors import ForbiddenError, NotFoundError

PREVIEW_BYTES = 64 * 1024
DOWNLOAD_LIMIT = 64 * 1024 * 1024
STREAM_CHUNK = 256 * 1024
_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.+)$")
_TEXT_TYPES = ("text/", "application/json", "application/x-ndjson", "application/csv")


def parse_uri(uri: str | None) -> tuple[str, str]:
    m = _URI.match(uri or "")
    if not m:
        raise ValidationError("uri", uri, "must be an S3 object URI like s3://bucket/path/to/object")
    return m.group(1), m.group(2)


def check_kit_bucket(s3: Any, bucket: str, configured: str | None) -> None:
    """Refuse buckets the kit did not make (a run page must not become a browser of someone's S3)."""
    if configured and bucket == configured:
        return
    try:
        tags = s3.get_bucket_tagging(Bucket=bucket).get("TagSet", [])
    except Exception as exc:
        code = error_code(exc)
        if code == "NoSuchBucket":
            raise NotFoundError(f"bucket {bucket} does not exist on the local cloud",
                                "it is made by setup; a restarted local cloud has lost it") from None
        if code != "NoSuchTagSet":
            raise translate(exc, f"reading the tags of bucket {bucket}") from exc
        tags = []
    if not is_kit_tagged(tags):
        raise ForbiddenError(f"bucket {bucket} was not made by kfsm_lab, so its objects are not shown here",
                             "open it with the AWS CLI (`aws s3 ls s3://" + bucket + "`)")


def head(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    try:
        return s3.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            prefix = s3.list_objects_v2(Bucket=bucket, Prefix=key.rstrip("/") + "/", MaxKeys=20)
            keys = [o["Key"] for o in prefix.get("Contents", [])]
            if keys:
                raise NotFoundError(f"s3://{bucket}/{key} is a folder, not an object",
                                    "objects in it: " + ", ".join(keys)) from None
            raise NotFoundError(f"s3://{bucket}/{key} does not exist",
                                "the task may not have written it yet") from None
        raise translate(exc, f"reading s3://{bucket}/{key}") from exc


def is_text(content_type: str | None, key: str, sample: bytes) -> bool:
    if content_type and content_type.startswith(_TEXT_TYPES):
        return True
    if key.endswith((".csv", ".json", ".out", ".txt", ".log", ".yaml", ".yml", ".jsonl")):
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\0" not in sample


def preview(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    """Size, type and (for text) the first ``PREVIEW_BYTES`` of an object."""
    meta = head(s3, bucket, key)
    size = int(meta.get("ContentLength") or 0)
    body = b""
    if size:
        body = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{PREVIEW_BYTES - 1}")["Body"].read()
    text = is_text(meta.get("ContentType"), key, body[:4096])
    return {"uri": f"s3://{bucket}/{key}", "size": size, "content_type": meta.get("ContentType"),
            "last_modified": meta["LastModified"].timestamp() if meta.get("LastModified") else None,
            "text": body.decode("utf-8", "replace") if text else None, "truncated": size > len(body),
            "downloadable": size <= DOWNLOAD_LIMIT, "download_limit": DOWNLOAD_LIMIT}


def open_download(s3: Any, bucket: str, key: str) -> tuple[dict[str, Any], Any]:
    """(head, streaming body) of an object within the download limit."""
    meta = head(s3, bucket, key)
    size = int(meta.get("ContentLength") or 0)
    if size > DOWNLOAD_LIMIT:
        raise ForbiddenError(f"s3://{bucket}/{key} is {size / 1e6:.0f} MB, more than the "
                             f"{DOWNLOAD_LIMIT // (1024 * 1024)} MB this page downloads",
                             f"copy it with the AWS CLI: `aws s3 cp s3://{bucket}/{key} .`")
    return meta, s3.get_object(Bucket=bucket, Key=key)["Body"]

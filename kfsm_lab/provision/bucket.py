"""The data bucket: a stable default name, the us-east-1 rule, and other-account names caught early."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from ..errors import AwsAccessError, ConfigurationError
from ..state import read_json, state_dir, write_json
from .calls import call, code_of
from .results import StepResult, kit_tags

if TYPE_CHECKING:
    from ..config import Settings

SUFFIX = "-kubeflow-pipeline-data"


def random_bucket_name() -> str:
    """The workshop's shape: 16 lowercase letters + 16 digits + ``-kubeflow-pipeline-data``."""
    letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))
    digits = "".join(secrets.choice(string.digits) for _ in range(16))
    return f"{letters}{digits}{SUFFIX}"


def default_bucket_name(settings: Settings) -> str:
    """The user's bucket for this target and region: chosen once, then remembered in the state folder.

    Per region, because a bucket lives in one region: switching region gets a bucket of its own.
    """
    path = _memory(settings)
    rec = read_json(path) or {}
    if not rec.get("bucket"):
        rec = {"bucket": random_bucket_name()}
        write_json(path, rec)
    return rec["bucket"]


def _memory(settings: Settings):
    return state_dir() / f"bucket-{settings.target}-{settings.region}.json"


def remember_bucket(settings: Settings, bucket: str) -> None:
    write_json(_memory(settings), {"bucket": bucket})


def resolve_bucket(settings: Settings) -> str:
    return settings.bucket or default_bucket_name(settings)


def _region_of(s3: Any, bucket: str) -> str:
    loc = call(s3, "get_bucket_location", Bucket=bucket).get("LocationConstraint")
    return loc or "us-east-1"


def ensure_bucket(settings: Settings, s3: Any, bucket: str) -> StepResult:
    """Create the bucket (no LocationConstraint in us-east-1); accept one we already own."""
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if settings.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": settings.region}
    try:
        call(s3, "create_bucket", f"create bucket {bucket}", **kwargs)
        status = "created"
    except AwsAccessError as exc:
        code = code_of(exc)
        if code == "BucketAlreadyExists":
            raise ConfigurationError(
                f"the bucket name {bucket!r} belongs to another AWS account",
                f"pick another name, e.g. {random_bucket_name()!r} (or leave bucket empty for a generated one)"
            ) from exc
        if code != "BucketAlreadyOwnedByYou":
            raise
        status = "already there"
        actual = _region_of(s3, bucket)
        if actual != settings.region:
            raise ConfigurationError(
                f"bucket {bucket} is in {actual}, but the region is {settings.region}",
                f"use region {actual} (KFSM_REGION={actual}) or another bucket") from exc
    if status == "created":
        call(s3, "put_bucket_tagging", Bucket=bucket, Tagging={"TagSet": kit_tags()})
    remember_bucket(settings, bucket)
    return StepResult("bucket", status, f"s3://{bucket} ({settings.region})", bucket)

"""The data bucket: a stable default name, the us-east-1 rule, and other-account names caught early."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import AwsAccessError, ConfigurationError
from ..state import read_model, state_dir, write_json
from .calls import call, code_of
from .results import CREATED_BY_KEY, CREATED_BY_VALUE, PIPELINE_USER_KEY, StepResult, kit_tags

if TYPE_CHECKING:
    from ..config import Settings

SUFFIX = "-kubeflow-pipeline-data"


def random_bucket_name() -> str:
    """The workshop's shape: 16 lowercase letters + 16 digits + ``-kubeflow-pipeline-data``."""
    letters = "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))
    digits = "".join(secrets.choice(string.digits) for _ in range(16))
    return f"{letters}{digits}{SUFFIX}"


class RememberedBucket(BaseModel):
    """Remembered bucket file."""

    model_config = ConfigDict(extra="ignore")

    bucket: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")


def _remembered(settings: Settings) -> str | None:
    rec = read_model(_memory(settings), RememberedBucket, "remembered-bucket file",
                     "Nothing is lost: setup finds the kit's bucket by its tags (or makes one), and clean-up "
                     "finds it on S3 too.")
    return rec.bucket if rec is not None else None


def default_bucket_name(settings: Settings) -> str:
    """The user's bucket for this target and region: chosen once, then remembered in the state folder.

    Per region, because a bucket lives in one region: switching region gets a bucket of its own.
    """
    name = _remembered(settings)
    if name is None:
        name = random_bucket_name()
        remember_bucket(settings, name)
    return name


def _memory(settings: Settings):
    return state_dir() / f"bucket-{settings.target}-{settings.region}.json"


def remember_bucket(settings: Settings, bucket: str) -> None:
    write_json(_memory(settings), RememberedBucket(bucket=bucket), what="the remembered-bucket file")


def resolve_bucket(settings: Settings) -> str:
    return settings.bucket or default_bucket_name(settings)


def configured_bucket(settings: Settings) -> str | None:
    """The bucket the settings name or the state folder remembers, without choosing a new one."""
    return settings.bucket or _remembered(settings)


def find_kit_bucket(settings: Settings, s3: Any) -> str | None:
    """A bucket this setup made earlier, found by its tags on S3 (when the remembered name is lost)."""
    try:
        buckets = call(s3, "list_buckets").get("Buckets", [])
    except Exception:  # noqa: BLE001 - not allowed to list: fall back to a new name
        return None
    for b in sorted(buckets, key=lambda b: str(b.get("CreationDate", ""))):
        try:
            tags = {t["Key"]: t["Value"] for t in call(s3, "get_bucket_tagging", Bucket=b["Name"])["TagSet"]}
        except Exception:  # noqa: BLE001, S112 - untagged or not readable: not ours
            continue
        if tags.get(CREATED_BY_KEY) == CREATED_BY_VALUE and tags.get(PIPELINE_USER_KEY) == settings.iam_user \
                and _region_of(s3, b["Name"]) == settings.region:
            return b["Name"]
    return None


def _tag_for_cleanup(settings: Settings, s3: Any, bucket: str) -> None:
    """A kit bucket made before the pipeline-user tag existed gets it, so clean-up can find it by tags."""
    try:
        tags = {t["Key"]: t["Value"] for t in call(s3, "get_bucket_tagging", Bucket=bucket)["TagSet"]}
    except Exception:  # noqa: BLE001 - untagged (the user's own bucket) or not readable: leave it alone
        return
    if tags.get(CREATED_BY_KEY) == CREATED_BY_VALUE and PIPELINE_USER_KEY not in tags:
        tags[PIPELINE_USER_KEY] = settings.iam_user
        call(s3, "put_bucket_tagging", Bucket=bucket,
             Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


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
        call(s3, "put_bucket_tagging", Bucket=bucket,
             Tagging={"TagSet": kit_tags(**{PIPELINE_USER_KEY: settings.iam_user})})
    else:
        _tag_for_cleanup(settings, s3, bucket)
    remember_bucket(settings, bucket)
    return StepResult("bucket", status, f"s3://{bucket} ({settings.region})", bucket)

"""Validators for what users type: role ARN, bucket, region, instance type, run name.

Each returns the cleaned value or raises :class:`ValidationError` whose message says what a
valid value looks like. Pasted values are stripped of surrounding whitespace (the workshop's
``jq -r`` newline bug), never rejected for it.
"""

from __future__ import annotations

import ipaddress
import math
import re
from functools import lru_cache

from .errors import ValidationError

_ROLE_EXAMPLE = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"
_PARTITIONS = {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
_ROLE_PATH_NAME = re.compile(r"^(/([\x21-\x7e]+/)*)?[\w+=,.@-]{1,64}$")
_ACCOUNT = re.compile(r"^\d{12}$")


def _clean(field: str, value: object) -> str:
    if value is None:
        raise ValidationError(field, value, "is missing")
    if not isinstance(value, str):
        raise ValidationError(field, value, f"must be text, got {type(value).__name__}")
    return value.strip()


def role_arn(value: object, field: str = "role_arn") -> str:
    """An IAM role ARN: ``arn:<partition>:iam::<12 digits>:role/<path/name>``."""
    from botocore.utils import ArnParser, InvalidArnException

    text = _clean(field, value)
    if not text:
        raise ValidationError(field, value, "is empty", f"paste the role's ARN, e.g. {_ROLE_EXAMPLE}")
    if any(c.isspace() for c in text):
        raise ValidationError(field, value, "contains whitespace inside the ARN",
                              "copy the ARN again as one line, e.g. from "
                              "`aws iam get-role --role-name NAME --query Role.Arn --output text`")
    if text.startswith("<") or text.endswith(">"):
        raise ValidationError(field, value, "is still the placeholder from the instructions",
                              f"replace it with your role's ARN, e.g. {_ROLE_EXAMPLE}")
    if not text.startswith("arn:"):
        raise ValidationError(field, value, f"{text!r} is a role name, not an ARN",
                              f"use the full ARN: `aws iam get-role --role-name {text} "
                              "--query Role.Arn --output text`, e.g. " + _ROLE_EXAMPLE)
    try:
        arn = ArnParser().parse_arn(text)
    except InvalidArnException:
        raise ValidationError(field, value, "is not a well-formed ARN (expected six ':'-separated parts)",
                              f"a role ARN looks like {_ROLE_EXAMPLE}") from None
    if arn["partition"] not in _PARTITIONS:
        raise ValidationError(field, value, f"unknown partition {arn['partition']!r}",
                              "the partition is aws (or aws-cn, aws-us-gov)")
    if arn["service"] == "sts" and arn["resource"].startswith("assumed-role/"):
        raise ValidationError(field, value, "is an assumed-role session ARN, not a role ARN",
                              "use the role's own ARN: arn:aws:iam::<account>:role/<name>")
    if arn["service"] != "iam":
        raise ValidationError(field, value, f"is an ARN of service {arn['service']!r}, not an IAM role",
                              f"a role ARN looks like {_ROLE_EXAMPLE}")
    if arn["region"]:
        raise ValidationError(field, value, "IAM ARNs have no region (the part after 'iam:' must be empty)",
                              f"a role ARN looks like {_ROLE_EXAMPLE}")
    if arn["account"] == "aws" and arn["resource"].startswith("policy/"):
        raise ValidationError(field, value, "is a managed policy ARN, not a role",
                              "give the ARN of the role that has this policy attached")
    if not _ACCOUNT.match(arn["account"]):
        raise ValidationError(field, value, f"account {arn['account']!r} is not 12 digits",
                              f"a role ARN looks like {_ROLE_EXAMPLE}")
    kind, _, rest = arn["resource"].partition("/")
    if kind == "user":
        raise ValidationError(field, value, "is an IAM user ARN; SageMaker needs a role it can assume",
                              "create the execution role with `kfsm-lab setup iam` and use its ARN")
    if kind == "policy":
        raise ValidationError(field, value, "is a policy ARN, not a role",
                              "give the ARN of the role that has this policy attached")
    if kind != "role":
        raise ValidationError(field, value, f"resource type {kind!r} is not a role",
                              f"a role ARN looks like {_ROLE_EXAMPLE}")
    if not rest or not _ROLE_PATH_NAME.match("/" + rest if "/" in rest else rest) or len(rest) > 512:
        raise ValidationError(field, value, "role name is empty or has characters IAM does not allow",
                              "role names use letters, digits and + = , . @ _ - (up to 64 characters)")
    return text


def role_name_of(arn: str) -> str:
    """The bare role name (last path segment) of a validated role ARN."""
    return arn.rsplit("/", 1)[-1]


_BUCKET_CHARS = re.compile(r"^[a-z0-9.-]+$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


_BUCKET_HINT = "e.g. 'kfsm-lab-mnist-us-west-2', or leave the bucket empty and setup picks a free name"


def bucket_name(value: object, field: str = "bucket") -> str:
    """An S3 general-purpose bucket name, checked against every S3 naming rule."""
    try:
        return _bucket_name(value, field)
    except ValidationError as exc:
        if exc.hint is None:  # every rule's message says what is wrong; the hint what to type instead
            exc.hint = _BUCKET_HINT
        raise


def _bucket_name(value: object, field: str) -> str:
    text = _clean(field, value)
    if text.startswith("s3://"):
        raise ValidationError(field, value, "give the bucket name without 's3://'",
                              f"use {text[5:].split('/')[0]!r}")
    rule = "3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit"
    if not 3 <= len(text) <= 63:
        raise ValidationError(field, value, f"is {len(text)} characters long; bucket names are {rule}")
    if not _BUCKET_CHARS.match(text):
        bad = sorted({c for c in text if not re.match(r"[a-z0-9.-]", c)})
        hint = "use lower case" if any(c.isupper() for c in bad) else None
        raise ValidationError(field, value, f"has characters S3 does not allow {bad!r}; bucket names are {rule}",
                              hint)
    if not (text[0].isalnum() and text[-1].isalnum()):
        raise ValidationError(field, value, f"must start and end with a letter or digit; bucket names are {rule}")
    if ".." in text:
        raise ValidationError(field, value, "must not contain two adjacent periods")
    if ".-" in text or "-." in text:
        raise ValidationError(field, value, "must not have a period next to a hyphen")
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        pass
    else:
        raise ValidationError(field, value, "must not be formatted as an IP address")
    for p in _BUCKET_PREFIXES:
        if text.startswith(p):
            raise ValidationError(field, value, f"must not start with the reserved prefix {p!r}")
    for s in _BUCKET_SUFFIXES:
        if text.endswith(s):
            raise ValidationError(field, value, f"must not end with the reserved suffix {s!r}")
    return text


@lru_cache(maxsize=1)
def sagemaker_regions() -> frozenset[str]:
    """Regions botocore knows SageMaker in, across the public, China and GovCloud partitions."""
    from .aws import botocore_session

    s = botocore_session()
    regions: set[str] = set()
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        regions.update(s.get_available_regions("sagemaker", partition))
    return frozenset(regions)


def region(value: object, field: str = "region") -> str:
    """An AWS region where SageMaker exists (per botocore's endpoint data)."""
    text = _clean(field, value).lower()
    known = sagemaker_regions()
    if text in known:
        return text
    if not re.match(r"^[a-z]{2}(-[a-z]+)+-\d$", text):
        raise ValidationError(field, value, f"{value!r} is not shaped like an AWS region",
                              "regions look like us-west-2 or eu-central-1")
    import difflib

    close = difflib.get_close_matches(text, sorted(known), n=1)
    raise ValidationError(field, value, f"SageMaker is not offered in {text!r} (botocore does not know it)",
                          f"did you mean {close[0]!r}?" if close else "pick a region from the SageMaker console")


_INSTANCE = re.compile(r"^ml\.[a-z][a-z0-9-]*\.(\d*x?large|medium|small|micro|nano|\d+xlarge|metal(-\d+xl)?)$")


def instance_type(value: object, field: str = "instance_type") -> str:
    """A SageMaker instance type, always of the ``ml.`` family (e.g. ``ml.m5.large``)."""
    text = _clean(field, value)
    if not text.startswith("ml."):
        raise ValidationError(field, value, f"{text!r} is not a SageMaker instance type",
                              f"SageMaker types start with 'ml.', e.g. 'ml.{text}'" if text.count(".") == 1
                              else "e.g. ml.m5.large")
    if not _INSTANCE.match(text):
        raise ValidationError(field, value, f"{text!r} is not shaped like ml.<family>.<size>",
                              "e.g. ml.m5.large, ml.c5.2xlarge")
    return text


#: The longest run id: ``kfsm-<run id>-epconfig`` and its siblings stay within SageMaker's 63 characters.
MAX_RUN_NAME = 40
_RUN_NAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")


def run_name(value: object, field: str = "run_name") -> str:
    """A run id used inside SageMaker resource names: 1-40 of a-z, A-Z, 0-9 and '-'."""
    text = _clean(field, value)
    if len(text) > MAX_RUN_NAME:
        raise ValidationError(field, value if len(text) < 80 else text[:60] + "…",
                              f"must be 1-40 letters, digits and hyphens; this one is {len(text)} characters long "
                              f"(at most {MAX_RUN_NAME}: the SageMaker names made from it allow 63)", "e.g. 'mnist-1'")
    if not _RUN_NAME.match(text):
        raise ValidationError(field, value,
                              "must be 1-40 letters, digits and hyphens, starting and ending with a letter "
                              "or digit (it becomes part of SageMaker job names)",
                              "e.g. 'mnist-1'")
    return text


_INT_HINTS = {
    "k": "k is the number of clusters, e.g. 10 (one per digit)",
    "feature_dim": "feature_dim is the number of values per record: 784 for 28×28 MNIST images",
    "mini_batch_size": "records per mini-batch, e.g. 5000 (SageMaker's default)",
    "volume_size_gb": "the training volume in GB, e.g. 10",
    "training_instance_count": "how many training instances, e.g. 1",
}


def positive_int(value: object, field: str, maximum: int | None = None) -> int:
    """A whole number > 0 (and <= maximum)."""
    hint = _INT_HINTS.get(field, "a whole number such as 1")
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"must be a whole number, got {value!r}", hint) from None
    if n < 1 or (maximum is not None and n > maximum):
        bound = f"between 1 and {maximum}" if maximum else "at least 1"
        raise ValidationError(field, value, f"must be {bound}, got {n}", hint)
    return n


MAX_PACE = 60.0


def pace(value: object, field: str = "pace") -> float:
    """The least seconds a local job or endpoint takes, spread over its status steps: from 0 (instant) to 60."""
    hint = "0 = instant, 3 = visible progress (at most 60)"
    if isinstance(value, bool):
        raise ValidationError(field, value, "must be a number of seconds, not true/false", hint)
    try:
        f = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError(field, value, f"must be a number of seconds (0 = instant), got {value!r}", hint) from None
    if not math.isfinite(f):
        raise ValidationError(field, value, f"must be a real number of seconds, got {value!r}", hint)
    if not 0 <= f <= MAX_PACE:
        raise ValidationError(field, value, f"must be between 0 and {MAX_PACE:g} seconds, got {f:g}", hint)
    return f

"""boto3 clients for either target, one retry policy, and botocore errors in the kit's terms.

On ``aws`` boto3 finds credentials and endpoints the usual way. On ``local`` every client points
at the local cloud with the local cloud's own keys, so the user's real credentials never reach it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import AwsAccessError, CredentialsError, QuotaError

if TYPE_CHECKING:
    import boto3

    from .config import Settings

RETRY_CONFIG = {"max_attempts": 8, "mode": "standard"}

_HINTS = {
    "AccessDenied": "the caller lacks a permission; run `kfsm-lab doctor` to see which identity is used",
    "AccessDeniedException": "the caller lacks a permission; run `kfsm-lab doctor` to see which identity is used",
    "ExpiredToken": "your session expired; refresh your credentials (aws sso login / new keys)",
    "ExpiredTokenException": "your session expired; refresh your credentials (aws sso login / new keys)",
    "InvalidClientTokenId": "the access key is unknown; check AWS_ACCESS_KEY_ID or your profile",
    "UnrecognizedClientException": "the access key is unknown; check AWS_ACCESS_KEY_ID or your profile",
    "SignatureDoesNotMatch": "the secret key does not match the access key (a stray newline or space?)",
    "ThrottlingException": "AWS is throttling this account; wait a minute and re-run, it resumes",
    "ResourceLimitExceeded": "an account quota is too low: request an increase in Service Quotas "
                             "(SageMaker) or pick a smaller instance type",
    "NoSuchBucket": "the bucket does not exist; run `kfsm-lab setup bucket`",
    "ModelError": "the model rejected the request: send text/csv or application/json with feature_dim "
                  "values per record",
}


def partition_of(region: str) -> str:
    """The AWS partition a region belongs to (``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``)."""
    for prefix, partition in (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso")):
        if region.startswith(prefix):
            return partition
    return "aws"


def botocore_config(**extra: Any):
    from botocore.config import Config

    return Config(retries=dict(RETRY_CONFIG), user_agent_extra=f"kfsm-lab/{__version__}", **extra)


def session(settings: Settings) -> boto3.Session:
    """A boto3 session for the settings' target and region."""
    import boto3

    if settings.target == "local":
        from .localcloud import ensure_running

        info = ensure_running()
        return boto3.Session(aws_access_key_id=info.access_key_id,
                             aws_secret_access_key=info.secret_access_key,
                             region_name=settings.region)
    return boto3.Session(region_name=settings.region)


def client(settings: Settings, service: str, session_: boto3.Session | None = None, **kwargs: Any):
    """A client for ``service`` with standard retries; on local, pointed at the local cloud."""
    sess = session_ or session(settings)
    if settings.target == "local":
        from .localcloud import ensure_running
        from .localcloud.restarts import watch_client

        kwargs.setdefault("endpoint_url", ensure_running().endpoint_url)
        kwargs.setdefault("config", botocore_config())
        return watch_client(sess.client(service, **kwargs))  # a restarted cloud is named, not a NoSuchBucket
    kwargs.setdefault("config", botocore_config())
    return sess.client(service, **kwargs)


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a ClientError, else None."""
    resp = getattr(exc, "response", None)
    if isinstance(resp, dict):
        return resp.get("Error", {}).get("Code")
    return None


_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError"}
# Operations whose IAM action is not simply <service>:<OperationName>.
_ACTION_OF = {"HeadObject": "s3:GetObject", "HeadBucket": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket",
              "InvokeEndpoint": "sagemaker:InvokeEndpoint", "UploadPart": "s3:PutObject",
              "CreateMultipartUpload": "s3:PutObject", "CompleteMultipartUpload": "s3:PutObject"}


def iam_action(service: str | None, operation: str | None) -> str | None:
    """The IAM action a call needs (``iam:CreateRole``), for AccessDenied hints."""
    if not operation:
        return None
    if operation in _ACTION_OF:
        return _ACTION_OF[operation]
    prefix = {"sagemaker-runtime": "sagemaker", "logs": "logs", None: None}.get(service, service)
    return f"{prefix}:{operation}" if prefix else None


def translate(exc: BaseException, what: str = "", service: str | None = None) -> Exception:
    """Turn a botocore exception into the kit's error with a hint; others pass through.

    ``service`` (e.g. ``"iam"``) lets an AccessDenied name the exact missing permission.
    """
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    prefix = f"{what}: " if what else ""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return CredentialsError(prefix + "no AWS credentials were found",
                                "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, run `aws configure`, "
                                "or use the local target (--target local)")
    if isinstance(exc, NoRegionError):
        return AwsAccessError(prefix + "no AWS region is set", "pass --region or set KFSM_REGION")
    if isinstance(exc, EndpointConnectionError):
        return AwsAccessError(prefix + f"could not reach {exc.kwargs.get('endpoint_url')}",
                              "check the network; on the local target run `kfsm-lab local status`")
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = err.get("Code", "Unknown")
        op = getattr(exc, "operation_name", None)
        msg = f"{prefix}{op or 'AWS call'} failed with {code}: {err.get('Message', '')}".rstrip(": ")
        cls = QuotaError if code == "ResourceLimitExceeded" else AwsAccessError
        hint = _HINTS.get(code)
        action = iam_action(service, op)
        if code in _DENIED and action:
            hint = (f"the caller is missing the permission {action}; attach a policy that allows it "
                    "(`kfsm-lab doctor` shows which identity is calling)")
        return cls(msg, hint, code=code, operation=op)
    return exc  # type: ignore[return-value]

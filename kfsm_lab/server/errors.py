"""HTTP status codes for the kit's errors, so the frontend can tell "fix your input" from "AWS said no"."""

from __future__ import annotations

from ..errors import AwsAccessError, CredentialsError, KfsmError, ValidationError

_AWS_STATUS = {
    "AccessDenied": 403,
    "AccessDeniedException": 403,
    "ResourceNotFound": 404,
    "ResourceInUse": 409,
    "ThrottlingException": 429,
    "ResourceLimitExceeded": 429,
}


class NotFoundError(KfsmError):
    """The thing asked for does not exist (endpoint, bundled notebook, folder)."""


class ForbiddenError(KfsmError):
    """The request is well-formed but the kit refuses it (e.g. deleting what it did not create)."""


class ConflictError(KfsmError):
    """The request does not fit the thing's current state (re-running a run that still runs)."""


def status_for(err: KfsmError) -> int:
    """The HTTP status that best describes ``err``."""
    if isinstance(err, NotFoundError):
        return 404
    if isinstance(err, ConflictError):
        return 409
    if isinstance(err, ForbiddenError):
        return 403
    if isinstance(err, ValidationError):
        return 400
    if isinstance(err, CredentialsError):
        return 503
    kfp = _kfp_status(err)
    if kfp is not None:
        return kfp
    if isinstance(err, AwsAccessError):
        if err.code == "ValidationException" and "could not find" in err.message.lower():
            return 404
        return _AWS_STATUS.get(err.code or "", 502)
    return 500


def _kfp_status(err: KfsmError) -> int | None:
    """A Kubeflow Pipelines API that refused the token is 403 (the user's move); one that is unreachable, 502."""
    from ..pipeline.kfp_client import KfpAuthError, KfpError

    if isinstance(err, KfpAuthError):
        return 403
    if isinstance(err, KfpError):  # unreachable, a 1.x backend, or an API error
        return 502
    return None


def is_not_found(exc: BaseException) -> bool:
    """True when a boto3 error means "no such resource" (SageMaker says so in several ways)."""
    from ..aws import error_code

    code = error_code(exc) or ""
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", "")).lower()
    return code in ("ResourceNotFound", "NoSuchKey", "NoSuchBucket", "404") or (
        code == "ValidationException" and any(w in message for w in ("could not find", "not found",
                                                                      "does not exist")))

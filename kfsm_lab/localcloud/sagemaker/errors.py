"""SageMaker errors in the real service's codes and wording.

The control plane (JSON 1.1) answers 400 with ``{"__type": code, "message": text}``; the runtime
(rest-json) uses the ``x-amzn-ErrorType`` header. Messages copy the real service's style because
users paste them into search engines.
"""

from __future__ import annotations


class SageMakerError(Exception):
    """One error response: code, message and HTTP status."""

    code = "ValidationException"
    status = 400

    def __init__(self, message: str, code: str | None = None, status: int | None = None,
                 extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.extra = extra or {}

    def body(self) -> dict:
        return {"__type": self.code, "message": self.message, **self.extra}


class ValidationException(SageMakerError):
    code = "ValidationException"


class ResourceInUse(SageMakerError):
    code = "ResourceInUse"


class ResourceNotFound(SageMakerError):
    code = "ResourceNotFound"


class ResourceLimitExceeded(SageMakerError):
    code = "ResourceLimitExceeded"


class UnknownOperation(SageMakerError):
    code = "UnknownOperationException"


def not_found(kind: str, arn: str) -> ValidationException:
    """``Could not find endpoint "arn:…".`` (DescribeModel/EndpointConfig/Endpoint style)."""
    return ValidationException(f'Could not find {kind} "{arn}".')


def already_exists(kind: str, arn: str) -> ValidationException:
    """``Cannot create already existing endpoint "arn:…".``"""
    return ValidationException(f'Cannot create already existing {kind} "{arn}".')


def cannot_assume(role_arn: str) -> ValidationException:
    return ValidationException(
        f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
        "'sagemaker.amazonaws.com' to assume the role.")


# --- runtime (sagemaker-runtime, rest-json) -------------------------------------------------------

class RuntimeError_(SageMakerError):
    """An InvokeEndpoint error; ``code`` goes out in ``x-amzn-ErrorType``."""

    code = "ValidationError"


def endpoint_not_found(name: str, account: str) -> RuntimeError_:
    return RuntimeError_(f"Endpoint {name} of account {account} not found.", "ValidationError", 400)


def model_error(original_status: int, message: str, endpoint: str, account: str, region: str
                ) -> RuntimeError_:
    """What SageMaker returns when the container answers 4xx: 424 ModelError wrapping it."""
    group = f"/aws/sagemaker/Endpoints/{endpoint}"
    text = (f'Received client error ({original_status}) from primary with message "{message}". '
            f"See CloudWatch Logs group {group} in account {account} for more information.")
    return RuntimeError_(text, "ModelError", 424, extra={
        "OriginalStatusCode": original_status,
        "OriginalMessage": message,
        "LogStreamArn": f"arn:aws:logs:{region}:{account}:log-group:{group}",
    })

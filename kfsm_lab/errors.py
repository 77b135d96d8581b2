"""The kit's exceptions: one root, and subclasses that tell the user what to do next."""

from __future__ import annotations


class KfsmError(Exception):
    """Root of every error the kit raises on purpose.

    ``hint`` says what to do about it; ``str(err)`` gives message and hint together.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "message": self.message, "hint": self.hint}


class ConfigurationError(KfsmError):
    """The settings as a whole do not fit together (e.g. aws target without a role)."""


class ValidationError(KfsmError, ValueError):
    """One user-entered value is malformed."""

    def __init__(self, field: str, value: object, message: str, hint: str | None = None) -> None:
        super().__init__(f"{field}: {message}", hint)
        self.field = field
        self.value = value

    def to_dict(self) -> dict:
        return {**super().to_dict(), "field": self.field}


class AwsAccessError(KfsmError):
    """An AWS call failed; carries the AWS error code and the operation."""

    def __init__(self, message: str, hint: str | None = None, code: str | None = None,
                 operation: str | None = None) -> None:
        super().__init__(message, hint)
        self.code = code
        self.operation = operation

    def to_dict(self) -> dict:
        return {**super().to_dict(), "code": self.code, "operation": self.operation}


class CredentialsError(AwsAccessError):
    """No usable AWS credentials were found."""


class QuotaError(AwsAccessError):
    """An account quota (e.g. instances of a type) is too low for the request."""


class WaitTimeoutError(KfsmError, TimeoutError):
    """Something did not finish within the time it was given."""


class JobFailedError(KfsmError):
    """A SageMaker job or pipeline step ended in Failed/Stopped."""

    def __init__(self, job_name: str, status: str, reason: str | None, hint: str | None = None) -> None:
        super().__init__(f"{job_name} ended {status}: {reason or 'no reason given'}", hint)
        self.job_name = job_name
        self.status = status
        self.reason = reason

    def to_dict(self) -> dict:
        return {**super().to_dict(), "job_name": self.job_name, "status": self.status,
                "reason": self.reason}


class MissingDependencyError(KfsmError, ImportError):
    """An optional dependency is not installed; names the extra that brings it."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"the optional dependency {package!r} is not installed",
                         f"pip install 'kfsm_lab[{extra}]'")
        self.package = package
        self.extra = extra

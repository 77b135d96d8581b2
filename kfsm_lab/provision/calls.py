"""One wrapper for the AWS calls setup makes: botocore errors become kit errors that name the permission."""

from __future__ import annotations

from typing import Any

from ..aws import error_code, translate


def call(client: Any, operation: str, what: str = "", **kwargs: Any) -> Any:
    """``client.<operation>(**kwargs)``, raising the kit's error (with the missing IAM action) on failure."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(client, operation)(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        service = client.meta.service_model.service_name if hasattr(client, "meta") else None
        raise translate(exc, what, service=service) from exc


def code_of(exc: BaseException) -> str | None:
    """The AWS error code behind a translated kit error or a raw ClientError."""
    return getattr(exc, "code", None) or error_code(exc) or error_code(exc.__cause__ or exc)

"""Options every command that touches AWS shares, turned into one Settings object."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click


def settings_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Add --target/--region/--bucket/--role-arn and pass ``settings`` (validated) to the command."""

    @click.option("--target", type=click.Choice(["local", "aws"]), default=None,
                  help="local (embedded local cloud, default) or aws")
    @click.option("--region", default=None, help="AWS region (default us-west-2 or KFSM_REGION)")
    @click.option("--bucket", default=None, help="S3 bucket (default: a generated name, remembered)")
    @click.option("--role-arn", default=None, help="SageMaker execution role ARN")
    @functools.wraps(fn)
    def wrapper(*args: Any, target: str | None, region: str | None, bucket: str | None,
                role_arn: str | None, **kwargs: Any) -> Any:
        from ..config import load_settings

        settings = load_settings(target=target, region=region, bucket=bucket, role_arn=role_arn)
        return fn(*args, settings=settings, **kwargs)

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="machine-readable output")

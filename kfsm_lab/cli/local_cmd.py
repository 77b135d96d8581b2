"""``kfsm-lab local start|status|env|stop``: the local cloud's lifecycle from a shell."""

from __future__ import annotations

import shlex

import click

from . import emit, fail


def _text(info) -> str:
    d = info.public_dict()
    width = max(map(len, d))
    return "\n".join(f"{k:<{width}}  {v}" for k, v in d.items())


@click.group()
def local() -> None:
    """Start, inspect and stop the local cloud (S3, IAM, STS, Logs, SageMaker on 127.0.0.1)."""


@local.command("start")
@click.option("--pace", type=float, default=None,
              help="seconds each status transition takes (0 = instant; default KFSM_PACE or 0)")
@click.option("--region", default=None, help="default region reported to clients (default KFSM_REGION or us-west-2)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def start(pace: float | None, region: str | None, as_json: bool) -> None:
    """Start the local cloud, or reuse the one already running."""
    from ..errors import KfsmError
    from ..localcloud import ensure_running

    try:
        info = ensure_running(pace=pace, region=region)
    except KfsmError as exc:
        fail(exc, as_json)
        return
    verb = "reusing" if info.reused else "started"
    emit(info.public_dict(), as_json, f"local cloud {verb} at {info.endpoint_url}\n{_text(info)}")


@local.command("status")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def status_cmd(as_json: bool) -> None:
    """Say whether a local cloud runs, and where. Exit status 3 when none runs."""
    from ..localcloud import status

    info = status()
    if info is None:
        emit({"running": False}, as_json, "no local cloud is running (start one with `kfsm-lab local start`)")
        raise SystemExit(3)
    emit({"running": True, **info.public_dict()}, as_json, f"running\n{_text(info)}")


@local.command("env")
def env_cmd() -> None:
    """Print `export` lines that point the AWS CLI and boto3 at the local cloud (starts it if needed).

    The keys printed are the local cloud's fixed test keys, which unlock nothing else.
    """
    from ..localcloud import ensure_running

    info = ensure_running()
    for key, value in info.env().items():
        click.echo(f"export {key}={shlex.quote(value)}")


@local.command("stop")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def stop_cmd(as_json: bool) -> None:
    """Stop the running local cloud (its state is lost)."""
    from ..localcloud import stop

    stopped = stop()
    emit({"stopped": stopped}, as_json, "local cloud stopped" if stopped else "no local cloud was running")

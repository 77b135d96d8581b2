"""``kfsm-lab config show``."""

from __future__ import annotations

import click

from . import emit


@click.group()
def config() -> None:
    """Show the resolved settings."""


@config.command("show")
@click.option("--target", type=click.Choice(["local", "aws"]), default=None)
@click.option("--region", default=None)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def show(target: str | None, region: str | None, as_json: bool) -> None:
    """Print the settings after argument > KFSM_* environment > default resolution."""
    from ..config import load_settings

    s = load_settings(target=target, region=region)
    data = s.public_dict()
    width = max(map(len, data))
    emit(data, as_json, "\n".join(f"{k:<{width}}  {'' if v is None else v}" for k, v in data.items()))

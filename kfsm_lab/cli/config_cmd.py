"""``kfsm-lab config show``."""

from __future__ import annotations

import click

from . import emit


@click.group()
def config() -> None:
    """Show the resolved settings."""


@config.command("show")
@click.option("--target", type=click.Choice(["local", "aws"]), default=None, help="local (default) or aws")
@click.option("--region", default=None, help="AWS region (default us-west-2 or KFSM_REGION)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def show(target: str | None, region: str | None, as_json: bool) -> None:
    """Print the settings after argument > KFSM_* environment > default resolution.

    Where the role ARN or bucket is not set, the one the last setup for this target and region
    settled on is shown (and used by the kit), marked as remembered.
    """
    from .. import journal
    from ..config import load_settings
    from ..i18n import t

    s = load_settings(target=target, region=region)
    data = s.public_dict()
    setup = journal.entries(s.target, s.region).get("setup") or {}
    notes: dict[str, str] = {}
    for key in ("role_arn", "bucket"):
        if data.get(key) is None and setup.get(key):
            data[key] = setup[key]
            notes[key] = t(None, "cli.remembered")
        elif data.get(key) is None:
            notes[key] = t(None, "cli.not_set")
    if as_json:
        emit({**data, "remembered": sorted(k for k in notes if data.get(k))}, True)
        return
    width = max(map(len, data))
    emit(data, False, "\n".join(f"{k:<{width}}  {'' if v is None else v}{'  ' + notes[k] if k in notes else ''}"
                                for k, v in data.items()))

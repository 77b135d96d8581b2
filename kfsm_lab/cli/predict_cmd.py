"""``kfsm-lab predict`` and ``kfsm-lab cleanup``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import emit
from .options import json_option, settings_options


@click.command()
@settings_options
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="run id (default: the newest run with a live endpoint)")
@click.option("--n", "n", default=30, show_default=True, help="test digits drawn in the figure")
@click.option("--figures", "figures_dir", type=click.Path(file_okay=False), default=None,
              help="write the figures as PNG files into this folder")
@json_option
def predict(settings: Any, run_id: str | None, n: int, figures_dir: str | None, as_json: bool) -> None:
    """Ask the endpoint about held-out digits; report accuracy, per-digit accuracy, confusion."""
    from .. import lab

    report = lab.predict(settings, run_id=run_id)
    data = report.to_dict()
    if figures_dir:
        out = Path(figures_dir)
        out.mkdir(parents=True, exist_ok=True)
        data["figures"] = {}
        for name, fig in report.figures(n).items():
            path = out / f"predictions_{name}.png"
            fig.savefig(path, dpi=150)
            data["figures"][name] = str(path)
    text = report.text()
    if figures_dir:
        text += "\nfigures: " + ", ".join(data["figures"].values())
    emit(data, as_json, text)


def _which_hint() -> str:
    """What to type instead, with a real run id (the newest) rather than a placeholder."""
    from ..i18n import t
    from ..pipeline import list_runs

    runs = list_runs(limit=1)
    hint = t(None, "cli.cleanup_which_hint")
    if runs:
        hint += t(None, "cli.cleanup_which_run", command=f"`kfsm-lab cleanup --run {runs[0]['run_id']}`")
    return hint


@click.command()
@settings_options
@click.option("--run", "run_id", default=None, metavar="RUN_ID", help="clean up one run's resources")
@click.option("--all", "all_runs", is_flag=True, help="clean up every run's resources")
@click.option("--include-bucket", is_flag=True, help="also delete the kit's bucket with its data")
@click.option("--include-iam", is_flag=True, help="also delete the IAM user and keys, the role and the secret")
@click.option("--worker-role", default=None, metavar="ROLE", help="also remove the inline invoke policy from this role")
@click.option("--dry-run", is_flag=True, help="list what would go (every run's, unless --run); delete nothing")
@json_option
def cleanup(settings: Any, run_id: str | None, all_runs: bool, include_bucket: bool, include_iam: bool,
            worker_role: str | None, dry_run: bool, as_json: bool) -> None:
    """Delete what the kit created (only that), so nothing keeps billing."""
    from .. import lab
    from ..errors import KfsmError
    from ..i18n import t

    if run_id and all_runs:
        raise click.UsageError(t(None, "cli.cleanup_both"))
    if not run_id and not all_runs:
        if not dry_run:  # deleting needs a decision; listing does not
            raise KfsmError(t(None, "cli.cleanup_which"), _which_hint())
        all_runs = True
    report = lab.cleanup(settings, None if all_runs else run_id, include_bucket=include_bucket,
                         include_iam=include_iam, worker_role=worker_role, dry_run=dry_run)
    emit(report.to_dict(), as_json, report.text())

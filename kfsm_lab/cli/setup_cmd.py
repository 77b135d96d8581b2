"""``kfsm-lab setup [iam|bucket|data|all]`` and ``kfsm-lab doctor``.

``kfsm-lab setup`` alone does everything (the same as ``setup all``), so every hint that says
"run `kfsm-lab setup`" works as printed.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from . import emit
from .options import json_option, settings_options


def _run(step: str, settings: Any, dry_run: bool, as_json: bool, worker_role: str | None = None) -> None:
    from .. import provision

    if dry_run:
        report = provision.plan(settings)
    elif step == "iam":
        report = provision.setup_iam(settings, worker_role=worker_role)
    elif step == "bucket":
        report = provision.setup_bucket(settings)
    elif step == "data":
        report = provision.setup_data(settings)
    else:
        report = provision.setup_all(settings, worker_role=worker_role)
    if not dry_run and step == "all" and report.settings is not None:
        from .. import journal

        done = report.settings
        journal.record("setup", done, report, role_arn=done.role_arn, bucket=done.bucket,
                       changed=sum(1 for s in report.steps if s.status in ("created", "updated")))
    text = report.text()
    if not dry_run and report.settings is not None and step in ("iam", "all"):
        text += f"\nrole_arn: {report.settings.role_arn}\nbucket:   {report.settings.bucket}"
    emit(report.to_dict(), as_json, text)


_DRY = click.option("--dry-run", is_flag=True, help="show what would change; change nothing")
_WORKER = click.option("--worker-role", default=None, metavar="ROLE",
                       help="worker-node role that gets the inline sagemaker:InvokeEndpoint policy (aws)")


@click.group(invoke_without_command=True)
@settings_options
@_DRY
@json_option
@_WORKER
@click.pass_context
def setup(ctx: click.Context, settings: Any, dry_run: bool, as_json: bool, worker_role: str | None) -> None:
    """Create the IAM user, role, secret, bucket and data (each step safe to re-run).

    Without a step name it does all of them, like `kfsm-lab setup all`.
    """
    if ctx.invoked_subcommand is None:
        _run("all", settings, dry_run, as_json, worker_role)


def _step(name: str, doc: str) -> None:
    @setup.command(name, help=doc)
    @settings_options
    @_DRY
    @json_option
    @_WORKER
    def cmd(settings: Any, dry_run: bool, as_json: bool, worker_role: str | None) -> None:
        _run(name, settings, dry_run, as_json, worker_role)


_step("iam", "IAM user + key, execution role, and the pipeline secret.")
_step("bucket", "The data bucket (us-east-1 rule, other-account names caught).")
_step("data", "Upload the MNIST splits in the workshop's layout (identical objects skipped).")
_step("all", "bucket, iam and data in one go.")


@click.command()
@settings_options
@json_option
def doctor(settings: Any, as_json: bool) -> None:
    """Check everything the exercise needs; exit status 1 if any check fails.

    Read-only: it changes nothing and never starts a local cloud.
    """
    from ..checks import run_doctor

    report = run_doctor(settings)
    emit(report.to_dict(), as_json, report.text())
    sys.exit(0 if report.ok else 1)

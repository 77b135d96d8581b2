"""``kfsm-lab local start|status|env|stop|reset``: the local cloud's lifecycle from a shell.

``start`` and ``env`` take the user lease: the cloud then runs until ``local stop``. Its state (buckets,
IAM, jobs, endpoints) is kept in the state folder across stops; only ``local reset --yes`` empties it.
"""

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
@click.option("--pace", type=str, default=None,
              help="least seconds each job or endpoint takes, spread over its status steps, 0 to 60"
                   " (0 = instant; default KFSM_PACE or 0)")
@click.option("--region", default=None, help="default region reported to clients (default KFSM_REGION or us-west-2)")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def start(pace: str | None, region: str | None, as_json: bool) -> None:
    """Start the local cloud, or reuse the one already running; it runs until `kfsm-lab local stop`."""
    from ..errors import KfsmError
    from ..localcloud import ensure_running
    from ..localcloud.leases import acquire

    try:
        info = ensure_running(pace=pace, region=region, lease=False, prewarm=False)  # its users are other processes
        acquire("user")
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

    The keys printed are the local cloud's own, from your state folder; they unlock nothing else.
    Like `local start`, it keeps the cloud running until `kfsm-lab local stop`.
    """
    from ..errors import KfsmError
    from ..localcloud import ensure_running
    from ..localcloud.leases import acquire

    try:
        info = ensure_running(lease=False, prewarm=False)  # the shell that evals it makes the calls
        acquire("user")
    except KfsmError as exc:
        fail(exc)
        return
    for key, value in info.env().items():
        click.echo(f"export {key}={shlex.quote(value)}")


@local.command("stop")
@click.option("--force", is_flag=True, help="stop it even while other kit processes use it")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def stop_cmd(force: bool, as_json: bool) -> None:
    """Stop the local cloud (its state is kept: the next start brings everything back).

    While another kit process still uses it (a notebook kernel, a `kfsm-lab run`), it keeps running and
    stops by itself once they end; --force stops it now.
    """
    from ..localcloud import status, stop, stop_unless_used
    from ..localcloud.leases import USER_LEASE_ID, release

    if force:
        stopped = stop()
        emit({"stopped": stopped}, as_json, "local cloud stopped" if stopped else "no local cloud was running")
        return
    release(USER_LEASE_ID)
    running = status() is not None
    stopped, users = stop_unless_used()
    if users:
        who = "; ".join(u.describe() for u in users)
        emit({"stopped": False, "in_use_by": [u.model_dump() for u in users]}, as_json,
             f"the local cloud is still used by {who}; it stops by itself once they end "
             "(`kfsm-lab local stop --force` stops it now)")
        return
    emit({"stopped": stopped}, as_json, "local cloud stopped" if stopped or running else "no local cloud was running")


@local.command("reset")
@click.option("--yes", is_flag=True, help="confirm: delete every bucket, IAM user, job, endpoint and local run")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def reset_cmd(yes: bool, as_json: bool) -> None:
    """Empty the local cloud on purpose: stop it and delete its saved state (keys stay)."""
    from ..errors import ConfigurationError
    from ..localcloud import reset

    if not yes:
        fail(ConfigurationError("`kfsm-lab local reset` deletes everything in the local cloud: buckets and their "
                                "objects, IAM users and roles, jobs, models, endpoints, local pipeline runs",
                                "run `kfsm-lab local reset --yes` to do it"), as_json)
        return
    done = reset()
    emit(done, as_json, ("local cloud stopped; " if done["stopped"] else "")
         + (f"removed {len(done['removed'])} saved item(s); the next start is empty" if done["removed"]
            else "nothing was saved; the next start is empty"))


@local.group("faults")
def faults() -> None:
    """Inject faults into the running local cloud: throttling, 5xx, slow answers, jobs that fail midway."""


def _running():
    from ..errors import KfsmError
    from ..localcloud import status

    info = status()
    if info is None:
        raise KfsmError("no local cloud is running", "start one with `kfsm-lab local start`")
    return info


def _admin(info, payload: dict | None = None, method: str | None = None) -> dict:
    import json
    import urllib.error

    from ..errors import ValidationError

    try:
        return info.admin("faults", payload, method=method)
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read() or b"{}")
        raise ValidationError("fault", payload, body.get("error", str(exc)),
                              "e.g. kfsm-lab local faults add --operation sagemaker.DescribeTrainingJob "
                              "--kind throttle --count 3") from None


def _faults_text(data: dict) -> str:
    def left(f: dict) -> str:
        return "until cleared" if f["count"] is None else f"{f['count'] - f['fired']} left"

    rows = [f"{f['id']}  {f['kind']:<9} {f.get('job') or f['operation']:<40} {left(f)}" for f in data["faults"]]
    fired = [f"  {k}: {v}" for k, v in data["injected"].items()]
    return "\n".join((rows or ["no faults armed"]) + (["injected so far:", *fired] if fired else []))


@faults.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def faults_list(as_json: bool) -> None:
    """The armed faults and how often each kind has fired."""
    data = _admin(_running())
    emit(data, as_json, _faults_text(data))


@faults.command("add")
@click.option("--kind", type=click.Choice(["throttle", "error", "slow", "fail_job"]), required=True,
              help="throttle (AWS throttling error), error (a 500), slow (a delay) or fail_job (the job fails)")
@click.option("--operation", default="*", show_default=True,
              help="service.Operation as counted in /_kfsm/stats, e.g. sagemaker.DescribeTrainingJob or s3.*")
@click.option("--count", type=click.IntRange(1), default=None, help="how many requests (default: until cleared)")
@click.option("--status", type=click.IntRange(400, 599), default=None, help="error: HTTP status (default 500)")
@click.option("--code", default=None, help="error: the AWS error code to answer with")
@click.option("--seconds", type=float, default=None, help="slow: delay per request")
@click.option("--job", default=None, help="fail_job: training or transform job name")
@click.option("--after-seconds", type=float, default=None, help="fail_job: fail once the job has run this long")
@click.option("--reason", default=None, help="fail_job: the FailureReason to report")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def faults_add(as_json: bool, **fields: object) -> None:
    """Arm one fault."""
    payload = {k: v for k, v in fields.items() if v is not None}
    data = _admin(_running(), payload)
    emit(data, as_json, f"armed {data['armed']}\n{_faults_text(data)}")


@faults.command("clear")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def faults_clear(as_json: bool) -> None:
    """Disarm every fault."""
    data = _admin(_running(), method="DELETE")
    emit(data, as_json, f"cleared {data['cleared']} fault(s)")

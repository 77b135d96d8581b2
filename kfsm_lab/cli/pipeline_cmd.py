"""``kfsm-lab pipeline compile|run|status|cancel``."""

from __future__ import annotations

import time
from typing import Any

import click

from . import emit
from .options import json_option, settings_options


@click.group()
def pipeline() -> None:
    """Compile, run, watch and cancel the MNIST pipeline."""


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def _status_text(snap: dict[str, Any]) -> str:
    lines = [f"run {snap['run_id']} ({snap['target']}): {snap['state']}"]
    for st in snap["steps"]:
        span = ""
        if st.get("start"):
            span = f"{(st.get('end') or time.time()) - st['start']:6.1f}s"
        status = "/".join(dict.fromkeys(str(v) for v in (st.get("job_status"), st.get("secondary_status")) if v))
        lines.append(f"  {st['name']:<32} {st['state']:<10} {span:>8}  {st.get('job_name') or ''}"
                     + (f"  [{status}]" if status else ""))
        if st.get("failure_reason"):
            lines.append(f"      reason: {st['failure_reason']}")
        for metric, value in (st.get("metrics") or {}).items():
            lines.append(f"      {metric} = {value:.6g}")
    outputs = {k: v for k, v in (snap.get("outputs") or {}).items() if v}
    if snap["state"] == "succeeded" and outputs:
        lines += [f"  {k}: {v}" for k, v in outputs.items()]
    if snap.get("error"):
        lines.append(f"  error: {snap['error']}")
    lines += [f"  {k.capitalize()} link: {v}" for k, v in (snap.get("links") or {}).items()]
    if snap.get("log_path"):
        lines.append(f"  log: {snap['log_path']}")
    return "\n".join(lines)


def _with_setup(settings: Any) -> Any:
    """Fill bucket and role from the (idempotent) setup on the local target; say what is missing on aws."""
    if settings.bucket and settings.role_arn:
        return settings
    if settings.target == "local":
        from ..provision import setup_all

        return setup_all(settings).settings
    return settings  # start_run names what is missing and how to get it


@pipeline.command("compile")
@settings_options
@click.option("-o", "--output", default="mnist-classification-pipeline.yaml", show_default=True,
              type=click.Path(dir_okay=False), help="the YAML file to write")
@json_option
def compile_cmd(settings: Any, output: str, as_json: bool) -> None:
    """Compile the pipeline to kfp 2 YAML (same settings → same bytes).

    The file runs as it is on either target: upload it in the Kubeflow Pipelines UI, or submit it with
    kfp.Client().create_run_from_pipeline_package (on the local target after `eval "$(kfsm-lab local env)"`).
    The bucket and role come from the settings (or what `kfsm-lab setup all` remembered).
    """
    from ..pipeline.compile import compile_pipeline

    path = compile_pipeline(output, _remembered(settings))
    emit({"path": str(path), "bytes": path.stat().st_size}, as_json, f"wrote {path}")


def _remembered(settings: Any) -> Any:
    """The settings with the bucket and role setup settled on, when the user gave none."""
    if settings.bucket and settings.role_arn:
        return settings
    from ..provision import remembered_settings

    return remembered_settings(settings)


@pipeline.command("run")
@settings_options
@click.option("--run-id", default=None, help="run id (resource names derive from it); default: generated")
@click.option("--wait/--no-wait", default=False, help="wait for the run to end, showing progress")
@click.option("--timeout", type=float, default=None, help="with --wait: give up waiting after this many seconds")
@click.option("--kfp-host", default=None, help="aws: Kubeflow Pipelines API/UI URL (default KFSM_KFP_HOST)")
@click.option("--namespace", default=None, help="aws: your Kubeflow profile namespace (default KFSM_NAMESPACE)")
@json_option
def run_cmd(settings: Any, run_id: str | None, wait: bool, timeout: float | None, kfp_host: str | None,
            namespace: str | None, as_json: bool) -> None:
    """Start the pipeline (local: kfp.local in the background; aws: submitted to Kubeflow Pipelines).

    On a multi-user Kubeflow set KFSM_KFP_TOKEN or KFSM_KFP_COOKIES (never a command-line argument).
    """
    import sys

    from ..names import check_run_id
    from ..pipeline import start_run

    run_id = check_run_id(run_id) if run_id else None  # before setup makes anything for a run that cannot start
    changes = {k: v for k, v in (("kfp_host", kfp_host), ("namespace", namespace)) if v}
    handle = start_run(_with_setup(settings.replace(**changes) if changes else settings), run_id=run_id)
    if not as_json:
        click.echo(f"started run {handle.run_id} on the {handle.target} target")
        if handle.links.as_dict():
            click.echo(str(handle.links))
    if wait:
        if as_json:
            handle.wait(timeout=timeout)
        else:
            from ..monitor import tqdm_watch

            tqdm_watch(handle, timeout=timeout, file=sys.stderr)
            if not handle.done:
                handle.wait(timeout=0)
    else:
        handle.refresh()
    snap = handle.to_dict()
    emit(snap, as_json, _status_text(snap) if wait else
         f"follow it with `kfsm-lab pipeline status {handle.run_id}`")
    if wait and handle.state != "succeeded":
        sys.exit(1)


@pipeline.command("status")
@click.argument("run_id", required=False)
@click.option("--limit", type=click.IntRange(1, 500), default=20, help="without RUN_ID: how many recent runs")
@json_option
def status_cmd(run_id: str | None, limit: int, as_json: bool) -> None:
    """One run in detail, or (without RUN_ID) the recent runs."""
    from ..pipeline import attach, list_runs

    if run_id:
        snap = attach(run_id).to_dict()
        emit(snap, as_json, _status_text(snap))
        return
    rows = list_runs(limit)
    text = "\n".join(f"{r['run_id']:<24} {r['target']:<6} {r['state']:<10} {_when(r['created_at'])}" for r in rows)
    emit(rows, as_json, text or "no runs yet: start one with `kfsm-lab pipeline run`")


@pipeline.command("cancel")
@click.argument("run_id")
@json_option
def cancel_cmd(run_id: str, as_json: bool) -> None:
    """Cancel a run and stop its SageMaker jobs."""
    from ..pipeline import attach

    handle = attach(run_id).cancel()
    snap = handle.to_dict()
    emit(snap, as_json, f"run {run_id}: {snap['state']}")

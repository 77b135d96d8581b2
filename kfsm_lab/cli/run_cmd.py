"""``kfsm-lab run`` (the main job, headless) and ``kfsm-lab notebooks list|params|run``."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from . import emit, fail
from .options import json_option


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    from ..notebooks import coerce

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r}: use -p key=value", param_hint="-p")
        out[key.strip()] = coerce(value)
    return out


def _execute(name: str, params: dict[str, Any], output: str, progress: bool, as_json: bool,
             keep_local_cloud: bool = False) -> None:
    from ..notebooks import check_parameters, run_notebook

    check_parameters(name, params)  # before a local cloud is started for nothing
    target = params.get("target") or _default_target()
    lease = None
    if target == "local":
        from ..errors import KfsmError
        from ..localcloud import ensure_running, leases

        pace = params.get("pace")
        try:
            lease = leases.acquire()  # this command's lease on the cloud; its notebook kernel shares it
            info = ensure_running(pace=pace, lease=False)  # a bad pace is refused before the cloud changes
        except KfsmError as exc:
            if lease is not None:
                leases.release(lease.id)
            fail(exc, as_json)
            return
        click.echo(f"local cloud: {info.endpoint_url}", err=True)
    click.echo(f"running {name} on target {target} → {output}/", err=True)
    try:
        with _sharing(lease):
            result = run_notebook(name, params, output, progress=progress and not as_json)
    finally:
        if lease is not None:
            _release(lease, keep_local_cloud)
    s = result.summary
    if as_json:
        click.echo(json.dumps(s, indent=2, default=str))
    else:
        for step in s.get("steps", []):
            secs = step.get("seconds")
            click.echo(f"  {step.get('name', '?'):<32} {step.get('state', '?'):<10} "
                       f"{'' if secs is None else f'{secs:.1f} s'}")
        if "accuracy" in s:
            click.echo(f"held-out accuracy: {s['accuracy']:.3f}")
        click.echo(f"wall time: {result.wall_seconds:.1f} s")
        click.echo(f"notebook:  {result.notebook}")
        click.echo(f"summary:   {result.output_dir / 'summary.json'}")
    if not result.ok:
        click.echo(f"error: {result.error}", err=True)
        sys.exit(1)


def _sharing(lease: Any):
    import contextlib

    if lease is None:
        return contextlib.nullcontext()
    from ..localcloud.leases import shared_with_children

    return shared_with_children(lease)


def _release(lease: Any, keep: bool) -> None:
    """Drop this command's lease; stop the cloud unless another kit process still uses it (or ``keep``)."""
    from ..localcloud import leases, lifecycle

    if keep:
        leases.acquire("user")  # runs on until `kfsm-lab local stop`
        leases.release(lease.id)
        return
    _, users = lifecycle.release(lease)
    if users:
        click.echo(f"the local cloud keeps running: still used by {'; '.join(u.describe() for u in users)}", err=True)


def _default_target() -> str:
    import os

    return os.environ.get("KFSM_TARGET", "local")


@click.command()
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE", help="notebook parameter (repeatable)")
@click.option("--target", type=click.Choice(["local", "aws"]), default=None, help="default: local")
@click.option("-o", "--output", default="kfsm-lab-output", show_default=True, help="output folder")
@click.option("--lang", type=click.Choice(["en", "ja"]), default="en", help="notebook edition")
@click.option("--no-progress", is_flag=True, help="no progress bar")
@click.option("--keep-local-cloud", is_flag=True,
              help="leave the local cloud running until `kfsm-lab local stop` (default: stop it at the end unless "
                   "another kit process still uses it; its state is kept either way)")
@json_option
def run(pairs: tuple[str, ...], target: str | None, output: str, lang: str, no_progress: bool,
        keep_local_cloud: bool, as_json: bool) -> None:
    """Run the whole exercise headless: setup → pipeline → predictions → clean-up, via the main notebook."""
    params = _params(pairs)
    if target:
        params["target"] = target
    params.setdefault("interactive", False)
    name = "sagemaker_pipeline" if lang == "en" else "ja/sagemaker_pipeline"
    _execute(name, params, output, not no_progress, as_json, keep_local_cloud)


@click.group()
def notebooks() -> None:
    """List, inspect and run the bundled notebooks."""


@notebooks.command("list")
@json_option
def list_cmd(as_json: bool) -> None:
    """The bundled notebooks."""
    from ..notebooks import list_notebooks, notebooks_dir

    names = list_notebooks()
    emit({"folder": str(notebooks_dir()), "notebooks": names}, as_json, "\n".join(names))


@notebooks.command("params")
@click.argument("name")
@json_option
def params_cmd(name: str, as_json: bool) -> None:
    """The parameters a notebook takes, with defaults and what each means."""
    from ..notebooks import parameters

    p = parameters(name)
    width = max(map(len, p), default=4)
    emit(p, as_json, "\n".join(f"{k:<{width}}  {v['default']:<24} {v['help']}" for k, v in p.items()))


@notebooks.command("run")
@click.argument("name")
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE")
@click.option("-o", "--output", default="kfsm-lab-output", show_default=True)
@click.option("--no-progress", is_flag=True)
@json_option
def run_nb(name: str, pairs: tuple[str, ...], output: str, no_progress: bool, as_json: bool) -> None:
    """Run one bundled notebook headless with papermill."""
    params = _params(pairs)
    params.setdefault("interactive", False)
    _execute(name, params, output, not no_progress, as_json)

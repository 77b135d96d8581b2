"""``kfsm-lab run`` (the main job, headless) and ``kfsm-lab notebooks list|params|run``."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
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


def _split_settings(name: str, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parameters the notebook takes, and kit settings it does not (e.g. ``k``) as ``KFSM_*`` variables.

    The notebook resolves its settings with ``load_settings``, which reads ``KFSM_*``: so ``-p k=20``
    reaches the pipeline whether or not the parameters cell names ``k``. Values are validated here.
    """
    from ..config import Settings, load_settings
    from ..notebooks import parameters

    known = parameters(name)
    extra = {k: v for k, v in params.items() if k not in known and k in Settings.model_fields}
    if extra:
        load_settings(**extra)  # a bad value stops here, with what a valid one looks like
    env = {f"KFSM_{k.upper()}": str(v) for k, v in extra.items()}
    return {k: v for k, v in params.items() if k not in extra}, env


class _RunFollower:
    """Prints each pipeline step's progress while the notebook's pipeline cell runs (it shows none).

    Reads the run records the notebook's run writes (``kfsm_lab.pipeline.list_runs``, no AWS calls).
    """

    def __init__(self, since: float, every: float = 1.0) -> None:
        self.since = since
        self.every = every
        self._stop = threading.Event()
        self._seen: dict[str, tuple[Any, ...]] = {}
        self._thread = threading.Thread(target=self._loop, name="kfsm-run-follower", daemon=True)

    def __enter__(self) -> _RunFollower:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)
        self._poll()  # the last states, once

    def _say(self, what: str) -> None:
        from tqdm import tqdm

        from ..i18n import t

        tqdm.write(t(None, "cli.progress_event", elapsed=time.time() - self.since, what=what), file=sys.stderr)

    def _poll(self) -> None:
        from ..i18n import state_word, step_label, t
        from ..pipeline import list_runs

        for run in reversed(list_runs(limit=5)):
            if (run.get("created_at") or 0) < self.since - 1:
                continue
            rid = run["run_id"]
            final = run.get("state") in ("succeeded", "failed", "canceled", "skipped")
            changed = self._seen.get(rid) != (run.get("state"),)
            self._seen[rid] = (run.get("state"),)
            line = t(None, "cli.progress_run", run_id=rid, state=state_word(run.get("state")))
            if changed and not final:
                self._say(line)
            for st in run.get("steps") or []:
                key = f"{rid}/{st.get('name')}"
                now = (st.get("state"), st.get("job_status"))
                if self._seen.get(key) != now and (st.get("state") != "pending" or key in self._seen):
                    self._seen[key] = now
                    detail = f" ({st['job_status']})" if st.get("job_status") else ""
                    self._say(t(None, "cli.progress_step", step=step_label(st), state=state_word(st.get("state")),
                                detail=detail))
            if changed and final:  # the run's end after its steps' ends
                self._say(line)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self._poll()
            except Exception:  # noqa: BLE001, S112 - a record being written: the next look reads it
                continue


class _CloudStart:
    """The local cloud starting on a thread while papermill starts the notebook's kernel.

    Both take about a second on 2 cores, one after the other they took two. :meth:`wait` is called
    once the kernel process is launched and before its first cell (see ``run_notebook``'s
    ``kernel_started``): it says where the cloud is, or raises why it did not start.
    """

    def __init__(self, pace: Any) -> None:
        self._pace = pace
        self._said = False
        self._error: BaseException | None = None
        self._info: Any = None
        self._before: Any = None
        self._thread = threading.Thread(target=self._start, daemon=True, name="kfsm-cloud-start")
        self._thread.start()

    def _start(self) -> None:
        from ..localcloud import ensure_running, status

        try:
            self._before = status()
            # the kernel shares the command's lease, and makes the calls: this process loads nothing ahead for them
            self._info = ensure_running(pace=self._pace, lease=False, prewarm=False)
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that waits
            self._error = exc

    def join(self) -> None:
        self._thread.join()

    def wait(self) -> None:
        from ..i18n import t

        self.join()
        if self._error is not None:
            raise self._error
        if self._said:
            return
        self._said = True
        info, before, pace = self._info, self._before, self._pace
        if before is not None and pace is not None and float(pace) != before.pace:
            click.echo(t(None, "cli.local_cloud_pace", url=info.endpoint_url, running=before.pace,
                         asked=float(pace)), err=True)
        else:
            click.echo(t(None, "cli.local_cloud", url=info.endpoint_url), err=True)


def _execute(name: str, params: dict[str, Any], output: str, progress: bool, as_json: bool,
             keep_local_cloud: bool = False) -> None:
    from ..errors import KfsmError
    from ..i18n import t
    from ..notebooks import check_parameters, run_notebook

    target = params.get("target") or _default_target()
    lease = cloud = None
    if target == "local":
        from ..localcloud import leases
        from ..localcloud.lifecycle import resolve_pace

        try:
            if params.get("pace") is not None:
                resolve_pace(params["pace"])  # a bad pace is refused before anything starts
            lease = leases.acquire()  # this command's lease on the cloud; its notebook kernel shares it
        except KfsmError as exc:
            fail(exc, as_json)
            return
        cloud = _CloudStart(params.get("pace"))  # starts while papermill loads and the kernel starts
    failed: BaseException | None = None
    saved: dict[str, str | None] = {}
    try:
        params, env = _split_settings(name, params)
        check_parameters(name, params)
        click.echo(t(None, "cli.running", name=name, target=target, output=output), err=True)
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        with _sharing(lease), (_RunFollower(time.time()) if progress and not as_json else contextlib.nullcontext()):
            result = run_notebook(name, params, output, progress=progress and not as_json,
                                  kernel_started=cloud.wait if cloud is not None else None)
    except BaseException as exc:  # noqa: BLE001 - a kit error is said below, anything else raised again
        failed = exc  # a bad parameter, or a local cloud that did not start: no cell ran
    finally:
        if cloud is not None:
            cloud.join()  # a cloud still starting is waited for before the lease goes
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if lease is not None and failed is not None:
            from ..localcloud import lifecycle

            lifecycle.release(lease)  # quietly: the cloud this command started for nothing stops again
        elif lease is not None:
            _release(lease, keep_local_cloud)
    if isinstance(failed, KfsmError):
        fail(failed, as_json)
        return
    if failed is not None:
        raise failed
    s = result.summary
    if as_json:
        click.echo(json.dumps(s, indent=2, default=str))
    else:
        from ..i18n import state_word, step_label

        for step in s.get("steps", []):
            secs = step.get("seconds")
            click.echo(t(None, "cli.run_step", name=step_label(step), state=state_word(step.get("state", "?")),
                         seconds="" if secs is None else f"{secs:.1f} s"))
        if "accuracy" in s:
            click.echo(t(None, "cli.accuracy", accuracy=f"{s['accuracy']:.3f}"))
        click.echo(t(None, "cli.wall", seconds=result.wall_seconds))
        click.echo(t(None, "cli.notebook", path=result.notebook))
        click.echo(t(None, "cli.summary", path=result.output_dir / "summary.json"))
    if not result.ok:
        click.echo(t(None, "cli.error", message=result.error), err=True)
        sys.exit(1)


def _sharing(lease: Any) -> Any:
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
    from ..i18n import t

    stopped, users = lifecycle.release(lease)
    if users:
        click.echo(t(None, "cli.cloud_still_used", users="; ".join(u.describe() for u in users)), err=True)
    elif stopped:
        click.echo(t(None, "cli.stopped_cloud"), err=True)


def _default_target() -> str:
    return os.environ.get("KFSM_TARGET", "local")


_PARAM_HELP = ("notebook parameter or kit setting, repeatable: -p pace=1 -p cleanup_at_end=false -p k=20 "
               "(see `kfsm-lab notebooks params sagemaker_pipeline` and `kfsm-lab config show`)")


@click.command()
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE", help=_PARAM_HELP)
@click.option("--target", type=click.Choice(["local", "aws"]), default=None,
              help="local (embedded local cloud, the default) or aws (your account and Kubeflow)")
@click.option("--region", default=None, help="AWS region (default us-west-2 or KFSM_REGION)")
@click.option("--bucket", default=None, help="S3 bucket (default: a generated name, remembered)")
@click.option("--role-arn", default=None, help="SageMaker execution role ARN (default: setup creates one)")
@click.option("-o", "--output", default="kfsm-lab-output", show_default=True,
              help="folder for the executed notebook, its figures and summary.json")
@click.option("--lang", type=click.Choice(["en", "ja"]), default=None,
              help="notebook edition and message language (default: KFSM_LANG or the locale, else en)")
@click.option("--no-progress", is_flag=True, help="no progress bar and no step lines")
@click.option("--keep-local-cloud", is_flag=True,
              help="leave the local cloud running until `kfsm-lab local stop` (default: stop it at the end unless "
                   "another kit process still uses it; its state is kept either way)")
@json_option
def run(pairs: tuple[str, ...], target: str | None, region: str | None, bucket: str | None, role_arn: str | None,
        output: str, lang: str | None, no_progress: bool, keep_local_cloud: bool, as_json: bool) -> None:
    """Run the whole exercise headless: setup → pipeline → predictions → clean-up, via the main notebook."""
    from ..i18n import resolve

    params = _params(pairs)
    for key, value in (("target", target), ("region", region), ("bucket", bucket), ("role_arn", role_arn)):
        if value:
            params[key] = value
    edition = resolve(lang)
    name = "sagemaker_pipeline" if edition == "en" else "ja/sagemaker_pipeline"
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
@click.option("-p", "--param", "pairs", multiple=True, metavar="KEY=VALUE", help=_PARAM_HELP)
@click.option("-o", "--output", default="kfsm-lab-output", show_default=True,
              help="folder for the executed notebook, its figures and summary.json")
@click.option("--no-progress", is_flag=True, help="no progress bar and no step lines")
@json_option
def run_nb(name: str, pairs: tuple[str, ...], output: str, no_progress: bool, as_json: bool) -> None:
    """Run one bundled notebook headless with papermill."""
    params = _params(pairs)
    _execute(name, params, output, not no_progress, as_json)

"""Routes of the run page: one run, its live events, a task's log and resource, terminate, re-run, S3 objects.

All authenticated; errors are the kit's JSON shape with a status code. Contract (see the README):

- ``GET  runs/<id>``                         the run view (tasks, edges, headline) — kit or KFP run id
- ``GET  runs/<id>/events``                  server-sent events: ``run`` (a new view), ``failure``
- ``GET  runs/<id>/tasks/<task>/log``        ``?offset=N`` / ``?tail=BYTES`` / ``?download=1`` / ``?source=sagemaker``
- ``GET  runs/<id>/tasks/<task>/resource``   the SageMaker resource's details
- ``POST runs/<id>/terminate``, ``POST runs/<id>/rerun``
- ``GET  experiments``, ``GET experiments/<id>``, ``GET experiments/compare?runs=a,b``
- ``GET  s3?uri=s3://…`` (preview) and ``?download=1`` — the local cloud's kit buckets only
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import tornado.web
from tornado.iostream import StreamClosedError

from ..errors import KfsmError, ValidationError
from . import experiments, resources, runs, s3view, tasklogs
from .errors import ForbiddenError, NotFoundError
from .handlers import KfsmHandler
from .watch import RunWatch, RunWatches

KEEPALIVE_SECONDS = 15.0
WATCHES_KEY = "kfsm_lab_watches"
RESOURCE_CACHE_SECONDS = {"local": 0.5, "aws": 10.0}


class RunBase(KfsmHandler):
    """Finds the run's watcher; a kit error becomes the JSON reply."""

    @property
    def watches(self) -> RunWatches:
        return self.settings[WATCHES_KEY]

    async def view(self, run_id: str, max_age: float | None = None) -> tuple[RunWatch, dict[str, Any]] | None:
        watch = self.watches.get(run_id)
        try:
            return watch, await watch.current(max_age)
        except KfsmError as err:
            self.reply_error(err)
            return None

    async def task_view(self, run_id: str, task: str) -> tuple[RunWatch, dict[str, Any], dict[str, Any]] | None:
        """The run's watch, its view and one of its tasks; None after answering the error (no run, no task)."""
        found = await self.view(run_id)
        if found is None:
            return None
        watch, view = found
        t = next((t for t in view["tasks"] if t["name"] == task), None)
        if t is None:
            names = ", ".join(t["name"] for t in view["tasks"]) or "none"
            self.reply_error(NotFoundError(f"run {view['run_id']} has no task {task!r}", f"its tasks: {names}"))
            return None
        return watch, view, t


class RunHandler(RunBase):
    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        found = await self.view(run_id)
        if found is not None:
            self.reply(found[1])


class RunEventsHandler(RunBase):
    """Server-sent events: the current view at once, then each changed view as it happens."""

    @tornado.web.authenticated
    async def get(self, run_id: str) -> None:
        found = await self.view(run_id, max_age=0)
        if found is None:
            return
        watch, view = found
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("Cache-Control", "no-cache, no-transform")
        self.set_header("X-Accel-Buffering", "no")  # proxies must not hold events back
        queue = watch.listen()
        try:
            await self._send("run", view, retry=True)
            while True:
                try:
                    kind, data = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    self.write(": keepalive\n\n")
                    await self.flush()
                    continue
                await self._send(kind, data)
        except (StreamClosedError, asyncio.CancelledError):
            pass
        finally:
            watch.stop_listening(queue)

    async def _send(self, kind: str, data: Any, retry: bool = False) -> None:
        if retry:
            self.write("retry: 1000\n")
        self.write(f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n")
        await self.flush()


class TaskLogHandler(RunBase):
    @tornado.web.authenticated
    async def get(self, run_id: str, task: str) -> None:
        found = await self.task_view(run_id, task)
        if found is None:
            return
        watch, _view, t = found
        source = self.get_query_argument("source", "task")
        try:
            if source == "sagemaker":
                await self._cloudwatch(watch, t)
            elif source == "task":
                await self._task_log(watch, t)
            else:
                raise ValidationError("source", source, "must be 'task' (the task's own log) or 'sagemaker'")
        except KfsmError as err:
            self.reply_error(err)

    def _log_path(self, watch: RunWatch, task: dict[str, Any]) -> Path:
        data = watch.handle.to_dict()
        step = next((s for s in data.get("steps", []) if s["name"] == task["name"]), {})
        path = step.get("log_path")  # each task's own log file (the local target writes one per task)
        if not path:
            raise NotFoundError(f"task {task['name']} has no log on this server",
                                "on a cluster, read it in the Kubeflow UI (the run's KFP link)")
        return Path(path)

    async def _task_log(self, watch: RunWatch, task: dict[str, Any]) -> None:
        path = self._log_path(watch, task)
        if self.get_query_argument("download", "0") in ("1", "true"):
            await self._download(path, f"{watch.run_id}-{task['name']}.log")
            return
        offset = tasklogs.parse_offset(self.get_query_argument("offset", None))
        tail_raw = self.get_query_argument("tail", None)
        tail = tasklogs.parse_offset(tail_raw) if tail_raw else None
        chunk = await asyncio.to_thread(tasklogs.read_file_chunk, path, offset, tail)
        self._reply_text(chunk["text"], next_offset=chunk["next_offset"], start=chunk["offset"],
                         size=chunk["size"], final=task["state"] in ("succeeded", "failed", "canceled", "skipped"))

    async def _cloudwatch(self, watch: RunWatch, task: dict[str, Any]) -> None:
        resource = task.get("resource") or {}
        tasklogs.cloudwatch_group(task.get("kind"))  # refuses kinds without a stream
        logs = await asyncio.to_thread(self._logs_client, watch)
        result = await asyncio.to_thread(tasklogs.read_cloudwatch, logs, task.get("kind"), resource.get("name"),
                                         self.get_query_argument("offset", None))
        self._reply_text(result["text"], next_offset=result["next_offset"], group=result["group"],
                         streams=",".join(result["streams"]))

    def _logs_client(self, watch: RunWatch) -> Any:
        from .. import aws

        return aws.client(watch.handle.settings, "logs")

    def _reply_text(self, text: str, **headers: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        for key, value in headers.items():
            self.set_header(f"X-Kfsm-{key.replace('_', '-').title()}",
                            str(int(value) if isinstance(value, bool) else value))
        self.finish(text, set_content_type="text/plain; charset=utf-8")

    async def _download(self, path: Path, filename: str) -> None:
        if not path.is_file():
            raise NotFoundError(f"the log {path.name} does not exist yet", "it appears when the task starts")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        with path.open("rb") as fh:
            while True:
                data = await asyncio.to_thread(fh.read, tasklogs.CHUNK)
                if not data:
                    break
                self.write(data)
                await self.flush()
        self.finish(set_content_type="text/plain; charset=utf-8")


class TaskResourceHandler(RunBase):
    @tornado.web.authenticated
    async def get(self, run_id: str, task: str) -> None:
        found = await self.task_view(run_id, task)
        if found is None:
            return
        watch, view, t = found
        resource = t.get("resource") or {}
        cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = self.kfsm.setdefault("resource_cache", {})
        key = (view["run_id"], task)
        hit = cache.get(key)
        max_age = RESOURCE_CACHE_SECONDS.get(view.get("target") or "local", 10.0)
        if hit and time.monotonic() - hit[0] < max_age:
            self.reply(hit[1])
            return
        cache_obj = self.kfsm["cache"]
        detail = await self.run_kit(lambda: resources.describe(cache_obj.sagemaker(watch.handle.settings),
                                                               t.get("kind"), resource.get("name")))
        if detail is not None:
            cache[key] = (time.monotonic(), detail)
            self.reply(detail)


class RunActionHandler(RunBase):
    ACTIONS = ("terminate", "rerun")

    @tornado.web.authenticated
    async def post(self, run_id: str, action: str) -> None:
        if action not in self.ACTIONS:
            self.reply_error(NotFoundError(f"runs have no action {action!r}", "POST …/terminate or …/rerun"))
            return
        found = await self.view(run_id, max_age=0)
        if found is None:
            return
        watch, _ = found
        handle = watch.handle
        if action == "terminate":
            result = await self.run_kit(handle.cancel)
            if result is None:
                return
            watch.forget_handle()
            fresh = await self.view(run_id, max_age=0)
            if fresh is not None:
                self.reply(fresh[1])
        else:
            started = await self.run_kit(runs.rerun, handle)
            if started is None:
                return
            watch.forget_handle()
            self.reply({"run_id": started.run_id, "kfp_run_id": started.to_dict().get("kfp_run_id"),
                        "state": started.state}, 202)


class ExperimentsHandler(KfsmHandler):
    @tornado.web.authenticated
    async def get(self, experiment_id: str | None = None) -> None:
        listing = await self.run_kit(runs.recent_runs, 200)
        if listing is None:
            return
        if experiment_id is None:
            self.reply({"experiments": experiments.summarize(listing)})
            return
        if experiment_id == "compare":
            ids = [i for i in self.get_query_argument("runs", "").split(",") if i]
            if len(ids) < 2:
                self.reply_error(ValidationError("runs", ",".join(ids), "must name two runs, like ?runs=a,b"))
                return
            result = await self.run_kit(experiments.compare, ids[:4])
        else:
            live = await self.run_kit(self._live_endpoints, experiments.regions_of(listing))
            if self._finished:
                return
            result = await self.run_kit(experiments.detail, experiment_id, listing, live)
        if result is not None:
            self.reply(result)

    def _live_endpoints(self, regions: set[str]) -> set[str] | None:
        """Names of the kit's endpoints that exist now in the runs' regions (None when they cannot be listed)."""
        from . import endpoints
        from .handlers import _local_cloud_running

        settings = self.config_object.load()
        if settings.target == "local" and not _local_cloud_running():
            return set()
        live: set[str] = set()
        for region in sorted(regions | {settings.region}):
            in_region = settings.replace(region=region)
            try:
                listing = endpoints.list_kit_endpoints(self.kfsm["cache"].sagemaker(in_region), region,
                                                       settings.target)
            except KfsmError:
                return None
            live |= {e["name"] for e in listing["endpoints"] if e["status"] not in endpoints.NOT_BILLING}
        return live


class S3ObjectHandler(KfsmHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        try:
            bucket, key = s3view.parse_uri(self.get_query_argument("uri", ""))
            settings = self.config_object.load()
            if settings.target != "local":
                raise ForbiddenError("objects are shown here only on the local target",
                                     f"open s3://{bucket}/{key} in the S3 console")
            s3 = await asyncio.to_thread(self._s3, settings)
            await asyncio.to_thread(s3view.check_kit_bucket, s3, bucket, settings.bucket)
            if self.get_query_argument("download", "0") in ("1", "true"):
                await self._download(s3, bucket, key)
                return
            self.reply(await asyncio.to_thread(s3view.preview, s3, bucket, key))
        except KfsmError as err:
            self.reply_error(err)

    def _s3(self, settings: Any) -> Any:
        from .. import aws

        return aws.client(settings, "s3")

    async def _download(self, s3: Any, bucket: str, key: str) -> None:
        meta, body = await asyncio.to_thread(s3view.open_download, s3, bucket, key)
        name = key.rsplit("/", 1)[-1] or "object"
        self.set_header("Content-Type", meta.get("ContentType") or "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.set_header("Content-Length", str(meta.get("ContentLength") or 0))
        while True:
            data = await asyncio.to_thread(body.read, s3view.STREAM_CHUNK)
            if not data:
                break
            self.write(data)
            await self.flush()
        self.finish(set_content_type=meta.get("ContentType") or "application/octet-stream")


def routes(base: str) -> list[tuple[str, Any]]:
    """The run page's routes under ``base`` (``<base_url>/kfsm-lab``)."""
    from jupyter_server.utils import url_path_join as join

    run = r"([A-Za-z0-9][A-Za-z0-9-]{0,63})"
    task = r"([A-Za-z0-9][A-Za-z0-9_.-]{0,127})"
    return [
        (join(base, "runs", run), RunHandler),
        (join(base, "runs", run, "events"), RunEventsHandler),
        (join(base, "runs", run, "tasks", task, "log"), TaskLogHandler),
        (join(base, "runs", run, "tasks", task, "resource"), TaskResourceHandler),
        (join(base, "runs", run, r"([a-z-]{1,32})"), RunActionHandler),
        (join(base, "experiments"), ExperimentsHandler),
        (join(base, "experiments", r"([A-Za-z0-9][A-Za-z0-9_-]{0,63})"), ExperimentsHandler),
        (join(base, "s3"), S3ObjectHandler),
    ]

"""The local Kubeflow Pipelines' REST API: the v2beta1 paths ``kfp.Client`` calls, as a WSGI app.

Healthz; experiments (create, get, list with kfp.Client's display-name filter, delete, archive);
runs (create with a pipeline spec and runtime parameters, get with ``run_details.task_details``, list,
terminate, delete, archive, retry); and the KFP UI server's ``/k8s/pod/logs`` for a task's log.
Answers use KFP's JSON shapes (RFC 3339 times, RuntimeState names) and its error shape
(``{"code", "message", "details"}`` with the matching HTTP status). A spec the local runner cannot
execute is refused at create time with the reason.

It accepts no cross-site request: a POST, PUT or DELETE that carries a browser ``Origin`` other than
its own is refused, and a body must be JSON (so a hostile page cannot send one without a preflight,
and a preflight is never granted).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from . import model
from .kfp_runtime import RUNTIME_ENV, import_package_only
from .model import Experiment, RunStatus, Submission
from .spare import SpareRunner
from .store import RunFiles, Store, pid_alive, valid_task_name

if TYPE_CHECKING:
    from types import ModuleType

    from .spec import Plan

log = logging.getLogger(__name__)
API = "/apis/v2beta1"
DEFAULT_EXPERIMENT = "Default"
START_GRACE = 30.0  # a runner may take this long to write its first status
_HTTP = {model.CODE_INVALID_ARGUMENT: 400, model.CODE_NOT_FOUND: 404, model.CODE_ALREADY_EXISTS: 409,
         model.CODE_FAILED_PRECONDITION: 400, model.CODE_UNIMPLEMENTED: 501, model.CODE_INTERNAL: 500,
         model.CODE_PERMISSION_DENIED: 403}
_FILTER_OPS = {1: "EQUALS", 2: "NOT_EQUALS", 3: "GREATER_THAN", 5: "GREATER_THAN_EQUALS", 6: "LESS_THAN",
               7: "LESS_THAN_EQUALS", 8: "IN", 9: "IS_SUBSTRING"}

StartResponse = Callable[..., Any]


class ApiError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def rfc3339(ts: float | None) -> str:
    """KFP's timestamps; an unset one is the epoch, as the real server answers."""
    moment = dt.datetime.fromtimestamp(ts or 0, tz=dt.timezone.utc)
    return moment.isoformat(timespec="microseconds" if ts and ts % 1 else "seconds").replace("+00:00", "Z")


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": message, "code": code, "message": message, "details": []}


def _status(state: str, at: float, message: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"update_time": rfc3339(at), "state": state}
    if message and state == model.FAILED:
        out["error"] = {"code": model.CODE_UNKNOWN, "message": message}
    return out


# -- filters, sorting, pages --------------------------------------------------------------------
def parse_filter(raw: str | None) -> list[tuple[str, str, Any]]:
    """``(key, operation, value)`` predicates from KFP's JSON filter (proto names or JSON names)."""
    if not raw:
        return []
    try:
        doc = json.loads(raw)
    except ValueError:
        raise ApiError(model.CODE_INVALID_ARGUMENT, f"filter is not valid JSON: {raw[:200]}") from None
    preds = doc.get("predicates", []) if isinstance(doc, dict) else None
    if not isinstance(preds, list):
        raise ApiError(model.CODE_INVALID_ARGUMENT, 'filter must be {"predicates": [...]}')
    out = []
    for p in preds:
        if not isinstance(p, dict) or "key" not in p:
            raise ApiError(model.CODE_INVALID_ARGUMENT, f"a filter predicate needs a key: {p!r}")
        op = p.get("operation", "EQUALS")
        op = _FILTER_OPS.get(op, op) if isinstance(op, int) else str(op)
        value = next((p[k] for k in ("stringValue", "string_value", "intValue", "int_value", "longValue",
                                     "long_value", "timestampValue", "timestamp_value", "stringValues",
                                     "string_values") if k in p), None)
        if isinstance(value, dict) and "values" in value:
            value = value["values"]
        out.append((str(p["key"]), op, value))
    return out


def _matches(record: dict[str, Any], preds: list[tuple[str, str, Any]]) -> bool:
    for key, op, value in preds:
        field = {"name": "display_name"}.get(key, key)
        have = record.get(field)
        if op == "EQUALS" and str(have) != str(value):
            return False
        if op == "NOT_EQUALS" and str(have) == str(value):
            return False
        if op == "IS_SUBSTRING" and str(value) not in str(have or ""):
            return False
        if op == "IN" and str(have) not in [str(v) for v in (value or [])]:
            return False
        if op not in ("EQUALS", "NOT_EQUALS", "IS_SUBSTRING", "IN"):
            raise ApiError(model.CODE_INVALID_ARGUMENT, f"filter operation {op} is not supported here; "
                                                        "use EQUALS, NOT_EQUALS, IN or IS_SUBSTRING")
    return True


def _page(items: list[dict[str, Any]], query: dict[str, str], sort_keys: dict[str, str]) -> tuple[list, str, int]:
    sort_by = (query.get("sort_by") or "").strip()
    if sort_by:
        field, _, order = sort_by.partition(" ")
        key = sort_keys.get(field)
        if key is None:
            raise ApiError(model.CODE_INVALID_ARGUMENT, f"cannot sort by {field!r}; use one of "
                                                        + ", ".join(sorted(sort_keys)))
        items = sorted(items, key=lambda r: (r.get(key) is None, r.get(key) or ""), reverse=order.strip() == "desc")
    try:
        size = int(query.get("page_size") or 20)
        start = int(base64.urlsafe_b64decode(query["page_token"]).decode()) if query.get("page_token") else 0
    except (ValueError, UnicodeDecodeError):
        raise ApiError(model.CODE_INVALID_ARGUMENT, "page_size must be a number and page_token one this "
                                                    "server gave") from None
    if not 1 <= size <= 200:
        raise ApiError(model.CODE_INVALID_ARGUMENT, "page_size must be between 1 and 200")
    nxt = base64.urlsafe_b64encode(str(start + size).encode()).decode() if start + size < len(items) else ""
    return items[start:start + size], nxt, len(items)


def pipeline_specs() -> ModuleType:
    """:mod:`.spec` (kfp's pipeline spec protos, its placeholders): imported with the first run, not at the start.

    kfp's package and protos were ~0.15-0.3 s of the local cloud's start, before it answers; the cloud
    imports them right after its warm-up (see its ``__main__``), long before a setup is done and a run
    submitted. Without the client, as the cloud never makes one, and without ``kfp.dsl``, as it runs no
    component (:mod:`.kfp_runtime`).
    """
    import_package_only()
    from . import spec

    return spec


class LocalKfpApp:
    """The WSGI application; ``cloud_endpoint`` is where the runs' steps find the local cloud."""

    def __init__(self, cloud_endpoint: str, region: str, store: Store | None = None) -> None:
        self.cloud_endpoint = cloud_endpoint
        self.region = region
        self.store = store or Store()
        self._children: dict[str, subprocess.Popen] = {}
        self.origin = ""  # set by the server once bound: its own http://127.0.0.1:PORT
        self.spare: SpareRunner | None = None  # see :meth:`start_spare`
        self._spare_lock = threading.Lock()

    def start_spare(self) -> None:
        """Keep one runner started ahead for the next run (see :mod:`.spare`).

        The local cloud calls it as it starts serving (see its ``__main__``); the API's first request and
        a timer of the server's start it too, for an API served on its own. Idempotent.
        """
        with self._spare_lock:
            if self.spare is None:
                self.spare = SpareRunner(self._base_env, self.store.root / "spare-runner.log")
                self.spare.start()

    # -- WSGI -----------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
        try:
            self._guard(method, environ)
            if self.spare is None:
                self.start_spare()
            if path.startswith(API + "/"):
                status, body = self._api(method, path[len(API):], query, environ)
                return _reply(start_response, status, "application/json", json.dumps(body).encode())
            if path == "/k8s/pod/logs" and method == "GET":
                return _reply(start_response, 200, "text/plain; charset=utf-8", self._pod_log(query))
            if path in ("/", "/index.html") and method == "GET":
                from .page import PAGE

                return _reply(start_response, 200, "text/html; charset=utf-8", PAGE.encode())
            raise ApiError(model.CODE_NOT_FOUND, f"no route {method} {path}")
        except ApiError as exc:
            return _reply(start_response, _HTTP.get(exc.code, 400), "application/json",
                          json.dumps(_error(exc.code, exc.message)).encode())
        except Exception as exc:
            log.exception("local KFP API failed on %s %s", method, path)
            return _reply(start_response, 500, "application/json",
                          json.dumps(_error(model.CODE_INTERNAL, f"internal error: {type(exc).__name__}")).encode())

    def _guard(self, method: str, environ: dict[str, Any]) -> None:
        from ..localcloud.peer import REFUSAL, environ_peer_uid, is_same_user

        uid = environ_peer_uid(environ)
        if not is_same_user(uid):  # runs, specs and logs are the user's own: no other local user reads them
            raise ApiError(model.CODE_PERMISSION_DENIED, REFUSAL.format(own=os.getuid(), peer=uid))
        if method in ("GET", "HEAD"):
            return
        origin = environ.get("HTTP_ORIGIN")
        if origin and origin != self.origin:
            raise ApiError(model.CODE_PERMISSION_DENIED, f"cross-origin {method} from {origin} refused")
        ctype = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if _body_bytes(environ) and ctype != "application/json":
            raise ApiError(model.CODE_INVALID_ARGUMENT, "the request body must be application/json")

    # -- routing ------------------------------------------------------------------------------
    def _api(self, method: str, path: str, query: dict[str, str], environ: dict[str, Any]) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if parts == ["healthz"] and method == "GET":
            return 200, {"multi_user": False, "pipeline_store": "database"}
        if not parts:
            raise ApiError(model.CODE_NOT_FOUND, "no such route")
        resource, rest = parts[0], parts[1:]
        verb = ""
        if rest and ":" in rest[-1]:
            rest[-1], verb = rest[-1].split(":", 1)
        if resource == "experiments":
            return self._experiments(method, rest, verb, query, environ)
        if resource == "runs":
            return self._runs(method, rest, verb, query, environ)
        if resource in ("pipelines", "recurringruns", "artifacts"):
            raise ApiError(model.CODE_UNIMPLEMENTED,
                           f"the local Kubeflow Pipelines keeps no {resource}: submit the compiled pipeline with "
                           "the run (kfp.Client().create_run_from_pipeline_package or create_run_from_pipeline_func)")
        raise ApiError(model.CODE_NOT_FOUND, f"no route {method} {API}{path}")

    # -- experiments --------------------------------------------------------------------------
    def _experiment_json(self, e: Experiment) -> dict[str, Any]:
        out = {"experiment_id": e.experiment_id, "display_name": e.display_name, "description": e.description,
               "created_at": rfc3339(e.created_at), "namespace": e.namespace, "storage_state": e.storage_state}
        if e.last_run_created_at:
            out["last_run_created_at"] = rfc3339(e.last_run_created_at)
        return out

    def _experiments(self, method: str, rest: list[str], verb: str, query: dict[str, str],
                     environ: dict[str, Any]) -> tuple[int, Any]:
        store = self.store
        if not rest and method == "POST":
            body = _json_body(environ)
            name = str(body.get("display_name") or "").strip()
            if not name:
                raise ApiError(model.CODE_INVALID_ARGUMENT, "an experiment needs a display_name")
            with store.lock:
                if any(e.display_name == name for e in store.experiments()):
                    raise ApiError(model.CODE_ALREADY_EXISTS, f"an experiment named {name!r} already exists")
                exp = Experiment(experiment_id=str(uuid.uuid4()), display_name=name,
                                 description=str(body.get("description") or ""),
                                 namespace=str(body.get("namespace") or ""))
                store.save_experiment(exp)
            return 200, self._experiment_json(exp)
        if not rest and method == "GET":
            preds = parse_filter(query.get("filter"))
            items = [self._experiment_json(e) for e in store.experiments()]
            items = [i for i in items if _matches(i, preds)]
            page, nxt, total = _page(items, query, {"created_at": "created_at", "name": "display_name",
                                                    "display_name": "display_name"})
            return 200, {"experiments": page, "total_size": total, "next_page_token": nxt}
        if len(rest) != 1:
            raise ApiError(model.CODE_NOT_FOUND, "no such route")
        exp = store.experiment(rest[0])
        if exp is None:
            raise ApiError(model.CODE_NOT_FOUND, f"experiment {rest[0]} not found")
        if method == "GET" and not verb:
            return 200, self._experiment_json(exp)
        if method == "DELETE" and not verb:
            store.delete_experiment(exp.experiment_id)
            return 200, {}
        if method == "POST" and verb in ("archive", "unarchive"):
            exp.storage_state = "ARCHIVED" if verb == "archive" else "AVAILABLE"
            store.save_experiment(exp)
            return 200, {}
        raise ApiError(model.CODE_NOT_FOUND, f"no route {method} experiments/{rest[0]}:{verb}")

    def _default_experiment(self) -> Experiment:
        with self.store.lock:
            for e in self.store.experiments():
                if e.display_name == DEFAULT_EXPERIMENT:
                    return e
            exp = Experiment(experiment_id=str(uuid.uuid4()), display_name=DEFAULT_EXPERIMENT,
                             description="All runs created without specifying an experiment will be grouped here.")
            self.store.save_experiment(exp)
            return exp

    # -- runs ---------------------------------------------------------------------------------
    def _runs(self, method: str, rest: list[str], verb: str, query: dict[str, str],
              environ: dict[str, Any]) -> tuple[int, Any]:
        if not rest and method == "POST":
            return 200, self._create_run(_json_body(environ))
        if not rest and method == "GET":
            preds = parse_filter(query.get("filter"))
            items = []
            for files, sub in self.store.runs():
                if query.get("experiment_id") and sub.experiment_id != query["experiment_id"]:
                    continue
                run = self.run_json(files, sub)
                if _matches(run, preds):
                    items.append(run)
            page, nxt, total = _page(items, query, {"created_at": "created_at", "name": "display_name",
                                                    "display_name": "display_name", "finished_at": "finished_at"})
            return 200, {"runs": page, "total_size": total, "next_page_token": nxt}
        if len(rest) != 1:
            raise ApiError(model.CODE_NOT_FOUND, "no such route")
        files = self.store.run(rest[0])
        sub = files.submission() if files else None
        if files is None or sub is None:
            raise ApiError(model.CODE_NOT_FOUND, f"run {rest[0]} not found")
        if method == "GET" and not verb:
            return 200, self.run_json(files, sub)
        if method == "POST" and verb == "terminate":
            self.terminate(files, sub)
            return 200, {}
        if method == "DELETE" and not verb:
            self.terminate(files, sub)
            self.store.delete_run(files)
            return 200, {}
        if method == "POST" and verb in ("archive", "unarchive"):
            sub.storage_state = "ARCHIVED" if verb == "archive" else "AVAILABLE"
            files.save_submission(sub)
            return 200, {}
        if method == "POST" and verb == "retry":
            raise ApiError(model.CODE_UNIMPLEMENTED, "retry is not supported by the local Kubeflow Pipelines; "
                                                     "create a new run with the same pipeline and parameters")
        raise ApiError(model.CODE_NOT_FOUND, f"no route {method} runs/{rest[0]}:{verb}")

    def _create_run(self, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("display_name") or "").strip()
        if not name:
            raise ApiError(model.CODE_INVALID_ARGUMENT, "a run needs a display_name")
        if body.get("pipeline_version_reference") or body.get("pipeline_version_id"):
            raise ApiError(model.CODE_UNIMPLEMENTED, "the local Kubeflow Pipelines keeps no uploaded pipelines: "
                                                     "send the compiled pipeline as pipeline_spec")
        runtime = body.get("runtime_config") or {}
        if not isinstance(runtime, dict):
            raise ApiError(model.CODE_INVALID_ARGUMENT, "runtime_config must be an object")
        parameters = runtime.get("parameters") or {}
        spec = pipeline_specs()
        try:
            plan = spec.plan(body.get("pipeline_spec"), parameters)
        except spec.SpecError as exc:
            raise ApiError(model.CODE_INVALID_ARGUMENT, str(exc)) from None
        exp_id = str(body.get("experiment_id") or "")
        if exp_id:
            exp = self.store.experiment(exp_id)
            if exp is None:
                raise ApiError(model.CODE_NOT_FOUND, f"experiment {exp_id} not found")
        else:
            exp = self._default_experiment()
        spec_dict, platform = spec.split_submitted(body["pipeline_spec"])
        run_id = str(uuid.uuid4())
        files = self.store.new_run(run_id)
        sub = Submission(run_id=run_id, experiment_id=exp.experiment_id, display_name=name,
                         description=str(body.get("description") or ""), pipeline_spec=spec_dict,
                         platform_spec=platform, parameters=parameters,
                         pipeline_root=str(runtime.get("pipeline_root") or files.pipeline_root),
                         service_account=str(body.get("service_account") or ""))
        files.save_submission(sub)
        status = RunStatus()
        status.move(model.PENDING)
        files.save_status(status)
        with self.store.lock:
            exp.last_run_created_at = sub.created_at
            self.store.save_experiment(exp)
        sub.runner_pid = self._spawn(files, plan, parameters)
        files.save_submission(sub)
        return self.run_json(files, sub)

    def _base_env(self) -> dict[str, str]:
        """A runner's environment, but for the run's region (what a spare runner starts with)."""
        from ..state import state_dir

        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "MOTO_", "KF_PIPELINES")) and k != RUNTIME_ENV}  # a runner sets its own
        env.update(AWS_ENDPOINT_URL=self.cloud_endpoint, AWS_DEFAULT_REGION=self.region, AWS_REGION=self.region,
                   # a step gets credentials only from its secrets, as a pod does: never the user's own files
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_CONFIG_FILE=os.devnull,
                   AWS_EC2_METADATA_DISABLED="true", KFSM_STATE_DIR=str(state_dir()), PYTHONUNBUFFERED="1")
        return env

    def _runner_env(self, plan: Plan, parameters: dict[str, Any]) -> dict[str, str]:
        region = parameters.get("region")
        declared = plan.spec.root.input_definitions.parameters
        if not isinstance(region, str) and "region" in declared and declared["region"].HasField("default_value"):
            region = declared["region"].default_value.string_value
        region = region if isinstance(region, str) and region else self.region
        return {**self._base_env(), "AWS_DEFAULT_REGION": region, "AWS_REGION": region}

    def _spawn(self, files: RunFiles, plan: Plan, parameters: dict[str, Any]) -> int:
        env = self._runner_env(plan, parameters)
        proc = self.spare.take(files.dir, env) if self.spare is not None else None
        if proc is None:
            with open(files.runner_log, "ab") as out:
                proc = subprocess.Popen([sys.executable, "-m", "kfsm_lab.localkfp.runner", str(files.dir)],
                                        env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                        start_new_session=True, close_fds=True)
        self._children[files.run_id] = proc
        threading.Thread(target=self._reap, args=(files.run_id, proc), daemon=True).start()
        return proc.pid

    def _reap(self, run_id: str, proc: subprocess.Popen) -> None:
        proc.wait()
        self._children.pop(run_id, None)
        if self.spare is not None:
            self.spare.start_later()  # the run's steps have the machine no more; its caller has it first

    def terminate(self, files: RunFiles, sub: Submission) -> None:
        import signal

        status = self.current_status(files, sub)
        if status.state in model.FINAL_STATES:
            return
        sub.terminate_requested_at = model.now()
        files.save_submission(sub)
        pid = status.pid or sub.runner_pid
        if pid and pid_alive(pid):
            try:
                os.kill(pid, signal.SIGTERM)
                return
            except ProcessLookupError:
                pass
        self.current_status(files, sub)  # no runner: ends the run CANCELED now

    def current_status(self, files: RunFiles, sub: Submission) -> RunStatus:
        """The runner's status; a run whose runner is gone without finishing is ended here, with the reason."""
        status = files.status()
        if status.state in model.FINAL_STATES:
            return status
        pid = status.pid or sub.runner_pid
        if pid_alive(pid) or (pid is None and model.now() - sub.created_at < START_GRACE):
            return status
        status = files.status()  # it may have finished between the two reads
        if status.state in model.FINAL_STATES:
            return status
        status.finished_at = model.now()
        ended = model.CANCELED if sub.terminate_requested_at else model.FAILED
        for task in status.tasks.values():
            if task.state not in model.FINAL_STATES:
                task.end_time = status.finished_at
                task.move(ended)
        if ended == model.FAILED:
            status.error = f"the local runner of this run ended unexpectedly; see {files.runner_log}"
        status.move(ended, status.error)
        files.save_status(status)
        return status

    def run_json(self, files: RunFiles, sub: Submission, details: bool = True) -> dict[str, Any]:
        status = self.current_status(files, sub)
        submitted: dict[str, Any] = sub.pipeline_spec
        if sub.platform_spec:
            submitted = {"pipeline_spec": sub.pipeline_spec, "platform_spec": sub.platform_spec}
        out: dict[str, Any] = {
            "experiment_id": sub.experiment_id, "run_id": sub.run_id, "display_name": sub.display_name,
            "description": sub.description, "storage_state": sub.storage_state, "pipeline_spec": submitted,
            "runtime_config": {"parameters": sub.parameters, "pipeline_root": sub.pipeline_root},
            "service_account": sub.service_account, "created_at": rfc3339(sub.created_at),
            "scheduled_at": rfc3339(status.started_at or sub.created_at),
            "finished_at": rfc3339(status.finished_at), "state": status.state,
            "state_history": [_status(h.state, h.at, h.message) for h in status.history],
        }
        if status.error:
            out["error"] = {"code": model.CODE_UNKNOWN, "message": status.error, "details": []}
        if details:
            out["run_details"] = {"task_details": [self._task_json(sub, t) for t in status.tasks.values()]}
        return out

    def _task_json(self, sub: Submission, t: model.TaskStatus) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": sub.run_id, "task_id": t.task_id, "display_name": t.display_name or t.name,
            "create_time": rfc3339(t.create_time),
            "start_time": rfc3339(t.start_time), "end_time": rfc3339(t.end_time), "state": t.state,
            "pod_name": pod_name(sub.run_id, t.name), "child_tasks": [],
            "state_history": [_status(h.state, h.at, h.message) for h in t.history],
            "outputs": {k: {"artifact_ids": [v["uri"]]} for k, v in t.outputs.items()
                        if isinstance(v, dict) and "uri" in v},
        }
        if t.error:
            out["error"] = {"code": model.CODE_UNKNOWN, "message": t.error, "details": []}
        return out

    def _pod_log(self, query: dict[str, str]) -> bytes:
        """The KFP UI server's route: the log of the pod (here: the task) ``podname``."""
        pod = query.get("podname", "")
        run_prefix, _, task = pod.partition("-")
        if not run_prefix or not valid_task_name(task):
            raise ApiError(model.CODE_INVALID_ARGUMENT, "podname must be a task's pod_name from its task details")
        for files, sub in self.store.runs():
            if sub.run_id.replace("-", "").startswith(run_prefix):
                path = files.task_log(task)
                if path.is_file():
                    return path.read_bytes()
        raise ApiError(model.CODE_NOT_FOUND, f"no log for pod {pod}")


def pod_name(run_id: str, task: str) -> str:
    """A task's stand-in pod name (``<first 12 hex of the run id>-<task>``), as the log route takes it."""
    return f"{run_id.replace('-', '')[:12]}-{task}"


def _body_bytes(environ: dict[str, Any]) -> bytes:
    cached = environ.get("kfsm.body")
    if cached is not None:
        return cached
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 64 * 1024 * 1024:
        raise ApiError(model.CODE_INVALID_ARGUMENT, "the request body is larger than 64 MB")
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["kfsm.body"] = body
    return body


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    raw = _body_bytes(environ)
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise ApiError(model.CODE_INVALID_ARGUMENT, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(model.CODE_INVALID_ARGUMENT, "the request body must be a JSON object")
    return body


def _reply(start_response: StartResponse, status: int, ctype: str, body: bytes) -> list[bytes]:
    from http import HTTPStatus

    start_response(f"{status} {HTTPStatus(status).phrase}",
                   [("Content-Type", ctype), ("Content-Length", str(len(body))),
                    ("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store")])
    return [body]


__all__ = ["API", "ApiError", "LocalKfpApp", "pod_name", "rfc3339"]

"""A stand-in Kubeflow Pipelines 2.x REST API on 127.0.0.1 for the submission tests.

It implements the v2beta1 paths and payloads kfp.Client uses (healthz, experiments list/create,
runs create/get/terminate) and can pretend to be a 1.x backend, an RBAC-protected multi-user
cluster, or advance a run's tasks one state per read.
"""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

TASKS = ["sagemaker-training-job", "sagemaker-create-model", "sagemaker-batch-transformation",
         "sagemaker-deploy-model"]
STAMP = "2026-01-01T00:00:{:02d}Z"


class KfpStandIn:
    def __init__(self, mode: str = "v2", require_token: str | None = None) -> None:
        self.mode = mode  # "v2" | "v1" | "rbac"
        self.require_token = require_token
        self.requests: list[dict[str, Any]] = []
        self.experiments: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}
        self.reads: dict[str, int] = {}
        self.fail_task: str | None = None
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: Any, ctype: str = "application/json") -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlparse(self.path)
                entry = {"method": method, "path": url.path, "query": parse_qs(url.query),
                         "headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": json.loads(raw) if raw else None}
                standin.requests.append(entry)
                status, body = standin.route(entry)
                if isinstance(body, str):
                    self._reply(status, body.encode(), "text/plain")
                else:
                    self._reply(status, body)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> KfpStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the API ---------------------------------------------------------------------------------
    def route(self, req: dict[str, Any]) -> tuple[int, Any]:
        path, method = req["path"], req["method"]
        if self.mode == "rbac":
            return 403, "RBAC: access denied"
        if self.require_token and req["headers"].get("authorization") != f"Bearer {self.require_token}":
            return 401, {"error": "Unauthenticated", "code": 16}
        if self.mode == "v1":
            if path == "/apis/v1beta1/healthz":
                return 200, {"commit_sha": "abc", "tag_name": "1.8.5", "multi_user": False}
            return 404, "404 page not found"
        if path == "/apis/v2beta1/healthz":
            return 200, {"commit_sha": "abc", "tag_name": "2.5.0", "multi_user": False}
        if path == "/apis/v2beta1/experiments" and method == "GET":
            flt = json.loads(req["query"].get("filter", ["{}"])[0] or "{}")
            name = next((p.get("string_value") or p.get("stringValue") for p in flt.get("predicates", [])), None)
            found = [e for e in self.experiments.values() if name is None or e["display_name"] == name]
            return 200, ({"experiments": found, "total_size": len(found)} if found else {})
        if path == "/apis/v2beta1/experiments" and method == "POST":
            exp = {"experiment_id": str(uuid.uuid4()), "display_name": req["body"]["display_name"],
                   "namespace": req["body"].get("namespace") or "", "created_at": STAMP.format(0),
                   "storage_state": "AVAILABLE"}
            self.experiments[exp["experiment_id"]] = exp
            return 200, exp
        if path == "/apis/v2beta1/runs" and method == "POST":
            body = req["body"]
            run = {"run_id": str(uuid.uuid4()), "experiment_id": body.get("experiment_id"),
                   "display_name": body.get("display_name"), "storage_state": "AVAILABLE", "state": "PENDING",
                   "created_at": STAMP.format(1), "pipeline_spec": body.get("pipeline_spec"),
                   "runtime_config": body.get("runtime_config")}
            self.runs[run["run_id"]] = run
            self.reads[run["run_id"]] = 0
            return 200, run
        if path.startswith("/apis/v2beta1/runs/") and path.endswith(":terminate") and method == "POST":
            rid = path[len("/apis/v2beta1/runs/"):-len(":terminate")]
            if rid not in self.runs:
                return 404, {"error": "not found", "code": 5}
            self.runs[rid]["terminated"] = True
            return 200, {}
        if path.startswith("/apis/v2beta1/runs/") and method == "GET":
            rid = path.rsplit("/", 1)[-1]
            if rid not in self.runs:
                return 404, {"error": f"run {rid} not found", "code": 5}
            self.reads[rid] += 1
            return 200, self._run_view(rid)
        return 404, "404 page not found"

    def _run_view(self, rid: str) -> dict[str, Any]:
        """Each read moves the run on by one task; a terminated run ends CANCELED."""
        run = dict(self.runs[rid])
        n = self.reads[rid]
        tasks = []
        state = "RUNNING"
        for i, name in enumerate(TASKS):
            if run.get("terminated"):
                tstate = "SUCCEEDED" if i < n - 1 else "CANCELED"
            elif name == self.fail_task and i < n:
                tstate = "FAILED"
            elif i < n - 1:
                tstate = "SUCCEEDED"
            elif i == n - 1:
                tstate = "RUNNING"
            else:
                continue
            tasks.append({"task_id": f"t{i}", "display_name": name, "state": tstate,
                          "create_time": STAMP.format(2 + i), "start_time": STAMP.format(2 + i),
                          "end_time": STAMP.format(3 + i) if tstate != "RUNNING" else None})
        if run.get("terminated"):
            state = "CANCELED"
        elif any(t["state"] == "FAILED" for t in tasks):
            state = "FAILED"
        elif n > len(TASKS):
            state = "SUCCEEDED"
            tasks = [{**t, "state": "SUCCEEDED"} for t in tasks]
        run.update(state=state, run_details={"task_details": tasks})
        if state in ("SUCCEEDED", "FAILED", "CANCELED"):
            run["finished_at"] = STAMP.format(30)
        return run

"""The run page's view of one run: its tasks as a graph, and a headline, from one handle snapshot.

Everything the page shows (graph, headline, side panel) is computed here from a single
``RunHandle.to_dict()``, so the views never disagree. The headline is structured (now / next /
failed + reason), not a sentence: the browser words it through JupyterLab's translator.
"""

from __future__ import annotations

import re
import time
from typing import Any

#: Task states the run page knows; the same lowercase words as the run handle.
RUNNING, PENDING, SUCCEEDED, FAILED, CANCELING, CANCELED, SKIPPED = (
    "running", "pending", "succeeded", "failed", "canceling", "canceled", "skipped")
FINAL = frozenset({SUCCEEDED, FAILED, CANCELED, SKIPPED})

_EXPERIMENT_LINK = re.compile(r"#/experiments/details/([^/?#]+)")




def _depends_on(step: dict[str, Any], names: list[str]) -> list[str]:
    """The graph's edges, from the run's own pipeline spec (only to tasks that exist)."""
    return [str(d) for d in step.get("depends_on") or [] if d in names and d != step["name"]]


def _duration(start: float | None, end: float | None, now: float) -> float | None:
    if not start:
        return None
    return max(0.0, (end or now) - start)


def task_view(step: dict[str, Any], names: list[str], now: float) -> dict[str, Any]:
    """One task as the page draws it (node) and details it (side panel)."""
    kind = step.get("kind")
    state = str(step.get("state") or PENDING).lower()
    resource = None
    if kind and step.get("job_name"):
        resource = {"kind": kind, "name": step.get("job_name"), "status": step.get("job_status"),
                    "secondary_status": step.get("secondary_status")}
    return {
        "name": step["name"],
        "task_id": step.get("task_id"),
        "display_name": step.get("display_name") or step["name"],
        "component": step.get("component"),
        "state": state,
        "start": step.get("start"),
        "end": step.get("end"),
        "duration": _duration(step.get("start"), step.get("end"), now),
        "depends_on": _depends_on(step, names),
        "kind": kind,
        "resource": resource,
        "failure_reason": step.get("failure_reason"),
        "phases": step.get("phases") or [],
        "metrics": step.get("metrics") or {},
        "trials": [{k: t.get(k) for k in ("name", "status", "objective", "best")}
                   for t in (step.get("sagemaker") or {}).get("trials") or []],
        "inputs": step.get("inputs") or {},
        "outputs": step.get("outputs") or {},
        "has_own_log": bool(step.get("log_path")),
        "cloudwatch": kind in ("training_job", "transform_job", "endpoint"),
    }


def topological(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tasks ordered so each comes after the tasks it depends on (spec order among equals)."""
    by_name = {t["name"]: t for t in tasks}
    done: set[str] = set()
    out: list[dict[str, Any]] = []

    def visit(name: str, trail: frozenset[str]) -> None:
        if name in done or name in trail:
            return  # a cycle cannot come from a kfp spec; never loop on a malformed one
        for dep in by_name[name]["depends_on"]:
            visit(dep, trail | {name})
        done.add(name)
        out.append(by_name[name])

    for t in tasks:
        visit(t["name"], frozenset())
    return out


def headline(state: str, tasks: list[dict[str, Any]], error: str | None) -> dict[str, Any]:
    """Where the run is now, what comes next, what went wrong — as data for the page to word."""
    ordered = topological(tasks)
    by_name = {t["name"]: t for t in tasks}
    now = [{"task": t["name"], "display_name": t["display_name"],
            "status": (t["resource"] or {}).get("secondary_status") or (t["resource"] or {}).get("status"),
            "start": t["start"]} for t in ordered if t["state"] in (RUNNING, CANCELING)]
    ready = [t for t in ordered if t["state"] == PENDING
             and all(by_name[d]["state"] in (SUCCEEDED, RUNNING) for d in t["depends_on"])]
    failed_task = next((t for t in ordered if t["state"] == FAILED), None)
    failed = None
    if state == FAILED or failed_task is not None:
        failed = {"task": failed_task["name"] if failed_task else None,
                  "display_name": failed_task["display_name"] if failed_task else None,
                  "reason": (failed_task or {}).get("failure_reason") or error}
    done = sum(1 for t in tasks if t["state"] == SUCCEEDED)
    return {"state": state, "now": now, "next": [{"task": t["name"], "display_name": t["display_name"]}
                                                  for t in ready] if state not in FINAL else [],
            "failed": failed, "done": done, "total": len(tasks)}


def experiment_of(run: dict[str, Any]) -> dict[str, Any] | None:
    """The run's KFP experiment (id, name) when it has one."""
    if run.get("experiment_id"):
        name = run.get("experiment")
        return {"id": run["experiment_id"], "name": name if isinstance(name, str) and name else None}
    link = (run.get("links") or {}).get("experiment")
    m = _EXPERIMENT_LINK.search(link or "")
    if m:
        return {"id": m.group(1), "name": run.get("experiment_name") or m.group(1)}
    return None


def run_view(run: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """The whole page's data from one ``RunHandle.to_dict()``."""
    now = time.time() if now is None else now
    steps = list(run.get("steps") or [])
    names = [s["name"] for s in steps]
    tasks = [task_view(s, names, now) for s in steps]
    state = str(run.get("state") or PENDING).lower()
    return {
        "run_id": run["run_id"],
        "kfp_run_id": run.get("kfp_run_id"),
        "target": run.get("target"),
        "state": state,
        "created_at": run.get("created_at"),
        "started_at": run.get("started_at"),
        "finished_at": run.get("finished_at"),
        "error": run.get("error"),
        "monitor_error": run.get("monitor_error"),
        "links": {k: v for k, v in (run.get("links") or {}).items() if isinstance(v, str)},
        "outputs": run.get("outputs") or {},
        "experiment": experiment_of(run),
        "tasks": tasks,
        "headline": headline(state, tasks, run.get("error")),
        "server_time": now,
    }


def fingerprint(view: dict[str, Any]) -> tuple:
    """What must differ for a pushed update to be worth sending (not the clock, not durations)."""
    return (view["state"], view["error"], view["monitor_error"], tuple(
        (t["name"], t["state"], t["start"], t["end"], t["failure_reason"],
         repr(t["resource"]), len(t["phases"]), repr(sorted(t["metrics"].items())), repr(t["outputs"]))
        for t in view["tasks"]), repr(sorted(view["outputs"].items())), repr(view.get("restart")))

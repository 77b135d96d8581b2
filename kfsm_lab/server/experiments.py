"""The experiment page: runs grouped by KFP experiment, the parameters that differ, whether each endpoint lives.

Built from the runs listing (no SageMaker call per run); the endpoint states come from one listing
of the kit's endpoints; comparing two runs attaches to both for their metrics.
"""

from __future__ import annotations

from typing import Any

from . import runs, runview

DEFAULT_EXPERIMENT = "default"


def _recorded_names() -> dict[str, str]:
    """FALLBACK (until the runs listing carries experiment names): experiment id → name from the kit's records."""
    from ..pipeline import runs as records

    return {r.experiment_id: r.experiment for r in records.all_records() if r.experiment_id and r.experiment}


def experiment_key(run: dict[str, Any], names: dict[str, str] | None = None) -> dict[str, Any]:
    key = runview.experiment_of(run) or {"id": DEFAULT_EXPERIMENT, "name": None}
    if key["name"] is None and names:
        key["name"] = names.get(key["id"])
    return key


def _duration(run: dict[str, Any]) -> float | None:
    start = run.get("started_at") or run.get("created_at")
    end = run.get("finished_at")
    return max(0.0, end - start) if start and end else None


def summarize(listing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per experiment: id, name, run count, the newest run and its state."""
    groups: dict[str, dict[str, Any]] = {}
    names = _recorded_names()
    for run in listing:
        key = experiment_key(run, names)
        group = groups.setdefault(key["id"], {"id": key["id"], "name": key["name"], "runs": 0, "latest": None,
                                              "states": {}})
        group["runs"] += 1
        state = str(run.get("state") or "pending")
        group["states"][state] = group["states"].get(state, 0) + 1
        if group["latest"] is None:
            group["latest"] = {"run_id": run["run_id"], "state": state, "created_at": run.get("created_at")}
    return list(groups.values())


def regions_of(listing: list[dict[str, Any]]) -> set[str]:
    """The regions the listed runs live in (their endpoints are listed there)."""
    found = {r["region"] for r in listing if r.get("region")}
    if not found:  # FALLBACK (until the runs listing carries the region): the kit's records
        from ..pipeline import runs as records

        ids = {r["run_id"] for r in listing}
        found = {rec.region for rec in records.all_records() if rec.run_id in ids and rec.region}
    return found


def detail(experiment_id: str, listing: list[dict[str, Any]], live_endpoints: set[str] | None) -> dict[str, Any]:
    """The experiment's runs with state, timing, differing parameters and endpoint state."""
    members = [r for r in listing if experiment_key(r)["id"] == experiment_id]
    if not members:
        from .errors import NotFoundError

        raise NotFoundError(f"no run of experiment {experiment_id!r} is known here",
                            "the runs panel lists the runs this server knows")
    params = {r["run_id"]: runs.parameters_of(r) for r in members}
    keys = sorted({k for p in params.values() for k in p})
    differing = [k for k in keys if len({repr(p.get(k)) for p in params.values()}) > 1
                 and not _per_run(k, params)]
    rows = []
    for run in members:
        endpoint = (run.get("outputs") or {}).get("endpoint_name")
        deploys = [s for s in run.get("steps") or [] if s.get("kind") == "endpoint"]
        if deploys and not any(s.get("state") == "succeeded" for s in deploys):
            endpoint = None  # the run never made its endpoint: nothing to be live or deleted
        if not endpoint:
            endpoint_state = None
        elif live_endpoints is None:
            endpoint_state = "unknown"
        else:
            endpoint_state = "live" if endpoint in live_endpoints else "deleted"
        rows.append({"run_id": run["run_id"], "kfp_run_id": run.get("kfp_run_id"), "state": run.get("state"),
                     "created_at": run.get("created_at"), "finished_at": run.get("finished_at"),
                     "duration": _duration(run), "error": run.get("error"),
                     "parameters": {k: params[run["run_id"]].get(k) for k in differing},
                     "endpoint": endpoint, "endpoint_state": endpoint_state})
    return {"id": experiment_id, "name": experiment_key(members[0], _recorded_names())["name"], "runs": rows,
            "differing_parameters": differing}


def _per_run(key: str, params: dict[str, dict[str, Any]]) -> bool:
    """A parameter made from each run's own id (``run_id``, the batch output folder) differs by design, not choice."""
    return key == "run_id" or all(run_id in str(p.get(key, "")) for run_id, p in params.items())


def compare(run_ids: list[str]) -> dict[str, Any]:
    """Two (or more) runs side by side: every parameter, and each task's metrics."""
    out = []
    for run_id in run_ids:
        handle = runs.attach(run_id)
        data = handle.to_dict()
        metrics = {k: v for s in data.get("steps", [])
                   for k, v in (s.get("metrics") or {}).items()}
        out.append({"run_id": data["run_id"], "state": data.get("state"), "parameters": runs.parameters_of(data),
                    "metrics": metrics, "duration": _duration(data)})
    keys = sorted({k for r in out for k in r["parameters"]})
    metric_keys = sorted({k for r in out for k in r["metrics"]})
    differing = [k for k in keys if len({repr(r["parameters"].get(k)) for r in out}) > 1]
    return {"runs": out, "parameters": keys, "differing_parameters": differing, "metrics": metric_keys}

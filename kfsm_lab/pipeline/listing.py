"""Recent runs for the CLI, the runs panel and the server extension — cheap enough to poll.

Local runs are listed by the local Kubeflow Pipelines itself (one request; every run there, the
kit's and a plain ``kfp.Client``'s), but only while the local cloud runs: listing never starts one.
Cluster runs come from the kit's records, with the state each handle last saw (no network call).
"""

from __future__ import annotations

import logging
from typing import Any

from . import runs
from .runs import RunRecord

log = logging.getLogger(__name__)
_STEP_KEYS = ("name", "display_name", "state", "start", "end", "job_name", "job_status", "failure_reason", "kind",
              "depends_on")


def _row(handle: Any, record: RunRecord) -> dict[str, Any]:
    snap = handle.to_dict()
    return {"run_id": snap["run_id"], "kfp_run_id": snap["kfp_run_id"], "target": record.target,
            "state": snap["state"], "display_name": snap["display_name"], "pipeline_name": snap["pipeline_name"],
            "experiment_id": snap["experiment_id"], "created_at": snap["created_at"],
            "finished_at": snap["finished_at"], "error": snap["error"], "links": snap["links"],
            "steps": [{k: s.get(k) for k in _STEP_KEYS} for s in snap["steps"]], "outputs": snap["outputs"]}


def local_rows(limit: int) -> list[dict[str, Any]]:
    from ..config import load_settings
    from ..localcloud import status
    from .handle import RunHandle, _get
    from .targets import kfp_target

    if status() is None:
        return []
    settings = load_settings(target="local")
    conn = kfp_target("local").connect(settings, start=False)
    by_kfp_id = {r.kfp_run_id: r for r in runs.all_records() if r.target == "local"}
    result = conn.list_runs(page_size=limit)
    rows = []
    for run in result:
        kfp_id = _get(run, "run_id")
        record = by_kfp_id.get(kfp_id) or RunRecord(run_id=kfp_id, kfp_run_id=kfp_id, target="local",
                                                     experiment_id=_get(run, "experiment_id") or "",
                                                     links=conn.links(_get(run, "experiment_id"), kfp_id).as_dict())
        handle = RunHandle(record, settings, conn)
        handle._run = run  # the listing already holds the run: no second request
        if record.run_id == kfp_id and handle.names_run_id != kfp_id:
            record = record.model_copy(update={"run_id": handle.names_run_id})
            handle.record = record
        rows.append(_row(handle, record))
    return rows


def cluster_rows(limit: int) -> list[dict[str, Any]]:
    out = []
    for rec in runs.all_records():
        if rec.target == "local":
            continue
        seen = rec.last_seen or {}
        out.append({"run_id": rec.run_id, "kfp_run_id": rec.kfp_run_id, "target": rec.target,
                    "state": seen.get("state", runs.PENDING), "display_name": seen.get("display_name"),
                    "pipeline_name": rec.pipeline_name, "experiment_id": rec.experiment_id,
                    "created_at": rec.created_at, "finished_at": seen.get("finished_at"), "error": seen.get("error"),
                    "links": rec.links, "steps": seen.get("steps", []), "outputs": seen.get("outputs", {}),
                    "seen_at": rec.last_seen_at})
        if len(out) >= limit:
            break
    return out


def recent_runs(limit: int = 20) -> list[dict[str, Any]]:
    try:
        rows = local_rows(limit)
    except Exception as exc:  # noqa: BLE001 - a broken local cloud must not hide the cluster runs
        log.warning("could not list the local runs: %s", exc)
        rows = []
    rows += cluster_rows(limit)
    rows.sort(key=lambda r: r.get("created_at") or 0, reverse=True)
    return rows[:limit]

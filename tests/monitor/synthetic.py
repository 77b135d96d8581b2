"""Synthetic run snapshots (the shape of RunHandle.to_dict()) for drawing without a run."""

from __future__ import annotations

from typing import Any

T0 = 1_800_000_000.0
NAMES = ["sagemaker-training-job", "sagemaker-create-model", "sagemaker-batch-transformation",
         "sagemaker-deploy-model"]


def step(name: str, state: str = "pending", start: float | None = None, end: float | None = None,
         **extra: Any) -> dict[str, Any]:
    return {"name": name, "state": state, "start": None if start is None else T0 + start,
            "end": None if end is None else T0 + end, "job_name": f"kfsm-r1-{name[10:14]}", "job_status": None,
            "secondary_status": None, "failure_reason": None, **extra}


def phases(*items: tuple[str, float, float | None]) -> list[dict[str, Any]]:
    return [{"status": s, "start": T0 + a, "end": None if b is None else T0 + b, "message": ""} for s, a, b in items]


def mid_training() -> dict[str, Any]:
    train = step(NAMES[0], "running", 0.5, job_status="InProgress", secondary_status="Training",
                 phases=phases(("Starting", 1, 3), ("Downloading", 3, 5), ("Training", 5, None)),
                 logs=["[kmeans] epoch 1", "[kmeans] epoch 2"])
    return {"run_id": "r1", "target": "local", "state": "running", "created_at": T0, "started_at": T0,
            "finished_at": None, "error": None, "steps": [train] + [step(n) for n in NAMES[1:]],
            "outputs": {}, "links": {}}


def finished() -> dict[str, Any]:
    train = step(NAMES[0], "succeeded", 0.5, 10, job_status="Completed", secondary_status="Completed",
                 phases=phases(("Starting", 1, 3), ("Downloading", 3, 5), ("Training", 5, 8), ("Uploading", 8, 9.5),
                               ("Completed", 9.5, 9.5)),
                 metrics={"train:msd": 38.2, "test:msd": 40.1}, logs=["[kmeans] done", "#metrics train:msd=38.2"])
    return {"run_id": "r1", "target": "local", "state": "succeeded", "created_at": T0, "started_at": T0,
            "finished_at": T0 + 16, "error": None,
            "steps": [train, step(NAMES[1], "succeeded", 10.2, 10.8, job_status="Created"),
                      step(NAMES[2], "succeeded", 11, 14, job_status="Completed"),
                      step(NAMES[3], "succeeded", 14.2, 15.8, job_status="InService", job_name="kfsm-r1-endpoint",
                           kind="Endpoint")],
            "outputs": {"endpoint_name": "kfsm-r1-endpoint"}, "links": {}}


def failed() -> dict[str, Any]:
    reason = "ClientError: feature_dim 12 does not match the data's 784 columns"
    train = step(NAMES[0], "failed", 0.5, 4, job_status="Failed", secondary_status="Failed", failure_reason=reason,
                 phases=phases(("Starting", 1, 2), ("Downloading", 2, 3), ("Training", 3, 4), ("Failed", 4, 4)))
    return {"run_id": "r1", "target": "local", "state": "failed", "created_at": T0, "started_at": T0,
            "finished_at": T0 + 4.5, "error": f"sagemaker-training-job: {reason}",
            "steps": [train] + [step(n, "skipped") for n in NAMES[1:]], "outputs": {}, "links": {}}

"""Helpers for the reliability tests: own names, the cloud's request counters and its inventory."""

from __future__ import annotations

import uuid
from typing import Any

from kfsm_lab.config import load_settings


def tag() -> str:
    return uuid.uuid4().hex[:8]


def fresh_settings(**changes: Any):
    """Local settings whose IAM user, role and bucket are this test's own."""
    t = tag()
    return load_settings(target="local", region="us-west-2", iam_user=f"rel-user-{t}", role_name=f"rel-role-{t}",
                         bucket=f"kfsm-rel-{t}", **changes)


def stats(info) -> dict[str, int]:
    """Client requests per ``service.Operation`` the cloud has counted."""
    return info.admin("stats")["requests"]


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}


_CLIENTS: dict[tuple[str, str], Any] = {}


def cached_client(info, service: str):
    """boto3 clients take most of a second to build: one per cloud and service."""
    key = (info.endpoint_url, service)
    if key not in _CLIENTS:
        _CLIENTS[key] = info.client(service)
    return _CLIENTS[key]


def inventory(info) -> dict[str, set[str]]:
    """Every bucket, IAM user and role, SageMaker job, model, config and endpoint the cloud holds."""
    s3, iam, sm = (cached_client(info, s) for s in ("s3", "iam", "sagemaker"))
    return {
        "buckets": {b["Name"] for b in s3.list_buckets().get("Buckets", [])},
        "users": {u["UserName"] for u in iam.list_users()["Users"]},
        "roles": {r["RoleName"] for r in iam.list_roles()["Roles"]},
        "training_jobs": {j["TrainingJobName"] for j in sm.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]},
        "models": {m["ModelName"] for m in sm.list_models(MaxResults=100)["Models"]},
        "endpoint_configs": {c["EndpointConfigName"]
                             for c in sm.list_endpoint_configs(MaxResults=100)["EndpointConfigs"]},
        "endpoints": {e["EndpointName"] for e in sm.list_endpoints(MaxResults=100)["Endpoints"]},
        "transform_jobs": {j["TransformJobName"]
                           for j in sm.list_transform_jobs(MaxResults=100)["TransformJobSummaries"]},
    }



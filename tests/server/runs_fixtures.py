"""Real pipeline runs on the session's local cloud, made the kit's way (start_run), for the route tests."""

from __future__ import annotations

import uuid
from typing import Any

from kfsm_lab.config import load_settings

#: Browser tests run their pipelines here, away from the region whose endpoints the cost guard counts.
RUNS_REGION = "eu-west-1"


def ready_settings(region: str = "us-west-2") -> Any:
    """Local settings after the real setup step (role, pipeline user + key, bucket, data), names of their own."""
    from kfsm_lab.provision import setup_all

    tag = uuid.uuid4().hex[:8]
    settings = load_settings(target="local", region=region, iam_user=f"ruser-{tag}", role_name=f"rrole-{tag}",
                             bucket=f"kfsm-rp-{tag}")
    return setup_all(settings).settings


def finished_run(settings: Any, timeout: float = 240) -> Any:
    from kfsm_lab.pipeline import start_run

    handle = start_run(settings)
    handle.wait(timeout=timeout, interval=0.2)
    return handle

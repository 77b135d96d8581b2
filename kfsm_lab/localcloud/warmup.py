"""Warm moto's lazily loaded S3 and IAM paths right after the local cloud starts.

moto loads a service's models, responses and templates on its first request: on a 2-core machine
the first S3 calls of ``setup`` took 1-3 s between them, the largest single item of a cold setup.
A background thread makes a few read-only requests instead, while the client is still busy
importing boto3 and loading the sample. They go through the emulation's own gateway, so they
are not counted in ``/_kfsm/stats`` and change no state (the bucket and role asked about are
names no one can create: the prefix is reserved for this).
"""

from __future__ import annotations

import threading
from typing import Any

PROBE_NAME = "kfsm-warmup-probe-never-created"


def _probe(endpoint_url: str, keys: Any) -> None:
    from .constants import DEFAULT_REGION
    from .gateway import Gateway

    gw = Gateway(endpoint_url, keys)
    calls = (
        lambda: gw.client("s3", DEFAULT_REGION).list_buckets(),
        lambda: gw.client("s3", DEFAULT_REGION).head_bucket(Bucket=PROBE_NAME),
        lambda: gw.client("iam").get_role(RoleName=PROBE_NAME),
        lambda: gw.client("sts").get_caller_identity(),
    )
    for call in calls:
        try:
            call()
        except Exception:  # noqa: BLE001, S112 - a 404 is the expected answer; nothing here may stop the server
            continue


def start(endpoint_url: str, keys: Any) -> threading.Thread:
    """Run the probes on a daemon thread (signed with the cloud's root ``keys``); returns it (joined only by tests)."""
    thread = threading.Thread(target=_probe, args=(endpoint_url, keys), daemon=True, name="kfsm-warmup")
    thread.start()
    return thread

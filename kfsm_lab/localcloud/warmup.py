"""Warm moto's lazily loaded S3, IAM, STS and Logs paths right after the local cloud starts.

moto loads a service's models, responses and templates on its first request: on a 2-core machine
the first S3 calls of ``setup`` took 1-3 s between them, the largest single item of a cold setup,
and the first CloudWatch Logs call of a training job 0.25 s. A background thread makes a few
read-only requests instead, while the client is still busy importing boto3 and loading the sample.
Before them, moto's apps for those services are built in-process (no request): making the
gateway's own boto3 clients takes ~0.5 s, and a client's first call should not wait for that.
They go through the emulation's own gateway — the very clients its SageMaker will use later, so
those are made here too, not during the first CreateTrainingJob — are not counted in
``/_kfsm/stats`` and change no state (the bucket, role and log group asked about are names no
one can create: the prefix is reserved for this). Last, the SageMaker API model its request
validation reads is loaded.
"""

from __future__ import annotations

import threading
from typing import Any

PROBE_NAME = "kfsm-warmup-probe-never-created"


SERVICES = ("s3", "iam", "sts", "logs")


def _probe(gw: Any, region: str, moto_app: Any = None) -> None:
    from .sagemaker.validation import _model

    for service in SERVICES if moto_app is not None else ():
        try:
            moto_app.warm(service)  # its routes and its responses module
        except Exception:  # noqa: BLE001, S112 - only a head start; the probes below do it anyway
            continue
    calls = (
        lambda: gw.client("s3", region).list_buckets(),
        lambda: gw.client("s3", region).head_bucket(Bucket=PROBE_NAME),
        lambda: gw.client("iam").get_role(RoleName=PROBE_NAME),
        lambda: gw.client("sts").get_caller_identity(),
        lambda: gw.client("logs", region).describe_log_groups(logGroupNamePrefix=PROBE_NAME, limit=1),
        _model,
    )
    for call in calls:
        try:
            call()
        except Exception:  # noqa: BLE001, S112 - a 404 is the expected answer; nothing here may stop the server
            continue


def start(gateway: Any, region: str, moto_app: Any = None) -> threading.Thread:
    """Build ``moto_app``'s service apps, then run the probes through ``gateway`` (the SageMaker emulation's
    own, signed with the cloud's root keys) for ``region``, on a daemon thread; returns it (joined only by tests)."""
    thread = threading.Thread(target=_probe, args=(gateway, region, moto_app), daemon=True, name="kfsm-warmup")
    thread.start()
    return thread

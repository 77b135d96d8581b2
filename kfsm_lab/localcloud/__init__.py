"""The local cloud: one process on 127.0.0.1 that speaks S3, IAM, STS, CloudWatch Logs (moto) and
SageMaker + SageMaker Runtime (kfsm_lab's own, really training and serving k-means).

>>> info = ensure_running()          # starts or reuses (and takes a lease for this process)
>>> s3 = info.client("s3")           # boto3, pointed at it, signed with its own keys
>>> status()                         # only looks: None when none is running, never starts one
"""

from __future__ import annotations

from .constants import ACCOUNT_ID, DEFAULT_REGION
from .lifecycle import (
    LocalCloudInfo,
    NotRunningError,
    connect,
    ensure_running,
    log_file,
    reset,
    resolve_pace,
    state_file,
    status,
    stop,
    stop_unless_used,
)

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_REGION",
    "LocalCloudInfo",
    "NotRunningError",
    "connect",
    "ensure_running",
    "log_file",
    "reset",
    "resolve_pace",
    "state_file",
    "status",
    "stop",
    "stop_unless_used",
]

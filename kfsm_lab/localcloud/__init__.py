"""The local cloud: one process on 127.0.0.1 that speaks S3, IAM, STS, CloudWatch Logs (moto) and
SageMaker + SageMaker Runtime (kfsm_lab's own, really training and serving k-means).

>>> info = ensure_running()          # starts or reuses
>>> s3 = info.client("s3")           # boto3, pointed at it, with the local keys
"""

from __future__ import annotations

from .constants import ACCESS_KEY_ID, ACCOUNT_ID, DEFAULT_REGION, SECRET_ACCESS_KEY
from .lifecycle import LocalCloudInfo, ensure_running, log_file, resolve_pace, state_file, status, stop

__all__ = [
    "ACCESS_KEY_ID",
    "ACCOUNT_ID",
    "DEFAULT_REGION",
    "SECRET_ACCESS_KEY",
    "LocalCloudInfo",
    "ensure_running",
    "log_file",
    "resolve_pace",
    "state_file",
    "status",
    "stop",
]

"""Fixed facts of every local cloud: its account, its file names, its admin paths and headers.

Its keys are not here: each state folder has its own, made at random (:mod:`.keys`).
"""

from __future__ import annotations

ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "us-west-2"
HOST = "127.0.0.1"
STATE_FILE_NAME = "localcloud.json"  # where a running cloud is: port, pid (written by the cloud)
ALIVE_FILE_NAME = "localcloud.alive"  # held locked by the running cloud; holds its address too
KEYS_FILE_NAME = "localcloud-keys.json"  # root key and admin token, 0600
LOG_FILE_NAME = "localcloud.log"
LOCK_FILE_NAME = "localcloud.lock"  # serializes starters and stoppers
PERSIST_DIR_NAME = "localcloud"  # the cloud's saved state (S3, IAM, STS, Logs, SageMaker)
LEASES_DIR_NAME = "leases"
KFP_DIR_NAME = "kfp"  # the local Kubeflow Pipelines API's experiments and runs
ADMIN_PREFIX = "/_kfsm"
ADMIN_TOKEN_HEADER = "X-Kfsm-Admin-Token"  # noqa: S105 - a header name
INTERNAL_HEADER = "X-Kfsm-Internal"
CORS_ORIGIN_ENV = "KFSM_CORS_ORIGIN"
IDLE_ENV = "KFSM_LOCALCLOUD_IDLE_SECONDS"
DEFAULT_IDLE_SECONDS = 15 * 60
SOCKET_TIMEOUT_ENV = "KFSM_LOCALCLOUD_SOCKET_TIMEOUT"
DEFAULT_SOCKET_TIMEOUT = 60.0
SERVICE_NAME = "kfsm-lab-localcloud"
SHUTDOWN_POLL_SECONDS = 0.05  # how often a server's loop looks for a stop (socketserver's default 0.5 s per server)

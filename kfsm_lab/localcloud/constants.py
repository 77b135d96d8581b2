"""Fixed facts of every local cloud: its account, its keys, its admin paths.

The keys are public test keys, not secrets: moto maps any unknown access key to its default
account, so they only ever unlock the local cloud. They keep the user's real credentials away
from it.
"""

from __future__ import annotations

ACCOUNT_ID = "123456789012"  # moto's default account
ACCESS_KEY_ID = "AKIAKFSMLOCALCLOUD00"
SECRET_ACCESS_KEY = "kfsm-local-cloud-test-key-not-a-secret00"  # noqa: S105 - a public test key
DEFAULT_REGION = "us-west-2"
HOST = "127.0.0.1"
STATE_FILE_NAME = "localcloud.json"
LOG_FILE_NAME = "localcloud.log"
LOCK_FILE_NAME = "localcloud.lock"
ADMIN_PREFIX = "/_kfsm"
INTERNAL_HEADER = "X-Kfsm-Internal"
SERVICE_NAME = "kfsm-lab-localcloud"

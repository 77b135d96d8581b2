"""The SageMaker emulation's way to S3, IAM and CloudWatch Logs: boto3 over HTTP to its own moto.

Going through the public wire protocol, instead of moto's Python internals, keeps the emulation
independent of moto's private APIs and exercises the same paths users hit. Requests are signed
with the cloud's own root key (the door checks every request, these too) and carry
``X-Kfsm-Internal`` so the request statistics only count what clients sent.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from .constants import INTERNAL_HEADER

_ROLE_PREFIX = ":role/"
BLOCK_BYTES = 4 * 1024 * 1024
"""How much of an object :meth:`Gateway.blocks` reads at a time: a fraction of a 6 MB mini-batch."""


def _mark_internal(request: Any, **_: Any) -> None:
    request.headers[INTERNAL_HEADER] = "1"


class Gateway:
    """Thread-safe, lazily built boto3 clients pointed at the local cloud itself."""

    def __init__(self, endpoint_url: str, keys: Any) -> None:
        self.endpoint_url = endpoint_url
        self._keys = keys  # RootKeys
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._streams: set[tuple[str, str, str]] = set()  # (region, group, stream) known to exist
        self._session: Any = None  # one boto3 session for all its clients (made under the lock)

    def client(self, service: str, region: str = "us-east-1") -> Any:
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                from botocore.config import Config

                from ..aws import boto3_session

                if self._session is None:  # a session per client cost ~20 ms each of event set-up
                    self._session = boto3_session()
                c = self._session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url,
                    aws_access_key_id=self._keys.access_key_id,
                    aws_secret_access_key=self._keys.secret_access_key,
                    config=Config(retries={"max_attempts": 2, "mode": "standard"},
                                  s3={"addressing_style": "path"}, max_pool_connections=20))
                c.meta.events.register_first("before-sign.*.*", _mark_internal)
                self._clients[key] = c
            return self._clients[key]

    # --- IAM -------------------------------------------------------------------------------------
    def role_trusts_sagemaker(self, role_arn: str, account: str) -> bool:
        """True when the role exists in this account and its trust policy lets SageMaker assume it."""
        if not role_arn or _ROLE_PREFIX not in role_arn or f":{account}:" not in role_arn:
            return False
        name = role_arn.rsplit("/", 1)[-1]
        try:
            role = self.client("iam").get_role(RoleName=name)["Role"]
        except Exception:  # noqa: BLE001 - NoSuchEntity or anything else means: cannot assume
            return False
        if role.get("Arn") != role_arn:
            return False
        doc = role.get("AssumeRolePolicyDocument") or {}
        if isinstance(doc, str):
            import json
            from urllib.parse import unquote

            try:
                doc = json.loads(unquote(doc))
            except ValueError:
                return False
        stmts = doc.get("Statement", [])
        for st in stmts if isinstance(stmts, list) else [stmts]:
            if st.get("Effect") != "Allow":
                continue
            actions = st.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
                continue
            principal = st.get("Principal", {})
            services = principal.get("Service", []) if isinstance(principal, dict) else []
            services = [services] if isinstance(services, str) else services
            if "sagemaker.amazonaws.com" in services:
                return True
        return False

    # --- S3 --------------------------------------------------------------------------------------
    def list_keys(self, bucket: str, prefix: str, region: str) -> list[tuple[str, int, str]]:
        """``(key, size, ETag)`` of every object under ``prefix``, in key order."""
        out: list[tuple[str, int, str]] = []
        pages = self.client("s3", region).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            out.extend((o["Key"], o["Size"], o.get("ETag", "")) for o in page.get("Contents", []))
        return out

    def get(self, bucket: str, key: str, region: str) -> bytes:
        return self.client("s3", region).get_object(Bucket=bucket, Key=key)["Body"].read()

    @contextlib.contextmanager
    def blocks(self, bucket: str, key: str, region: str, size: int = BLOCK_BYTES) -> Iterator[Iterator[bytes]]:
        """The object as consecutive blocks of at most ``size`` bytes, read as they are asked for.

        A transform of a large object then holds a block or two, not the object and its copies. Leaving
        the ``with`` early (a bad record, a stop) closes the download there.
        """
        body = self.client("s3", region).get_object(Bucket=bucket, Key=key)["Body"]

        def read() -> Iterator[bytes]:
            while block := body.read(size):
                yield block

        try:
            yield read()
        finally:
            body.close()

    def put(self, bucket: str, key: str, body: bytes, region: str) -> None:
        self.client("s3", region).put_object(Bucket=bucket, Key=key, Body=body)

    # --- CloudWatch Logs -------------------------------------------------------------------------
    def log(self, group: str, stream: str, lines: list[tuple[float, str]], region: str) -> None:
        """Append ``(epoch seconds, message)`` lines to a stream, creating group and stream as needed."""
        if not lines:
            return
        logs = self.client("logs", region)
        events = [{"timestamp": int(t * 1000), "message": m} for t, m in lines]
        events.sort(key=lambda e: e["timestamp"])
        where = (region, group, stream)
        if where not in self._streams:
            self._create_stream(logs, group, stream)
        for i in range(0, len(events), 1000):
            try:
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i:i + 1000])
            except logs.exceptions.ResourceNotFoundException:  # deleted since: make it again, once
                self._create_stream(logs, group, stream)
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i:i + 1000])
        self._streams.add(where)

    @staticmethod
    def _create_stream(logs: Any, group: str, stream: str) -> None:
        for call, kwargs in ((logs.create_log_group, {"logGroupName": group}),
                             (logs.create_log_stream, {"logGroupName": group, "logStreamName": stream})):
            try:
                call(**kwargs)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass

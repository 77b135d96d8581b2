"""What every SageMaker step does around its call: names, tags, clients, adopt-or-create, wait, stop on cancel.

These functions are copied verbatim into each kfp component (``additional_funcs``), because a
cluster pod runs the component from its own source and has no kfsm_lab installed. So: stdlib and
boto3 only, every import inside the function, no reference to anything else in this package.

They are also the **one owner** of the kit's resource names and tag keys: :mod:`kfsm_lab.names`
reads them from here, so the pod and the kit can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def kfsm_name_prefix() -> str:
    """The start of every SageMaker name the kit makes (``kfsm-<run id>-<kind>``)."""
    return "kfsm-"


def kfsm_tag_keys() -> dict[str, str]:
    """The tag keys on everything the kit creates (and the value of ``created_by``)."""
    return {"run_id": "kfsm-lab:run-id", "created_by": "kfsm-lab:created-by", "step": "kfsm-lab:step",
            "created_by_value": "kfsm-lab"}


def kfsm_resource_name(run_id: str, kind: str) -> str:
    """The SageMaker name of one resource of a run: ``kfsm-<run_id>-<suffix>``.

    Names fit the service's limits (63 characters, 32 for tuning jobs); a run id too long for a
    limit is replaced by a stable 10-character digest, so the same run id always gives the same name.
    """
    import hashlib

    suffix = {"training_job": "train", "model": "model", "endpoint_config": "epconfig", "endpoint": "endpoint",
              "transform_job": "transform", "tuning_job": "hpo"}[kind]
    limit = 32 if kind == "tuning_job" else 63
    run_id = run_id.strip().lower() if kind == "tuning_job" else run_id.strip()
    name = f"{kfsm_name_prefix()}{run_id}-{suffix}"
    if len(name) > limit:
        name = f"{kfsm_name_prefix()}{hashlib.sha256(run_id.encode()).hexdigest()[:10]}-{suffix}"
    return name


def kfsm_run_id(run_id: str, kfp_run_uuid: str) -> str:
    """The run id names derive from: the one given, else the Kubeflow run's own id."""
    given = (run_id or "").strip()
    if given:
        return given
    uuid = (kfp_run_uuid or "").strip()
    if not uuid or "{{" in uuid:
        raise ValueError("no run_id was given and the Kubeflow run id is unknown; pass run_id=")
    return uuid


def kfsm_tags(run_id: str, step: str) -> list[dict[str, str]]:
    """The tags clean-up looks for on everything a run creates."""
    keys = kfsm_tag_keys()
    return [{"Key": keys["run_id"], "Value": run_id}, {"Key": keys["created_by"], "Value": keys["created_by_value"]},
            {"Key": keys["step"], "Value": step}]


def kfsm_client(service: str, region: str) -> Any:
    """A boto3 client with botocore's standard retries (throttling backs off by itself).

    The step's clients share boto3's default session, so each service model is read once per step; a
    step the local runner forks from its zygote finds them read already (a fresh session per client
    took ~0.3 s for a step's three, the zygote's 0.03 s). Credentials come from the step's environment
    when the first client is made, as before.
    """
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 10, "mode": "standard"}, user_agent_extra="kfsm-lab-step")
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION.client(service, region_name=region, config=config)


def kfsm_poll_seconds() -> tuple[float, float, float]:
    """(first, longest, steady) for describes: the pause is ``first`` for ``steady`` seconds after each change,
    then doubles up to ``longest``. Seconds on AWS, hundredths on a local cloud."""
    import os
    from urllib.parse import urlparse

    override = os.environ.get("KFSM_POLL_SECONDS")
    if override:
        first = float(override)
        return first, max(first, first * 4), 0.0
    url = os.environ.get("AWS_ENDPOINT_URL_SAGEMAKER") or os.environ.get("AWS_ENDPOINT_URL") or ""
    host = urlparse(url).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        # a local job at pace 0 ends ~0.1-0.2 s after its create, and a describe costs ~3 ms there: every
        # 0.04 s for the first second after a change sees the end within 0.04 s (doubling from 0.05 s saw it
        # up to 0.1 s late, per step); a slow pace's long phases are then polled up to every 0.5 s
        return 0.04, 0.5, 1.0
    return 5.0, 30.0, 0.0


def kfsm_error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    resp = getattr(exc, "response", None)
    return (resp or {}).get("Error", {}).get("Code", "") if isinstance(resp, dict) else ""


def kfsm_describe_or_none(describe: Callable[[], dict]) -> dict | None:
    """``describe()``, or None when the resource does not exist (so the step creates it)."""
    try:
        return describe()
    except Exception as exc:
        code = kfsm_error_code(exc)
        text = str(exc)
        missing = any(m in text.lower() for m in ("not found", "does not exist", "could not find"))
        if code == "ResourceNotFound" or (code == "ValidationException" and missing):
            return None
        raise


def kfsm_create(what: str, create: Callable[[], Any], budget: float = 60.0) -> Any:
    """``create()``, retrying "Could not assume role" for up to ``budget`` seconds.

    A role made seconds ago is often not yet assumable by SageMaker (IAM is eventually
    consistent); the service says so with a ValidationException. Each retry is logged.
    """
    import time

    started = time.monotonic()
    pause = 2.0
    while True:
        try:
            return create()
        except Exception as exc:
            propagating = kfsm_error_code(exc) == "ValidationException" and "could not assume role" in str(exc).lower()
            waited = time.monotonic() - started
            if not propagating or waited + pause > budget:
                raise
            print(f"{what}: the role is not assumable yet (IAM changes take a few seconds to propagate); "
                  f"retrying in {pause:.0f} s ({waited:.0f} of {budget:.0f} s used)", flush=True)
            time.sleep(pause)
            pause = min(pause * 2, 16.0)


def kfsm_s3_object_exists(uri: str, region: str) -> bool:
    """True when the ``s3://bucket/key`` object exists (an adopted job's artifact may be gone)."""
    if not uri.startswith("s3://"):
        return False
    bucket, _, key = uri[5:].partition("/")
    try:
        kfsm_client("s3", region).head_object(Bucket=bucket, Key=key)
        return True
    except Exception as exc:
        if kfsm_error_code(exc) in ("404", "NoSuchKey", "NotFound", "NoSuchBucket"):
            return False
        raise


def kfsm_on_cancel(stop: Callable[[], None]) -> None:
    """On SIGTERM (a terminated run), stop the SageMaker job first, then end the step."""
    import signal
    import sys

    def handler(signum: int, frame: Any) -> None:
        print("step cancelled: stopping the SageMaker job", flush=True)
        try:
            stop()
        except Exception as exc:  # noqa: BLE001 - report and still end the step
            print(f"could not stop the SageMaker job: {exc}", flush=True)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def kfsm_wait(name: str, describe: Callable[[], dict], status_key: str, done: tuple[str, ...],
              failed: tuple[str, ...]) -> dict:
    """Poll ``describe`` until a final status; print each change; raise with the FailureReason.

    The pause starts short and doubles (up to a cap) while nothing changes, so a long job costs
    one describe per half minute on AWS, not one per second.
    """
    import time

    first, longest, steady = kfsm_poll_seconds()
    pause = first
    seen = None
    started = changed = time.time()
    while True:
        desc = describe()
        status = desc.get(status_key, "")
        secondary = desc.get("SecondaryStatus", "")
        now = (status, secondary)
        if now != seen:
            seen, changed = now, time.time()
            pause = first
            label = f"{status}/{secondary}" if secondary else status
            print(f"[{time.time() - started:7.1f}s] {name}: {label}", flush=True)
        elif time.time() - changed >= steady:
            pause = min(longest, pause * 2)
        if status in done:
            return desc
        if status in failed:
            reason = desc.get("FailureReason") or "no reason given"
            raise RuntimeError(f"{name} ended {status}: {reason}")
        time.sleep(pause)

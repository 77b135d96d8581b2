"""What every pipeline step does around its SageMaker call: clients, adopt-or-create, wait, stop on cancel.

These functions are copied verbatim into each kfp component (``additional_funcs``), because a
cluster pod runs the component from its own source and has no kfsm_lab installed. So: stdlib and
boto3 only, every import inside the function, no reference to anything else in this package.

Steps print ``KFSM-EVENT {json}`` lines; the local runner reads them to fill the run record, and on a
cluster they are ordinary log lines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def kfsm_event(step: str, **fields: Any) -> None:
    """Print one machine-readable progress line (and flush, so it is seen at once)."""
    import json
    import time

    print("KFSM-EVENT " + json.dumps({"step": step, "time": time.time(), **fields}, default=str), flush=True)


def kfsm_client(service: str, region: str) -> Any:
    """A boto3 client with botocore's standard retries (throttling backs off by itself)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 10, "mode": "standard"}, user_agent_extra="kfsm-lab-step")
    return boto3.session.Session(region_name=region).client(service, config=config)


def kfsm_poll_seconds() -> tuple[float, float]:
    """(first, longest) pause between describes: seconds on AWS, a fraction on a local cloud."""
    import os
    from urllib.parse import urlparse

    override = os.environ.get("KFSM_POLL_SECONDS")
    if override:
        first = float(override)
        return first, max(first, first * 4)
    url = os.environ.get("AWS_ENDPOINT_URL_SAGEMAKER") or os.environ.get("AWS_ENDPOINT_URL") or ""
    host = urlparse(url).hostname or ""
    if host in ("127.0.0.1", "localhost", "::1"):
        return 0.1, 0.5
    return 5.0, 30.0


def kfsm_tags(run_id: str, step: str) -> list[dict[str, str]]:
    """The tags clean-up looks for on everything a run creates."""
    return [{"Key": "kfsm-lab:run-id", "Value": run_id},
            {"Key": "kfsm-lab:created-by", "Value": "kfsm-lab"},
            {"Key": "kfsm-lab:step", "Value": step}]


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


def kfsm_on_cancel(step: str, stop: Callable[[], None]) -> None:
    """On SIGTERM (a cancelled run), stop the SageMaker job first, then end the step."""
    import signal
    import sys

    def handler(signum: int, frame: Any) -> None:
        kfsm_event(step, kind="cancel", detail="step cancelled: stopping the SageMaker job")
        try:
            stop()
        except Exception as exc:  # noqa: BLE001 - report and still end the step
            print(f"could not stop the SageMaker job: {exc}", flush=True)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def kfsm_wait(step: str, name: str, describe: Callable[[], dict], status_key: str,
              done: tuple[str, ...], failed: tuple[str, ...]) -> dict:
    """Poll ``describe`` until a final status; print each change; raise with the FailureReason.

    The pause starts short and doubles (up to a cap) while nothing changes, so a long job costs
    one describe per half minute on AWS, not one per second.
    """
    import time

    first, longest = kfsm_poll_seconds()
    pause = first
    seen = None
    started = time.time()
    while True:
        desc = describe()
        status = desc.get(status_key, "")
        secondary = desc.get("SecondaryStatus", "")
        now = (status, secondary)
        if now != seen:
            seen = now
            pause = first
            label = f"{status}/{secondary}" if secondary else status
            print(f"[{time.time() - started:7.1f}s] {name}: {label}", flush=True)
            kfsm_event(step, kind="status", name=name, status=status, secondary_status=secondary)
        else:
            pause = min(longest, pause * 2)
        if status in done:
            return desc
        if status in failed:
            reason = desc.get("FailureReason") or "no reason given"
            kfsm_event(step, kind="failed", name=name, status=status, failure_reason=reason)
            raise RuntimeError(f"{name} ended {status}: {reason}")
        time.sleep(pause)

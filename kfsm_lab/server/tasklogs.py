"""A task's log for the run page: its own log file read by byte offset, or its SageMaker CloudWatch stream.

Reads are bounded (``CHUNK`` bytes a call, cut at a line end) so a log of many megabytes reaches
the browser piece by piece and never as one reply. Colour codes are stripped from what is shown;
a download is the file as written.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .errors import NotFoundError

#: Most bytes one log read returns; the page asks again from the offset it was given.
CHUNK = 256 * 1024
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")

#: CloudWatch log group of each SageMaker resource kind (as SageMaker names them).
LOG_GROUPS = {
    "training_job": "/aws/sagemaker/TrainingJobs",
    "tuning_job": "/aws/sagemaker/TrainingJobs",
    "transform_job": "/aws/sagemaker/TransformJobs",
    "endpoint": "/aws/sagemaker/Endpoints",
}
#: At most this many streams of one resource are read (one per instance of a multi-instance job).
MAX_STREAMS = 8


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def parse_offset(raw: str | None) -> int:
    if raw in (None, ""):
        return 0
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise ValidationError("offset", raw, "must be a whole number of bytes, 0 or more",
                              "pass the next_offset of the previous read")
    return value


def read_file_chunk(path: Path, offset: int, tail: int | None = None, chunk: int = CHUNK) -> dict[str, Any]:
    """Up to ``chunk`` bytes of ``path`` from ``offset`` (or the last ``tail`` bytes), cut at a line end."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return {"text": "", "offset": 0, "next_offset": 0, "size": 0, "exists": False}
    if tail is not None and offset == 0 and size > tail:
        offset = size - tail
    offset = min(offset, size)
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read(chunk)
        skipped = 0
        if tail is not None and offset > 0 and data:
            # started mid-file: begin at the next whole line
            cut = data.find(b"\n")
            if cut >= 0:
                skipped = cut + 1
                data = data[skipped:]
    start = offset + skipped
    if len(data) == chunk:
        cut = data.rfind(b"\n")
        if cut >= 0:
            data = data[:cut + 1]
    return {"text": strip_ansi(data.decode("utf-8", "replace")), "offset": start,
            "next_offset": start + len(data), "size": size, "exists": True}


# -- CloudWatch -----------------------------------------------------------------------------------
def _encode_tokens(tokens: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(tokens, sort_keys=True).encode()).decode().rstrip("=")


def _decode_tokens(raw: str | None) -> dict[str, str]:
    if not raw or raw == "0":
        return {}
    try:
        padded = raw + "=" * (-len(raw) % 4)
        tokens = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        raise ValidationError("offset", raw, "is not a CloudWatch position this page gave out",
                              "start again without offset") from None
    if not isinstance(tokens, dict):
        raise ValidationError("offset", raw, "is not a CloudWatch position this page gave out")
    return {str(k): str(v) for k, v in tokens.items()}


def cloudwatch_group(kind: str | None) -> str:
    group = LOG_GROUPS.get(kind or "")
    if group is None:
        raise NotFoundError(f"a {kind or 'plain'} task has no SageMaker log stream",
                            "read the task's own log instead (without source=sagemaker)")
    return group


def read_cloudwatch(logs: Any, kind: str | None, resource_name: str, offset: str | None) -> dict[str, Any]:
    """New CloudWatch lines of the resource's streams since ``offset`` (an opaque position)."""
    from ..aws import error_code

    group = cloudwatch_group(kind)
    prefix = resource_name if kind == "endpoint" else f"{resource_name}/"
    if kind == "endpoint":
        group = f"{group}/{resource_name}"
    tokens = _decode_tokens(offset)
    try:
        streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=prefix if kind != "endpoint"
                                            else "", limit=50).get("logStreams", [])
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return {"text": "", "next_offset": offset or "", "streams": [], "group": group, "exists": False}
        raise
    names = sorted(s["logStreamName"] for s in streams)[:MAX_STREAMS]
    lines: list[tuple[int, str]] = []
    for name in names:
        kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": name, "startFromHead": True}
        if name in tokens:
            kwargs["nextToken"] = tokens[name]
        resp = logs.get_log_events(**kwargs)
        for event in resp.get("events", []):
            lines.append((int(event.get("timestamp") or 0), str(event.get("message", "")).rstrip("\n")))
        if resp.get("nextForwardToken"):
            tokens[name] = resp["nextForwardToken"]
    lines.sort(key=lambda item: item[0])
    text = "".join(f"{strip_ansi(line)}\n" for _, line in lines)
    return {"text": text, "next_offset": _encode_tokens(tokens) if tokens else "", "streams": names,
            "group": group, "exists": bool(names)}

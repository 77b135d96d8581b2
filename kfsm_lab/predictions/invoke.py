"""Talking to a k-means endpoint through ``sagemaker-runtime`` and reading its answers."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..aws import error_code, translate
from ..data import to_csv
from ..errors import AwsAccessError, ValidationError

BATCH_ROWS = 100  # well under the 6 MB invocation payload limit for 784-wide rows


def _check_width(X: np.ndarray, feature_dim: int) -> np.ndarray:
    X = np.atleast_2d(np.asarray(X, dtype=np.float32))
    if X.shape[0] == 0:
        raise ValidationError("payload", "0 rows", "holds no records to predict",
                              f"send at least one row of feature_dim={feature_dim} values")
    if X.shape[1] != feature_dim:
        raise ValidationError("payload", f"{X.shape[0]}×{X.shape[1]}",
                              f"rows have {X.shape[1]} values but the model expects feature_dim={feature_dim}",
                              "send flattened 28×28 digits (784 values per row)")
    return X


def _invoke(runtime: Any, endpoint: str, body: str, accept: str = "application/json") -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        resp = runtime.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Accept=accept, Body=body)
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", exc))
        low = message.lower()
        invalid = code in ("ValidationError", "ValidationException")  # the runtime says ValidationError
        if invalid and ("not found" in low or "could not find" in low):
            raise AwsAccessError(f"endpoint {endpoint} does not exist", "run the pipeline first "
                                 "(`kfsm-lab pipeline run --wait`), or pass the run id that deployed it (--run)",
                                 code=code, operation="InvokeEndpoint") from exc
        if invalid and ("inservice" in low or "in service" in low):
            raise AwsAccessError(f"endpoint {endpoint} is not InService yet: {message}",
                                 "wait until the deploy step finishes (`kfsm-lab pipeline status` shows it)",
                                 code=code, operation="InvokeEndpoint") from exc
        raise translate(exc, f"invoke {endpoint}", service="sagemaker-runtime") from exc
    return resp["Body"].read()


def workshop_call(runtime: Any, endpoint: str, row: np.ndarray) -> dict[str, Any]:
    """The workshop's exact call: one CSV row, ``ContentType='text/csv'``, the raw JSON back."""
    return json.loads(_invoke(runtime, endpoint, to_csv(np.atleast_2d(row))).decode())


def parse_predictions(payload: bytes | str) -> tuple[np.ndarray, np.ndarray]:
    """``(closest_cluster int[n], distance float[n])`` from JSON, JSON lines or CSV k-means output."""
    text = payload.decode() if isinstance(payload, bytes) else payload
    clusters: list[float] = []
    dists: list[float] = []

    def take(obj: Any) -> None:
        if isinstance(obj, dict) and "predictions" in obj:
            for p in obj["predictions"]:
                take(p)
        elif isinstance(obj, dict) and "closest_cluster" in obj:
            clusters.append(float(obj["closest_cluster"]))
            dists.append(float(obj.get("distance_to_cluster", np.nan)))
        elif isinstance(obj, list):
            for p in obj:
                take(p)
        else:
            raise ValueError(f"not a k-means prediction: {str(obj)[:80]}")

    stripped = text.strip()
    if not stripped:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    if stripped[0] in "{[":  # one JSON answer, JSON lines, or answers concatenated (batch transform, no Accept)
        decoder, pos = json.JSONDecoder(), 0
        while pos < len(stripped):
            obj, pos = decoder.raw_decode(stripped, pos)
            take(obj)
            while pos < len(stripped) and stripped[pos].isspace():
                pos += 1
    else:
        for line in stripped.splitlines():
            line = line.strip()
            if not line:
                continue
            if line[0] in "{[":
                take(json.loads(line))
            else:  # CSV: closest_cluster,distance_to_cluster
                a, _, b = line.partition(",")
                clusters.append(float(a))
                dists.append(float(b) if b else np.nan)
    return np.asarray(clusters).astype(np.int64), np.asarray(dists, dtype=np.float64)


def predict_rows(runtime: Any, endpoint: str, X: np.ndarray, feature_dim: int = 784,
                 batch: int = BATCH_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """Clusters and distances for every row of ``X``, in batched CSV requests."""
    X = _check_width(X, feature_dim)
    cs, ds = [], []
    for start in range(0, len(X), batch):
        c, d = parse_predictions(_invoke(runtime, endpoint, to_csv(X[start:start + batch])))
        if len(c) != len(X[start:start + batch]):
            raise AwsAccessError(f"endpoint {endpoint} answered {len(c)} predictions for "
                                 f"{len(X[start:start + batch])} rows", "check the endpoint's model")
        cs.append(c)
        ds.append(d)
    return np.concatenate(cs), np.concatenate(ds)

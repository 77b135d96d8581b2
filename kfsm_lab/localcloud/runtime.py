"""k-means inference formats: request bodies in, predictions out (what the k-means container speaks).

In: ``text/csv`` (one row per line; ``label_size`` parameter honoured), ``application/json``
(``{"instances": [{"features": [...]}]}`` or ``{"instances": [{"data": {"features": {"values": [...]}}}]}``),
``application/jsonlines`` (one such instance per line) and ``application/x-recordio-protobuf``.
Out, per ``Accept`` (JSON when absent or ``*/*``): JSON ``{"predictions": [...]}``, JSON Lines,
CSV ``closest_cluster,distance_to_cluster`` and RecordIO-protobuf with both values in ``label``.
Values are floats, as the service answers. Errors are :class:`InferenceError` with the HTTP status
the container would use (400 bad body, 415 unsupported type, 406 unsupported accept).
"""

from __future__ import annotations

import json

import numpy as np
import orjson

from ..data import csvio, recordio
from .kmeans import squared_distances

CSV, JSON, JSONLINES, RECORDIO = "text/csv", "application/json", "application/jsonlines", recordio.CONTENT_TYPE
INPUT_TYPES = (CSV, JSON, JSONLINES, RECORDIO)
OUTPUT_TYPES = (JSON, JSONLINES, CSV, RECORDIO)


class InferenceError(ValueError):
    """A request the model cannot answer; ``status`` is the container's HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def media_type(header: str | None) -> tuple[str, dict[str, str]]:
    """``'text/csv; label_size=1'`` → ``('text/csv', {'label_size': '1'})``."""
    if not header:
        return "", {}
    main, *params = header.split(";")
    opts = {}
    for p in params:
        k, _, v = p.partition("=")
        opts[k.strip().lower()] = v.strip()
    return main.strip().lower(), opts


def _instance(obj: object, i: int) -> list:
    if isinstance(obj, dict):
        if "features" in obj:
            return obj["features"]
        data = obj.get("data")
        if isinstance(data, dict) and isinstance(data.get("features"), dict) and "values" in data["features"]:
            return data["features"]["values"]
    if isinstance(obj, list):
        return obj
    raise InferenceError(f'instance {i} has neither "features" nor "data.features.values"')


def _rows(values: list, width: int) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float32)
    except (ValueError, TypeError):
        widths = sorted({len(v) if isinstance(v, list) else 1 for v in values})
        if len(widths) > 1:
            raise InferenceError(f"records have different numbers of features {widths}; "
                                 f"each must have {width} (the model's feature_dim)") from None
        raise InferenceError("the features are not all numbers") from None
    return arr.reshape(1, -1) if arr.ndim == 1 else arr


def _loads(data: bytes) -> object:
    """JSON by orjson (several times faster than the stdlib); what it refuses — a number out of its range
    such as ``1e999``, which the container reads as infinity — by the stdlib, which says whether it is JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def parse_request(body: bytes, content_type: str | None, width: int) -> np.ndarray:
    """Rows ``float32 [n, width]`` from a request body; InferenceError on anything else."""
    ctype, opts = media_type(content_type)
    if ctype == CSV:
        label_size = _label_size(opts)
        try:
            X = csvio.from_csv(body)
        except ValueError as exc:
            text = str(exc)
            if "not comma-separated numbers" in text:
                text = f"the text/csv body has a value that is not a number ({text})"
            elif "different widths" in text:
                text = f"CSV rows have different numbers of values ({text}); each must have {width + label_size}"
            raise InferenceError(text) from None
        if X.shape[0] == 0:
            raise InferenceError("the request body is empty; send one CSV row per record")
        if label_size >= X.shape[1]:
            raise InferenceError(f"label_size={label_size} leaves no features in rows of {X.shape[1]} values")
        X = X[:, label_size:]
    elif ctype == JSON:
        try:
            doc = _loads(body or b"null")
        except (ValueError, RecursionError):
            raise InferenceError("the application/json body is not valid JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("instances"), list):
            raise InferenceError('the JSON body must be {"instances": [{"features": [...]}, ...]}')
        X = _rows([_instance(o, i) for i, o in enumerate(doc["instances"])], width)
    elif ctype == JSONLINES:
        try:
            objs = [_loads(ln) for ln in body.splitlines() if ln.strip()]
        except (ValueError, RecursionError):
            raise InferenceError("a line of the application/jsonlines body is not valid JSON") from None
        X = _rows([_instance(o, i) for i, o in enumerate(objs)], width)
    elif ctype == RECORDIO:
        try:
            X, _ = recordio.read_dense_tensor(body)
        except (ValueError, IndexError, KeyError, TypeError) as exc:  # a truncated varint or frame
            raise InferenceError(f"the RecordIO-protobuf body cannot be read: {exc or type(exc).__name__}") from None
    else:
        shown = content_type or "(none)"
        raise InferenceError(f"Content type {shown} is not supported by this model; use one of "
                             + ", ".join(INPUT_TYPES), status=415)
    if X.ndim != 2 or X.shape[0] == 0:
        raise InferenceError("the request holds no records")
    if X.shape[1] != width:
        raise InferenceError(f"each record must have {width} features (the model's feature_dim); "
                             f"this request has {X.shape[1]}")
    if not np.isfinite(X).all():
        raise InferenceError("the features include NaN or infinite values; send finite numbers")
    return X


def _label_size(opts: dict[str, str]) -> int:
    raw = opts.get("label_size", "0") or "0"
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise InferenceError(f"label_size={raw} in the text/csv content type is not a whole number of columns; "
                             "use e.g. text/csv;label_size=1")
    return value


def predict(X: np.ndarray, centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Closest cluster and Euclidean distance to it, per row."""
    d = squared_distances(X, centroids)
    idx = d.argmin(axis=1)
    dist = np.sqrt(d[np.arange(len(X)), idx])
    if not np.isfinite(dist).all():
        raise InferenceError("the features are too large: the distances to the centroids overflow float32; "
                             "scale the features as the training data was")
    return idx, dist


def choose_accept(accept: str | None) -> str:
    """The output type for an ``Accept`` header (first supported of a list; JSON by default)."""
    if not accept:
        return JSON
    for part in accept.split(","):
        mt, _ = media_type(part)
        if mt in ("*/*", "application/*", ""):
            return JSON
        if mt in OUTPUT_TYPES:
            return mt
    raise InferenceError(f"Accept type {accept} is not supported; use one of " + ", ".join(OUTPUT_TYPES),
                         status=406)


def _record(c: float, d: float) -> bytes:
    label = (recordio._map_entry(2, "closest_cluster", recordio._tensor("Float32", np.array([c], np.float32)))
             + recordio._map_entry(2, "distance_to_cluster",
                                   recordio._tensor("Float32", np.array([d], np.float32))))
    return recordio.frame(label)


def _pairs(idx: np.ndarray, dist: np.ndarray) -> list[tuple[str, str]]:
    """Each prediction's two values as JSON numbers (floats, as the service answers: ``3.0``)."""
    clusters = [repr(float(c)) for c in range(int(idx.max()) + 1)] if len(idx) else []
    return [(clusters[c], repr(d)) for c, d in zip(idx.tolist(), dist.astype(np.float64).tolist(), strict=True)]


def render_records(idx: np.ndarray, dist: np.ndarray, accept: str) -> list[bytes]:
    """One answer per record (batch transform's SingleRecord strategy)."""
    if accept == RECORDIO:
        return [_record(float(c), float(d)) for c, d in zip(idx, dist, strict=True)]
    return [render(idx[i:i + 1], dist[i:i + 1], accept) for i in range(len(idx))]


def render(idx: np.ndarray, dist: np.ndarray, accept: str) -> bytes:
    """Serialize predictions as ``accept`` (one of OUTPUT_TYPES), in one pass."""
    if accept == RECORDIO:
        return b"".join(_record(float(c), float(d)) for c, d in zip(idx, dist, strict=True))
    pairs = _pairs(idx, dist)
    if accept == JSON:
        return ('{"predictions": [' + ", ".join(f'{{"closest_cluster": {c}, "distance_to_cluster": {d}}}'
                                                  for c, d in pairs) + "]}").encode()
    if accept == JSONLINES:
        return "".join(f'{{"closest_cluster": {c}, "distance_to_cluster": {d}}}\n' for c, d in pairs).encode()
    return "".join(f"{c},{d}\n" for c, d in pairs).encode()


def split_records(body: bytes, content_type: str | None) -> list[bytes]:
    """One request body per record, for batch transform's ``SplitType=Line``/RecordIO."""
    ctype, _ = media_type(content_type)
    if ctype == RECORDIO:
        return [recordio.frame(bytes(p)) for p in recordio.iter_frames(body)]
    return [ln.encode() for ln in body.decode().replace("\r\n", "\n").split("\n") if ln.strip()]


def join_records(parts: list[bytes], content_type: str | None) -> bytes:
    """Rebuild one request body from several records of the same type."""
    ctype, _ = media_type(content_type)
    if ctype == RECORDIO:
        return b"".join(parts)
    if ctype == JSON:
        insts = [inst for p in parts for inst in json.loads(p).get("instances", [])]
        return json.dumps({"instances": insts}).encode()
    return b"\n".join(parts)


__all__ = ["INPUT_TYPES", "OUTPUT_TYPES", "InferenceError", "choose_accept", "join_records",
           "media_type", "parse_request", "predict", "render", "render_records", "split_records"]

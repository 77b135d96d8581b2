"""A job's input: the S3 objects under a channel's prefix, decoded as its ContentType says.

Decoded channels are kept (up to :data:`CACHE_BYTES`) under the object's key and ETag, so the
trials of a tuning job, or trainings run again on the same data, list the prefix (a real
ListObjectsV2 over HTTP, which also tells whether any object changed) but fetch and decode only
what they have not seen. A changed object has a new ETag and is read again.
"""

from __future__ import annotations

import struct
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import numpy as np

from ...data import csvio, recordio
from ...data.layout import split_s3_uri
from .. import runtime

if TYPE_CHECKING:
    from .models import SageMakerBackend

CACHE_BYTES = 128 * 1024 * 1024
"""At most this much decoded data is kept between jobs (the sample's two channels are 12 MB)."""


class JobFailure(Exception):
    """Ends a job as Failed with this text as FailureReason."""


class _Decoded:
    """Least recently used decoded objects, by (region, bucket, key, ETag, content type)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> np.ndarray | None:
        with self._lock:
            X = self._items.get(key)
            if X is not None:
                self._items.move_to_end(key)
            return X

    def put(self, key: tuple[str, ...], X: np.ndarray) -> None:
        if X.nbytes > self.limit:
            return
        X.flags.writeable = False  # shared by every job that reads it
        with self._lock:
            if key in self._items:
                return
            self._items[key] = X
            self._bytes += X.nbytes
            while self._bytes > self.limit:
                _, old = self._items.popitem(last=False)
                self._bytes -= old.nbytes


_decoded = _Decoded(CACHE_BYTES)


def object_keys(backend: SageMakerBackend, uri: str, what: str, role: str | None = None) -> list[tuple[str, str]]:
    """``(key, ETag)`` of every object under the S3 prefix, or the service's failure when there is none."""
    bucket, prefix = split_s3_uri(uri)
    try:
        keys = [(k, etag) for k, size, etag in backend.gateway.list_keys(bucket, prefix, backend.region)
                if not (k.endswith("/") and size == 0)]
    except Exception as exc:  # noqa: BLE001 - NoSuchBucket and friends become the job's failure
        keys, err = [], exc
    else:
        err = None
    if not keys:
        detail = f" ({getattr(err, 'response', {}).get('Error', {}).get('Code', err)})" if err else ""
        raise JobFailure(
            f'ClientError: No S3 objects found under S3 URL "{uri}" given in {what}{detail}. Please ensure that '
            f"the bucket exists in the selected region ({backend.region}), that objects exist under that S3 "
            f'prefix, and that the role "{role or "the caller"}" has "s3:ListBucket" permissions on bucket '
            f'"{bucket}".')
    return keys


def _decode(body: bytes, ctype: str, opts: dict[str, str], name: str) -> np.ndarray:
    if ctype in (recordio.CONTENT_TYPE, "application/x-recordio"):
        return recordio.read_dense_tensor(body)[0]
    if ctype == "text/csv":
        label_size = opts.get("label_size", "0") or "0"
        if not label_size.isdigit():
            raise ValueError(f"label_size={label_size} is not a whole number of columns")
        return csvio.from_csv(body)[:, int(label_size):]
    raise JobFailure(f"ClientError: channel '{name}': content type {ctype} is not supported; "
                     "use application/x-recordio-protobuf or text/csv")


def read_channel(backend: SageMakerBackend, channel: dict[str, Any], role: str | None) -> np.ndarray:
    """Every object under the channel's S3 prefix, decoded as its ContentType says (a new array)."""
    name = channel.get("ChannelName", "?")
    src = channel.get("DataSource", {}).get("S3DataSource", {})
    if src.get("S3DataType", "S3Prefix") != "S3Prefix":
        raise JobFailure(f"ClientError: channel '{name}': S3DataType {src.get('S3DataType')} is not supported by "
                         "the local cloud; use S3Prefix")
    if channel.get("CompressionType", "None") not in ("None", None):
        raise JobFailure(f"ClientError: channel '{name}': CompressionType {channel['CompressionType']} is not "
                         "supported by the k-means algorithm")
    uri = src.get("S3Uri", "")
    bucket, _ = split_s3_uri(uri)
    raw_type = channel.get("ContentType") or recordio.CONTENT_TYPE
    ctype, opts = runtime.media_type(raw_type)
    parts = []
    for key, etag in object_keys(backend, uri, "input data source", role):
        where = (backend.region, bucket, key, etag, raw_type)
        X = _decoded.get(where)
        if X is None:
            body = backend.gateway.get(bucket, key, backend.region)
            try:
                X = _decode(body, ctype, opts, name)
            except (ValueError, IndexError, KeyError, TypeError, struct.error) as exc:  # e.g. a truncated varint
                raise JobFailure(f"ClientError: Unable to read data channel '{name}' (s3://{bucket}/{key}) as "
                                 f"{ctype}: {exc or type(exc).__name__}") from None
            _decoded.put(where, X)
        if X.size:
            parts.append(X)
    if not parts:
        raise JobFailure(f"ClientError: No records were found in the '{name}' channel ({uri})")
    widths = {p.shape[1] for p in parts}
    if len(widths) > 1:
        raise JobFailure(f"ClientError: objects in channel '{name}' have different numbers of features "
                         f"{sorted(widths)}")
    return np.vstack(parts).astype(np.float32, copy=False)

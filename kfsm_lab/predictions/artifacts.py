"""Centroids from a k-means model artifact (``model.tar.gz`` → ``model_algo-1``), real or local."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import numpy as np

from ..data import split_s3_uri
from ..data.ndarray import load_ndarrays
from ..errors import KfsmError


def centroids_from_tar(data: bytes) -> np.ndarray:
    """The k × feature_dim centroid matrix inside a k-means ``model.tar.gz``."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = next((m for m in tar.getmembers() if m.name.rsplit("/", 1)[-1] == "model_algo-1"), None)
        if member is None:
            raise KfsmError("model.tar.gz holds no model_algo-1", "is this a SageMaker k-means artifact?")
        f = tar.extractfile(member)
        assert f is not None
        arrays = load_ndarrays(f.read())
    if not arrays:
        raise KfsmError("model_algo-1 holds no arrays", "is this a SageMaker k-means artifact?")
    return np.asarray(arrays[0], dtype=np.float32)


def load_centroids(s3: Any, model_artifact_url: str) -> np.ndarray:
    bucket, key = split_s3_uri(model_artifact_url)
    return centroids_from_tar(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

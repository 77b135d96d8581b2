"""Batch transform reads line-split input as a stream: the same mini-batches and answers as the whole object."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest
from botocore.exceptions import WaiterError
from hypothesis import given, settings
from hypothesis import strategies as st
from localcloud_helpers import FAST, unique

from kfsm_lab.data import to_csv
from kfsm_lab.localcloud import runtime
from kfsm_lab.localcloud.gateway import BLOCK_BYTES
from kfsm_lab.localcloud.sagemaker.jobs import (
    PayloadTooLarge,
    _line_chunks,
    _streamed_line_chunks,
    centroids_from_tarball,
    streams_lines,
    transform_object,
)


def _cut(body: bytes, sizes: list[int]) -> list[bytes]:
    out, pos, i = [], 0, 0
    while pos < len(body):
        step = sizes[i % len(sizes)]
        out.append(body[pos:pos + step])
        pos, i = pos + step, i + 1
    return out


def _chunks(make):
    try:
        return list(make())
    except PayloadTooLarge as exc:
        return str(exc)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=40),
       ends=st.sampled_from([b"", b"\n", b"\n\n", b"  \n"]), max_bytes=st.integers(1, 40),
       blocks=st.lists(st.integers(1, 50), min_size=1, max_size=5))
def test_streamed_cuts_are_the_whole_objects_cuts(lines, ends, max_bytes, blocks):
    body = b"\n".join(lines) + ends
    whole = _chunks(lambda: _line_chunks(body, max_bytes))
    assert _chunks(lambda: _streamed_line_chunks(_cut(body, blocks), max_bytes)) == whole


def test_which_requests_stream():
    line = {"TransformInput": {"ContentType": "text/csv", "SplitType": "Line"}}
    assert streams_lines(line)
    assert streams_lines({"TransformInput": {"ContentType": "application/jsonlines", "SplitType": "Line"}})
    assert not streams_lines({"TransformInput": {"ContentType": "text/csv", "SplitType": "None"}})
    assert not streams_lines({"TransformInput": {"ContentType": "text/csv"}})  # SplitType's default is None
    assert not streams_lines({"TransformInput": {"ContentType": "application/x-recordio-protobuf",
                                                 "SplitType": "RecordIO"}})
    with pytest.raises(TypeError):
        list(transform_object(iter([b"1,2\n"]), {"TransformInput": {"SplitType": "None"}}, np.zeros((2, 2))))


@pytest.fixture(scope="module")
def centroids(s3, trained):
    bucket, key = trained["ModelArtifacts"]["S3ModelArtifacts"][5:].split("/", 1)
    return centroids_from_tarball(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _transform(sm, s3, model_name: str, bucket: str, body: bytes) -> tuple[dict, bytes | None]:
    name = unique("kfsm-stream")
    s3.put_object(Bucket=bucket, Key=f"stream-in/{name}/digits.csv", Body=body)
    sm.create_transform_job(
        TransformJobName=name, ModelName=model_name, MaxPayloadInMB=1, BatchStrategy="MultiRecord",
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{bucket}/stream-in/{name}/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{bucket}/stream-out/{name}", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    with contextlib.suppress(WaiterError):  # it raises on Failed: the describe below shows why
        sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig=FAST)
    job = sm.describe_transform_job(TransformJobName=name)
    if job["TransformJobStatus"] != "Completed":
        return job, None
    return job, s3.get_object(Bucket=bucket, Key=f"stream-out/{name}/digits.csv.out")["Body"].read()


REQ = {"MaxPayloadInMB": 1, "TransformInput": {"ContentType": "text/csv", "SplitType": "Line"},
       "TransformOutput": {"AssembleWith": "Line"}}


def test_an_object_of_several_blocks_gives_the_whole_objects_answers(sm, s3, model_name, layout, sample, centroids):
    body = to_csv(np.concatenate([sample.train.X] * 4)).encode()
    assert len(body) > 2 * BLOCK_BYTES  # mini-batches cut across block boundaries
    job, out = _transform(sm, s3, model_name, layout.bucket, body)
    assert job["TransformJobStatus"] == "Completed", job.get("FailureReason")
    ours = [json.loads(line)["predictions"] for line in out.splitlines()]
    whole = [json.loads(line)["predictions"] for line in transform_object(body, REQ, centroids).splitlines()]
    assert [len(b) for b in ours] == [len(b) for b in whole]  # the same mini-batches
    # the cloud's BLAS may use another thread count than this process: near ties can land either way
    a = [p for b in ours for p in b]
    b = [p for b in whole for p in b]
    same = np.mean([x["closest_cluster"] == y["closest_cluster"] for x, y in zip(a, b, strict=True)])
    assert same >= 0.999, same
    np.testing.assert_allclose([x["distance_to_cluster"] for x in a], [y["distance_to_cluster"] for y in b],
                               rtol=1e-3)


def test_a_bad_record_in_a_later_block_fails_the_job_with_its_record_range(sm, s3, model_name, layout, sample,
                                                                          centroids):
    rows = to_csv(np.concatenate([sample.train.X] * 3)).encode().split(b"\n")
    bad = len(rows) * 5 // 6
    rows[bad] = rows[bad].replace(b",", b",x,", 1)
    body = b"\n".join(rows)
    with pytest.raises(runtime.InferenceError) as err:
        transform_object(body, REQ, centroids)
    job, _ = _transform(sm, s3, model_name, layout.bucket, body)
    assert job["TransformJobStatus"] == "Failed"
    assert str(err.value) in job["FailureReason"] and "records " in str(err.value)

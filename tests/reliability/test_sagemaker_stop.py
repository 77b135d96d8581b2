"""Stop and MaxRuntimeInSeconds are enforced inside the work, within about a second (issue 18, item 10)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sm_helpers import serve, training_request, unique, wait_training

from kfsm_lab.data import write_dense_tensor

LONG = {"k": "10", "feature_dim": "784", "mini_batch_size": "10", "epochs": "100000"}  # hours of mini-batches


@pytest.fixture(scope="module")
def served(local_cloud):
    return serve(local_cloud)


def _start_long(local_cloud, served, max_runtime: int = 3600) -> str:
    sm = local_cloud.client("sagemaker")
    name = unique("kfsm-rel-long")
    sm.create_training_job(**training_request(name, served.role_arn, served.image, served.train_uri,
                                              f"s3://{served.bucket}/out", LONG, max_runtime))
    deadline = time.monotonic() + 30
    while sm.describe_training_job(TrainingJobName=name)["SecondaryStatus"] != "Training":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return name


def test_stop_ends_a_long_training_within_a_second(local_cloud, served):
    sm = local_cloud.client("sagemaker")
    name = _start_long(local_cloud, served)
    time.sleep(0.5)
    t0 = time.monotonic()
    sm.stop_training_job(TrainingJobName=name)
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] in ("Stopping", "Stopped")
    desc = wait_training(sm, name, timeout=10)
    assert time.monotonic() - t0 < 1.5
    assert (desc["TrainingJobStatus"], desc["SecondaryStatus"]) == ("Stopped", "Stopped")


def test_max_runtime_stops_the_job_with_the_services_reason(local_cloud, served):
    sm = local_cloud.client("sagemaker")
    name = _start_long(local_cloud, served, max_runtime=3)
    desc = wait_training(sm, name, timeout=15)
    took = (desc["TrainingEndTime"] - desc["CreationTime"]).total_seconds()
    assert 3 <= took < 4.5, took
    assert (desc["TrainingJobStatus"], desc["SecondaryStatus"]) == ("Stopped", "MaxRuntimeExceeded")
    assert desc["FailureReason"] == "Training job runtime exceeded MaxRuntimeInSeconds provided"
    assert desc["SecondaryStatusTransitions"][-1]["StatusMessage"] == desc["FailureReason"]


def test_stop_ends_a_large_transform_within_a_second(local_cloud, served):
    sm, s3 = local_cloud.client("sagemaker"), local_cloud.client("s3")
    rows = np.tile(np.linspace(0, 1, 784, dtype=np.float32), (20_000, 1))
    s3.put_object(Bucket=served.bucket, Key="big/rows.pb", Body=write_dense_tensor(rows))
    name = unique("kfsm-rel-tf")
    sm.create_transform_job(
        TransformJobName=name, ModelName=served.model_name, BatchStrategy="SingleRecord", MaxPayloadInMB=1,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{served.bucket}/big/"}},
                        "ContentType": "application/x-recordio-protobuf", "SplitType": "RecordIO"},
        TransformOutput={"S3OutputPath": f"s3://{served.bucket}/big-out", "Accept": "application/x-recordio-protobuf"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    time.sleep(0.3)
    assert sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"] == "InProgress"
    t0 = time.monotonic()
    sm.stop_transform_job(TransformJobName=name)
    while sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"] == "Stopping":
        assert time.monotonic() - t0 < 1.5
        time.sleep(0.05)
    assert sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"] == "Stopped"

"""Admin routes: health, per-operation request counts and their reset."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import replace

import pytest

from kfsm_lab.data import to_csv
from kfsm_lab.images import kmeans_image


def test_health(local_cloud):
    h = local_cloud.admin("health")
    assert h["status"] == "ok" and h["pid"] == local_cloud.pid and h["account"] == local_cloud.account_id


def test_once_warm_the_cloud_collects_again_with_its_start_frozen(local_cloud):
    """kfsm_lab.heap: no collection while the cloud starts, then its start-up objects are frozen — and
    collection must resume (a cloud that never collected again would grow for as long as it runs)."""
    import time

    deadline = time.monotonic() + 30
    while not (heap := local_cloud.admin("stats")["heap"])["collecting"]:
        assert time.monotonic() < deadline, heap
        time.sleep(0.1)
    assert heap["frozen_objects"] > 50_000, heap


def test_the_heap_policy_holds_then_freezes_and_resumes():
    import subprocess
    import sys

    code = ("import gc; from kfsm_lab import heap; heap.hold(); assert not gc.isenabled(); "
            "x = [[] for _ in range(1000)]; heap.settle(); "
            "assert gc.isenabled() and gc.get_freeze_count() >= 1000; print(heap.stats())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


@pytest.fixture(scope="module")
def private_cloud(local_cloud):
    """A second cloud in this process, so no other client's requests reach its counters."""
    from kfsm_lab.localcloud.server import LocalCloudServer

    server = LocalCloudServer(pace=0).start()
    info = replace(local_cloud, endpoint_url=server.endpoint_url, port=server.port, pid=os.getpid())
    yield info
    server.shutdown()


def test_stats_count_client_requests_per_operation(private_cloud):
    cloud = private_cloud
    cloud.admin("stats/reset", {})
    sm, s3, sts = cloud.client("sagemaker"), cloud.client("s3"), cloud.client("sts")
    sm.list_endpoints()
    sm.list_endpoints()
    s3.list_buckets()
    sts.get_caller_identity()
    with pytest.raises(sm.exceptions.ClientError):
        cloud.client("sagemaker-runtime").invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body="1")
    stats = cloud.admin("stats")
    assert stats["requests"] == {"sagemaker.ListEndpoints": 2, "s3.ListBuckets": 1, "sts.GetCallerIdentity": 1,
                                 "sagemaker-runtime.InvokeEndpoint": 1}
    assert stats["total"] == 5
    assert cloud.admin("stats/reset", {})["total"] == 0


def test_unknown_admin_route_is_404(local_cloud):
    with pytest.raises(urllib.error.HTTPError) as info:
        local_cloud.admin("nope")
    assert info.value.code == 404


def test_bad_pace_is_rejected(local_cloud):
    with pytest.raises(urllib.error.HTTPError) as info:
        local_cloud.admin("pace", {"pace": -1})
    assert info.value.code == 400
    assert local_cloud.admin("pace")["pace"] == 0


def test_concurrent_clients(private_cloud, sample_rows):
    """Many threads creating, describing and invoking at once: every call answers, nothing is lost."""
    from concurrent.futures import ThreadPoolExecutor

    cloud = private_cloud
    iam, s3 = cloud.client("iam"), cloud.client("s3")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "sagemaker.amazonaws.com"}}]})
    role = iam.create_role(RoleName="concurrency-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    s3.create_bucket(Bucket="concurrency-bucket", CreateBucketConfiguration={"LocationConstraint": cloud.region})
    s3.put_object(Bucket="concurrency-bucket", Key="train/data.csv", Body=sample_rows.encode())
    image = kmeans_image(cloud.region)

    def train(i: int) -> str:
        sm = cloud.client("sagemaker")
        sm.create_training_job(
            TrainingJobName=f"concurrent-{i}", RoleArn=role, HyperParameters={"k": "3", "feature_dim": "784"},
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "s3://concurrency-bucket/train/"}}}],
            OutputDataConfig={"S3OutputPath": "s3://concurrency-bucket/out"},
            ResourceConfig={"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
            StoppingCondition={"MaxRuntimeInSeconds": 60})
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=f"concurrent-{i}",
                                                                WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        return sm.describe_training_job(TrainingJobName=f"concurrent-{i}")["TrainingJobStatus"]

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(train, range(8))) == ["Completed"] * 8
    sm = cloud.client("sagemaker")
    art = sm.describe_training_job(TrainingJobName="concurrent-0")["ModelArtifacts"]["S3ModelArtifacts"]
    sm.create_model(ModelName="concurrent-model", PrimaryContainer={"Image": image, "ModelDataUrl": art})
    sm.create_endpoint_config(EndpointConfigName="concurrent-cfg", ProductionVariants=[{
        "VariantName": "v", "ModelName": "concurrent-model", "InitialInstanceCount": 1,
        "InstanceType": "ml.t2.medium"}])
    sm.create_endpoint(EndpointName="concurrent-ep", EndpointConfigName="concurrent-cfg")
    sm.get_waiter("endpoint_in_service").wait(EndpointName="concurrent-ep",
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    row = sample_rows.split("\n")[0]
    smr = cloud.client("sagemaker-runtime")

    def invoke(_: int) -> float:
        return json.loads(smr.invoke_endpoint(EndpointName="concurrent-ep", ContentType="text/csv",
                                              Body=row)["Body"].read())["predictions"][0]["closest_cluster"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(invoke, range(200)))
    assert len(set(answers)) == 1
    assert len(sm.list_training_jobs(NameContains="concurrent-", MaxResults=100)["TrainingJobSummaries"]) == 8


@pytest.fixture(scope="module")
def sample_rows(sample):
    return to_csv(sample.train.X[:300])


def test_presigned_urls_are_counted_as_s3(private_cloud):
    cloud = private_cloud
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket="presign-bucket", CreateBucketConfiguration={"LocationConstraint": cloud.region})
    s3.put_object(Bucket="presign-bucket", Key="k", Body=b"hello")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "presign-bucket", "Key": "k"})
    cloud.admin("stats/reset", {})
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - the local cloud
        assert resp.read() == b"hello"
    assert cloud.admin("stats")["requests"] == {"s3.GetObject": 1}

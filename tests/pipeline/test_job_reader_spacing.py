"""JobReader spacing: on AWS each resource is described at most every 10 s and the training log tail
(two CloudWatch calls) is re-read only when the status moves or every 30 s, so watching a job costs
about ten calls a minute. Checked against the local cloud's own request counts."""

import uuid
from types import SimpleNamespace

import pytest

from kfsm_lab import aws
from kfsm_lab.data import S3Layout
from kfsm_lab.images import kmeans_image
from kfsm_lab.pipeline.jobs import JobReader


def test_aws_spacing_keeps_a_watched_job_under_twelve_calls_a_minute():
    reader = JobReader(SimpleNamespace(target="aws"))
    describes = 60 / reader.min_interval
    log_reads = 2 * 60 / reader.log_interval  # describe_log_streams + get_log_events
    assert describes + log_reads <= 12
    local = JobReader(SimpleNamespace(target="local"))
    assert local.min_interval < 1 and local.log_interval == local.min_interval


@pytest.fixture(scope="module")
def trained(ready):
    sm = aws.client(ready, "sagemaker")
    name = f"spacing-{uuid.uuid4().hex[:8]}"
    sm.create_training_job(
        TrainingJobName=name, RoleArn=ready.role_arn, HyperParameters={"k": "10", "feature_dim": "784"},
        AlgorithmSpecification={"TrainingImage": kmeans_image(ready.region), "TrainingInputMode": "File"},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": S3Layout(ready.bucket).dataset_uri}}}],
        OutputDataConfig={"S3OutputPath": S3Layout(ready.bucket).model_uri()},
        ResourceConfig={"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name,
                                                             WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return name


def _log_calls(local_cloud) -> int:
    counts = local_cloud.admin("stats")["requests"]
    return counts.get("logs.DescribeLogStreams", 0) + counts.get("logs.GetLogEvents", 0)


def test_log_tail_is_read_once_while_the_status_stays(ready, local_cloud, trained):
    reader = JobReader(ready, min_interval=0, log_interval=60)
    before = _log_calls(local_cloud)
    views = [reader.read("training_job", trained, force=True) for _ in range(3)]
    assert reader.calls == 3  # every forced read describes the job
    assert views[-1]["status"] == "Completed" and views[-1]["logs"] == views[0]["logs"] != []
    assert _log_calls(local_cloud) - before == 2  # one describe_log_streams + one get_log_events, not three of each


def test_log_tail_is_read_again_after_log_interval(ready, local_cloud, trained):
    reader = JobReader(ready, min_interval=0, log_interval=0)
    before = _log_calls(local_cloud)
    for _ in range(2):
        reader.read("training_job", trained, force=True)
    assert _log_calls(local_cloud) - before == 4

"""Log streams as SageMaker writes them, and the defaults DescribeTrainingJob reports."""

from __future__ import annotations

import re

from localcloud_helpers import FAST, training_request, unique

GROUP = "/aws/sagemaker/TrainingJobs"


def test_two_instances_write_one_stream_per_host(sm, role_arn, image, layout, local_client):
    name = unique("kfsm-two-hosts")
    req = training_request(name, role_arn, image, layout)
    req["ResourceConfig"]["InstanceCount"] = 2
    sm.create_training_job(**req)
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig=FAST)
    desc = sm.describe_training_job(TrainingJobName=name)
    assert desc["TrainingJobStatus"] == "Completed"
    epoch = int(desc["CreationTime"].timestamp())
    logs = local_client("logs")
    streams = sorted(s["logStreamName"] for s in logs.describe_log_streams(
        logGroupName=GROUP, logStreamNamePrefix=f"{name}/")["logStreams"])
    assert streams == [f"{name}/algo-1-{epoch}", f"{name}/algo-2-{epoch}"]
    second = [e["message"] for e in logs.get_log_events(logGroupName=GROUP, logStreamName=streams[1])["events"]]
    assert any("host=algo-2" in m for m in second) and not any("host=algo-1" in m for m in second)
    assert desc["BillableTimeInSeconds"] == 2 * desc["TrainingTimeInSeconds"]


def test_describe_reports_the_services_defaults_and_metric_definitions(sm, role_arn, image, layout, local_client):
    name = unique("kfsm-defaults")
    req = training_request(name, role_arn, image, layout)
    req["InputDataConfig"] = [{"ChannelName": "train", "DataSource": {"S3DataSource": {
        "S3DataType": "S3Prefix", "S3Uri": layout.dataset_uri}}}]  # no distribution, compression or wrapper
    sm.create_training_job(**req)
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig=FAST)
    desc = sm.describe_training_job(TrainingJobName=name)
    (channel,) = desc["InputDataConfig"]
    assert channel["DataSource"]["S3DataSource"]["S3DataDistributionType"] == "FullyReplicated"
    assert (channel["CompressionType"], channel["RecordWrapperType"]) == ("None", "None")
    metrics = {m["Name"]: m["Regex"] for m in desc["AlgorithmSpecification"]["MetricDefinitions"]}
    assert {"test:msd", "test:ssd", "train:msd", "train:progress", "train:throughput"} <= set(metrics)
    stream = f"{name}/algo-1-{int(desc['CreationTime'].timestamp())}"
    text = "\n".join(e["message"] for e in local_client("logs").get_log_events(
        logGroupName=GROUP, logStreamName=stream)["events"])
    train_msd = float(re.search(metrics["train:msd"], text).group(1))
    assert train_msd == {m["MetricName"]: m["Value"] for m in desc["FinalMetricDataList"]}["train:msd"]
    assert re.search(metrics["train:progress"], text) and re.search(metrics["train:throughput"], text)

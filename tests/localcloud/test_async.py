"""Creates return at once, in the state AWS returns, at every pace; the work goes on behind.

botocore's own waiters and the kit's JobReader (what the run handle reads) then see the progression
InProgress → Completed and Creating → InService, as on AWS.
"""

from __future__ import annotations

import time

import pytest
from localcloud_helpers import training_request, unique

from kfsm_lab.config import load_settings
from kfsm_lab.pipeline.jobs import JobReader

WAIT = {"Delay": 0.2, "MaxAttempts": 300}


@pytest.fixture(params=[0, 0.8], ids=["pace-0", "pace-0.8"])
def pace(request, local_cloud):
    local_cloud.admin("pace", {"pace": request.param})
    yield request.param
    local_cloud.admin("pace", {"pace": 0})


def _create_transform(sm, name: str, model_name: str, layout) -> None:
    sm.create_transform_job(
        TransformJobName=name, ModelName=model_name,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{layout.bucket}/{layout.valid_key}"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{layout.bucket}/async-out/{name}", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})


def _create_config(sm, name: str, model_name: str) -> None:
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model_name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])


def _watch(read, final: set[str], timeout: float = 60) -> list[str]:
    """Every distinct status ``read()`` shows until a final one."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = read()
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in final:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"no final status within {timeout} s; saw {seen}")


def test_training_job_returns_in_progress_and_the_waiter_and_the_kit_see_it_finish(pace, sm, role_arn, image,
                                                                                    layout, local_cloud):
    reader = JobReader(load_settings(target="local", region=local_cloud.region), min_interval=0)
    reader.read("training_job", "kfsm-async-warm-up", force=True)  # clients built before the clock starts
    name = unique("kfsm-async-train")
    sm.create_training_job(**training_request(name, role_arn, image, layout))
    first = sm.describe_training_job(TrainingJobName=name)
    assert (first["TrainingJobStatus"], first["SecondaryStatusTransitions"][0]["Status"]) == ("InProgress", "Starting")
    assert "TrainingEndTime" not in first and first["ModelArtifacts"]["S3ModelArtifacts"] == ""
    seen = _watch(lambda: reader.read("training_job", name, force=True)["status"],
                  {"Completed", "Failed", "Stopped"})
    assert seen[0] == "InProgress" and seen[-1] == "Completed", seen
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig=WAIT)
    done = sm.describe_training_job(TrainingJobName=name)
    assert [t["Status"] for t in done["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]
    if pace:
        assert (done["TrainingEndTime"] - done["CreationTime"]).total_seconds() >= pace * 0.9


def test_endpoint_returns_creating_and_the_waiter_sees_in_service(pace, sm, model_name):
    cfg = unique("kfsm-async-cfg")
    _create_config(sm, cfg, model_name)
    name = unique("kfsm-async-ep")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=cfg)
    seen = _watch(lambda: sm.describe_endpoint(EndpointName=name)["EndpointStatus"], {"InService", "Failed"})
    assert seen == ["Creating", "InService"], seen
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=WAIT)
    sm.delete_endpoint(EndpointName=name)
    sm.get_waiter("endpoint_deleted").wait(EndpointName=name, WaiterConfig=WAIT)


def test_transform_job_returns_in_progress_and_the_waiter_sees_it_complete(pace, sm, model_name, layout):
    name = unique("kfsm-async-transform")
    _create_transform(sm, name, model_name, layout)
    seen = _watch(lambda: sm.describe_transform_job(TransformJobName=name)["TransformJobStatus"],
                  {"Completed", "Failed", "Stopped"})
    assert seen == ["InProgress", "Completed"], seen
    sm.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=name, WaiterConfig=WAIT)


def test_at_pace_0_a_resource_no_one_has_described_stays_interim_for_a_while(sm, model_name, layout):
    """A caller that describes late still finds the work took a while (UNSEEN_SECONDS), as on AWS; one that
    describes at once (above) sees the interim state first whatever the machine's load."""
    from kfsm_lab.localcloud.sagemaker.jobs import UNSEEN_SECONDS

    name = unique("kfsm-unseen-transform")
    _create_transform(sm, name, model_name, layout)
    cfg = unique("kfsm-unseen-cfg")
    _create_config(sm, cfg, model_name)
    ep = unique("kfsm-unseen-ep")
    sm.create_endpoint(EndpointName=ep, EndpointConfigName=cfg)
    time.sleep(UNSEEN_SECONDS * 3)
    job = sm.describe_transform_job(TransformJobName=name)
    assert job["TransformJobStatus"] == "Completed"
    assert (job["TransformEndTime"] - job["CreationTime"]).total_seconds() >= UNSEEN_SECONDS * 0.95
    endpoint = sm.describe_endpoint(EndpointName=ep)
    assert endpoint["EndpointStatus"] == "InService"
    assert (endpoint["LastModifiedTime"] - endpoint["CreationTime"]).total_seconds() >= UNSEEN_SECONDS * 0.95
    sm.delete_endpoint(EndpointName=ep)

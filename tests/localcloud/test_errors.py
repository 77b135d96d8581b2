"""The service's own errors: codes, wording and which call raises them."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError, WaiterError
from localcloud_helpers import FAST, training_request, unique

from kfsm_lab.data import to_csv


def _error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response


def _failed_job(sm, req: dict) -> str:
    sm.create_training_job(**req)
    with pytest.raises(WaiterError, match="Failed"):  # the waiter's terminal failure state
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=req["TrainingJobName"],
                                                                WaiterConfig=FAST)
    desc = sm.describe_training_job(TrainingJobName=req["TrainingJobName"])
    assert desc["TrainingJobStatus"] == "Failed" and desc["SecondaryStatus"] == "Failed"
    return desc["FailureReason"]


def test_duplicates(sm, trained, model_name, endpoint_name, role_arn, image, layout):
    err = _error(sm.create_training_job, **training_request(trained["TrainingJobName"], role_arn, image, layout))
    assert err["Error"]["Code"] == "ResourceInUse"
    assert "a training job with this name already exists" in err["Error"]["Message"]
    model = sm.describe_model(ModelName=model_name)
    err = _error(sm.create_model, ModelName=model_name, PrimaryContainer=model["PrimaryContainer"])
    assert err["Error"] == {"Code": "ValidationException",
                            "Message": f'Cannot create already existing model "{model["ModelArn"]}".'}
    ep = sm.describe_endpoint(EndpointName=endpoint_name)
    cfg = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
    err = _error(sm.create_endpoint_config, EndpointConfigName=cfg["EndpointConfigName"],
                 ProductionVariants=cfg["ProductionVariants"])
    assert err["Error"]["Message"] == ('Cannot create already existing endpoint configuration '
                                       f'"{cfg["EndpointConfigArn"]}".')
    err = _error(sm.create_endpoint, EndpointName=endpoint_name, EndpointConfigName=cfg["EndpointConfigName"])
    assert err["Error"]["Message"] == f'Cannot create already existing endpoint "{ep["EndpointArn"]}".'


def test_not_found(sm, region, local_cloud):
    arn = f"arn:aws:sagemaker:{region}:{local_cloud.account_id}"
    cases = [
        (sm.describe_training_job, {"TrainingJobName": "nope"}, "Requested resource not found."),
        (sm.describe_model, {"ModelName": "nope"}, f'Could not find model "{arn}:model/nope".'),
        (sm.delete_model, {"ModelName": "nope"}, f'Could not find model "{arn}:model/nope".'),
        (sm.describe_endpoint_config, {"EndpointConfigName": "nope"},
         f'Could not find endpoint configuration "{arn}:endpoint-config/nope".'),
        (sm.describe_endpoint, {"EndpointName": "nope"}, f'Could not find endpoint "{arn}:endpoint/nope".'),
        (sm.delete_endpoint, {"EndpointName": "nope"}, f'Could not find endpoint "{arn}:endpoint/nope".'),
        (sm.create_endpoint, {"EndpointName": "x", "EndpointConfigName": "nope"},
         f'Could not find endpoint configuration "{arn}:endpoint-config/nope".'),
        (sm.describe_transform_job, {"TransformJobName": "nope"}, "Could not find requested job with name nope"),
    ]
    for call, kwargs, message in cases:
        err = _error(call, **kwargs)
        assert err["Error"] == {"Code": "ValidationException", "Message": message}, call
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_role_must_exist_and_trust_sagemaker(sm, local_client, image, layout, local_cloud):
    missing = f"arn:aws:iam::{local_cloud.account_id}:role/{unique('no-such-role')}"
    iam = local_client("iam")
    ec2_trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service":
                 "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    untrusted = iam.create_role(RoleName=unique("kfsm-ec2-role"),
                                AssumeRolePolicyDocument=json.dumps(ec2_trust))["Role"]["Arn"]
    for role in (missing, untrusted):
        err = _error(sm.create_training_job, **training_request(unique("kfsm-bad-role"), role, image, layout))
        assert err["Error"]["Code"] == "ValidationException"
        assert err["Error"]["Message"] == (f"Could not assume role {role}. Please ensure that the role exists and "
                                           "allows principal 'sagemaker.amazonaws.com' to assume the role.")
        err = _error(sm.create_model, ModelName=unique("kfsm-bad-role"), ExecutionRoleArn=role,
                     PrimaryContainer={"Image": image, "ModelDataUrl": "s3://x/model.tar.gz"})
        assert "Could not assume role" in err["Error"]["Message"]


def test_job_failures_have_reasons(sm, role_arn, image, layout):
    other = image.replace("kmeans:1", "xgboost:1")
    assert "only the SageMaker built-in k-means" in _failed_job(
        sm, training_request(unique("kfsm-xgb"), role_arn, other, layout))
    assert "No value(s) were specified for 'k'" in _failed_job(
        sm, training_request(unique("kfsm-nok"), role_arn, image, layout, {"feature_dim": "784"}))
    reason = _failed_job(sm, training_request(unique("kfsm-dim"), role_arn, image, layout,
                                              {"k": "10", "feature_dim": "100"}))
    assert reason.startswith("ClientError:") and "feature_dim" in reason and "784" in reason
    assert "init_method" in _failed_job(sm, training_request(
        unique("kfsm-init"), role_arn, image, layout, {"k": "10", "feature_dim": "784", "init_method": "best"}))
    assert "was unexpected" in _failed_job(sm, training_request(
        unique("kfsm-extra"), role_arn, image, layout, {"k": "10", "feature_dim": "784", "colour": "red"}))
    empty = training_request(unique("kfsm-empty"), role_arn, image, layout)
    empty["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = f"s3://{layout.bucket}/nothing-here/"
    assert "No S3 objects found under S3 URL" in _failed_job(sm, empty)


def test_stopping_a_finished_job_is_rejected(sm, trained):
    err = _error(sm.stop_training_job, TrainingJobName=trained["TrainingJobName"])
    assert err["Error"]["Message"] == "The request was rejected because the training job is in status Completed."


def test_runtime_errors(smr, sm, endpoint_name, sample, local_cloud):
    err = _error(smr.invoke_endpoint, EndpointName="nope", ContentType="text/csv", Body="1,2")
    assert err["Error"] == {"Code": "ValidationError",
                            "Message": f"Endpoint nope of account {local_cloud.account_id} not found."}
    err = _error(smr.invoke_endpoint, EndpointName=endpoint_name, ContentType="text/csv", Body="1,2,3")
    assert err["Error"]["Code"] == "ModelError" and err["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert err["OriginalStatusCode"] == 400 and "784 features" in err["OriginalMessage"]
    assert "Received client error (400)" in err["Error"]["Message"]
    err = _error(smr.invoke_endpoint, EndpointName=endpoint_name, ContentType="image/png", Body=b"\x89PNG")
    assert err["Error"]["Code"] == "ModelError" and err["OriginalStatusCode"] == 415
    assert "text/csv" in err["OriginalMessage"]
    err = _error(smr.invoke_endpoint, EndpointName=endpoint_name, ContentType="text/csv", Body="1,a,3")
    assert err["OriginalStatusCode"] == 400 and "not a number" in err["OriginalMessage"]
    err = _error(smr.invoke_endpoint, EndpointName=endpoint_name, ContentType="text/csv",
                 Body=to_csv(sample.valid.X[:1]), Accept="image/png")
    assert err["OriginalStatusCode"] == 406


def test_endpoint_that_cannot_load_fails_and_refuses_invocations(sm, smr, role_arn, image):
    model = unique("kfsm-missing-artifact")
    sm.create_model(ModelName=model, ExecutionRoleArn=role_arn,
                    PrimaryContainer={"Image": image, "ModelDataUrl": "s3://no-such-bucket-kfsm/model.tar.gz"})
    cfg = unique("kfsm-cfg-missing")
    sm.create_endpoint_config(EndpointConfigName=cfg, ProductionVariants=[{
        "VariantName": "v", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.t2.medium"}])
    name = unique("kfsm-ep-failed")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=cfg)
    with pytest.raises(WaiterError, match="Failed"):
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST)
    desc = sm.describe_endpoint(EndpointName=name)
    assert desc["EndpointStatus"] == "Failed" and "Failed to download model data" in desc["FailureReason"]
    err = _error(smr.invoke_endpoint, EndpointName=name, ContentType="text/csv", Body="1")
    assert err["Error"]["Code"] == "ValidationError" and "not in service" in err["Error"]["Message"]
    sm.delete_endpoint(EndpointName=name)


def test_pace_spreads_transitions_without_slowing_the_work(local_cloud, sm, smr, model_name, role_arn, image,
                                                           layout, sample):
    local_cloud.admin("pace", {"pace": 1.2})
    try:
        cfg = sm.describe_endpoint(EndpointName=sm.list_endpoints(NameContains="kfsm-endpoint")["Endpoints"][0]
                                   ["EndpointName"])["EndpointConfigName"]
        name = unique("kfsm-ep-paced")
        t0 = time.monotonic()
        sm.create_endpoint(EndpointName=name, EndpointConfigName=cfg)
        assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating"
        err = _error(smr.invoke_endpoint, EndpointName=name, ContentType="text/csv", Body=to_csv(sample.valid.X[:1]))
        assert "is not in service (its status is Creating)" in err["Error"]["Message"]
        job = unique("kfsm-train-paced")
        sm.create_training_job(**training_request(job, role_arn, image, layout))
        assert sm.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] == "InProgress"
        sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST)
        assert time.monotonic() - t0 >= 1.0
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=job, WaiterConfig=FAST)
        desc = sm.describe_training_job(TrainingJobName=job)
        assert desc["TrainingJobStatus"] == "Completed"
        assert (desc["TrainingEndTime"] - desc["CreationTime"]).total_seconds() >= 1.0
        sm.delete_endpoint(EndpointName=name)
        assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Deleting"
        sm.get_waiter("endpoint_deleted").wait(EndpointName=name, WaiterConfig=FAST)
    finally:
        local_cloud.admin("pace", {"pace": 0})


def test_stop_a_running_training_job(local_cloud, sm, role_arn, image, layout):
    local_cloud.admin("pace", {"pace": 4})
    try:
        job = unique("kfsm-train-stop")
        sm.create_training_job(**training_request(job, role_arn, image, layout))
        sm.stop_training_job(TrainingJobName=job)
        assert sm.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] in ("Stopping", "Stopped")
        sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=job, WaiterConfig=FAST)
        desc = sm.describe_training_job(TrainingJobName=job)
        assert desc["TrainingJobStatus"] == "Stopped" and desc["SecondaryStatus"] == "Stopped"
    finally:
        local_cloud.admin("pace", {"pace": 0})

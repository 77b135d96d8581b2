"""IAM eventual consistency, opt-in: a role younger than N seconds cannot be assumed by SageMaker yet.

N comes from ``KFSM_IAM_PROPAGATION_SECONDS`` when the cloud starts, or from an ``iam_propagation``
fault; the creates then answer AWS's own ``ValidationException: Could not assume role …``.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from botocore.exceptions import ClientError
from localcloud_helpers import TRUST, training_request, unique
from test_tuning import tuning_request

MESSAGE = ("Could not assume role {arn}. Please ensure that the role exists and allows principal "
           "'sagemaker.amazonaws.com' to assume the role.")


def _refused(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]


def test_setting_read_at_start_delays_a_new_role(separate_cloud, sample):
    from kfsm_lab.data import S3Layout, write_dense_tensor
    from kfsm_lab.images import kmeans_image

    os.environ["KFSM_IAM_PROPAGATION_SECONDS"] = "3"
    try:
        with separate_cloud() as cloud:
            assert cloud.admin("faults")["iam_propagation_seconds"] == 3
            sm, iam, s3 = cloud.client("sagemaker"), cloud.client("iam"), cloud.client("s3")
            lay = S3Layout(unique("kfsm-iam-bucket"))
            s3.create_bucket(Bucket=lay.bucket, CreateBucketConfiguration={"LocationConstraint": cloud.region})
            s3.put_object(Bucket=lay.bucket, Key=lay.train_key, Body=write_dense_tensor(sample.train.X[:300]))
            role = iam.create_role(RoleName=unique("kfsm-new-role"), AssumeRolePolicyDocument=json.dumps(TRUST))
            arn, created = role["Role"]["Arn"], time.time()
            req = training_request(unique("kfsm-iam-train"), arn, kmeans_image(cloud.region), lay)
            err = _refused(sm.create_training_job, **req)
            assert err == {"Code": "ValidationException", "Message": MESSAGE.format(arn=arn)}
            assert sm.list_training_jobs()["TrainingJobSummaries"] == []  # nothing was made
            time.sleep(max(0.0, created + 3.2 - time.time()))
            sm.create_training_job(**req)  # propagated now
            sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=req["TrainingJobName"],
                                                                     WaiterConfig={"Delay": 0.5, "MaxAttempts": 120})
            assert sm.describe_training_job(TrainingJobName=req["TrainingJobName"])["TrainingJobStatus"] == "Completed"
            assert cloud.admin("faults")["injected"]["iam_propagation sagemaker.AssumeRole"] == 1
    finally:
        del os.environ["KFSM_IAM_PROPAGATION_SECONDS"]


def test_fault_delays_tuning_jobs_and_models_until_cleared(local_cloud, sm, local_client, image, layout,
                                                           trained):
    local_cloud.admin("faults", {"kind": "iam_propagation", "seconds": 30})
    try:
        arn = local_client("iam").create_role(RoleName=unique("kfsm-fresh-role"),
                                              AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        req = tuning_request(unique("kfsm-iam-hpo")[:32], arn, image, layout, jobs=1, parallel=1)
        assert _refused(sm.create_hyper_parameter_tuning_job, **req)["Message"] == MESSAGE.format(arn=arn)
        err = _refused(sm.create_model, ModelName=unique("kfsm-iam-model"), ExecutionRoleArn=arn,
                       PrimaryContainer={"Image": image,
                                         "ModelDataUrl": trained["ModelArtifacts"]["S3ModelArtifacts"]})
        assert err["Message"] == MESSAGE.format(arn=arn)
    finally:
        local_cloud.admin("faults", method="DELETE")
    sm.create_hyper_parameter_tuning_job(**req)  # the same role, once the delay is off


def test_a_bad_setting_is_named():
    from kfsm_lab.localcloud.faults import iam_propagation_from_env

    assert iam_propagation_from_env({}) == 0
    assert iam_propagation_from_env({"KFSM_IAM_PROPAGATION_SECONDS": "10"}) == 10
    for bad in ("ten", "nan", "-1", "1e9"):
        with pytest.raises(ValueError, match="KFSM_IAM_PROPAGATION_SECONDS"):
            iam_propagation_from_env({"KFSM_IAM_PROPAGATION_SECONDS": bad})

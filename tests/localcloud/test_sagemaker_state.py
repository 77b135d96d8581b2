"""SageMaker state across a local cloud restart: ``dump_state`` → a new cloud → ``load_state``.

Two in-process servers share moto's S3 and IAM (moto keeps them per process), which stands in for
the restored S3 and IAM of a restarted cloud; the SageMaker side starts empty and gets the saved
state. Endpoints come back InService and answer (their model re-read from S3 on first use); a job
that was running ends Failed, naming the restart.
"""

from __future__ import annotations

import json

import boto3
import pytest
from localcloud_helpers import FAST, TRUST, training_request, unique

from kfsm_lab.data import S3Layout, load_sample, to_csv, write_dense_tensor
from kfsm_lab.images import kmeans_image
from kfsm_lab.localcloud.keys import generate
from kfsm_lab.localcloud.server import LocalCloudServer

REGION = "us-west-2"
KEYS = generate()  # both servers accept the same root keys, as a restarted cloud keeps its keys file


def _client(server: LocalCloudServer, service: str):
    return boto3.session.Session().client(service, region_name=REGION, endpoint_url=server.endpoint_url,
                                          aws_access_key_id=KEYS.access_key_id,
                                          aws_secret_access_key=KEYS.secret_access_key)


@pytest.fixture()
def first_server():
    server = LocalCloudServer(pace=0, keys=KEYS).start()
    yield server
    server.shutdown()


def test_endpoint_and_jobs_survive_a_restart(first_server):
    sample = load_sample()
    image = kmeans_image(REGION)
    sm, s3, iam = (_client(first_server, s) for s in ("sagemaker", "s3", "iam"))
    role = iam.create_role(RoleName=unique("kfsm-state-role"),
                           AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lay = S3Layout(unique("kfsm-state-bucket"))
    s3.create_bucket(Bucket=lay.bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=lay.bucket, Key=lay.train_key, Body=write_dense_tensor(sample.train.X))
    job = unique("kfsm-state-train")
    sm.create_training_job(**training_request(job, role, image, lay))
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=job, WaiterConfig=FAST)
    artifact = sm.describe_training_job(TrainingJobName=job)["ModelArtifacts"]["S3ModelArtifacts"]
    model = unique("kfsm-state-model")
    sm.create_model(ModelName=model, ExecutionRoleArn=role, PrimaryContainer={"Image": image, "ModelDataUrl": artifact},
                    Tags=[{"Key": "kfsm-lab", "Value": "state"}])
    cfg = unique("kfsm-state-cfg")
    sm.create_endpoint_config(EndpointConfigName=cfg, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    ep = unique("kfsm-state-ep")
    sm.create_endpoint(EndpointName=ep, EndpointConfigName=cfg)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=ep, WaiterConfig=FAST)
    row = to_csv(sample.valid.X[:5])
    before = json.loads(_client(first_server, "sagemaker-runtime").invoke_endpoint(
        EndpointName=ep, ContentType="text/csv", Body=row)["Body"].read())
    first_server.app.pace.seconds = 30  # a job that is still running when the cloud stops
    running = unique("kfsm-state-running")
    sm.create_training_job(**training_request(running, role, image, lay))

    state = json.loads(json.dumps(first_server.app.sagemaker.dump_state()))  # JSON-ready
    second = LocalCloudServer(pace=0, keys=KEYS).start()
    try:
        second.app.sagemaker.load_state(state)
        sm2 = _client(second, "sagemaker")
        desc = sm2.describe_endpoint(EndpointName=ep)
        assert desc["EndpointStatus"] == "InService"
        assert desc["ProductionVariants"][0]["DeployedImages"][0]["SpecifiedImage"] == image
        after = json.loads(_client(second, "sagemaker-runtime").invoke_endpoint(
            EndpointName=ep, ContentType="text/csv", Body=row)["Body"].read())
        assert after == before
        assert sm2.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] == "Completed"
        lost = sm2.describe_training_job(TrainingJobName=running)
        assert lost["TrainingJobStatus"] == "Failed"
        assert "local cloud was stopped while this job was InProgress" in lost["FailureReason"]
        assert "new name" in lost["FailureReason"]
        arn = sm2.describe_model(ModelName=model)["ModelArn"]
        assert sm2.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "kfsm-lab", "Value": "state"}]
        assert [e["EndpointName"] for e in sm2.list_endpoints(NameContains="kfsm-state-ep")["Endpoints"]] == [ep]
    finally:
        second.shutdown()


def test_load_state_refuses_what_it_did_not_write(first_server):
    with pytest.raises(ValueError, match="version"):
        first_server.app.sagemaker.load_state({"regions": {}})

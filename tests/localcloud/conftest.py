"""Workshop-shaped fixtures on the session's local cloud: a role, a bucket with the sample data, a
trained model and an endpoint in service."""

from __future__ import annotations

import json

import pytest
from localcloud_helpers import FAST, TRUST, training_request, unique

from kfsm_lab.data import S3Layout, load_sample, to_csv, write_dense_tensor
from kfsm_lab.images import kmeans_image


@pytest.fixture(scope="session")
def sample():
    return load_sample()


@pytest.fixture(scope="session")
def region(local_cloud):
    return local_cloud.region


@pytest.fixture(scope="session")
def image(region):
    return kmeans_image(region)


@pytest.fixture(scope="session")
def sm(local_client):
    return local_client("sagemaker")


@pytest.fixture(scope="session")
def smr(local_client):
    return local_client("sagemaker-runtime")


@pytest.fixture(scope="session")
def s3(local_client):
    return local_client("s3")


@pytest.fixture(scope="session")
def role_arn(local_client):
    iam = local_client("iam")
    name = unique("kfsm-test-sagemaker-role")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


@pytest.fixture(scope="session")
def layout(s3, sample, region):
    """The workshop layout in a fresh bucket: train as RecordIO, test as RecordIO, valid as CSV."""
    lay = S3Layout(unique("kfsm-test-bucket"))
    s3.create_bucket(Bucket=lay.bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket=lay.bucket, Key=lay.train_key,
                  Body=write_dense_tensor(sample.train.X, sample.train.y.astype("float32")))
    s3.put_object(Bucket=lay.bucket, Key=f"{lay.prefix}/test_data", Body=write_dense_tensor(sample.test.X))
    s3.put_object(Bucket=lay.bucket, Key=lay.valid_key, Body=to_csv(sample.valid.X).encode())
    s3.put_object(Bucket=lay.bucket, Key=f"{lay.prefix}/csv/train.csv", Body=to_csv(sample.train.X).encode())
    return lay


@pytest.fixture(scope="session")
def trained(sm, role_arn, image, layout):
    """A completed training job (RecordIO train + test channels)."""
    name = unique("kfsm-train")
    req = training_request(name, role_arn, image, layout)
    req["InputDataConfig"].append({
        "ChannelName": "test",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                        "S3Uri": f"s3://{layout.bucket}/{layout.prefix}/test_data"}},
        "ContentType": "application/x-recordio-protobuf",
    })
    sm.create_training_job(**req)
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=name, WaiterConfig=FAST)
    return sm.describe_training_job(TrainingJobName=name)


@pytest.fixture(scope="session")
def model_name(sm, trained, role_arn, image):
    name = unique("kfsm-model")
    sm.create_model(ModelName=name, ExecutionRoleArn=role_arn,
                    PrimaryContainer={"Image": image, "ModelDataUrl": trained["ModelArtifacts"]["S3ModelArtifacts"],
                                      "ContainerHostname": "mnist-kmeans", "Mode": "SingleModel"},
                    Tags=[{"Key": "kfsm-lab", "Value": "test"}])
    return name


@pytest.fixture(scope="session")
def endpoint_name(sm, model_name):
    cfg = unique("kfsm-config")
    sm.create_endpoint_config(EndpointConfigName=cfg, ProductionVariants=[{
        "VariantName": "mnist-kmeans-sample", "ModelName": model_name, "InitialInstanceCount": 1,
        "InstanceType": "ml.t2.medium", "InitialVariantWeight": 1}])
    name = unique("kfsm-endpoint")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=cfg)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST)
    return name

"""Make real SageMaker endpoints on the local cloud with plain boto3, as the workshop does by hand.

A training job on a tiny CSV (two obvious clusters, 4 features), its model, an endpoint config
and the endpoint, waited for with boto3's own waiters. Used by the server and browser tests.
"""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass
from typing import Any

import boto3

from kfsm_lab.images import kmeans_image
from kfsm_lab.names import CREATED_BY, TAG_CREATED_BY

ROLE_NAME = "kfsm-lab-test-sagemaker-role"
BUCKET_PREFIX = "kfsm-lab-endpoint-tests"
KIT_TAG = {"Key": TAG_CREATED_BY, "Value": CREATED_BY}
ENDPOINT_TYPE = "ml.t2.medium"
FAST = {"Delay": 1, "MaxAttempts": 120}

_TRUST = {"Version": "2012-10-17",
          "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                         "Action": "sts:AssumeRole"}]}


@dataclass
class Clients:
    sagemaker: Any
    s3: Any
    iam: Any
    region: str


def clients(endpoint_url: str, access_key_id: str, secret_access_key: str, region: str) -> Clients:
    """Plain boto3 clients on the local cloud for ``region``."""
    session = boto3.Session(aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                            region_name=region)
    make = lambda service: session.client(service, endpoint_url=endpoint_url)  # noqa: E731
    return Clients(make("sagemaker"), make("s3"), make("iam"), region)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def _role_arn(c: Clients) -> str:
    try:
        return c.iam.get_role(RoleName=ROLE_NAME)["Role"]["Arn"]
    except c.iam.exceptions.NoSuchEntityException:
        return c.iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(_TRUST))["Role"]["Arn"]


def _bucket(c: Clients) -> str:
    """One bucket per region: a training job reads its channel from a bucket in its own region."""
    return f"{BUCKET_PREFIX}-{c.region}"


def _training_data(c: Clients) -> str:
    bucket = _bucket(c)
    try:
        c.s3.head_bucket(Bucket=bucket)
    except Exception:  # any miss means "create it"
        kwargs = {} if c.region == "us-east-1" else {
            "CreateBucketConfiguration": {"LocationConstraint": c.region}}
        c.s3.create_bucket(Bucket=bucket, **kwargs)
    rows = io.StringIO()
    for i in range(40):
        base = 0.0 if i % 2 else 10.0
        rows.write(",".join(f"{base + (i % 5) * 0.1 + j * 0.01:g}" for j in range(4)) + "\n")
    c.s3.put_object(Bucket=bucket, Key="train/data.csv", Body=rows.getvalue().encode())
    return f"s3://{bucket}/train/"


def make_endpoint(c: Clients, name: str, tags: list[dict[str, str]] | None = None,
                  instance_type: str = ENDPOINT_TYPE) -> dict[str, str]:
    """Train, make a model and config, create endpoint ``name`` and wait until it is InService."""
    role = _role_arn(c)
    image = kmeans_image(c.region)
    job = f"{name}-train"
    c.sagemaker.create_training_job(
        TrainingJobName=job, RoleArn=role,
        AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
        HyperParameters={"k": "2", "feature_dim": "4", "mini_batch_size": "10"},
        InputDataConfig=[{"ChannelName": "train", "ContentType": "text/csv",
                          "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": _training_data(c),
                                                          "S3DataDistributionType": "FullyReplicated"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{_bucket(c)}/model"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 600}, Tags=list(tags or []))
    c.sagemaker.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=job, WaiterConfig=FAST)
    artifact = c.sagemaker.describe_training_job(TrainingJobName=job)["ModelArtifacts"]["S3ModelArtifacts"]
    model = f"{name}-model"
    c.sagemaker.create_model(ModelName=model, ExecutionRoleArn=role,
                             PrimaryContainer={"Image": image, "ModelDataUrl": artifact}, Tags=list(tags or []))
    config = f"{name}-config"
    c.sagemaker.create_endpoint_config(
        EndpointConfigName=config, Tags=list(tags or []),
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1,
                             "InstanceType": instance_type}])
    c.sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config, Tags=list(tags or []))
    c.sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST)
    return {"endpoint": name, "config": config, "model": model, "training_job": job}


def live_kit_endpoints(c: Clients) -> set[str]:
    """The oracle for the cost guard: kit-tagged endpoints (a name is not proof) that are not going away."""
    names = set()
    for page in c.sagemaker.get_paginator("list_endpoints").paginate():
        for ep in page["Endpoints"]:
            if ep["EndpointStatus"] in ("Deleting", "Failed"):
                continue
            tags = c.sagemaker.list_tags(ResourceArn=ep["EndpointArn"]).get("Tags", [])
            if KIT_TAG in tags:
                names.add(ep["EndpointName"])
    return names


def exists(c: Clients, endpoint: str) -> bool:
    try:
        c.sagemaker.describe_endpoint(EndpointName=endpoint)
    except c.sagemaker.exceptions.ClientError as exc:
        if "Could not find" in str(exc):
            return False
        raise
    return True


def config_exists(c: Clients, config: str) -> bool:
    try:
        c.sagemaker.describe_endpoint_config(EndpointConfigName=config)
    except c.sagemaker.exceptions.ClientError as exc:
        if "Could not find" in str(exc):
            return False
        raise
    return True

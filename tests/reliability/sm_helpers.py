"""Raw, signed HTTP requests to the local cloud's SageMaker (bodies boto3 would never send), and a served model."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def code(self) -> str | None:
        return self.headers.get("x-amzn-errortype")


def send(info, path: str, body: bytes, headers: dict[str, str], service: str) -> Reply:
    """POST ``body`` to the cloud, signed with its keys as botocore would sign it."""
    url = info.endpoint_url + path
    creds = info.session().get_credentials()
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(creds, service, info.region).add_auth(request)
    req = urllib.request.Request(url, data=body, method="POST",  # noqa: S310 - http to the local cloud
                                 headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - the local cloud
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def control(info, operation: str, body: bytes | str) -> Reply:
    data = body.encode() if isinstance(body, str) else body
    return send(info, "/", data, {"Content-Type": "application/x-amz-json-1.1",
                                  "X-Amz-Target": f"SageMaker.{operation}"}, "sagemaker")


def invoke(info, endpoint: str, body: bytes | str, content_type: str, accept: str | None = None) -> Reply:
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    return send(info, f"/endpoints/{endpoint}/invocations", data, headers, "sagemaker")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Served:
    """A trained k-means model of the bundled sample, served by an endpoint (what the bad bodies are sent to)."""

    role_arn: str
    bucket: str
    train_uri: str
    model_name: str
    endpoint: str
    image: str


def serve(info, rows: int = 600) -> Served:
    from kfsm_lab.data import load_sample, write_dense_tensor
    from kfsm_lab.images import kmeans_image

    sm, s3, iam = (info.client(s) for s in ("sagemaker", "s3", "iam"))
    role = iam.create_role(RoleName=unique("kfsm-rel-sm-role"), AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    bucket = unique("kfsm-rel-sm")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": info.region})
    s3.put_object(Bucket=bucket, Key="train/data", Body=write_dense_tensor(load_sample().train.X[:rows]))
    image = kmeans_image(info.region)
    job = unique("kfsm-rel-train")
    sm.create_training_job(**training_request(job, role["Arn"], image, f"s3://{bucket}/train/", f"s3://{bucket}/out"))
    sm.get_waiter("training_job_completed_or_stopped").wait(TrainingJobName=job,
                                                             WaiterConfig={"Delay": 0.5, "MaxAttempts": 240})
    art = sm.describe_training_job(TrainingJobName=job)["ModelArtifacts"]["S3ModelArtifacts"]
    model = unique("kfsm-rel-model")
    sm.create_model(ModelName=model, PrimaryContainer={"Image": image, "ModelDataUrl": art})
    sm.create_endpoint_config(EndpointConfigName=model, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
    endpoint = unique("kfsm-rel-ep")
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=model)
    sm.get_waiter("endpoint_in_service").wait(EndpointName=endpoint, WaiterConfig={"Delay": 0.5, "MaxAttempts": 240})
    return Served(role["Arn"], bucket, f"s3://{bucket}/train/", model, endpoint, image)


def training_request(name: str, role_arn: str, image: str, train_uri: str, out_uri: str,
                     hyper: dict | None = None, max_runtime: int = 3600, content_type: str | None = None) -> dict:
    channel = {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": train_uri}}}
    if content_type:
        channel["ContentType"] = content_type
    return {
        "TrainingJobName": name, "RoleArn": role_arn,
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "HyperParameters": hyper or {"k": "10", "feature_dim": "784"},
        "InputDataConfig": [channel], "OutputDataConfig": {"S3OutputPath": out_uri},
        "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime},
    }


def wait_training(sm, name: str, timeout: float = 120) -> dict:
    """DescribeTrainingJob once the job has ended, whatever its end (botocore's waiter raises on Failed)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = sm.describe_training_job(TrainingJobName=name)
        if d["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return d
        time.sleep(0.1)
    raise AssertionError(f"training job {name} still {d['TrainingJobStatus']} after {timeout} s")

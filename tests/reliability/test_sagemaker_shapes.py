"""Every member the local cloud answers exists in botocore's SageMaker output shape (botocore drops unknown ones
silently, so a misspelt or invented member would never be seen by a client)."""

from __future__ import annotations

import json
import time

import botocore.session
import pytest
from sm_helpers import control, serve, unique

MODEL = botocore.session.get_session().get_service_model("sagemaker")


def _unknown(shape, value, path: str = "") -> list[str]:
    if shape.type_name == "structure" and isinstance(value, dict):
        out = []
        for k, v in value.items():
            if k not in shape.members:
                out.append(f"{path}.{k}" if path else k)
            else:
                out += _unknown(shape.members[k], v, f"{path}.{k}" if path else k)
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [u for i, v in enumerate(value) for u in _unknown(shape.member, v, f"{path}[{i}]")]
    if shape.type_name == "map" and isinstance(value, dict):
        return [u for k, v in value.items() for u in _unknown(shape.value, v, f"{path}.{k}")]
    return []


@pytest.fixture(scope="module")
def served(local_cloud):
    return serve(local_cloud, rows=300)


def test_answers_use_only_the_models_members(local_cloud, served):
    sm = local_cloud.client("sagemaker")
    jobs = sm.list_training_jobs(NameContains="kfsm-rel-train", MaxResults=1)["TrainingJobSummaries"]
    tuning = unique("kfsm-shape")[:32]
    source = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": served.train_uri}}
    channels = [{"ChannelName": ch, "DataSource": source} for ch in ("train", "test")]
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuning,
        HyperParameterTuningJobConfig={
            "Strategy": "Random", "ResourceLimits": {"MaxNumberOfTrainingJobs": 1, "MaxParallelTrainingJobs": 1},
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "test:msd"},
            "ParameterRanges": {"CategoricalParameterRanges": [{"Name": "init_method", "Values": ["random"]}]}},
        TrainingJobDefinition={
            "StaticHyperParameters": {"k": "10", "feature_dim": "784"},
            "AlgorithmSpecification": {"TrainingImage": served.image, "TrainingInputMode": "File"},
            "RoleArn": served.role_arn, "StoppingCondition": {"MaxRuntimeInSeconds": 600},
            "InputDataConfig": channels, "OutputDataConfig": {"S3OutputPath": f"s3://{served.bucket}/hpo"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5}})
    transform = unique("kfsm-shape-tf")
    sm.create_transform_job(
        TransformJobName=transform, ModelName=served.model_name,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": served.train_uri}},
                        "ContentType": "application/x-recordio-protobuf", "SplitType": "RecordIO"},
        TransformOutput={"S3OutputPath": f"s3://{served.bucket}/tf"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    deadline = time.monotonic() + 60
    while sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning)[
            "HyperParameterTuningJobStatus"] == "InProgress" or sm.describe_transform_job(
            TransformJobName=transform)["TransformJobStatus"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    calls = [
        ("DescribeTrainingJob", {"TrainingJobName": jobs[0]["TrainingJobName"]}),
        ("ListTrainingJobs", {}), ("DescribeModel", {"ModelName": served.model_name}), ("ListModels", {}),
        ("DescribeEndpointConfig", {"EndpointConfigName": served.model_name}), ("ListEndpointConfigs", {}),
        ("DescribeEndpoint", {"EndpointName": served.endpoint}), ("ListEndpoints", {}),
        ("DescribeTransformJob", {"TransformJobName": transform}), ("ListTransformJobs", {}),
        ("DescribeHyperParameterTuningJob", {"HyperParameterTuningJobName": tuning}),
        ("ListHyperParameterTuningJobs", {}),
        ("ListTrainingJobsForHyperParameterTuningJob", {"HyperParameterTuningJobName": tuning}),
        ("ListTags", {"ResourceArn": sm.describe_model(ModelName=served.model_name)["ModelArn"]}),
    ]
    problems = {}
    for op, body in calls:
        reply = control(local_cloud, op, json.dumps(body))
        assert reply.status == 200, (op, reply.body[:200])
        unknown = _unknown(MODEL.operation_model(op).output_shape, reply.json)
        if unknown:
            problems[op] = unknown
    assert problems == {}

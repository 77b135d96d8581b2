"""Helpers shared by the local cloud tests (imported by name: the test folders are not packages)."""

from __future__ import annotations

import uuid

from kfsm_lab.data import S3Layout

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}
FAST = {"Delay": 1, "MaxAttempts": 60}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def training_request(name: str, role_arn: str, image: str, layout: S3Layout, hyper: dict | None = None,
                     channels: list | None = None) -> dict:
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": role_arn,
        "HyperParameters": {"k": "10", "feature_dim": "784"} if hyper is None else hyper,
        "InputDataConfig": channels if channels is not None else [{
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": layout.dataset_uri,
                                            "S3DataDistributionType": "FullyReplicated"}},
            "ContentType": "application/x-recordio-protobuf", "CompressionType": "None",
            "RecordWrapperType": "None",
        }],
        "OutputDataConfig": {"S3OutputPath": layout.model_uri()},
        "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Tags": [{"Key": "kfsm-lab", "Value": "test"}],
    }

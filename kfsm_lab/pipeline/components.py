"""The four pipeline steps as kfp lightweight components (boto3 only inside).

Each step derives its SageMaker name from the run id, adopts a resource of that name if one is
already there (a re-run), otherwise creates it with the kit's tags, waits with progress in its log,
fails with SageMaker's FailureReason, and stops its job when the step is cancelled.

The same functions become two component sets: for a cluster (kfp and boto3 pip-installed into a
plain Python image) and for ``kfp.local`` (nothing installed: the kit's own environment has both,
and no per-task pip step runs).
"""

# ruff: noqa: F821, E731 - helper names come from additional_funcs in the component source
# No `from __future__ import annotations`: kfp reads the real annotations to type inputs and outputs.

from dataclasses import dataclass
from typing import Any, NamedTuple

from . import step_runtime as rt

BASE_IMAGE = "python:3.11"
CLUSTER_PACKAGES = ["boto3>=1.34,<2"]

_HELPERS = [rt.kfsm_event, rt.kfsm_client, rt.kfsm_poll_seconds, rt.kfsm_tags, rt.kfsm_error_code,
            rt.kfsm_describe_or_none, rt.kfsm_on_cancel, rt.kfsm_wait]


def sagemaker_training_job(
    region: str, image: str, image_by_region: str, instance_type: str, instance_count: int, volume_size: int,
    dataset_path: str, model_artifact_path: str, role: str, run_id: str, k: int, feature_dim: int,
    mini_batch_size: int, init_method: str = "kmeans++", max_run_time: int = 3600,
) -> NamedTuple("Outputs", [("model_artifact_url", str), ("job_name", str), ("training_image", str)]):
    """Train k-means on the dataset: the SageMaker built-in algorithm (image resolved from the region)."""
    import json
    from collections import namedtuple

    step = "sagemaker-training-job"
    name = f"kfsm-{run_id}-train"
    image = image or json.loads(image_by_region).get(region, "")
    if not image:
        raise ValueError(f"no k-means image is known for region {region!r}; pass the image parameter")
    sm = kfsm_client("sagemaker", region)
    describe = lambda: sm.describe_training_job(TrainingJobName=name)
    found = kfsm_describe_or_none(describe)
    if found:
        print(f"adopting the existing training job {name} ({found['TrainingJobStatus']})", flush=True)
        kfsm_event(step, kind="adopted", name=name, status=found["TrainingJobStatus"])
    else:
        print(f"submitting training job {name}: k={k} feature_dim={feature_dim} on {instance_count} x "
              f"{instance_type}", flush=True)
        sm.create_training_job(
            TrainingJobName=name,
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            RoleArn=role,
            InputDataConfig=[{"ChannelName": "train", "CompressionType": "None", "RecordWrapperType": "None",
                              "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": dataset_path,
                                                              "S3DataDistributionType": "FullyReplicated"}}}],
            OutputDataConfig={"S3OutputPath": model_artifact_path},
            ResourceConfig={"InstanceCount": int(instance_count), "InstanceType": instance_type,
                            "VolumeSizeInGB": int(volume_size)},
            HyperParameters={"k": str(k), "feature_dim": str(feature_dim), "mini_batch_size": str(mini_batch_size),
                             "init_method": init_method},
            StoppingCondition={"MaxRuntimeInSeconds": int(max_run_time)},
            Tags=kfsm_tags(run_id, step),
        )
        kfsm_event(step, kind="created", name=name)
    kfsm_on_cancel(step, lambda: sm.stop_training_job(TrainingJobName=name))
    desc = kfsm_wait(step, name, describe, "TrainingJobStatus", ("Completed",), ("Failed", "Stopped"))
    for metric in desc.get("FinalMetricDataList", []):
        print(f"{name}: {metric['MetricName']} = {metric['Value']}", flush=True)
    url = desc["ModelArtifacts"]["S3ModelArtifacts"]
    kfsm_event(step, kind="outputs", model_artifact_url=url, job_name=name)
    outputs = namedtuple("Outputs", ["model_artifact_url", "job_name", "training_image"])
    return outputs(url, name, desc["AlgorithmSpecification"]["TrainingImage"])


def sagemaker_create_model(region: str, image: str, model_artifact_url: str, role: str, run_id: str) -> str:
    """Register the trained artifact as a SageMaker model (the training image serves it)."""
    step = "sagemaker-create-model"
    name = f"kfsm-{run_id}-model"
    sm = kfsm_client("sagemaker", region)
    found = kfsm_describe_or_none(lambda: sm.describe_model(ModelName=name))
    if found:
        print(f"adopting the existing model {name}", flush=True)
        kfsm_event(step, kind="adopted", name=name, status="Created")
    else:
        sm.create_model(ModelName=name, ExecutionRoleArn=role,
                        PrimaryContainer={"Image": image, "ModelDataUrl": model_artifact_url},
                        Tags=kfsm_tags(run_id, step))
        print(f"created model {name} from {model_artifact_url}", flush=True)
        kfsm_event(step, kind="created", name=name, status="Created")
    return name


def sagemaker_deploy_model(region: str, model_name: str, run_id: str, instance_type: str,
                           instance_count: int = 1) -> str:
    """Serve the model on an endpoint and wait until it is InService."""
    step = "sagemaker-deploy-model"
    config_name = f"kfsm-{run_id}-epconfig"
    name = f"kfsm-{run_id}-endpoint"
    sm = kfsm_client("sagemaker", region)
    if kfsm_describe_or_none(lambda: sm.describe_endpoint_config(EndpointConfigName=config_name)):
        print(f"adopting the existing endpoint config {config_name}", flush=True)
    else:
        sm.create_endpoint_config(
            EndpointConfigName=config_name,
            ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model_name,
                                 "InitialInstanceCount": int(instance_count), "InstanceType": instance_type,
                                 "InitialVariantWeight": 1.0}],
            Tags=kfsm_tags(run_id, step))
    describe = lambda: sm.describe_endpoint(EndpointName=name)
    found = kfsm_describe_or_none(describe)
    if found:
        print(f"adopting the existing endpoint {name} ({found['EndpointStatus']})", flush=True)
        kfsm_event(step, kind="adopted", name=name, status=found["EndpointStatus"])
    else:
        sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name,
                           Tags=kfsm_tags(run_id, step))
        print(f"creating endpoint {name} on {instance_count} x {instance_type}", flush=True)
        kfsm_event(step, kind="created", name=name)
    kfsm_wait(step, name, describe, "EndpointStatus", ("InService",), ("Failed", "OutOfService"))
    kfsm_event(step, kind="outputs", endpoint_name=name)
    return name


def sagemaker_batch_transformation(region: str, model_name: str, input_location: str, output_location: str,
                                   run_id: str, instance_type: str, instance_count: int = 1) -> str:
    """Predict the whole validation CSV with a batch transform job; outputs land as ``<key>.out``."""
    step = "sagemaker-batch-transformation"
    name = f"kfsm-{run_id}-transform"
    sm = kfsm_client("sagemaker", region)
    describe = lambda: sm.describe_transform_job(TransformJobName=name)
    found = kfsm_describe_or_none(describe)
    if found:
        print(f"adopting the existing transform job {name} ({found['TransformJobStatus']})", flush=True)
        kfsm_event(step, kind="adopted", name=name, status=found["TransformJobStatus"])
    else:
        sm.create_transform_job(
            TransformJobName=name, ModelName=model_name,
            MaxConcurrentTransforms=4, MaxPayloadInMB=6, BatchStrategy="MultiRecord",
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_location}},
                            "ContentType": "text/csv", "SplitType": "Line", "CompressionType": "None"},
            TransformOutput={"S3OutputPath": output_location},
            TransformResources={"InstanceType": instance_type, "InstanceCount": int(instance_count)},
            Tags=kfsm_tags(run_id, step))
        print(f"submitted transform job {name}: {input_location} -> {output_location}", flush=True)
        kfsm_event(step, kind="created", name=name)
    kfsm_on_cancel(step, lambda: sm.stop_transform_job(TransformJobName=name))
    kfsm_wait(step, name, describe, "TransformJobStatus", ("Completed",), ("Failed", "Stopped"))
    kfsm_event(step, kind="outputs", batch_output_uri=output_location)
    return output_location


@dataclass(frozen=True)
class ComponentSet:
    """The four components built for one place of execution."""

    training: Any
    create_model: Any
    deploy: Any
    batch_transform: Any


def build_components(for_cluster: bool, base_image: str = BASE_IMAGE) -> ComponentSet:
    """Components for a cluster pod (installs kfp + boto3) or for ``kfp.local`` (installs nothing)."""
    from kfp import dsl

    def make(func: Any) -> Any:
        return dsl.component(func, base_image=base_image,
                             packages_to_install=list(CLUSTER_PACKAGES) if for_cluster else None,
                             install_kfp_package=for_cluster, additional_funcs=list(_HELPERS))

    return ComponentSet(training=make(sagemaker_training_job), create_model=make(sagemaker_create_model),
                        deploy=make(sagemaker_deploy_model), batch_transform=make(sagemaker_batch_transformation))

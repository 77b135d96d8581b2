"""The SageMaker steps' bodies, as kfp lightweight components run them (boto3 only inside).

Each step derives its SageMaker name from the run id, adopts a resource of that name when it is
usable (a re-run), otherwise creates it with the kit's tags, waits with progress in its log, fails
with SageMaker's FailureReason, and stops its job when the step is cancelled. The helpers named
``kfsm_*`` come from :mod:`.runtime`, copied into each component's source by kfp.
"""

# ruff: noqa: F821, E731 - helper names come from additional_funcs in the component source
# No `from __future__ import annotations`: kfp reads the real annotations to type inputs and outputs.
# ruff: noqa: UP045 - kfp reads typing.Optional, not `X | None`

from typing import NamedTuple, Optional


def sagemaker_training_job(
    region: str, image: str, instance_type: str, instance_count: int, volume_size: int, dataset_path: str,
    model_artifact_path: str, role: str, run_id: str = "", k: int = 10, feature_dim: int = 784,
    mini_batch_size: int = 5000, init_method: str = "kmeans++", test_dataset_path: str = "",
    hyperparameters: Optional[dict] = None, max_run_time: int = 3600, kfp_run_uuid: str = "",
) -> NamedTuple("Outputs", [("model_artifact_url", str), ("job_name", str), ("training_image", str)]):
    """Train the SageMaker built-in k-means on ``dataset_path`` (RecordIO-protobuf); the model lands under
    ``model_artifact_path``. ``hyperparameters`` (e.g. a tuning step's best ones) override k, feature_dim,
    mini_batch_size and init_method; ``test_dataset_path`` adds the test channel (test:msd)."""
    import json
    from collections import namedtuple

    step = "sagemaker-training-job"
    run_id = kfsm_run_id(run_id, kfp_run_uuid)
    name = kfsm_resource_name(run_id, "training_job")
    if not image:
        raise ValueError("image is empty: pass the k-means image of the region, e.g. "
                         "kfsm_lab.images.kmeans_image(region)")
    if f".{region}." not in image:
        raise ValueError(f"the image {image} is not in region {region}: SageMaker pulls the algorithm from the "
                         "job's own region; use kfsm_lab.images.kmeans_image(region)")
    sm = kfsm_client("sagemaker", region)
    describe = lambda: sm.describe_training_job(TrainingJobName=name)
    found = kfsm_describe_or_none(describe)
    if found:
        status = found["TrainingJobStatus"]
        url = (found.get("ModelArtifacts") or {}).get("S3ModelArtifacts", "")
        if status in ("Failed", "Stopped"):
            raise RuntimeError(f"training job {name} already exists and ended {status} "
                               f"({found.get('FailureReason') or 'no reason given'}); SageMaker job names cannot be "
                               "reused, so start the run again with a new run_id")
        if status == "Completed" and not kfsm_s3_object_exists(url, region):
            raise RuntimeError(f"training job {name} already exists but its model {url} is gone (cleaned up?); "
                               "start the run again with a new run_id")
        print(f"adopting the existing training job {name} ({status})", flush=True)
    else:
        params = {"k": str(k), "feature_dim": str(feature_dim), "mini_batch_size": str(mini_batch_size),
                  "init_method": init_method}
        params.update({key: str(value) for key, value in (hyperparameters or {}).items()})
        channels = [("train", dataset_path)] + ([("test", test_dataset_path)] if test_dataset_path else [])
        print(f"submitting training job {name}: {json.dumps(params, sort_keys=True)} on {instance_count} x "
              f"{instance_type}", flush=True)
        kfsm_create(f"training job {name}", lambda: sm.create_training_job(
            TrainingJobName=name,
            AlgorithmSpecification={"TrainingImage": image, "TrainingInputMode": "File"},
            RoleArn=role,
            InputDataConfig=[{"ChannelName": channel, "CompressionType": "None", "RecordWrapperType": "None",
                              "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri,
                                                              "S3DataDistributionType": "FullyReplicated"}}}
                             for channel, uri in channels],
            OutputDataConfig={"S3OutputPath": model_artifact_path},
            ResourceConfig={"InstanceCount": int(instance_count), "InstanceType": instance_type,
                            "VolumeSizeInGB": int(volume_size)},
            HyperParameters=params,
            StoppingCondition={"MaxRuntimeInSeconds": int(max_run_time)},
            Tags=kfsm_tags(run_id, step)))
    kfsm_on_cancel(lambda: sm.stop_training_job(TrainingJobName=name))
    desc = kfsm_wait(name, describe, "TrainingJobStatus", ("Completed",), ("Failed", "Stopped"))
    for metric in desc.get("FinalMetricDataList", []):
        print(f"{name}: {metric['MetricName']} = {metric['Value']}", flush=True)
    outputs = namedtuple("Outputs", ["model_artifact_url", "job_name", "training_image"])
    return outputs(desc["ModelArtifacts"]["S3ModelArtifacts"], name, desc["AlgorithmSpecification"]["TrainingImage"])


def sagemaker_create_model(region: str, image: str, model_artifact_url: str, role: str, run_id: str = "",
                           kfp_run_uuid: str = "") -> str:
    """Register the trained artifact as a SageMaker model (the training image serves it)."""
    step = "sagemaker-create-model"
    run_id = kfsm_run_id(run_id, kfp_run_uuid)
    name = kfsm_resource_name(run_id, "model")
    sm = kfsm_client("sagemaker", region)
    found = kfsm_describe_or_none(lambda: sm.describe_model(ModelName=name))
    if found and (found.get("PrimaryContainer") or {}).get("ModelDataUrl") == model_artifact_url:
        print(f"adopting the existing model {name}", flush=True)
        return name
    if found:  # made from another artifact (a re-run that trained again): models are immutable, so replace it
        print(f"replacing the model {name}: it points at another artifact", flush=True)
        sm.delete_model(ModelName=name)
    sm.create_model(ModelName=name, ExecutionRoleArn=role,
                    PrimaryContainer={"Image": image, "ModelDataUrl": model_artifact_url},
                    Tags=kfsm_tags(run_id, step))
    print(f"created model {name} from {model_artifact_url}", flush=True)
    return name


def sagemaker_deploy_model(region: str, model_name: str, instance_type: str = "ml.t2.medium",
                           instance_count: int = 1, run_id: str = "", kfp_run_uuid: str = "") -> str:
    """Serve the model on an endpoint and wait until it is InService."""
    step = "sagemaker-deploy-model"
    run_id = kfsm_run_id(run_id, kfp_run_uuid)
    config_name = kfsm_resource_name(run_id, "endpoint_config")
    name = kfsm_resource_name(run_id, "endpoint")
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
    if found and found["EndpointStatus"] == "Failed":
        print(f"the existing endpoint {name} Failed ({found.get('FailureReason')}); deleting it to deploy again",
              flush=True)
        sm.delete_endpoint(EndpointName=name)
        kfsm_wait(name, lambda: kfsm_describe_or_none(describe) or {"EndpointStatus": "Deleted"},
                  "EndpointStatus", ("Deleted",), ())
        found = None
    if found:
        print(f"adopting the existing endpoint {name} ({found['EndpointStatus']})", flush=True)
    else:
        sm.create_endpoint(EndpointName=name, EndpointConfigName=config_name, Tags=kfsm_tags(run_id, step))
        print(f"creating endpoint {name} on {instance_count} x {instance_type}", flush=True)
    kfsm_wait(name, describe, "EndpointStatus", ("InService",), ("Failed", "OutOfService"))
    return name


def sagemaker_batch_transformation(region: str, model_name: str, input_location: str, output_location: str,
                                   instance_type: str = "ml.m5.large", instance_count: int = 1,
                                   content_type: str = "text/csv", run_id: str = "", kfp_run_uuid: str = "") -> str:
    """Predict every object under ``input_location`` with a batch transform job; results land in
    ``output_location`` as ``<key>.out``."""
    step = "sagemaker-batch-transformation"
    run_id = kfsm_run_id(run_id, kfp_run_uuid)
    name = kfsm_resource_name(run_id, "transform_job")
    sm = kfsm_client("sagemaker", region)
    describe = lambda: sm.describe_transform_job(TransformJobName=name)
    found = kfsm_describe_or_none(describe)
    if found and found["TransformJobStatus"] in ("Failed", "Stopped"):
        raise RuntimeError(f"transform job {name} already exists and ended {found['TransformJobStatus']} "
                           f"({found.get('FailureReason') or 'no reason given'}); SageMaker job names cannot be "
                           "reused, so start the run again with a new run_id")
    if found:
        print(f"adopting the existing transform job {name} ({found['TransformJobStatus']})", flush=True)
    else:
        sm.create_transform_job(
            TransformJobName=name, ModelName=model_name,
            MaxConcurrentTransforms=4, MaxPayloadInMB=6, BatchStrategy="MultiRecord",
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_location}},
                            "ContentType": content_type, "SplitType": "Line", "CompressionType": "None"},
            TransformOutput={"S3OutputPath": output_location},
            TransformResources={"InstanceType": instance_type, "InstanceCount": int(instance_count)},
            Tags=kfsm_tags(run_id, step))
        print(f"submitted transform job {name}: {input_location} -> {output_location}", flush=True)
    kfsm_on_cancel(lambda: sm.stop_transform_job(TransformJobName=name))
    kfsm_wait(name, describe, "TransformJobStatus", ("Completed",), ("Failed", "Stopped"))
    return output_location

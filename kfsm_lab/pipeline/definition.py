"""The ``mnist-classification-pipeline`` graph: training → create model → {batch transform, deploy}.

Parameters follow the workshop's pipeline (region, image, instance type/count, volume size, dataset,
model output, batch input/output, role ARN) plus the run id, the k-means hyperparameters and the
endpoint and transform instance types. Their defaults come from the settings, so the compiled YAML
runs as-is from the Kubeflow UI.
"""

# No `from __future__ import annotations`: kfp reads the pipeline function's real annotations.

import json
from typing import TYPE_CHECKING, Any

from ..images import KMEANS_ACCOUNTS, kmeans_image
from .components import BASE_IMAGE, build_components
from .names import PIPELINE_NAME

if TYPE_CHECKING:
    from ..config import Settings

SECRET_KEYS = {"AWS_ACCESS_KEY_ID": "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY": "AWS_SECRET_ACCESS_KEY"}
DESCRIPTION = "MNIST classification with the SageMaker built-in k-means: train, create model, batch transform, deploy."


def _image_table() -> str:
    """Region → k-means image, passed as a constant so a pod resolves an empty ``image`` itself."""
    return json.dumps({r: kmeans_image(r) for r in sorted(KMEANS_ACCOUNTS)}, sort_keys=True)


def default_arguments(settings: "Settings", run_id: str = "") -> dict[str, Any]:
    """Pipeline arguments from the settings (empty strings where the settings have no value yet).

    With a run id, the batch output goes to ``<output>/<run_id>`` so runs never overwrite each other.
    """
    from ..data.layout import S3Layout

    layout = S3Layout(settings.bucket, settings.s3_prefix) if settings.bucket else None
    return {
        "region": settings.region,
        "image": "",
        "instance_type": settings.training_instance_type,
        "instance_count": settings.training_instance_count,
        "volume_size": settings.volume_size_gb,
        "dataset_path": layout.dataset_uri if layout else "",
        "model_output_path": layout.model_uri() if layout else "",
        "batch_transform_input": layout.batch_input_uri if layout else "",
        "batch_transform_output": layout.output_uri(run_id or None) if layout else "",
        "role_arn": settings.role_arn or "",
        "run_id": run_id,
        "k": settings.k,
        "feature_dim": settings.feature_dim,
        "mini_batch_size": settings.mini_batch_size,
        "init_method": settings.init_method,
        "endpoint_instance_type": settings.endpoint_instance_type,
        "transform_instance_type": settings.transform_instance_type,
    }


def build_pipeline(settings: "Settings", for_cluster: bool, base_image: str = BASE_IMAGE) -> Any:
    """The pipeline function (a kfp ``GraphComponent``) for a cluster or for ``kfp.local``.

    On a cluster every step reads ``aws-secret`` (settings.secret_name) into the two AWS key
    variables and gets the region as ``AWS_DEFAULT_REGION``; locally the steps inherit the runner's
    environment instead, since kfp.local ignores Kubernetes secrets.
    """
    from kfp import dsl

    comps = build_components(for_cluster, base_image)
    d = default_arguments(settings)
    image_table = _image_table()

    def on_cluster(task: Any) -> Any:
        task.set_caching_options(False)  # a SageMaker step must really run, never come from cache
        if for_cluster:
            from kfp import kubernetes

            kubernetes.use_secret_as_env(task, secret_name=settings.secret_name, secret_key_to_env=SECRET_KEYS)
            task.set_env_variable("AWS_DEFAULT_REGION", settings.region)
        return task

    @dsl.pipeline(name=PIPELINE_NAME, description=DESCRIPTION)
    def mnist_classification(
        region: str = d["region"], image: str = d["image"], instance_type: str = d["instance_type"],
        instance_count: int = d["instance_count"], volume_size: int = d["volume_size"],
        dataset_path: str = d["dataset_path"], model_output_path: str = d["model_output_path"],
        batch_transform_input: str = d["batch_transform_input"],
        batch_transform_output: str = d["batch_transform_output"], role_arn: str = d["role_arn"],
        run_id: str = d["run_id"], k: int = d["k"], feature_dim: int = d["feature_dim"],
        mini_batch_size: int = d["mini_batch_size"], init_method: str = d["init_method"],
        endpoint_instance_type: str = d["endpoint_instance_type"],
        transform_instance_type: str = d["transform_instance_type"],
    ) -> None:
        training = on_cluster(comps.training(
            region=region, image=image, image_by_region=image_table, instance_type=instance_type,
            instance_count=instance_count, volume_size=volume_size, dataset_path=dataset_path,
            model_artifact_path=model_output_path, role=role_arn, run_id=run_id, k=k, feature_dim=feature_dim,
            mini_batch_size=mini_batch_size, init_method=init_method))
        create_model = on_cluster(comps.create_model(
            region=region, image=training.outputs["training_image"],
            model_artifact_url=training.outputs["model_artifact_url"], role=role_arn, run_id=run_id))
        on_cluster(comps.batch_transform(
            region=region, model_name=create_model.output, input_location=batch_transform_input,
            output_location=batch_transform_output, run_id=run_id, instance_type=transform_instance_type))
        on_cluster(comps.deploy(region=region, model_name=create_model.output, run_id=run_id,
                                instance_type=endpoint_instance_type))

    return mnist_classification

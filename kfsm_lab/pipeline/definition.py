"""The kit's packaged ``mnist-classification-pipeline``: the workshop's graph from the public components.

training → create model → {batch transform, deploy}, every step with ``use_aws_secret``. It is the
same code the notebook shows in its pipeline cell (built from :mod:`kfsm_lab.components`), with
parameter defaults from the settings, so the compiled YAML runs as-is from the Kubeflow UI or a plain
``kfp.Client``. Parameters follow the workshop's (region, image, instance type/count, volume size,
dataset, model output, batch input/output, role ARN) plus the run id, the k-means hyperparameters and
the endpoint and transform instance types.
"""

# No `from __future__ import annotations`: kfp reads the pipeline function's real annotations.

from typing import TYPE_CHECKING, Any

from ..names import PIPELINE_NAME

if TYPE_CHECKING:
    from ..config import Settings

DESCRIPTION = "MNIST classification with the SageMaker built-in k-means: train, create model, batch transform, deploy."


def default_arguments(settings: "Settings", run_id: str = "") -> dict[str, Any]:
    """Pipeline arguments from the settings (empty strings where the settings have no value yet).

    With a run id, the batch output goes to ``<output>/<run_id>`` so runs never overwrite each other.
    """
    from ..data.layout import S3Layout
    from ..images import kmeans_image

    layout = S3Layout(settings.bucket, settings.s3_prefix) if settings.bucket else None
    return {
        "region": settings.region,
        "image": kmeans_image(settings.region),
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


def build_pipeline(settings: "Settings", secret_name: str | None = None) -> Any:
    """The pipeline function (a kfp ``GraphComponent``) with the settings' values as defaults."""
    from kfp import dsl

    from ..components import (
        sagemaker_batch_transform_op,
        sagemaker_deploy_op,
        sagemaker_model_op,
        sagemaker_train_op,
        use_aws_secret,
    )

    d = default_arguments(settings)
    secret = secret_name or settings.secret_name

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
        training = sagemaker_train_op(
            region=region, image=image, instance_type=instance_type, instance_count=instance_count,
            volume_size=volume_size, dataset_path=dataset_path, model_artifact_path=model_output_path,
            role=role_arn, run_id=run_id, k=k, feature_dim=feature_dim, mini_batch_size=mini_batch_size,
            init_method=init_method)
        create_model = sagemaker_model_op(
            region=region, image=training.outputs["training_image"],
            model_artifact_url=training.outputs["model_artifact_url"], role=role_arn, run_id=run_id)
        batch_transform = sagemaker_batch_transform_op(
            region=region, model_name=create_model.output, input_location=batch_transform_input,
            output_location=batch_transform_output, instance_type=transform_instance_type, run_id=run_id)
        deploy = sagemaker_deploy_op(region=region, model_name=create_model.output,
                                     instance_type=endpoint_instance_type, run_id=run_id)
        for task in (training, create_model, batch_transform, deploy):
            use_aws_secret(task, secret)

    return mnist_classification

"""Pipelines a user writes: one trivial component, and the workshop's pipeline with an evaluation step added.

No ``from __future__ import annotations`` here: kfp reads the functions' real annotations.
"""

from kfp import dsl

from kfsm_lab.components import (
    sagemaker_batch_transform_op,
    sagemaker_deploy_op,
    sagemaker_model_op,
    sagemaker_train_op,
    use_aws_secret,
)


@dsl.component(base_image="python:3.11")
def hello(name: str) -> str:
    print(f"hello {name}")
    return f"hello {name}"


@dsl.pipeline(name="mine")
def mine(name: str = "kit"):
    hello(name=name)


@dsl.component(base_image="python:3.11", packages_to_install=["boto3"])
def evaluate(region: str, output_location: str) -> int:
    """Count the predictions the batch transform wrote (a user's own step reading S3)."""
    import boto3

    bucket, _, prefix = output_location[len("s3://"):].partition("/")
    body = boto3.client("s3", region_name=region).get_object(Bucket=bucket, Key=f"{prefix}/valid_data.csv.out")
    lines = [ln for ln in body["Body"].read().decode().splitlines() if ln.strip()]
    print(f"{len(lines)} predictions in {output_location}")
    return len(lines)


@dsl.pipeline(name="mnist-with-evaluation")
def mnist_with_evaluation(region: str, image: str, dataset_path: str, model_output_path: str,
                          batch_transform_input: str, batch_transform_output: str, role_arn: str,
                          run_id: str = "", instance_type: str = "ml.m5.large"):
    training = sagemaker_train_op(region=region, image=image, instance_type=instance_type, instance_count=1,
                                  volume_size=10, dataset_path=dataset_path, model_artifact_path=model_output_path,
                                  role=role_arn, run_id=run_id)
    model = sagemaker_model_op(region=region, image=training.outputs["training_image"],
                               model_artifact_url=training.outputs["model_artifact_url"], role=role_arn, run_id=run_id)
    transform = sagemaker_batch_transform_op(region=region, model_name=model.output,
                                             input_location=batch_transform_input,
                                             output_location=batch_transform_output, run_id=run_id)
    deploy = sagemaker_deploy_op(region=region, model_name=model.output, run_id=run_id)
    check = evaluate(region=region, output_location=transform.output)
    for task in (training, model, transform, deploy, check):
        use_aws_secret(task)

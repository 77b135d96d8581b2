"""Pipelines a user writes: one trivial component, and the workshop's pipeline with an evaluation step added.

No ``from __future__ import annotations`` here: kfp reads the functions' real annotations.
"""

from kfp import dsl

from kfsm_lab.components import (
    sagemaker_batch_transform_op,
    sagemaker_deploy_op,
    sagemaker_hpo_op,
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
    count = body["Body"].read().decode().count("closest_cluster")  # one per prediction, whatever the Accept
    print(f"{count} predictions in {output_location}")
    return count


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


@dsl.pipeline(name="mnist-with-tuning")
def mnist_with_tuning(region: str, image: str, dataset_path: str, test_dataset_path: str, model_output_path: str,
                      role_arn: str, run_id: str = "", instance_type: str = "ml.m5.large"):
    """The later workshop's start: a tuning job, then training with its best hyperparameters."""
    tuning = sagemaker_hpo_op(region=region, image=image, dataset_path=dataset_path,
                              test_dataset_path=test_dataset_path, model_artifact_path=model_output_path,
                              role=role_arn, run_id=run_id, instance_type=instance_type, max_num_jobs=4,
                              max_parallel_jobs=2)
    training = sagemaker_train_op(region=region, image=tuning.outputs["training_image"], instance_type=instance_type,
                                  instance_count=1, volume_size=10, dataset_path=dataset_path,
                                  model_artifact_path=model_output_path, role=role_arn, run_id=run_id,
                                  test_dataset_path=test_dataset_path,
                                  hyperparameters=tuning.outputs["best_hyperparameters"])
    for task in (tuning, training):
        use_aws_secret(task)

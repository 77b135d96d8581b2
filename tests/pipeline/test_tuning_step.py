"""The tuning component in a local pipeline: 4 trials, 2 at once; the best hyperparameters reach training."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfsm_lab import aws
from kfsm_lab.data import S3Layout, load_sample, write_dense_tensor
from kfsm_lab.monitor.figure import trials_lines
from kfsm_lab.names import STEP_TRAIN, STEP_TUNE
from kfsm_lab.pipeline import start_run

pytestmark = pytest.mark.slow


def test_tuning_step_feeds_its_best_hyperparameters_to_training(ready):
    from .user_pipelines import mnist_with_tuning

    lay = S3Layout(ready.bucket, ready.s3_prefix)
    test_uri = f"s3://{lay.bucket}/{lay.prefix}/test/test_data"
    aws.client(ready, "s3").put_object(Bucket=lay.bucket, Key=f"{lay.prefix}/test/test_data",
                                       Body=write_dense_tensor(load_sample().test.X))
    handle = start_run(ready, pipeline=mnist_with_tuning, arguments={"test_dataset_path": test_uri}).wait(timeout=240)
    assert handle.state == "succeeded", handle.error
    steps = {s["name"]: s for s in handle.steps}
    assert steps[STEP_TUNE]["kind"] == "tuning_job" and steps[STEP_TRAIN]["depends_on"] == [STEP_TUNE]
    sm = aws.client(ready, "sagemaker")
    tuning_name = f"kfsm-{handle.run_id.lower()}-hpo"
    tuning = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=tuning_name)
    assert tuning["HyperParameterTuningJobStatus"] == "Completed"
    assert tuning["TrainingJobStatusCounters"]["Completed"] == 4
    best = tuning["BestTrainingJob"]
    trained = sm.describe_training_job(TrainingJobName=f"kfsm-{handle.run_id}-train")
    for key, value in best["TunedHyperParameters"].items():
        assert trained["HyperParameters"][key] == value  # the best trial's values reached training
    trials = steps[STEP_TUNE]["sagemaker"]["trials"]  # what the run page's Metrics tab and watch() show
    assert len(trials) == 4 and [t["name"] for t in trials if t["best"]] == [best["TrainingJobName"]]
    assert all(t["status"] == "Completed" and isinstance(t["objective"], float) for t in trials)
    lines = trials_lines(handle.to_dict())
    assert len(lines) == 5 and sum("best" in line for line in lines[1:]) == 1
    log = Path(steps[STEP_TUNE]["log_path"]).read_text()
    assert f"best trial {best['TrainingJobName']}" in log and "test:msd" in log


def test_tuning_component_compiles_for_a_cluster(tmp_path):
    """The component's source is self-contained (boto3 only): kfp compiles it into the pipeline spec."""
    import yaml
    from kfp import compiler

    from .user_pipelines import mnist_with_tuning

    out = tmp_path / "tuning.yaml"
    compiler.Compiler().compile(mnist_with_tuning, str(out))
    spec = next(yaml.safe_load_all(out.read_text()))  # then the platform spec (the secret)
    executor = spec["deploymentSpec"]["executors"]["exec-sagemaker-hyperparameter-tuning"]["container"]
    source = "\n".join(executor["command"])
    assert "def sagemaker_hyperparameter_tuning(" in source and "def kfsm_create(" in source
    assert "kfsm_lab" not in source.replace("kfsm_lab.images.kmeans_image", "")
    outputs = spec["components"]["comp-sagemaker-hyperparameter-tuning"]["outputDefinitions"]["parameters"]
    assert set(outputs) == {"hpo_job_name", "best_job_name", "best_hyperparameters", "training_image"}

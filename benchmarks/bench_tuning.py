"""A 9-trial hyperparameter tuning job (2 in parallel) against 9 sequential training jobs of the same data.

The tuning job is the workshop's (static k=10, feature_dim=784; mini_batch_size 500-600,
extra_center_factor 10-20, init_method kmeans++|random; objective test:msd; Bayesian). The
baseline runs the same nine hyperparameter sets as plain training jobs one after another, each
create → Completed polled every 50 ms. Both through the local cloud's SageMaker API at pace 0, on
the bundled sample (train and test channels as RecordIO-protobuf). A first, untimed tuning job
of 4 trials warms the cloud up (it starts the fit worker processes and imports scikit-learn's
Gaussian process, ~1 s, that only Bayesian tuning needs); its time is printed as the cold figure.

Goal: tuning wall time ≤ 0.6 × the sequential trainings (two trials at once on two cores). On a
busy machine (see ``_common.watched``) the figure is printed but not judged.

    .venv/bin/python benchmarks/bench_tuning.py
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Section, local_cloud, watched

GOAL = 0.6


def _wait(describe, key: str, done: tuple[str, ...], timeout: float = 600.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = describe()
        if d[key] in done:
            return d
        time.sleep(0.05)
    raise TimeoutError(f"still {d[key]} after {timeout:g} s")


def run(section: Section | None = None, repeats: int = 3) -> Section:
    section = section or Section("Hyperparameter tuning (9 trials, 2 in parallel) vs 9 sequential trainings")
    from kfsm_lab.data import S3Layout, load_sample, write_dense_tensor
    from kfsm_lab.images import kmeans_image

    sample = load_sample()
    with watched(section), local_cloud(pace=0) as info:
        sm, s3, iam = (info.client(x) for x in ("sagemaker", "s3", "iam"))
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                         "Principal": {"Service": "sagemaker.amazonaws.com"}}]}
        role = iam.create_role(RoleName="tune-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        lay = S3Layout("tune-" + uuid.uuid4().hex[:8])
        s3.create_bucket(Bucket=lay.bucket, CreateBucketConfiguration={"LocationConstraint": info.region})
        s3.put_object(Bucket=lay.bucket, Key=lay.train_key, Body=write_dense_tensor(sample.train.X))
        s3.put_object(Bucket=lay.bucket, Key=f"{lay.prefix}/test_data", Body=write_dense_tensor(sample.test.X))
        image = kmeans_image(info.region)
        channels = [{"ChannelName": ch, "ContentType": "application/x-recordio-protobuf", "DataSource": {
            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}
            for ch, uri in (("train", lay.dataset_uri), ("test", f"s3://{lay.bucket}/{lay.prefix}/test_data"))]
        definition = {
            "StaticHyperParameters": {"k": "10", "feature_dim": "784"},
            "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
            "RoleArn": role, "InputDataConfig": channels, "OutputDataConfig": {"S3OutputPath": lay.model_uri()},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600}}
        ratios = []
        for r in range(-1, repeats):
            name = f"tune-{r + 1}-{uuid.uuid4().hex[:6]}"
            t0 = time.perf_counter()
            sm.create_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name, TrainingJobDefinition=definition,
                HyperParameterTuningJobConfig={
                    "Strategy": "Bayesian", "RandomSeed": r + 1,
                    "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "test:msd"},
                    "ResourceLimits": {"MaxNumberOfTrainingJobs": 4 if r < 0 else 9, "MaxParallelTrainingJobs": 2},
                    "ParameterRanges": {
                        "IntegerParameterRanges": [{"Name": "mini_batch_size", "MinValue": "500", "MaxValue": "600"},
                                                   {"Name": "extra_center_factor", "MinValue": "10",
                                                    "MaxValue": "20"}],
                        "CategoricalParameterRanges": [{"Name": "init_method", "Values": ["kmeans++", "random"]}]}})
            d = _wait(lambda name=name: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name),
                      "HyperParameterTuningJobStatus", ("Completed", "Failed", "Stopped"))
            tuning_s = time.perf_counter() - t0
            if d["HyperParameterTuningJobStatus"] != "Completed":
                raise RuntimeError(f"tuning job {name}: {d.get('FailureReason')}")
            if r < 0:
                section.add("warm-up: the first tuning job of 4 trials in a fresh cloud (cold)", f"{tuning_s:.2f} s")
                continue
            trials = sm.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name, MaxResults=100)["TrainingJobSummaries"]
            t0 = time.perf_counter()
            for i, trial in enumerate(trials):
                job = f"seq-{r}-{i}-{uuid.uuid4().hex[:6]}"
                sm.create_training_job(
                    TrainingJobName=job, RoleArn=role, AlgorithmSpecification=definition["AlgorithmSpecification"],
                    HyperParameters={**definition["StaticHyperParameters"], **trial["TunedHyperParameters"]},
                    InputDataConfig=channels, OutputDataConfig=definition["OutputDataConfig"],
                    ResourceConfig=definition["ResourceConfig"], StoppingCondition=definition["StoppingCondition"])
                _wait(lambda job=job: sm.describe_training_job(TrainingJobName=job), "TrainingJobStatus",
                      ("Completed", "Failed", "Stopped"))
            sequential_s = time.perf_counter() - t0
            ratios.append(tuning_s / sequential_s)
            section.add(f"run {r + 1}: tuning job / 9 sequential trainings", f"{tuning_s:.2f} s / {sequential_s:.2f} s")
        ratio = sorted(ratios)[len(ratios) // 2]
        section.add(f"tuning wall time ÷ sequential trainings (median of {len(ratios)})", f"{ratio:.2f}",
                    f"≤ {GOAL:g}", ratio <= GOAL)
        section.note(f"ratios {', '.join(f'{x:.2f}' for x in ratios)} (spread {min(ratios):.2f}–{max(ratios):.2f})")
    return section


if __name__ == "__main__":
    run(repeats=int(sys.argv[1]) if len(sys.argv) > 1 else 3)

"""Hyperparameter tuning jobs with boto3 over HTTP: real trials, real search, the service's shapes and errors."""

from __future__ import annotations

import statistics
import time

import pytest
from botocore.exceptions import ClientError
from localcloud_helpers import unique

WAIT = {"Delay": 0.5, "MaxAttempts": 600}


def tuning_request(name: str, role_arn: str, image: str, layout, strategy: str = "Bayesian", jobs: int = 9,
                   parallel: int = 2, seed: int | None = None, ranges: dict | None = None, **config) -> dict:
    """The workshop's tuning step (mnist-kmeans sample): k=10, two integer ranges and a categorical one."""
    cfg = {
        "Strategy": strategy,
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "test:msd"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": jobs, "MaxParallelTrainingJobs": parallel},
        "ParameterRanges": ranges if ranges is not None else {
            "IntegerParameterRanges": [{"Name": "mini_batch_size", "MinValue": "500", "MaxValue": "600"},
                                       {"Name": "extra_center_factor", "MinValue": "10", "MaxValue": "20"}],
            "CategoricalParameterRanges": [{"Name": "init_method", "Values": ["kmeans++", "random"]}]},
        "TrainingJobEarlyStoppingType": "Off", **config,
    }
    if seed is not None:
        cfg["RandomSeed"] = seed
    channel = {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3DataDistributionType": "FullyReplicated"}},
               "ContentType": "application/x-recordio-protobuf", "CompressionType": "None", "RecordWrapperType": "None"}
    train = {**channel, "ChannelName": "train"}
    train["DataSource"] = {"S3DataSource": {**channel["DataSource"]["S3DataSource"], "S3Uri": layout.dataset_uri}}
    test = {**channel, "ChannelName": "test"}
    test["DataSource"] = {"S3DataSource": {**channel["DataSource"]["S3DataSource"],
                                           "S3Uri": f"s3://{layout.bucket}/{layout.prefix}/test_data"}}
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": cfg,
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"k": "10", "feature_dim": "784"},
            "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
            "RoleArn": role_arn, "InputDataConfig": [train, test],
            "OutputDataConfig": {"S3OutputPath": layout.model_uri("hpo")},
            "ResourceConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 5},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
        "Tags": [{"Key": "kfsm-lab", "Value": "test"}],
    }


def _wait_tuning(sm, name: str, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if d["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"):
            return d
        time.sleep(0.3)
    raise AssertionError(f"tuning job {name} still {d['HyperParameterTuningJobStatus']} after {timeout} s")


def _trials(sm, name: str) -> list[dict]:
    pages = sm.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job").paginate(
        HyperParameterTuningJobName=name, PaginationConfig={"PageSize": 4})
    return [t for p in pages for t in p["TrainingJobSummaries"]]


def test_workshop_tuning_job_finds_the_best_of_nine_trials_two_at_a_time(sm, role_arn, image, layout, local_client):
    name = unique("kfsm-hpo")[:32]
    arn = sm.create_hyper_parameter_tuning_job(**tuning_request(name, role_arn, image, layout))[
        "HyperParameterTuningJobArn"]
    assert arn.endswith(f":hyper-parameter-tuning-job/{name}")
    first = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert first["HyperParameterTuningJobStatus"] == "InProgress"
    most_at_once = 0
    while True:
        d = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        most_at_once = max(most_at_once, d["TrainingJobStatusCounters"]["InProgress"])
        if d["HyperParameterTuningJobStatus"] != "InProgress":
            break
        time.sleep(0.05)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    assert most_at_once <= 2
    assert d["TrainingJobStatusCounters"] == {"Completed": 9, "InProgress": 0, "RetryableError": 0,
                                              "NonRetryableError": 0, "Stopped": 0}
    assert d["ObjectiveStatusCounters"] == {"Succeeded": 9, "Pending": 0, "Failed": 0}
    assert d["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Off"
    trials = _trials(sm, name)
    assert len(trials) == 9 and len({t["TrainingJobName"] for t in trials}) == 9
    values = {t["TrainingJobName"]: t["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for t in trials}
    best = d["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"] == {
        "Type": "Minimize", "MetricName": "test:msd", "Value": min(values.values())}
    assert values[best["TrainingJobName"]] == min(values.values())
    assert set(best["TunedHyperParameters"]) == {"mini_batch_size", "extra_center_factor", "init_method"}
    assert 500 <= int(best["TunedHyperParameters"]["mini_batch_size"]) <= 600
    assert best["TrainingJobName"].startswith(f"{name}-") and best["ObjectiveStatus"] == "Succeeded"

    # each trial is a real training job with its own logs and metrics
    listed = {j["TrainingJobName"] for j in sm.list_training_jobs(NameContains=name, MaxResults=100)[
        "TrainingJobSummaries"]}
    assert listed == set(values)
    job = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert job["TuningJobArn"] == arn
    assert job["HyperParameters"]["_tuning_objective_metric"] == "test:msd"
    assert {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}["test:msd"] == min(values.values())
    streams = local_client("logs").describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs",
                                                        logStreamNamePrefix=best["TrainingJobName"] + "/")
    assert [s["logStreamName"].split("/")[1].rsplit("-", 1)[0] for s in streams["logStreams"]] == ["algo-1"]
    ordered = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, SortBy="FinalObjectiveMetricValue")["TrainingJobSummaries"]
    assert ordered[0]["TrainingJobName"] == best["TrainingJobName"]
    summaries = sm.list_hyper_parameter_tuning_jobs(NameContains=name)["HyperParameterTuningJobSummaries"]
    assert [(s["HyperParameterTuningJobName"], s["Strategy"]) for s in summaries] == [(name, "Bayesian")]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "kfsm-lab", "Value": "test"}]


def test_bayesian_matches_or_beats_random_on_the_same_budget(sm, role_arn, image, layout, capsys):
    """Five seeds each, 8 trials, on a space where the hyperparameters matter.

    One trial at a time, so each search sees its trials in a fixed order and the comparison repeats
    exactly (with two in parallel, which trial finishes first varies from run to run).
    """
    ranges = {"IntegerParameterRanges": [{"Name": "mini_batch_size", "MinValue": "20", "MaxValue": "3000"},
                                         {"Name": "extra_center_factor", "MinValue": "1", "MaxValue": "12"},
                                         {"Name": "local_lloyd_max_iter", "MinValue": "1", "MaxValue": "30"}],
              "CategoricalParameterRanges": [{"Name": "init_method", "Values": ["kmeans++", "random"]}]}
    names = {}
    for strategy in ("Bayesian", "Random"):
        for seed in range(5):
            name = unique(f"kfsm-{strategy[:3].lower()}{seed}")[:32]
            sm.create_hyper_parameter_tuning_job(**tuning_request(name, role_arn, image, layout, strategy, jobs=8,
                                                                  parallel=1, seed=seed, ranges=ranges))
            names[(strategy, seed)] = name
    best = {}
    for key, name in names.items():
        d = _wait_tuning(sm, name)
        assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
        best[key] = d["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    bayes = [best[("Bayesian", s)] for s in range(5)]
    rand = [best[("Random", s)] for s in range(5)]
    with capsys.disabled():
        print(f"\nbest test:msd over 5 seeds, 8 trials: Bayesian {[round(v, 3) for v in bayes]} "
              f"mean {statistics.mean(bayes):.4f}; Random {[round(v, 3) for v in rand]} "
              f"mean {statistics.mean(rand):.4f}")
    assert statistics.mean(bayes) <= statistics.mean(rand)


def test_stop_stops_the_running_trials(sm, role_arn, image, layout, local_cloud):
    local_cloud.admin("pace", {"pace": 20})
    try:
        name = unique("kfsm-hpo-stop")[:32]
        sm.create_hyper_parameter_tuning_job(**tuning_request(name, role_arn, image, layout, "Random", jobs=6))
        deadline = time.monotonic() + 30
        while sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
                "TrainingJobStatusCounters"]["InProgress"] < 2:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        t0 = time.monotonic()
        sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        assert sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
            "HyperParameterTuningJobStatus"] == "Stopping"
        d = _wait_tuning(sm, name, timeout=30)
        assert d["HyperParameterTuningJobStatus"] == "Stopped"
        assert time.monotonic() - t0 < 20  # well before the 20 s pace would have finished them
        trials = _trials(sm, name)
        assert len(trials) == 2 and {t["TrainingJobStatus"] for t in trials} == {"Stopped"}
        assert d["TrainingJobStatusCounters"]["Stopped"] == 2
        err = _error(sm.stop_hyper_parameter_tuning_job, HyperParameterTuningJobName=name)
        assert err["Error"]["Code"] == "ValidationException" and "status Stopped" in err["Error"]["Message"]
    finally:
        local_cloud.admin("pace", {"pace": 0})


def _error(call, **kwargs) -> dict:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response


def test_tuning_errors_are_the_services(sm, role_arn, image, layout):
    err = _error(sm.describe_hyper_parameter_tuning_job, HyperParameterTuningJobName="nope")
    assert err["Error"] == {"Code": "ResourceNotFound",
                            "Message": "Amazon SageMaker can't find a tuning job with name nope"}
    err = _error(sm.list_training_jobs_for_hyper_parameter_tuning_job, HyperParameterTuningJobName="nope")
    assert err["Error"]["Code"] == "ResourceNotFound"
    err = _error(sm.stop_hyper_parameter_tuning_job, HyperParameterTuningJobName="nope")
    assert err["Error"]["Code"] == "ResourceNotFound"

    def refused(req: dict) -> str:
        e = _error(sm.create_hyper_parameter_tuning_job, **req)
        assert e["Error"]["Code"] in ("ValidationException", "ResourceLimitExceeded"), e
        return e["Error"]["Message"]

    base = lambda **kw: tuning_request(unique("kfsm-bad")[:32], role_arn, image, layout, **kw)  # noqa: E731
    long_name = base()
    long_name["HyperParameterTuningJobName"] = "x" * 33
    assert "Member must have length less than or equal to 32" in refused(long_name)
    no_test = base()
    no_test["TrainingJobDefinition"]["InputDataConfig"] = no_test["TrainingJobDefinition"]["InputDataConfig"][:1]
    assert "'test' channel" in refused(no_test)
    assert "not tunable" in refused(base(ranges={"IntegerParameterRanges": [
        {"Name": "colour", "MinValue": "1", "MaxValue": "2"}]}))
    assert "greater than its MaxValue" in refused(base(ranges={"IntegerParameterRanges": [
        {"Name": "epochs", "MinValue": "5", "MaxValue": "2"}]}))
    assert "less than the minimum 1" in refused(base(ranges={"IntegerParameterRanges": [
        {"Name": "mini_batch_size", "MinValue": "0", "MaxValue": "10"}]}))
    assert "init_method" in refused(base(ranges={"CategoricalParameterRanges": [
        {"Name": "init_method", "Values": ["kmeans++", "best"]}]}))
    assert "Grid strategy searches only CategoricalParameterRanges" in refused(base(strategy="Grid"))
    assert "Number of concurrent training jobs" in refused(base(parallel=11))
    metric = base()
    metric["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]["MetricName"] = "validation:acc"
    assert "not emitted by the k-means algorithm" in refused(metric)
    both = base()
    both["TrainingJobDefinition"]["StaticHyperParameters"]["init_method"] = "random"
    assert "both static and tunable" in refused(both)
    bad_role = base()
    bad_role["TrainingJobDefinition"]["RoleArn"] = role_arn + "-missing"
    assert refused(bad_role).startswith(f"Could not assume role {role_arn}-missing")
    dup = base()
    sm.create_hyper_parameter_tuning_job(**{**dup, "HyperParameterTuningJobConfig": {
        **dup["HyperParameterTuningJobConfig"], "ResourceLimits": {"MaxNumberOfTrainingJobs": 1,
                                                                   "MaxParallelTrainingJobs": 1}}})
    e = _error(sm.create_hyper_parameter_tuning_job, **dup)
    assert e["Error"]["Code"] == "ResourceInUse"
    _wait_tuning(sm, dup["HyperParameterTuningJobName"])


def test_grid_runs_every_combination_and_early_stopping_auto_is_accepted(sm, role_arn, image, layout):
    name = unique("kfsm-grid")[:32]
    req = tuning_request(name, role_arn, image, layout, "Grid", ranges={"CategoricalParameterRanges": [
        {"Name": "init_method", "Values": ["kmeans++", "random"]},
        {"Name": "extra_center_factor", "Values": ["2", "4"]}]}, TrainingJobEarlyStoppingType="Auto")
    del req["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    sm.create_hyper_parameter_tuning_job(**req)
    d = _wait_tuning(sm, name)
    assert d["HyperParameterTuningJobStatus"] == "Completed"
    combos = {(t["TunedHyperParameters"]["init_method"], t["TunedHyperParameters"]["extra_center_factor"])
              for t in _trials(sm, name)}
    assert combos == {("kmeans++", "2"), ("kmeans++", "4"), ("random", "2"), ("random", "4")}
    assert d["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Auto"

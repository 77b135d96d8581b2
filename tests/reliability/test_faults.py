"""Faults injected into the local cloud: the kit retries what AWS says to retry, surfaces the rest
with the reason, and a re-run finishes the work."""

from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from rel_helpers import delta, stats, tag

from kfsm_lab import aws
from kfsm_lab.errors import AwsAccessError

ONE_ATTEMPT = Config(retries={"total_max_attempts": 1, "mode": "standard"})

# service, operation key, call, and what the real service answers when throttling / failing.
PROTOCOLS = [
    ("sagemaker", "sagemaker.ListModels", lambda c: c.list_models(), "ThrottlingException", 400),
    ("logs", "logs.DescribeLogGroups", lambda c: c.describe_log_groups(), "ThrottlingException", 400),
    ("iam", "iam.ListUsers", lambda c: c.list_users(), "Throttling", 400),
    ("sts", "sts.GetCallerIdentity", lambda c: c.get_caller_identity(), "Throttling", 400),
    ("s3", "s3.ListBuckets", lambda c: c.list_buckets(), "SlowDown", 503),
]


@pytest.mark.parametrize(("service", "op", "call", "code", "status"), PROTOCOLS, ids=[p[0] for p in PROTOCOLS])
def test_throttling_has_each_protocols_real_shape(local_cloud, service, op, call, code, status):
    """botocore parses the injected error into the real code, and classes it as throttling."""
    from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

    client = local_cloud.client(service, config=ONE_ATTEMPT)
    local_cloud.admin("faults", {"operation": op, "kind": "throttle", "count": 1})
    with pytest.raises(ClientError) as info:
        call(client)
    err = info.value.response
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    ctx = RetryContext(attempt_number=1, operation_model=None, parsed_response=err, http_response=None)
    assert ThrottledRetryableChecker().is_retryable(ctx)
    call(client)  # count 1: the next call is served


@pytest.mark.parametrize("status", [500, 503])
@pytest.mark.parametrize(("service", "op", "call"), [(p[0], p[1], p[2]) for p in PROTOCOLS],
                         ids=[p[0] for p in PROTOCOLS])
def test_server_errors_have_each_protocols_shape(local_cloud, service, op, call, status):
    client = local_cloud.client(service, config=ONE_ATTEMPT)
    local_cloud.admin("faults", {"operation": op, "kind": "error", "status": status, "count": 1})
    with pytest.raises(ClientError) as info:
        call(client)
    err = info.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status
    assert err["Error"]["Code"] in ({"InternalFailure", "InternalError"} if status == 500 else {"ServiceUnavailable"})


def test_kit_clients_use_standard_retries(ready):
    """aws.client: standard mode, 8 attempts; the pipeline steps' own clients: standard mode too."""
    from kfsm_lab.components.runtime import kfsm_client

    kit = aws.client(ready, "sagemaker")
    assert kit.meta.config.retries["mode"] == "standard" and kit.meta.config.retries["total_max_attempts"] >= 5
    step = kfsm_client("sagemaker", "us-west-2")
    assert step.meta.config.retries["mode"] == "standard" and step.meta.config.retries["total_max_attempts"] >= 5


def test_kit_client_rides_out_throttling_and_5xx(local_cloud, ready):
    sm = aws.client(ready, "sagemaker")
    s3 = aws.client(ready, "s3")
    local_cloud.admin("faults", {"operation": "sagemaker.ListTrainingJobs", "kind": "throttle", "count": 2})
    local_cloud.admin("faults", {"operation": "s3.HeadBucket", "kind": "error", "status": 503, "count": 1})
    before = stats(local_cloud)
    sm.list_training_jobs()
    s3.head_bucket(Bucket=ready.bucket)
    d = delta(before, stats(local_cloud))
    assert d["sagemaker.ListTrainingJobs"] == 3 and d["s3.HeadBucket"] == 2  # every fault was retried
    assert local_cloud.admin("faults")["faults"] == []


def test_kit_surfaces_what_is_not_retryable_with_the_reason(local_cloud, ready):
    """A 400 AccessDenied is not retried: one request, and the kit names the missing permission."""
    from kfsm_lab.predictions import find_latest_run

    local_cloud.admin("faults", {"operation": "sagemaker.ListEndpoints", "kind": "error", "status": 400,
                                 "code": "AccessDeniedException", "message": "not authorized", "count": 1})
    sm = aws.client(ready, "sagemaker")
    before = stats(local_cloud)
    with pytest.raises(ClientError) as info:
        find_latest_run(sm)
    assert delta(before, stats(local_cloud)) == {"sagemaker.ListEndpoints": 1}
    err = aws.translate(info.value, service="sagemaker")
    assert isinstance(err, AwsAccessError) and err.code == "AccessDeniedException"
    assert "sagemaker:ListEndpoints" in err.hint


def test_throttling_beyond_the_retry_budget_surfaces_with_a_hint(local_cloud, ready):
    local_cloud.admin("faults", {"operation": "sagemaker.ListModels", "kind": "throttle"})  # until cleared
    sm = aws.client(ready, "sagemaker", config=aws.botocore_config().merge(
        Config(retries={"total_max_attempts": 2, "mode": "standard"})))
    with pytest.raises(ClientError) as info:
        sm.list_models()
    err = aws.translate(info.value, "list models")
    assert err.code == "ThrottlingException" and "re-run" in err.hint
    assert "list models: ListModels failed with ThrottlingException" in err.message


def test_slow_responses_are_slow_but_answered(local_cloud, ready):
    local_cloud.admin("faults", {"operation": "sts.GetCallerIdentity", "kind": "slow", "seconds": 0.4, "count": 1})
    t0 = time.monotonic()
    assert aws.client(ready, "sts").get_caller_identity()["Account"]
    assert time.monotonic() - t0 >= 0.4


def test_bad_fault_requests_say_what_is_valid(local_cloud):
    import urllib.error

    for bad in ({"kind": "explode"}, {"kind": "slow"}, {"kind": "fail_job"}, {"kind": "throttle", "count": 0},
                {"kind": "error", "status": 200}, {"kind": "throttle", "colour": "red"}):
        with pytest.raises(urllib.error.HTTPError) as info:
            local_cloud.admin("faults", bad)
        assert info.value.code == 400
    assert local_cloud.admin("faults")["faults"] == []


@pytest.mark.slow
def test_pipeline_rides_out_throttling_and_5xx(local_cloud, ready):
    """Throttled describes, a throttled create and a 503 on another create: the run still succeeds once."""
    from kfsm_lab.pipeline import start_run

    run_id = f"relthr-{tag()}"
    for fault in ({"operation": "sagemaker.DescribeTrainingJob", "kind": "throttle", "count": 3},
                  {"operation": "sagemaker.CreateModel", "kind": "throttle", "count": 1},
                  {"operation": "sagemaker.CreateEndpoint", "kind": "error", "status": 503, "count": 1}):
        local_cloud.admin("faults", fault)
    before, fired_before = stats(local_cloud), local_cloud.admin("faults")["injected"]
    handle = start_run(ready, run_id=run_id).wait(timeout=180, interval=0.2)
    assert handle.state == "succeeded", handle.error
    d = delta(before, stats(local_cloud))
    injected = delta(fired_before, local_cloud.admin("faults")["injected"])
    assert injected.get("throttle sagemaker.DescribeTrainingJob") == 3
    assert injected.get("throttle sagemaker.CreateModel") == 1 and injected.get("error sagemaker.CreateEndpoint") == 1
    # each faulted create was retried exactly once more, and nothing was created twice
    assert d["sagemaker.CreateModel"] == 2 and d["sagemaker.CreateEndpoint"] == 2
    assert d["sagemaker.CreateTrainingJob"] == 1 and d["sagemaker.CreateTransformJob"] == 1


@pytest.mark.slow
def test_job_failing_midway_is_reported_and_a_rerun_finishes(local_cloud, ready):
    from kfsm_lab.names import STEP_TRAIN
    from kfsm_lab.pipeline import start_run

    run_id = f"relfail-{tag()}"
    local_cloud.admin("faults", {"kind": "fail_job", "job": f"kfsm-{run_id}-train", "after_seconds": 0,
                                 "reason": "AlgorithmError: the training instance was lost (injected)"})
    failed = start_run(ready, run_id=run_id).wait(timeout=180, interval=0.2)
    assert failed.state == "failed"
    train = failed.step(STEP_TRAIN)
    assert train["state"] == "failed" and train["job_status"] == "Failed"
    assert "training instance was lost" in (train["failure_reason"] or "")
    assert "training instance was lost" in failed.error
    sm = aws.client(ready, "sagemaker")
    desc = sm.describe_training_job(TrainingJobName=f"kfsm-{run_id}-train")
    assert desc["SecondaryStatus"] != "Completed" and desc["FailureReason"].startswith("AlgorithmError")
    # nothing after the failed step was made for that run
    assert not sm.list_models(NameContains=run_id)["Models"]
    assert not sm.list_endpoints(NameContains=run_id)["Endpoints"]

    again = start_run(ready, run_id=f"{run_id}-2").wait(timeout=180, interval=0.2)
    assert again.state == "succeeded", again.error


def test_faults_from_the_command_line(local_cloud, ready):
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = str(Path(sys.executable).with_name("kfsm-lab"))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([exe, "local", "faults", *args], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ))

    added = cli("add", "--kind", "throttle", "--operation", "sagemaker.ListModels", "--count", "2")
    assert added.returncode == 0 and "armed" in added.stdout, added.stderr
    listed = cli("list")
    assert "sagemaker.ListModels" in listed.stdout and "2 left" in listed.stdout
    before = stats(local_cloud)
    aws.client(ready, "sagemaker").list_models()
    assert delta(before, stats(local_cloud)) == {"sagemaker.ListModels": 3}
    assert "throttle sagemaker.ListModels:" in cli("list").stdout
    bad = cli("add", "--kind", "slow")
    assert bad.returncode == 1 and "seconds" in bad.stderr and "what to do:" in bad.stderr
    cli("add", "--kind", "error", "--operation", "s3.*")
    cleared = cli("clear")
    assert cleared.returncode == 0 and "cleared 1" in cleared.stdout

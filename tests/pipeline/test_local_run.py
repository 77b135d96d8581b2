"""The pipeline on the local target: kfp.local in a detached runner against the real local cloud over HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kfsm_lab import aws
from kfsm_lab.data import split_s3_uri
from kfsm_lab.monitor import diff, progress_figure
from kfsm_lab.names import STEP_TRAIN, STEPS
from kfsm_lab.pipeline import attach, list_runs, start_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first(ready, tmp_path_factory):
    """One complete run, with the figure saved mid-run and at the end (a person looks at these)."""
    figdir = tmp_path_factory.mktemp("figures")
    handle = start_run(ready)
    assert handle.state in ("pending", "running")  # start_run returns at once
    seen: list[dict] = []

    def on_update(h):
        snap = h.to_dict()
        seen.append(snap)
        if any(s["state"] == "running" for s in snap["steps"]) and not (figdir / "mid.png").exists():
            progress_figure(snap).savefig(figdir / "mid.png", dpi=72)

    handle.wait(timeout=180, interval=0.1, on_update=on_update)
    progress_figure(handle.to_dict()).savefig(figdir / "end.png", dpi=72)
    return handle, seen, figdir


def test_local_run_completes_with_all_outputs(first, ready):
    handle, seen, figdir = first
    assert handle.state == "succeeded", handle.error
    steps = {s["name"]: s for s in handle.steps}
    assert [steps[n]["state"] for n in STEPS] == ["succeeded"] * 4
    train = steps[STEP_TRAIN]
    assert train["job_status"] == "Completed" and train["metrics"].get("train:msd", 0) > 0
    assert train["logs"], "training log lines come from CloudWatch Logs"
    assert [p["status"] for p in train["phases"]][:1] == ["Starting"]
    assert all(s["start"] and s["end"] and s["end"] >= s["start"] for s in steps.values())

    s3, sm = aws.client(ready, "s3"), aws.client(ready, "sagemaker")
    out = handle.outputs
    bucket, key = split_s3_uri(out["model_artifact_url"])
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
    assert sm.describe_endpoint(EndpointName=out["endpoint_name"])["EndpointStatus"] == "InService"
    bucket, prefix = split_s3_uri(out["batch_output_uri"])
    body = s3.get_object(Bucket=bucket, Key=f"{prefix}/valid_data.csv.out")["Body"].read().decode()
    from kfsm_lab.predictions.invoke import parse_predictions

    assert len(parse_predictions(body)[0]) >= 100  # no Accept: one JSON answer per mini-batch, as on AWS
    job = sm.describe_training_job(TrainingJobName=out["training_job_name"])
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]}
    assert tags["kfsm-lab:run-id"] == handle.run_id and tags["kfsm-lab:created-by"] == "kfsm-lab"

    # the progress was visible while it ran, not only at the end
    assert any(s["state"] == "running" for s in seen)
    events = [e for a, b in zip([None, *seen], seen, strict=False) for e in diff(a, b)]
    assert any(e.kind == "step_state" and e.value == "running" for e in events)
    assert (figdir / "mid.png").stat().st_size > 5_000 and (figdir / "end.png").stat().st_size > 5_000


def test_reattach_and_list_runs(first):
    handle, _, _ = first
    again = attach(handle.run_id)  # a new handle from the record, as after a kernel restart
    assert again.state == "succeeded" and again.outputs["endpoint_name"] == handle.outputs["endpoint_name"]
    rows = list_runs(limit=50)
    row = next(r for r in rows if r["run_id"] == handle.run_id)
    assert row["target"] == "local" and row["state"] == "succeeded" and len(row["steps"]) == 4
    assert json.loads(json.dumps(rows)) == rows  # plain data


def test_no_key_in_run_files(first, ready):
    from kfsm_lab.pipeline.handle import pipeline_keys
    from kfsm_lab.pipeline.runs import record_path

    handle, _, _ = first
    secret = pipeline_keys(ready)["AWS_SECRET_ACCESS_KEY"]
    run_dir = Path(handle.log_path).parent
    files = [record_path(handle.run_id), *(p for p in run_dir.rglob("*") if p.is_file())]
    assert len(files) > 8  # run.json, status.json, the runner's and four task logs, executor files
    for f in files:
        assert secret not in f.read_text(errors="replace"), f


def test_edited_pipeline_with_a_user_step_runs_and_shows_everywhere(ready, first):
    """The kit's components plus the user's own evaluation step: five tasks, in the handle, CLI and runs list."""
    import os
    import subprocess
    import sys

    from kfsm_lab.pipeline.definition import default_arguments

    from .user_pipelines import mnist_with_evaluation

    handle = start_run(ready, pipeline=mnist_with_evaluation).wait(timeout=180)
    assert handle.state == "succeeded", handle.error
    steps = {s["name"]: s for s in handle.steps}
    assert set(steps) == {*STEPS, "evaluate"} and all(s["state"] == "succeeded" for s in steps.values())
    assert steps["evaluate"]["kind"] is None and steps["evaluate"]["depends_on"] == ["sagemaker-batch-transformation"]
    assert "predictions in s3://" in Path(steps["evaluate"]["log_path"]).read_text()
    assert handle.parameters["batch_transform_output"] == default_arguments(ready, handle.run_id)[
        "batch_transform_output"]  # the settings filled the parameters the user's pipeline declares
    row = next(r for r in list_runs(limit=50) if r["run_id"] == handle.run_id)
    assert len(row["steps"]) == 5 and row["pipeline_name"] == "mnist-with-evaluation"
    text = subprocess.run([sys.executable, "-m", "kfsm_lab", "pipeline", "status", handle.run_id],
                          capture_output=True, text=True, env=dict(os.environ), timeout=120).stdout
    assert "evaluate" in text and "succeeded" in text


def test_second_run_gets_its_own_resources(first, ready):
    handle, _, _ = first
    second = start_run(ready).wait(timeout=180)
    assert second.state == "succeeded", second.error
    assert second.run_id != handle.run_id
    a, b = handle.outputs, second.outputs
    for key in ("endpoint_name", "model_name", "training_job_name", "batch_output_uri", "model_artifact_url"):
        assert a[key] != b[key], key
    sm = aws.client(ready, "sagemaker")
    for out in (a, b):
        assert sm.describe_endpoint(EndpointName=out["endpoint_name"])["EndpointStatus"] == "InService"


def test_rerun_with_the_same_id_adopts(first, ready):
    handle, _, _ = first
    sm = aws.client(ready, "sagemaker")
    before = sm.describe_training_job(TrainingJobName=handle.outputs["training_job_name"])["CreationTime"]
    again = start_run(ready, run_id=handle.run_id).wait(timeout=180)
    assert again.state == "succeeded", again.error
    assert "adopting the existing training job" in Path(again.step(STEP_TRAIN)["log_path"]).read_text()
    assert "adopting the existing endpoint" in Path(again.step("sagemaker-deploy-model")["log_path"]).read_text()
    after = sm.describe_training_job(TrainingJobName=handle.outputs["training_job_name"])["CreationTime"]
    assert after == before


def test_wrong_feature_dim_fails_the_run_with_sagemakers_reason(ready):
    from kfsm_lab.errors import JobFailedError, WaitTimeoutError

    handle = start_run(ready.replace(feature_dim=12))
    with pytest.raises(WaitTimeoutError) as err:
        handle.wait(timeout=0)
    assert "pipeline status" in err.value.hint
    with pytest.raises(JobFailedError):
        handle.wait(timeout=180, raise_on_failure=True)
    assert handle.state == "failed"
    train = handle.step(STEP_TRAIN)
    assert train["state"] == "failed" and train["job_status"] == "Failed"
    reason = aws.client(ready, "sagemaker").describe_training_job(
        TrainingJobName=train["job_name"])["FailureReason"]
    assert reason and train["failure_reason"] == reason
    assert reason in handle.error
    assert [handle.step(n)["state"] for n in STEPS[1:]] == ["skipped"] * 3
    assert attach(handle.run_id).state == "failed"


def _set_pace(local_cloud, seconds: float) -> None:
    assert local_cloud.admin("pace", {"pace": seconds})["pace"] == seconds  # sends the admin token


def test_cancel_stops_the_training_job(ready, local_cloud):
    _set_pace(local_cloud, 30)  # phases take seconds, so the run can be caught mid-training
    try:
        handle = start_run(ready)
        deadline = time.monotonic() + 60
        while handle.step(STEP_TRAIN).get("job_status") != "InProgress":
            assert time.monotonic() < deadline, handle.to_dict()
            time.sleep(0.1)
            handle.refresh()
        handle.cancel(grace=30)
        assert handle.state == "canceled"
        assert handle.step(STEP_TRAIN)["state"] == "canceled"
        sm = aws.client(ready, "sagemaker")
        status = sm.describe_training_job(TrainingJobName=handle.step(STEP_TRAIN)["job_name"])["TrainingJobStatus"]
        assert status in ("Stopping", "Stopped")
        assert "stopping the SageMaker job" in Path(handle.step(STEP_TRAIN)["log_path"]).read_text()
        assert attach(handle.run_id).state == "canceled"
    finally:
        _set_pace(local_cloud, 0)


def test_describes_are_economical(first, ready):
    from kfsm_lab.pipeline.jobs import JobReader

    handle, _, _ = first
    reader = JobReader(ready, min_interval=5.0)
    for _ in range(10):
        view = reader.read("training_job", handle.outputs["training_job_name"])
    assert view["status"] == "Completed" and reader.calls == 1  # a finished job is read once
    for _ in range(10):
        missing = reader.read("training_job", "kfsm-not-started-train")
    assert missing["exists"] is False and reader.calls == 2  # at most one describe per interval


def _faults(local_cloud, method: str, body: dict | None = None) -> dict:
    return local_cloud.admin("faults", body, method=method)  # sends the admin token


def test_throttled_describes_are_retried_and_a_lost_transform_fails_the_run(ready, local_cloud):
    from kfsm_lab.names import STEP_TRANSFORM, new_run_id

    before = dict(_faults(local_cloud, "GET")["injected"])  # the session's cloud: other tests injected too
    try:
        _faults(local_cloud, "POST", {"operation": "sagemaker.DescribeTrainingJob", "kind": "throttle", "count": 3})
        _faults(local_cloud, "POST", {"operation": "sagemaker.DescribeModel", "kind": "error", "status": 503,
                                      "count": 2})
        run_id = new_run_id()
        _faults(local_cloud, "POST", {"kind": "fail_job", "job": f"kfsm-{run_id}-transform", "after_seconds": 0,
                                      "reason": "AlgorithmError: the instance was lost midway"})
        handle = start_run(ready, run_id=run_id).wait(timeout=180)
        after = _faults(local_cloud, "GET")["injected"]
        injected = {k: v - before.get(k, 0) for k, v in after.items()}
        assert injected.get("throttle sagemaker.DescribeTrainingJob") == 3
        assert injected.get("error sagemaker.DescribeModel") == 2
        assert injected.get(f"fail_job kfsm-{run_id}-transform") == 1
        # throttling and 5xx were retried (botocore standard mode); the lost job failed its step and the run
        assert handle.step(STEP_TRAIN)["state"] == "succeeded"
        assert handle.step("sagemaker-create-model")["state"] == "succeeded"
        assert handle.step("sagemaker-deploy-model")["state"] in ("succeeded", "skipped")
        transform = handle.step(STEP_TRANSFORM)
        assert transform["state"] == "failed" and "instance was lost midway" in transform["failure_reason"]
        assert handle.state == "failed" and "instance was lost midway" in handle.error
    finally:
        _faults(local_cloud, "DELETE")


def test_a_missing_bucket_fails_the_training_step_with_sagemakers_reason(ready):
    handle = start_run(ready, arguments={"dataset_path": "s3://kfsm-no-such-bucket-here/data"}).wait(timeout=180)
    assert handle.state == "failed"
    train = handle.step(STEP_TRAIN)
    assert train["state"] == "failed" and "No S3 objects found" in train["failure_reason"]
    assert "kfsm-no-such-bucket-here" in handle.error
    assert [handle.step(n)["state"] for n in STEPS[1:]] == ["skipped"] * 3

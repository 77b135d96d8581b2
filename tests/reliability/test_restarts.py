"""Restarts: a runner killed mid-run is re-run with the same run id and adopts what exists (no
duplicate creates, counted by the cloud); a restarted local cloud loses nothing, and one whose state was
reset is named as such, with the fix."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from rel_helpers import delta, fresh_settings, stats, tag

from kfsm_lab.names import STEP_TRAIN
from kfsm_lab.pipeline import attach, start_run

pytestmark = pytest.mark.slow

CREATES = ("sagemaker.CreateTrainingJob", "sagemaker.CreateModel", "sagemaker.CreateEndpointConfig",
           "sagemaker.CreateEndpoint", "sagemaker.CreateTransformJob")


def test_killed_runner_rerun_with_same_id_adopts_without_duplicates(separate_cloud):
    from kfsm_lab.provision import setup_all

    with separate_cloud(pace=3.0) as info:
        settings = setup_all(fresh_settings()).settings
        run_id = f"relkill-{tag()}"
        before = stats(info)
        handle = start_run(settings, run_id=run_id)
        deadline = time.monotonic() + 60
        while handle.refresh().step(STEP_TRAIN).get("job_status") != "InProgress":
            assert time.monotonic() < deadline, "training never started"
            time.sleep(0.1)
        from kfsm_lab.localkfp.store import Store

        status = Store().run(handle.kfp_run_id).status()
        os.killpg(status.pid, signal.SIGKILL)  # the runner and its step die; the SageMaker job goes on
        os.killpg(status.tasks[STEP_TRAIN].pid, signal.SIGKILL)
        time.sleep(0.3)
        dead = attach(run_id)
        assert dead.state == "failed" and "ended unexpectedly" in dead.error

        again = start_run(settings, run_id=run_id).wait(timeout=180, interval=0.2)
        assert again.state == "succeeded", again.error
        assert "adopting the existing training job" in Path(again.step(STEP_TRAIN)["log_path"]).read_text()
        d = delta(before, stats(info))
        assert {k: d.get(k, 0) for k in CREATES} == dict.fromkeys(CREATES, 1), d  # nothing created twice
        sm = info.client("sagemaker")
        assert [j["TrainingJobName"] for j in sm.list_training_jobs(NameContains=run_id)["TrainingJobSummaries"]] \
            == [f"kfsm-{run_id}-train"]
        assert sm.describe_endpoint(EndpointName=f"kfsm-{run_id}-endpoint")["EndpointStatus"] == "InService"
        assert all(s["state"] == "succeeded" for s in again.steps), [s["state"] for s in again.steps]


def test_a_reset_cloud_is_named_with_the_fix(separate_cloud):
    from kfsm_lab.checks import run_doctor
    from kfsm_lab.localcloud import ensure_running, reset
    from kfsm_lab.localcloud.restarts import CloudRestartedError
    from kfsm_lab.predictions import predict
    from kfsm_lab.provision import setup_all

    with separate_cloud(pace=0.0) as first:
        settings = setup_all(fresh_settings()).settings
        run_id = f"relrst-{tag()}"
        assert start_run(settings, run_id=run_id).wait(timeout=180, interval=0.2).state == "succeeded"
        assert run_doctor(settings).ok

        reset()
        second = ensure_running(pace=0)
        assert second.state_id and second.state_id != first.state_id

        with pytest.raises(CloudRestartedError) as err:  # not a raw ValidationException / NoSuchBucket
            predict(settings, run_id=run_id, n_test=10)
        assert "reset or lost" in err.value.message and "are gone" in err.value.message
        assert "re-run setup" in err.value.hint

        report = run_doctor(settings)
        rows = {c.name: c for c in report.checks}
        assert rows["local cloud"].status == "fail" and "reset or lost" in rows["local cloud"].detail
        assert rows["bucket and data"].status == "skip"  # one FAIL names the reset; what needs the cloud waits

        # the remedy works: setup makes everything again in the new state; then a run and predictions
        settings = setup_all(settings).settings
        assert run_doctor(settings).ok
        again = start_run(settings, run_id=f"{run_id}-2").wait(timeout=180, interval=0.2)
        assert again.state == "succeeded", again.error
        assert predict(settings, run_id=f"{run_id}-2", n_test=10).evaluation.n == 10


def test_a_stopped_cloud_after_setup_loses_nothing(separate_cloud):
    from kfsm_lab import aws
    from kfsm_lab.localcloud import ensure_running, stop
    from kfsm_lab.localcloud.restarts import check
    from kfsm_lab.provision import setup_all

    with separate_cloud(pace=0.0) as first:
        settings = setup_all(fresh_settings()).settings
        assert check() is None
        stop()
        assert check() is None  # stopped is not lost
        second = ensure_running(pace=0)
        assert second.state_id == first.state_id and check() is None
        aws.client(settings, "s3").head_bucket(Bucket=settings.bucket)


def test_starting_a_run_on_a_reset_cloud_names_the_reset(separate_cloud):
    from kfsm_lab.localcloud import ensure_running, reset
    from kfsm_lab.localcloud.restarts import CloudRestartedError
    from kfsm_lab.pipeline import list_runs
    from kfsm_lab.provision import setup_all

    with separate_cloud(pace=0.0):
        settings = setup_all(fresh_settings()).settings
        reset()
        ensure_running(pace=0)
        with pytest.raises(CloudRestartedError) as err:
            start_run(settings, run_id=f"relgone-{tag()}")
        assert "re-run setup" in err.value.hint
        assert list_runs() == []  # no run record for a run that could not start

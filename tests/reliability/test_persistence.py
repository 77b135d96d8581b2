"""The local cloud keeps its state in the state folder: stop + start, or a kill + start, brings back
the bucket's objects, IAM, logs and the SageMaker resources (endpoint InService and answering);
`kfsm-lab local reset --yes` empties it on purpose; a damaged saved file is set aside, not fatal."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rel_helpers import fresh_settings, tag

pytestmark = pytest.mark.slow


def _saved(info, timeout: float = 20.0) -> dict:
    """Wait until the cloud has written everything that changed (what a SIGKILL may not lose)."""
    deadline = time.monotonic() + timeout
    while True:
        st = info.admin("state")
        if not st["pending"] and st["saves"] > 0:
            time.sleep(2 * 0.5 + 0.2)  # one more saver turn: SageMaker's dump is compared every 0.5 s
            st = info.admin("state")
            if not st["pending"]:
                return st
        assert time.monotonic() < deadline, st
        time.sleep(0.1)


def _objects(info, bucket: str) -> dict[str, str]:
    s3 = info.client("s3")
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            out[o["Key"]] = hashlib.sha256(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()).hexdigest()
    return out


def _inventory(info, settings) -> dict:
    iam, logs = info.client("iam"), info.client("logs")
    return {
        "objects": _objects(info, settings.bucket),
        "bucket_tags": info.client("s3").get_bucket_tagging(Bucket=settings.bucket)["TagSet"],
        "role": iam.get_role(RoleName=settings.role_name)["Role"]["Arn"],
        "role_policies": sorted(p["PolicyArn"] for p in
                                iam.list_attached_role_policies(RoleName=settings.role_name)["AttachedPolicies"]),
        "user_keys": sorted(k["AccessKeyId"] for k in iam.list_access_keys(UserName=settings.iam_user)
                            ["AccessKeyMetadata"]),
        "log_groups": sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]),
    }


def _sagemaker_supported() -> bool:
    from kfsm_lab.localcloud.sagemaker.responses import SageMakerService

    return hasattr(SageMakerService, "dump_state") and hasattr(SageMakerService, "load_state")


def _check_sagemaker(info, settings, run_id: str) -> None:
    from kfsm_lab.predictions import predict

    if not _sagemaker_supported():
        pytest.xfail("SageMakerService.dump_state/load_state are not there yet: SageMaker resources are not kept")
    sm = info.client("sagemaker")
    endpoint = f"kfsm-{run_id}-endpoint"
    deadline = time.monotonic() + 60
    while sm.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline, "the endpoint did not come back InService"
        time.sleep(0.2)
    assert sm.describe_model(ModelName=f"kfsm-{run_id}-model")["ModelName"]
    assert sm.describe_training_job(TrainingJobName=f"kfsm-{run_id}-train")["TrainingJobStatus"] == "Completed"
    assert predict(settings, run_id=run_id, n_test=20).evaluation.n == 20  # it still answers


def test_stop_then_start_keeps_bucket_role_keys_logs_model_and_endpoint(separate_cloud):
    from kfsm_lab.localcloud import ensure_running, stop
    from kfsm_lab.localcloud.restarts import check
    from kfsm_lab.pipeline import start_run
    from kfsm_lab.provision import secret_store, setup_all

    with separate_cloud(pace=0.0) as first:
        settings = setup_all(fresh_settings()).settings
        run_id = f"relkeep-{tag()}"
        assert start_run(settings, run_id=run_id).wait(timeout=240, interval=0.2).state == "succeeded"
        before = _inventory(first, settings)
        assert before["objects"] and before["user_keys"]
        stop()
        second = ensure_running(pace=0)
        assert second.pid != first.pid and second.state_id == first.state_id
        assert _inventory(second, settings) == before
        creds = secret_store.pipeline_credentials(settings)  # the pipeline user's key still opens the door
        sts = second.session().client("sts", endpoint_url=second.endpoint_url,
                                      aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
                                      aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"])
        assert sts.get_caller_identity()["Arn"].endswith(f":user/{settings.iam_user}")
        assert check() is None  # a restart is not a loss
        _check_sagemaker(second, settings, run_id)


def test_a_killed_cloud_comes_back_with_what_it_had_saved(separate_cloud):
    from kfsm_lab.localcloud import ensure_running, status
    from kfsm_lab.provision import setup_all

    with separate_cloud(pace=0.0) as first:
        settings = setup_all(fresh_settings()).settings
        before = _inventory(first, settings)
        _saved(first)
        os.kill(first.pid, signal.SIGKILL)  # no clean shutdown, no final save
        deadline = time.monotonic() + 10
        while status() is not None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        second = ensure_running(pace=0)
        assert second.pid != first.pid and second.state_id == first.state_id
        assert _inventory(second, settings) == before
        folder = Path(second.state_file).parent / "localcloud"
        assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []  # atomic writes only


def test_reset_empties_it_on_purpose_and_the_kit_says_so(separate_cloud):
    from kfsm_lab.localcloud import ensure_running, status
    from kfsm_lab.localcloud.restarts import CloudRestartedError, check
    from kfsm_lab.provision import setup_all

    with separate_cloud(pace=0.0) as first:
        settings = setup_all(fresh_settings()).settings
        env = {**os.environ}
        refused = subprocess.run([sys.executable, "-m", "kfsm_lab", "local", "reset"], capture_output=True,
                                 text=True, env=env, timeout=120)
        assert refused.returncode == 1 and "kfsm-lab local reset --yes" in refused.stderr
        assert status() is not None  # nothing happened
        done = subprocess.run([sys.executable, "-m", "kfsm_lab", "local", "reset", "--yes", "--json"],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["stopped"] is True
        second = ensure_running(pace=0)
        assert second.state_id != first.state_id
        assert second.client("s3").list_buckets()["Buckets"] == []
        err = check()
        assert isinstance(err, CloudRestartedError) and "reset or lost" in err.message and "kfsm-lab setup" in err.hint
        with pytest.raises(CloudRestartedError):  # a kit call that finds nothing names the reset
            from kfsm_lab import aws

            aws.client(settings, "s3").head_bucket(Bucket=settings.bucket)
        settings = setup_all(settings).settings  # the remedy works
        assert check() is None


def test_a_damaged_saved_service_is_set_aside_and_the_rest_comes_back(separate_cloud):
    from kfsm_lab.localcloud import ensure_running, stop
    from kfsm_lab.provision import setup_all

    with separate_cloud(pace=0.0) as first:
        settings = setup_all(fresh_settings()).settings
        objects = _objects(first, settings.bucket)
        folder = Path(first.state_file).parent / "localcloud"
        stop()
        (folder / "moto-iam.pickle").write_bytes(b"\x80\x05not a pickle at all")
        second = ensure_running(pace=0)
        assert _objects(second, settings.bucket) == objects  # S3 came back
        assert second.client("iam").list_users()["Users"] == []  # IAM did not, and that is said
        assert second.state_id != first.state_id  # so the kit knows its IAM is gone
        assert list(folder.glob("moto-iam.pickle.bad-*"))
        log = Path(second.log_file).read_text()
        assert "saved iam state" in log and "set aside" in log and "kfsm-lab setup" in log

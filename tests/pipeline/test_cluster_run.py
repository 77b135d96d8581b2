"""A run on the aws target through the stand-in KFP API: handle state, links, wait, cancel, failure.

SageMaker describes go to the local cloud (AWS_ENDPOINT_URL), where this run's resources do not exist,
as for a run whose pods have not reached SageMaker yet.
"""

from __future__ import annotations

import pytest

from kfsm_lab.config import load_settings
from kfsm_lab.names import STEPS
from kfsm_lab.pipeline import attach, list_runs, start_run

from .kfp_standin import KfpStandIn

ROLE = "arn:aws:iam::123456789012:role/eksworkshop-sagemaker-kfp-role"


@pytest.fixture
def api():
    with KfpStandIn() as server:
        yield server


@pytest.fixture
def settings(api, local_cloud, monkeypatch, tmp_path):
    for key, value in local_cloud.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("KF_PIPELINES_SA_TOKEN_PATH", str(tmp_path / "no-token"))
    return load_settings(target="aws", kfp_host=api.url, bucket="kfsm-cluster-test", role_arn=ROLE)


def test_cluster_run_is_followed_to_success(api, settings):
    handle = start_run(settings)
    kfp_run_id = handle.to_dict()["kfp_run_id"]
    assert handle.links.run == f"{api.url}/#/runs/details/{kfp_run_id}"
    assert "Run link" in handle.links._repr_html_() and "Experiment link" in str(handle.links)
    body = api.runs[kfp_run_id]["runtime_config"]["parameters"]
    assert body["run_id"] == handle.run_id and body["image"].endswith("/kmeans:1")
    seen = []
    handle.wait(timeout=30, interval=0.01, on_update=lambda h: seen.append([s["state"] for s in h.steps]))
    assert handle.state == "succeeded"
    assert seen[0][0] == "running" and ["succeeded"] * 4 in seen
    assert all(s["start"] and s["end"] for s in handle.steps)
    assert attach(handle.run_id, settings).state == "succeeded"
    row = next(r for r in list_runs() if r["run_id"] == handle.run_id)
    assert row["target"] == "aws" and row["links"]["run"].endswith(kfp_run_id)


def test_cluster_failure_and_cancel(api, settings):
    api.fail_task = STEPS[1]
    failed = start_run(settings).wait(timeout=30, interval=0.01)
    assert failed.state == "failed" and failed.step(STEPS[1])["state"] == "failed"
    api.fail_task = None
    running = start_run(settings)
    running.refresh()
    running.cancel(grace=10)
    assert running.state == "canceled"
    assert api.runs[running.to_dict()["kfp_run_id"]]["terminated"]


def test_cli_prints_the_links(api, settings, local_cloud, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, **local_cloud.env(), "KF_PIPELINES_SA_TOKEN_PATH": str(tmp_path / "no-token")}
    r = subprocess.run([sys.executable, "-m", "kfsm_lab", "pipeline", "run", "--target", "aws", "--kfp-host", api.url,
                        "--bucket", settings.bucket, "--role-arn", ROLE], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    (kfp_run_id,) = api.runs
    assert f"Run link: {api.url}/#/runs/details/{kfp_run_id}" in r.stdout
    assert "Experiment link: " in r.stdout and "kfsm-lab pipeline status" in r.stdout
    api.mode = "rbac"
    denied = subprocess.run([sys.executable, "-m", "kfsm_lab", "pipeline", "run", "--target", "aws", "--kfp-host",
                             api.url, "--bucket", settings.bucket, "--role-arn", ROLE], capture_output=True, text=True,
                            env=env, timeout=120)
    assert denied.returncode == 1 and "RBAC: access denied" in denied.stderr and "Traceback" not in denied.stderr

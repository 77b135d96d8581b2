"""``kfsm-lab pipeline run|status|cancel`` as a person types them, against the local cloud."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kfsm_lab.pipeline import attach

pytestmark = pytest.mark.slow


def _cli(ready, *args):
    env = {**os.environ, "KFSM_IAM_USER": ready.iam_user, "KFSM_ROLE_NAME": ready.role_name}
    return subprocess.run([sys.executable, "-m", "kfsm_lab", "pipeline", *args], capture_output=True, text=True,
                          env=env, timeout=240)


def _where(ready):
    return ["--bucket", ready.bucket, "--role-arn", ready.role_arn]


def test_run_returns_at_once_and_status_reattaches_from_another_process(ready):
    r = _cli(ready, "run", *_where(ready), "--json")
    assert r.returncode == 0, r.stderr
    started = json.loads(r.stdout)
    run_id = started["run_id"]
    assert started["state"] in ("pending", "running", "succeeded") and len(started["steps"]) == 4
    s = _cli(ready, "status", run_id, "--json")  # another process re-attaches by id
    assert s.returncode == 0, s.stderr
    assert json.loads(s.stdout)["run_id"] == run_id
    attach(run_id).wait(timeout=180)
    snap = json.loads(_cli(ready, "status", run_id, "--json").stdout)
    assert snap["state"] == "succeeded", snap["error"]
    assert snap["outputs"]["endpoint_name"] == f"kfsm-{run_id}-endpoint"
    listing = json.loads(_cli(ready, "status", "--json").stdout)
    assert run_id in [row["run_id"] for row in listing]
    text = _cli(ready, "status", run_id).stdout
    assert f"run {run_id} (local): succeeded" in text and "train:msd" in text
    cancel = _cli(ready, "cancel", run_id)
    assert cancel.returncode == 0 and "succeeded" in cancel.stdout  # nothing left to cancel


def test_run_wait_shows_progress_and_ends_with_outputs(ready):
    r = _cli(ready, "run", *_where(ready), "--wait", "--run-id", "cli-wait-1")
    assert r.returncode == 0, r.stderr
    assert "run cli-wait-1 (local): succeeded" in r.stdout and "endpoint_name: kfsm-cli-wait-1-endpoint" in r.stdout
    assert "4/4" in r.stderr and "step state → running" in r.stderr  # the tqdm view and its events


def test_bad_run_ids_are_one_line_errors(ready):
    bad = _cli(ready, "status", "bad_id!")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "letters, digits and hyphens" in bad.stderr
    missing = _cli(ready, "status", "no-such-run")
    assert missing.returncode == 1 and "no run 'no-such-run'" in missing.stderr and "what to do:" in missing.stderr

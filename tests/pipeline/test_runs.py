"""Run records: a runner that died (or whose pid now belongs to another process) is not shown as running."""

from __future__ import annotations

import os

from kfsm_lab.config import load_settings
from kfsm_lab.pipeline import attach, list_runs, runs


def _record(run_id: str, pid: int | None) -> dict:
    settings = load_settings(bucket="kfsm-runs-test", role_arn="arn:aws:iam::123456789012:role/r")
    rec = runs.new_record(run_id, "local", settings.public_dict(), {})
    rec.update(state=runs.RUNNING, pid=pid, pgid=pid, created_at=runs.now() - 120, log_path="/nonexistent.log")
    runs.save(rec)
    return rec


def test_dead_or_recycled_runner_is_reported_failed(local_cloud):
    _record("stale-dead", 2**22 + 12345)  # beyond pid_max on a default Linux: no such process
    _record("stale-recycled", os.getpid())  # alive, but it is this test, not a runner
    rows = {r["run_id"]: r for r in list_runs(limit=500)}
    assert rows["stale-dead"]["state"] == "failed" and rows["stale-recycled"]["state"] == "failed"
    handle = attach("stale-recycled")
    assert handle.state == "failed" and "ended unexpectedly" in handle.error
    assert runs.load("stale-recycled")["state"] == "failed"  # written down for every later reader


def test_runner_identity_check():
    assert runs.pid_alive(os.getpid())
    assert not runs.pid_alive(os.getpid(), "some-run")
    assert not runs.pid_alive(None)

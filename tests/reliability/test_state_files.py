"""Corrupted or odd state files: each is named with its path and the fix, set aside (``*.bad-<time>``),
and never takes the kit down; a running local cloud is found even when its port file is lost."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

KFSM = [sys.executable, "-m", "kfsm_lab"]
BAD_JSON = {"truncated": '{"pid": 12', "pid abc": None, "a list": "[1, 2, 3]", "empty": "", "binary": "\x00\xff"}


def _bad(kind: str, good: dict | None = None) -> str:
    if kind == "pid abc":
        return json.dumps({**(good or {}), "pid": "abc"})
    return BAD_JSON[kind]


def _set_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".bad-*"))


def _serving(state: Path) -> list[int]:
    want = str(state / "localcloud.json").encode()
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
                zombie = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0] == "Z"
            except OSError:
                continue
            if b"kfsm_lab.localcloud" in args and want in args and not zombie:
                out.append(int(entry.name))
    return out


@pytest.fixture
def own_cloud(tmp_path, monkeypatch):
    """A cloud of this test's own state folder (KFSM_STATE_DIR set for this process and its children)."""
    from kfsm_lab.localcloud import ensure_running, stop

    state = tmp_path / "state"
    monkeypatch.setenv("KFSM_STATE_DIR", str(state))
    info = ensure_running(pace=0)
    try:
        yield state, info
    finally:
        stop()


@pytest.mark.parametrize("kind", sorted(BAD_JSON))
def test_a_bad_port_file_never_starts_a_second_cloud(own_cloud, kind, caplog):
    from kfsm_lab.localcloud import ensure_running, status

    state, info = own_cloud
    path = state / "localcloud.json"
    path.write_text(_bad(kind, json.loads(path.read_text())))
    with caplog.at_level(logging.WARNING, logger="kfsm_lab.state"):
        found = status()
    assert found is not None and found.pid == info.pid  # found through the alive lock
    again = ensure_running()
    assert again.reused and again.pid == info.pid and _serving(state) == [info.pid]
    assert _set_aside(path), "the bad file is kept aside for a look"
    assert json.loads(path.read_text())["pid"] == info.pid  # and written again
    msg = " ".join(r.getMessage() for r in caplog.records)
    assert str(path) in msg and "not a valid local cloud state file" in msg and "finds the running" in msg


def test_port_file_and_alive_file_both_lost(own_cloud):
    from kfsm_lab.localcloud import ensure_running, status

    state, info = own_cloud
    (state / "localcloud.json").unlink()
    (state / "localcloud.alive").unlink()
    found = status()  # by its process, the last resort
    assert found is not None and found.pid == info.pid
    assert ensure_running().pid == info.pid and _serving(state) == [info.pid]


def test_the_cloud_writes_its_port_file_again_when_it_is_deleted(tmp_path):
    state = tmp_path / "state"
    env = {**os.environ, "KFSM_STATE_DIR": str(state), "KFSM_LOCALCLOUD_IDLE_SECONDS": "2"}
    started = subprocess.run([*KFSM, "local", "start", "--json"], capture_output=True, text=True, env=env, timeout=120)
    pid = json.loads(started.stdout)["pid"]
    try:
        (state / "localcloud.json").unlink()
        deadline = time.monotonic() + 10
        while not (state / "localcloud.json").exists():
            assert time.monotonic() < deadline, "the cloud did not heal its state file"
            time.sleep(0.1)
        assert json.loads((state / "localcloud.json").read_text())["pid"] == pid
    finally:
        subprocess.run([*KFSM, "local", "stop", "--force"], capture_output=True, env=env, timeout=120)


def test_the_cli_names_a_bad_port_file_without_a_traceback(own_cloud):
    state, info = own_cloud
    (state / "localcloud.json").write_text('{"pid": "abc", "port": 1}')
    r = subprocess.run([*KFSM, "local", "status", "--json"], capture_output=True, text=True, env=os.environ.copy(),
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["pid"] == info.pid
    assert "localcloud.json is not a valid" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("kind", ["a list", "truncated", "pid abc"])
def test_a_bad_secret_store_is_set_aside_and_setup_replaces_the_key(local_cloud, kind):
    from rel_helpers import fresh_settings

    from kfsm_lab.errors import ConfigurationError
    from kfsm_lab.provision import secret_store, setup_iam

    settings = setup_iam(fresh_settings()).settings
    path = secret_store.path_for(settings)
    path.write_text(_bad(kind, {"access_key_id": "x"}))
    with pytest.raises(ConfigurationError, match="not in the local secret store"):
        secret_store.pipeline_credentials(settings)
    assert _set_aside(path)
    again = setup_iam(settings)
    assert {s.name: s.status for s in again.steps}["access key"] == "updated"  # rotated: still one key
    keys = local_cloud.client("iam").list_access_keys(UserName=settings.iam_user)["AccessKeyMetadata"]
    assert len(keys) == 1 and secret_store.load(settings)["access_key_id"] == keys[0]["AccessKeyId"]
    assert oct(path.stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("kind", ["a list", "truncated", "binary"])
def test_bad_restart_mark_lease_and_bucket_files(local_cloud, kind):
    from kfsm_lab.config import load_settings
    from kfsm_lab.localcloud import leases, restarts
    from kfsm_lab.provision.bucket import _memory, default_bucket_name

    mark = restarts.mark_file()
    mark.write_text(_bad(kind))
    assert restarts.check() is None and _set_aside(mark)
    restarts.acknowledge()
    assert restarts.check() is None and json.loads(mark.read_text())["state_id"] == local_cloud.state_id

    lease = leases.leases_dir() / "garbage.json"
    lease.write_text(_bad(kind))
    live = leases.live()
    assert all(isinstance(x, leases.Lease) for x in live) and _set_aside(lease)

    settings = load_settings(target="local", region="eu-north-1")
    memory = _memory(settings)
    memory.write_text(_bad(kind))
    name = default_bucket_name(settings)
    assert name.endswith("-kubeflow-pipeline-data") and _set_aside(memory)
    assert json.loads(memory.read_text()) == {"bucket": name}


def test_replaced_keys_file_is_named_with_the_fix(own_cloud, tmp_path):
    state, info = own_cloud
    (state / "localcloud-keys.json").write_text("garbage")
    r = subprocess.run([*KFSM, "local", "env"], capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "does not accept the keys" in r.stderr and "kfsm-lab local stop --force" in r.stderr
    assert _serving(state) == [info.pid]  # no second cloud
    stop = subprocess.run([*KFSM, "local", "stop", "--force", "--json"], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)
    assert json.loads(stop.stdout) == {"stopped": True}
    again = subprocess.run([*KFSM, "local", "status"], capture_output=True, text=True, env=os.environ.copy(),
                           timeout=60)
    assert again.returncode == 3

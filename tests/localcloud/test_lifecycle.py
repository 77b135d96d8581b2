"""Start, reuse, find, stop; the state file; the CLI; loopback only."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kfsm_lab.errors import ValidationError
from kfsm_lab.localcloud import ACCOUNT_ID, ensure_running, state_file, status

KFSM = str(Path(sys.executable).with_name("kfsm-lab"))


def test_second_call_reuses_the_running_cloud(local_cloud):
    again = ensure_running()
    assert again.reused and again.pid == local_cloud.pid and again.endpoint_url == local_cloud.endpoint_url
    found = status()
    assert found is not None and found.pid == local_cloud.pid
    assert local_cloud.endpoint_url.startswith("http://127.0.0.1:")
    public = json.dumps(local_cloud.public_dict())
    assert local_cloud.secret_access_key not in public and local_cloud.access_key_id not in public
    assert local_cloud.account_id == ACCOUNT_ID
    env = local_cloud.env()
    assert env["AWS_ENDPOINT_URL"] == local_cloud.endpoint_url and env["AWS_REGION"] == local_cloud.region
    assert stat.S_IMODE(os.stat(state_file()).st_mode) == 0o600


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([KFSM, "local", *args], capture_output=True, text=True, env=env, timeout=60)


def test_stale_state_file_is_replaced_and_cli_lifecycle(tmp_path):
    env = {**os.environ, "KFSM_STATE_DIR": str(tmp_path)}
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / "localcloud.json").write_text(json.dumps({
        "pid": dead.pid, "host": "127.0.0.1", "port": 9, "endpoint_url": "http://127.0.0.1:9"}))
    assert _run("status", "--json", env=env).returncode == 3  # stale: not running

    started = _run("start", "--json", "--pace", "0", env=env)
    assert started.returncode == 0, started.stderr
    info = json.loads(started.stdout)
    try:
        assert info["pid"] != dead.pid and info["reused"] is False
        assert "secret" not in started.stdout.lower() and "AKIA" not in started.stdout
        again = json.loads(_run("start", "--json", env=env).stdout)
        assert again["pid"] == info["pid"] and again["reused"] is True
        st = json.loads(_run("status", "--json", env=env).stdout)
        assert st["running"] is True and st["endpoint_url"] == info["endpoint_url"]
        exports = _run("env", env=env).stdout
        assert f"export AWS_ENDPOINT_URL={info['endpoint_url']}" in exports
        assert "export AWS_DEFAULT_REGION=" in exports
        who = subprocess.run([sys.executable, "-c", "import boto3; print(boto3.client('sts').get_caller_identity()"
                              "['Account'])"], capture_output=True, text=True, timeout=60,
                             env={**env, **dict(ln[7:].split("=", 1) for ln in exports.splitlines())})
        assert who.stdout.strip() == ACCOUNT_ID, who.stderr
    finally:
        stopped = _run("stop", "--json", env=env)
    assert json.loads(stopped.stdout) == {"stopped": True}
    assert not (tmp_path / "localcloud.json").exists()
    assert _run("status", env=env).returncode == 3
    from kfsm_lab.localcloud.leases import pid_alive

    assert not pid_alive(info["pid"])  # gone (or a zombie nobody reaps: some container inits do not)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])  # noqa: S104 - refused on purpose
def test_non_loopback_bind_is_refused(host):
    from kfsm_lab.localcloud.server import LocalCloudServer

    with pytest.raises(ValidationError, match="loopback"):
        LocalCloudServer(host=host)


def test_serve_refuses_non_loopback_from_the_command_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kfsm_lab.localcloud", "serve", "--host", "0.0.0.0",  # noqa: S104
                           "--state-file", str(tmp_path / "s.json")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "loopback" in proc.stderr
    assert not (tmp_path / "s.json").exists()


def test_the_region_of_a_new_cloud(monkeypatch, tmp_path):
    """The default goes unchecked (it must be one botocore knows); one asked for is checked before any start."""
    from kfsm_lab.localcloud import DEFAULT_REGION
    from kfsm_lab.localcloud.lifecycle import _region
    from kfsm_lab.validation import sagemaker_regions

    assert DEFAULT_REGION in sagemaker_regions()
    monkeypatch.delenv("KFSM_REGION", raising=False)
    assert _region(None) == DEFAULT_REGION and _region("EU-west-1") == "eu-west-1"
    monkeypatch.setenv("KFSM_REGION", "eu-central-1")
    assert _region(None) == "eu-central-1"
    monkeypatch.setenv("KFSM_REGION", "us-wst-2")
    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path))
    with pytest.raises(ValidationError, match="did you mean 'us-west-2'"):
        ensure_running(lease=False)
    assert not state_file().exists()


def test_pace_resolution(monkeypatch):
    from kfsm_lab.localcloud import resolve_pace

    monkeypatch.setenv("KFSM_PACE", "2.5")
    assert resolve_pace(None) == 2.5 and resolve_pace(0) == 0.0
    monkeypatch.setenv("KFSM_PACE", "fast")
    with pytest.raises(ValidationError, match="KFSM_PACE"):
        resolve_pace(None)
    for bad in (-1, float("nan"), float("inf"), 1e9, 61, "nan", True):
        with pytest.raises(ValidationError, match=r"between 0 and 60|real number|not true/false"):
            resolve_pace(bad)


def test_explicit_pace_applies_to_the_running_cloud(local_cloud):
    try:
        assert ensure_running(pace=1.5).pace == 1.5
        assert status().pace == 1.5
    finally:
        assert ensure_running(pace=0).pace == 0


_PREWARM_PROBE = """
import sys, threading
from kfsm_lab.localcloud import ensure_running, stop
ensure_running(pace=0, lease=False, prewarm=sys.argv[1] == "yes")
try:  # returned once the load-ahead is done: nothing of it is left to run beside the next steps' calls
    from kfsm_lab.provision import data_upload
    print("kfp.client" in sys.modules, any(th.name == "kfsm-prewarm" for th in threading.enumerate()),
          bool(data_upload._ahead))
finally:
    stop()
"""


@pytest.mark.parametrize("prewarm", ["yes", "no"])
def test_a_cold_start_loads_ahead_only_for_a_process_that_makes_the_calls(tmp_path, prewarm):
    """``kfsm-lab run`` starts the cloud for the notebook's kernel: its own process loads nothing ahead. A
    process that makes the calls gets the cloud back once the load-ahead is done."""
    env = {**os.environ, "KFSM_STATE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", _PREWARM_PROBE, prewarm], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    loaded, still_loading, encoded = out.stdout.split()[-3:]
    assert loaded == ("True" if prewarm == "yes" else "False"), out.stdout  # kfp.Client()'s needs: the largest
    assert still_loading == "False", out.stdout
    assert encoded == ("True" if prewarm == "yes" else "False"), out.stdout  # the sample's upload, for setup


def test_a_cloud_found_once_is_known_without_a_call_until_its_state_file_changes(local_cloud):
    from kfsm_lab.localcloud import connect, lifecycle

    assert status().pid == local_cloud.pid
    known = lifecycle.known()
    assert known is not None and known.pid == local_cloud.pid and known.endpoint_url == local_cloud.endpoint_url
    assert connect(start=False).pid == local_cloud.pid
    path = state_file()
    path.write_text(path.read_text())  # the same cloud, a rewritten file: look again
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    assert lifecycle.known() is None
    assert connect(start=False).pid == local_cloud.pid and lifecycle.known() is not None


def test_a_stopped_cloud_is_known_no_more(tmp_path, monkeypatch):
    from kfsm_lab.localcloud import connect, lifecycle, stop

    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path))
    info = ensure_running(pace=0, lease=False)
    try:
        assert lifecycle.known().pid == info.pid
    finally:
        stop()
    assert lifecycle.known() is None
    with pytest.raises(Exception, match="no local cloud is running"):
        connect(start=False)

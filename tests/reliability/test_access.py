"""Access: the local cloud binds loopback only, and the user's real AWS credentials never reach it
(its own count of signing keys proves it). Server-extension routes: see server_routes/."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from kfsm_lab.localcloud.server import fingerprint


# --- the local cloud binds loopback only ---------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])  # noqa: S104
def test_local_cloud_refuses_non_loopback_addresses(host):
    from kfsm_lab.errors import ValidationError
    from kfsm_lab.localcloud.server import LocalCloudServer, check_loopback

    with pytest.raises(ValidationError) as info:
        check_loopback(host)
    assert "loopback" in info.value.message and "127.0.0.1" in info.value.hint
    with pytest.raises(ValidationError):
        LocalCloudServer(host=host, port=0)


def test_local_cloud_process_exits_when_told_to_bind_everywhere(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "kfsm_lab.localcloud", "serve", "--host", "0.0.0.0",  # noqa: S104
                           "--port", "0", "--state-file", str(tmp_path / "state.json")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "loopback" in proc.stderr
    assert not (tmp_path / "state.json").exists()


def test_running_local_cloud_listens_on_loopback_only(local_cloud):
    assert local_cloud.host == "127.0.0.1"
    with socket.create_connection(("127.0.0.1", local_cloud.port), timeout=2):
        pass
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A" and int(local.split(":")[1], 16) == local_cloud.port:  # LISTEN
            assert local.split(":")[0] == "0100007F"  # 127.0.0.1


# --- the user's real credentials never reach the local cloud -------------------------------------
FAKE_KEY, FAKE_SECRET, FAKE_TOKEN = "AKIAFAKEREALUSERKEY1", "fake-real-secret-0123456789abcdefghijklmn", \
    "FakeRealSessionToken//////////////////////////////////////////0123"


@pytest.mark.slow
def test_real_aws_credentials_never_reach_the_local_cloud(local_cloud, monkeypatch):
    from rel_helpers import fresh_settings

    from kfsm_lab.pipeline import start_run
    from kfsm_lab.predictions import predict
    from kfsm_lab.provision import secret_store, setup_all

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", FAKE_TOKEN)
    local_cloud.admin("stats/reset", {})
    settings = setup_all(fresh_settings()).settings
    handle = start_run(settings).wait(timeout=180, interval=0.2)
    assert handle.state == "succeeded", handle.error
    assert predict(settings, handle.run_id, n_test=20).evaluation.n == 20
    seen = local_cloud.admin("stats")
    keys, tokens = seen["access_key_fingerprints"], seen["session_token_fingerprints"]
    pipeline_key = secret_store.load(settings)["access_key_id"]
    assert fingerprint(local_cloud.access_key_id) in keys  # the kit's own calls: the local cloud's keys
    assert fingerprint(pipeline_key) in keys  # the steps: the pipeline user the setup made
    assert sum(keys.values()) == seen["total"]  # every request was signed and counted
    assert fingerprint(FAKE_KEY) not in keys
    assert fingerprint(FAKE_TOKEN) not in tokens and not tokens
    print(f"\nsigning keys seen: {len(keys)} fingerprints over {seen['total']} requests; fake real key: 0")

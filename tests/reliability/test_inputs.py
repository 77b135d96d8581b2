"""Other inputs at the kit's boundaries: run ids, AWS_PROFILE on the local target, pace values, notebook
paths, and uploads that stall. Each gets a clear error (or just works), never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from kfsm_lab.errors import KfsmError, ValidationError

KFSM = [sys.executable, "-m", "kfsm_lab"]


# --- run ids -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["a" + "-" * 300 + "b", "x" * 41, "a-" * 30 + "b", "-a", "a-", "a_b", "", "ü"])
def test_run_ids_are_at_most_40_characters_of_the_allowed_set(bad):
    from kfsm_lab.validation import run_name

    with pytest.raises(ValidationError) as err:
        run_name(bad)
    assert "run_name" in err.value.message and err.value.hint
    assert len(str(err.value)) < 400  # a 302-character id is not echoed in full


def test_every_name_made_from_the_longest_run_id_fits_sagemaker():
    from kfsm_lab.names import resource_names
    from kfsm_lab.validation import MAX_RUN_NAME, run_name

    longest = "a" + "-b" * ((MAX_RUN_NAME - 1) // 2)
    longest += "c" * (MAX_RUN_NAME - len(longest))
    assert run_name(longest) == longest and len(longest) == MAX_RUN_NAME
    assert all(len(n) <= 63 for n in resource_names(longest).as_dict().values())


def test_the_cli_refuses_a_long_run_id_cleanly(local_cloud):
    r = subprocess.run([*KFSM, "cleanup", "--run", "a" + "-" * 300 + "b"], capture_output=True, text=True,
                       env=os.environ.copy(), timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr and "File name too long" not in r.stderr
    assert "at most 40" in r.stderr or "at most 40" in r.stdout


# --- AWS_PROFILE is for the aws target ---------------------------------------------------------------------
def test_a_missing_aws_profile_does_not_break_the_local_target(local_cloud, monkeypatch):
    from kfsm_lab import aws
    from kfsm_lab.config import load_settings

    monkeypatch.setenv("AWS_PROFILE", "nonexistent")
    settings = load_settings(target="local")
    assert aws.client(settings, "sts").get_caller_identity()["Account"] == local_cloud.account_id
    assert local_cloud.client("s3").list_buckets() is not None
    r = subprocess.run([*KFSM, "setup", "bucket", "--target", "local", "--bucket", "kfsm-profile-test", "--json"],
                       capture_output=True, text=True, env={**os.environ, "AWS_PROFILE": "nonexistent"}, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "ProfileNotFound" not in r.stderr


# --- pace ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e9", "61", "-1", "fast"])
def test_bad_paces_are_refused_before_the_shared_cloud_changes(local_cloud, bad, tmp_path):
    before = local_cloud.admin("pace")["pace"]
    start = subprocess.run([*KFSM, "local", "start", "--pace", bad, "--json"], capture_output=True, text=True,
                           env=os.environ.copy(), timeout=120)
    assert start.returncode == 1 and "Traceback" not in start.stderr
    assert "pace" in start.stdout + start.stderr and "NaN" not in start.stdout
    run = subprocess.run([*KFSM, "run", "-p", f"pace={bad}", "-o", str(tmp_path / "out"), "--json"],
                         capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert local_cloud.admin("pace")["pace"] == before  # the shared cloud did not change
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as err:
        local_cloud.admin("pace", {"pace": float(bad) if bad != "fast" else bad})
    assert err.value.code == 400


def test_pace_1000_from_a_notebook_parameter_leaves_the_cloud_alone(local_cloud, tmp_path):
    before = local_cloud.admin("pace")["pace"]
    r = subprocess.run([*KFSM, "run", "-p", "pace=1000", "-o", str(tmp_path / "out")], capture_output=True,
                       text=True, env=os.environ.copy(), timeout=120)
    assert r.returncode == 1 and "between 0 and 60" in r.stdout + r.stderr and "Traceback" not in r.stderr
    assert local_cloud.admin("pace")["pace"] == before
    assert not (tmp_path / "out").exists()  # refused before anything ran


# --- notebook paths -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["/tmp/evil", "../../../tmp/evil", "ja/../../evil"])
def test_notebooks_run_only_runs_bundled_notebooks(tmp_path, name):
    import nbformat

    evil = tmp_path / "evil.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"open({str(tmp_path / 'ran')!r}, 'w').write('x')")]
    nbformat.write(nb, evil)
    target = str(tmp_path / "evil") if name.startswith("/") else name
    from kfsm_lab.notebooks import path_of

    with pytest.raises(KfsmError) as err:
        path_of(target)
    assert "not one of the bundled notebooks" in err.value.message or "no bundled notebook" in err.value.message
    r = subprocess.run([*KFSM, "notebooks", "run", target, "-o", str(tmp_path / "out")], capture_output=True,
                       text=True, env=os.environ.copy(), timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert not (tmp_path / "ran").exists()


# --- stalled uploads ---------------------------------------------------------------------------------------
def test_a_stalled_upload_does_not_hold_a_server_thread(local_cloud, monkeypatch):
    from dataclasses import replace

    from kfsm_lab.localcloud.server import LocalCloudServer

    monkeypatch.setenv("KFSM_LOCALCLOUD_SOCKET_TIMEOUT", "1.5")
    server = LocalCloudServer(pace=0).start()
    try:
        info = replace(local_cloud, endpoint_url=server.endpoint_url, port=server.port)
        baseline = threading.active_count()
        stalled = []
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            s.sendall(b"PUT /bucket/key HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\npartial")
            stalled.append(s)
        time.sleep(0.5)
        assert threading.active_count() >= baseline + 5  # one server thread each, for now
        deadline = time.monotonic() + 10
        while threading.active_count() > baseline:
            assert time.monotonic() < deadline, "stalled uploads still hold server threads"
            time.sleep(0.1)
        for s in stalled:
            s.settimeout(5)
            assert s.recv(100) == b""  # the server gave up on it and closed the connection
            s.close()
        assert info.client("sts").get_caller_identity()["Account"]  # still serving
    finally:
        server.shutdown()


def test_the_socket_timeout_setting_is_validated(monkeypatch):
    from kfsm_lab.localcloud.constants import DEFAULT_SOCKET_TIMEOUT
    from kfsm_lab.localcloud.server import socket_timeout

    for bad in ("nan", "-1", "0", "soon", "inf"):
        monkeypatch.setenv("KFSM_LOCALCLOUD_SOCKET_TIMEOUT", bad)
        assert socket_timeout() == DEFAULT_SOCKET_TIMEOUT
    monkeypatch.setenv("KFSM_LOCALCLOUD_SOCKET_TIMEOUT", "5")
    assert socket_timeout() == 5.0

"""Sharing the local cloud: leases count its users, the last `kfsm-lab run` that needed it stops it, a
killed user leaves no cloud running forever, and a command that only reads never starts one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

KFSM = [sys.executable, "-m", "kfsm_lab"]
HOLDER = ("import os, sys, time; os.environ['KFSM_STATE_DIR'] = sys.argv[1]\n"
          "from kfsm_lab.localcloud import ensure_running\n"
          "info = ensure_running(pace=0)\n"
          "print(info.pid, flush=True)\n"
          "time.sleep(600)\n")


def _env(state: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KFSM_LOCALCLOUD_LEASE"}
    return {**env, "KFSM_STATE_DIR": str(state), **extra}


def _cli(state: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*KFSM, *args], capture_output=True, text=True, env=_env(state, **extra), timeout=300)


def _serving(state: Path) -> list[int]:
    """pids of local cloud processes serving ``state`` (from the process table, not from any state file)."""
    want = str(state / "localcloud.json")
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
                stat = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
            except OSError:
                continue
            if b"kfsm_lab.localcloud" in args and want.encode() in args and stat != "Z":
                pids.append(int(entry.name))
    return pids


def _wait_gone(state: Path, timeout: float) -> float:
    start = time.monotonic()
    while _serving(state):
        assert time.monotonic() - start < timeout, f"a local cloud still serves {state}"
        time.sleep(0.2)
    return time.monotonic() - start


def _holder(state: Path, **extra: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(state)], stdout=subprocess.PIPE, text=True,
                            env=_env(state, **extra))
    line = proc.stdout.readline()  # type: ignore[union-attr]
    assert line.strip().isdigit(), "the holder did not get a cloud"
    return proc, int(line)


@pytest.mark.slow
def test_two_runs_at_once_on_one_state_folder_both_succeed_and_leave_no_cloud_running(tmp_path):
    state = tmp_path / "state"
    runs = [subprocess.Popen([*KFSM, "run", "-o", str(tmp_path / f"out{i}"), "--no-progress", "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(state))
            for i in range(2)]
    results = [p.communicate(timeout=900) for p in runs]
    for p, (out, err) in zip(runs, results, strict=True):
        assert p.returncode == 0, err[-3000:]
        assert "CloudRestartedError" not in err and "Traceback" not in err
        assert json.loads(out)["state"] == "succeeded"
    assert _serving(state) == []  # the last one to finish stopped it; nothing is left running
    assert _cli(state, "local", "status").returncode == 3
    live = list((state / "leases").glob("*.json"))
    assert live == [], live


def test_a_killed_user_leaves_no_cloud_running_forever(tmp_path):
    state = tmp_path / "state"
    holder, cloud_pid = _holder(state, KFSM_LOCALCLOUD_IDLE_SECONDS="2")
    try:
        time.sleep(3)  # longer than the idle time: the live lease keeps it running
        assert _serving(state) == [cloud_pid]
        os.kill(holder.pid, signal.SIGKILL)  # no chance to release anything
        holder.wait()
        waited = _wait_gone(state, 30)
    finally:
        holder.kill()
    assert waited < 30
    assert "no live lease and no request" in (state / "localcloud.log").read_text()
    assert not (state / "localcloud.json").exists()


def test_the_user_lease_keeps_it_running_until_local_stop(tmp_path):
    state = tmp_path / "state"
    started = _cli(state, "local", "start", "--json", KFSM_LOCALCLOUD_IDLE_SECONDS="1")
    assert started.returncode == 0, started.stderr
    pid = json.loads(started.stdout)["pid"]
    try:
        time.sleep(3)
        assert _serving(state) == [pid]
        holder, same = _holder(state)  # a kit process uses it too
        try:
            assert same == pid
            stop = _cli(state, "local", "stop")
            assert stop.returncode == 0 and "still used by" in stop.stdout and f"pid {holder.pid}" in stop.stdout
            assert "--force" in stop.stdout and _serving(state) == [pid]
        finally:
            holder.kill()
            holder.wait()
        stop = _cli(state, "local", "stop", "--json")
        assert json.loads(stop.stdout) == {"stopped": True}
    finally:
        _cli(state, "local", "stop", "--force")
    _wait_gone(state, 20)


def test_local_stop_force_stops_a_cloud_in_use(tmp_path):
    state = tmp_path / "state"
    holder, _ = _holder(state)
    try:
        stop = _cli(state, "local", "stop", "--force", "--json")
        assert json.loads(stop.stdout) == {"stopped": True}
        _wait_gone(state, 20)
    finally:
        holder.kill()
        holder.wait()


def test_reading_never_starts_a_cloud(tmp_path, monkeypatch):
    from kfsm_lab import aws
    from kfsm_lab.config import load_settings
    from kfsm_lab.localcloud import NotRunningError, connect, status

    state = tmp_path / "state"
    monkeypatch.setenv("KFSM_STATE_DIR", str(state))
    assert status() is None
    with pytest.raises(NotRunningError) as err:
        connect(start=False)
    assert "no local cloud is running" in err.value.message and "kfsm-lab local start" in err.value.hint
    with pytest.raises(NotRunningError):
        aws.client(load_settings(target="local"), "sagemaker", start=False)
    st = _cli(state, "local", "status", "--json")
    assert st.returncode == 3 and json.loads(st.stdout) == {"running": False}
    assert _serving(state) == []
    assert not list((state / "leases").glob("*.json")) if (state / "leases").exists() else True


def test_a_second_serve_on_one_state_folder_refuses_to_start(tmp_path):
    state = tmp_path / "state"
    holder, pid = _holder(state)
    try:
        second = subprocess.run([sys.executable, "-m", "kfsm_lab.localcloud", "serve", "--state-file",
                                 str(state / "localcloud.json")], capture_output=True, text=True, timeout=60,
                                env=_env(state))
        assert second.returncode == 3 and "already serves" in second.stderr
        assert _serving(state) == [pid]
    finally:
        holder.kill()
        holder.wait()
        _cli(state, "local", "stop", "--force")

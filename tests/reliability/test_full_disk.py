"""A full disk under the state folder: a clear error naming the folder and the space needed, no temp
file left behind, records untouched — and the local cloud keeps serving, saving again once there is room.

A small tmpfs when this process may mount one (root); else the file-size limit (RLIMIT_FSIZE) on the
command, which fails writes with EFBIG the same way."""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import IN_CI

KFSM = [sys.executable, "-m", "kfsm_lab"]


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def _fill(folder: Path) -> Path:
    """Write a filler file until the disk says ENOSPC."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)
    return filler


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "filler" and p.suffix != ".log"
            and not {"leases", "localcloud"} & set(p.relative_to(folder).parts) and p.name != "localcloud.alive"}


def _temps(folder: Path) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and (p.name.endswith(".tmp") or ".tmp." in p.name)]


@pytest.fixture
def small_disk(tmp_path):
    """``(state folder, how)``: ``tmpfs`` (filled up) or ``fsize`` (a 128-byte file-size limit for the command)."""
    mnt = tmp_path / "disk"
    if _mount_tmpfs(mnt, "64m"):
        try:
            yield mnt / "state", "tmpfs"
        finally:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
    else:
        if IN_CI and os.geteuid() == 0:
            pytest.fail("CI runs as root: a tmpfs must be mountable")
        yield mnt / "state", "fsize"


def _limited():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (128, 128))


def test_setup_on_a_full_disk_says_so_and_leaves_nothing_behind(small_disk):
    state, how = small_disk
    env = {**os.environ, "KFSM_STATE_DIR": str(state)}
    args = [*KFSM, "setup", "all", "--bucket", "kfsm-full-disk-bucket"]
    started = subprocess.run([*KFSM, "local", "start", "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert started.returncode == 0, started.stderr
    try:
        first = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
        assert first.returncode == 0, first.stderr  # the state as it was before the disk filled up
        before = _digests(state)
        filler = _fill(state.parent) if how == "tmpfs" else None
        again = subprocess.run([*args[:-1], "kfsm-full-disk-2"], capture_output=True, text=True, env=env,
                               timeout=300, preexec_fn=_limited if how == "fsize" else None)
        assert again.returncode == 1, again.stdout + again.stderr
        assert "Traceback" not in again.stderr and "OSError" not in again.stderr
        if how == "tmpfs":
            assert f"no space left in {state}" in again.stderr and "needs about" in again.stderr
        else:
            assert f"in {state}" in again.stderr and "file size limit" in again.stderr
        assert "KFSM_STATE_DIR" in again.stderr  # the hint says where else it could go
        assert _temps(state) == []
        assert _digests(state) == before  # records untouched
        if filler is not None:
            filler.unlink()
        ok = subprocess.run([*args[:-1], "kfsm-full-disk-2"], capture_output=True, text=True, env=env, timeout=300)
        assert ok.returncode == 0, ok.stderr  # with room again, the same command works
    finally:
        subprocess.run([*KFSM, "local", "stop", "--force"], capture_output=True, env=env, timeout=120)


def test_the_local_cloud_keeps_serving_on_a_full_disk_and_saves_once_there_is_room(small_disk, monkeypatch):
    state, how = small_disk
    if how != "tmpfs":
        pytest.skip("needs a real full disk under the running cloud (a tmpfs, so root)")
    monkeypatch.setenv("KFSM_STATE_DIR", str(state))
    from kfsm_lab.localcloud import ensure_running, stop

    try:
        info = ensure_running(pace=0)
        s3 = info.client("s3")
        s3.create_bucket(Bucket="kfsm-full-disk-cloud", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        filler = _fill(state.parent)
        s3.put_object(Bucket="kfsm-full-disk-cloud", Key="k", Body=b"x" * 100_000)  # it still answers
        deadline = time.monotonic() + 15
        while "no space left" not in str(info.admin("state")["last_error"]):
            assert time.monotonic() < deadline, info.admin("state")
            time.sleep(0.2)
        assert info.admin("state")["pending"] == ["s3"]
        assert _temps(state / "localcloud") == []
        filler.unlink()
        deadline = time.monotonic() + 15
        while info.admin("state")["pending"]:
            assert time.monotonic() < deadline, info.admin("state")
            time.sleep(0.2)
        stop()
        again = ensure_running(pace=0)
        assert again.client("s3").get_object(Bucket="kfsm-full-disk-cloud", Key="k")["Body"].read() == b"x" * 100_000
    finally:
        stop()


def test_write_json_on_a_full_disk_names_the_folder_and_removes_its_temp_file(tmp_path):
    from kfsm_lab.state import DiskFullError, write_json

    target = tmp_path / "record.json"
    write_json(target, {"kept": True})
    pid = os.fork()
    if pid == 0:  # a child with a 1 KB file-size limit: the write fails with EFBIG
        code = 1
        try:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))
            try:
                write_json(target, {"big": "x" * 10_000})
            except DiskFullError as exc:
                code = 0 if (str(tmp_path) in exc.message and "file size limit" in exc.message) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    assert target.read_text() == '{\n  "kept": true\n}'
    assert _temps(tmp_path) == []

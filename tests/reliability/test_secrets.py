"""Secrets: after whole runs (the CLI's headless notebook, the widgets panel), no output, log or file
the kit wrote holds the pipeline user's access key id or secret, nor the local cloud's own root key or
admin token — only the 0600 secret store, the cloud's 0600 keys file and its 0600 saved state (which holds
the IAM keys it issued, as IAM does) in the 0700 state folder.

The keys are read from the secret store, and the cloud's own count of signing keys shows the run
really used them, so the scan looks for the right strings."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kfsm_lab.localcloud.server import fingerprint

pytestmark = pytest.mark.slow


def stored_keys(state: Path) -> dict[str, str]:
    """``{access key id: secret}`` of every secret file, each checked to be 0600 in a 0700 folder."""
    keys = {}
    folder = state / "secrets"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.glob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        rec = json.loads(path.read_text())
        keys[rec["access_key_id"]] = rec["secret_access_key"]
    return keys


def private_places(state: Path) -> list[Path]:
    """Where secrets may be, each checked 0600 (files) in 0700 (folders): never read by the scan."""
    places = [state / "secrets", state / "localcloud", state / "localcloud-keys.json"]
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for place in places:
        for path in [place, *place.rglob("*")] if place.is_dir() else [place]:
            if path.exists():
                want = 0o700 if path.is_dir() else 0o600
                assert stat.S_IMODE(path.stat().st_mode) == want, path
    return places


def local_cloud_secrets(state: Path) -> dict[str, str]:
    rec = json.loads((state / "localcloud-keys.json").read_text())
    return {rec["access_key_id"]: rec["secret_access_key"], rec["admin_token"]: rec["admin_token"]}


def scan(keys: dict[str, str], texts: dict[str, str], roots: list[Path], skip: Path | list[Path]
         ) -> tuple[list[str], int]:
    """Where any key id or secret appears: in the given texts or in any file under ``roots``."""
    needles = [k.encode() for k in keys] + [s.encode() for s in keys.values()]
    skips = skip if isinstance(skip, list) else [skip]
    found, files = [], 0
    for name, text in texts.items():
        found += [name for n in needles if n in text.encode()]
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or any(path == s or path.is_relative_to(s) for s in skips):
                continue
            files += 1
            data = path.read_bytes()
            found += [str(path) for n in needles if n in data]
    return found, files


def test_cli_run_and_its_notebook_leave_no_key_anywhere(separate_cloud, tmp_path):
    exe = str(Path(sys.executable).with_name("kfsm-lab"))
    with separate_cloud(pace=0.0) as info:
        state = Path(os.environ["KFSM_STATE_DIR"])
        env = {**os.environ, "KFSM_TARGET": "local", "PYTHONUNBUFFERED": "1"}
        setup = subprocess.run([exe, "setup", "all"], capture_output=True, text=True, cwd=tmp_path, env=env,
                               timeout=300)
        assert setup.returncode == 0, setup.stderr
        keys = stored_keys(state)
        assert keys, "setup stored the pipeline user's key"
        run = subprocess.run([exe, "run", "-p", "pace=0", "-o", str(tmp_path / "out"), "--no-progress"],
                             capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        if (state / "secrets").is_dir():
            keys.update(stored_keys(state))
        seen = info.admin("stats")["access_key_fingerprints"]
        assert any(fingerprint(k) in seen for k in keys), "the run signed with the stored pipeline key"
        assert list((tmp_path / "out").glob("*.ipynb")), "the executed notebook is there to scan"
        assert list(state.glob("kfp/runs/*/logs/*.log")) and (state / "localcloud.log").is_file()
        keys.update(local_cloud_secrets(state))
        found, files = scan(keys, {"setup stdout": setup.stdout, "setup stderr": setup.stderr,
                                   "run stdout": run.stdout, "run stderr": run.stderr},
                            [tmp_path, state], skip=private_places(state))
        print(f"\nscanned {files} files and 4 streams for {len(keys)} key pair(s): {len(found)} found")
        assert found == []


def test_panel_flow_leaves_no_key_in_widgets_output_or_files(local_cloud, capfd):
    from ipywidgets.embed import embed_data
    from rel_helpers import fresh_settings

    from kfsm_lab.state import state_dir
    from kfsm_lab.widgets import panel

    p = panel(fresh_settings())
    p.controller.poll_interval = 0.3
    keys: dict[str, str] = {}
    for action in ("setup", "run_pipeline", "predict", "cleanup"):
        p.buttons[action].click()
        assert p.controller.wait(300), action
        err = p.controller.last_error
        assert err is None, f"{action}: {err.message} / {err.hint}"
        if action == "setup":
            keys = stored_keys(state_dir())
        if action == "run_pipeline":  # the button starts the run and returns; predict waits for its endpoint
            assert p.controller.handle.wait(timeout=300).state == "succeeded"
            deadline = time.monotonic() + 30
            while p.buttons["predict"].disabled:
                assert time.monotonic() < deadline, "Predict never became available"
                time.sleep(0.1)
    assert keys
    seen = local_cloud.admin("stats")["access_key_fingerprints"]
    assert any(fingerprint(k) in seen for k in keys)
    widgets_state = json.dumps(embed_data(views=[p.widget]))  # every value and output the panel holds
    out = capfd.readouterr()
    keys.update(local_cloud_secrets(state_dir()))
    found, files = scan(keys, {"widgets": widgets_state, "stdout": out.out, "stderr": out.err}, [state_dir()],
                        skip=private_places(state_dir()))
    print(f"\nscanned {files} files, {len(widgets_state)} bytes of widget state: {len(found)} found")
    assert found == []

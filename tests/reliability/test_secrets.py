"""Secrets: after whole runs (the CLI's headless notebook, the widgets panel), no output, log or file
the kit wrote holds the pipeline user's access key id or secret — only the 0600 secret store does.

The keys are read from the secret store, and the cloud's own count of signing keys shows the run
really used them, so the scan looks for the right strings."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
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


def scan(keys: dict[str, str], texts: dict[str, str], roots: list[Path], skip: Path) -> tuple[list[str], int]:
    """Where any key id or secret appears: in the given texts or in any file under ``roots``."""
    needles = [k.encode() for k in keys] + [s.encode() for s in keys.values()]
    found, files = [], 0
    for name, text in texts.items():
        found += [name for n in needles if n in text.encode()]
    for root in roots:
        for path in root.rglob("*"):
            if not path.is_file() or path.is_relative_to(skip):
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
        found, files = scan(keys, {"setup stdout": setup.stdout, "setup stderr": setup.stderr,
                                   "run stdout": run.stdout, "run stderr": run.stderr},
                            [tmp_path, state], skip=state / "secrets")
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
    assert keys
    seen = local_cloud.admin("stats")["access_key_fingerprints"]
    assert any(fingerprint(k) in seen for k in keys)
    widgets_state = json.dumps(embed_data(views=[p.widget]))  # every value and output the panel holds
    out = capfd.readouterr()
    found, files = scan(keys, {"widgets": widgets_state, "stdout": out.out, "stderr": out.err}, [state_dir()],
                        skip=state_dir() / "secrets")
    print(f"\nscanned {files} files, {len(widgets_state)} bytes of widget state: {len(found)} found")
    assert found == []

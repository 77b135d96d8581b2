"""A real ``jupyter lab`` on 127.0.0.1 driven by Debian's Chromium through Python Playwright.

Fixtures:
- ``lab_server`` (session): JupyterLab with kfsm_lab, isolated config/data/runtime/workspaces, a
  fresh root folder, the kit's state folder shared with the test process (``local_cloud``).
- ``lab`` (per test): a :class:`LabPage` on a fresh browser context, already showing the Launcher.
Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from .labpage import LabPage

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
START_TIMEOUT = 90.0
# The lab's kit region. The local cloud keeps SageMaker state per region, so endpoints that other
# test folders leave in the default region (us-west-2) never change what the cost guard counts here.
LAB_REGION = "us-east-1"

# Every test module here carries this; skip (a failure under CI=true) when the browser is missing.
requires_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                       reason="Debian chromium is not installed (apt-get install -y chromium)")


LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]


@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    """The system Chromium (never a downloaded build), for this folder only.

    Package scope on purpose: while Playwright's sync API is alive it marks its event loop as
    running in the main thread, which would break the asyncio-based tests of other folders.
    """
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies, no storage) and one tab in it."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(base: str, token: str, proc: subprocess.Popen, log: Path, route: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited rc={proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/{route}?token={token}", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"jupyter lab did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def run_lab(home: Path, kfsm_server_extension: bool = True, region: str = LAB_REGION) -> Iterator[dict[str, Any]]:
    """Run ``jupyter lab`` with isolated config/data/runtime/workspaces under ``home``; stop it after."""
    root = home / "root"
    root.mkdir()
    config = home / "config"
    (config / "labconfig").mkdir(parents=True)
    # The "get Jupyter news?" toast covers the bottom-right corner: switch its plugin off.
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    (config / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {"kfsm_lab": kfsm_server_extension}}}))
    port, token = _free_port(), uuid.uuid4().hex
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTER_DATA_DIR": str(home / "data"), "IPYTHONDIR": str(home / "ipython"),
           "JUPYTER_PLATFORM_DIRS": "1", "KFSM_TARGET": "local"}
    env.pop("KF_PIPELINES_UI_ENDPOINT", None)  # this server points its kernels' kfp links at its own run page
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--KfsmLab.target=local", f"--KfsmLab.region={region}", "--KfsmLab.cache_seconds=1"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = home / "jupyter.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, token, proc, log, "kfsm-lab/version" if kfsm_server_extension else "api/status")
        yield {"base": base, "token": token, "root": root, "log": log, "region": region,
               "url": f"{base}/lab?reset&token={token}"}
    finally:
        # SIGTERM to the server alone lets it shut its kernels down; then nothing of the group may remain.
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(5)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory, local_cloud: Any) -> Iterator[dict[str, Any]]:
    """JupyterLab with kfsm_lab on the local target, sharing the test session's local cloud."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed")
    with run_lab(tmp_path_factory.mktemp("jhome")) as server:
        yield server


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def lab(page: Page, lab_server: dict[str, Any], artifacts_dir: Path,
        request: pytest.FixtureRequest) -> Iterator[LabPage]:
    """A fresh browser context on JupyterLab, the Launcher shown; screenshots named after the test."""
    lab = LabPage(page, lab_server, artifacts_dir, request.node.name)
    lab.open()
    yield lab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        lab.screenshot("failure")


@pytest.fixture
def clean_root(lab_server: dict[str, Any]) -> Path:
    """The server's root folder, emptied so each test starts from nothing."""
    root: Path = lab_server["root"]
    for child in root.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
    return root


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any):
    """Remember each phase's report so the ``lab`` fixture can screenshot failures."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)

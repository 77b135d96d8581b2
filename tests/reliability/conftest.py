"""Fixtures for the reliability tests: a set-up local target, one finished run, no faults left armed."""

from __future__ import annotations

import pytest
from rel_helpers import fresh_settings, tag


@pytest.fixture(scope="module")
def ready(local_cloud):
    """Local settings after the real setup step, with names of this module's own."""
    from kfsm_lab.provision import setup_all

    return setup_all(fresh_settings()).settings


@pytest.fixture(scope="module")
def finished_run(ready):
    """One complete pipeline run on the session cloud: its handle (endpoint InService)."""
    from kfsm_lab.pipeline import start_run

    handle = start_run(ready, run_id=f"rel-{tag()}").wait(timeout=180, interval=0.1)
    assert handle.state == "succeeded", handle.error
    return handle


@pytest.fixture(autouse=True)
def _no_faults_left(local_cloud):
    """Every test starts and ends with no armed fault on the session cloud."""
    local_cloud.admin("faults", method="DELETE")
    yield
    local_cloud.admin("faults", method="DELETE")

"""A jupyter_server in-process with kfsm_lab enabled and authentication on."""

from __future__ import annotations

import pytest

# pytest-jupyter ships its fixtures and async hooks as a module: a conftest must import them.
from pytest_jupyter.jupyter_server import *  # noqa: F403


@pytest.fixture
def jp_server_config() -> dict:
    return {"ServerApp": {"jpserver_extensions": {"kfsm_lab": True}, "allow_unauthenticated_access": False},
            "KfsmLab": {"target": "local", "cache_seconds": 0.0}}

"""``/kfsm-lab/version`` and ``/kfsm-lab/runs``, and kit errors as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

import kfsm_lab

from .conftest import body


async def test_version_reports_package_and_settings(jp_fetch):
    data = body(await jp_fetch("kfsm-lab", "version"))
    assert data["name"] == "kfsm_lab"
    assert data["version"] == kfsm_lab.__version__
    assert data["target"] == "local"
    assert data["region"]


def test_frontend_version_matches_package():
    """package.json is the one source: the Python package reports it, the frontend is built with it."""
    root = Path(__file__).resolve().parents[2] / "labextension"
    package = json.loads((root / "package.json").read_text())
    assert package["version"] == kfsm_lab.__version__
    assert "__KFSM_VERSION__" in (root / "src" / "version.ts").read_text()
    assert package["version"] not in (root / "src" / "version.ts").read_text()  # no second copy
    assert '__version__ = "' not in (root.parent / "kfsm_lab" / "_version.py").read_text()


async def test_runs_is_a_list(jp_fetch):
    data = body(await jp_fetch("kfsm-lab", "runs", params={"limit": "5"}))
    assert isinstance(data["runs"], list)
    assert len(data["runs"]) <= 5


@pytest.mark.parametrize("limit", ["0", "abc", "1000"])
async def test_runs_rejects_bad_limit_as_json(jp_fetch, limit):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "runs", params={"limit": limit})
    assert info.value.code == 400
    data = body(info.value.response)
    assert data["error"] == "ValidationError"
    assert "limit" in data["message"]

"""Kit errors reach the browser as JSON ``{"error", "message", "hint"}`` with a fitting status."""

from __future__ import annotations

import pytest
from tornado.httpclient import HTTPClientError

from .conftest import body


@pytest.fixture
def kfsm_config() -> dict:
    return {"target": "local", "region": "moon-base-1", "cache_seconds": 0.0}


async def test_bad_setting_comes_back_as_json_with_hint(jp_fetch):
    """A bad c.KfsmLab.region does not stop the server; the routes that need settings say why."""
    data = body(await jp_fetch("kfsm-lab", "version"))
    assert data["settings_error"]["error"] == "ValidationError"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "endpoints")
    assert info.value.code == 400
    err = body(info.value.response)
    assert err["error"] == "ValidationError"
    assert "region" in err["message"]
    assert err["hint"]

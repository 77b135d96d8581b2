"""The endpoint routes when AWS misbehaves: a slow call never holds the server up; a refusal is JSON.

Faults are armed on the local cloud (``/_kfsm/faults``), so the real boto3 path is exercised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from .conftest import body


def _faults(local_cloud: Any, method: str, payload: dict | None = None) -> dict:
    return local_cloud.admin("faults", payload, method=method)  # sends the admin token


@pytest.fixture
def kfsm_config(local_cloud: Any) -> dict:
    return {"target": "local", "region": local_cloud.region, "cache_seconds": 0.0}


@pytest.fixture
def faults(local_cloud: Any) -> Iterator[Any]:
    """Arm faults for one test; always cleared after it."""
    _faults(local_cloud, "DELETE")
    yield lambda fault: _faults(local_cloud, "POST", fault)
    _faults(local_cloud, "DELETE")


async def test_slow_aws_call_does_not_block_other_requests(jp_fetch, faults):
    faults({"operation": "sagemaker.ListEndpoints", "kind": "slow", "seconds": 3, "count": 1})
    listing = asyncio.ensure_future(jp_fetch("kfsm-lab", "endpoints", params={"fresh": "1"}, request_timeout=30))
    await asyncio.sleep(0.2)  # let the listing reach the slow call
    version = await jp_fetch("kfsm-lab", "version")
    assert version.code == 200
    assert not listing.done(), "the version request waited for the slow AWS call"
    assert (await listing).code == 200


async def test_aws_refusal_comes_back_as_json_with_hint(jp_fetch, faults):
    faults({"operation": "sagemaker.ListEndpoints", "kind": "error", "status": 400,
            "code": "AccessDeniedException", "message": "User is not authorized to perform ListEndpoints",
            "count": 1})
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "endpoints", params={"fresh": "1"})
    assert info.value.code == 403
    err = body(info.value.response)
    assert err["error"] == "AwsAccessError" and err["code"] == "AccessDeniedException"
    assert "not authorized" in err["message"] and "doctor" in err["hint"]

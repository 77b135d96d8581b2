"""``/kfsm-lab/endpoints``: list the kit's endpoints with a cost estimate; delete one and its config.

Runs against the local cloud over HTTP with real boto3 clients: the endpoints are made by a real
training job, model, endpoint config and endpoint.
"""

from __future__ import annotations

from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from kfsm_lab import pricing

from .conftest import body
from .endpoint_factory import KIT_TAG, Clients, clients, config_exists, exists, make_endpoint, unique


@pytest.fixture(scope="module")
def sm(local_cloud: Any) -> Clients:
    return clients(local_cloud.endpoint_url, local_cloud.access_key_id, local_cloud.secret_access_key,
                   local_cloud.region)


@pytest.fixture
def kfsm_config(local_cloud: Any) -> dict:
    return {"target": "local", "region": local_cloud.region, "cache_seconds": 0.0}


@pytest.fixture(scope="module")
def standing(sm: Clients) -> dict[str, dict[str, str]]:
    """Three endpoints: kit-named and tagged (as the kit's deploy makes them), kit-tagged (no prefix), and
    someone else's."""
    return {
        "named": make_endpoint(sm, unique("kfsm-srv"), tags=[KIT_TAG]),
        "tagged": make_endpoint(sm, unique("workshop-ep"), tags=[KIT_TAG]),
        "foreign": make_endpoint(sm, unique("someone-else")),
    }


async def test_lists_kit_endpoints_with_estimate(jp_fetch, standing, sm):
    data = body(await jp_fetch("kfsm-lab", "endpoints", params={"fresh": "1"}))
    by_name = {e["name"]: e for e in data["endpoints"]}
    assert standing["named"]["endpoint"] in by_name
    assert standing["tagged"]["endpoint"] in by_name
    assert standing["foreign"]["endpoint"] not in by_name

    ep = by_name[standing["named"]["endpoint"]]
    assert ep["status"] == "InService"
    assert ep["instance_type"] == "ml.t2.medium" and ep["instance_count"] == 1
    assert ep["endpoint_config"] == standing["named"]["config"]
    assert 0 <= ep["age_seconds"] < 600
    assert ep["hourly_usd"] == pricing.hourly_price("ml.t2.medium", sm.region)

    assert data["target"] == "local" and data["region"] == sm.region
    assert data["count"] == sum(1 for e in data["endpoints"] if e["status"] not in ("Deleting", "Failed"))
    cost = data["cost"]
    assert cost["is_estimate"] and cost["source"] and cost["as_of"] == pricing.AS_OF
    assert cost["hourly_usd"] >= 2 * pricing.hourly_price("ml.t2.medium", sm.region)
    assert "local cloud" in cost["note"]


async def test_listing_is_cached_between_polls(jp_fetch, jp_serverapp, standing):
    jp_serverapp.web_app.settings["kfsm_lab"]["config"].cache_seconds = 60.0
    first = body(await jp_fetch("kfsm-lab", "endpoints", params={"fresh": "1"}))
    again = body(await jp_fetch("kfsm-lab", "endpoints"))
    assert first["cached"] is False and again["cached"] is True
    assert again["checked_at"] == first["checked_at"]


async def test_delete_removes_endpoint_and_config(jp_fetch, sm):
    made = make_endpoint(sm, unique("kfsm-del"), tags=[KIT_TAG])
    data = body(await jp_fetch("kfsm-lab", "endpoints", made["endpoint"], method="DELETE"))
    assert data == {"deleted": made["endpoint"], "endpoint_config": made["config"], "endpoint_config_deleted": True}
    sm.sagemaker.get_waiter("endpoint_deleted").wait(EndpointName=made["endpoint"],
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    assert not exists(sm, made["endpoint"])
    assert not config_exists(sm, made["config"])
    listed = body(await jp_fetch("kfsm-lab", "endpoints", params={"fresh": "1"}))
    assert made["endpoint"] not in {e["name"] for e in listed["endpoints"] if e["status"] != "Deleting"}


async def test_delete_refuses_endpoints_the_kit_did_not_create(jp_fetch, standing, sm):
    name = standing["foreign"]["endpoint"]
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "endpoints", name, method="DELETE")
    assert info.value.code == 403
    err = body(info.value.response)
    assert err["error"] == "ForbiddenError" and name in err["message"]
    assert "delete-endpoint" in err["hint"]
    assert exists(sm, name)


async def test_delete_missing_endpoint_is_404_json(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "endpoints", "kfsm-no-such-endpoint", method="DELETE")
    assert info.value.code == 404
    err = body(info.value.response)
    assert "does not exist" in err["message"] and err["hint"]


async def test_delete_rejects_malformed_name(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "endpoints", "bad_name!", method="DELETE")
    assert info.value.code == 400
    assert body(info.value.response)["error"] == "ValidationError"


async def test_cost_guard_never_starts_a_local_cloud(jp_fetch, tmp_path, monkeypatch):
    """Counting endpoints must not start the local cloud: with none running, none is live."""
    from kfsm_lab.localcloud import status

    monkeypatch.setenv("KFSM_STATE_DIR", str(tmp_path / "elsewhere"))
    data = body(await jp_fetch("kfsm-lab", "endpoints", params={"fresh": "1"}))
    assert data["count"] == 0 and data["endpoints"] == []
    assert "not running" in data["note"]
    assert status() is None
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "endpoints", "kfsm-anything", method="DELETE")
    assert info.value.code == 404
    assert "kfsm-lab local start" in body(info.value.response)["hint"]
    assert status() is None

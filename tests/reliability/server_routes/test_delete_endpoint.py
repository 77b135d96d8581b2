"""The server extension deletes only endpoints that carry the kit's tag; a `kfsm-` name is not enough."""

from __future__ import annotations

import json

import pytest
from server.endpoint_factory import KIT_TAG, clients, exists, make_endpoint, unique
from tornado.httpclient import HTTPClientError


@pytest.fixture
def sm(local_cloud):
    return clients(local_cloud.endpoint_url, local_cloud.access_key_id, local_cloud.secret_access_key,
                   local_cloud.region)


async def test_a_hand_made_kfsm_named_endpoint_is_neither_listed_nor_deleted(jp_fetch, sm):
    foreign = make_endpoint(sm, unique("kfsm-foreign-ep"))  # untagged: made by hand, named like the kit's
    ours = make_endpoint(sm, unique("kfsm-ours-ep"), tags=[KIT_TAG])
    listed = json.loads((await jp_fetch("kfsm-lab", "endpoints", params={"fresh": "1"})).body)
    names = {e["name"] for e in listed["endpoints"]}
    assert ours["endpoint"] in names and foreign["endpoint"] not in names
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "endpoints", foreign["endpoint"], method="DELETE")
    assert info.value.code == 403
    err = json.loads(info.value.response.body)
    assert "kfsm-lab:created-by=kfsm-lab" in err["message"] and "is not enough" in err["message"]
    assert f"delete-endpoint --endpoint-name {foreign['endpoint']}" in err["hint"]
    assert exists(sm, foreign["endpoint"])
    deleted = json.loads((await jp_fetch("kfsm-lab", "endpoints", ours["endpoint"], method="DELETE")).body)
    assert deleted["deleted"] == ours["endpoint"]
    sm.sagemaker.delete_endpoint(EndpointName=foreign["endpoint"])

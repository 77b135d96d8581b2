"""Every kfsm-lab route refuses requests without credentials, reads and writes alike."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

ROUTES = [
    ("GET", "version", None),
    ("GET", "endpoints", None),
    ("DELETE", "endpoints/kfsm-anything", None),
    ("GET", "runs", None),
    ("POST", "notebooks/open", json.dumps({"path": "", "lang": "en"})),
]


@pytest.mark.parametrize(("method", "route", "payload"), ROUTES, ids=[f"{m} {r}" for m, r, _ in ROUTES])
async def test_route_refuses_unauthenticated(http_server_client, jp_base_url, jp_root_dir, method, route, payload):
    with pytest.raises(HTTPClientError) as info:
        # the test server's own client, without the token header jp_fetch would add
        await http_server_client.fetch(f"{jp_base_url}kfsm-lab/{route}", method=method, body=payload,
                                       allow_nonstandard_methods=True)
    assert info.value.code in (401, 403)
    # nothing was done on the refused write
    assert not (jp_root_dir / "sagemaker_pipeline.ipynb").exists()


async def test_wrong_token_is_refused(jp_fetch):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("kfsm-lab", "version", headers={"Authorization": "token not-the-token"})
    assert info.value.code in (401, 403)


async def test_route_answers_with_token(jp_fetch):
    response = await jp_fetch("kfsm-lab", "version")
    assert response.code == 200


async def test_extension_is_loaded_by_the_server(jp_serverapp):
    assert "kfsm_lab" in jp_serverapp.extension_manager.extensions
    ext = jp_serverapp.extension_manager.extensions["kfsm_lab"]
    assert ext.enabled

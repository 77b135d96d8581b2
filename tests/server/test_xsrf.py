"""Writes from a browser session (cookie auth) need the XSRF token; reads do not."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

from .browser_login import browser_cookies, cookie_header


async def test_cookie_write_without_xsrf_is_refused(http_server_client, jp_base_url, jp_serverapp):
    jar = await browser_cookies(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    assert any(k.startswith("username-") for k in jar), "login cookie expected"
    headers = {"Cookie": cookie_header(jar)}

    read = await http_server_client.fetch(f"{jp_base_url}kfsm-lab/version", headers=headers)
    assert read.code == 200

    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(f"{jp_base_url}kfsm-lab/notebooks/open", method="POST", headers=headers,
                                       body=json.dumps({"path": "", "lang": "en"}))
    assert info.value.code == 403
    assert "xsrf" in info.value.response.body.decode().lower()


async def test_cookie_write_with_xsrf_is_accepted(http_server_client, jp_base_url, jp_serverapp, jp_root_dir):
    jar = await browser_cookies(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    assert "_xsrf" in jar
    headers = {"Cookie": cookie_header(jar), "X-XSRFToken": jar["_xsrf"].value}
    response = await http_server_client.fetch(f"{jp_base_url}kfsm-lab/notebooks/open", method="POST",
                                              headers=headers, body=json.dumps({"path": "", "lang": "en"}))
    assert response.code == 200
    assert (jp_root_dir / "sagemaker_pipeline.ipynb").is_file()

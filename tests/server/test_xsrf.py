"""Writes from a browser session (cookie auth) need the XSRF token; reads do not."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie

import pytest
from tornado.httpclient import HTTPClientError


async def _browser_cookies(http_server_client, jp_base_url, token: str) -> SimpleCookie:
    """Log in the way a browser does (token in the URL once); keep the cookies it sets."""
    response = await http_server_client.fetch(f"{jp_base_url}api/status?token={token}")
    jar = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    # the XSRF cookie is handed out by any page; ask for one explicitly
    response = await http_server_client.fetch(f"{jp_base_url}login", follow_redirects=False, raise_error=False)
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    return jar


def _cookie_header(jar: SimpleCookie) -> str:
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())


async def test_cookie_write_without_xsrf_is_refused(http_server_client, jp_base_url, jp_serverapp):
    jar = await _browser_cookies(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    assert any(k.startswith("username-") for k in jar), "login cookie expected"
    headers = {"Cookie": _cookie_header(jar)}

    read = await http_server_client.fetch(f"{jp_base_url}kfsm-lab/version", headers=headers)
    assert read.code == 200

    with pytest.raises(HTTPClientError) as info:
        await http_server_client.fetch(f"{jp_base_url}kfsm-lab/notebooks/open", method="POST", headers=headers,
                                       body=json.dumps({"path": "", "lang": "en"}))
    assert info.value.code == 403
    assert "xsrf" in info.value.response.body.decode().lower()


async def test_cookie_write_with_xsrf_is_accepted(http_server_client, jp_base_url, jp_serverapp, jp_root_dir):
    jar = await _browser_cookies(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    assert "_xsrf" in jar
    headers = {"Cookie": _cookie_header(jar), "X-XSRFToken": jar["_xsrf"].value}
    response = await http_server_client.fetch(f"{jp_base_url}kfsm-lab/notebooks/open", method="POST",
                                              headers=headers, body=json.dumps({"path": "", "lang": "en"}))
    assert response.code == 200
    assert (jp_root_dir / "sagemaker_pipeline.ipynb").is_file()

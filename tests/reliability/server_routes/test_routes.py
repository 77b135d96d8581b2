"""Every kfsm-lab server-extension route refuses unauthenticated requests and cross-site writes.

The table is read from the running server, so a route added later is checked without editing this file.
"""

from __future__ import annotations

import json
import re

import pytest
from server.browser_login import browser_cookies, cookie_header
from tornado.httpclient import HTTPClientError

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _rules(router, out: list) -> list:
    for rule in getattr(router, "rules", []):
        target = rule.target
        if hasattr(target, "rules"):
            _rules(target, out)
        elif isinstance(target, type):
            out.append((getattr(rule.matcher, "regex", None), target))
    return out


def route_table(web_app) -> list[tuple[str, str]]:
    """``(method, path)`` for every method of every handler registered under ``/kfsm-lab/``."""
    from tornado.web import RequestHandler

    table = []
    for regex, handler in _rules(web_app.default_router, []) + _rules(web_app.wildcard_router, []):
        if regex is None or "kfsm-lab" not in regex.pattern:
            continue
        path = re.sub(r"\([^)]*\)", "kfsm-anything", regex.pattern.rstrip("$")).replace("\\", "")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if getattr(handler, method.lower()) is not getattr(RequestHandler, method.lower()):
                table.append((method, path))
    return sorted(set(table))


async def test_every_route_refuses_unauthenticated_and_cross_site_writes(http_server_client, jp_serverapp,
                                                                        jp_base_url, jp_root_dir):
    table = route_table(jp_serverapp.web_app)
    paths = {p for _, p in table}
    # the table is the server's own: at least the routes known today are in it
    assert {"GET", "POST", "DELETE"} <= {m for m, _ in table} and len(paths) >= 5, table
    jar = await browser_cookies(http_server_client, jp_base_url, jp_serverapp.identity_provider.token)
    assert any(k.startswith("username-") for k in jar) and "_xsrf" in jar
    cookies = cookie_header(jar)
    body = json.dumps({"path": "", "lang": "en"})
    checked = []
    for method, path in table:
        payload = body if method in ("POST", "PUT", "PATCH") else None
        # 1. no credentials at all
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(path, method=method, body=payload, allow_nonstandard_methods=True)
        assert info.value.code in (401, 403), (method, path, info.value.code)
        if method in WRITE_METHODS:
            # 2. a forged write: the browser sends the login cookie, but the page has no XSRF token
            with pytest.raises(HTTPClientError) as info:
                await http_server_client.fetch(path, method=method, body=payload, allow_nonstandard_methods=True,
                                               headers={"Cookie": cookies})
            assert info.value.code == 403, (method, path)
            assert "xsrf" in info.value.response.body.decode().lower()
            # 3. the same from another site: refused by the origin check before the handler runs
            #    (jupyter_server answers 404 there, in the handler's JSON error shape, never the kit's own)
            with pytest.raises(HTTPClientError) as info:
                await http_server_client.fetch(path, method=method, body=payload, allow_nonstandard_methods=True,
                                               headers={"Cookie": cookies, "Origin": "https://evil.example",
                                                        "Referer": "https://evil.example/page",
                                                        "X-XSRFToken": jar["_xsrf"].value})
            assert info.value.code in (403, 404), (method, path)
            assert json.loads(info.value.response.body)["error"] == "HTTPError", info.value.response.body
        checked.append(f"{method} {path}")
    assert not any(jp_root_dir.iterdir()), "a refused request wrote a file"
    print(f"\nroutes checked ({len(checked)}): " + ", ".join(checked))

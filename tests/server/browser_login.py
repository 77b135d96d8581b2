"""Log in to a test Jupyter server the way a browser does, for cookie-authenticated requests."""

from __future__ import annotations

from http.cookies import SimpleCookie


async def browser_cookies(http_server_client, jp_base_url, token: str) -> SimpleCookie:
    """Log in with the token in the URL once; keep the cookies the server sets (login and XSRF)."""
    jar = SimpleCookie()
    response = await http_server_client.fetch(f"{jp_base_url}api/status?token={token}")
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    # the XSRF cookie is handed out by any page; ask for one explicitly
    response = await http_server_client.fetch(f"{jp_base_url}login", follow_redirects=False, raise_error=False)
    for header in response.headers.get_list("Set-Cookie"):
        jar.load(header)
    return jar


def cookie_header(jar: SimpleCookie) -> str:
    return "; ".join(f"{k}={m.value}" for k, m in jar.items())

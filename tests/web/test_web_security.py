"""OWASP's rules on the pages, against a real hub: headers, forged posts, foreign origins."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest
from yarl import URL

from hall.cli.main import main
from hall.contract.config import check_config_text
from hall.contract.config_endpoints import http_warnings
from hall.hub.runtime import Running
from hall.web.security import CONTENT_SECURITY_POLICY
from tests.integration.conftest import running_hub
from tests.support import DEMO_HALL, write_hall_config

from .conftest import API_TOKEN, PASSWORD, sign_in, ws_url

PUBLIC_URL = "https://hall.example.gov.cn"


async def test_every_page_has_a_policy_and_only_the_screen_may_be_framed(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub)
    for path in ("/login", "/dashboard", "/kiosk/kiosk-2", "/pad/pad-1", "/t/A001", "/screen"):
        async with http.get(web_hub.http_url + path, allow_redirects=False) as response:
            assert response.status == 200, path
            headers = response.headers
            assert headers["Content-Security-Policy"].startswith(CONTENT_SECURITY_POLICY), path
            assert "script-src 'self'" in headers["Content-Security-Policy"]
            assert "unsafe-inline" not in headers["Content-Security-Policy"]
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["Referrer-Policy"] == "same-origin", path
            assert "Strict-Transport-Security" not in headers  # plain http, no public_url
            if path == "/screen":
                assert "X-Frame-Options" not in headers
                assert "frame-ancestors" not in headers["Content-Security-Policy"]
            else:
                assert headers["X-Frame-Options"] == "DENY", path
                assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
    for path in ("/api/services", "/static/static/app.css", "/healthz"):
        async with http.get(web_hub.http_url + path) as response:
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert "Content-Security-Policy" in response.headers, path


async def test_a_sign_in_posted_by_another_site_is_refused(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    form = {"name": "admin", "password": PASSWORD}
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://other.127.0.0.1.nip.io"},
    ):
        async with http.post(
            web_hub.http_url + "/login", data=form, headers=headers, allow_redirects=False
        ) as response:
            assert response.status == 403, headers
            assert "hall_session" not in response.cookies
    assert not http.cookie_jar.filter_cookies(URL(web_hub.http_url))
    own = {"Origin": web_hub.http_url, "Sec-Fetch-Site": "same-origin"}
    async with http.post(
        web_hub.http_url + "/login", data=form, headers=own, allow_redirects=False
    ) as response:
        assert response.status == 303


async def test_a_sign_out_posted_by_another_site_is_refused(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    await sign_in(http, web_hub)
    async with http.post(
        web_hub.http_url + "/logout",
        headers={"Origin": "http://evil.example"},
        allow_redirects=False,
    ) as response:
        assert response.status == 403
    async with http.get(web_hub.http_url + "/dashboard", allow_redirects=False) as response:
        assert response.status == 200  # still signed in
    async with http.post(
        web_hub.http_url + "/logout",
        headers={"Origin": web_hub.http_url},
        allow_redirects=False,
    ) as response:
        assert response.status == 303


async def test_a_dns_rebinding_page_cannot_open_the_sockets(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    """A page of evil.example, its name rebound to the hub's address: Host and Origin both
    say evil.example. The hub knows its own address and refuses it."""
    await sign_in(http, web_hub)
    port = urlsplit(web_hub.http_url).port
    rebound = f"http://evil.example:{port}"
    for path in ("/ws/dashboard", "/ws/device/kiosk-1", "/ws/watch"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(
                ws_url(web_hub, path), origin=rebound, headers={"Host": f"evil.example:{port}"}
            )
        assert refused.value.status == 403, path
    # The same socket from the hub's own page, reached by its address or as localhost.
    for origin in (web_hub.http_url, f"http://localhost:{port}"):
        async with http.ws_connect(ws_url(web_hub, "/ws/dashboard"), origin=origin) as ws:
            assert (await ws.receive_json(timeout=10))["type"] == "snapshot"


async def test_a_page_of_another_site_cannot_watch_even_with_a_token(
    web_hub: Running, http: aiohttp.ClientSession
) -> None:
    """`hall watch` (no browser: no Origin) uses its API token; a page of another site that got
    hold of one is refused all the same."""
    bearer = {"Authorization": f"Bearer {API_TOKEN}"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(
            ws_url(web_hub, "/ws/watch"), origin="http://evil.example", headers=bearer
        )
    assert refused.value.status == 403
    async with http.ws_connect(ws_url(web_hub, "/ws/watch"), headers=bearer) as ws:
        assert (await ws.receive_json(timeout=10))["type"] == "hall"
        assert (await ws.receive_json(timeout=10))["type"] == "windows"


async def test_with_a_public_url_its_origin_is_accepted_and_cookies_are_secure(
    tmp_path: Path, hall_id: str, mqtt_url: str, redis_url: str, password_hash: str
) -> None:
    path = write_hall_config(
        tmp_path,
        hall_id,
        mqtt_url,
        redis_url,
        http={"public_url": PUBLIC_URL},
        users=[{"name": "admin", "password_hash": password_hash, "role": "manager"}],
    )
    async with running_hub(path) as hub, aiohttp.ClientSession() as http:
        async with http.post(
            hub.http_url + "/login",
            data={"name": "admin", "password": PASSWORD},
            headers={"Origin": PUBLIC_URL},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            set_cookie = response.headers["Set-Cookie"]
            assert "Secure" in set_cookie and "HttpOnly" in set_cookie
            assert "SameSite=Strict" in set_cookie
            assert response.headers["Strict-Transport-Security"].startswith("max-age=")
            cookie = response.cookies["hall_session"].value
        headers = {"Cookie": f"hall_session={cookie}"}
        async with http.ws_connect(
            ws_url(hub, "/ws/dashboard"), origin=PUBLIC_URL, headers=headers
        ) as ws:
            assert (await ws.receive_json(timeout=10))["type"] == "snapshot"
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(
                ws_url(hub, "/ws/dashboard"), origin="https://evil.example", headers=headers
            )


def test_public_url_is_checked_and_its_absence_warned_about(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = DEMO_HALL.read_text(encoding="utf-8")
    with_url = text.replace("[http]\n", '[http]\npublic_url = "https://Hall.Example.gov.cn/"\n')
    http = check_config_text(with_url, "hall.toml").http
    assert http.public_url == "https://Hall.Example.gov.cn"
    assert http.public_origin == "https://hall.example.gov.cn"
    assert http.secure_cookies and http_warnings(http) == []
    for bad in ('"hall.example.gov.cn"', '"https://hall.example.gov.cn/hall"', '"ftp://h"'):
        with pytest.raises(ValueError, match=r"hall\.toml:\d+: http\.public_url: expected"):
            check_config_text(
                text.replace("[http]\n", f"[http]\npublic_url = {bad}\n"), "hall.toml"
            )
    plain = check_config_text(text, "hall.toml").http
    assert any("public_url is not set" in w for w in http_warnings(plain))
    assert main(["check-config", str(DEMO_HALL)]) == 0
    assert "warning: http.public_url is not set" in capsys.readouterr().out

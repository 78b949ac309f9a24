"""What only a deployment behind the TLS proxy shows: HSTS, the redirect to HTTPS,
``__Host-`` cookies, and Django knowing the request came over HTTPS."""

import contextlib
import ipaddress
import os
import re
import secrets
from pathlib import Path

import pytest
import requests

from tests.production.stack import DEMO_PASSWORD

HSTS = "max-age=31536000; includeSubDomains; preload"


def set_cookies(response: requests.Response) -> dict[str, dict[str, str | bool]]:
    """The response's Set-Cookie headers, each as its attributes (lower-cased)."""
    cookies = {}
    for header in response.raw.headers.getlist("Set-Cookie"):
        pair, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = pair.partition("=")
        parsed: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, has_value, attribute_value = attribute.partition("=")
            parsed[key.lower()] = attribute_value if has_value else True
        cookies[name] = parsed
    return cookies


@pytest.mark.parametrize(
    "path",
    ["/en/", "/es/status/", "/en/accounts/login/", "/api/v1/themes/", "/healthz"],
)
def test_https_answers_carry_hsts(stack, path):
    response = stack.client().get(stack.url(path))

    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert "Server" not in response.headers  # deploy/Caddyfile removes it


def test_static_files_are_the_hashed_collected_ones_with_hsts(stack):
    page = stack.client().get(stack.url("/en/"))
    stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', page.text)
    assert stylesheet, "the page does not link the hashed stylesheet"

    response = stack.client().get(stack.url(stylesheet.group(1)))

    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert "immutable" in response.headers["Cache-Control"]


def test_plain_http_is_redirected_to_https(stack):
    response = stack.client().get(
        stack.http_origin + "/en/status/?cycle=x", allow_redirects=False
    )

    assert response.status_code in (301, 308)
    assert response.headers["Location"] == stack.url("/en/status/?cycle=x")
    assert "Strict-Transport-Security" not in response.headers  # never over HTTP


def test_the_probe_answers_on_plain_http(stack):
    assert requests.get(stack.probe_url, timeout=10).status_code == 200


def test_a_forged_scheme_header_is_overwritten_by_the_proxy(stack):
    # Django trusts X-Forwarded-Proto because Caddy sets it; a client's own value
    # must never reach Django, or "http" would send it into a redirect loop.
    response = stack.client().get(
        stack.url("/en/status/"),
        headers={"X-Forwarded-Proto": "http"},
        allow_redirects=False,
    )

    assert response.status_code == 200


def test_session_and_csrf_cookies_are_host_only_and_secure(stack):
    client = stack.client()
    login = stack.url("/en/accounts/login/")

    form = client.get(login)
    csrf = set_cookies(form)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    signed_in = client.post(
        login,
        data={
            "username": "reviewer",
            "password": DEMO_PASSWORD,
            "next": "",
            "csrfmiddlewaretoken": token.group(1),
        },
        headers={"Referer": login},
        allow_redirects=False,
    )
    session = set_cookies(signed_in)

    assert signed_in.status_code == 302, signed_in.text[:2000]
    assert "csrftoken" not in csrf and "sessionid" not in session
    for name, cookies in (
        ("__Host-csrftoken", csrf),
        ("__Host-sessionid", session),
    ):
        cookie = cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["path"] == "/", name
        assert "domain" not in cookie, name
        assert cookie["samesite"] == "Lax", name


def test_a_post_from_another_origin_is_refused(stack):
    client = stack.client()
    login = stack.url("/en/accounts/login/")
    form = client.get(login)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)

    response = client.post(
        login,
        data={
            "username": "reviewer",
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
        },
        headers={
            "Referer": "https://elsewhere.example/",
            "Origin": "https://x.example",
        },
        allow_redirects=False,
    )

    assert response.status_code == 403


def test_django_knows_the_request_came_over_https(stack):
    # request.is_secure() decides the scheme of the absolute links Django builds...
    client = stack.client()
    page = client.get(stack.url("/api/v1/member-states/?page_size=5"))
    assert page.json()["next"].startswith(stack.url("/api/v1/member-states/?"))

    # ...and whether a POST must name its origin: only over HTTPS does Django's CSRF
    # check refuse a form posted with the right token but no Referer.
    login = stack.url("/en/accounts/login/")
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(login).text
    )
    refused = client.post(
        login,
        data={"username": "reviewer", "csrfmiddlewaretoken": token.group(1)},
        allow_redirects=False,
    )
    assert refused.status_code == 403
    assert "Referer" in refused.text


def test_a_client_cannot_choose_its_address_behind_the_proxy(stack):
    # Caddy tells the portal the client's address in X-Forwarded-For, and
    # TRUSTED_PROXIES=1 believes Caddy's word alone: forging the header gives a
    # client no new address, so the sign-in lockout still catches it.
    client = stack.client()
    login = stack.url("/en/accounts/login/")
    username = f"nobody-{secrets.token_hex(4)}"
    statuses = []
    for attempt in range(1, 7):
        form = client.get(login)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        response = client.post(
            login,
            data={
                "username": username,
                "password": "not-the-password",
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": login, "X-Forwarded-For": f"203.0.113.{attempt}"},
            allow_redirects=False,
        )
        statuses.append(response.status_code)

    assert statuses[:4] == [200] * 4, statuses  # the form again, with its error
    assert statuses[-1] == 429, statuses
    assert "Too many failed sign-ins" in response.text


def test_the_feed_links_to_the_https_site(stack):
    feed = stack.client().get(stack.url("/en/feed/"))

    links = re.findall(r'<link [^>]*href="([^"]+)"', feed.text)
    assert links and all(link.startswith(stack.origin + "/") for link in links), links


def listening_addresses(pids: set[int]) -> list[str]:
    """The addresses the processes listen on (TCP) or are bound to (UDP)."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    addresses = []
    for table, bound in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == bound and fields[9] in inodes:
                address, port = fields[1].split(":")
                raw = bytes.fromhex(address)
                # /proc/net shows each 32-bit word in the host's (little-endian) order.
                words = [raw[i : i + 4][::-1] for i in range(0, len(raw), 4)]
                host = ipaddress.ip_address(b"".join(words))
                addresses.append(f"{host}:{int(port, 16)}")
    return addresses


def test_every_process_listens_on_the_loopback_only(stack):
    addresses = listening_addresses(stack.pids())

    assert len(addresses) >= 6, addresses  # redis, gunicorn, caddy (4)
    assert all(address.startswith("127.0.0.1:") for address in addresses), addresses

"""Browsers find the portal's icon, from the pages' link and at /favicon.ico."""

import pytest

pytestmark = pytest.mark.django_db

ICON = "/static/img/favicon.svg"


def test_pages_link_to_the_icon(client):
    html = client.get("/en/").content.decode()
    assert f'<link rel="icon" href="{ICON}" type="image/svg+xml">' in html


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == ICON
    icon = client.get(ICON)
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


def test_favicon_ico_takes_no_post(client):
    assert client.post("/favicon.ico").status_code == 405

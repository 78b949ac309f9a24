"""Embeds: the one kind of page another site may frame, and only it."""

import json
import re
import textwrap

import pytest

from tests.test_production_settings import (  # noqa: F401 - a fixture
    HOST,
    collected_static,
    production_env,
    run,
)

EMBEDS = [
    "/en/embed/map/",
    "/en/embed/charts/recommendations/",
    "/en/embed/charts/themes/",
    "/en/embed/themes/corruption/",
    "/en/embed/states/MEX/",
    "/en/embed/recommendations/4/",
]
FRAMED_PAGES = [
    "/en/status/",
    "/en/status/map/",
    "/en/states/MEX/",
    "/en/recommendations/4/",
    "/en/themes/corruption/",
    "/en/status/map.svg",
    "/en/accounts/login/",
]


def frame_ancestors(response) -> str:
    return re.search(
        r"frame-ancestors ([^;]+)", response["Content-Security-Policy"]
    ).group(1)


@pytest.mark.parametrize("path", EMBEDS)
def test_an_embed_may_be_framed_by_any_site(client, db, path):
    for _ in range(2):  # rendered, then from the public cache
        response = client.get(path)

        assert response.status_code == 200
        assert frame_ancestors(response) == "*"
        assert "X-Frame-Options" not in response
        # The rest of the policy stays as strict as everywhere else.
        assert "script-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("path", FRAMED_PAGES)
def test_every_other_page_refuses_to_be_framed(client, db, path):
    response = client.get(path)

    assert frame_ancestors(response) == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_a_not_modified_embed_keeps_its_grant(client, db):
    etag = client.get("/en/embed/map/")["ETag"]

    response = client.get("/en/embed/map/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert "X-Frame-Options" not in response


def test_an_embed_is_the_figure_alone_with_its_source_and_page(client, db):
    page = client.get("/en/embed/states/MEX/").content.decode()

    assert 'class="site-nav"' not in page
    assert "<script" not in page
    assert "Source: OAS Secretariat" in page
    assert 'href="http://testserver/en/states/MEX/"' in page
    assert 'target="_blank" rel="noopener"' in page
    assert "<a " not in page.split("<svg", 1)[1].split("</svg>")[0]


def test_the_map_embed_has_its_key_in_html(client, db):
    page = client.get("/en/embed/map/").content.decode()

    assert 'class="map-key"' in page
    assert "No information" in page


def test_a_page_offers_the_code_of_its_embed(client, db):
    page = client.get("/en/status/map/").content.decode()

    details = page.split('<details class="embed-code">', 1)[1].split("</details>")[0]
    assert "&lt;iframe src=&quot;http://testserver/en/embed/map/&quot;" in details
    assert "readonly" in details
    assert "<script" not in page


@pytest.mark.parametrize("path", ["/en/embed/charts/nothing/", "/en/embed/states/XXX/"])
def test_an_unknown_embed_is_not_found(client, db, path):
    assert client.get(path).status_code == 404


PRODUCTION_SCRIPT = textwrap.dedent(
    """
    import json
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="%(host)s")
    seen = {}
    for path in ["/en/embed/map/", "/en/status/map/"]:
        response = client.get(path, HTTP_X_FORWARDED_PROTO="https")
        seen[path] = {
            "status": response.status_code,
            "headers": {k.lower(): v for k, v in response.headers.items()},
        }
    print(json.dumps(seen))
    """
)


@pytest.mark.postgres
def test_embeds_are_framable_under_production_settings_and_nothing_else(db, request):
    from django.db import connection

    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )

    result = run(
        ["-c", PRODUCTION_SCRIPT % {"host": HOST}],
        production_env(
            DATABASE_URL=url,
            STATIC_ROOT=str(request.getfixturevalue("collected_static")),
        ),
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    embed, page = seen["/en/embed/map/"], seen["/en/status/map/"]
    assert embed["status"] == page["status"] == 200
    assert "frame-ancestors *" in embed["headers"]["content-security-policy"]
    assert "x-frame-options" not in embed["headers"]
    assert "frame-ancestors 'none'" in page["headers"]["content-security-policy"]
    assert page["headers"]["x-frame-options"] == "DENY"

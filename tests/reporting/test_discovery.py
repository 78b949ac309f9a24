"""Being found: ``/sitemap.xml`` lists the public pages in the four languages with
their ``hreflang`` alternates, ``/robots.txt`` keeps crawlers out of the private
areas and points at the sitemap, and the Atom feed carries what RFC 4287 requires
(an author, permanent ids). All on SITE_URL, under production settings too."""

import json
import textwrap
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

import pytest

from recommendations.models import MemberState, Recommendation, Theme
from tests import factories
from tests.test_production_settings import HOST, production_env, run

SITE = "https://tip.example.org"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"
LANGUAGES = {"en", "es", "fr", "pt"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


def _sitemap(client) -> dict[str, dict[str, str]]:
    """Each address of the sitemap, with its alternates by hreflang."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own sitemap
    return {
        url.findtext(f"{SITEMAP}loc"): {
            link.get("hreflang"): link.get("href")
            for link in url.iter(f"{XHTML}link")
            if link.get("rel") == "alternate"
        }
        for url in root.iter(f"{SITEMAP}url")
    }


def test_the_sitemap_lists_every_public_page_in_four_languages(client):
    urls = _sitemap(client)

    paths = {loc.removeprefix(SITE) for loc in urls}
    for language in LANGUAGES:
        for page in [
            "/",
            "/recommendations/",
            "/status/",
            "/status/map/",
            "/states/",
            "/data/",
            "/reports/published/",
            "/recommendations/22/",
            "/states/MEX/",
        ]:
            assert f"/{language}{page}" in paths
    themes = Theme.objects.filter(instrument__is_current=True)
    recommendations = Recommendation.objects.filter(instrument__is_current=True)
    assert len(urls) == 4 * (
        7 + themes.count() + recommendations.count() + MemberState.objects.count()
    )
    assert {f"/fr/themes/{theme.slug}/" for theme in themes} <= paths


def test_each_address_has_its_hreflang_alternates_and_a_default(client):
    urls = _sitemap(client)

    for loc, alternates in urls.items():
        assert loc.startswith(f"{SITE}/")
        assert set(alternates) == LANGUAGES | {"x-default"}
        assert loc in alternates.values()
        assert all(href.startswith(f"{SITE}/") for href in alternates.values())
    home = urls[f"{SITE}/es/"]
    assert home == {
        "en": f"{SITE}/en/",
        "es": f"{SITE}/es/",
        "fr": f"{SITE}/fr/",
        "pt": f"{SITE}/pt/",
        "x-default": f"{SITE}/",
    }


def test_the_sitemap_ignores_the_host_it_is_asked_at(client, settings):
    settings.ALLOWED_HOSTS = ["elsewhere.example.com"]

    urls = _sitemap(client.__class__(HTTP_HOST="elsewhere.example.com"))

    assert all(loc.startswith(f"{SITE}/") for loc in urls)


def test_the_sitemap_lists_no_private_page(client):
    paths = " ".join(_sitemap(client))

    for private in ("/workspace/", "/review/", "/accounts/", "/admin/", "/start/"):
        assert private not in paths
    assert "/reports/published/" in paths
    assert "/reports/generate/" not in paths


def _robots(client) -> tuple[str, RobotFileParser]:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    parser = RobotFileParser()
    parser.parse(text.splitlines())
    return text, parser


def test_robots_points_at_the_sitemap_and_lets_every_public_page_be_read(client):
    text, robots = _robots(client)

    assert f"Sitemap: {SITE}/sitemap.xml" in text.splitlines()
    assert robots.site_maps() == [f"{SITE}/sitemap.xml"]
    for loc in _sitemap(client):
        assert robots.can_fetch("*", loc), loc
    assert robots.can_fetch("*", f"{SITE}/en/feed/")
    assert robots.can_fetch("*", f"{SITE}/es/data/status.csv")


@pytest.mark.parametrize(
    "path",
    [
        "/en/admin/",
        "/es/admin/portal/user/",
        "/en/accounts/login/",
        "/fr/accounts/security/",
        "/pt/workspace/MEX/",
        "/en/review/",
        "/en/updates/3/",
        "/en/reports/generate/",
        "/es/search/?q=plan",
        "/api/v1/auth/token/",
        "/api/v1/auth/tokens/",
    ],
)
def test_robots_keeps_crawlers_out_of_private_areas(client, path):
    _text, robots = _robots(client)

    assert not robots.can_fetch("*", f"{SITE}{path}")


@pytest.fixture
def accepted(focal_mex, reviewer, mexico):
    return [
        factories.progress_update(mexico, number, author=focal_mex, reviewer=reviewer)
        for number in (1, 2)
    ]


def _feed(client, path="/en/feed/"):
    response = client.get(path)
    assert response.status_code == 200
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own feed


def test_the_feed_has_the_elements_atom_requires(client, accepted):
    feed = _feed(client)

    assert feed.findtext(f"{ATOM}id") == f"{SITE}/en/feed/"
    assert feed.findtext(f"{ATOM}title")
    assert feed.findtext(f"{ATOM}updated")
    author = feed.find(f"{ATOM}author")
    assert author is not None and author.findtext(f"{ATOM}name") == "OAS Secretariat"
    assert author.findtext(f"{ATOM}uri") == f"{SITE}/en/"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry, update in zip(entries, reversed(accepted), strict=True):
        assert entry.findtext(f"{ATOM}id") == (
            f"tag:tip.example.org,{update.created_at:%Y-%m-%d}:"
            f"progress-update/{update.pk}"
        )
        assert entry.findtext(f"{ATOM}title")
        assert entry.findtext(f"{ATOM}updated")
        link = entry.find(f"{ATOM}link")
        assert link.get("href").startswith(f"{SITE}/en/states/MEX/recommendations/")


def test_entry_ids_are_the_same_across_renders_hosts_and_languages(
    client, settings, accepted
):
    def ids(feed):
        return [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")]

    first = ids(_feed(client))
    settings.ALLOWED_HOSTS = ["mirror.example.com", "testserver"]
    other_host = client.__class__(HTTP_HOST="mirror.example.com")

    assert ids(_feed(other_host, "/en/feed/")) == first
    assert ids(_feed(client, "/es/feed/")) == first
    assert len(set(first)) == 2


PRODUCTION_SCRIPT = textwrap.dedent(
    """
    import json
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="%(host)s", HTTP_X_FORWARDED_PROTO="https")
    seen = {}
    for path in ["/sitemap.xml", "/robots.txt", "/en/feed/"]:
        response = client.get(path)
        seen[path] = {
            "status": response.status_code,
            "type": response["Content-Type"],
            "body": response.content.decode(),
        }
    print(json.dumps(seen))
    """
)


@pytest.mark.postgres
def test_served_with_the_production_settings(db):
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the production subprocess reads the PostgreSQL test database")
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}"
        f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )

    result = run(
        ["-c", PRODUCTION_SCRIPT % {"host": HOST}],
        production_env(DATABASE_URL=url),
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert {path: answer["status"] for path, answer in seen.items()} == {
        "/sitemap.xml": 200,
        "/robots.txt": 200,
        "/en/feed/": 200,
    }
    assert f"<loc>https://{HOST}/en/</loc>" in seen["/sitemap.xml"]["body"]
    assert 'hreflang="x-default"' in seen["/sitemap.xml"]["body"]
    assert f"Sitemap: https://{HOST}/sitemap.xml" in seen["/robots.txt"]["body"]
    assert f"<id>https://{HOST}/en/feed/</id>" in seen["/en/feed/"]["body"]

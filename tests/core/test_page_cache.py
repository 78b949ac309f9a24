"""Public pages served from the cache before the heavy middleware, and warmed after
each publication (core.page_cache, core.publication, core.tasks)."""

import pytest
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.utils.translation import get_language
from kombu.exceptions import OperationalError

from core import page_cache, publication, tasks
from reporting.warm import most_read_pages
from tests import factories

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "es", "fr", "pt")
PUBLIC = ["/en/", "/en/status/", "/fr/states/MEX/", "/es/recommendations/4/"]


@pytest.fixture
def published(focal_mex, reviewer, cycle, mexico, django_capture_on_commit_callbacks):
    """An accepted update of Mexico: the cycle has something to show."""
    with django_capture_on_commit_callbacks(execute=True):
        factories.progress_update(
            mexico,
            1,
            author=focal_mex,
            reviewer=reviewer,
            cycle=cycle,
            summary="Mexico adopted its national plan.",
        )


def accept(focal_mex, reviewer, cycle, mexico, summary: str) -> None:
    factories.progress_update(
        mexico, 6, author=focal_mex, reviewer=reviewer, cycle=cycle, summary=summary
    )


def headers_of(response) -> dict[str, str]:
    """Every header but those made for each request: the date and the request id."""
    return {
        name: value
        for name, value in response.items()
        if name not in ("Date", "X-Request-ID")
    }


@pytest.fixture
def production(settings):
    """What PORTAL_ENV=production sets for HTTPS, HSTS and the cookies' names."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return {"HTTP_X_FORWARDED_PROTO": "https"}


# --- The same page, the same headers ------------------------------------------------


@pytest.mark.parametrize("url", PUBLIC)
def test_a_cached_page_carries_the_headers_of_a_fresh_one(
    published, url, django_assert_num_queries
):
    fresh = Client().get(url)
    with django_assert_num_queries(0):
        cached = Client().get(url)

    assert fresh.status_code == cached.status_code == 200
    assert headers_of(cached) == headers_of(fresh)
    assert cached.content == fresh.content
    assert cached["X-Request-ID"] != fresh["X-Request-ID"]
    for name in (
        "Content-Security-Policy",
        "Permissions-Policy",
        "X-Frame-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Content-Language",
        "ETag",
    ):
        assert cached.has_header(name), name


@pytest.mark.parametrize("url", PUBLIC)
def test_in_production_a_cached_page_keeps_hsts_and_the_https_redirect(
    published, production, url, django_assert_num_queries
):
    fresh = Client(**production).get(url)
    with django_assert_num_queries(0):
        cached = Client(**production).get(url)

    assert headers_of(cached) == headers_of(fresh)
    assert cached["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    plain = Client().get(url)
    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")


def test_in_production_the_host_cookie_session_gets_its_own_page(
    published, production, focal_mex
):
    Client(**production).get("/en/status/")
    person = Client(**production)
    person.force_login(focal_mex)

    assert "__Host-sessionid" in person.cookies
    assert "Sign out (maria)" in person.get("/en/status/").content.decode()


# --- Who gets which copy -------------------------------------------------------------


@pytest.mark.parametrize("url", ["/en/", "/en/status/"])
def test_a_signed_in_person_is_never_served_the_public_copy(published, focal_mex, url):
    Client().get(url)
    person = Client()
    person.force_login(focal_mex)

    response = person.get(url)

    assert "Sign out (maria)" in response.content.decode()
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("url", ["/en/", "/en/status/"])
def test_the_public_is_never_served_a_signed_in_persons_page(published, focal_mex, url):
    person = Client()
    person.force_login(focal_mex)
    person.get(url)

    html = Client().get(url).content.decode()
    html_again = Client().get(url).content.decode()

    assert "maria" not in html and "maria" not in html_again
    assert "Sign in" in html_again


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page(
    published, django_assert_max_num_queries
):
    Client().get("/en/status/")
    visitor = Client()
    visitor.cookies["messages"] = "anything"

    with django_assert_max_num_queries(100) as queries:
        visitor.get("/en/status/")

    assert len(queries) > 0


# Views of this module's own URLs: what a view does decides what is stored.
calls: list[str] = []


def counted(request):
    calls.append(request.get_full_path())
    return HttpResponse(f"{get_language()} {request.GET.urlencode()}")


@publication.public_page
def public_echo(request):
    return counted(request)


@publication.public_page
def public_with_cookie(request):
    response = counted(request)
    response.set_cookie("seen", "1")
    return response


@publication.public_page
def public_not_found(request):
    counted(request)
    return HttpResponse("gone", status=404)


urlpatterns = i18n_patterns(
    path("echo/", public_echo),
    path("cookie/", public_with_cookie),
    path("missing/", public_not_found),
    path("private/", counted),
)


@pytest.fixture
def own_urls(settings):
    settings.ROOT_URLCONF = __name__
    calls.clear()
    return calls


@pytest.mark.parametrize("url", ["/en/cookie/", "/en/missing/", "/en/private/"])
def test_a_page_setting_a_cookie_failing_or_not_public_is_never_stored(own_urls, url):
    Client().get(url)
    Client().get(url)

    assert own_urls == [url, url]


def test_languages_and_query_strings_never_mix(own_urls):
    answers = {
        url: Client().get(url).content.decode()
        for url in ("/en/echo/", "/es/echo/", "/en/echo/?cycle=2024", "/fr/echo/?a=1")
    }
    again = {url: Client().get(url).content.decode() for url in answers}

    assert answers == {
        "/en/echo/": "en ",
        "/es/echo/": "es ",
        "/en/echo/?cycle=2024": "en cycle=2024",
        "/fr/echo/?a=1": "fr a=1",
    }
    assert again == answers
    assert len(own_urls) == 4  # the second round all from the cache


def test_head_and_the_conditional_get_are_answered_from_the_cache(
    published, django_assert_num_queries
):
    page = Client().get("/en/status/")

    with django_assert_num_queries(0):
        head = Client().head("/en/status/")
        not_modified = Client().get("/en/status/", HTTP_IF_NONE_MATCH=page["ETag"])

    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(page.content))
    assert head["ETag"] == page["ETag"]
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == page["ETag"]
    assert not_modified["Content-Security-Policy"] == page["Content-Security-Policy"]


# --- Warmed after a publication ------------------------------------------------------


@pytest.fixture
def warming(settings):
    settings.PUBLICATION_WARM = True
    settings.SITE_URL = "http://testserver"


def test_after_an_acceptance_the_listed_pages_are_warm_in_four_languages(
    published,
    warming,
    focal_mex,
    reviewer,
    cycle,
    mexico,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    before = publication.version()
    with django_capture_on_commit_callbacks(execute=True):
        accept(focal_mex, reviewer, cycle, mexico, "Newly accepted on six.")
    after = publication.version()
    paths = most_read_pages()

    assert after != before
    assert {p.split("/")[1] for p in paths} == set(LANGUAGES)
    assert {"/en/", "/pt/status/", "/fr/status/map/", "/es/states/MEX/"} <= set(paths)
    with django_assert_num_queries(0):
        responses = {p: Client().get(p) for p in paths}
    assert all(r.status_code == 200 for r in responses.values())
    assert all(after in r["ETag"] for r in responses.values())
    assert "Newly accepted on six." in responses["/en/states/MEX/"].content.decode()


def test_a_reader_during_the_rebuild_gets_the_previous_copy(
    published,
    warming,
    settings,
    focal_mex,
    reviewer,
    cycle,
    mexico,
    django_capture_on_commit_callbacks,
):
    old = Client().get("/en/states/MEX/")
    settings.PUBLICATION_WARM_PAGES = f"{__name__}.pages_with_a_reader"
    with django_capture_on_commit_callbacks(execute=True):
        accept(focal_mex, reviewer, cycle, mexico, "Newly accepted on six.")
    new = Client().get("/en/states/MEX/")

    assert [r.status_code for r in READ_DURING_REBUILD] == [200]
    during = READ_DURING_REBUILD[0]
    assert during["ETag"] == old["ETag"]
    assert during.content == old.content
    assert "Newly accepted on six." not in during.content.decode()
    assert new["ETag"] != old["ETag"]
    assert "Newly accepted on six." in new.content.decode()


READ_DURING_REBUILD: list = []


def pages_with_a_reader():
    """The state's page to warm, and a reader arriving while it is rendered."""
    READ_DURING_REBUILD.clear()
    yield "/en/states/MEX/"
    READ_DURING_REBUILD.append(Client().get("/en/states/MEX/"))


def test_an_older_rebuild_finishing_late_never_takes_the_version_back(settings):
    settings.PUBLICATION_WARM_PAGES = f"{__name__}.no_pages"
    older = page_cache.next_version()
    newer = page_cache.next_version()

    tasks.warm_public_pages(newer)
    assert publication.version() == newer

    assert page_cache.make_current(older) is False
    tasks.warm_public_pages(older)
    assert publication.version() == newer


def test_a_rebuild_overtaken_before_it_starts_leaves_the_flip_to_the_later_one(
    settings,
):
    settings.PUBLICATION_WARM_PAGES = f"{__name__}.no_pages"
    current = publication.version()
    older = page_cache.next_version()
    page_cache.next_version()

    assert tasks.warm_public_pages(older) == 0
    assert publication.version() == current


def no_pages() -> list[str]:
    return []


def test_without_a_broker_the_new_version_is_current_at_once(
    warming, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(tasks.warm_public_pages, "delay", broker_down)
    before = publication.version()
    with django_capture_on_commit_callbacks(execute=True):
        publication.changed()

    assert publication.version() != before


def test_without_a_worker_the_next_reader_makes_the_new_version_current(
    published, warming, settings, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(tasks.warm_public_pages, "delay", lambda version: None)
    before = publication.version()
    with django_capture_on_commit_callbacks(execute=True):
        publication.changed()
    waiting = Client().get("/en/status/")
    settings.PUBLICATION_WARM_TIMEOUT = 0
    given_up = Client().get("/en/status/")

    assert before in waiting["ETag"]
    assert publication.version() != before
    assert publication.version() in given_up["ETag"]

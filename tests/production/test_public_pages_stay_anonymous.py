"""Nothing a signed-in person saw ever reaches an anonymous visitor.

Public pages are cached whole for visitors without a session (core/publication.py),
which must know a visitor with a session by the cookie production really sends
(``__Host-sessionid``). For each public page, in each of the four languages, a
signed-in person asks first, then a visitor with no cookies: the visitor's page must
carry nothing of the person's (username, "Sign out", CSRF token, the menus of the
Secretariat and of focal points), and the person's page must never be marked
cacheable by anyone (``Cache-Control: public``). A nonce in the query string gives
each pair a cache entry that nobody else filled first.
"""

import secrets

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.production.stack import CSRF_FIELD

LANGUAGES = ["en", "es", "fr", "pt"]
PEOPLE = ["reviewer", "focal-mex"]
# Links only a signed-in person's navigation has.
PERSONAL_LINKS = [
    "logout",
    "recommendations:notifications",
    "account-security",
    "recommendations:workspace",
    "recommendations:review-queue",
    "recommendations:coverage",
    "reports:home",
]


@pytest.fixture(scope="module")
def public_paths(stack) -> list[str]:
    """Every kind of public page, without the language prefix."""
    themes = stack.client().get(stack.url("/api/v1/themes/"), timeout=30).json()
    theme = themes["results"][0]["slug"]
    return [
        "/",
        "/status/",
        "/status/map/",
        "/states/",
        "/states/MEX/",
        "/states/MEX/recommendations/1/",
        "/recommendations/",
        "/recommendations/1/",
        f"/themes/{theme}/",
        "/data/",
        "/reports/published/",
        "/feed/",
    ]


@pytest.fixture(scope="module")
def signed_in(stack):
    """One signed-in session per person, made when first asked for."""
    sessions = {}

    def session_of(username):
        if username not in sessions:
            sessions[username] = stack.sign_in(username)
        return sessions[username]

    return session_of


def cache_directives(response) -> set[str]:
    header = response.headers.get("Cache-Control", "")
    return {part.strip().split("=")[0].lower() for part in header.split(",") if part}


def personal_markers(username: str, language: str, session, pages: list[str]):
    """What in a page shows who it was made for, by what it looks like."""
    with translation.override(language):
        sign_out = gettext("Sign out (%(name)s)") % {"name": username}
        links = {name: reverse(name) for name in PERSONAL_LINKS}
    markers = {
        "the username": username,
        "Sign out": sign_out,
        "the session cookie": session.cookies.get("__Host-sessionid"),
        "the CSRF cookie": session.cookies.get("__Host-csrftoken"),
    }
    for page in pages:
        for token in CSRF_FIELD.findall(page):
            markers[f"the CSRF token {token[:8]}..."] = token
    for name, url in links.items():
        markers[f"the link to {name}"] = f'"{url}"'
    return {what: text for what, text in markers.items() if text}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("username", PEOPLE)
def test_a_public_page_seen_signed_in_shows_nothing_of_it_to_the_public(
    stack, signed_in, public_paths, username, language
):
    person = signed_in(username)
    problems = []
    for path in public_paths:
        url = stack.url(f"/{language}{path}?nonce={secrets.token_hex(6)}")

        # Given a signed-in person reads the page first
        theirs = person.get(url, timeout=60)
        # When a visitor with no cookies at all reads it next
        anonymous = stack.client().get(url, timeout=60)

        where = f"{language} {path}"
        if theirs.status_code != 200 or anonymous.status_code != 200:
            problems.append(
                f"{where}: answered {theirs.status_code} signed in, "
                f"{anonymous.status_code} anonymous"
            )
            continue
        # Then the person's page is theirs alone
        if "public" in cache_directives(theirs):
            problems.append(
                f"{where}: the signed-in answer says Cache-Control: "
                f"{theirs.headers['Cache-Control']}"
            )
        html = theirs.headers["Content-Type"].startswith("text/html")
        markers = personal_markers(username, language, person, [theirs.text])
        if html and markers["Sign out"] not in theirs.text:
            problems.append(f"{where}: the signed-in page has no Sign out button")
        # And the visitor's page has nothing of it
        for what, text in markers.items():
            if text in anonymous.text:
                problems.append(f"{where}: the anonymous page shows {what} ({text})")
        login = reverse_in(language, "login")
        if html and f'href="{login}"' not in anonymous.text:
            problems.append(f"{where}: the anonymous page has no Sign in link")

    assert problems == [], "\n".join(problems)


def reverse_in(language: str, name: str) -> str:
    with translation.override(language):
        return reverse(name)

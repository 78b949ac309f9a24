"""The public search: recommendations in the reader's language, member states by
name, published summaries; never anything unpublished."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommendations.models import MemberState
from reporting.textsearch import excerpt, fold, pieces
from tests import factories

pytestmark = pytest.mark.django_db

SECRETS = {
    "draft": "Shelterdraft plan kept private",
    "submitted": "Shelterwaiting plan under review",
    "returned": "Shelterreturned plan sent back",
}


@pytest.fixture
def summaries(cycle, mexico, focal_mex, reviewer):
    """Mexico's accepted summaries, and unpublished ones that share a word."""
    factories.progress_update(
        mexico,
        1,
        author=focal_mex,
        reviewer=reviewer,
        cycle=cycle,
        summary="Shelters opened in Oaxaca for survivors.",
        narrative="CONFIDENTIAL Shelter narrative",
        narrative_visibility="confidential",
    )
    factories.progress_update(
        mexico,
        2,
        author=focal_mex,
        reviewer=reviewer,
        cycle=cycle,
        summary='A <script>alert("x")</script> shelter, & more.',
    )
    for number, steps, text in [
        (3, [], SECRETS["draft"]),
        (4, ["submit"], SECRETS["submitted"]),
        (5, ["submit", "return"], SECRETS["returned"]),
    ]:
        factories.progress_update(
            mexico,
            number,
            author=focal_mex,
            reviewer=reviewer,
            steps=steps,
            cycle=cycle,
            summary=text,
        )


def test_folding_ignores_case_and_accents():
    assert fold("  Perú  ÉTATS-Unis ") == "peru etats-unis"
    assert fold("Straße") == "strasse"


def test_pieces_keep_the_original_text_and_mark_each_match():
    found = pieces("México y MEXICO", "mexico")
    assert [(p.text, p.is_match) for p in found] == [
        ("México", True),
        (" y ", False),
        ("MEXICO", True),
    ]
    assert [p.text for p in pieces("no match here", "zzz")] == ["no match here"]


def test_an_excerpt_around_the_first_match():
    text = "word " * 100 + "needle " + "word " * 100
    shown, before, after = excerpt(text, "needle", length=80)
    assert "needle" in shown and before and after and len(shown) <= 80
    assert excerpt("short", "needle", length=80) == ("short", False, False)


def test_the_search_page_without_a_query_shows_the_form(client):
    response = client.get("/en/search/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html and 'name="q"' in html
    assert "errorlist" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word or two to search for."),
        ("   ", "Type a word or two to search for."),
        ("a", "Type at least 2 characters to search for."),
        ("x" * 101, "Search for at most 100 characters (you typed 101)."),
    ],
)
def test_bad_queries_get_a_clear_message(client, query, message):
    response = client.get("/en/search/", {"q": query})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_recommendations_are_searched_in_the_readers_language(client):
    # The shipped working translation of recommendation 12 says "corrupción".
    spanish = client.get("/es/search/", {"q": "CORRUPCION"}).content.decode()
    assert 'href="/es/recommendations/12/"' in spanish
    assert "<mark>corrupción</mark>" in spanish
    english = client.get("/en/search/", {"q": "corrupcion"}).content.decode()
    assert 'href="/en/recommendations/12/"' not in english
    english = client.get("/en/search/", {"q": "corruption"}).content.decode()
    assert 'href="/en/recommendations/12/"' in english


def test_states_are_found_by_name_in_the_readers_language_or_code(client):
    html = client.get("/es/search/", {"q": "mexico"}).content.decode()
    assert '<a href="/es/states/MEX/"><mark>México</mark></a>' in html
    html = client.get("/fr/search/", {"q": "etats-unis"}).content.decode()
    assert 'href="/fr/states/USA/"' in html
    html = client.get("/en/search/", {"q": "bra"}).content.decode()
    assert 'href="/en/states/BRA/"' in html  # the code, and "Brazil"


def test_published_summaries_are_found_and_linked(client, summaries, cycle):
    html = client.get("/en/search/", {"q": "shelter"}).content.decode()
    assert "<mark>Shelter</mark>s opened in Oaxaca" in html
    assert f'href="/en/states/MEX/recommendations/1/?cycle={cycle.slug}"' in html
    assert "2 published summaries" in html


def test_unpublished_summaries_and_narratives_are_never_found(client, summaries):
    html = client.get("/en/search/", {"q": "shelter"}).content.decode()
    for secret in SECRETS.values():
        assert secret not in html
    assert "CONFIDENTIAL" not in html
    for word in ("Shelterdraft", "Shelterwaiting", "Shelterreturned", "CONFIDENTIAL"):
        assert (
            "0 published summaries"
            in client.get("/en/search/", {"q": word}).content.decode()
        )


def test_matches_are_highlighted_with_the_text_escaped(client, summaries):
    html = client.get("/en/search/", {"q": "shelter"}).content.decode()
    assert "<script>alert" not in html
    escaped = "A &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>shelter</mark>"
    assert escaped in html
    html = client.get("/en/search/", {"q": "<script>"}).content.decode()
    assert "<mark>&lt;script&gt;</mark>" in html
    assert 'value="&lt;script&gt;"' in html


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="accents are ignored on PostgreSQL"
)
def test_summaries_are_found_without_their_accents_on_postgresql(
    client, cycle, mexico, focal_mex, reviewer
):
    factories.progress_update(
        mexico,
        6,
        author=focal_mex,
        reviewer=reviewer,
        cycle=cycle,
        summary="Capacitación de fiscales.",
    )
    html = client.get("/en/search/", {"q": "capacitacion"}).content.decode()
    assert "<mark>Capacitación</mark> de fiscales." in html


def test_summaries_are_paginated_and_the_query_kept(client, cycle, focal_mex, reviewer):
    states = MemberState.objects.filter(participating=True).order_by("iso3")[:11]
    for state in states:
        for number in (1, 2):
            factories.progress_update(
                state,
                number,
                author=reviewer,
                reviewer=factories.secretariat(),
                cycle=cycle,
                summary=f"Hotline opened by {state.iso3} on {number}.",
                on_behalf_reference="Note verbale 1/2026",
            )
    first = client.get("/en/search/", {"q": "hotline"}).content.decode()
    assert "22 published summaries" in first and "Page 1 of 2" in first
    assert 'href="?q=hotline&amp;page=2"' in first
    second = client.get("/en/search/", {"q": "hotline", "page": "2"}).content.decode()
    assert "Page 2 of 2" in second and second.count("<mark>Hotline</mark>") == 2
    # A page out of range shows the last, never an error.
    assert client.get("/en/search/", {"q": "hotline", "page": "99"}).status_code == 200


def test_search_queries_do_not_grow_with_the_data(
    client, cycle, reviewer, django_assert_max_num_queries
):
    other = factories.secretariat()
    states = list(MemberState.objects.filter(participating=True).order_by("iso3"))

    def publish(first, last):
        for state in states[first:last]:
            factories.progress_update(
                state,
                1,
                author=reviewer,
                reviewer=other,
                cycle=cycle,
                summary=f"Hotline of {state.iso3}.",
                on_behalf_reference="Note verbale 1/2026",
            )

    publish(0, 1)
    with CaptureQueriesContext(connection) as small:
        client.get("/en/search/", {"q": "hotline"})
    publish(1, 25)
    with django_assert_max_num_queries(len(small)):
        html = client.get("/en/search/", {"q": "hotline"}).content.decode()
    assert "25 published summaries" in html


def test_the_dashboard_has_the_search_form(client, cycle):
    html = client.get("/en/status/").content.decode()
    assert 'action="/en/search/"' in html and 'role="search"' in html

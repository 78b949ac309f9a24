"""The public side: only accepted updates, only their public parts, fast and cached."""

import csv
import io
import json
import zipfile
from xml.etree import ElementTree

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from recommendations import services
from recommendations.models import MemberState
from tests import factories

pytestmark = pytest.mark.django_db

CHECKLIST = dict.fromkeys(services.REVIEW_CHECKLIST, True)
SECRETS = {
    "draft": "DRAFT-SUMMARY-never-public",
    "submitted": "SUBMITTED-SUMMARY-never-public",
    "returned": "RETURNED-SUMMARY-never-public",
    "confidential": "CONFIDENTIAL-NARRATIVE-never-public",
    "confidential_challenges": "CONFIDENTIAL-CHALLENGES-never-public",
}
PUBLISHED_SUMMARY = "Mexico adopted its national plan."
PUBLISHED_NARRATIVE = "PUBLIC-NARRATIVE-of-Mexico"


@pytest.fixture
def world(focal_mex, reviewer, cycle, mexico, django_capture_on_commit_callbacks):
    """Mexico's updates in every review state, public and confidential."""
    with django_capture_on_commit_callbacks(execute=True):
        factories.progress_update(
            mexico,
            1,
            author=focal_mex,
            steps=["submit", "accept"],
            reviewer=reviewer,
            cycle=cycle,
            summary=PUBLISHED_SUMMARY,
            narrative=PUBLISHED_NARRATIVE,
            narrative_visibility="public",
            status="largely_implemented",
        )
        factories.progress_update(
            mexico,
            2,
            author=focal_mex,
            steps=["submit", "accept"],
            reviewer=reviewer,
            cycle=cycle,
            summary="Mexico trains prosecutors.",
            narrative=SECRETS["confidential"],
            challenges=SECRETS["confidential_challenges"],
            narrative_visibility="confidential",
            status="in_progress",
        )
        factories.progress_update(
            mexico,
            3,
            author=focal_mex,
            steps=[],
            reviewer=reviewer,
            cycle=cycle,
            summary=SECRETS["draft"],
        )
        factories.progress_update(
            mexico,
            4,
            author=focal_mex,
            steps=["submit"],
            reviewer=reviewer,
            cycle=cycle,
            summary=SECRETS["submitted"],
        )
        factories.progress_update(
            mexico,
            5,
            author=focal_mex,
            steps=["submit", "return"],
            reviewer=reviewer,
            cycle=cycle,
            summary=SECRETS["returned"],
        )
    cache.clear()


PUBLIC_PAGES = [
    "/en/",
    "/en/status/",
    "/en/status/map/",
    "/en/states/",
    "/en/states/MEX/",
    "/en/states/MEX/recommendations/1/",
    "/en/states/MEX/recommendations/2/",
    "/en/states/MEX/recommendations/3/",
    "/en/states/MEX/recommendations/4/",
    "/en/themes/multidimensional-approach/",
    "/en/recommendations/1/",
    "/en/recommendations/2/",
    "/en/recommendations/3/",
    "/en/recommendations/",
    "/en/data/",
    "/en/feed/",
    "/en/data/status.csv",
    "/en/data/status.json",
    "/en/data/measures.csv",
    "/en/data/recommendations.json",
    "/en/data/states.csv",
    "/en/data/themes.json",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_nothing_unpublished_reaches_the_public(client, world, path):
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    for secret in SECRETS.values():
        assert secret not in body, path


def test_nothing_unpublished_in_the_spreadsheets_and_the_full_export(client, world):
    for name in ("status", "measures", "states"):
        workbook = load_workbook(
            io.BytesIO(client.get(f"/en/data/{name}.xlsx").content)
        )
        text = " ".join(
            str(cell.value)
            for sheet in workbook
            for row in sheet.iter_rows()
            for cell in row
        )
        assert not any(secret in text for secret in SECRETS.values())
    archive = zipfile.ZipFile(io.BytesIO(client.get("/en/data/export/").content))
    everything = " ".join(
        archive.read(name).decode("utf-8-sig") for name in archive.namelist()
    )
    assert PUBLISHED_SUMMARY in everything
    assert not any(secret in everything for secret in SECRETS.values())


def test_the_published_update_shows_its_public_parts(client, world):
    html = client.get("/en/states/MEX/recommendations/1/").content.decode()
    assert PUBLISHED_SUMMARY in html and PUBLISHED_NARRATIVE in html
    assert "Largely implemented" in html and "National action plan" in html
    confidential = client.get("/en/states/MEX/recommendations/2/").content.decode()
    assert "Mexico trains prosecutors." in confidential  # the summary is public
    assert "In progress" in confidential


def test_no_information_where_there_is_none(client, world):
    html = client.get("/en/states/MEX/recommendations/3/").content.decode()
    assert "No information" in html
    html = client.get("/en/states/BRA/").content.decode()
    assert html.count("No information") >= 21


def test_the_dashboard_counts_only_accepted_updates(client, world):
    html = client.get("/en/status/").content.decode()
    assert "of 32 participating states have reported" in html
    assert ">1</strong>" in html  # Mexico alone


def test_matrix_cells_link_to_the_published_update(client, world):
    html = client.get("/en/status/").content.decode()
    assert 'href="/en/states/MEX/recommendations/1/"' in html
    assert 'href="/en/states/MEX/recommendations/3/"' not in html  # a draft: no link
    assert "Recommendation 1: Largely implemented" in html  # text, not colour alone


def test_the_map_draws_every_state_and_has_a_table(client, world):
    html = client.get("/en/status/map/").content.decode()
    assert html.count('class="map-state') >= 35
    assert "Mexico: 5% largely or fully implemented" in html  # 1 of 21, rounded
    assert "Cuba: not participating" in html
    assert "<table" in html


def test_csv_json_and_xlsx_hold_the_same_rows(client, world):
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/en/data/status.csv?state=MEX").content.decode("utf-8-sig")
            )
        )
    )
    assert len(rows) == 21
    first = next(row for row in rows if row["recommendation"] == "1")
    assert (
        first["status"] == "largely_implemented"
        and first["summary"] == PUBLISHED_SUMMARY
    )
    assert (
        next(r for r in rows if r["recommendation"] == "3")["status"]
        == "no_information"
    )
    document = json.loads(client.get("/en/data/status.json?state=MEX").content)
    assert document["licence"]["name"] == "CC BY 4.0"
    assert {c["name"] for c in document["columns"]} >= {"member_state", "status"}
    assert len(document["rows"]) == 21
    sheet = load_workbook(
        io.BytesIO(client.get("/en/data/status.xlsx?state=MEX").content)
    )["status"]
    assert sheet.max_row == 22  # header and 21 rows


def test_the_full_export_is_dated(client, world):
    response = client.get("/en/data/export/")
    assert response["Content-Disposition"].startswith(
        'attachment; filename="tip-portal-eighth-meeting-'
    )
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert any(name.endswith("/status.csv") for name in names)
    assert any(name.endswith("/README.txt") for name in names)


def test_a_cached_download_keeps_its_file_name_and_licence(client, world):
    first = client.get("/en/data/status.csv")
    again = client.get("/en/data/status.csv")  # from the cache this time
    assert again.content == first.content
    for header in ("Content-Type", "Content-Disposition", "Link"):
        assert again[header] == first[header], header
    assert again["Content-Disposition"].startswith("attachment; filename=")
    assert again["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_the_feed_lists_newly_accepted_updates(client, world):
    response = client.get("/en/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 - our own feed
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert "Mexico, recommendation 1: Largely implemented" in titles
    assert len(list(feed.iter("{http://www.w3.org/2005/Atom}entry"))) == 2


def test_the_data_page_has_a_dictionary_and_licence(client, world):
    html = client.get("/en/data/").content.decode()
    assert "CC BY 4.0" in html and 'rel="license"' in html
    assert "update_url" in html and "Page of the published update" in html


def test_a_second_request_with_the_validator_gets_304(client, world):
    first = client.get("/en/status/")
    etag = first["ETag"]
    again = client.get("/en/status/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert client.get("/es/status/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_cached_page_costs_no_query_and_acceptance_refreshes_it(
    client,
    world,
    focal_mex,
    reviewer,
    cycle,
    mexico,
    django_capture_on_commit_callbacks,
):
    client.get("/en/status/")
    with CaptureQueriesContext(connection) as queries:
        cached = client.get("/en/status/")
    assert cached.status_code == 200 and len(queries) == 0
    with django_capture_on_commit_callbacks(execute=True):
        factories.progress_update(
            mexico,
            6,
            author=focal_mex,
            steps=["submit", "accept"],
            reviewer=reviewer,
            cycle=cycle,
            summary="Newly accepted on six.",
        )
    fresh = client.get("/en/states/MEX/")
    assert "Newly accepted on six." in fresh.content.decode()
    assert fresh["ETag"] != cached["ETag"]


def test_signed_in_people_are_not_served_the_public_cache(client, world, focal_mex):
    client.get("/en/status/")
    client.force_login(focal_mex)
    html = client.get("/en/status/").content.decode()
    assert "Sign out (maria)" in html
    assert "private" in client.get("/en/status/")["Cache-Control"]


def test_dashboard_queries_are_the_same_at_1x_and_10x(
    client, focal_mex, reviewer, cycle, django_capture_on_commit_callbacks
):
    states = list(MemberState.objects.filter(participating=True)[:10])

    def publish(count):
        for state in states[:count]:
            for number in (1, 2):
                factories.progress_update(
                    state,
                    number,
                    author=reviewer,
                    steps=["submit"],
                    reviewer=reviewer,
                    cycle=cycle,
                    on_behalf_reference="Note verbale 1/2026",
                )
        # Another reviewer accepts what this one entered.
        from tests.factories import secretariat

        other = secretariat()
        for update in cycle.updates.filter(review_state="submitted"):
            services.progress_update_accept(
                update=update, actor=other, checklist=CHECKLIST
            )

    def count_queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/en/status/").status_code == 200
        return len(queries)

    publish(1)
    at_1x = count_queries()
    publish(10)
    assert cycle.updates.filter(review_state="accepted").count() >= 20
    assert count_queries() == at_1x


@pytest.mark.parametrize(
    ("language", "name", "heading"),
    [
        ("es", "México", "Estados Miembros"),
        ("fr", "Mexique", "États membres"),
        ("pt", "México", "Estados membros"),
    ],
)
def test_state_names_in_each_language(client, world, language, name, heading):
    html = client.get(f"/{language}/states/").content.decode()
    assert f'<html lang="{language}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert f'<a href="/{language}/states/MEX/">{name}</a>' in html


def test_language_links_keep_the_page(client, world):
    html = client.get("/en/states/MEX/").content.decode()
    assert 'href="/es/states/MEX/"' in html and 'href="/pt/states/MEX/"' in html

"""Change over time: each state's status on each recommendation, cycle by cycle, on
the state and recommendation pages and in the open data; accepted statuses only."""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from recommendations.models import (
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
)
from reporting.selectors import (
    history_cycles,
    history_updates,
    recommendation_status_history,
    state_status_history,
)
from tests import factories

pytestmark = pytest.mark.django_db

RETURNED = "RETURNED-in-the-old-cycle-never-public"
DRAFT = "DRAFT-in-the-old-cycle-never-public"
SUBMITTED = "SUBMITTED-in-the-old-cycle-never-public"
CONFIDENTIAL = "CONFIDENTIAL-NARRATIVE-never-public"
AFTER_CLOSE = "Accepted after the cycle closed: not its picture"


def closed_cycle(current: ReportingCycle, *, slug: str, years: int) -> ReportingCycle:
    """A cycle of the same instrument, ``years`` before the open one, closed."""
    start = current.period_start - timedelta(days=365 * years)
    closed_at = timezone.now() - timedelta(days=200 * years)
    return ReportingCycle.objects.create(
        instrument=current.instrument,
        name=f"Cycle {slug}",
        slug=slug,
        meeting="An earlier meeting",
        period_start=start,
        period_end=start + timedelta(days=300),
        deadline=closed_at - timedelta(days=10),
        is_open=False,
        closed_at=closed_at,
    )


def stored(cycle, state, number, status, *, author, reviewer, **fields):
    """An update as the workflow leaves it in a closed cycle (accepted by default,
    a day before the cycle closed)."""
    values = {
        "review_state": ReviewState.ACCEPTED,
        "summary": f"{state.iso3} on {number} in {cycle.slug}: {status}.",
        "narrative_visibility": "public",
        "reviewed_at": cycle.closed_at - timedelta(days=1),
    }
    values.update(fields)
    accepted = values["review_state"] == ReviewState.ACCEPTED
    return ProgressUpdate.objects.create(
        cycle=cycle,
        member_state=state,
        recommendation=Recommendation.objects.get(
            instrument=cycle.instrument, number=number
        ),
        status=status,
        author=author,
        submitted_at=cycle.closed_at - timedelta(days=3),
        reviewed_by=reviewer if accepted else None,
        **values,
    )


@pytest.fixture
def history(cycle, mexico, brazil, focal_mex, reviewer):
    """Two closed cycles and the open one. Mexico on recommendation 1: not started,
    then in progress (then, after the close, not started again: ignored), then
    largely implemented now. Unpublished updates in the old cycles."""
    oldest = closed_cycle(cycle, slug="sixth-meeting", years=4)
    older = closed_cycle(cycle, slug="seventh-meeting", years=2)
    stored(oldest, mexico, 1, "not_started", author=focal_mex, reviewer=reviewer)
    stored(older, mexico, 1, "planned", author=focal_mex, reviewer=reviewer)
    stored(
        older,
        mexico,
        1,
        "in_progress",
        author=focal_mex,
        reviewer=reviewer,
        reviewed_at=older.closed_at - timedelta(hours=1),
        narrative=CONFIDENTIAL,
        narrative_visibility="confidential",
    )
    stored(
        older,
        mexico,
        1,
        "not_started",
        author=focal_mex,
        reviewer=reviewer,
        summary=AFTER_CLOSE,
        reviewed_at=older.closed_at + timedelta(days=1),
    )
    stored(older, brazil, 1, "fully_implemented", author=focal_mex, reviewer=reviewer)
    for number, state, secret in [
        (2, ReviewState.RETURNED, RETURNED),
        (3, ReviewState.DRAFT, DRAFT),
        (4, ReviewState.SUBMITTED, SUBMITTED),
    ]:
        stored(
            older,
            mexico,
            number,
            "fully_implemented",
            author=focal_mex,
            reviewer=reviewer,
            review_state=state,
            summary=secret,
            reviewed_at=None,
        )
    factories.progress_update(
        mexico,
        1,
        author=focal_mex,
        reviewer=reviewer,
        cycle=cycle,
        status="largely_implemented",
        summary="Mexico now: largely implemented.",
    )
    return {"oldest": oldest, "older": older, "open": cycle}


def test_cycles_oldest_first_and_never_one_not_yet_opened(cycle, history):
    ReportingCycle.objects.create(
        instrument=cycle.instrument,
        name="Ninth",
        slug="ninth-meeting",
        meeting="Ninth Meeting",
        period_start=cycle.period_end + timedelta(days=1),
        period_end=cycle.period_end + timedelta(days=700),
        deadline=timezone.now() + timedelta(days=900),
    )
    assert [c.slug for c in history_cycles(instrument=cycle.instrument)] == [
        "sixth-meeting",
        "seventh-meeting",
        cycle.slug,
    ]


def test_each_cycle_gives_the_status_it_closed_with(history, mexico, cycle):
    found = state_status_history(
        member_state=mexico,
        recommendations=list(
            Recommendation.objects.filter(instrument=cycle.instrument, number__lte=4)
        ),
    )
    rows = {row.subject.number: row.statuses for row in found.rows}
    assert [u.status if u else None for u in rows[1]] == [
        "not_started",
        "in_progress",  # the latest before the close, not the one accepted after
        "largely_implemented",  # the open cycle, so far
    ]
    # Returned, draft and submitted updates are never a status.
    assert rows[2] == rows[3] == rows[4] == [None, None, None]


def test_recommendation_history_lists_participating_states(history, cycle):
    recommendation = Recommendation.objects.get(instrument=cycle.instrument, number=1)
    participating = list(MemberState.objects.filter(participating=True))
    found = recommendation_status_history(
        recommendation=recommendation, states=participating
    )
    by_state = {row.subject.iso3: row.statuses for row in found.rows}
    assert len(by_state) == len(participating)
    assert [u.status if u else None for u in by_state["BRA"]] == [
        None,
        "fully_implemented",
        None,
    ]
    assert by_state["ARG"] == [None, None, None]


def test_the_secretariat_row_on_its_own_recommendation(cycle, reviewer):
    factories.progress_update(
        None,
        22,
        author=reviewer,
        reviewer=factories.secretariat(),
        cycle=cycle,
        status="in_progress",
    )
    recommendation = Recommendation.objects.get(instrument=cycle.instrument, number=22)
    found = recommendation_status_history(
        recommendation=recommendation, states=list(MemberState.objects.all())
    )
    assert [row.subject for row in found.rows] == [None]
    assert found.rows[0].statuses[-1].status == "in_progress"


def test_the_state_page_shows_a_table_of_cycles(client, history):
    html = client.get("/en/states/MEX/").content.decode()
    assert "Change over time" in html
    assert "Cycle sixth-meeting" in html and "Cycle seventh-meeting" in html
    assert "(open: accepted so far)" in html and "(as it closed," in html
    section = html[html.index('id="history-heading"') :]
    assert section.index("Not started") < section.index("In progress")
    assert 'href="/en/states/MEX/recommendations/1/?cycle=seventh-meeting"' in html
    assert 'href="/en/data/history.csv?state=MEX"' in html


def test_the_recommendation_page_shows_each_state_by_cycle(client, history):
    html = client.get("/en/recommendations/1/").content.decode()
    section = html[html.index('id="history-heading"') :]
    assert "Recommendation 1: status by reporting cycle" in section
    assert 'href="/en/states/BRA/recommendations/1/?cycle=seventh-meeting"' in section
    assert "Fully implemented" in section


def test_no_history_section_without_any_status(client, cycle):
    assert "Change over time" not in client.get("/en/states/MEX/").content.decode()


@pytest.mark.parametrize("path", ["/en/states/MEX/", "/en/recommendations/1/"])
def test_nothing_unpublished_in_the_history_pages(client, history, path):
    html = client.get(path).content.decode()
    for secret in (RETURNED, DRAFT, SUBMITTED, CONFIDENTIAL, AFTER_CLOSE):
        assert secret not in html


def test_the_history_resource_in_csv_json_and_xlsx(client, history):
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    "/en/data/history.csv?state=MEX&recommendation=1"
                ).content.decode("utf-8-sig")
            )
        )
    )
    assert [(r["cycle"], r["status"]) for r in rows] == [
        ("sixth-meeting", "not_started"),
        ("seventh-meeting", "in_progress"),
        (history["open"].slug, "largely_implemented"),
    ]
    first = rows[0]
    assert first["member_state"] == "MEX" and first["member_state_name"] == "Mexico"
    assert first["summary_language"] == "en" and first["accepted_at"]
    assert first["cycle_closed_at"] and rows[2]["cycle_closed_at"] == ""
    assert first["update_url"].endswith(
        "/en/states/MEX/recommendations/1/?cycle=sixth-meeting"
    )
    document = json.loads(client.get("/en/data/history.json?state=MEX").content)
    assert {c["name"] for c in document["columns"]} >= {
        "member_state",
        "recommendation",
        "cycle",
        "status",
        "accepted_at",
    }
    assert len(document["rows"]) == 3
    sheet = load_workbook(
        io.BytesIO(client.get("/en/data/history.xlsx?status=fully_implemented").content)
    )["history"]
    assert [cell.value for cell in sheet[2]][:1] == ["BRA"]
    assert sheet.max_row == 2


def test_the_history_resource_in_spanish(client, history):
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get("/es/data/history.csv?state=MEX").content.decode("utf-8-sig")
            )
        )
    )
    assert rows[0]["member_state_name"] == "México"
    assert rows[0]["member_state_name_en"] == "Mexico"


def test_nothing_unpublished_in_the_history_resource(client, history):
    body = client.get("/en/data/history.csv").content.decode("utf-8-sig")
    for secret in (RETURNED, DRAFT, SUBMITTED, CONFIDENTIAL, AFTER_CLOSE):
        assert secret not in body
    archive = zipfile.ZipFile(io.BytesIO(client.get("/en/data/export/").content))
    names = archive.namelist()
    assert any(name.endswith("/history.csv") for name in names)
    assert any(name.endswith("/history.json") for name in names)
    everything = " ".join(
        archive.read(name).decode("utf-8-sig") for name in names if "history" in name
    )
    assert "MEX on 1 in sixth-meeting: not_started." in everything
    assert not any(
        secret in everything
        for secret in (RETURNED, DRAFT, SUBMITTED, CONFIDENTIAL, AFTER_CLOSE)
    )


def test_a_formula_in_a_summary_is_neutralised(client, history, mexico, focal_mex):
    stored(
        history["oldest"],
        mexico,
        5,
        "planned",
        author=focal_mex,
        reviewer=None,
        summary='=HYPERLINK("http://evil.example","click")',
    )
    body = client.get("/en/data/history.csv?recommendation=5").content.decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK" in body


def test_the_data_page_lists_the_history(client, history):
    html = client.get("/en/data/").content.decode()
    assert "Statuses across reporting cycles" in html
    assert "/en/data/history.csv" in html and "cycle_closed_at" in html


def test_history_queries_do_not_grow_with_the_data(
    client, cycle, focal_mex, reviewer, django_assert_max_num_queries
):
    older = closed_cycle(cycle, slug="seventh-meeting", years=2)
    states = list(MemberState.objects.filter(participating=True).order_by("iso3"))
    paths = ["/en/states/ARG/", "/en/recommendations/1/", "/en/data/history.csv"]

    def publish(first, last):
        for state in states[first:last]:
            for number in range(1, 8):
                stored(older, state, number, "planned", author=focal_mex, reviewer=None)

    def count(path) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    publish(0, 1)
    at_small = {path: count(path) for path in paths}
    publish(1, 20)
    assert ProgressUpdate.objects.filter(cycle=older).count() == 140
    for path in paths:
        cache.clear()
        with django_assert_max_num_queries(at_small[path]):
            assert client.get(path).status_code == 200


def test_history_updates_read_no_narrative(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        cycles = history_cycles(instrument=history["open"].instrument)
        updates = history_updates(cycles=cycles)
        assert all("narrative" in u.get_deferred_fields() for u in updates)
        assert {u.member_state.iso3 for u in updates} == {"MEX", "BRA"}

"""Every role against every report page, action and download.

The cast (tests/conftest.py): the public, Maria (focal point of Mexico), Bruno (focal
point of Brazil, who should have no access to Mexico's reports), Rita (Secretariat
reviewer) and Alba (Secretariat admin). Each denial checks the answer and that the
database did not change.
"""

import json
import re
import socket

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from reporting.models import ReportRun, ReportText
from tests.celery_support import celery_using

pytestmark = pytest.mark.django_db

ROLES = ["public", "focal_mex", "focal_bra", "reviewer", "secretariat_admin"]
LOGIN = "login"
PDF = b"%PDF-1.4\n% a report\n"
State = ReportRun.State


def run_for(cycle, *, state=None, succeeded=True, published_by=None) -> ReportRun:
    now = timezone.now()
    run = ReportRun.objects.create(
        cycle=cycle,
        member_state=state,
        language="en",
        as_of=now,
        queued_at=now,
        state=State.SUCCEEDED if succeeded else State.RUNNING,
        stage="done" if succeeded else "rendering",
        progress=100 if succeeded else 40,
        attempts=1,
        started_at=now,
        heartbeat_at=now,
        finished_at=now if succeeded else None,
        sha256="ab" * 32 if succeeded else "",
        page_count=3 if succeeded else None,
    )
    if succeeded:
        run.pdf.save(f"{run.pk}.pdf", ContentFile(PDF), save=False)
        run.size = len(PDF)
        if published_by:
            run.published_at, run.published_by = now, published_by
        run.save()
    return run


@pytest.fixture
def runs(cycle, mexico, secretariat_admin) -> dict[str, ReportRun]:
    return {
        "hemispheric": run_for(cycle),
        "mexico": run_for(cycle, state=mexico),
        "published": run_for(cycle, published_by=secretariat_admin),
        "running": run_for(cycle, succeeded=False),
    }


@pytest.fixture
def texts(cycle, secretariat_admin) -> ReportText:
    """The introduction and conclusions in English: what publication needs."""
    return ReportText.objects.create(
        cycle=cycle,
        language="en",
        introduction="Why.",
        conclusions="What.",
        written_by=secretariat_admin,
    )


@pytest.fixture
def browse(request, client):
    """A client signed in as the role (or nobody, for the public)."""

    def as_(role: str):
        if role != "public":
            client.force_login(request.getfixturevalue(role))
        return client

    return as_


def check(response, expected) -> None:
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/?next=")
    elif isinstance(expected, str):
        assert response.status_code == 302
        assert response["Location"] == expected
    else:
        assert response.status_code == expected, response.content[:300]


# --- Pages and downloads --------------------------------------------------------


PAGES = {
    "reports home": (
        lambda runs: "/en/reports/",
        [LOGIN, "/en/reports/states/MEX/", "/en/reports/states/BRA/", 200, 200],
    ),
    "Mexico's reports": (
        lambda runs: "/en/reports/states/MEX/",
        [LOGIN, 200, 403, 200, 200],
    ),
    "hemispheric run": (
        lambda runs: f"/en/reports/runs/{runs['hemispheric'].pk}/",
        [LOGIN, 404, 404, 200, 200],
    ),
    "Mexico's run": (
        lambda runs: f"/en/reports/runs/{runs['mexico'].pk}/",
        [LOGIN, 200, 404, 200, 200],
    ),
    "hemispheric status": (
        lambda runs: f"/en/reports/runs/{runs['running'].pk}/status/",
        [401, 404, 404, 200, 200],
    ),
    "Mexico's status": (
        lambda runs: f"/en/reports/runs/{runs['mexico'].pk}/status/",
        [401, 200, 404, 200, 200],
    ),
    "hemispheric download": (
        lambda runs: f"/en/reports/runs/{runs['hemispheric'].pk}/download/",
        [LOGIN, 404, 404, 200, 200],
    ),
    "Mexico's download": (
        lambda runs: f"/en/reports/runs/{runs['mexico'].pk}/download/",
        [LOGIN, 200, 404, 200, 200],
    ),
    "unfinished download": (
        lambda runs: f"/en/reports/runs/{runs['running'].pk}/download/",
        [LOGIN, 404, 404, 404, 404],
    ),
    "texts": (
        lambda runs: f"/en/reports/texts/{runs['hemispheric'].cycle.slug}/en/",
        [LOGIN, 403, 403, 200, 200],
    ),
    "published reports": (lambda runs: "/en/reports/published/", [200] * 5),
    "published download": (
        lambda runs: f"/en/reports/published/{runs['published'].pk}/download/",
        [200] * 5,
    ),
    "unpublished, by the public address": (
        lambda runs: f"/en/reports/published/{runs['hemispheric'].pk}/download/",
        [404] * 5,
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES)
def test_who_sees_which_report_page(browse, runs, page, role):
    url, expected = PAGES[page]
    before = list(ReportRun.objects.order_by("pk").values())
    check(browse(role).get(url(runs)), expected[ROLES.index(role)])
    assert list(ReportRun.objects.order_by("pk").values()) == before


@pytest.mark.parametrize(
    ("role", "run"),
    [("reviewer", "hemispheric"), ("focal_mex", "mexico"), ("public", "published")],
)
def test_a_pdf_is_served_as_an_attachment_never_sniffed(browse, runs, role, run):
    path = "published/{}/download" if run == "published" else "runs/{}/download"
    response = browse(role).get(f"/en/reports/{path.format(runs[run].pk)}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="tip-progress-report-[a-z0-9-]+\.pdf"', disposition)
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    if run == "published" and role == "public":
        assert directives == {"public", "max-age=300"}
    else:
        assert {"private", "no-store"} <= directives and "public" not in directives


def test_the_reports_page_lists_the_runs_and_the_texts(browse, runs):
    response = browse("reviewer").get("/en/reports/")
    page = response.content.decode()
    assert "Generate the hemispheric report" in page
    assert f"Run {runs['hemispheric'].pk}" in page
    assert "abababababababab…" in page
    assert "Not written yet" in page
    assert "Write the texts in English" in page
    assert f"Run {runs['mexico'].pk}" not in page  # a state's runs are on its page


def test_the_run_page_has_a_bar_that_works_without_script(browse, runs):
    run = runs["running"]
    page = browse("reviewer").get(f"/en/reports/runs/{run.pk}/").content.decode()
    assert '<progress id="report-progress" max="100" value="40"' in page
    assert '<label for="report-progress">Progress</label>' in page
    assert 'role="status"' in page
    assert f'href="/en/reports/runs/{run.pk}/">Refresh</a>' in page
    assert f'data-status-url="/en/reports/runs/{run.pk}/status/"' in page
    assert '<script src="/static/js/report-progress.js" defer></script>' in page
    # No inline script or style: the pages run under a strict CSP.
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "style=" not in page and "<style" not in page


def test_the_status_says_where_the_run_stands(browse, runs):
    response = browse("reviewer").get(f"/en/reports/runs/{runs['running'].pk}/status/")
    status = json.loads(response.content)
    assert status["state"] == "running"
    assert status["progress"] == 40
    assert status["stage_label"] == "Rendering the PDF"
    assert status["finished"] is False
    assert status["download_url"] is None
    assert response["Cache-Control"].startswith("max-age=0")
    done = json.loads(
        browse("reviewer")
        .get(f"/en/reports/runs/{runs['hemispheric'].pk}/status/")
        .content
    )
    assert done["finished"] is True
    assert done["message"] == "The report is ready: 3 pages."
    assert (
        done["download_url"] == f"/en/reports/runs/{runs['hemispheric'].pk}/download/"
    )


# --- Actions ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_who_generates_the_hemispheric_report(browse, cycle, role):
    response = browse(role).post(
        "/en/reports/generate/", {"cycle": cycle.slug, "language": "es"}
    )
    if role in ("reviewer", "secretariat_admin"):
        run = ReportRun.objects.get()
        check(response, f"/en/reports/runs/{run.pk}/")
        assert (run.member_state, run.language, run.state) == (None, "es", "queued")
    else:
        check(response, LOGIN if role == "public" else 403)
        assert not ReportRun.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_generates_mexico_s_report(browse, cycle, role, mexico):
    response = browse(role).post(
        "/en/reports/states/MEX/generate/", {"cycle": cycle.slug, "language": "en"}
    )
    if role in ("focal_mex", "reviewer", "secretariat_admin"):
        run = ReportRun.objects.get()
        check(response, f"/en/reports/runs/{run.pk}/")
        assert run.member_state == mexico
    else:
        check(response, LOGIN if role == "public" else 403)
        assert not ReportRun.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_an_admin_publishes(browse, runs, role, texts):
    run = runs["hemispheric"]
    asked = browse(role).get(f"/en/reports/runs/{run.pk}/publish/")
    response = browse(role).post(f"/en/reports/runs/{run.pk}/publish/")
    run.refresh_from_db()
    if role == "secretariat_admin":
        # Asked to confirm first, then the final edition is queued
        assert asked.status_code == 200
        assert "Confirm: publish the report" in asked.content.decode()
        edition = ReportRun.objects.get(edition_of=run)
        check(response, f"/en/reports/runs/{edition.pk}/")
        assert edition.final and edition.state == State.QUEUED
        assert run.published_at is None  # the draft stays a draft
    else:
        expected = {"public": LOGIN, "reviewer": 403}.get(role, 404)
        check(asked, expected)
        check(response, expected)
        assert run.published_at is None
        assert not ReportRun.objects.filter(edition_of=run).exists()


@pytest.mark.parametrize("role", ROLES)
def test_only_an_admin_withdraws_a_published_report(browse, runs, role):
    run = runs["published"]
    response = browse(role).post(f"/en/reports/runs/{run.pk}/unpublish/")
    run.refresh_from_db()
    if role == "secretariat_admin":
        check(response, f"/en/reports/runs/{run.pk}/")
        assert run.published_at is None
    else:
        check(response, {"public": LOGIN, "reviewer": 403}.get(role, 404))
        assert run.published_at is not None


@pytest.mark.parametrize("role", ROLES)
def test_who_writes_the_report_texts(browse, cycle, role):
    response = browse(role).post(
        f"/en/reports/texts/{cycle.slug}/es/",
        {"introduction": "Este informe…", "conclusions": "En suma…"},
    )
    if role in ("reviewer", "secretariat_admin"):
        check(response, f"/en/reports/?cycle={cycle.slug}")
        text = ReportText.objects.get()
        assert (text.language, text.introduction) == ("es", "Este informe…")
    else:
        check(response, LOGIN if role == "public" else 403)
        assert not ReportText.objects.exists()


def test_a_focal_point_cannot_reach_another_state_s_reports(browse):
    client = browse("focal_bra")
    assert client.get("/en/reports/states/?state=MEX").status_code == 403
    assert client.get("/en/reports/states/?state=XXX").status_code == 404
    check(client.get("/en/reports/states/?state=BRA"), "/en/reports/states/BRA/")


def test_a_failed_run_offers_to_ask_again(browse, runs):
    run = runs["running"]
    ReportRun.objects.filter(pk=run.pk).update(
        state=State.FAILED, error="The report could not be compiled: boom"
    )
    page = browse("reviewer").get(f"/en/reports/runs/{run.pk}/").content.decode()
    assert "The report failed: The report could not be compiled: boom" in page
    assert "Ask for the report again" in page
    assert "Refresh" not in page


# --- The broker is down -------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker_down():
    with celery_using(f"redis://127.0.0.1:{_closed_port()}/0"):
        yield


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_the_broker_down_the_page_says_so_and_keeps_nothing(
    client, reviewer, cycle, broker_down
):
    client.force_login(reviewer)
    response = client.post(
        "/en/reports/generate/", {"cycle": cycle.slug, "language": "en"}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(f"/en/reports/?cycle={cycle.slug}", 302)]
    assert "The job queue is not answering, so the report was not started" in (
        response.content.decode()
    )
    assert not ReportRun.objects.exists()


def test_a_report_is_asked_for_in_any_of_the_four_languages(browse, cycle):
    client = browse("reviewer")
    html = client.get("/fr/reports/").content.decode()
    for code in ("en", "es", "fr", "pt"):
        assert f'name="language" value="{code}"' in html
    # The page's language is the one chosen at first.
    assert re.search(r'value="fr"[^>]*checked', html)
    for code in ("fr", "pt"):
        assert f"/fr/reports/texts/{cycle.slug}/{code}/" in html
    response = client.post(
        "/en/reports/generate/", {"cycle": cycle.slug, "language": "pt"}
    )
    run = ReportRun.objects.get()
    check(response, f"/en/reports/runs/{run.pk}/")
    assert run.language == "pt"

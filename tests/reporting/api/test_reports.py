"""Report runs through the API: ask (202), follow, download; and who may."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from reporting.models import ReportRun
from tests.api_client import ROLES, error_of

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports/"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def finished_run(cycle, member_state=None, published=False, **fields) -> ReportRun:
    run = ReportRun.objects.create(
        cycle=cycle,
        member_state=member_state,
        language="en",
        as_of=timezone.now(),
        state=ReportRun.State.SUCCEEDED,
        stage=ReportRun.Stage.DONE,
        progress=100,
        page_count=1,
        finished_at=timezone.now(),
        **fields,
    )
    run.pdf.save("report.pdf", ContentFile(PDF))
    if published:
        run.published_at = timezone.now()
        run.save()
    return run


@pytest.fixture
def runs(cycle, mexico, brazil):
    return {
        "hemispheric": finished_run(cycle),
        "published": finished_run(cycle, published=True),
        "mexico": finished_run(cycle, mexico),
        "brazil": finished_run(cycle, brazil),
        "queued": ReportRun.objects.create(
            cycle=cycle, member_state=mexico, language="es", as_of=timezone.now()
        ),
    }


# Which runs each role may follow and download.
FOLLOWS = {
    "public": {"published"},
    "focal_mex": {"published", "mexico", "queued"},
    "focal_bra": {"published", "brazil"},
    "reviewer": {"hemispheric", "published", "mexico", "brazil", "queued"},
    "secretariat_admin": {"hemispheric", "published", "mexico", "brazil", "queued"},
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_the_runs_it_may_follow(api, who, role, runs):
    body = api(who(role)).get(REPORTS).json()

    names = {run.pk: name for name, run in runs.items()}
    assert {names[row["id"]] for row in body["results"]} == FOLLOWS[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "name", ["hemispheric", "published", "mexico", "brazil", "queued"]
)
def test_each_role_reads_and_downloads_only_what_it_may(api, who, role, name, runs):
    client = api(who(role))
    run = runs[name]

    detail = client.get(f"{REPORTS}{run.pk}/")
    download = client.get(f"{REPORTS}{run.pk}/pdf/")

    if name not in FOLLOWS[role]:
        assert detail.status_code == download.status_code == 404
        error_of(detail)
        return
    assert detail.status_code == 200
    body = detail.json()
    assert body["state"] == run.state
    if name == "queued":
        assert body["download"] is None
        assert download.status_code == 409
        assert error_of(download)["code"] == "conflict"
    else:
        assert body["download"].endswith(f"{REPORTS}{run.pk}/pdf/")
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    ("role", "member_state", "status_code"),
    [
        ("public", None, 401),
        ("public", "MEX", 401),
        ("focal_mex", "MEX", 202),
        ("focal_mex", None, 403),
        ("focal_mex", "BRA", 403),
        ("focal_bra", "MEX", 403),
        ("reviewer", None, 202),
        ("reviewer", "BRA", 202),
        ("secretariat_admin", None, 202),
    ],
)
def test_who_may_ask_for_which_report(
    api, who, role, member_state, status_code, cycle, focal_mex, focal_bra
):
    response = api(who(role)).post(
        REPORTS,
        {"cycle": cycle.slug, "language": "en", "member_state": member_state},
        format="json",
    )

    assert response.status_code == status_code, response.content
    if status_code == 202:
        body = response.json()
        assert body["state"] == "queued" and body["progress"] == 0
        run = ReportRun.objects.get(pk=body["id"])
        assert run.requested_by == who(role)
        assert (run.member_state.iso3 if run.member_state else None) == member_state
        assert response["Location"] == body["url"]
    else:
        error_of(response)
        assert not ReportRun.objects.exists()


def test_the_design_shape_of_the_answer(api, reviewer, cycle):
    body = (
        api(reviewer)
        .post(
            REPORTS,
            {"cycle": cycle.slug, "language": "es", "member_state": None},
            format="json",
        )
        .json()
    )

    assert {"id", "state", "progress"} <= set(body)
    assert (body["state"], body["progress"]) == ("queued", 0)
    assert body["language"] == "es" and body["member_state"] is None


@pytest.mark.parametrize("language", ["fr", "pt"])
def test_a_report_in_french_or_portuguese(api, reviewer, cycle, language):
    response = api(reviewer).post(REPORTS, {"language": language}, format="json")

    assert response.status_code == 202, response.content
    assert response.json()["language"] == language
    assert ReportRun.objects.get().language == language


def test_defaults_the_open_cycle_in_english_hemispheric(api, reviewer, cycle):
    body = api(reviewer).post(REPORTS, {}, format="json").json()

    assert body["cycle"] == cycle.slug
    assert body["language"] == "en" and body["member_state"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"cycle": "nope"}, "cycle"),
        ({"language": "de"}, "language"),
        ({"member_state": "XXX"}, "member_state"),
        ({"as_of": "yesterday"}, "as_of"),
    ],
)
def test_bad_requests_get_400(api, reviewer, payload, field):
    response = api(reviewer).post(REPORTS, payload, format="json")

    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    assert not ReportRun.objects.exists()


def test_an_as_of_in_the_future_is_refused_by_the_service(api, reviewer):
    response = api(reviewer).post(
        REPORTS, {"as_of": "2999-01-01T00:00:00Z"}, format="json"
    )

    assert response.status_code == 400
    assert "future" in error_of(response)["message"]


def test_a_report_is_compiled_and_downloaded(
    api, focal_mex, mex_public, cycle, django_capture_on_commit_callbacks
):
    # Celery runs eagerly in the tests: the task runs when the request commits.
    client = api(focal_mex)
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(
            REPORTS, {"cycle": cycle.slug, "member_state": "MEX"}, format="json"
        )
    assert queued.status_code == 202

    body = client.get(queued.json()["url"]).json()

    assert body["state"] == "succeeded", body
    assert body["progress"] == 100 and body["page_count"] >= 1
    pdf = client.get(body["download"])
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_reports_are_throttled_apart(api, reviewer, throttle_rates):
    throttle_rates(reports="2/hour")
    client = api(reviewer)

    answers = [client.post(REPORTS, {}, format="json").status_code for _ in range(3)]

    assert answers == [202, 202, 429]
    assert client.get(REPORTS).status_code == 200  # reading is not counted
    assert ReportRun.objects.count() == 2


def test_filters(api, reviewer, runs):
    spanish = api(reviewer).get(f"{REPORTS}?language=es").json()["results"]
    mexico = api(reviewer).get(f"{REPORTS}?member_state=mex").json()["results"]
    oas = api(reviewer).get(f"{REPORTS}?member_state=hemispheric").json()["results"]

    assert [r["id"] for r in spanish] == [runs["queued"].pk]
    assert {r["id"] for r in mexico} == {runs["mexico"].pk, runs["queued"].pk}
    assert {r["id"] for r in oas} == {runs["hemispheric"].pk, runs["published"].pk}

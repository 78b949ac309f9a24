"""Report services: asking for a run, publishing it, the texts."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from pypdf import PdfReader

from reporting import services
from reporting.models import ReportRun, ReportText
from reporting.selectors import published_reports, report_text
from reporting.services import ReportError
from tests import factories

State = ReportRun.State


# --- Asking -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_is_recorded_then_compiled_once_committed(
    cycle, reviewer, some_updates, django_capture_on_commit_callbacks, settings
):
    # Given the Secretariat asks for the hemispheric report
    with django_capture_on_commit_callbacks() as callbacks:
        run = services.report_run_request(actor=reviewer, cycle=cycle, language="en")
        # Then nothing is queued before the record is committed
        assert len(callbacks) == 0
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert run.state == State.QUEUED
    assert run.requested_by == reviewer
    assert run.max_attempts == settings.REPORT_MAX_ATTEMPTS

    # When the commit queues it (the task runs eagerly in unit tests)
    callbacks[0]()

    # Then it went through every stage to a stored PDF with its checksum
    run.refresh_from_db()
    assert run.state == State.SUCCEEDED, run.error
    assert (run.progress, run.stage, run.attempts, run.error) == (100, "done", 1, "")
    assert run.started_at <= run.finished_at
    assert set(run.stage_seconds) == {"gathering", "charts", "rendering"}
    data = run.pdf.read()
    assert data.startswith(b"%PDF")
    assert run.sha256 == hashlib.sha256(data).hexdigest()
    assert run.size == len(data)
    assert run.page_count == len(PdfReader(io.BytesIO(data)).pages)
    assert run.pdf.name.startswith(f"reports/{cycle.slug}/{run.pk}-oas-en")
    assert run.pdf.path.startswith(str(settings.MEDIA_ROOT))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["focal_mex", "focal_bra", "public"])
def test_only_the_secretariat_asks_for_the_hemispheric_report(request, who, cycle):
    user = request.getfixturevalue(who) if who != "public" else _anonymous()
    with pytest.raises(PermissionDenied):
        services.report_run_request(actor=user, cycle=cycle, language="en")
    assert not ReportRun.objects.exists()


@pytest.mark.django_db
def test_a_focal_point_asks_only_for_its_own_state(
    cycle, focal_mex, mexico, brazil, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        run = services.report_run_request(
            actor=focal_mex, cycle=cycle, language="es", member_state=mexico
        )
    assert run.member_state == mexico
    with pytest.raises(PermissionDenied):
        services.report_run_request(
            actor=focal_mex, cycle=cycle, language="es", member_state=brazil
        )
    assert list(ReportRun.objects.all()) == [run]


@pytest.mark.django_db
def test_a_report_covers_the_past_in_a_known_language(cycle, reviewer):
    with pytest.raises(ValidationError, match="in the future"):
        services.report_run_request(
            actor=reviewer,
            cycle=cycle,
            language="en",
            as_of=timezone.now() + timedelta(hours=1),
        )
    with pytest.raises(ValidationError, match="compiled in en, es, fr, pt"):
        services.report_run_request(actor=reviewer, cycle=cycle, language="de")
    assert not ReportRun.objects.exists()


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


# --- Publishing ---------------------------------------------------------------------


def _write_texts(cycle, actor, language="en"):
    return services.report_text_save(
        actor=actor,
        cycle=cycle,
        language=language,
        introduction="# Introduction\n\nWhy this report.",
        conclusions="# Conclusions\n\nWhat it shows.",
    )


@pytest.mark.django_db
def test_an_admin_publishes_a_finished_final_edition_again(
    cycle, secretariat_admin, reviewer, mexico
):
    # A final edition (withdrawn earlier, say) is published as it is, at once
    _write_texts(cycle, secretariat_admin)
    run = factories.finished_report_run(cycle, final=True)
    with pytest.raises(PermissionDenied):
        services.report_run_publish(actor=reviewer, run=run)
    assert list(published_reports()) == []

    services.report_run_publish(actor=secretariat_admin, run=run)
    run.refresh_from_db()
    assert run.published_by == secretariat_admin and run.published_at
    assert list(published_reports()) == [run]
    assert list(published_reports(cycle=cycle)) == [run]
    with pytest.raises(ReportError, match="already published"):
        services.report_run_publish(actor=secretariat_admin, run=run)

    services.report_run_unpublish(actor=secretariat_admin, run=run)
    assert list(published_reports()) == []


@pytest.mark.django_db
def test_publishing_refreshes_the_cached_open_data_page(
    client, cycle, secretariat_admin, django_capture_on_commit_callbacks
):
    _write_texts(cycle, secretariat_admin)
    run = factories.finished_report_run(cycle, final=True)
    before = client.get("/en/data/")
    assert "No report has been published yet." in before.content.decode()
    assert (
        "No report has been published yet." in client.get("/en/data/").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_publish(actor=secretariat_admin, run=run)
    published = client.get("/en/data/", HTTP_IF_NONE_MATCH=before["ETag"])

    assert published.status_code == 200  # not 304: the old ETag is stale
    assert run.get_public_url() in published.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_unpublish(actor=secretariat_admin, run=run)
    withdrawn = client.get("/en/data/").content.decode()
    assert run.get_public_url() not in withdrawn
    assert "No report has been published yet." in withdrawn


@pytest.mark.django_db
def test_unfinished_runs_and_state_reports_are_not_published(
    cycle, secretariat_admin, mexico
):
    for run, message in (
        (factories.report_run(cycle), "Only a finished report"),
        (factories.report_run(cycle, state=State.FAILED), "Only a finished report"),
        (
            factories.finished_report_run(cycle, member_state=mexico),
            "Only the hemispheric report",
        ),
    ):
        with pytest.raises(ReportError, match=message):
            services.report_run_publish(actor=secretariat_admin, run=run)
        run.refresh_from_db()
        assert run.published_at is None


# --- Texts --------------------------------------------------------------------------


@pytest.mark.django_db
def test_texts_are_versioned_so_a_report_shows_them_as_they_stood(
    cycle, reviewer, focal_mex
):
    first = services.report_text_save(
        actor=reviewer,
        cycle=cycle,
        language="en",
        introduction="First words.",
        conclusions="",
    )
    between = timezone.now()
    second = services.report_text_save(
        actor=reviewer,
        cycle=cycle,
        language="en",
        introduction="Second words.",
        conclusions="In the end.",
    )
    # Saving the same words again adds no version.
    again = services.report_text_save(
        actor=reviewer,
        cycle=cycle,
        language="en",
        introduction="Second words.",
        conclusions="In the end.",
    )
    assert again == second
    assert ReportText.objects.count() == 2
    assert report_text(cycle=cycle, language="en") == second
    assert report_text(cycle=cycle, language="en", as_of=between) == first
    assert report_text(cycle=cycle, language="es") is None
    with pytest.raises(PermissionDenied):
        services.report_text_save(
            actor=focal_mex,
            cycle=cycle,
            language="en",
            introduction="Mine.",
            conclusions="",
        )
    assert ReportText.objects.count() == 2


def test_a_lean_matrix_has_the_same_statuses_and_refuses_to_count_assistance(
    cycle, some_updates, django_assert_max_num_queries
):
    from reporting.selectors import assistance_requested, status_matrix

    full = status_matrix(cycle=cycle)
    lean = status_matrix(cycle=cycle, details=False)
    assert full.cells  # some_updates publishes statuses
    assert {key: u.status for key, u in lean.cells.items()} == {
        key: u.status for key, u in full.cells.items()
    }
    with django_assert_max_num_queries(0):
        assistance_requested(full)
    with pytest.raises(ValueError, match="details=True"):
        assistance_requested(lean)

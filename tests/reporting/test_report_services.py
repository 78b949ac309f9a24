"""Report services: asking, compiling in stages, attempts, sweep, publishing, texts."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import OperationalError
from django.utils import timezone
from pypdf import PdfReader

from reporting import pdf, services
from reporting.models import ReportRun, ReportText
from reporting.selectors import published_reports, report_text
from reporting.services import ReportError, RunAbandoned

State = ReportRun.State
Stage = ReportRun.Stage


def make_run(cycle, **fields) -> ReportRun:
    now = timezone.now()
    values = {"language": "en", "as_of": now, "queued_at": now, "max_attempts": 3}
    values.update(fields)
    return ReportRun.objects.create(cycle=cycle, **values)


def finished_run(cycle, **fields) -> ReportRun:
    run = make_run(
        cycle,
        state=State.SUCCEEDED,
        progress=100,
        stage=Stage.DONE,
        sha256="0" * 64,
        page_count=1,
        **fields,
    )
    run.pdf.save(f"{run.pk}.pdf", ContentFile(b"%PDF-1.4 a report"), save=True)
    return run


def running(cycle, *, attempts=1, beat_ago=0, **fields) -> ReportRun:
    beat = timezone.now() - timedelta(seconds=beat_ago)
    return make_run(
        cycle,
        state=State.RUNNING,
        stage=Stage.RENDERING,
        progress=50,
        attempts=attempts,
        started_at=beat,
        heartbeat_at=beat,
        **fields,
    )


def failing_layout(error: Exception):
    def layout(html):
        raise error

    return layout


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
    with pytest.raises(ValidationError, match="compiled in en, es"):
        services.report_run_request(actor=reviewer, cycle=cycle, language="fr")
    assert not ReportRun.objects.exists()


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


# --- Compiling ----------------------------------------------------------------------


@pytest.mark.django_db
def test_compiling_reports_each_stage_and_a_moving_bar(cycle, some_updates):
    seen = []
    report = services.report_compile(
        cycle=cycle,
        language="en",
        as_of=timezone.now(),
        on_progress=lambda stage, percent: seen.append((str(stage), percent)),
    )
    stages = [stage for stage, _ in seen]
    assert stages[:3] == ["gathering", "charts", "rendering"]
    assert set(stages) == {"gathering", "charts", "rendering"}
    percents = [percent for _, percent in seen]
    assert percents == sorted(percents)
    # WeasyPrint's page-by-page layout moves the bar between the stages.
    assert any(35 < percent < 88 for percent in percents)
    assert report.page_count > 10
    assert report.sha256 == hashlib.sha256(report.pdf).hexdigest()


@pytest.mark.django_db
def test_the_fetcher_serves_the_report_stylesheet_and_nothing_else():
    fetcher = pdf.StaticFilesFetcher()
    response = fetcher.fetch(pdf.STATIC_ROOT_URL + pdf.STYLESHEET)
    assert b"@page" in response.read()
    for url in (
        "http://example.org/x.css",
        "https://example.org/x.css",
        "file:///etc/passwd",
        pdf.STATIC_ROOT_URL + "../portal/settings.py",
        pdf.STATIC_ROOT_URL + "reporting/missing.css",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


@pytest.mark.django_db
def test_the_page_footer_is_one_translatable_sentence():
    assert pdf.page_of_content() == '"Page " counter(page) " of " counter(pages)'


# --- Attempts -----------------------------------------------------------------------


@pytest.mark.django_db
def test_running_a_finished_run_again_does_nothing(cycle):
    run = finished_run(cycle, attempts=1)
    assert services.report_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.SUCCEEDED, 1)


@pytest.mark.django_db
def test_a_second_delivery_leaves_a_live_run_to_its_worker(cycle):
    run = running(cycle, attempts=1, beat_ago=1)
    assert services.report_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.RUNNING, 1)


@pytest.mark.django_db
def test_a_run_out_of_attempts_fails_with_a_message(cycle, settings):
    # A task redelivered after its worker died, with no attempt left.
    run = running(cycle, attempts=3, beat_ago=settings.REPORT_STALE_SECONDS + 5)
    assert services.report_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert run.state == State.FAILED
    assert run.attempts == 3
    assert "not compiled after 3 attempts" in run.error


@pytest.mark.django_db
def test_a_compile_that_raises_fails_at_once_with_its_reason(cycle, monkeypatch):
    monkeypatch.setattr(pdf, "layout", failing_layout(RuntimeError("no fonts")))
    run = make_run(cycle)
    services.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.state == State.FAILED
    assert run.attempts == 1
    assert run.error == "The report could not be compiled: RuntimeError: no fonts"
    assert run.finished_at is not None
    assert not run.pdf


@pytest.mark.django_db
def test_a_passing_database_error_is_tried_again_within_the_attempts(
    cycle, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf, "layout", failing_layout(OperationalError("gone away")))
    queued = []
    monkeypatch.setattr(
        services, "_enqueue", lambda run_id, countdown=None: queued.append(run_id)
    )
    run = make_run(cycle, max_attempts=2)

    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.QUEUED, 1)
    assert "Attempt 1 of 2 failed (OperationalError: gone away)" in run.error
    assert queued == [run.pk]

    with django_capture_on_commit_callbacks(execute=True):
        services.report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.state, run.attempts) == (State.FAILED, 2)
    assert "OperationalError: gone away" in run.error
    assert queued == [run.pk]


@pytest.mark.django_db
def test_an_attempt_taken_over_by_the_sweep_stores_nothing(cycle, monkeypatch):
    # While the first attempt lays out the pages, the sweep gives the run to another.
    real_layout = pdf.layout

    def layout_then_lose(html):
        ReportRun.objects.filter(pk=run.pk).update(state=State.QUEUED, attempts=2)
        return real_layout(html)

    monkeypatch.setattr(pdf, "layout", layout_then_lose)
    run = make_run(cycle)
    assert services.report_run_execute(run_id=run.pk) is None
    run.refresh_from_db()
    assert (run.state, run.attempts, run.sha256) == (State.QUEUED, 2, "")
    assert not run.pdf


# --- The sweep ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_requeues_a_run_whose_worker_died(
    cycle, settings, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(
        services, "_enqueue", lambda run_id, countdown=None: queued.append(run_id)
    )
    lost = running(cycle, attempts=1, beat_ago=settings.REPORT_STALE_SECONDS + 5)
    alive = running(cycle, attempts=1, beat_ago=1)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.report_runs_sweep()

    assert result.requeued == [lost.pk] and result.failed == []
    lost.refresh_from_db()
    assert (lost.state, lost.stage, lost.progress) == (State.QUEUED, "queued", 0)
    assert lost.error == (
        "The worker compiling the report stopped answering during attempt 1 of 3. "
        "The report will be tried again."
    )
    assert queued == [lost.pk]
    alive.refresh_from_db()
    assert alive.state == State.RUNNING


@pytest.mark.django_db
def test_the_sweep_fails_a_lost_run_with_no_attempt_left(cycle, settings):
    lost = running(cycle, attempts=3, beat_ago=settings.REPORT_STALE_SECONDS + 5)
    result = services.report_runs_sweep()
    assert result.failed == [lost.pk]
    lost.refresh_from_db()
    assert lost.state == State.FAILED
    assert "stopped answering during attempt 3 of 3" in lost.error
    assert "No attempt is left" in lost.error


@pytest.mark.django_db
def test_the_sweep_fails_runs_that_wait_or_run_too_long(cycle, settings):
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_MAX_SECONDS + 60)
    endless = running(cycle, attempts=1, beat_ago=0)
    ReportRun.objects.filter(pk=endless.pk).update(started_at=long_ago)
    forgotten = make_run(
        cycle,
        queued_at=timezone.now()
        - timedelta(seconds=settings.REPORT_QUEUED_EXPIRY_SECONDS + 60),
    )
    waiting = make_run(cycle)

    result = services.report_runs_sweep()

    assert sorted(result.failed) == sorted([endless.pk, forgotten.pk])
    endless.refresh_from_db()
    forgotten.refresh_from_db()
    waiting.refresh_from_db()
    assert "took longer than 60 minutes" in endless.error
    assert "No worker took the report up" in forgotten.error
    assert f"“{settings.REPORTS_QUEUE}” queue" in forgotten.error
    assert waiting.state == State.QUEUED


# --- Publishing ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_admin_publishes_a_finished_hemispheric_report(
    cycle, secretariat_admin, reviewer, mexico
):
    run = finished_run(cycle)
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
    run = finished_run(cycle)
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
        (make_run(cycle), "Only a finished report"),
        (make_run(cycle, state=State.FAILED), "Only a finished report"),
        (finished_run(cycle, member_state=mexico), "Only the hemispheric report"),
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


@pytest.mark.django_db
def test_a_lost_attempt_cannot_beat_for_the_next(cycle):
    run = running(cycle, attempts=2)
    assert services._touch(run.pk, 2, progress=60)
    assert not services._touch(run.pk, 1, progress=70)
    run.refresh_from_db()
    assert run.progress == 60
    with pytest.raises(RunAbandoned):
        services._Heartbeat(run.pk, 1).progress("rendering", 70)


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

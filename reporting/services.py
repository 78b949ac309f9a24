"""Reports: ask for one, compile it in stages, publish it, catch the runs a worker lost.

A run is recorded first and its Celery task is queued only once that record is
committed. The worker claims the run (counting the attempt), compiles it while beating
a heartbeat and moving the progress bar, then stores the PDF with its checksum. A run
whose heartbeat stopped (its worker was killed, ran out of memory, lost its machine)
is found by ``report_runs_sweep``, run by Celery beat, by a worker as it starts, and
whenever someone polls the run's status: it is queued again until its attempts are
used up, then marked failed with a message. Kombu's filesystem transport never
redelivers a task, so this, not the broker, is what keeps a run from staying
"running" for ever.
"""

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from time import perf_counter

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import (
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import KombuError

from core import publication
from portal.models import User
from recommendations.models import MemberState, ReportingCycle
from reporting import pdf
from reporting import permissions as report_permissions
from reporting.models import REPORT_LANGUAGES, ReportRun, ReportText
from reporting.selectors import report_text

logger = logging.getLogger(__name__)

State = ReportRun.State
Stage = ReportRun.Stage

# Errors worth another attempt: the database went away for a moment.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# Where the bar stands as each stage starts; WeasyPrint's layout fills the gap.
STAGE_START = {
    Stage.GATHERING: 2,
    Stage.CHARTS: 15,
    Stage.RENDERING: 30,
    Stage.STORING: 96,
    Stage.DONE: 100,
}
LAYOUT_SPAN = (35, 85)
WRITING_PDF = 88
# Bytes of final HTML per page, to guess the page count while WeasyPrint lays out.
HTML_BYTES_PER_PAGE = 4000


class ReportError(Exception):
    """A report action that cannot be done now, with a message a person can read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ReportQueueUnavailable(ReportError):
    """The job queue (broker) did not take the run: nothing was started or kept."""


class RunAbandoned(Exception):
    """This attempt no longer owns the run (the sweep gave it to another attempt)."""


ProgressCallback = Callable[[str, int], None]


# --- Texts --------------------------------------------------------------------------


def report_text_save(
    *,
    actor: User,
    cycle: ReportingCycle,
    language: str,
    introduction: str,
    conclusions: str,
) -> ReportText:
    """A new version of the introduction and conclusions (none if nothing changed)."""
    if not report_permissions.can_write_texts(actor):
        raise PermissionDenied
    _check_language(language)
    current = report_text(cycle=cycle, language=language)
    if (
        current is not None
        and current.introduction == introduction
        and current.conclusions == conclusions
    ):
        return current
    text = ReportText(
        cycle=cycle,
        language=language,
        introduction=introduction,
        conclusions=conclusions,
        written_by=actor,
    )
    text.full_clean()
    text.save()
    return text


# --- Asking for a report ------------------------------------------------------------


def report_run_request(
    *,
    actor: User,
    cycle: ReportingCycle,
    language: str,
    member_state: MemberState | None = None,
    as_of: datetime | None = None,
) -> ReportRun:
    """Record a run and queue its compilation once the record is committed.

    Raises PermissionDenied, ValidationError (language, as-of) or
    ReportQueueUnavailable when the broker does not answer; in that last case the
    run is removed again. Call it outside any transaction of your own, so that the
    queueing happens (and can fail) before this function returns.
    """
    if not report_permissions.can_generate_for(actor, member_state):
        raise PermissionDenied
    run = _new_run(
        cycle=cycle,
        member_state=member_state,
        language=language,
        as_of=as_of,
        requested_by=actor,
        max_attempts=settings.REPORT_MAX_ATTEMPTS,
    )
    with transaction.atomic():
        run.save()
        transaction.on_commit(partial(_enqueue_or_withdraw, run.pk))
    return run


def report_run_compile_now(
    *,
    cycle: ReportingCycle,
    language: str = "en",
    member_state: MemberState | None = None,
    as_of: datetime | None = None,
) -> ReportRun:
    """Compile a run here and now, without a worker: the compile_report command.

    The same steps as the task, recorded the same way; raises ReportError when the
    run fails.
    """
    run = _new_run(
        cycle=cycle,
        member_state=member_state,
        language=language,
        as_of=as_of,
        requested_by=None,
        max_attempts=1,
    )
    run.save()
    report_run_execute(run_id=run.pk)
    run.refresh_from_db()
    if run.state != State.SUCCEEDED:
        raise ReportError(run.error or _("The report could not be compiled."))
    return run


def _new_run(
    *,
    cycle: ReportingCycle,
    member_state: MemberState | None,
    language: str,
    as_of: datetime | None,
    requested_by: User | None,
    max_attempts: int,
) -> ReportRun:
    _check_language(language)
    now = timezone.now()
    if as_of is None:
        as_of = now
    elif timezone.is_naive(as_of):
        raise ValidationError(_("The as-of moment needs a time zone."))
    elif as_of > now:
        raise ValidationError(
            _("The as-of moment is in the future: a report covers what has happened.")
        )
    return ReportRun(
        cycle=cycle,
        member_state=member_state,
        language=language,
        as_of=as_of,
        requested_by=requested_by,
        requested_at=now,
        queued_at=now,
        max_attempts=max(1, max_attempts),
    )


def _check_language(language: str) -> None:
    if language not in dict(REPORT_LANGUAGES):
        raise ValidationError(
            _("Reports are compiled in %(languages)s.")
            % {"languages": ", ".join(code for code, _name in REPORT_LANGUAGES)}
        )


def _enqueue(run_id: int, *, countdown: int | None = None) -> None:
    """Hand the run to the broker, on the reports queue; raises if it is down."""
    # Imported here: the task module imports this one.
    from reporting.tasks import compile_report_run

    result = compile_report_run.apply_async(
        args=[run_id], queue=settings.REPORTS_QUEUE, countdown=countdown, retry=False
    )
    ReportRun.objects.filter(pk=run_id).update(task_id=result.id or "")


def _enqueue_or_withdraw(run_id: int) -> None:
    try:
        _enqueue(run_id)
    except (KombuError, OSError) as error:
        logger.warning("Report run %s not queued, broker error: %s", run_id, error)
        ReportRun.objects.filter(pk=run_id, state=State.QUEUED).delete()
        raise ReportQueueUnavailable(
            _(
                "The job queue is not answering, so the report was not started and "
                "nothing was recorded. Please try again in a few minutes; if it keeps "
                "happening, tell the portal's administrators."
            )
        ) from error


# --- Compiling ----------------------------------------------------------------------


@dataclass
class CompiledReport:
    pdf: bytes
    page_count: int
    sha256: str
    html: str
    stage_seconds: dict[str, float] = field(default_factory=dict)


def report_compile(
    *,
    cycle: ReportingCycle,
    language: str,
    member_state: MemberState | None = None,
    as_of: datetime,
    on_progress: ProgressCallback | None = None,
    generated_at: datetime | None = None,
) -> CompiledReport:
    """Compile a report in stages, telling ``on_progress(stage, percent)`` as it goes.

    The same data, as-of and language give the same text and page count.
    """
    progress = on_progress or (lambda stage, percent: None)
    seconds: dict[str, float] = {}
    spec = pdf.ReportSpec(
        cycle=cycle, member_state=member_state, language=language, as_of=as_of
    )
    with translation.override(language):
        progress(Stage.GATHERING, STAGE_START[Stage.GATHERING])
        with _timed(seconds, Stage.GATHERING):
            data = pdf.gather(spec)
        progress(Stage.CHARTS, STAGE_START[Stage.CHARTS])
        with _timed(seconds, Stage.CHARTS):
            context = pdf.build(data, generated_at=generated_at)
        progress(Stage.RENDERING, STAGE_START[Stage.RENDERING])
        with _timed(seconds, Stage.RENDERING):
            html = pdf.render_html(context)
            with _layout_progress(progress, expected_pages=_expected_pages(html)):
                document = pdf.layout(html)
            progress(Stage.RENDERING, WRITING_PDF)
            rendered = pdf.write(document)
    return CompiledReport(
        pdf=rendered.pdf,
        page_count=rendered.page_count,
        sha256=hashlib.sha256(rendered.pdf).hexdigest(),
        html=html,
        stage_seconds=seconds,
    )


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = perf_counter()
    try:
        yield
    finally:
        seconds[str(stage)] = round(perf_counter() - start, 3)


def _expected_pages(html: str) -> int:
    return max(1, len(html.encode()) // HTML_BYTES_PER_PAGE)


# WeasyPrint logs each page it lays out on this logger ("Step 5 - ... - Page 12").
_PAGE = re.compile(r"Creating layout - Page (\d+)")
_progress_logger = logging.getLogger("weasyprint.progress")
_progress_lock = threading.Lock()
_progress_users = 0
_progress_saved: tuple[int, bool] = (logging.NOTSET, True)


class _LayoutProgress(logging.Handler):
    """Turns WeasyPrint's page messages, from one thread, into progress percents."""

    def __init__(self, progress: ProgressCallback, expected_pages: int):
        super().__init__(logging.INFO)
        self.progress = progress
        self.expected = expected_pages
        self.thread = threading.get_ident()
        self.percent = LAYOUT_SPAN[0]

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        match = _PAGE.search(record.getMessage())
        if not match:
            return
        start, end = LAYOUT_SPAN
        share = min(0.98, int(match[1]) / self.expected)
        percent = start + int((end - start) * share)
        if percent > self.percent:
            self.percent = percent
            # A lost run is noticed by the caller at the next stage.
            with suppress(RunAbandoned):
                self.progress(Stage.RENDERING, percent)


@contextmanager
def _layout_progress(progress: ProgressCallback, *, expected_pages: int):
    """Listen to WeasyPrint's progress messages without printing them to the logs."""
    global _progress_users, _progress_saved
    handler = _LayoutProgress(progress, expected_pages)
    with _progress_lock:
        if _progress_users == 0:
            _progress_saved = (_progress_logger.level, _progress_logger.propagate)
            _progress_logger.setLevel(logging.INFO)
            _progress_logger.propagate = False
        _progress_users += 1
        _progress_logger.addHandler(handler)
    try:
        yield
    finally:
        with _progress_lock:
            _progress_logger.removeHandler(handler)
            _progress_users -= 1
            if _progress_users == 0:
                level, propagate = _progress_saved
                _progress_logger.setLevel(level)
                _progress_logger.propagate = propagate


# --- Running a run ------------------------------------------------------------------


def report_run_execute(*, run_id: int) -> ReportRun | None:
    """Compile a queued run: what the Celery task does, safe to call twice.

    Returns None when there is nothing to do: the run is finished, another live
    worker has it, or it is gone.
    """
    run = _claim(run_id)
    if run is None:
        return None
    attempt = run.attempts
    heartbeat = _Heartbeat(run.pk, attempt)
    try:
        compiled = report_compile(
            cycle=run.cycle,
            language=run.language,
            member_state=run.member_state,
            as_of=run.as_of,
            on_progress=heartbeat.progress,
            generated_at=timezone.now(),
        )
        heartbeat.progress(Stage.STORING, STAGE_START[Stage.STORING])
        heartbeat.stop()
        return _store(run.pk, attempt, compiled)
    except RunAbandoned:
        logger.warning("Report run %s: attempt %s was taken over", run_id, attempt)
        return None
    except TRANSIENT_ERRORS as error:
        logger.exception("Report run %s: attempt %s failed", run_id, attempt)
        return _attempt_failed(run.pk, attempt, error, retry=True)
    except Exception as error:
        logger.exception("Report run %s: attempt %s failed", run_id, attempt)
        return _attempt_failed(run.pk, attempt, error, retry=False)
    finally:
        heartbeat.stop()


def _claim(run_id: int) -> ReportRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = (
            ReportRun.objects.select_for_update(of=("self",))
            .select_related("cycle__instrument", "member_state")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.is_finished:
            return None
        if run.state == State.RUNNING and not _is_stale(run, now):
            return None  # delivered twice while its worker is alive
        if run.attempts >= run.max_attempts:
            _fail(run, _gave_up(run), now)
            return None
        run.attempts += 1
        run.state = State.RUNNING
        run.stage = Stage.GATHERING
        run.progress = 0
        run.started_at = now
        run.heartbeat_at = now
        run.finished_at = None
        run.save(
            update_fields=[
                "attempts",
                "state",
                "stage",
                "progress",
                "started_at",
                "heartbeat_at",
                "finished_at",
            ]
        )
    return run


def _touch(run_id: int, attempt: int, **fields) -> bool:
    """Beat the run's heartbeat (and move its bar) if this attempt still owns it."""
    fields["heartbeat_at"] = timezone.now()
    owned = ReportRun.objects.filter(pk=run_id, state=State.RUNNING, attempts=attempt)
    return owned.update(**fields) == 1


class _Heartbeat:
    """Progress from the compiling thread, and a beat every few seconds from another.

    WeasyPrint can spend a long while in one call; the beating thread shows the
    worker is still alive meanwhile. It needs a connection that sees the run, so it
    is not used inside a transaction (tests running the task eagerly).
    """

    def __init__(self, run_id: int, attempt: int):
        self.run_id = run_id
        self.attempt = attempt
        self.lost = False
        self.last: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread = None
        if not connection.in_atomic_block:
            self._thread = threading.Thread(
                target=self._beat, name=f"report-run-{run_id}-heartbeat", daemon=True
            )
            self._thread.start()

    def progress(self, stage: str, percent: int) -> None:
        if self.lost:
            raise RunAbandoned
        if self.last == (stage, percent):
            return
        self.last = (stage, percent)
        if not _touch(self.run_id, self.attempt, stage=stage, progress=percent):
            self.lost = True
            raise RunAbandoned

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
            self._thread = None

    def _beat(self) -> None:
        try:
            while not self._stop.wait(settings.REPORT_HEARTBEAT_SECONDS):
                try:
                    if not _touch(self.run_id, self.attempt):
                        self.lost = True
                        return
                except Exception:
                    logger.warning("Report run %s: heartbeat failed", self.run_id)
        finally:
            connection.close()  # this thread's own connection


def _store(run_id: int, attempt: int, compiled: CompiledReport) -> ReportRun:
    now = timezone.now()
    with transaction.atomic():
        run = (
            ReportRun.objects.select_for_update(of=("self",))
            .select_related("cycle", "member_state")
            .get(pk=run_id)
        )
        if run.state != State.RUNNING or run.attempts != attempt:
            raise RunAbandoned
        previous = run.pdf.name
        run.pdf.save(f"{run.pk}.pdf", ContentFile(compiled.pdf), save=False)
        run.size = len(compiled.pdf)
        run.sha256 = compiled.sha256
        run.page_count = compiled.page_count
        run.stage_seconds = compiled.stage_seconds
        run.state = State.SUCCEEDED
        run.stage = Stage.DONE
        run.progress = 100
        run.error = ""
        run.finished_at = now
        run.heartbeat_at = now
        run.save()
        if previous and previous != run.pdf.name:
            storage = run.pdf.storage
            transaction.on_commit(partial(storage.delete, previous))
    return run


def _attempt_failed(
    run_id: int, attempt: int, error: Exception, *, retry: bool
) -> ReportRun | None:
    now = timezone.now()
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.state != State.RUNNING or run.attempts != attempt:
            return run
        reason = f"{type(error).__name__}: {error}"
        if retry and run.attempts < run.max_attempts:
            _requeue(
                run,
                _(
                    "Attempt %(attempt)s of %(max)s failed (%(reason)s); the report "
                    "will be tried again."
                )
                % {"attempt": run.attempts, "max": run.max_attempts, "reason": reason},
                now,
            )
        else:
            _fail(
                run,
                _("The report could not be compiled: %(reason)s") % {"reason": reason},
                now,
            )
    return run


def _fail(run: ReportRun, message: str, now: datetime) -> None:
    run.state = State.FAILED
    run.error = message
    run.finished_at = now
    run.save(update_fields=["state", "error", "finished_at"])


def _requeue(run: ReportRun, message: str, now: datetime) -> None:
    """Queue the run again for its next attempt, after this transaction commits."""
    run.state = State.QUEUED
    run.stage = Stage.QUEUED
    run.progress = 0
    run.error = message
    run.queued_at = now
    run.save(update_fields=["state", "stage", "progress", "error", "queued_at"])
    transaction.on_commit(partial(_enqueue_quietly, run.pk, run.attempts))


def _enqueue_quietly(run_id: int, attempts: int) -> None:
    # A little later each time, so a passing outage can pass.
    try:
        _enqueue(run_id, countdown=min(60, 5 * attempts))
    except (KombuError, OSError) as error:
        # Still queued: the sweep fails it once it has waited too long.
        logger.warning("Report run %s not queued again: %s", run_id, error)


def _gave_up(run: ReportRun) -> str:
    return _(
        "The report was not compiled after %(attempts)s attempts; the last one "
        "stopped without finishing (%(error)s)."
    ) % {
        "attempts": run.attempts,
        "error": run.error or _("no error was recorded"),
    }


def _is_stale(run: ReportRun, now: datetime) -> bool:
    last_sign = run.heartbeat_at or run.started_at or run.queued_at
    stale = timedelta(seconds=settings.REPORT_STALE_SECONDS)
    return last_sign is None or last_sign < now - stale


# --- Sweeping lost runs -------------------------------------------------------------


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def report_runs_sweep(
    *, now: datetime | None = None, runs: QuerySet[ReportRun] | None = None
) -> SweepResult:
    """Requeue or fail the runs a worker lost, and those no worker ever took up.

    A running run whose heartbeat stopped more than REPORT_STALE_SECONDS ago goes
    back to the queue while it has attempts left, and fails after; one running for
    longer than REPORT_MAX_SECONDS fails; one queued for longer than
    REPORT_QUEUED_EXPIRY_SECONDS fails with a hint to check the workers.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.REPORT_STALE_SECONDS)
    too_long = now - timedelta(seconds=settings.REPORT_MAX_SECONDS)
    expired = now - timedelta(seconds=settings.REPORT_QUEUED_EXPIRY_SECONDS)
    candidates = (ReportRun.objects.all() if runs is None else runs).filter(
        Q(state=State.RUNNING, heartbeat_at__lt=stale)
        | Q(state=State.RUNNING, heartbeat_at__isnull=True)
        | Q(state=State.RUNNING, started_at__lt=too_long)
        | Q(state=State.QUEUED, queued_at__lt=expired)
    )
    result = SweepResult()
    for run_id in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            run = (
                ReportRun.objects.select_for_update(skip_locked=True)
                .filter(pk=run_id)
                .first()
            )
            if run is not None:
                _sweep_one(run, now, result)
    return result


def _sweep_one(run: ReportRun, now: datetime, result: SweepResult) -> None:
    if (
        run.state == State.RUNNING
        and run.started_at
        and run.started_at < now - (timedelta(seconds=settings.REPORT_MAX_SECONDS))
    ):
        minutes = max(1, settings.REPORT_MAX_SECONDS // 60)
        _fail(
            run,
            _(
                "The report took longer than %(minutes)s minutes, so the portal gave "
                "up on it; ask for it again, or tell the portal's administrators."
            )
            % {"minutes": minutes},
            now,
        )
        result.failed.append(run.pk)
    elif run.state == State.RUNNING and _is_stale(run, now):
        lost = _(
            "The worker compiling the report stopped answering during attempt "
            "%(attempt)s of %(max)s."
        ) % {"attempt": run.attempts, "max": run.max_attempts}
        if run.attempts < run.max_attempts:
            _requeue(run, lost + " " + _("The report will be tried again."), now)
            result.requeued.append(run.pk)
        else:
            _fail(run, lost + " " + _("No attempt is left; ask for it again."), now)
            result.failed.append(run.pk)
    elif (
        run.state == State.QUEUED
        and run.queued_at
        and run.queued_at
        < now - (timedelta(seconds=settings.REPORT_QUEUED_EXPIRY_SECONDS))
    ):
        _fail(
            run,
            _(
                "No worker took the report up. Check that a Celery worker consumes "
                "the “%(queue)s” queue, then ask again."
            )
            % {"queue": settings.REPORTS_QUEUE},
            now,
        )
        result.failed.append(run.pk)


# --- Publishing ---------------------------------------------------------------------


def report_run_publish(*, actor: User, run: ReportRun) -> ReportRun:
    """Make a finished hemispheric report downloadable by the public."""
    if not report_permissions.can_publish(actor):
        raise PermissionDenied
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run.pk)
        if not run.is_hemispheric:
            raise ReportError(
                _(
                    "Only the hemispheric report is published; a state's own report "
                    "stays with the state and the Secretariat."
                )
            )
        if run.state != State.SUCCEEDED or not run.pdf:
            raise ReportError(_("Only a finished report can be published."))
        if run.is_published:
            raise ReportError(_("This report is already published."))
        run.published_at = timezone.now()
        run.published_by = actor
        run.save(update_fields=["published_at", "published_by"])
        publication.changed()  # the open data and reports pages list it
    return run


def report_run_unpublish(*, actor: User, run: ReportRun) -> ReportRun:
    """Withdraw a report from the public; the file and its record stay."""
    if not report_permissions.can_publish(actor):
        raise PermissionDenied
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run.pk)
        if not run.is_published:
            raise ReportError(_("This report is not published."))
        run.published_at = None
        run.published_by = None
        run.save(update_fields=["published_at", "published_by"])
        publication.changed()
    return run

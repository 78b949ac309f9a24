"""A report run's life: queued, claimed, compiled under a heartbeat, stored or failed.

A run is recorded first (``reporting.services``) and its Celery task is queued only
once that record is committed. The worker claims the run (counting the attempt),
compiles it (``reporting.pipeline``) while beating a heartbeat and moving the
progress bar, then stores the PDF with its checksum. A run whose heartbeat stopped
(its worker was killed, ran out of memory, lost its machine) is found by
``report_runs_sweep``, run by Celery beat, by a worker as it starts, and whenever
someone polls the run's status: it is queued again until its attempts are used up,
then marked failed with a message. Kombu's filesystem transport never redelivers a
task, so this, not the broker, is what keeps a run from staying "running" for ever.

A hemispheric draft, where ``REPORT_PARALLEL_DRAFTS`` is on (a Celery chord needs a
result backend), is rendered in sections (``reporting.parallel``): the attempt that
claimed the run prepares the HTML and queues a chord of section renders, which beat
the run's heartbeat and move its bar as each section is done; the chord's callback
merges them and stores the PDF as above. A section that fails fails the attempt; a
section whose worker died is delivered again (``acks_late``) and rendered again, the
others are not; a chord lost altogether leaves the heartbeat to stop, and the sweep
queues the run again as a new attempt, whose sections start afresh.
"""

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from time import perf_counter
from typing import Any, cast

from celery import chord, current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import KombuError

from core import publication
from reporting import parallel
from reporting.models import ReportRun
from reporting.pipeline import (
    LAYOUT_SPAN,
    STAGE_START,
    WRITING_PDF,
    CompileCancelled,
    CompiledReport,
    PreparedReport,
    header_for,
    report_compile,
    report_prepare,
)
from reporting.selectors import status_matrix

logger = logging.getLogger(__name__)

State = ReportRun.State
Stage = ReportRun.Stage

# The task of reporting.tasks that runs report_run_execute; queued by its name, since
# that module imports this one.
COMPILE_TASK = "reporting.tasks.compile_report_run"
SECTION_TASK = "reporting.tasks.render_report_section"
MERGE_TASK = "reporting.tasks.merge_report_sections"
# Errors worth another attempt: the database went away for a moment.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)


class RunAbandoned(CompileCancelled):
    """This attempt no longer owns the run (the sweep gave it to another attempt)."""


def enqueue(run_id: int, *, countdown: int | None = None) -> None:
    """Hand the run to the broker, on the reports queue; raises if it is down."""
    result = current_app.signature(COMPILE_TASK).apply_async(
        args=[run_id], queue=settings.REPORTS_QUEUE, countdown=countdown, retry=False
    )
    ReportRun.objects.filter(pk=run_id).update(task_id=result.id or "")


# --- Running a run ------------------------------------------------------------------


def report_run_execute(*, run_id: int, sections: bool = True) -> ReportRun | None:
    """Compile a queued run: what the Celery task does, safe to call twice.

    Returns None when there is nothing to do: the run is finished, another live
    worker has it, or it is gone. ``sections=False`` compiles a draft here, in one
    piece, even where drafts are rendered in sections by the workers.
    """
    run = _claim(run_id)
    if run is None:
        return None
    attempt = run.attempts
    heartbeat = _Heartbeat(run.pk, attempt)
    report: dict[str, Any] = {
        "cycle": run.cycle,
        "language": run.language,
        "member_state": run.member_state,
        "as_of": run.as_of,
        "on_progress": heartbeat.progress,
        "generated_at": timezone.now(),
        "final": run.final,
        "header": header_for(run),
        # A final edition prints the texts the publication was checked against.
        "texts_as_of": run.requested_at if run.final else None,
    }
    try:
        if sections and _in_sections(run):
            _sections_start(run.pk, attempt, report_prepare(**report))
            return run
        compiled = report_compile(**report)
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


def _in_sections(run: ReportRun) -> bool:
    """A hemispheric draft, where drafts are rendered on several workers; the final
    edition stays a single tagged PDF/UA render (``reporting.parallel`` says why)."""
    return (
        settings.REPORT_PARALLEL_DRAFTS
        and not run.final
        and run.member_state_id is None
    )


# --- A draft in sections on several workers -----------------------------------------


def _sections_start(run_id: int, attempt: int, prepared: PreparedReport) -> None:
    """Cut the HTML into sections on the shared volume and queue their chord: section
    0 counts the front matter's pages. No DOCX: pandoc over the whole report would
    take a worker over 300 MB and longer than any section; the editable edition comes
    with the final edition (single process) and with ``compile_report``."""
    parts = parallel.report_parts(
        prepared.html, title=prepared.title, language=prepared.language
    )
    bodies = parallel.sections(parts.parts)
    where = parallel.folder(run_id, attempt)
    where.mkdir(parents=True, exist_ok=True)
    documents = [parallel.front_html(parts)] + [
        parallel.section_html(parts, body) for body in bodies
    ]
    for index, document in enumerate(documents):
        parallel.write_atomically(where / f"{index}.html", document.encode())
    plan = {
        "sections": len(documents),
        "head": parts.head,
        "front": parts.front,
        "title": parts.title,
        "language": parts.language,
        "stage_seconds": prepared.stage_seconds,
    }
    parallel.write_atomically(where / "plan.json", json.dumps(plan).encode())
    queue = settings.REPORTS_QUEUE
    # Longest first, so that the workers finish together: the last to start are short.
    longest_first = sorted(range(len(documents)), key=lambda i: -len(documents[i]))
    header = [
        current_app.signature(SECTION_TASK, args=(run_id, attempt, index), queue=queue)
        for index in longest_first
    ]
    body = current_app.signature(
        MERGE_TASK, args=(run_id, attempt), queue=queue, immutable=True
    )
    chord(header)(body)


def _plan(run_id: int, attempt: int) -> dict:
    return json.loads((parallel.folder(run_id, attempt) / "plan.json").read_text())


def report_section_render(*, run_id: int, attempt: int, index: int) -> None:
    """Render one section of a run's attempt, unless it is stored already (a
    redelivery) or the attempt no longer owns the run."""
    if not _touch(run_id, attempt):
        return
    where = parallel.folder(run_id, attempt)
    if parallel.stored_section(where, index) is None:
        heartbeat = _Heartbeat(run_id, attempt)
        try:
            rendered, meta = parallel.render_section(
                (where / f"{index}.html").read_text(encoding="utf-8")
            )
            parallel.store_section(where, index, rendered, meta)
        except Exception as error:
            logger.exception("Report run %s: section %s failed", run_id, index)
            _attempt_failed(
                run_id, attempt, error, retry=isinstance(error, TRANSIENT_ERRORS)
            )
            return
        finally:
            heartbeat.stop()
    start, end = LAYOUT_SPAN
    done = parallel.sections_done(where) / _plan(run_id, attempt)["sections"]
    _advance(run_id, attempt, start + int((end - start) * done))


def report_sections_merge(*, run_id: int, attempt: int) -> ReportRun | None:
    """The chord's callback: one PDF from the sections, stored as the run's."""
    heartbeat = _Heartbeat(run_id, attempt)
    try:
        heartbeat.progress(Stage.RENDERING, WRITING_PDF)
        where = parallel.folder(run_id, attempt)
        plan = _plan(run_id, attempt)
        started = perf_counter()
        # The chord calls back once every section task has ended; a section whose
        # render failed is missing, and the merge below fails the attempt.
        rendered = [
            (
                (where / f"{index}.pdf").read_bytes(),
                cast(parallel.RenderedSection, parallel.stored_section(where, index)),
            )
            for index in range(1, plan["sections"])
        ]
        parts = parallel.ReportParts(
            head=plan["head"],
            front=plan["front"],
            parts=[],
            title=plan["title"],
            language=plan["language"],
        )
        merged = parallel.merge(
            parts,
            rendered,
            front_pages=cast(
                parallel.RenderedSection, parallel.stored_section(where, 0)
            ).page_count,
        )
        compiled = CompiledReport(
            pdf=merged.pdf,
            page_count=merged.page_count,
            sha256=hashlib.sha256(merged.pdf).hexdigest(),
            html="",
            stage_seconds={
                **plan["stage_seconds"],
                "merging": round(perf_counter() - started, 3),
                # CPU of the sections' renders, all workers together, and the longest.
                "sections_cpu": round(sum(s.cpu_seconds for _d, s in rendered), 3),
                "section_cpu_max": max(s.cpu_seconds for _d, s in rendered),
            },
        )
        heartbeat.progress(Stage.STORING, STAGE_START[Stage.STORING])
        heartbeat.stop()
        run = _store(run_id, attempt, compiled)
        parallel.forget(run_id)
        return run
    except RunAbandoned:
        logger.warning("Report run %s: attempt %s was taken over", run_id, attempt)
        return None
    except TRANSIENT_ERRORS as error:
        logger.exception("Report run %s: merging attempt %s failed", run_id, attempt)
        return _attempt_failed(run_id, attempt, error, retry=True)
    except Exception as error:
        logger.exception("Report run %s: merging attempt %s failed", run_id, attempt)
        return _attempt_failed(run_id, attempt, error, retry=False)
    finally:
        heartbeat.stop()


def _advance(run_id: int, attempt: int, percent: int) -> None:
    """Move the bar forward only: sections finish in any order."""
    ReportRun.objects.filter(
        pk=run_id, state=State.RUNNING, attempts=attempt, progress__lt=percent
    ).update(stage=Stage.RENDERING, progress=percent, heartbeat_at=timezone.now())


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
        previous = [run.pdf.name, run.docx.name]
        run.pdf.save(f"{run.pk}.pdf", ContentFile(compiled.pdf), save=False)
        if compiled.docx is not None:
            run.docx.save(f"{run.pk}.docx", ContentFile(compiled.docx), save=False)
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
        storage = run.pdf.storage
        for name in previous:
            if name and name not in (run.pdf.name, run.docx.name):
                transaction.on_commit(partial(storage.delete, name))
        _published_on_success(run, now)
    return run


def _published_on_success(run: ReportRun, now: datetime) -> None:
    """A final hemispheric edition exists because someone confirmed its publication
    (``services.report_run_publish``): it is published as it succeeds, and each
    participating state's public profile is queued to go with it."""
    if run.profile_of_id:
        publication.changed()  # the state's public page links it
        return
    if not (run.final and run.is_hemispheric and run.edition_of_id):
        return
    run.published_at = now
    run.published_by = run.requested_by
    run.save(update_fields=["published_at", "published_by"])
    publication.changed()  # the open data and reports pages list it
    transaction.on_commit(partial(_queue_state_profiles, run.pk))


def _queue_state_profiles(run_id: int) -> list[int]:
    """Queue the public profile of each participating state that reported.

    One final state report per such state, of the same cycle, language, as-of and
    header as the published hemispheric edition, marked ``profile_of`` it: the
    public may download it for as long as that edition stays published. Asked again
    (a retried callback), it queues only what is missing.
    """
    edition = (
        ReportRun.objects.select_related("cycle__instrument").filter(pk=run_id).first()
    )
    if edition is None or not edition.is_published:
        return []
    matrix = status_matrix(cycle=edition.cycle, as_of=edition.as_of, details=False)
    done = set(
        edition.state_profiles.exclude(state=State.FAILED).values_list(
            "member_state_id", flat=True
        )
    )
    now = timezone.now()
    queued = []
    for member_state in matrix.reporting_states:
        if member_state.pk in done:
            continue
        profile = ReportRun.objects.create(
            cycle=edition.cycle,
            member_state=member_state,
            language=edition.language,
            as_of=edition.as_of,
            requested_by=edition.requested_by,
            requested_at=now,
            queued_at=now,
            max_attempts=max(1, settings.REPORT_MAX_ATTEMPTS),
            final=True,
            profile_of=edition,
            organ=edition.organ,
            classification=edition.classification,
            document_symbol=edition.document_symbol,
            issued_on=edition.issued_on,
            original_language=edition.original_language,
        )
        queued.append(profile.pk)
    for profile_id in queued:
        _enqueue_quietly(profile_id, 0)
    return queued


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
    transaction.on_commit(partial(parallel.forget, run.pk))  # a draft's sections


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
        enqueue(run_id, countdown=min(60, 5 * attempts) or None)
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

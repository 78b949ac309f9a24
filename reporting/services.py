"""Reports: the actions people take: write the texts, ask for a run, publish it.

Asking records a run and queues it once the record is committed; what happens to it
then (the claim, the compile, the heartbeat, the sweep of lost runs) is the run
lifecycle's, in ``reporting.runs``, and the compile itself is ``reporting.pipeline``.
"""

import logging
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import KombuError

from accounts.models import User
from core import publication
from recommendations.models import MemberState, ReportingCycle
from reporting import permissions as report_permissions
from reporting import runs
from reporting.models import REPORT_LANGUAGES, ReportRun, ReportText
from reporting.selectors import report_text

logger = logging.getLogger(__name__)

State = ReportRun.State


class ReportError(Exception):
    """A report action that cannot be done now, with a message a person can read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ReportQueueUnavailable(ReportError):
    """The job queue (broker) did not take the run: nothing was started or kept."""


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
    runs.report_run_execute(run_id=run.pk)
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


def _enqueue_or_withdraw(run_id: int) -> None:
    try:
        runs.enqueue(run_id)
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

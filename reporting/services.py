"""Reports: the actions people take: write the texts, ask for a run, publish it.

Asking records a run and queues it once the record is committed; what happens to it
then (the claim, the compile, the heartbeat, the sweep of lost runs) is the run
lifecycle's, in ``reporting.runs``, and the compile itself is ``reporting.pipeline``.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime
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


# The cover's document block, entered per run.
HEADER = (
    "organ",
    "classification",
    "document_symbol",
    "issued_on",
    "original_language",
)


@dataclass(frozen=True)
class RunHeader:
    """The cover's OAS document block as the Secretariat enters it for a run."""

    organ: str = ""
    classification: str = ""
    document_symbol: str = ""
    issued_on: date | None = None
    original_language: str = "en"

    @classmethod
    def of(cls, run: ReportRun) -> "RunHeader":
        return cls(**{name: getattr(run, name) for name in HEADER})


# --- Texts --------------------------------------------------------------------------


def report_text_save(
    *,
    actor: User,
    cycle: ReportingCycle,
    language: str,
    introduction: str,
    conclusions: str,
    background: str | None = None,
    meeting_recommendations: str | None = None,
) -> ReportText:
    """A new version of the Secretariat's texts (none if nothing changed).

    ``background`` and ``meeting_recommendations`` left out (None) keep the current
    version's.
    """
    if not report_permissions.can_write_texts(actor):
        raise PermissionDenied
    _check_language(language)
    current = report_text(cycle=cycle, language=language)
    texts = {
        "introduction": introduction,
        "background": background,
        "conclusions": conclusions,
        "meeting_recommendations": meeting_recommendations,
    }
    for name, value in texts.items():
        if value is None:
            texts[name] = getattr(current, name) if current is not None else ""
    if current is not None and all(
        getattr(current, name) == value for name, value in texts.items()
    ):
        return current
    text = ReportText(cycle=cycle, language=language, written_by=actor, **texts)
    text.full_clean()
    text.save()
    return text


def missing_texts(*, cycle: ReportingCycle, language: str) -> list[str]:
    """The texts a published edition cannot do without, that are not written yet."""
    current = report_text(cycle=cycle, language=language)
    return [
        str(ReportText._meta.get_field(name).verbose_name)  # type: ignore[union-attr]  # text columns, not relations
        for name in ("introduction", "conclusions")
        if current is None or not getattr(current, name).strip()
    ]


# --- Asking for a report ------------------------------------------------------------


def report_run_request(
    *,
    actor: User,
    cycle: ReportingCycle,
    language: str,
    member_state: MemberState | None = None,
    as_of: datetime | None = None,
    header: RunHeader | None = None,
) -> ReportRun:
    """Record a run (a draft) and queue its compilation once the record is committed.

    ``header`` is the cover's document block, for the hemispheric report. Raises
    PermissionDenied, ValidationError (language, as-of, header) or
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
        header=header,
    )
    _queue(run)
    return run


def _queue(run: ReportRun) -> None:
    with transaction.atomic():
        run.save()
        transaction.on_commit(partial(_enqueue_or_withdraw, run.pk))


def report_run_compile_now(
    *,
    cycle: ReportingCycle,
    language: str = "en",
    member_state: MemberState | None = None,
    as_of: datetime | None = None,
    header: RunHeader | None = None,
    final: bool = False,
) -> ReportRun:
    """Compile a run here and now, without a worker: the compile_report command.

    The same steps as the task, recorded the same way; raises ReportError when the
    run fails. ``final`` compiles the edition without the DRAFT mark (it is not
    published: that is ``report_run_publish``'s).
    """
    run = _new_run(
        cycle=cycle,
        member_state=member_state,
        language=language,
        as_of=as_of,
        requested_by=None,
        max_attempts=1,
        header=header,
    )
    run.final = final
    run.save()
    runs.report_run_execute(run_id=run.pk, sections=False)  # here, not on workers
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
    header: RunHeader | None = None,
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
    run = ReportRun(
        cycle=cycle,
        member_state=member_state,
        language=language,
        as_of=as_of,
        requested_by=requested_by,
        requested_at=now,
        queued_at=now,
        max_attempts=max(1, max_attempts),
    )
    if header is not None:
        run.organ = header.organ
        run.classification = header.classification
        run.document_symbol = header.document_symbol
        run.issued_on = header.issued_on
        run.original_language = header.original_language
        run.full_clean(
            exclude=[f.name for f in ReportRun._meta.fields if f.name not in HEADER]
        )
    return run


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


def publication_refusal(*, run: ReportRun) -> str | None:
    """Why the run cannot be published now, in words for the person; None if it can.

    Only a finished hemispheric report, with the introduction and the conclusions of
    its language written, and neither published nor already given a final edition.
    """
    if not run.is_hemispheric:
        return _(
            "Only the hemispheric report is published; a state's own report "
            "stays with the state and the Secretariat."
        )
    if run.state != State.SUCCEEDED or not run.pdf:
        return _("Only a finished report can be published.")
    if run.is_published:
        return _("This report is already published.")
    edition = (
        run.final_editions.exclude(state=State.FAILED).order_by("-pk").first()
        if not run.final
        else None
    )
    if edition is not None and edition.is_published:
        return _("This report is already published: its final edition is public.")
    if edition is not None and not edition.is_finished:
        return _("The final edition of this report is being compiled.")
    if edition is not None:
        return _(
            "This report already has a final edition, which was withdrawn; publish "
            "that one again from its own page."
        )
    missing = missing_texts(cycle=run.cycle, language=run.language)
    if missing:
        return _(
            "The report cannot be published while these texts of the Secretariat "
            "are missing in %(language)s: %(texts)s. Write them, then publish."
        ) % {"language": run.get_language_display(), "texts": ", ".join(missing)}
    return None


def report_run_publish(*, actor: User, run: ReportRun) -> ReportRun:
    """Publish a finished hemispheric report: through a final edition of it.

    A draft is not published itself: its final edition (same cycle, language, as-of
    and header, without the DRAFT mark) is queued, and published by the worker as it
    succeeds (``runs``), with each reporting state's public profile. A final edition
    withdrawn earlier is published again at once. Returns the run that is (or will
    be) public. Raises PermissionDenied, ReportError (see ``publication_refusal``)
    or ReportQueueUnavailable.
    """
    if not report_permissions.can_publish(actor):
        raise PermissionDenied
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().get(pk=run.pk)
        refusal = publication_refusal(run=run)
        if refusal:
            raise ReportError(refusal)
        if run.final:
            run.published_at = timezone.now()
            run.published_by = actor
            run.save(update_fields=["published_at", "published_by"])
            publication.changed()  # the open data and reports pages list it
            return run
        edition = _new_run(
            cycle=run.cycle,
            member_state=None,
            language=run.language,
            as_of=run.as_of,
            requested_by=actor,
            max_attempts=settings.REPORT_MAX_ATTEMPTS,
            header=RunHeader.of(run),
        )
        edition.final = True
        edition.edition_of = run
        _queue(edition)
    return edition


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

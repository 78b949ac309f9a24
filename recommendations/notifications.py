"""Emails the portal sends, and the record of each one that people read in the portal.

Two sources: steps of the review workflow (the hooks below, called by
``recommendations.services`` inside its transaction) and the deadline reminders of
Celery beat. Either way a ``Notification`` row holds the email as its recipient reads
it, in their own language, and a Celery task sends it after the transaction commits.
Catalogue texts in an email (the cycle's name) are in that language too; a working
translation says so, with the English text, which is authoritative.

Sending happens at most once per row: a worker claims the row (``attempted_at``)
before talking to the mail server. When the mail server refuses or cannot be reached,
the claim is released and the task retries; when a worker dies mid-send, the claim
stays and the email is not sent again, since it may have gone out. A reminder is
claimed in the same way one level up: its ``Reminder`` row, unique per cycle, state and
step, is inserted before any email is written, so a second beat run finds it and stops.
A reminder the Secretariat sends by hand from the coverage page is claimed by its
``FollowUpReminder`` row, unique per state and day.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from core.links import absolute_url
from recommendations import permissions
from recommendations.models import (
    FollowUpReminder,
    MemberState,
    Notification,
    ProgressUpdate,
    Recommendation,
    Reminder,
    ReportingCycle,
    ReviewState,
    UpdateEvent,
)
from recommendations.translations.texts import translate

logger = logging.getLogger(__name__)

Kind = Notification.Kind
Action = UpdateEvent.Action

_KIND_OF_ACTION = {
    Action.SUBMITTED: Kind.SUBMITTED,
    Action.RETURNED: Kind.RETURNED,
    Action.ACCEPTED: Kind.ACCEPTED,
}
# Local time, in the deadline's time zone, at which a reminder step falls due.
REMINDER_HOUR = time(8, 0)
# How long the normal path has before the sweep steps in.
SWEEP_GRACE = timedelta(minutes=10)
SWEEP_WINDOW = timedelta(days=2)
# The tasks of recommendations.tasks, queued by name: that module imports this one.
# Their names predate the move from the portal app; messages already queued keep them.
NOTIFY_TASK = "portal.notify_update_event"
DELIVER_TASK = "portal.deliver_notification"


# Set while history is entered in bulk (the demo's): its steps tell nobody, now or
# through the sweep, since nobody is waiting to hear of them.
_quiet: ContextVar[bool] = ContextVar("quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Workflow steps taken inside tell nobody: their events are marked so."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def wanted() -> bool:
    """Whether a workflow step taken now should tell people."""
    return not _quiet.get()


def _queue(task: str, *args) -> None:
    current_app.signature(task, args=args).delay()


class DeliveryError(Exception):
    """The mail server refused the email or could not be reached; worth a retry."""


# --- Hooks for the workflow (recommendations.services) ----------------------------


def update_submitted(update: ProgressUpdate) -> None:
    """Tell the Secretariat, once the submission commits."""
    _queue_event(update, Action.SUBMITTED)


def update_returned(update: ProgressUpdate) -> None:
    """Tell the state's focal points, with the reviewer's comment."""
    _queue_event(update, Action.RETURNED)


def update_accepted(update: ProgressUpdate) -> None:
    """Tell the state's focal points that the update is now the state's status."""
    _queue_event(update, Action.ACCEPTED)


def _queue_event(update: ProgressUpdate, action: str) -> None:
    event = (
        update.events.filter(action=action).order_by("-pk").only("pk", "notify").first()
    )
    if event is None or not event.notify:
        return

    def queue_notifications():
        _queue(NOTIFY_TASK, event.pk)

    # robust: a broker that is down must not turn a saved step into an error page;
    # notifications_sweep() catches the step up.
    transaction.on_commit(queue_notifications, robust=True)


# --- Workflow notifications ----------------------------------------------------------


def update_event_notify(*, event: UpdateEvent) -> list[Notification]:
    """Write the notifications of a workflow step and queue them; safe to repeat."""
    kind = _KIND_OF_ACTION.get(event.action)
    if kind is None:
        return []
    update = event.update
    if kind == Kind.SUBMITTED:
        recipients = list(secretariat_users())
    elif update.member_state_id is not None:
        recipients = focal_points_by_state([update.member_state]).get(
            update.member_state_id, []
        )
    else:
        # The Secretariat's own update: its author hears the review.
        recipients = [update.author] if update.author.is_active else []
    recipients = [user for user in recipients if user.pk != event.actor_id]
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=kind,
                update=update,
                event=event,
                **_compose_event(kind, event, update, user),
            )
            for user in recipients
        ],
        # A repeated task finds the rows it wrote before.
        ignore_conflicts=True,
    )
    pending = list(_pending().filter(event=event))
    _deliver_later(pending)
    return pending


def _compose_event(kind: str, event: UpdateEvent, update: ProgressUpdate, user: User):
    with translation.override(_language_of(user)):
        link = absolute_url(reverse("recommendations:update", args=[update.pk]))
        who = update.member_state.name if update.member_state else _("Secretariat")
        context = {
            "user": user,
            "update": update,
            "event": event,
            "state": who,
            "number": update.recommendation.number,
            "status": update.get_status_display(),
            "actor": event.actor.get_full_name() or event.actor.get_username(),
            "link": link,
        }
        if kind == Kind.SUBMITTED:
            subject = _("Submitted for review: %(state)s on recommendation %(number)s")
            template = "portal/emails/update_submitted.txt"
        elif kind == Kind.RETURNED:
            subject = _("Returned to you: %(state)s on recommendation %(number)s")
            template = "portal/emails/update_returned.txt"
        else:
            subject = _("Accepted: %(state)s on recommendation %(number)s")
            template = "portal/emails/update_accepted.txt"
        return {
            "email": user.email,
            "language": translation.get_language(),
            # "4. National action plans": a subject names what a bare number hides.
            "subject": _subject(
                subject % {"state": who, "number": update.recommendation.numbered_title}
            ),
            "body": render_to_string(template, context),
            "link": link,
        }


# --- Deadline reminders ---------------------------------------------------------------


@dataclass(frozen=True)
class Behind:
    """A participating state with recommendations still without a submitted update."""

    member_state: MemberState
    deadline: datetime
    missing: list[int]


def states_behind(*, cycle: ReportingCycle) -> list[Behind]:
    """Participating states and the recommendations they have not submitted yet.

    Submitted or accepted counts as reported; a draft, or an update returned and not
    resubmitted, does not. A fixed number of queries for the 35 states.
    """
    numbers = list(
        Recommendation.objects.filter(
            instrument=cycle.instrument_id,
            addressee=Recommendation.Addressee.MEMBER_STATES,
        )
        .order_by("number")
        .values_list("pk", "number")
    )
    reported = set(
        ProgressUpdate.objects.filter(
            cycle=cycle,
            member_state__isnull=False,
            review_state__in=[ReviewState.SUBMITTED, ReviewState.ACCEPTED],
        ).values_list("member_state_id", "recommendation_id")
    )
    behind = []
    for state in MemberState.objects.filter(participating=True).order_by("name_en"):
        missing = [n for pk, n in numbers if (state.pk, pk) not in reported]
        if missing:
            behind.append(Behind(state, cycle.deadline_for(state), missing))
    return behind


def due_step(*, deadline: datetime, zone: ZoneInfo, now: datetime) -> int | None:
    """The reminder step due now for a deadline: days before it, or None.

    A step falls due at 08:00 on the local day that many days before the deadline's
    local date; when beat missed a step, the latest step due is the one sent.
    """
    if now >= deadline:
        return None
    deadline_day = timezone.localtime(deadline, zone).date()
    due = [
        days
        for days in settings.REMINDER_DAYS_BEFORE
        if now
        >= datetime.combine(
            deadline_day - timedelta(days=days), REMINDER_HOUR, tzinfo=zone
        )
    ]
    return min(due) if due else None


def reminders_send(*, now: datetime | None = None) -> list[Reminder]:
    """Remind the states behind on the open cycle, and send the Secretariat a digest.

    Run by beat every hour; each state, cycle and step is reminded once at most.
    """
    now = now or timezone.now()
    cycle = (
        ReportingCycle.objects.open()
        .select_related("instrument")
        .prefetch_related("extensions")
        .first()
    )
    if cycle is None:
        return []
    zone = cycle.zone
    behind = states_behind(cycle=cycle)
    focal_points = focal_points_by_state([row.member_state for row in behind])
    sent = []
    for row in behind:
        step = due_step(deadline=row.deadline, zone=zone, now=now)
        if step is None:
            continue
        reminder = _claim_reminder(
            cycle=cycle,
            member_state=row.member_state,
            days_before=step,
            deadline=row.deadline,
            missing=row.missing,
            recipients=focal_points.get(row.member_state.pk, []),
            kind=Kind.REMINDER,
            compose=partial(_compose_reminder, cycle=cycle, behind=row, step=step),
        )
        if reminder is not None:
            sent.append(reminder)
    step = due_step(deadline=cycle.deadline, zone=zone, now=now)
    if step is not None and behind:
        digest = _claim_reminder(
            cycle=cycle,
            member_state=None,
            days_before=step,
            deadline=cycle.deadline,
            missing=[
                {
                    "state": row.member_state.iso3,
                    "missing": row.missing,
                    "deadline": row.deadline.isoformat(),
                }
                for row in behind
            ],
            recipients=list(secretariat_users()),
            kind=Kind.DIGEST,
            compose=partial(_compose_digest, cycle=cycle, behind=behind, step=step),
        )
        if digest is not None:
            sent.append(digest)
    return sent


def _claim_reminder(
    *,
    cycle: ReportingCycle,
    member_state: MemberState | None,
    days_before: int,
    deadline: datetime,
    missing: list,
    recipients: list[User],
    kind: str,
    compose,
) -> Reminder | None:
    """Insert the reminder and its emails, or None if this step was claimed before."""
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                cycle=cycle,
                member_state=member_state,
                days_before=days_before,
                deadline=deadline,
                missing=missing,
            )
            Notification.objects.bulk_create(
                Notification(
                    recipient=user, kind=kind, reminder=reminder, **compose(user)
                )
                for user in recipients
            )
    except IntegrityError:
        return None
    _deliver_later(list(_pending().filter(reminder=reminder)))
    return reminder


def _deadline_text(deadline: datetime, zone: ZoneInfo) -> str:
    local = timezone.localtime(deadline, zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone.key})"


def _behind_context(user: User, *, cycle: ReportingCycle, behind: Behind) -> dict:
    """What both reminders say of a state behind, in the active language."""
    state = behind.member_state
    return {
        "user": user,
        "cycle": cycle,
        "cycle_name": translate(cycle, "name"),
        "state": state.name,
        "deadline": _deadline_text(behind.deadline, cycle.zone),
        "extended": behind.deadline != cycle.deadline,
        "missing": behind.missing,
        "numbers": ", ".join(str(number) for number in behind.missing),
        "link": absolute_url(reverse("recommendations:dashboard", args=[state.iso3])),
        "questionnaire": absolute_url(
            reverse("recommendations:questionnaire", args=[state.iso3])
        ),
    }


def _compose_reminder(user: User, *, cycle: ReportingCycle, behind: Behind, step: int):
    with translation.override(_language_of(user)):
        state = behind.member_state
        context = {
            **_behind_context(user, cycle=cycle, behind=behind),
            "days": step,
        }
        link = context["link"]
        return {
            "email": user.email,
            "language": translation.get_language(),
            "subject": _subject(
                _("%(days)s days left: %(state)s has recommendations to report on")
                % {"days": step, "state": state.name}
            ),
            "body": render_to_string("portal/emails/deadline_reminder.txt", context),
            "link": link,
        }


def _compose_digest(
    user: User, *, cycle: ReportingCycle, behind: list[Behind], step: int
):
    with translation.override(_language_of(user)):
        link = absolute_url(reverse("recommendations:coverage"))
        rows = [
            {
                "state": row.member_state.name,
                "count": len(row.missing),
                "numbers": ", ".join(str(number) for number in row.missing),
                "deadline": _deadline_text(row.deadline, cycle.zone),
                "extended": row.deadline != cycle.deadline,
            }
            for row in behind
        ]
        rows.sort(key=lambda row: row["state"])
        context = {
            "user": user,
            "cycle": cycle,
            "cycle_name": translate(cycle, "name"),
            "deadline": _deadline_text(cycle.deadline, cycle.zone),
            "days": step,
            "rows": rows,
            "link": link,
        }
        return {
            "email": user.email,
            "language": translation.get_language(),
            "subject": _subject(
                _("%(days)s days to the deadline: %(count)s states have not reported")
                % {"days": step, "count": len(rows)}
            ),
            "body": render_to_string("portal/emails/reminder_digest.txt", context),
            "link": link,
        }


# --- Reminders sent by hand from the coverage page --------------------------------


@dataclass
class FollowUp:
    """What came of a reminder sent from coverage: the states reminded, and those
    refused, by reason."""

    sent: list[FollowUpReminder] = field(default_factory=list)
    reminded_today: list[MemberState] = field(default_factory=list)
    nothing_missing: list[MemberState] = field(default_factory=list)
    no_focal_point: list[MemberState] = field(default_factory=list)


def portal_day(moment: datetime):
    """The date of ``moment`` in the portal's time zone: a reminder's day."""
    return timezone.localdate(moment, ZoneInfo(settings.PORTAL_TIME_ZONE))


def follow_up_reminders_send(
    *,
    actor: User,
    cycle: ReportingCycle,
    member_states: list[MemberState],
    now: datetime | None = None,
) -> FollowUp:
    """Remind the focal points of each chosen state now, by email and in the portal.

    A state is reminded once a day at most (in the portal's time zone): the
    ``FollowUpReminder`` row goes in first, in the same transaction as its emails,
    and its unique constraint refuses a second one, even from a click at the same
    moment. A state that has nothing left to submit, or nobody to remind, is refused.
    """
    if not permissions.can_follow_up(actor):
        raise PermissionDenied
    now = now or timezone.now()
    day = portal_day(now)
    # Each state's deadline reads the extensions: once, not once a state.
    prefetch_related_objects([cycle], "extensions")
    behind = {row.member_state.pk: row for row in states_behind(cycle=cycle)}
    focal_points = focal_points_by_state(member_states)
    outcome = FollowUp()
    for state in member_states:
        row = behind.get(state.pk)
        recipients = focal_points.get(state.pk, [])
        if row is None:
            outcome.nothing_missing.append(state)
            continue
        if not recipients:
            outcome.no_focal_point.append(state)
            continue
        try:
            with transaction.atomic():
                reminder = FollowUpReminder.objects.create(
                    cycle=cycle, member_state=state, sent_by=actor, sent_at=now, day=day
                )
                written = Notification.objects.bulk_create(
                    Notification(
                        recipient=user,
                        kind=Kind.REMINDER,
                        **_compose_follow_up(
                            user, cycle=cycle, behind=row, actor=actor, now=now
                        ),
                    )
                    for user in recipients
                )
        except IntegrityError:
            outcome.reminded_today.append(state)
            continue
        _deliver_later(written)
        outcome.sent.append(reminder)
    return outcome


def _compose_follow_up(
    user: User, *, cycle: ReportingCycle, behind: Behind, actor: User, now: datetime
):
    with translation.override(_language_of(user)):
        state = behind.member_state
        context = {
            **_behind_context(user, cycle=cycle, behind=behind),
            "sender": actor.get_full_name() or actor.get_username(),
            "passed": behind.deadline <= now,
        }
        link = context["link"]
        return {
            "email": user.email,
            "language": translation.get_language(),
            "subject": _subject(
                _(
                    "Reminder from the Secretariat: %(state)s has recommendations to "
                    "report on"
                )
                % {"state": state.name}
            ),
            "body": render_to_string("portal/emails/follow_up_reminder.txt", context),
            "link": link,
        }


# --- Sending -------------------------------------------------------------------------


def notification_deliver(*, notification: Notification) -> bool:
    """Send one notification's email unless it was sent, or is being sent, already.

    Returns whether this call sent it. Raises DeliveryError, with the claim released,
    when the mail server refused or could not be reached: the caller may retry.
    """
    claimed = Notification.objects.filter(
        pk=notification.pk, sent_at__isnull=True, attempted_at__isnull=True
    ).update(attempted_at=timezone.now(), attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification.refresh_from_db()
    recipient = notification.recipient
    if not notification.email or not recipient.is_active:
        # Kept claimed: nobody to send it to, so no retry either.
        notification.error = "No active recipient with an email address."
        notification.save(update_fields=["error"])
        return False
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        to=[notification.email],
        headers={
            "Content-Language": notification.language,
            # RFC 3834: out-of-office replies should not answer the portal.
            "Auto-Submitted": "auto-generated",
        },
    )
    try:
        message.send()
    except Exception as error:
        Notification.objects.filter(pk=notification.pk).update(
            attempted_at=None, error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise DeliveryError(str(error)) from error
    Notification.objects.filter(pk=notification.pk).update(
        sent_at=timezone.now(), error=""
    )
    return True


def notifications_sweep(*, now: datetime | None = None) -> int:
    """Catch up what the normal path missed; returns how many emails were queued.

    Workflow steps of the last two days that have no notifications (the broker was
    down when they were queued), and emails neither sent nor being sent whose
    attempts are not used up.
    """
    now = now or timezone.now()
    events = (
        UpdateEvent.objects.filter(
            action__in=list(_KIND_OF_ACTION),
            notify=True,
            created_at__gte=now - SWEEP_WINDOW,
            created_at__lte=now - SWEEP_GRACE,
        )
        .exclude(
            pk__in=Notification.objects.filter(event__isnull=False).values("event_id")
        )
        .select_related("update__member_state", "update__recommendation", "actor")
    )
    queued = 0
    for event in events:
        queued += len(update_event_notify(event=event))
    stale = list(
        _pending().filter(
            created_at__lte=now - SWEEP_GRACE,
            attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
        )
    )
    _deliver_later(stale)
    return queued + len(stale)


def _pending() -> QuerySet[Notification]:
    return Notification.objects.filter(sent_at__isnull=True, attempted_at__isnull=True)


def _deliver_later(notifications: list[Notification]) -> None:
    if not notifications:
        return
    ids = [notification.pk for notification in notifications]

    def queue_deliveries():
        for pk in ids:
            _queue(DELIVER_TASK, pk)

    transaction.on_commit(queue_deliveries, robust=True)


# --- Who hears what, and what a person sees ---------------------------------------


def secretariat_users() -> QuerySet[User]:
    """The Secretariat who can sign in: whoever may review updates, reviewers and
    admins alike."""
    return permissions.reviewers()


def focal_points_by_state(states: list[MemberState]) -> dict[int, list[User]]:
    """Active focal points of each state: who holds the right to report for it."""
    return permissions.focal_points_of(states)


def notifications_for(user: User) -> QuerySet[Notification]:
    """The notifications sent to ``user``, newest first: nobody else's."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).select_related(
        "update__member_state", "update__recommendation"
    )


def _language_of(user: User) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return user.language if user.language in codes else settings.LANGUAGE_CODE


def _subject(text: str) -> str:
    return " ".join(text.split())[:300]

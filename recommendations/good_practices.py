"""Good practices for the hemispheric report: a reviewer marks an accepted, public
update and chooses the excerpt the report quotes (``selectors.good_practices`` reads
them back for a report).

Marks are kept, never edited: a new excerpt or an unmark closes the mark in force, so
a report compiled again as of an earlier moment quotes what was marked then. Marking
does not depend on the cycle being open: the Secretariat picks good practices while
it writes the report, often after the cycle has closed.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import ConflictError
from recommendations import permissions
from recommendations.models import GoodPracticeMark, ProgressUpdate, ReviewState

EXCERPT_MAX_CHARS = 600


class GoodPracticeError(ConflictError):
    """A mark the rules do not allow on this update now (HTTP 409 in an API)."""

    code = "good_practice_refused"


class StaleGoodPracticeError(GoodPracticeError):
    """Another reviewer marked, changed or unmarked the good practice meanwhile."""

    code = "stale_version"


def refusal_for(update: ProgressUpdate) -> str:
    """Why ``update`` cannot be marked as a good practice, or "" if it can.

    Only a state's accepted update whose narrative is public, and that is still the
    state's status on the recommendation (no newer accepted update replaced it).
    """
    if update.review_state != ReviewState.ACCEPTED:
        return _("Only an accepted update can be a good practice for the report.")
    if update.member_state_id is None:
        return _(
            "Only a state's update can be a good practice; this one is the "
            "Secretariat's own."
        )
    if not update.narrative_is_public:
        return _(
            "The narrative of this update is confidential, so the report cannot "
            "quote it."
        )
    current = (
        ProgressUpdate.objects.filter(
            cycle_id=update.cycle_id,
            member_state_id=update.member_state_id,
            recommendation_id=update.recommendation_id,
        )
        .current()
        .values_list("pk", flat=True)
        .first()
    )
    if current != update.pk:
        return _(
            "A newer accepted update has replaced this one as the state's status: "
            "mark that one instead."
        )
    return ""


def clean_excerpt(excerpt: str) -> str:
    """The excerpt as stored: trimmed, with a browser's line endings made plain."""
    text = (excerpt or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError(
            {"excerpt": _("Write the excerpt the report will quote.")}
        )
    if len(text) > EXCERPT_MAX_CHARS:
        raise ValidationError(
            {
                "excerpt": _(
                    "The excerpt has %(length)s characters; shorten it to "
                    "%(limit)s at most."
                )
                % {"length": len(text), "limit": EXCERPT_MAX_CHARS}
            }
        )
    return text


def latest_mark(update: ProgressUpdate) -> GoodPracticeMark | None:
    """The update's latest mark, in force or closed: its version is the one a form
    carries (0 when the update was never marked)."""
    return (
        GoodPracticeMark.objects.filter(update_id=update.pk)
        .select_related("marked_by", "unmarked_by")
        .order_by("-version")
        .first()
    )


def good_practice_mark(
    *,
    actor: User,
    update: ProgressUpdate,
    excerpt: str,
    expected_version: int | None = None,
) -> GoodPracticeMark:
    """Mark ``update`` as a good practice with ``excerpt``, or change the excerpt of
    its mark. ``expected_version`` is the version of the latest mark the reviewer saw
    (0 for none); a stale one is refused rather than overwriting another's choice."""
    if not permissions.can_mark_good_practice(actor):
        raise PermissionDenied
    text = clean_excerpt(excerpt)
    with transaction.atomic():
        update = _locked(update)
        refusal = refusal_for(update)
        if refusal:
            raise GoodPracticeError(refusal)
        latest = latest_mark(update)
        _check_version(latest, expected_version)
        if latest is not None and latest.is_live and latest.excerpt == text:
            return latest
        now = timezone.now()
        if latest is not None and latest.is_live:
            _close(latest, actor, now)
        return GoodPracticeMark.objects.create(
            update=update,
            version=(latest.version if latest else 0) + 1,
            excerpt=text,
            language=update.narrative_language,
            marked_by=actor,
            marked_at=now,
        )


def good_practice_unmark(
    *, actor: User, update: ProgressUpdate, expected_version: int | None = None
) -> GoodPracticeMark:
    """Take the good-practice mark off ``update``: reports as of later moments no
    longer quote it. Returns the closed mark."""
    if not permissions.can_mark_good_practice(actor):
        raise PermissionDenied
    with transaction.atomic():
        update = _locked(update)
        latest = latest_mark(update)
        _check_version(latest, expected_version)
        if latest is None or not latest.is_live:
            raise GoodPracticeError(_("This update is not marked as a good practice."))
        # Unmarking is a change a stale form must see: the version moves on.
        latest.version += 1
        _close(latest, actor, timezone.now(), fields=["version"])
        return latest


def _locked(update: ProgressUpdate) -> ProgressUpdate:
    """The update's row, locked: marks of one update are changed one at a time."""
    locked = (
        ProgressUpdate.objects.select_for_update(of=("self",))
        .select_related("cycle", "member_state", "recommendation")
        .filter(pk=update.pk)
        .first()
    )
    if locked is None:
        raise GoodPracticeError(_("This update no longer exists."))
    return locked


def _check_version(
    latest: GoodPracticeMark | None, expected_version: int | None
) -> None:
    if expected_version is None:
        return
    if (latest.version if latest else 0) == expected_version:
        return
    if latest is None:  # a version no mark ever had: a form from elsewhere
        raise StaleGoodPracticeError(
            _("This page is out of date: reload it, then make your change again.")
        )
    who = latest.unmarked_by if latest.unmarked_by_id else latest.marked_by
    name = who.get_full_name() or who.get_username()  # type: ignore[union-attr]  # a mark has its marker
    if latest.is_live:
        message = _(
            "%(name)s changed this good practice after you opened the page, so your "
            "change was not saved. The excerpt now reads: “%(excerpt)s”. Make your "
            "change again if it is still needed."
        ) % {"name": name, "excerpt": latest.excerpt}
    else:
        message = _(
            "%(name)s unmarked this good practice after you opened the page, so your "
            "change was not saved. Mark it again if it is still needed."
        ) % {"name": name}
    raise StaleGoodPracticeError(message)


def _close(mark: GoodPracticeMark, actor: User, now, fields=()) -> None:
    mark.unmarked_at = now
    mark.unmarked_by = actor
    mark.save(update_fields=["unmarked_at", "unmarked_by", *fields])

"""The workflow of progress updates and reporting cycles: every change goes here.

Pages and API call these functions; each checks who may act, validates, changes the
database in one transaction and records the step in the update's history.
"""

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from core import publication
from core.errors import ConflictError
from recommendations import notifications, permissions
from recommendations.evidence import Kind, check_upload
from recommendations.models import (
    AssistanceNeed,
    CycleExtension,
    Evidence,
    Instrument,
    Measure,
    MemberState,
    ProgressUpdate,
    Recommendation,
    ReportingCycle,
    ReviewState,
    UpdateEvent,
)

Action = UpdateEvent.Action

REVIEW_CHECKLIST = {
    "identifies_no_victim": gettext_lazy(
        "Identifies no victim, directly or indirectly (names, images, places, details)"
    ),
    "status_supported": gettext_lazy(
        "The status is supported by the narrative and measures"
    ),
    "summary_publishable": gettext_lazy("The public summary is fit for publication"),
    "confidential_marked": gettext_lazy("Anything sensitive is marked confidential"),
}


class WorkflowError(ConflictError):
    """A step the workflow does not allow now (HTTP 409 in the API)."""


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


class StaleUpdateError(WorkflowError):
    """Someone saved the update since this person opened it."""

    code = "stale_version"

    def __init__(self, message: str, changes: list[Change], by: str):
        super().__init__(message)
        self.changes = changes
        self.by = by

    def details(self) -> dict[str, Any]:
        return {"changes": [asdict(change) for change in self.changes], "by": self.by}


@dataclass
class MeasureData:
    kind: str
    title: str
    date: dt.date | None = None
    link: str = ""


@dataclass
class NeedData:
    kind: str
    description: str = ""


@dataclass
class UpdateContent:
    """What a person writes in an update, from the form, the API or a spreadsheet.

    A draft may leave anything empty; submitting checks what is missing.
    """

    status: str = ""
    summary: str = ""
    narrative: str = ""
    narrative_language: str = "en"
    narrative_visibility: str = "confidential"
    challenges: str = ""
    on_behalf_reference: str = ""
    measures: list[MeasureData] = field(default_factory=list)
    assistance_needs: list[NeedData] = field(default_factory=list)


# --- Progress updates -------------------------------------------------------------


def progress_update_create(
    *,
    actor: User,
    cycle: ReportingCycle,
    member_state: MemberState | None,
    recommendation: Recommendation,
    content: UpdateContent,
    evidence: UploadedFile | None = None,
) -> ProgressUpdate:
    """Start a draft, with a first evidence file if given: both or neither are saved.
    One the Secretariat files for a state is marked as such."""
    if not permissions.can_report_on(actor, member_state):
        raise PermissionDenied
    _require_open(cycle)
    kind = _checked(evidence)
    if recommendation.instrument_id != cycle.instrument_id:
        raise ValidationError(_("This recommendation is not part of the cycle."))
    if recommendation.is_for_secretariat and member_state is not None:
        raise ValidationError(
            _(
                "Recommendation %(number)s is addressed to the Secretariat, "
                "not to states."
            )
            % {"number": recommendation.number}
        )
    if not recommendation.is_for_secretariat and member_state is None:
        raise ValidationError(_("Choose the member state this update is for."))
    on_behalf = permissions.acts_on_behalf(actor, member_state)
    if on_behalf and not content.on_behalf_reference.strip():
        raise ValidationError(
            {
                "on_behalf_reference": _(
                    "Say which communication of the state this update records "
                    "(for example the note verbale's number and date)."
                )
            }
        )
    with transaction.atomic():
        if _open_update(cycle, member_state, recommendation) is not None:
            raise WorkflowError(
                _(
                    "An update on this recommendation is already in progress for this "
                    "cycle. Open it from the dashboard instead of starting another."
                )
            )
        previous = (
            ProgressUpdate.objects.current()
            .filter(
                cycle=cycle, member_state=member_state, recommendation=recommendation
            )
            .first()
        )
        update = ProgressUpdate(
            cycle=cycle,
            member_state=member_state,
            recommendation=recommendation,
            author=actor,
            on_behalf=on_behalf,
            supersedes_id=previous.pk if previous else None,
        )
        _apply(update, content)
        try:
            with transaction.atomic():
                update.save()
        except IntegrityError:
            raise WorkflowError(
                _("An update on this recommendation was started a moment ago.")
            ) from None
        _replace_lists(update, content)
        _record(update, actor, Action.CREATED, to_state=ReviewState.DRAFT)
        if evidence is not None and kind is not None:
            _attach(update, actor, evidence, kind)
    return update


def progress_update_edit(
    *,
    update: ProgressUpdate,
    actor: User,
    content: UpdateContent,
    expected_version: int,
    evidence: UploadedFile | None = None,
) -> ProgressUpdate:
    """Save changes to a draft or a returned update, refusing a stale version; an
    evidence file given with them is attached in the same step, or nothing is saved."""
    kind = _checked(evidence)
    with transaction.atomic():
        update = _lock_for_change(update, actor, expected_version)
        if not update.is_editable:
            raise WorkflowError(edit_refusal(update))
        if update.review_state == ReviewState.RETURNED:
            _move(update, actor, Action.REVISED, ReviewState.DRAFT)
        _apply(update, content)
        update.version += 1
        update.save()
        _replace_lists(update, content)
        _record(update, actor, Action.EDITED)
        if evidence is not None and kind is not None:
            _attach(update, actor, evidence, kind)
    return update


def submission_missing(update: ProgressUpdate) -> dict[str, str]:
    """What a draft still lacks before it can be submitted, by field."""
    missing = {}
    if not update.status:
        missing["status"] = _("Choose a status before submitting.")
    if not update.summary.strip():
        missing["summary"] = _("Write a public summary before submitting.")
    return missing


def progress_update_submit(
    *, update: ProgressUpdate, actor: User, expected_version: int | None = None
) -> ProgressUpdate:
    """Send a draft (or a revised returned update) to the Secretariat for review."""
    with transaction.atomic():
        update = _lock_for_change(update, actor, expected_version)
        if not update.is_submittable:
            raise WorkflowError(
                _("Only a draft can be submitted; this update is %(state)s.")
                % {"state": update.get_review_state_display().lower()}
            )
        if update.is_late(timezone.now()):
            local = timezone.localtime(update.submission_deadline, update.cycle.zone)
            raise WorkflowError(
                _(
                    "The deadline for submissions passed on %(deadline)s (%(zone)s). "
                    "Ask the Secretariat for an extension."
                )
                % {
                    "deadline": local.strftime("%Y-%m-%d %H:%M"),
                    "zone": update.cycle.time_zone,
                }
            )
        missing = submission_missing(update)
        if missing:
            raise ValidationError(missing)
        if update.review_state == ReviewState.RETURNED:
            _move(update, actor, Action.REVISED, ReviewState.DRAFT)
        update.submitted_at = timezone.now()
        _move(update, actor, Action.SUBMITTED, ReviewState.SUBMITTED)
        notifications.update_submitted(update)
    return update


def progress_update_withdraw(*, update: ProgressUpdate, actor: User) -> ProgressUpdate:
    """Take a submitted update back to draft before the Secretariat reviews it."""
    with transaction.atomic():
        update = _lock_for_change(update, actor, None)
        if not update.is_withdrawable:
            raise WorkflowError(
                _("Only a submitted update that is not yet reviewed can be withdrawn.")
            )
        _move(update, actor, Action.WITHDRAWN, ReviewState.DRAFT)
    return update


def progress_update_accept(
    *, update: ProgressUpdate, actor: User, checklist: dict[str, bool]
) -> ProgressUpdate:
    """Accept a submitted update: it becomes the state's status, and immutable."""
    with transaction.atomic():
        update = _lock_for_review(update, actor)
        missing = [
            str(label)
            for key, label in REVIEW_CHECKLIST.items()
            if not checklist.get(key)
        ]
        if missing:
            raise ValidationError(
                _("Before accepting, confirm every item of the checklist: %(items)s.")
                % {"items": "; ".join(missing)}
            )
        update.reviewed_at = timezone.now()
        update.reviewed_by = actor
        _move(update, actor, Action.ACCEPTED, ReviewState.ACCEPTED, checklist=checklist)
        publication.changed()
        notifications.update_accepted(update)
    return update


def progress_update_return(
    *,
    update: ProgressUpdate,
    actor: User,
    comment: str,
    checklist: dict[str, bool] | None = None,
) -> ProgressUpdate:
    """Send a submitted update back to the state with the reviewer's comment."""
    if not comment or not comment.strip():
        raise ValidationError({"comment": _("Say what the state should change.")})
    with transaction.atomic():
        update = _lock_for_review(update, actor)
        update.returned_at = timezone.now()
        update.reviewed_by = actor
        _move(
            update,
            actor,
            Action.RETURNED,
            ReviewState.RETURNED,
            comment=comment.strip(),
            checklist=checklist or {},
        )
        notifications.update_returned(update)
    return update


def progress_update_delete(*, update: ProgressUpdate, actor: User) -> None:
    """Delete a draft that was never submitted; anything reviewed keeps its history."""
    with transaction.atomic():
        update = _lock_for_change(update, actor, None)
        if not update.is_deletable:
            raise WorkflowError(delete_refusal(update))
        files = [evidence.file for evidence in update.evidence.all()]
        update.delete()
        transaction.on_commit(lambda: [file.delete(save=False) for file in files])


def evidence_add(
    *, update: ProgressUpdate, actor: User, upload: UploadedFile
) -> Evidence:
    """Attach a file, checked by size and content, to an update still being written."""
    kind = check_upload(upload, max_bytes=settings.EVIDENCE_MAX_BYTES)
    with transaction.atomic():
        update = _lock_for_change(update, actor, None)
        if not update.is_editable:
            raise WorkflowError(edit_refusal(update))
        return _attach(update, actor, upload, kind)


def _checked(upload: UploadedFile | None) -> Kind | None:
    """The kind of a file sent with an update's text, checked before anything is
    saved, its refusal on the form's ``evidence`` field; None without a file."""
    if upload is None:
        return None
    try:
        return check_upload(upload, max_bytes=settings.EVIDENCE_MAX_BYTES)
    except ValidationError as error:
        raise ValidationError({"evidence": error.messages}) from None


def _attach(
    update: ProgressUpdate, actor: User, upload: UploadedFile, kind: Kind
) -> Evidence:
    """Store a checked file on a locked update, inside the caller's transaction."""
    if update.evidence.count() >= settings.EVIDENCE_MAX_FILES:
        raise ValidationError(
            _("An update can carry at most %(count)s files.")
            % {"count": settings.EVIDENCE_MAX_FILES}
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    evidence = Evidence(
        update=update,
        original_name=_safe_name(upload.name or ""),
        content_type=kind.content_type,
        size=upload.size,  # type: ignore[misc]  # known for every file received
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    evidence.file.save(upload.name, upload, save=False)
    stored = evidence.file
    try:
        evidence.save()
        _touch(update)
        _record(update, actor, Action.EVIDENCE_ADDED, comment=evidence.original_name)
    except Exception:
        stored.delete(save=False)
        raise
    return evidence


def evidence_remove(*, evidence: Evidence, actor: User) -> None:
    with transaction.atomic():
        update = _lock_for_change(evidence.update, actor, None)
        if not update.is_editable:
            raise WorkflowError(edit_refusal(update))
        name, file = evidence.original_name, evidence.file
        evidence.delete()
        _touch(update)
        _record(update, actor, Action.EVIDENCE_REMOVED, comment=name)
        transaction.on_commit(lambda: file.delete(save=False))


# --- Reporting cycles -------------------------------------------------------------


def cycle_create(
    *,
    actor: User,
    name: str,
    slug: str,
    meeting: str,
    period_start: dt.date,
    period_end: dt.date,
    deadline: dt.datetime,
    time_zone: str,
    instrument: Instrument | None = None,
) -> ReportingCycle:
    """Prepare a cycle, closed until it is opened."""
    _require_cycle_manager(actor)
    _check_zone(time_zone)
    cycle = ReportingCycle(
        instrument=instrument or Instrument.objects.current(),
        name=name,
        slug=slug,
        meeting=meeting,
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        time_zone=time_zone,
    )
    cycle.full_clean()
    cycle.save()
    return cycle


def cycle_open(*, actor: User, cycle: ReportingCycle) -> ReportingCycle:
    _require_cycle_manager(actor)
    with transaction.atomic():
        other = (
            ReportingCycle.objects.select_for_update()
            .open()
            .exclude(pk=cycle.pk)
            .first()
        )
        if other is not None:
            raise WorkflowError(
                _("“%(name)s” is open. Close it before opening another cycle.")
                % {"name": other.name}
            )
        cycle.is_open = True
        cycle.opened_at = timezone.now()
        cycle.closed_at = None
        cycle.save(update_fields=["is_open", "opened_at", "closed_at", "updated_at"])
    return cycle


def cycle_close(*, actor: User, cycle: ReportingCycle) -> ReportingCycle:
    """Close a cycle: nothing in it can change any more."""
    _require_cycle_manager(actor)
    cycle.is_open = False
    cycle.closed_at = timezone.now()
    cycle.save(update_fields=["is_open", "closed_at", "updated_at"])
    return cycle


def cycle_set_deadline(
    *, actor: User, cycle: ReportingCycle, deadline: dt.datetime, time_zone: str
) -> ReportingCycle:
    _require_cycle_manager(actor)
    _check_zone(time_zone)
    cycle.deadline = deadline
    cycle.time_zone = time_zone
    cycle.save(update_fields=["deadline", "time_zone", "updated_at"])
    return cycle


def extension_grant(
    *,
    actor: User,
    cycle: ReportingCycle,
    member_state: MemberState,
    deadline: dt.datetime,
    reason: str = "",
) -> CycleExtension:
    """Give one state a later deadline than the cycle's."""
    _require_cycle_manager(actor)
    if deadline <= cycle.deadline:
        raise ValidationError(
            {"deadline": _("An extension must end after the cycle's own deadline.")}
        )
    extension, _created = CycleExtension.objects.update_or_create(
        cycle=cycle,
        member_state=member_state,
        defaults={"deadline": deadline, "reason": reason, "granted_by": actor},
    )
    return extension


def extension_revoke(*, actor: User, extension: CycleExtension) -> None:
    _require_cycle_manager(actor)
    extension.delete()


# --- Helpers ----------------------------------------------------------------------


TEXT_FIELDS = (
    "status",
    "summary",
    "narrative",
    "narrative_language",
    "narrative_visibility",
    "challenges",
    "on_behalf_reference",
)


def content_of(update: ProgressUpdate) -> UpdateContent:
    """What an update says, in the terms every writer (form, API, spreadsheet) uses."""
    return UpdateContent(
        **{name: getattr(update, name) for name in TEXT_FIELDS},
        measures=[
            MeasureData(kind=m.kind, title=m.title, date=m.date, link=m.link)
            for m in update.measures.all()
        ],
        assistance_needs=[
            NeedData(kind=n.kind, description=n.description)
            for n in update.assistance_needs.all()
        ],
    )


def content_from_snapshot(snapshot: dict[str, Any]) -> UpdateContent:
    """What an update said at a version of its history (see ``snapshot``)."""
    return UpdateContent(
        **{name: snapshot.get(name, "") for name in TEXT_FIELDS},
        measures=[
            MeasureData(
                kind=m["kind"],
                title=m["title"],
                date=dt.date.fromisoformat(m["date"]) if m.get("date") else None,
                link=m.get("link", ""),
            )
            for m in snapshot.get("measures", [])
        ],
        assistance_needs=[
            NeedData(kind=n["kind"], description=n.get("description", ""))
            for n in snapshot.get("assistance_needs", [])
        ],
    )


def snapshot(update: ProgressUpdate) -> dict[str, Any]:
    """The content of an update as plain data, kept with each version of its history."""
    data = asdict(content_of(update))
    for measure in data["measures"]:
        measure["date"] = measure["date"].isoformat() if measure["date"] else ""
    data["evidence"] = [e.original_name for e in update.evidence.all()]
    return data


SNAPSHOT_LABELS = {
    "status": gettext_lazy("Status"),
    "summary": gettext_lazy("Public summary"),
    "narrative": gettext_lazy("Narrative"),
    "narrative_language": gettext_lazy("Language of the narrative"),
    "narrative_visibility": gettext_lazy("Who may read the narrative"),
    "challenges": gettext_lazy("Challenges"),
    "on_behalf_reference": gettext_lazy("Reference of the state's communication"),
    "measures": gettext_lazy("Measures"),
    "assistance_needs": gettext_lazy("Technical-assistance needs"),
    "evidence": gettext_lazy("Evidence files"),
}


def diff_snapshots(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    changes = []
    for key, label in SNAPSHOT_LABELS.items():
        old, new = before.get(key), after.get(key)
        if old != new:
            changes.append(Change(str(label), _describe(old), _describe(new)))
    return changes


def _describe(value: object) -> str:
    if isinstance(value, list):
        return (
            "; ".join(
                " · ".join(str(part) for part in item.values() if part)
                if isinstance(item, dict)
                else str(item)
                for item in value
            )
            or "—"
        )
    return str(value) if value not in (None, "") else "—"


def _apply(update: ProgressUpdate, content: UpdateContent) -> None:
    for name in (
        "status",
        "summary",
        "narrative",
        "narrative_language",
        "narrative_visibility",
        "challenges",
        "on_behalf_reference",
    ):
        setattr(update, name, getattr(content, name))
    update.full_clean(exclude=["cycle", "member_state", "recommendation", "author"])
    for measure in content.measures:
        Measure(update=update, **asdict(measure)).full_clean(exclude=["update"])
    for need in content.assistance_needs:
        AssistanceNeed(update=update, **asdict(need)).full_clean(exclude=["update"])


def _replace_lists(update: ProgressUpdate, content: UpdateContent) -> None:
    # One save per row, not bulk_create: the audit trail hears of each one (see
    # accounts.audit). A list saved unchanged is left alone, so it logs nothing.
    for model, related, items in (
        (Measure, update.measures, content.measures),
        (AssistanceNeed, update.assistance_needs, content.assistance_needs),
    ):
        wanted = [asdict(item) for item in items]
        fields = list(wanted[0]) if wanted else []
        existing = list(related.order_by("pk"))
        if (
            fields
            and [{name: getattr(row, name) for name in fields} for row in existing]
            == wanted
        ):
            continue
        related.all().delete()
        for values in wanted:
            model.objects.create(update=update, **values)


def _open_update(
    cycle: ReportingCycle,
    member_state: MemberState | None,
    recommendation: Recommendation,
) -> ProgressUpdate | None:
    return (
        ProgressUpdate.objects.open()
        .select_for_update()
        .filter(cycle=cycle, member_state=member_state, recommendation=recommendation)
        .first()
    )


def _locked(update: ProgressUpdate) -> ProgressUpdate:
    """The update's row, locked; refused if someone deleted it since it was read."""
    locked = (
        ProgressUpdate.objects.select_for_update(of=("self",))
        .select_related("cycle", "member_state", "recommendation")
        .filter(pk=update.pk)
        .first()
    )
    if locked is None:
        raise WorkflowError(
            _("This draft was deleted after you opened it, so nothing was saved.")
        )
    return locked


def _lock_for_change(
    update: ProgressUpdate, actor: User, expected_version: int | None
) -> ProgressUpdate:
    """The update, locked, if ``actor`` may change it and nobody has meanwhile."""
    if not permissions.can_report_on(actor, update.member_state):
        raise PermissionDenied
    locked = _locked(update)
    _require_open(locked.cycle)
    if expected_version is not None and locked.version != expected_version:
        raise _stale(locked, expected_version)
    return locked


def _lock_for_review(update: ProgressUpdate, actor: User) -> ProgressUpdate:
    if not permissions.can_review(actor):
        raise PermissionDenied
    locked = _locked(update)
    _require_open(locked.cycle)
    if not locked.is_reviewable:
        raise WorkflowError(
            _("Only a submitted update can be reviewed; this one is %(state)s.")
            % {"state": locked.get_review_state_display().lower()}
        )
    if locked.took_part(actor):
        raise WorkflowError(
            _("You wrote or changed this update, so someone else must review it.")
        )
    return locked


def _stale(current: ProgressUpdate, expected_version: int) -> StaleUpdateError:
    base = current.events.filter(version=expected_version).exclude(snapshot={}).last()
    last = current.events.select_related("actor").last()
    changes = diff_snapshots(base.snapshot if base else {}, snapshot(current))
    by = last.actor.get_full_name() or last.actor.username if last else ""
    return StaleUpdateError(
        _(
            "%(name)s saved this update after you opened it, so your changes were not "
            "saved. Here is what changed; reopen the update, "
            "then make your changes again."
        )
        % {"name": by},
        changes,
        by,
    )


def _move(
    update: ProgressUpdate,
    actor: User,
    action: str,
    to_state: str,
    comment: str = "",
    checklist: dict[str, bool] | None = None,
) -> None:
    from_state = update.review_state
    update.review_state = to_state
    update.version += 1
    update.save()
    _record(
        update,
        actor,
        action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        checklist=checklist or {},
    )


def _touch(update: ProgressUpdate) -> None:
    update.version += 1
    update.save(update_fields=["version", "updated_at"])


def _record(
    update: ProgressUpdate,
    actor: User,
    action: str,
    *,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    checklist: dict[str, bool] | None = None,
) -> None:
    UpdateEvent.objects.create(
        update=update,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        checklist=checklist or {},
        version=update.version,
        snapshot=snapshot(update),
        notify=notifications.wanted(),
    )


def _require_open(cycle: ReportingCycle) -> None:
    if not cycle.is_open:
        raise WorkflowError(closed_refusal(cycle))


def closed_refusal(cycle: ReportingCycle) -> str:
    return _("The cycle “%(name)s” is closed: its updates can no longer change.") % {
        "name": cycle.name
    }


def _require_cycle_manager(actor: User) -> None:
    if not permissions.can_manage_cycles(actor):
        raise PermissionDenied


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            {"time_zone": _("“%(zone)s” is not a known time zone.") % {"zone": name}}
        ) from None


def edit_refusal(update: ProgressUpdate) -> str:
    if update.review_state == ReviewState.ACCEPTED:
        return _("An accepted update cannot change. File a new update to supersede it.")
    return _(
        "A submitted update cannot change. Withdraw it first, or wait for the review."
    )


def delete_refusal(update: ProgressUpdate) -> str:
    if not update.cycle.is_open:
        return closed_refusal(update.cycle)
    return _("Only a draft that was never submitted can be deleted.")


def _safe_name(name: str) -> str:
    """The uploader's file name, kept for display and download only."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return cleaned.strip()[:200] or "evidence"

"""May this user do this? The only module of recommendations that asks guardian.

The Secretariat holds these permissions for every state through its groups; a focal
point holds them as object permissions on its own state. Every view, endpoint, download
and queryset that touches a state's private data goes through these functions, and
every decision about what a person may do asks a permission, never a role.

What a person may do with an update is answered once, by ``allowed_actions`` (or
``Rights.actions`` for a list): pages and the API show it, and the services enforce
the same rules, on the same predicates (the rights below and the update's own,
``ProgressUpdate.is_editable`` and its neighbours).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from accounts.models import AnyUser, User
from recommendations.models import (
    Evidence,
    MemberState,
    MemberStateGroupObjectPermission,
    MemberStateUserObjectPermission,
    ProgressUpdate,
    ProgressUpdateQuerySet,
    ReportingCycle,
    ReviewState,
)

REPORT = "recommendations.report_for_memberstate"
VIEW_PRIVATE = "recommendations.view_private_memberstate"


def _holds(user: AnyUser, perm: str, state: MemberState) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.has_perm(perm):  # the Secretariat, through its groups (cached per user)
        return True
    # One checker per user and request: each state's permissions are read once.
    checker: ObjectPermissionChecker = user.__dict__.setdefault(
        "_state_checker", ObjectPermissionChecker(user)
    )
    return checker.has_perm(perm, state)


def can_report_for(user: AnyUser, state: MemberState) -> bool:
    """Create, edit, submit and withdraw the state's updates."""
    return _holds(user, REPORT, state)


def can_view_private(user: AnyUser, state: MemberState) -> bool:
    """Read the state's drafts, confidential narratives and evidence."""
    return _holds(user, VIEW_PRIVATE, state)


def states_for(user: AnyUser, perm: str = REPORT) -> QuerySet[MemberState]:
    """The states on which the user holds ``perm``, as a queryset."""
    if not user.is_authenticated or not user.is_active:
        return MemberState.objects.none()
    return get_objects_for_user(user, perm, klass=MemberState.objects.all())


def own_states(user: AnyUser) -> QuerySet[MemberState]:
    """The states the user reports for as their own (a focal point's), leaving out
    the Secretariat's rights over every state."""
    if not user.is_authenticated or not user.is_active:
        return MemberState.objects.none()
    held = _state_permissions(user, [VIEW_PRIVATE])
    return MemberState.objects.filter(pk__in=held.get(VIEW_PRIVATE, ()))


def get_state_for(user: AnyUser, iso3: str, perm: str = VIEW_PRIVATE) -> MemberState:
    """The door to a state's private side: the state, or 404/403."""
    try:
        state = MemberState.objects.get(iso3=iso3.upper())
    except MemberState.DoesNotExist:
        raise Http404 from None
    if not _holds(user, perm, state):
        raise PermissionDenied
    return state


REVIEW = "recommendations.review_progressupdate"
REPORT_FOR_SECRETARIAT = "recommendations.report_for_secretariat"
MANAGE_CYCLES = "recommendations.manage_reportingcycle"


def _active(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_active


def can_report_on(user: AnyUser, member_state: MemberState | None) -> bool:
    """File and change updates for a state, or (None) on the Secretariat's own items."""
    if member_state is None:
        return _active(user) and user.has_perm(REPORT_FOR_SECRETARIAT)
    return can_report_for(user, member_state)


def can_read_update(user: AnyUser, update: ProgressUpdate) -> bool:
    """Read an update whatever its review state: drafts, confidential text, evidence."""
    if update.member_state is None:
        return _active(user) and user.has_perm(VIEW_PRIVATE)
    return can_view_private(user, update.member_state)


def can_review(user: AnyUser) -> bool:
    return _active(user) and user.has_perm(REVIEW)


def can_manage_cycles(user: AnyUser) -> bool:
    return _active(user) and user.has_perm(MANAGE_CYCLES)


def can_follow_up(user: AnyUser) -> bool:
    """Remind states from the coverage page, read their focal points' contacts and
    export the list: the Secretariat's admins, who follow coverage (their start page)
    and manage the focal points' accounts."""
    return can_manage_cycles(user)


def can_manage_translations(user: AnyUser) -> bool:
    """Who may edit the catalogue may translate it: the Secretariat's admins."""
    return _active(user) and user.has_perm("recommendations.change_recommendation")


def updates_readable_by(user: AnyUser) -> QuerySet[ProgressUpdate]:
    """Every update the user may read in full, as a queryset to filter further."""
    if not _active(user):
        return ProgressUpdate.objects.none()
    if user.has_perm(VIEW_PRIVATE):
        return ProgressUpdate.objects.all()
    return ProgressUpdate.objects.filter(
        member_state__in=states_for(user, VIEW_PRIVATE)
    )


def get_update_for(
    user: AnyUser, pk: int, *, to_change: bool = False
) -> ProgressUpdate:
    """The door to an update: 404 if the user may not read it, 403 if not change it."""
    update = (
        updates_readable_by(user)
        .select_related("cycle", "member_state", "recommendation__theme", "author")
        .filter(pk=pk)
        .first()
    )
    if update is None:
        raise Http404
    if to_change and not can_report_on(user, update.member_state):
        raise PermissionDenied
    return update


def get_evidence_for(user: AnyUser, pk: int) -> Evidence:
    """The door to an evidence file: only those who may read its update."""
    evidence = (
        Evidence.objects.filter(update__in=updates_readable_by(user))
        .select_related("update__member_state")
        .filter(pk=pk)
        .first()
    )
    if evidence is None:
        raise Http404
    return evidence


SECRETARIAT_SCOPE = "secretariat"


def get_scope_for(user: AnyUser, scope: str) -> MemberState | None:
    """The door to a workspace: a state (by ISO3) or the Secretariat's own (None)."""
    if scope == SECRETARIAT_SCOPE:
        if not can_report_on(user, None):
            raise PermissionDenied
        return None
    return get_state_for(user, scope, VIEW_PRIVATE)


def updates_visible_to(user: AnyUser) -> QuerySet[ProgressUpdate]:
    """What the user may see of updates: those it may read in full, and every accepted
    (published) one, of which only the public parts (see ``full_reader``)."""
    published = Q(review_state=ReviewState.ACCEPTED)
    if _active(user) and user.has_perm(VIEW_PRIVATE):
        return ProgressUpdate.objects.all()
    states = states_for(user, VIEW_PRIVATE)
    return ProgressUpdate.objects.filter(published | Q(member_state__in=states))


def full_reader(user: AnyUser) -> Callable[[ProgressUpdate], bool]:
    """``can_read_update`` for a whole list: the user's states are fetched once."""
    return rights_of(user).may_read


def get_visible_update_for(user: AnyUser, pk: int) -> ProgressUpdate:
    """The door to an update that may be published: 404 if the user may not see it."""
    update = updates_visible_to(user).filter(pk=pk).first()
    if update is None:
        raise Http404
    return update


# --- Who acts, and how it is recorded ------------------------------------------------


def acts_on_behalf(user: AnyUser, member_state: MemberState | None) -> bool:
    """Whether an update ``user`` files for ``member_state`` is entered on the state's
    behalf: by someone who reports for every state (the Secretariat), not as one of
    the state's own focal points. The update records it; its form asks the reference
    of the state's communication."""
    return member_state is not None and _active(user) and user.has_perm(REPORT)


def reads_every_state(user: AnyUser) -> bool:
    """Reads every state's private side (the Secretariat): its workspace lists them."""
    return _active(user) and user.has_perm(VIEW_PRIVATE)


def may_file(
    user: AnyUser, cycle: ReportingCycle, member_state: MemberState | None
) -> bool:
    """Start an update for a state (or the Secretariat's own) in ``cycle``: what
    ``services.progress_update_create`` checks of the person and the cycle."""
    return can_report_on(user, member_state) and cycle.is_open


# --- What a person may do with an update -------------------------------------------


@dataclass(frozen=True)
class Actions:
    """What a person may do with an update now. Each step is true exactly when its
    service would accept it from this person; what the service then checks of the
    content (a summary to submit, the checklist to accept, a comment to return, a
    version that is not stale) is the form's business."""

    read_in_full: bool = False  # drafts, a confidential narrative, evidence
    edit: bool = False  # and attach or remove evidence
    submit: bool = False
    withdraw: bool = False
    delete: bool = False
    review: bool = False  # accept or return

    @property
    def any_change(self) -> bool:
        return self.edit or self.submit or self.withdraw or self.delete


NO_ACTIONS = Actions()


def allowed_actions(
    user: AnyUser, update: ProgressUpdate, *, now: datetime | None = None
) -> Actions:
    """What ``user`` may do with ``update``: the update's page and the API show this,
    and the services refuse anything else."""
    if not _active(user):
        return NO_ACTIONS
    return _decide(
        user,
        update,
        may_read=can_read_update(user, update),
        may_change=can_report_on(user, update.member_state),
        may_review=can_review(user),
        now=now,
    )


def _decide(
    user: AnyUser,
    update: ProgressUpdate,
    *,
    may_read: bool,
    may_change: bool,
    may_review: bool,
    now: datetime | None,
) -> Actions:
    # Each clause is what the step's service checks, in the same terms: the right
    # (else PermissionDenied), the open cycle (``_require_open``), then the update's
    # own rules (``recommendations.models.ProgressUpdate``). The rules that may read
    # the database (the deadline, who took part) come last, and only when needed.
    change = may_change and update.cycle.is_open
    review = may_review and update.cycle.is_open and update.is_reviewable
    return Actions(
        read_in_full=may_read,
        edit=change and update.is_editable,
        submit=change
        and update.is_submittable
        and not update.is_late(now or timezone.now()),
        withdraw=change and update.is_withdrawable,
        delete=change and update.is_deletable,
        review=review and not update.took_part(user),
    )


@dataclass(frozen=True)
class Rights:
    """A user's rights, read once for a whole list (``rights_of``): the answers of
    ``can_report_on``, ``can_read_update`` and ``can_review``, without a query a row."""

    user: AnyUser
    review: bool = False
    report_for_secretariat: bool = False
    report_everywhere: bool = False
    read_everywhere: bool = False
    report_states: frozenset[int] = frozenset()
    read_states: frozenset[int] = frozenset()

    def may_report_on(self, member_state_id: int | None) -> bool:
        if member_state_id is None:
            return self.report_for_secretariat
        return self.report_everywhere or member_state_id in self.report_states

    def may_read(self, update: ProgressUpdate) -> bool:
        if update.member_state_id is None:
            return self.read_everywhere
        return self.read_everywhere or update.member_state_id in self.read_states

    def actions(
        self, update: ProgressUpdate, *, now: datetime | None = None
    ) -> Actions:
        """``allowed_actions`` for a row of a list prepared by ``for_actions``."""
        return _decide(
            self.user,
            update,
            may_read=self.may_read(update),
            may_change=self.may_report_on(update.member_state_id),
            may_review=self.review,
            now=now,
        )


def rights_of(user: AnyUser) -> Rights:
    if not _active(user):
        return Rights(user)
    report_everywhere = user.has_perm(REPORT)
    read_everywhere = user.has_perm(VIEW_PRIVATE)
    held: dict[str, set[int]] = {}
    if not (report_everywhere and read_everywhere):
        held = _state_permissions(user, [REPORT, VIEW_PRIVATE])
    return Rights(
        user,
        review=user.has_perm(REVIEW),
        report_for_secretariat=user.has_perm(REPORT_FOR_SECRETARIAT),
        report_everywhere=report_everywhere,
        read_everywhere=read_everywhere,
        report_states=frozenset(held.get(REPORT, ())),
        read_states=frozenset(held.get(VIEW_PRIVATE, ())),
    )


def _state_permissions(user: AnyUser, perms: list[str]) -> dict[str, set[int]]:
    """The states on which the user holds each of ``perms`` as an object permission,
    its own or its groups' (as guardian's checker answers state by state), in one
    query."""
    wanted = {
        "permission__content_type__app_label": "recommendations",
        "permission__codename__in": [perm.split(".")[1] for perm in perms],
    }
    columns = ("content_object_id", "permission__codename")
    own = MemberStateUserObjectPermission.objects.filter(user=user.pk, **wanted)
    groups = MemberStateGroupObjectPermission.objects.filter(
        group__user=user.pk, **wanted
    )
    held: dict[str, set[int]] = {}
    for state_id, codename in own.values_list(*columns).union(
        groups.values_list(*columns)
    ):
        held.setdefault(f"recommendations.{codename}", set()).add(state_id)
    return held


def for_actions(
    updates: ProgressUpdateQuerySet, user: AnyUser
) -> ProgressUpdateQuerySet:
    """``updates`` with what ``Rights.actions`` reads of each row besides its cycle
    (select it too), in the list's own query: the deadline, and who took part."""
    updates = updates.with_deadline()
    if can_review(user):
        updates = updates.with_participation(user)
    return updates


# --- Who holds a right: the recipients of notifications -----------------------------


def reviewers() -> QuerySet[User]:
    """Active users who may review updates: the Secretariat's reviewers and admins,
    through their groups. Superusers hold every right without being granted it, and
    are not the Secretariat: they are left out."""
    return (
        get_user_model()
        .objects.with_perm(
            REVIEW,
            is_active=True,
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .distinct()
        .order_by("pk")
    )


def focal_points_of(states: Iterable[MemberState]) -> dict[int, list[User]]:
    """Active users who hold the right to report for each state as their own: its
    focal points (the Secretariat holds it for every state, not per state)."""
    rows = (
        MemberStateUserObjectPermission.objects.filter(
            content_object__in=states,
            permission__codename=REPORT.split(".")[1],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user_id")
    )
    result: dict[int, list[User]] = {}
    for row in rows:
        result.setdefault(row.content_object_id, []).append(row.user)
    return result


# --- Good practices for the report (recommendations.good_practices) ---------------


def can_mark_good_practice(user: AnyUser) -> bool:
    """Mark an accepted, public update as a good practice for the hemispheric report,
    choose its excerpt, and unmark it: the Secretariat's reviewers and admins."""
    return can_review(user)

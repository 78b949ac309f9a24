"""May this user do this to this member state? The only module that asks guardian.

The Secretariat holds these permissions for every state through its groups; a focal
point holds them as object permissions on its own state. Every view, endpoint, download
and queryset that touches a state's private data goes through these functions.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import get_objects_for_user

from recommendations.models import Evidence, MemberState, ProgressUpdate, ReviewState

REPORT = "recommendations.report_for_memberstate"
VIEW_PRIVATE = "recommendations.view_private_memberstate"


def _holds(user, perm: str, state: MemberState) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.has_perm(perm):  # the Secretariat, through its groups (cached per user)
        return True
    # One checker per user and request: each state's permissions are read once.
    checker = user.__dict__.setdefault("_state_checker", ObjectPermissionChecker(user))
    return checker.has_perm(perm, state)


def can_report_for(user, state: MemberState) -> bool:
    """Create, edit, submit and withdraw the state's updates."""
    return _holds(user, REPORT, state)


def can_view_private(user, state: MemberState) -> bool:
    """Read the state's drafts, confidential narratives and evidence."""
    return _holds(user, VIEW_PRIVATE, state)


def states_for(user, perm: str = REPORT) -> QuerySet[MemberState]:
    """The states on which the user holds ``perm``, as a queryset."""
    if not user.is_authenticated or not user.is_active:
        return MemberState.objects.none()
    return get_objects_for_user(user, perm, klass=MemberState.objects.all())


def get_state_for(user, iso3: str, perm: str = VIEW_PRIVATE) -> MemberState:
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


def _active(user) -> bool:
    return user.is_authenticated and user.is_active


def can_report_on(user, member_state: MemberState | None) -> bool:
    """File and change updates for a state, or (None) on the Secretariat's own items."""
    if member_state is None:
        return _active(user) and user.has_perm(REPORT_FOR_SECRETARIAT)
    return can_report_for(user, member_state)


def can_read_update(user, update: ProgressUpdate) -> bool:
    """Read an update whatever its review state: drafts, confidential text, evidence."""
    if update.member_state_id is None:
        return _active(user) and user.has_perm(VIEW_PRIVATE)
    return can_view_private(user, update.member_state)


def can_review(user) -> bool:
    return _active(user) and user.has_perm(REVIEW)


def can_manage_cycles(user) -> bool:
    return _active(user) and user.has_perm(MANAGE_CYCLES)


def updates_readable_by(user) -> QuerySet[ProgressUpdate]:
    """Every update the user may read in full, as a queryset to filter further."""
    if not _active(user):
        return ProgressUpdate.objects.none()
    if user.has_perm(VIEW_PRIVATE):
        return ProgressUpdate.objects.all()
    return ProgressUpdate.objects.filter(
        member_state__in=states_for(user, VIEW_PRIVATE)
    )


def get_update_for(user, pk: int, *, to_change: bool = False) -> ProgressUpdate:
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


def get_evidence_for(user, pk: int) -> Evidence:
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


def get_scope_for(user, scope: str) -> MemberState | None:
    """The door to a workspace: a state (by ISO3) or the Secretariat's own (None)."""
    if scope == SECRETARIAT_SCOPE:
        if not can_report_on(user, None):
            raise PermissionDenied
        return None
    return get_state_for(user, scope, VIEW_PRIVATE)


def updates_visible_to(user) -> QuerySet[ProgressUpdate]:
    """What the user may see of updates: those it may read in full, and every accepted
    (published) one, of which only the public parts (see ``full_reader``)."""
    published = Q(review_state=ReviewState.ACCEPTED)
    if _active(user) and user.has_perm(VIEW_PRIVATE):
        return ProgressUpdate.objects.all()
    states = states_for(user, VIEW_PRIVATE)
    return ProgressUpdate.objects.filter(published | Q(member_state__in=states))


def full_reader(user) -> Callable[[ProgressUpdate], bool]:
    """``can_read_update`` for a whole list: the user's states are fetched once."""
    if not _active(user):
        return lambda update: False
    if user.has_perm(VIEW_PRIVATE):
        return lambda update: True
    state_ids = set(states_for(user, VIEW_PRIVATE).values_list("pk", flat=True))
    return lambda update: update.member_state_id in state_ids


def get_visible_update_for(user, pk: int) -> ProgressUpdate:
    """The door to an update that may be published: 404 if the user may not see it."""
    update = updates_visible_to(user).filter(pk=pk).first()
    if update is None:
        raise Http404
    return update

"""May this user do this to this member state? The only module that asks guardian.

The Secretariat holds these permissions for every state through its groups; a focal
point holds them as object permissions on its own state. Every view, endpoint, download
and queryset that touches a state's private data goes through these functions.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from guardian.shortcuts import get_objects_for_user

from recommendations.models import MemberState

REPORT = "recommendations.report_for_memberstate"
VIEW_PRIVATE = "recommendations.view_private_memberstate"


def _holds(user, perm: str, state: MemberState) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm(perm) or user.has_perm(perm, state)


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

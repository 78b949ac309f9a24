"""Who may generate, download, publish reports and write their texts: the doors.

The hemispheric report is the Secretariat's (model permissions through its groups); a
state's own report belongs to whoever may read the state's private side: its focal
points (object permission on the state) and the Secretariat. Every view, endpoint and
download of a run goes through ``get_run_for``.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import AnyUser
from recommendations import permissions as state_permissions
from recommendations.models import MemberState, ReportingCycle
from reporting.models import ReportRun

GENERATE_HEMISPHERIC = "reporting.generate_hemispheric_reportrun"
PUBLISH = "reporting.publish_reportrun"
WRITE_TEXTS = "reporting.add_reporttext"


def _active(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_active


def can_generate_hemispheric(user: AnyUser) -> bool:
    """Generate and download the hemispheric report."""
    return _active(user) and user.has_perm(GENERATE_HEMISPHERIC)


def can_write_texts(user: AnyUser) -> bool:
    """Write the report's introduction and conclusions."""
    return _active(user) and user.has_perm(WRITE_TEXTS)


def can_publish(user: AnyUser) -> bool:
    return _active(user) and user.has_perm(PUBLISH)


def can_generate_for(user: AnyUser, member_state: MemberState | None) -> bool:
    """Generate (and download) the report of a state, or (None) the hemispheric one."""
    if member_state is None:
        return can_generate_hemispheric(user)
    return state_permissions.can_view_private(user, member_state)


def runs_visible_to(user: AnyUser) -> QuerySet[ReportRun]:
    """Every run the user may follow and download, as a queryset to filter further."""
    if not _active(user):
        return ReportRun.objects.none()
    states = state_permissions.states_for(user, state_permissions.VIEW_PRIVATE)
    visible = Q(member_state__in=states)
    if can_generate_hemispheric(user):
        visible |= Q(member_state__isnull=True)
    return ReportRun.objects.filter(visible)


def get_run_for(user: AnyUser, pk: int) -> ReportRun:
    """The door to a run: 404 unless the user may follow it."""
    run = (
        runs_visible_to(user)
        .select_related("cycle", "member_state", "requested_by", "published_by")
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise Http404
    return run


def public_profiles(
    *, member_state: MemberState, cycle: ReportingCycle
) -> list[ReportRun]:
    """A state's profiles the public may download for a cycle: the latest per
    language among those that go with a published hemispheric report."""
    runs = (
        ReportRun.objects.public_profiles()
        .filter(member_state=member_state, cycle=cycle)
        .select_related("cycle", "member_state")
        .order_by("-profile_of__published_at", "-pk")
    )
    latest: dict[str, ReportRun] = {}
    for run in runs:
        latest.setdefault(run.language, run)
    return sorted(latest.values(), key=lambda run: run.language)


def get_public_profile(pk: int) -> ReportRun:
    """The public door to a state's profile: only while its report is published."""
    run = (
        ReportRun.objects.public_profiles()
        .select_related("cycle", "member_state")
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise Http404
    return run


def get_published_run(pk: int) -> ReportRun:
    """The public door: a published report, whoever asks."""
    run = (
        ReportRun.objects.published()
        .select_related("cycle")
        .filter(pk=pk)
        .exclude(pdf="")
        .first()
    )
    if run is None:
        raise Http404
    return run

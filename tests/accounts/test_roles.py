"""A focal point holds rights on its own state only; the Secretariat on all of them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from guardian.shortcuts import get_perms

from accounts.roles import is_focal_point, is_secretariat, is_secretariat_admin
from accounts.services import focal_point_unassign
from recommendations import permissions
from recommendations.models import MemberState

pytestmark = pytest.mark.django_db


def test_focal_point_holds_object_permissions_on_its_state_only(
    focal_mex, mexico, brazil
):
    assert set(get_perms(focal_mex, mexico)) == {
        "report_for_memberstate",
        "view_private_memberstate",
    }
    assert get_perms(focal_mex, brazil) == []
    assert permissions.can_report_for(focal_mex, mexico)
    assert permissions.can_view_private(focal_mex, mexico)
    assert not permissions.can_report_for(focal_mex, brazil)
    assert not permissions.can_view_private(focal_mex, brazil)
    assert list(permissions.states_for(focal_mex)) == [mexico]
    # No model-wide permission leaks through the groups.
    assert not focal_mex.has_perm("recommendations.report_for_memberstate")


def test_each_focal_point_sees_only_its_own_state(focal_mex, focal_bra, mexico, brazil):
    assert list(permissions.states_for(focal_bra)) == [brazil]
    assert not permissions.can_view_private(focal_bra, mexico)


def test_secretariat_may_act_for_every_state(reviewer, secretariat_admin, mexico):
    for user in (reviewer, secretariat_admin):
        assert permissions.can_report_for(user, mexico)
        assert permissions.can_view_private(user, mexico)
        assert permissions.states_for(user).count() == MemberState.objects.count() == 35


def test_the_public_may_do_nothing_private(mexico):
    public = AnonymousUser()
    assert not permissions.can_report_for(public, mexico)
    assert not permissions.can_view_private(public, mexico)
    assert not permissions.states_for(public).exists()


def test_a_deactivated_focal_point_loses_its_rights(focal_mex, mexico):
    focal_mex.is_active = False
    focal_mex.save()
    assert not permissions.can_report_for(focal_mex, mexico)
    assert not permissions.states_for(focal_mex).exists()


def test_unassigning_removes_rights_and_role(focal_mex, mexico):
    focal_point_unassign(user=focal_mex, member_state=mexico)
    focal_mex.refresh_from_db()
    assert not permissions.can_report_for(focal_mex, mexico)
    assert not is_focal_point(focal_mex)


def test_door_to_a_state(focal_mex, mexico):
    assert permissions.get_state_for(focal_mex, "mex") == mexico
    with pytest.raises(PermissionDenied):
        permissions.get_state_for(focal_mex, "BRA")
    with pytest.raises(Http404):
        permissions.get_state_for(focal_mex, "XXX")


def test_roles(focal_mex, reviewer, secretariat_admin):
    assert is_focal_point(focal_mex) and not is_secretariat(focal_mex)
    assert is_secretariat(reviewer) and not is_secretariat_admin(reviewer)
    assert is_secretariat(secretariat_admin) and is_secretariat_admin(secretariat_admin)
    assert (
        secretariat_admin.is_staff and not reviewer.is_staff and not focal_mex.is_staff
    )

"""May this person manage accounts? And the state rights a focal point holds: the one
module of accounts that asks or changes django-guardian.

A focal point's rights are object permissions on its member state. Accounts grant and
revoke them without knowing the states' model: it is the one an invitation names.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.db.models import Model
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm
from guardian.utils import get_user_obj_perms_model

from accounts.models import AnyUser, Invitation, User
from accounts.roles import FOCAL_POINT_STATE_PERMISSIONS

MANAGE_USERS = "portal.manage_users"
CHANGE_SECURITY_POLICY = "portal.change_securitypolicy"
REPORT_FOR_STATE = FOCAL_POINT_STATE_PERMISSIONS[0]


def _active(user: AnyUser) -> bool:
    return user.is_authenticated and user.is_active


def can_manage_users(user: AnyUser) -> bool:
    """Invite people, change and end their roles, reset their two-factor sign-in."""
    return _active(user) and user.has_perm(MANAGE_USERS)


def can_change_security_policy(user: AnyUser) -> bool:
    return _active(user) and user.has_perm(CHANGE_SECURITY_POLICY)


def _state_model() -> type[Model]:
    return cast(type[Model], Invitation._meta.get_field("member_state").related_model)


def state_rights_grant(*, user: User, member_state: Any) -> None:
    for perm in FOCAL_POINT_STATE_PERMISSIONS:
        assign_perm(perm, user, member_state)


def state_rights_revoke(*, user: User, member_state: Any) -> None:
    for perm in FOCAL_POINT_STATE_PERMISSIONS:
        remove_perm(perm, user, member_state)


def reports_for_some_state(user: User) -> bool:
    return get_objects_for_user(user, REPORT_FOR_STATE, klass=_state_model()).exists()


def states_reported_for(users: Iterable[User]) -> dict[int, list[Model]]:
    """The states each user reports for, by user id, in one query."""
    # The states' permission model, which accounts may not name (the layers contract).
    perms_model: Any = get_user_obj_perms_model(_state_model())  # type: ignore[arg-type]  # guardian takes the model class too; its hint names only an instance
    rows = (
        perms_model.objects.filter(
            user__in=list(users), permission__codename=REPORT_FOR_STATE.split(".")[1]
        )
        .select_related("content_object")
        .order_by("pk")
    )
    states: dict[int, list[Model]] = {}
    for row in rows:
        states.setdefault(row.user_id, []).append(row.content_object)
    return states

from functools import cache

from accounts.permissions import can_manage_users
from accounts.roles import is_focal_point, is_secretariat


def roles(request) -> dict:
    """What the navigation shows: a role's pages, and links to what the person may
    do. The views check permissions themselves."""
    user = request.user
    return {
        "nav_is_focal_point": is_focal_point(user),
        "nav_is_secretariat": is_secretariat(user),
        "nav_may_manage_cycles": user.has_perm("recommendations.manage_reportingcycle"),
        "nav_may_manage_translations": user.is_active
        and user.has_perm("recommendations.change_recommendation"),
        "nav_may_manage_users": can_manage_users(user),
        "nav_may_administer": user.is_active and user.is_staff,
        "nav_unread_notifications": _unread_notifications(user),
    }


def _unread_notifications(user):
    """The number of notifications the user has not seen on their notifications page,
    counted once, and only if a template asks (templates call a callable). None for
    the public: their pages may be cached for everyone, and must not carry it."""

    @cache
    def count() -> int | None:
        if not user.is_authenticated:
            return None
        notifications = user.notifications.all()
        if user.notifications_seen_at is not None:
            notifications = notifications.filter(
                created_at__gt=user.notifications_seen_at
            )
        return notifications.count()

    return count

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
    }

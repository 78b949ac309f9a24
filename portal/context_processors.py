from portal.roles import is_focal_point, is_secretariat, is_secretariat_admin


def roles(request) -> dict:
    """What the navigation shows; the views check permissions themselves."""
    user = request.user
    return {
        "nav_is_focal_point": is_focal_point(user),
        "nav_is_secretariat": is_secretariat(user),
        "nav_is_secretariat_admin": is_secretariat_admin(user),
    }

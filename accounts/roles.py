"""The portal's roles as groups, and what each may do across all member states.

A focal point's rights are object permissions on its own member state (see
``recommendations.permissions``); the Secretariat's are model-wide, through its groups.
"""

from django.contrib.auth.models import Group, Permission

from accounts.models import Role

# Object permissions a focal point holds on its own state, and on no other.
FOCAL_POINT_STATE_PERMISSIONS = [
    "recommendations.report_for_memberstate",
    "recommendations.view_private_memberstate",
]

_REVIEWER = [
    "recommendations.report_for_memberstate",
    "recommendations.view_private_memberstate",
    "recommendations.review_progressupdate",
    "recommendations.report_for_secretariat",
    # The hemispheric report: generate it, download it, write its texts.
    "reporting.generate_hemispheric_reportrun",
    "reporting.add_reporttext",
]
_CATALOGUE_ADMIN = [
    f"recommendations.{action}_{model}"
    for model in ("instrument", "theme", "recommendation", "footnote", "memberstate")
    for action in ("view", "change")
] + [
    "recommendations.manage_reportingcycle",
    "portal.manage_users",
    "portal.view_user",
    "portal.change_user",
    "portal.view_invitation",
    "portal.change_invitation",
    "auth.view_group",
    "reporting.publish_reportrun",
]
# Security: the two-factor policy; the audit trail, to read (nobody may change it);
# sign-in lockouts, to read and lift (a lockout is an access attempt row).
_SECURITY_ADMIN = [
    "portal.view_securitypolicy",
    "portal.change_securitypolicy",
    "portal.view_securityevent",
    "auditlog.view_logentry",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.FOCAL_POINT: [],
    Role.REVIEWER: _REVIEWER,
    Role.ADMIN: _REVIEWER + _CATALOGUE_ADMIN + _SECURITY_ADMIN,
}

SECRETARIAT_ROLES = (Role.REVIEWER, Role.ADMIN)

# Stable names in the database; people read the translated Role labels instead.
GROUP_NAMES: dict[str, str] = {
    Role.FOCAL_POINT: "Focal points",
    Role.REVIEWER: "Secretariat reviewers",
    Role.ADMIN: "Secretariat admins",
}
_ROLE_BY_GROUP = {name: role for role, name in GROUP_NAMES.items()}


def ensure_role_groups() -> None:
    """Create each role's group with exactly the permissions listed above.

    Runs after every migrate, so a permission added in code reaches the groups.
    """
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=GROUP_NAMES[role])
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


def roles_of(user) -> set[str]:
    """The roles a user holds, from the groups it belongs to (cached on the user)."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if not hasattr(user, "_portal_roles"):
        user._portal_roles = {
            _ROLE_BY_GROUP[name]
            for name in user.groups.values_list("name", flat=True)
            if name in _ROLE_BY_GROUP
        }
    return user._portal_roles


def is_secretariat(user) -> bool:
    return bool(roles_of(user) & set(SECRETARIAT_ROLES))


def is_secretariat_admin(user) -> bool:
    return Role.ADMIN in roles_of(user)


def is_focal_point(user) -> bool:
    return Role.FOCAL_POINT in roles_of(user)


def role_labels(user) -> list[str]:
    """The translated names of the user's roles, from its (prefetched) groups."""
    return [
        str(Role(_ROLE_BY_GROUP[group.name]).label)
        for group in user.groups.all()
        if group.name in _ROLE_BY_GROUP
    ]

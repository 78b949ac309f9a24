"""Demo data for trying the portal: the users of DESIGN.md, safe to create again."""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from accounts.models import Role, User
from accounts.services import user_assign_role
from recommendations.models import MemberState


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    state: str | None
    first_name: str
    last_name: str


DEMO_USERS = [
    DemoUser("secretariat", Role.ADMIN, None, "Sofía", "Secretariat"),
    DemoUser("reviewer", Role.REVIEWER, None, "Rafael", "Reviewer"),
    DemoUser("focal-mex", Role.FOCAL_POINT, "MEX", "María", "Focal Point"),
    DemoUser("focal-bra", Role.FOCAL_POINT, "BRA", "Bruno", "Focal Point"),
]


@transaction.atomic
def seed_demo_users(password: str | None = None) -> list[User]:
    password = password or settings.DEMO_PASSWORD
    users = []
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(
            username=demo.username,
            defaults={
                "email": f"{demo.username}@example.org",
                "first_name": demo.first_name,
                "last_name": demo.last_name,
            },
        )
        user.is_active = True
        user.set_password(password)
        user.save()
        state = MemberState.objects.get(iso3=demo.state) if demo.state else None
        user_assign_role(user=user, role=demo.role, member_state=state)
        users.append(user)
    return users

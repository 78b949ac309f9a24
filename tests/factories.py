import factory

from portal.models import Role, User
from portal.services import user_assign_role
from recommendations.models import MemberState

PASSWORD = "a-long-test-password-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password(PASSWORD)


def focal_point(iso3: str, **kwargs) -> User:
    user = UserFactory(**kwargs)
    user_assign_role(
        user=user,
        role=Role.FOCAL_POINT,
        member_state=MemberState.objects.get(iso3=iso3),
    )
    return user


def secretariat(role: str = Role.REVIEWER, **kwargs) -> User:
    user = UserFactory(**kwargs)
    user_assign_role(user=user, role=role)
    return user


def content(**overrides):
    """What a focal point would write: a valid update, to vary per test."""
    from recommendations.services import MeasureData, UpdateContent

    values = {
        "status": "in_progress",
        "summary": "A national plan is under way with three ministries.",
        "narrative": "The **committee** met four times.",
        "narrative_visibility": "public",
        "measures": [MeasureData(kind="policy", title="National action plan")],
    }
    values.update(overrides)
    return UpdateContent(**values)

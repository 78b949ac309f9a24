import factory

from accounts.models import Role, User
from accounts.services import user_assign_role
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


RECOVERY_CODES = ["recovery01", "recovery02", "recovery03"]


def turn_on_two_factor(user: User, codes: list[str] | None = None):
    """Turn two-factor sign-in on for ``user``: an authenticator app and recovery
    codes (``RECOVERY_CODES`` unless given). Returns the app's device."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    for code in RECOVERY_CODES if codes is None else codes:
        recovery.token_set.create(token=code)
    return device


def totp_code(device, steps: int = 0) -> str:
    """The code the user's app shows now, or ``steps`` time steps later."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps * device.step
    return f"{totp.token():0{device.digits}d}"

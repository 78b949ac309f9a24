from datetime import UTC, datetime

import factory

from accounts.models import Role, User
from accounts.services import user_assign_role
from recommendations.models import MemberState
from recommendations.services import REVIEW_CHECKLIST

PASSWORD = "a-long-test-password-42"
ALL_CHECKED = dict.fromkeys(REVIEW_CHECKLIST, True)  # the whole review checklist


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


def totp_next_code(device) -> str:
    """A code the portal takes after one it has already taken: the step after the
    last one used, or the one shown now if that is later.

    Read from the database because the server moves its drift when a code arrives
    in the step after the one it was typed in; a code one step ahead of the clock
    is then refused."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    now = int(time.time() - device.t0) // device.step
    step = max(device.last_t + 1, now + device.drift)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = device.t0 + step * device.step + device.step / 2
    return f"{totp.token():0{device.digits}d}"


# --- Progress updates, as the portal makes them -------------------------------------


def progress_update(
    state,
    number: int,
    *,
    author: User,
    steps=("submit", "accept"),
    reviewer: User | None = None,
    cycle=None,
    comment: str = "More.",
    **fields,
):
    """An update of ``state`` (a MemberState or its ISO3 code) on recommendation
    ``number``, filed by ``author`` through the services and taken through ``steps``
    ("submit", "return", "accept"; none for a draft) by ``reviewer``, exactly as the
    portal does. ``cycle`` is the open cycle unless given; ``fields`` vary the
    content (see ``content``)."""
    from recommendations import services
    from recommendations.models import Recommendation, ReportingCycle

    if isinstance(state, str):
        state = MemberState.objects.get(iso3=state)
    if cycle is None:
        cycle = ReportingCycle.objects.get(is_open=True)
    update = services.progress_update_create(
        actor=author,
        cycle=cycle,
        member_state=state,
        recommendation=Recommendation.objects.get(
            instrument=cycle.instrument, number=number
        ),
        content=content(**fields),
    )
    for step in steps:
        if step == "submit":
            update = services.progress_update_submit(update=update, actor=author)
        elif step == "return":
            update = services.progress_update_return(
                update=update, actor=reviewer, comment=comment
            )
        elif step == "accept":
            update = services.progress_update_accept(
                update=update, actor=reviewer, checklist=ALL_CHECKED
            )
        else:
            raise ValueError(f"no such step: {step!r}")
    return update


# --- Report runs -----------------------------------------------------------------


def report_run(cycle, **fields):
    """A report run of ``cycle``, queued now unless ``fields`` say otherwise."""
    from django.utils import timezone

    from reporting.models import ReportRun

    now = timezone.now()
    values = {"language": "en", "as_of": now, "queued_at": now, "max_attempts": 3}
    values.update(fields)
    return ReportRun.objects.create(cycle=cycle, **values)


def finished_report_run(cycle, **fields):
    """A run that succeeded, with a (tiny) PDF stored."""
    from django.core.files.base import ContentFile

    from reporting.models import ReportRun

    run = report_run(
        cycle,
        state=ReportRun.State.SUCCEEDED,
        progress=100,
        stage=ReportRun.Stage.DONE,
        sha256="0" * 64,
        page_count=1,
        **fields,
    )
    run.pdf.save(f"{run.pk}.pdf", ContentFile(b"%PDF-1.4 a report"), save=True)
    return run


def running_report_run(cycle, *, attempts=1, beat_ago=0, **fields):
    """A run some worker is compiling, whose last heartbeat was ``beat_ago`` s ago."""
    from datetime import timedelta

    from django.utils import timezone

    from reporting.models import ReportRun

    beat = timezone.now() - timedelta(seconds=beat_ago)
    return report_run(
        cycle,
        state=ReportRun.State.RUNNING,
        stage=ReportRun.Stage.RENDERING,
        progress=50,
        attempts=attempts,
        started_at=beat,
        heartbeat_at=beat,
        **fields,
    )


# --- Moments of the open cycle the data migration makes ------------------------------
# It ends on 2027-03-31 at 23:59 in New York: the 14-day reminder falls due on
# 2027-03-17 at 08:00 New York time, the 3-day one on 2027-03-28.

STEP_14 = datetime(2027, 3, 21, 13, 0, tzinfo=UTC)  # four days into the 14-day step
STEP_3 = datetime(2027, 3, 29, 13, 0, tzinfo=UTC)

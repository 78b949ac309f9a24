import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.roles import is_focal_point, is_secretariat, is_secretariat_admin
from recommendations import permissions
from recommendations.models import MemberState

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_users_of_the_design(settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo", verbosity=0)  # safe to run again
    users = {user.username: user for user in User.objects.all()}
    assert set(users) == {"secretariat", "reviewer", "focal-mex", "focal-bra"}
    assert is_secretariat_admin(users["secretariat"])
    assert is_secretariat(users["reviewer"]) and not is_secretariat_admin(
        users["reviewer"]
    )
    mexico, brazil = (
        MemberState.objects.get(iso3="MEX"),
        MemberState.objects.get(iso3="BRA"),
    )
    assert is_focal_point(users["focal-mex"])
    assert permissions.can_report_for(users["focal-mex"], mexico)
    assert not permissions.can_report_for(users["focal-mex"], brazil)
    assert permissions.can_report_for(users["focal-bra"], brazil)
    assert users["reviewer"].check_password(settings.DEMO_PASSWORD)


def test_seed_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_demo")
    assert not User.objects.exists()
    call_command("seed_demo", "--force", verbosity=0)
    assert User.objects.count() == 4

"""Who hears of the workflow is chosen by permission: the Secretariat as those who may
review updates, a state's focal points as those who hold the right to report for it.
The same people as the Secretariat's groups and the states' object permissions name.
"""

import pytest

from accounts.models import Role, User
from recommendations import notifications
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(focal_mex, focal_bra, reviewer, secretariat_admin):
    """The cast, with an inactive reviewer, a second focal point of Mexico, a
    superuser outside every group and an account with no role."""
    retired = factories.secretariat(Role.REVIEWER, username="ramon")
    retired.is_active = False
    retired.save()
    return {
        "focal_mex": focal_mex,
        "focal_bra": focal_bra,
        "reviewer": reviewer,
        "secretariat_admin": secretariat_admin,
        "retired": retired,
        "second_mex": factories.focal_point("MEX", username="marta"),
        "superuser": User.objects.create_superuser("root", "root@example.org", "x"),
        "nobody": factories.UserFactory(username="nadie"),
    }


def test_the_secretariat_is_whoever_may_review(crowd):
    recipients = list(notifications.secretariat_users())

    assert recipients == [crowd["reviewer"], crowd["secretariat_admin"]]
    # The same people as the Secretariat's groups, active ones
    by_group = User.objects.filter(
        is_active=True,
        groups__name__in=["Secretariat reviewers", "Secretariat admins"],
    ).order_by("pk")
    assert recipients == list(by_group)


def test_a_state_s_focal_points_are_whoever_reports_for_it(crowd, mexico, brazil):
    crowd["second_mex"].is_active = False
    crowd["second_mex"].save()
    third = factories.focal_point("MEX", username="mateo")

    found = notifications.focal_points_by_state([mexico, brazil])

    assert found == {
        mexico.pk: [crowd["focal_mex"], third],
        brazil.pk: [crowd["focal_bra"]],
    }

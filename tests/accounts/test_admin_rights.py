"""The Django admin gives no way up: a Secretariat admin (staff, with change_user)
cannot make anyone superuser or staff, nor hand out groups or permissions, nor take
over a superuser's account; the roles' groups are not changed there; and no admin
page shows an API token."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from accounts.models import ApiToken, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMIN = "/en/admin"


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root", "root@example.org", "x-long-pw-123")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rights(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.is_superuser,
        user.is_staff,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
    )


def the_whole_form(user: User, **changes) -> dict:
    """What the admin's user form would post with every field on it, rights too."""
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "language": user.language,
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "last_login_0": "",
        "last_login_1": "",
        "is_superuser": "on",
        "is_staff": "on",
        "groups": [group.pk for group in Group.objects.all()],
        "user_permissions": [perm.pk for perm in Permission.objects.all()],
        "_save": "Save",
        **changes,
    }


@pytest.mark.parametrize("target", ["secretariat_admin", "focal_mex"])
def test_a_secretariat_admin_grants_no_rights_in_the_user_form(
    request, secretariat_admin, target
):
    account = request.getfixturevalue(target)
    before = rights(account)
    client = signed_in(secretariat_admin)
    url = f"{ADMIN}/portal/user/{account.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page

    response = client.post(url, the_whole_form(account, first_name="Changed"))

    assert response.status_code == 302  # saved: the other fields were taken
    account.refresh_from_db()
    assert account.first_name == "Changed"
    assert rights(account) == before
    assert not User.objects.filter(is_superuser=True).exists()


def test_a_secretariat_admin_cannot_take_over_a_superuser(secretariat_admin, superuser):
    client = signed_in(secretariat_admin)
    before = superuser.password

    change = client.post(
        f"{ADMIN}/portal/user/{superuser.pk}/change/",
        the_whole_form(superuser, email="alba@example.org"),
    )
    password = client.post(
        f"{ADMIN}/portal/user/{superuser.pk}/password/",
        {"password1": "taken-over-42-x", "password2": "taken-over-42-x"},
    )

    assert change.status_code == 403 and password.status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "root@example.org" and superuser.password == before
    # Read-only, as for the audit: the page still opens.
    assert client.get(f"{ADMIN}/portal/user/{superuser.pk}/change/").status_code == 200


def test_the_roles_groups_are_read_only_for_a_secretariat_admin(secretariat_admin):
    group = Group.objects.get(name="Secretariat admins")
    before = sorted(group.permissions.values_list("pk", flat=True))
    client = signed_in(secretariat_admin)
    assert client.get(f"{ADMIN}/auth/group/{group.pk}/change/").status_code == 200

    changed = client.post(
        f"{ADMIN}/auth/group/{group.pk}/change/",
        {
            "name": group.name,
            "permissions": [perm.pk for perm in Permission.objects.all()],
        },
    )
    added = client.post(
        f"{ADMIN}/auth/group/add/",
        {"name": "Everything", "permissions": [Permission.objects.first().pk]},
    )
    deleted = client.post(f"{ADMIN}/auth/group/{group.pk}/delete/", {"post": "yes"})

    assert [changed.status_code, added.status_code, deleted.status_code] == [
        403,
        403,
        403,
    ]
    assert sorted(group.permissions.values_list("pk", flat=True)) == before
    assert not Group.objects.filter(name="Everything").exists()


def test_a_superuser_manages_rights_but_makes_no_superuser(superuser, focal_mex):
    reviewers = Group.objects.get(name="Secretariat reviewers")
    client = signed_in(superuser)

    response = client.post(
        f"{ADMIN}/portal/user/{focal_mex.pk}/change/",
        the_whole_form(focal_mex, groups=[reviewers.pk], user_permissions=[]),
    )

    assert response.status_code == 302
    assert rights(focal_mex) == (False, True, ["Secretariat reviewers"], [])


def test_deactivating_in_the_admin_revokes_the_api_tokens(secretariat_admin):
    account = UserFactory()
    ApiToken.objects.create(user=account, name="a script")
    client = signed_in(secretariat_admin)

    client.post(
        f"{ADMIN}/portal/user/{account.pk}/change/",
        {**the_whole_form(account), "is_active": ""},
    )

    account.refresh_from_db()
    assert not account.is_active
    assert not ApiToken.objects.filter(user=account).exists()


def test_no_admin_page_shows_an_api_token(superuser, focal_mex):
    token, secret = ApiToken.objects.create(user=focal_mex, name="SIRENA export")
    client = signed_in(superuser)

    pages = [
        client.get(f"{ADMIN}/").content.decode(),
        client.get(f"{ADMIN}/portal/user/{focal_mex.pk}/change/").content.decode(),
        client.get(f"{ADMIN}/portal/securityevent/").content.decode(),
    ]

    for page in pages:
        assert secret not in page and token.digest not in page
        assert token.token_key not in page
    assert "/admin/portal/apitoken/" not in pages[0]
    assert "/admin/knox/" not in pages[0]
    assert client.get(f"{ADMIN}/portal/apitoken/").status_code == 404
    assert client.get(f"{ADMIN}/knox/authtoken/").status_code == 404


def test_a_secretariat_admin_sets_no_password_in_the_admin(
    secretariat_admin, focal_mex
):
    before = focal_mex.password

    answer = signed_in(secretariat_admin).post(
        f"{ADMIN}/portal/user/{focal_mex.pk}/password/",
        {"password1": "taken-over-42-x", "password2": "taken-over-42-x"},
    )

    assert answer.status_code == 403
    focal_mex.refresh_from_db()
    assert focal_mex.password == before


def test_a_secretariat_admin_grants_no_state_rights_in_the_admin(
    secretariat_admin, focal_bra, mexico
):
    client = signed_in(secretariat_admin)
    base = f"{ADMIN}/recommendations/memberstate/{mexico.pk}/permissions"

    page = client.get(f"{base}/")
    grant = client.post(
        f"{base}/user-manage/{focal_bra.pk}/",
        {"permissions": ["report_for_memberstate"]},
    )

    assert page.status_code == 302 and grant.status_code == 302  # to the index
    assert not focal_bra.has_perm("recommendations.report_for_memberstate", mexico)
    # A superuser still reaches guardian's page.
    root = User.objects.create_superuser("root", "root@example.org", "x-long-pw-123")
    assert signed_in(root).get(f"{base}/").status_code == 200

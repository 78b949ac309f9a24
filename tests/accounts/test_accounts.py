import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Invitation, Role, User
from recommendations import permissions
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-long-password-77"


def invite(client, admin, **data) -> str:
    client.force_login(admin)
    payload = {
        "email": "ana@gob.example",
        "first_name": "Ana",
        "role": Role.FOCAL_POINT,
        "member_state": "MEX",
        "language": "en",
        **data,
    }
    response = client.post("/en/accounts/users/invite/", payload)
    assert response.status_code == 302, response.content.decode()
    client.logout()
    return re.search(
        r"https?://\S+/accounts/invitation/\S+/", mail.outbox[-1].body
    ).group(0)


def test_sign_in_and_out(client, focal_mex):
    response = client.post(
        "/en/accounts/login/", {"username": "maria", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "Sign out (maria)" in client.get("/en/").content.decode()
    client.post("/en/accounts/logout/")
    assert "Sign in" in client.get("/en/").content.decode()


def test_wrong_password_is_refused_with_a_message(client, focal_mex):
    response = client.post(
        "/en/accounts/login/", {"username": "maria", "password": "nope"}
    )
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_admin_invites_a_focal_point_who_joins_bound_to_the_state(
    client, secretariat_admin, mexico, brazil
):
    link = invite(client, secretariat_admin, language="es")
    message = mail.outbox[-1]
    assert message.to == ["ana@gob.example"]
    assert "/es/accounts/invitation/" in link  # in the invitee's language
    path = link.split("localhost:8000")[1]
    assert client.get(path).status_code == 200
    response = client.post(
        path, {"username": "ana", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    ana = User.objects.get(username="ana")
    assert ana.email == "ana@gob.example" and ana.language == "es"
    assert permissions.can_report_for(ana, mexico)
    assert not permissions.can_report_for(ana, brazil)
    # The link worked once.
    client.logout()
    assert client.get(path).status_code == 404
    assert User.objects.filter(email__iexact="ana@gob.example").count() == 1


def test_an_expired_invitation_is_refused(client, secretariat_admin):
    path = invite(client, secretariat_admin).split("localhost:8000")[1]
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(
        path, {"username": "ana", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="ana").exists()


def test_weak_or_mismatched_passwords_are_refused(client, secretariat_admin):
    path = invite(client, secretariat_admin).split("localhost:8000")[1]
    response = client.post(
        path, {"username": "ana", "password1": "short", "password2": "short"}
    )
    assert "too short" in response.content.decode()
    response = client.post(
        path,
        {"username": "ana", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"},
    )
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(username="ana").exists()


def test_a_focal_point_invitation_needs_a_state(client, secretariat_admin):
    client.force_login(secretariat_admin)
    response = client.post(
        "/en/accounts/users/invite/",
        {
            "email": "x@gob.example",
            "role": Role.FOCAL_POINT,
            "member_state": "",
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert "Choose the member state" in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_an_existing_address_cannot_be_invited_again(
    client, secretariat_admin, focal_mex
):
    client.force_login(secretariat_admin)
    response = client.post(
        "/en/accounts/users/invite/",
        {"email": focal_mex.email.upper(), "role": Role.REVIEWER, "language": "en"},
    )
    assert "already exists" in response.content.decode()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["focal_mex", "reviewer"])
def test_only_the_secretariat_admin_manages_users(client, request, who, focal_bra):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/en/accounts/users/").status_code == 403
    response = client.post(
        "/en/accounts/users/invite/",
        {"email": "x@gob.example", "role": Role.ADMIN, "language": "en"},
    )
    assert response.status_code == 403
    assert (
        client.post(f"/en/accounts/users/{focal_bra.pk}/deactivate/").status_code == 403
    )
    assert not Invitation.objects.exists()
    focal_bra.refresh_from_db()
    assert focal_bra.is_active


def test_the_public_is_sent_to_sign_in(client):
    response = client.get("/en/accounts/users/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_deactivates_an_account(client, secretariat_admin, focal_bra):
    client.force_login(secretariat_admin)
    client.post(f"/en/accounts/users/{focal_bra.pk}/deactivate/")
    focal_bra.refresh_from_db()
    assert not focal_bra.is_active
    client.logout()
    response = client.post(
        "/en/accounts/login/", {"username": "bruno", "password": PASSWORD}
    )
    assert response.status_code == 200  # refused


def test_admin_cannot_deactivate_themselves(client, secretariat_admin):
    client.force_login(secretariat_admin)
    response = client.post(
        f"/en/accounts/users/{secretariat_admin.pk}/deactivate/", follow=True
    )
    assert "cannot deactivate your own account" in response.content.decode()
    secretariat_admin.refresh_from_db()
    assert secretariat_admin.is_active


def test_user_list_shows_roles_and_states(
    client, secretariat_admin, focal_mex, django_assert_max_num_queries
):
    client.force_login(secretariat_admin)
    # 13 with the navigation's count of unread notifications
    with django_assert_max_num_queries(13):
        html = client.get("/en/accounts/users/").content.decode()
    assert "National focal point" in html and "Mexico" in html


def test_revoking_an_invitation_kills_its_link(client, secretariat_admin):
    path = invite(client, secretariat_admin).split("localhost:8000")[1]
    client.force_login(secretariat_admin)
    client.post(f"/en/accounts/invitations/{Invitation.objects.get().pk}/revoke/")
    client.logout()
    assert client.get(path).status_code == 404


def test_password_reset_by_email(client, focal_mex):
    client.post("/en/accounts/password/reset/", {"email": focal_mex.email})
    assert len(mail.outbox) == 1
    path = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    response = client.get(path, follow=True)
    form_path = response.redirect_chain[-1][0]
    client.post(
        form_path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    signed_in = client.post(
        "/en/accounts/login/", {"username": "maria", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_password_reset_for_an_unknown_address_sends_nothing(client):
    response = client.post(
        "/en/accounts/password/reset/", {"email": "nobody@example.org"}
    )
    assert response.status_code == 302
    assert mail.outbox == []

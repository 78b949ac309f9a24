"""Deleting a draft asks first: the confirmation page (GET) never deletes; only its
POST does, for those who may change the state's updates."""

import html

import pytest

from recommendations.models import Evidence, ProgressUpdate
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(focal_mex, mexico, cycle, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.files.uploadedfile import SimpleUploadedFile

    from recommendations import services

    update = factories.progress_update(mexico, 3, author=focal_mex, steps=[])
    services.evidence_add(
        update=update,
        actor=focal_mex,
        upload=SimpleUploadedFile("minutes.txt", b"Minutes of the committee\n"),
    )
    return update


def delete_url(update) -> str:
    return f"/en/updates/{update.pk}/delete/"


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_the_update_page_links_to_the_confirmation(client, focal_mex, draft):
    client.force_login(focal_mex)
    page = text(client.get(f"/en/updates/{draft.pk}/"))
    assert f'href="{delete_url(draft)}"' in page
    assert f'action="{delete_url(draft)}"' not in page  # no one-click form any more


def test_the_confirmation_asks_and_deletes_nothing(client, focal_mex, draft):
    client.force_login(focal_mex)
    response = client.get(delete_url(draft))
    page = text(response)
    assert response.status_code == 200
    assert "Delete this draft?" in page
    assert "This cannot be undone." in page
    assert "minutes.txt" in page  # the files that go with it
    assert '<form method="post"' in page and "Delete the draft" in page
    assert ProgressUpdate.objects.filter(pk=draft.pk).exists()
    assert Evidence.objects.filter(update=draft).exists()


@pytest.mark.parametrize("role", ["focal_mex", "reviewer"])
def test_the_confirmation_s_post_deletes(client, request, draft, role):
    client.force_login(request.getfixturevalue(role))
    response = client.post(delete_url(draft), follow=True)
    assert response.redirect_chain == [("/en/workspace/MEX/", 302)]
    assert "Draft deleted." in text(response)
    assert not ProgressUpdate.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_state_s_focal_point_finds_nothing(client, focal_bra, draft, method):
    client.force_login(focal_bra)
    response = getattr(client, method)(delete_url(draft))
    assert response.status_code == 404
    assert ProgressUpdate.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_public_is_sent_to_sign_in(client, draft, method):
    response = getattr(client, method)(delete_url(draft))
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/")
    assert ProgressUpdate.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_reviewer_cannot_delete_a_submitted_update(
    client, reviewer, focal_mex, mexico, method
):
    submitted = factories.progress_update(mexico, 4, author=focal_mex, steps=["submit"])
    client.force_login(reviewer)
    response = getattr(client, method)(delete_url(submitted), follow=True)
    assert response.redirect_chain == [(f"/en/updates/{submitted.pk}/", 302)]
    assert "Only a draft that was never submitted can be deleted." in text(response)
    assert ProgressUpdate.objects.filter(pk=submitted.pk).exists()


def test_a_put_does_not_delete(client, focal_mex, draft):
    client.force_login(focal_mex)
    assert client.put(delete_url(draft)).status_code == 405
    assert ProgressUpdate.objects.filter(pk=draft.pk).exists()

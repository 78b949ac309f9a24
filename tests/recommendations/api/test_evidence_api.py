"""Evidence files through the API: multipart upload, download, removal, and who may."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from recommendations import services
from recommendations.models import Evidence
from tests.api_client import error_of, snapshot

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"


def upload_url(update) -> str:
    return f"/api/v1/progress-updates/{update.pk}/evidence/"


def file_url(evidence) -> str:
    return f"/api/v1/progress-updates/{evidence.update_id}/evidence/{evidence.pk}/"


def pdf(name: str = "Ley 123.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def mex_evidence(mex_draft, focal_mex) -> Evidence:
    return services.evidence_add(update=mex_draft, actor=focal_mex, upload=pdf())


def test_upload_checks_the_file_and_answers_201(api, focal_mex, mex_draft):
    response = api(focal_mex).post(
        upload_url(mex_draft), {"file": pdf()}, format="multipart"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    evidence = Evidence.objects.get(pk=body["id"])
    assert body["name"] == "Ley 123.pdf"
    assert body["content_type"] == "application/pdf"
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest() == evidence.sha256
    assert body["download"].endswith(file_url(evidence))
    assert response["Location"] == body["download"]
    mex_draft.refresh_from_db()
    assert mex_draft.version == 2  # attaching a file is a change, like on the page


def test_a_file_whose_content_lies_gets_400(api, focal_mex, mex_draft):
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf at all")

    response = api(focal_mex).post(
        upload_url(mex_draft), {"file": fake}, format="multipart"
    )

    assert response.status_code == 400
    assert "is not a .pdf file" in error_of(response)["message"]
    assert not Evidence.objects.exists()


def test_upload_without_a_file_gets_400(api, focal_mex, mex_draft):
    response = api(focal_mex).post(upload_url(mex_draft), {}, format="multipart")

    assert response.status_code == 400
    assert "file" in error_of(response)["fields"]


def test_upload_as_json_gets_415(api, focal_mex, mex_draft):
    response = api(focal_mex).post(upload_url(mex_draft), {"file": "x"}, format="json")

    assert response.status_code == 415


def test_no_upload_to_a_submitted_update(api, focal_mex, mex_submitted):
    response = api(focal_mex).post(
        upload_url(mex_submitted), {"file": pdf()}, format="multipart"
    )

    assert response.status_code == 409
    assert not Evidence.objects.exists()


@pytest.mark.parametrize(
    ("role", "status_code"),
    [
        ("public", 401),
        ("focal_mex", 201),
        ("focal_bra", 404),
        ("reviewer", 201),
        ("secretariat_admin", 201),
    ],
)
def test_who_may_upload(api, who, role, status_code, mex_draft):
    before = snapshot()

    response = api(who(role)).post(
        upload_url(mex_draft), {"file": pdf()}, format="multipart"
    )

    assert response.status_code == status_code
    if status_code != 201:
        error_of(response)
        assert snapshot() == before


@pytest.mark.parametrize(
    ("role", "status_code"),
    [
        ("public", 404),
        ("focal_mex", 200),
        ("focal_bra", 404),
        ("reviewer", 200),
        ("secretariat_admin", 200),
    ],
)
def test_who_may_download(api, who, role, status_code, mex_evidence):
    response = api(who(role)).get(file_url(mex_evidence))

    assert response.status_code == status_code
    if status_code == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
    else:
        error_of(response)


def test_evidence_of_a_published_update_stays_private(
    api, focal_mex, focal_bra, reviewer, mex_draft
):
    evidence = services.evidence_add(update=mex_draft, actor=focal_mex, upload=pdf())
    services.progress_update_submit(update=mex_draft, actor=focal_mex)
    services.progress_update_accept(
        update=mex_draft,
        actor=reviewer,
        checklist=dict.fromkeys(services.REVIEW_CHECKLIST, True),
    )

    assert (
        api().get(f"/api/v1/progress-updates/{mex_draft.pk}/").json()["evidence"]
        is None
    )
    assert api().get(file_url(evidence)).status_code == 404
    assert api(focal_bra).get(file_url(evidence)).status_code == 404
    assert api(focal_mex).get(file_url(evidence)).status_code == 200


def test_a_download_answers_whatever_accept_says(api, focal_mex, mex_evidence):
    response = api(focal_mex).get(file_url(mex_evidence), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200


def test_evidence_under_another_update_is_not_found(
    api, focal_mex, mex_evidence, mex_submitted
):
    wrong = f"/api/v1/progress-updates/{mex_submitted.pk}/evidence/{mex_evidence.pk}/"

    assert api(focal_mex).get(wrong).status_code == 404
    assert api(focal_mex).delete(wrong).status_code == 404
    assert Evidence.objects.filter(pk=mex_evidence.pk).exists()


@pytest.mark.parametrize(
    ("role", "status_code"),
    [
        ("public", 401),
        ("focal_mex", 204),
        ("focal_bra", 404),
        ("reviewer", 204),
        ("secretariat_admin", 204),
    ],
)
def test_who_may_remove(api, who, role, status_code, mex_evidence):
    before = snapshot()

    response = api(who(role)).delete(file_url(mex_evidence))

    assert response.status_code == status_code
    exists = Evidence.objects.filter(pk=mex_evidence.pk).exists()
    assert exists == (status_code != 204)
    if status_code != 204:
        assert snapshot() == before


def test_no_removal_from_a_submitted_update(api, focal_mex, mex_evidence):
    services.progress_update_submit(update=mex_evidence.update, actor=focal_mex)
    before = snapshot()

    response = api(focal_mex).delete(file_url(mex_evidence))

    assert response.status_code == 409
    assert snapshot() == before

"""Evidence files: checked by size and content, stored privately, served to the few."""

import io
import zipfile

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from recommendations import services
from recommendations.models import Evidence, Recommendation
from tests.factories import content

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.fixture
def draft(focal_mex, mexico, cycle):
    return services.progress_update_create(
        actor=focal_mex,
        cycle=cycle,
        member_state=mexico,
        recommendation=Recommendation.objects.get(number=6),
        content=content(),
    )


def attach(update, actor, name, data):
    return services.evidence_add(
        update=update, actor=actor, upload=SimpleUploadedFile(name, data)
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("Ley 123.pdf", PDF, "application/pdf"),
        ("photo.PNG", PNG, "image/png"),
        (
            "minutes.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", "Acta de la reunión del comité\n".encode(), "text/plain"),
    ],
)
def test_accepted_files_are_stored_privately_under_a_random_name(
    draft, focal_mex, name, data, content_type
):
    evidence = attach(draft, focal_mex, name, data)
    assert evidence.content_type == content_type
    assert evidence.original_name == name
    assert evidence.size == len(data)
    stored = evidence.file.path
    assert stored.startswith(str(settings.MEDIA_ROOT))
    assert not stored.startswith(str(settings.STATIC_ROOT))
    assert name.split(".")[0] not in stored  # the uploader's name is data, not a path
    draft.refresh_from_db()
    assert draft.events.filter(action="evidence_added").exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, "not accepted"),
        ("report.pdf", b"<html><script>alert(1)</script></html>", "is not a .pdf file"),
        ("image.png", PDF, "is not a .png file"),
        ("fake.docx", b"PK\x03\x04not really a zip", "is not a .docx file"),
        ("sheet.xlsx", docx_bytes(), "is not a .xlsx file"),
        ("notes.txt", b"\x00\x01\x02binary", "is not a .txt file"),
        ("empty.pdf", b"", "empty"),
        ("noextension", PDF, "not accepted"),
    ],
)
def test_mistyped_and_disguised_files_are_refused(
    draft, focal_mex, name, data, message
):
    with pytest.raises(ValidationError, match=message):
        attach(draft, focal_mex, name, data)
    assert not Evidence.objects.exists()


def test_oversized_files_are_refused_with_the_limit(draft, focal_mex, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as caught:
        attach(draft, focal_mex, "big.pdf", PDF + b"0" * 2048)
    assert caught.value.messages == ["The file is 2.06\xa0KB; the limit is 1\xa0KB."]
    assert not Evidence.objects.exists()


def test_a_path_in_the_file_name_is_dropped(draft, focal_mex):
    evidence = attach(draft, focal_mex, "../../etc/passwd.pdf", PDF)
    assert evidence.original_name == "passwd.pdf"


def test_no_evidence_is_added_to_a_submitted_update(draft, focal_mex):
    services.progress_update_submit(update=draft, actor=focal_mex)
    with pytest.raises(services.WorkflowError, match="submitted update cannot change"):
        attach(draft, focal_mex, "late.pdf", PDF)


def test_download_is_an_attachment_that_browsers_do_not_sniff(client, draft, focal_mex):
    evidence = attach(draft, focal_mex, "Informe anual.pdf", PDF)
    client.force_login(focal_mex)
    response = client.get(f"/en/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Informe" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


@pytest.mark.parametrize(("who", "status"), [("focal_bra", 404), ("reviewer", 200)])
def test_download_is_checked_like_the_update(
    client, request, draft, focal_mex, who, status
):
    evidence = attach(draft, focal_mex, "e.pdf", PDF)
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/en/evidence/{evidence.pk}/").status_code == status


def test_the_public_cannot_download(client, draft, focal_mex):
    evidence = attach(draft, focal_mex, "e.pdf", PDF)
    response = client.get(f"/en/evidence/{evidence.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_upload_through_the_page_shows_a_clear_message(client, draft, focal_mex):
    client.force_login(focal_mex)
    response = client.post(
        f"/en/updates/{draft.pk}/evidence/",
        {"file": SimpleUploadedFile("virus.pdf", b"MZ\x90\x00" + b"\x00" * 60)},
        follow=True,
    )
    assert "is not a .pdf file" in response.content.decode()
    assert not Evidence.objects.exists()

"""A file over the size limit is refused with sizes that show the difference, in the
words the form states the limit in."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from recommendations.evidence import check_upload
from recommendations.forms import EvidenceForm

LIMIT = 20 * 1024 * 1024


def refusal(size: int) -> str:
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.7\n", "application/pdf")
    upload.size = size  # the size Django measured; the content is never read
    with pytest.raises(ValidationError) as refused:
        check_upload(upload, max_bytes=LIMIT)
    return refused.value.messages[0]


def test_a_file_a_little_over_the_limit_reads_larger_than_it():
    assert refusal(21_016_229) == "The file is 20.04\xa0MB; the limit is 20\xa0MB."


def test_a_single_byte_over_still_shows():
    assert refusal(LIMIT + 1) == "The file is 20.01\xa0MB; the limit is 20\xa0MB."


def test_the_form_states_the_limit_the_same_way():
    assert settings.EVIDENCE_MAX_BYTES == LIMIT
    assert "up to 20\xa0MB." in str(EvidenceForm.base_fields["file"].help_text)

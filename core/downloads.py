"""Stored files (evidence, report PDFs) handed out as downloads, the one safe way."""

from django.core.files import File
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _


def attachment(
    stored: File, *, filename: str, content_type: str, public: bool = False
) -> FileResponse:
    """The file as an attachment that browsers neither render nor sniff.

    The caller has checked that the person may have it; ``public`` files may be
    cached by proxies for a few minutes, anything else never.
    """
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=300" if public else "private, no-store"
    return response

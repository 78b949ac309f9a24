"""Is this upload what it says it is? Evidence is checked by content, not name."""

import math
import zipfile
from dataclasses import dataclass

import puremagic
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext


@dataclass(frozen=True)
class Kind:
    content_type: str
    zip_member: str | None = None  # office formats are zips: the part that proves which


ALLOWED = {
    ".pdf": Kind("application/pdf"),
    ".png": Kind("image/png"),
    ".jpg": Kind("image/jpeg"),
    ".jpeg": Kind("image/jpeg"),
    ".gif": Kind("image/gif"),
    ".webp": Kind("image/webp"),
    ".doc": Kind("application/msword"),
    ".xls": Kind("application/vnd.ms-excel"),
    ".ppt": Kind("application/vnd.ms-powerpoint"),
    ".docx": Kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "word/document.xml",
    ),
    ".xlsx": Kind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xl/workbook.xml",
    ),
    ".pptx": Kind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "ppt/presentation.xml",
    ),
    ".odt": Kind("application/vnd.oasis.opendocument.text", "content.xml"),
    ".ods": Kind("application/vnd.oasis.opendocument.spreadsheet", "content.xml"),
    ".txt": Kind("text/plain"),
    ".csv": Kind("text/csv"),
}
TEXT = {".txt", ".csv"}
ZIP_SIGNATURE = b"PK\x03\x04"
# The old binary Office formats share one container signature.
OLE_FAMILY = {".doc", ".xls", ".ppt"}


def file_size(size: int, *, round_up: bool = False) -> str:
    """A size to the hundredth of its unit, without trailing zeros: "20 MB",
    "20.04 MB", "2.1 KB", "900 bytes"; the units are Django's, translated."""
    for unit, label in (
        (1024 * 1024, gettext_noop("%s MB")),
        (1024, gettext_noop("%s KB")),
    ):
        if size >= unit:
            hundredths = size * 100 / unit
            hundredths = math.ceil(hundredths) if round_up else round(hundredths)
            places = 0 if hundredths % 100 == 0 else 1 if hundredths % 10 == 0 else 2
            number = number_format(hundredths / 100, places)
            return _(label).replace(" ", "\xa0") % number
    return ngettext("%(size)d byte", "%(size)d bytes", size) % {"size": size}


def allowed_extensions() -> str:
    return ", ".join(sorted(ALLOWED))


def check_upload(upload: UploadedFile, *, max_bytes: int) -> Kind:
    """The kind of an acceptable upload, or a ValidationError a person can act on."""
    name = upload.name or ""
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in ALLOWED:
        raise ValidationError(
            _("Files of this type are not accepted. Accepted types: %(types)s.")
            % {"types": allowed_extensions()}
        )
    if upload.size > max_bytes:  # type: ignore[operator]  # known for every file received
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % _over_the_limit(upload.size, max_bytes)  # type: ignore[arg-type]  # known for every file received
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."))
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if not _content_matches(extension, head, upload):
        raise ValidationError(
            _(
                "The content of “%(name)s” is not a %(extension)s file. "
                "Save it in that format, or give it the right extension."
            )
            % {"name": name, "extension": extension}
        )
    return ALLOWED[extension]


def _over_the_limit(size: int, limit: int) -> dict[str, str]:
    """Both sizes as a person compares them: a file just over the limit is rounded
    up rather than read as the limit itself: "20.01 MB" beside "20 MB", never the
    same size twice."""
    shown = {"size": file_size(size), "limit": file_size(limit)}
    if shown["size"] == shown["limit"]:
        shown["size"] = file_size(size, round_up=True)
    return shown


def _content_matches(extension: str, head: bytes, upload: UploadedFile) -> bool:
    found = _detected_extensions(head)
    if extension in TEXT:
        return not found and _is_text(head)
    if extension in OLE_FAMILY:
        return ".doc" in found
    kind = ALLOWED[extension]
    if kind.zip_member:
        return head.startswith(ZIP_SIGNATURE) and _zip_has(upload, kind.zip_member)
    if extension == ".jpeg":
        extension = ".jpg"
    return extension in found


def _detected_extensions(head: bytes) -> set[str]:
    try:
        return {match.extension.lower() for match in puremagic.magic_string(head)}
    except puremagic.PureError:
        return set()


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        return error.start >= len(head) - 3
    return True


def _zip_has(upload: UploadedFile, member: str) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            return member in archive.namelist()
    except zipfile.BadZipFile:
        return False
    finally:
        upload.seek(0)

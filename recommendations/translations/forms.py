"""The Secretariat's forms for the catalogue's translations."""

import hashlib
import json

from django import forms
from django.core import signing
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from recommendations.translations.po import Reading, length_limit
from recommendations.translations.texts import CatalogueText, Standing

# A PO file of the whole catalogue is under 100 kB; ten times that is plenty.
MAX_FILE_SIZE = 1024 * 1024
# How long a preview may wait for its confirmation.
PREVIEW_MAX_AGE = 60 * 60
_SALT = "recommendations.translations.import"

_REFERENCE_REQUIRED = _(
    "An official translation needs the symbol of the document it is from."
)


def _standing_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Standing"),
        choices=Standing.choices,
        initial=Standing.WORKING,
        widget=forms.RadioSelect,
        help_text=_(
            "Official: taken from an official document of the OAS, whose symbol "
            "you give below. Working: any other translation; readers are told "
            "the English text is authoritative."
        ),
    )


def _reference_field() -> forms.CharField:
    return forms.CharField(
        label=_("Document symbol or reference"),
        required=False,
        max_length=200,
        help_text=_("Required for an official translation, e.g. OEA/Ser.K/XXXIX.7."),
    )


class _StandingMixin:
    def _check_reference(self, cleaned: dict) -> None:
        if (
            cleaned.get("standing") == Standing.OFFICIAL
            and not (cleaned.get("reference") or "").strip()
        ):
            self.add_error("reference", _REFERENCE_REQUIRED)


class TranslationForm(_StandingMixin, forms.Form):
    """One text's translation. ``expected`` is the entry the editor started from, so
    a save never overwrites what someone else saved in between."""

    text = forms.CharField(
        label=_("Translation"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Leave empty to remove the translation: the English text shows."),
    )
    standing = _standing_field()
    reference = _reference_field()
    expected = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, text: CatalogueText, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.catalogue_text = text
        self.fields["text"].widget.attrs["lang"] = language
        self.limit = length_limit(text)
        if self.limit is not None:
            self.fields["text"].widget.attrs["rows"] = 3

    @staticmethod
    def expected_value(found: dict | None) -> str:
        return json.dumps(
            found or {"text": "", "standing": "", "reference": ""}, sort_keys=True
        )

    def clean_expected(self) -> dict:
        try:
            expected = json.loads(self.cleaned_data["expected"])
        except (TypeError, ValueError):
            expected = None
        if not isinstance(expected, dict):
            raise forms.ValidationError(
                _("The form was damaged in transit. Open the text again.")
            )
        return expected

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        if self.limit is not None and len(text) > self.limit:
            raise forms.ValidationError(
                _("This text may have at most %(limit)s characters; it has %(length)s.")
                % {"limit": self.limit, "length": len(text)}
            )
        return text

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("text"):
            self._check_reference(cleaned)
        return cleaned


class ImportForm(_StandingMixin, forms.Form):
    file = forms.FileField(
        label=_("PO file"),
        help_text=_("A file exported from this page, translated. At most 1 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".po,text/x-gettext-translation"}
        ),
    )
    standing = _standing_field()
    reference = _reference_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["standing"].label = _("Standing of the changed texts")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_SIZE:
            raise forms.ValidationError(
                _("The file is %(size)s; the limit is %(limit)s.")
                % {
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(MAX_FILE_SIZE),
                }
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                _("The file is not in UTF-8. Save it as UTF-8 and upload it again.")
            ) from None

    def clean(self) -> dict:
        cleaned = super().clean()
        self._check_reference(cleaned)
        return cleaned


# --- From the preview to the confirmation -----------------------------------------


def fingerprint(reading: Reading) -> str:
    """What a preview showed, so the confirmation applies that and nothing else."""
    shown = [(c.text.key, c.current, c.new) for c in reading.changes]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()


def sign_import(
    *, language: str, content: str, standing: str, reference: str, reading: Reading
) -> str:
    """The file and choices, signed: the confirmation cannot be tampered with."""
    return signing.dumps(
        {
            "language": language,
            "content": content,
            "standing": standing,
            "reference": reference,
            "fingerprint": fingerprint(reading),
        },
        salt=_SALT,
        compress=True,
    )


class ConfirmImportForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.language = language

    def clean_payload(self) -> dict:
        try:
            payload = signing.loads(
                self.cleaned_data["payload"], salt=_SALT, max_age=PREVIEW_MAX_AGE
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(
                _("The preview is more than an hour old. Upload the file again.")
            ) from None
        except signing.BadSignature:
            raise forms.ValidationError(
                _("The preview was damaged in transit. Upload the file again.")
            ) from None
        if payload.get("language") != self.language:
            raise forms.ValidationError(
                _("The preview was for another language. Upload the file again.")
            )
        return payload

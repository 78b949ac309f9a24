"""The Secretariat's pages for the catalogue's translations: where each language
stands, editing one text beside its English, and PO export and import with a preview.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ConflictError
from recommendations.models import Instrument
from recommendations.permissions import can_manage_translations
from recommendations.translations import po, selectors
from recommendations.translations.forms import (
    ConfirmImportForm,
    ImportForm,
    TranslationForm,
    fingerprint,
    sign_import,
)
from recommendations.translations.services import (
    ReferenceRequired,
    import_translations,
    set_translation,
)
from recommendations.translations.texts import (
    TRANSLATED_LANGUAGES,
    Standing,
    entry,
)


def _require_translator(user) -> None:
    if not can_manage_translations(user):
        raise PermissionDenied


def _language(code: str) -> dict:
    if code not in TRANSLATED_LANGUAGES:
        raise Http404
    return get_language_info(code)


@login_required
def status(request):
    _require_translator(request.user)
    instrument = Instrument.objects.current()
    rows = [
        (get_language_info(row.language), row)
        for row in selectors.translation_status(instrument)
    ]
    return render(
        request,
        "recommendations/translations/status.html",
        {"instrument": instrument, "rows": rows},
    )


@login_required
def language_page(request, lang: str):
    _require_translator(request.user)
    language = _language(lang)
    instrument = Instrument.objects.current()
    return render(
        request,
        "recommendations/translations/language.html",
        {
            "instrument": instrument,
            "language": language,
            "rows": selectors.language_rows(instrument, lang),
            "import_form": ImportForm(),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request, lang: str, key: str):
    _require_translator(request.user)
    language = _language(lang)
    instrument = Instrument.objects.current()
    text = selectors.text_for_key(instrument, key)
    if text is None:
        raise Http404
    found = entry(text.obj, text.field, lang)
    conflict = None
    if request.method == "POST":
        form = TranslationForm(request.POST, text=text, language=lang)
        if form.is_valid():
            data = form.cleaned_data
            try:
                set_translation(
                    text=text,
                    language=lang,
                    new_text=data["text"],
                    standing=data["standing"],
                    reference=data["reference"],
                    expected=data["expected"],
                )
            except ReferenceRequired as error:
                form.add_error("reference", str(error))
            except ConflictError as error:
                # Keep what was typed; start the next attempt from what is saved now.
                text.obj.refresh_from_db(fields=["translations"])
                found = entry(text.obj, text.field, lang)
                data = request.POST.copy()
                data["expected"] = TranslationForm.expected_value(found)
                form = TranslationForm(data, text=text, language=lang)
                conflict = error.message
            else:
                if data["text"]:
                    messages.success(request, _("Translation saved."))
                else:
                    messages.success(
                        request,
                        _("Translation removed: the English text shows instead."),
                    )
                return redirect("recommendations:translation-language", lang=lang)
    else:
        form = TranslationForm(
            initial={
                "text": found["text"] if found else "",
                "standing": found["standing"] if found else Standing.WORKING,
                "reference": found.get("reference", "") if found else "",
                "expected": TranslationForm.expected_value(found),
            },
            text=text,
            language=lang,
        )
    return render(
        request,
        "recommendations/translations/edit.html",
        {
            "language": language,
            "text": text,
            "current": text.translation(lang),
            "form": form,
            "conflict": conflict,
        },
    )


@login_required
def export(request, lang: str):
    _require_translator(request.user)
    _language(lang)
    instrument = Instrument.objects.current()
    response = HttpResponse(
        po.export(instrument, lang),
        content_type="text/x-gettext-translation; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{instrument.slug}-{lang}.po"'
    )
    return response


def _preview(request, *, language, instrument, content, standing, reference, form=None):
    """The preview of an import, or the file's problems; saves nothing."""
    lang = language["code"]
    try:
        reading = po.read(instrument, lang, content)
    except po.TranslationFileError as error:
        return _import_page(request, language, form or ImportForm(), error.problems)
    return render(
        request,
        "recommendations/translations/preview.html",
        {
            "language": language,
            "reading": reading,
            "standing": Standing(standing),
            "reference": reference if standing == Standing.OFFICIAL else "",
            "confirm_form": ConfirmImportForm(
                initial={
                    "payload": sign_import(
                        language=lang,
                        content=content,
                        standing=standing,
                        reference=reference,
                        reading=reading,
                    )
                },
                language=lang,
            ),
        },
    )


def _import_page(request, language, form, problems=()):
    return render(
        request,
        "recommendations/translations/import.html",
        {"language": language, "form": form, "problems": problems},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_file(request, lang: str):
    """Upload a PO file; show what it would change."""
    _require_translator(request.user)
    language = _language(lang)
    if request.method != "POST":
        return _import_page(request, language, ImportForm())
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _import_page(request, language, form)
    return _preview(
        request,
        language=language,
        instrument=Instrument.objects.current(),
        content=form.cleaned_data["file"],
        standing=form.cleaned_data["standing"],
        reference=form.cleaned_data["reference"],
        form=form,
    )


@login_required
@require_POST
def import_confirm(request, lang: str):
    """Apply the previewed file, as previewed, or nothing."""
    _require_translator(request.user)
    language = _language(lang)
    form = ConfirmImportForm(request.POST, language=lang)
    if not form.is_valid():
        for error in form.errors.get("payload", []):
            messages.error(request, error)
        return redirect("recommendations:translation-import", lang=lang)
    payload = form.cleaned_data["payload"]
    instrument = Instrument.objects.current()
    preview = {
        "language": language,
        "instrument": instrument,
        "content": payload["content"],
        "standing": payload["standing"],
        "reference": payload["reference"],
    }
    try:
        reading = po.read(instrument, lang, payload["content"])
    except po.TranslationFileError as error:
        return _import_page(request, language, ImportForm(), error.problems)
    try:
        if fingerprint(reading) != payload["fingerprint"]:
            raise ConflictError(
                _(
                    "The translations changed after the preview was made. Nothing "
                    "was imported; check the new preview below."
                )
            )
        count = import_translations(
            reading=reading,
            language=lang,
            standing=payload["standing"],
            reference=payload["reference"],
        )
    except (ConflictError, ReferenceRequired) as error:
        messages.error(request, getattr(error, "message", str(error)))
        return _preview(request, **preview)
    messages.success(
        request,
        ngettext(
            "%(count)s translation imported.", "%(count)s translations imported.", count
        )
        % {"count": count},
    )
    return redirect("recommendations:translation-language", lang=lang)

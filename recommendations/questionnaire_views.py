"""The offline questionnaire of a state: download it, upload it filled in."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from recommendations import permissions, questionnaire, selectors
from recommendations.models import MemberState
from recommendations.workspace_views import _open_cycle_or_404


class QuestionnaireUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Filled-in questionnaire (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument"
                ".spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "The file downloaded from this page, at most %(size)s KB."
        ) % {"size": formats.number_format(settings.QUESTIONNAIRE_MAX_BYTES // 1024)}


def _state_or_404(user, scope: str) -> MemberState:
    """The door: a state the user may read; the Secretariat's own scope has none."""
    member_state = permissions.get_scope_for(user, scope)
    if member_state is None:
        raise Http404
    return member_state


@login_required
def questionnaire_page(request, scope: str):
    member_state = _state_or_404(request.user, scope)
    cycle = _open_cycle_or_404()
    may_upload = permissions.can_report_on(request.user, member_state)
    form = QuestionnaireUploadForm()
    errors = []
    status = 200
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied
        form = QuestionnaireUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = questionnaire.questionnaire_import(
                    actor=request.user,
                    cycle=cycle,
                    member_state=member_state,
                    upload=form.cleaned_data["file"],
                )
            except questionnaire.QuestionnaireInvalid as error:
                errors = error.errors
            else:
                messages.success(request, _imported_message(result))
                return redirect("recommendations:dashboard", scope=member_state.iso3)
        status = 400
    return render(
        request,
        "recommendations/questionnaire.html",
        {
            "member_state": member_state,
            "scope": member_state.iso3,
            "cycle": cycle,
            "deadline": selectors.deadline_for(cycle=cycle, member_state=member_state),
            "form": form,
            "errors": errors,
            "may_upload": may_upload,
            "max_kb": settings.QUESTIONNAIRE_MAX_BYTES // 1024,
        },
        status=status,
    )


@login_required
def questionnaire_download(request, scope: str):
    member_state = _state_or_404(request.user, scope)
    cycle = _open_cycle_or_404()
    content = questionnaire.questionnaire_build(
        cycle=cycle, member_state=member_state, language=request.LANGUAGE_CODE
    )
    response = HttpResponse(content, content_type=questionnaire.CONTENT_TYPE)
    filename = questionnaire.questionnaire_filename(
        cycle=cycle, member_state=member_state
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # The state's drafts: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _imported_message(result: questionnaire.ImportResult) -> str:
    if not result.created and not result.updated:
        return _("The questionnaire changed nothing: every row was as downloaded.")
    parts = []
    if result.created:
        parts.append(
            ngettext(
                "%(count)s new draft (recommendation %(numbers)s)",
                "%(count)s new drafts (recommendations %(numbers)s)",
                len(result.created),
            )
            % {
                "count": len(result.created),
                "numbers": ", ".join(map(str, result.created)),
            }
        )
    if result.updated:
        parts.append(
            ngettext(
                "%(count)s draft updated (recommendation %(numbers)s)",
                "%(count)s drafts updated (recommendations %(numbers)s)",
                len(result.updated),
            )
            % {
                "count": len(result.updated),
                "numbers": ", ".join(map(str, result.updated)),
            }
        )
    return _(
        "Questionnaire saved: %(changes)s. Nothing was submitted: review the drafts "
        "and submit them."
    ) % {"changes": "; ".join(parts)}

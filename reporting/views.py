"""The reports pages: the Secretariat's, a state's, a run's progress, the downloads."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.downloads import attachment
from recommendations import permissions as state_permissions
from recommendations.models import MemberState, ReportingCycle
from reporting import permissions, selectors, services
from reporting.api import ReportThrottle
from reporting.forms import HemisphericRequestForm, ReportRequestForm, ReportTextForm
from reporting.models import REPORT_LANGUAGES, ReportRun
from reporting.runs import report_runs_sweep
from reporting.services import ReportError, ReportQueueUnavailable

RUNS_SHOWN = 50
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _cycle_for(request) -> ReportingCycle:
    """The cycle in ``?cycle=``, else the open one, else the latest."""
    slug = request.GET.get("cycle")
    if slug:
        return get_object_or_404(ReportingCycle, slug=slug)
    cycle = (
        ReportingCycle.objects.open().first()
        or ReportingCycle.objects.order_by("-period_start").first()
    )
    if cycle is None:
        raise Http404(_("There is no reporting cycle yet."))
    return cycle


def _request_form(
    cycle: ReportingCycle, *, hemispheric: bool = False
) -> ReportRequestForm:
    language = get_language() or "en"
    default = language if language in dict(REPORT_LANGUAGES) else "en"
    form_class = HemisphericRequestForm if hemispheric else ReportRequestForm
    return form_class(initial={"cycle": cycle.slug, "language": default})


def _name_field() -> str:
    """The column of the state names in the page's language, to sort them by."""
    language = (get_language() or "en")[:2]
    return f"name_{language}" if language in dict(REPORT_LANGUAGES) else "name_en"


def _sweep(runs) -> None:
    """Catch runs whose worker died before anyone reads their state."""
    report_runs_sweep(runs=runs.active())


def _page(path: str, cycle: ReportingCycle) -> str:
    return f"{path}?cycle={cycle.slug}"


# --- The Secretariat's page and a state's ---------------------------------------


@login_required
def reports_home(request):
    user = request.user
    if not permissions.can_generate_hemispheric(user):
        # A focal point goes to its own state's reports.
        states = list(
            state_permissions.states_for(user, state_permissions.VIEW_PRIVATE)
        )
        if len(states) == 1:
            return redirect("reports:state", iso3=states[0].iso3)
        if not states:
            raise PermissionDenied
        return render(
            request, "reporting/reports/state_choice.html", {"states": states}
        )
    cycle = _cycle_for(request)
    runs = selectors.report_runs(cycle=cycle, member_state=None)
    _sweep(runs)
    return render(
        request,
        "reporting/reports/home.html",
        {
            "cycle": cycle,
            "cycles": ReportingCycle.objects.order_by("-period_start"),
            "form": _request_form(cycle, hemispheric=True),
            "runs": runs[:RUNS_SHOWN],
            "texts": [
                (code, name, selectors.report_text(cycle=cycle, language=code))
                for code, name in REPORT_LANGUAGES
            ],
            "may_write": permissions.can_write_texts(user),
            "may_publish": permissions.can_publish(user),
            "states": MemberState.objects.order_by(_name_field()),
        },
    )


@login_required
@require_GET
def state_choice(request):
    """The Secretariat's way to a state's reports: a select, sent here by GET."""
    iso3 = request.GET.get("state", "")
    state = state_permissions.get_state_for(request.user, iso3)
    return redirect("reports:state", iso3=state.iso3)


@login_required
def state_reports(request, iso3: str):
    state = state_permissions.get_state_for(request.user, iso3)
    cycle = _cycle_for(request)
    runs = selectors.report_runs(cycle=cycle, member_state=state)
    _sweep(runs)
    return render(
        request,
        "reporting/reports/state.html",
        {
            "member_state": state,
            "cycle": cycle,
            "cycles": ReportingCycle.objects.order_by("-period_start"),
            "form": _request_form(cycle),
            "runs": runs[:RUNS_SHOWN],
        },
    )


@login_required
@require_POST
def generate(request, iso3: str | None = None):
    """Start a run: the hemispheric report, or (``iso3``) a state's own."""
    state = state_permissions.get_state_for(request.user, iso3) if iso3 else None
    if not permissions.can_generate_for(request.user, state):
        raise PermissionDenied
    back = (
        reverse("reports:state", args=[state.iso3])
        if state
        else reverse("reports:home")
    )
    form = (ReportRequestForm if state else HemisphericRequestForm)(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(back)
    cycle = form.cleaned_data["cycle"]
    # The API's limit, on the same count: a run asked here or there is one run.
    throttle = ReportThrottle()
    if not throttle.allow_request(request, None):
        minutes = max(1, math.ceil(throttle.wait() / 60))
        messages.error(
            request,
            ngettext(
                "You have asked for many reports in a short time. Try again in "
                "%(minutes)d minute.",
                "You have asked for many reports in a short time. Try again in "
                "%(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
        )
        return redirect(_page(back, cycle))
    try:
        run = services.report_run_request(
            actor=request.user,
            cycle=cycle,
            language=form.cleaned_data["language"],
            member_state=state,
            header=None if state else form.header(),
        )
    except ReportQueueUnavailable as error:
        messages.error(request, error.message)
        return redirect(_page(back, cycle))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_page(back, cycle))
    # No flash message: the run's page says where the run stands, and keeps saying
    # it as the run moves on, where a "queued" message would stay behind.
    return redirect(run)


def _form_errors(form) -> str:
    """The form's errors as one message, each after its field's label."""
    if "language" in form.errors or "cycle" in form.errors:
        return _("Choose the language of the report.")
    return " ".join(
        f"{form.fields[name].label}: {' '.join(errors)}"
        for name, errors in form.errors.items()
        if name in form.fields
    )


# --- A run --------------------------------------------------------------------------


def _status(run: ReportRun) -> dict:
    """What the progress bar and its script show, in the page's language."""
    if run.state == ReportRun.State.SUCCEEDED:
        message = _("The report is ready: %(pages)s pages.") % {"pages": run.page_count}
    elif run.state == ReportRun.State.FAILED:
        message = _("The report failed: %(error)s") % {"error": run.error}
    elif run.state == ReportRun.State.QUEUED:
        message = _("Waiting for a worker to take the report up.")
        if run.error:
            message = f"{message} {run.error}"
    else:
        # The stage, not the percent: screen readers hear it when it changes.
        message = _("%(stage)s…") % {"stage": run.get_stage_display()}
    return {
        "id": run.pk,
        "state": run.state,
        "state_label": run.get_state_display(),
        "stage": run.stage,
        "stage_label": run.get_stage_display(),
        "progress": run.progress,
        "attempts": run.attempts,
        "max_attempts": run.max_attempts,
        "finished": run.is_finished,
        "message": message,
        "error": run.error,
        "download_url": (
            reverse("reports:download", args=[run.pk])
            if run.state == ReportRun.State.SUCCEEDED
            else None
        ),
        "docx_url": (
            reverse("reports:download-docx", args=[run.pk])
            if run.state == ReportRun.State.SUCCEEDED and run.docx
            else None
        ),
        "final": run.final,
    }


def _fresh_run(user, pk: int) -> ReportRun:
    run = permissions.get_run_for(user, pk)
    if not run.is_finished:
        _sweep(ReportRun.objects.filter(pk=run.pk))
        run.refresh_from_db()
    return run


@login_required
def run_detail(request, pk: int):
    run = _fresh_run(request.user, pk)
    return render(
        request,
        "reporting/reports/run.html",
        {
            "run": run,
            "status": _status(run),
            "may_publish": permissions.can_publish(request.user) and run.is_hemispheric,
        },
    )


@require_GET
@never_cache
def run_status(request, pk: int):
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Sign in to follow this report.")}, status=401)
    run = _fresh_run(request.user, pk)
    return JsonResponse(_status(run))


@login_required
@require_GET
def run_download(request, pk: int):
    run = permissions.get_run_for(request.user, pk)
    response = _pdf_response(run)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def run_download_docx(request, pk: int):
    """The editable edition, for conference services: never public."""
    run = permissions.get_run_for(request.user, pk)
    if run.state != ReportRun.State.SUCCEEDED or not run.docx:
        raise Http404(_("This report has no DOCX."))
    response = attachment(
        run.docx,
        filename=run.download_name("docx"),
        content_type=DOCX_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def run_publish(request, pk: int):
    """Publishing asks first: a page saying what will happen, then a POST to do it."""
    run = permissions.get_run_for(request.user, pk)
    if not permissions.can_publish(request.user):
        raise PermissionDenied
    refusal = services.publication_refusal(run=run)
    if request.method == "POST":
        try:
            public = services.report_run_publish(actor=request.user, run=run)
        except (ReportError, ValidationError) as error:
            message = getattr(error, "message", None) or " ".join(error.messages)
            messages.error(request, message)
            return redirect(run)
        if public.is_published:
            messages.success(
                request, _("Published: anyone can now download the report.")
            )
        else:
            messages.success(
                request,
                _(
                    "The final edition is being compiled, without the DRAFT mark. "
                    "It is published as soon as it is ready; this page shows its "
                    "progress."
                ),
            )
        return redirect(public)
    return render(
        request,
        "reporting/reports/publish_confirm.html",
        {
            "run": run,
            "refusal": refusal,
            "texts_url": reverse(
                "reports:text-edit", args=[run.cycle.slug, run.language]
            ),
        },
    )


@login_required
@require_POST
def run_unpublish(request, pk: int):
    run = permissions.get_run_for(request.user, pk)
    try:
        services.report_run_unpublish(actor=request.user, run=run)
    except ReportError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Withdrawn: the public can no longer download it."))
    return redirect(run)


# --- The Secretariat's texts ---------------------------------------------------------


TEXT_FIELDS = ("introduction", "background", "conclusions", "meeting_recommendations")


@login_required
def text_edit(request, slug: str, language: str):
    if not permissions.can_write_texts(request.user):
        raise PermissionDenied
    if language not in dict(REPORT_LANGUAGES):
        raise Http404
    cycle = get_object_or_404(ReportingCycle, slug=slug)
    current = selectors.report_text(cycle=cycle, language=language)
    initial = {name: getattr(current, name) for name in TEXT_FIELDS} if current else {}
    form = ReportTextForm(request.POST or None, initial=initial, language=language)
    if request.method == "POST" and form.is_valid():
        services.report_text_save(
            actor=request.user,
            cycle=cycle,
            language=language,
            **{name: form.cleaned_data[name] for name in TEXT_FIELDS},
        )
        messages.success(request, _("Saved. The next report will use these texts."))
        return redirect(_page(reverse("reports:home"), cycle))
    return render(
        request,
        "reporting/reports/text_form.html",
        {
            "form": form,
            "cycle": cycle,
            "language_name": dict(REPORT_LANGUAGES)[language],
            "language": language,
            "current": current,
        },
    )


# --- Published reports, for everyone ------------------------------------------------


def published_list(request):
    return render(
        request,
        "reporting/reports/published.html",
        {"reports": selectors.published_reports()},
    )


@require_GET
def published_download(request, pk: int):
    return _pdf_response(permissions.get_published_run(pk), public=True)


@require_GET
def published_profile_download(request, pk: int):
    """A state's profile, for anyone, while the report it goes with is published."""
    return _pdf_response(permissions.get_public_profile(pk), public=True)


def _pdf_response(run: ReportRun, *, public: bool = False) -> FileResponse:
    if run.state != ReportRun.State.SUCCEEDED or not run.pdf:
        raise Http404(_("This report has no PDF."))
    return attachment(
        run.pdf,
        filename=run.download_name(),
        content_type="application/pdf",
        public=public,
    )

"""The Secretariat's side: the review queue, coverage, and the reporting cycles."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recommendations import (
    follow_up,
    good_practices,
    notifications,
    permissions,
    selectors,
    services,
)
from recommendations.forms import (
    CycleForm,
    ExtensionForm,
    FollowUpReminderForm,
    GoodPracticeForm,
    QueueFilterForm,
    add_service_error,
    wall_clock,
)
from recommendations.models import CycleExtension, ReportingCycle, ReviewState
from recommendations.services import WorkflowError
from recommendations.workspace_views import _detail_context, _open_cycle_or_404


def _require_reviewer(user) -> None:
    if not permissions.can_review(user):
        raise PermissionDenied


def _require_cycle_manager(user) -> None:
    if not permissions.can_manage_cycles(user):
        raise PermissionDenied


@login_required
def review_queue(request):
    _require_reviewer(request.user)
    cycle = _open_cycle_or_404()
    form = QueueFilterForm(request.GET or None, instrument=cycle.instrument)
    filters = form.cleaned_data if form.is_valid() else {}
    age = filters.get("age")
    queue = selectors.review_queue(
        cycle=cycle,
        member_state=filters.get("state"),
        theme=filters.get("theme"),
        recommendation=filters.get("recommendation"),
        submitted_before=timezone.now() - timedelta(days=int(age)) if age else None,
    )
    rights = permissions.rights_of(request.user)
    rows = [
        (update, rights.actions(update))
        for update in permissions.for_actions(
            queue.select_related("cycle"), request.user
        )
    ]
    return render(
        request,
        "recommendations/review_queue.html",
        {"cycle": cycle, "form": form, "rows": rows, "now": timezone.now()},
    )


@login_required
def review_detail(request, pk: int):
    """A submitted update with what the reviewer weighs it against: the
    recommendation, the state's previously accepted update and what changed since.
    Only the review's own actions: withdrawing or editing is the update page's."""
    update = permissions.get_update_for(request.user, pk)
    _require_reviewer(request.user)
    prefetch_related_objects([update], "measures", "assistance_needs", "evidence")
    context = _detail_context(request, update)
    allowed = context["actions"]
    context["actions"] = permissions.Actions(
        read_in_full=allowed.read_in_full, review=allowed.review
    )
    context["review"] = selectors.review_context(update=update)
    return render(request, "recommendations/review_detail.html", context)


@login_required
def coverage(request):
    _require_reviewer(request.user)
    cycle = _open_cycle_or_404()
    coverage = selectors.coverage(cycle=cycle)
    follow_up_rows = None
    if permissions.can_follow_up(request.user):
        follow_up_rows = follow_up.follow_up_rows(cycle=cycle, coverage=coverage)
    return render(
        request,
        "recommendations/coverage.html",
        {
            "cycle": cycle,
            "coverage": coverage,
            "states": ReviewState,
            "follow_up_rows": follow_up_rows,
        },
    )


def _require_follow_up(user) -> None:
    if not permissions.can_follow_up(user):
        raise PermissionDenied


def _names(states) -> str:
    return ", ".join(state.name for state in states)


@login_required
@require_POST
def coverage_remind(request):
    _require_follow_up(request.user)
    cycle = _open_cycle_or_404()
    form = FollowUpReminderForm(request.POST)
    if not form.is_valid():
        for error in form.errors["states"]:
            messages.error(request, error)
        return redirect("recommendations:coverage")
    outcome = notifications.follow_up_reminders_send(
        actor=request.user, cycle=cycle, member_states=list(form.cleaned_data["states"])
    )
    if outcome.sent:
        messages.success(
            request,
            _("Reminder sent to the focal points of %(states)s.")
            % {"states": _names(reminder.member_state for reminder in outcome.sent)},
        )
    if outcome.reminded_today:
        messages.error(
            request,
            _(
                "Not sent to %(states)s: reminded today already. A state is reminded "
                "once a day at most; try again tomorrow."
            )
            % {"states": _names(outcome.reminded_today)},
        )
    if outcome.nothing_missing:
        messages.warning(
            request,
            _("Not sent to %(states)s: every recommendation has an update submitted.")
            % {"states": _names(outcome.nothing_missing)},
        )
    if outcome.no_focal_point:
        messages.warning(
            request,
            _("Not sent to %(states)s: no focal point to remind. Invite one first.")
            % {"states": _names(outcome.no_focal_point)},
        )
    return redirect("recommendations:coverage")


@login_required
def coverage_export(request, file_format: str):
    _require_follow_up(request.user)
    if file_format not in follow_up.FILE_FORMATS:
        raise Http404
    cycle = _open_cycle_or_404()
    rows = follow_up.follow_up_rows(
        cycle=cycle, coverage=selectors.coverage(cycle=cycle)
    )
    body = follow_up.as_csv(rows) if file_format == "csv" else follow_up.as_xlsx(rows)
    response = HttpResponse(body, content_type=follow_up.FILE_FORMATS[file_format])
    name = follow_up.filename(cycle=cycle, file_format=file_format, now=timezone.now())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # Names and addresses of people: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def cycle_list(request):
    _require_cycle_manager(request.user)
    cycles = ReportingCycle.objects.prefetch_related("extensions__member_state")
    return render(request, "recommendations/cycle_list.html", {"cycles": cycles})


@login_required
def cycle_create(request):
    _require_cycle_manager(request.user)
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("Cycle created. Open it when states may report.")
            )
            return redirect("recommendations:cycles")
    return render(request, "recommendations/cycle_form.html", {"form": form})


@login_required
def cycle_detail(request, slug: str):
    _require_cycle_manager(request.user)
    cycle = get_object_or_404(
        ReportingCycle.objects.prefetch_related("extensions"), slug=slug
    )
    deadline_form = CycleForm(
        initial={
            "name": cycle.name,
            "slug": cycle.slug,
            "meeting": cycle.meeting,
            "period_start": cycle.period_start,
            "period_end": cycle.period_end,
            "deadline": wall_clock(cycle.deadline, cycle.time_zone),
            "time_zone": cycle.time_zone,
        }
    )
    return render(
        request,
        "recommendations/cycle_detail.html",
        {
            "cycle": cycle,
            "extensions": cycle.extensions.select_related("member_state", "granted_by"),
            "extension_form": ExtensionForm(time_zone=cycle.time_zone),
            "deadline_form": deadline_form,
        },
    )


@login_required
@require_POST
def cycle_deadline(request, slug: str):
    _require_cycle_manager(request.user)
    cycle = get_object_or_404(ReportingCycle, slug=slug)
    form = CycleForm(request.POST)
    if form.is_valid():
        services.cycle_set_deadline(
            actor=request.user,
            cycle=cycle,
            deadline=form.cleaned_data["deadline"],
            time_zone=form.cleaned_data["time_zone"],
        )
        messages.success(request, _("Deadline saved."))
    else:
        messages.error(
            request,
            _("The deadline was not saved: %(errors)s")
            % {
                "errors": "; ".join(
                    e for errors in form.errors.values() for e in errors
                )
            },
        )
    return redirect("recommendations:cycle", slug=slug)


@login_required
@require_POST
def cycle_toggle(request, slug: str):
    _require_cycle_manager(request.user)
    cycle = get_object_or_404(ReportingCycle, slug=slug)
    try:
        if cycle.is_open:
            services.cycle_close(actor=request.user, cycle=cycle)
            messages.success(request, _("Cycle closed."))
        else:
            services.cycle_open(actor=request.user, cycle=cycle)
            messages.success(request, _("Cycle opened."))
    except WorkflowError as error:
        messages.error(request, error.message)
    return redirect("recommendations:cycle", slug=slug)


@login_required
@require_POST
def extension_grant(request, slug: str):
    _require_cycle_manager(request.user)
    cycle = get_object_or_404(ReportingCycle, slug=slug)
    form = ExtensionForm(request.POST, time_zone=cycle.time_zone)
    if form.is_valid():
        try:
            services.extension_grant(
                actor=request.user, cycle=cycle, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Extension granted."))
    else:
        messages.error(
            request,
            _("The extension was not granted: %(errors)s")
            % {
                "errors": "; ".join(
                    e for errors in form.errors.values() for e in errors
                )
            },
        )
    return redirect("recommendations:cycle", slug=slug)


@login_required
@require_POST
def extension_revoke(request, slug: str, pk: int):
    _require_cycle_manager(request.user)
    extension = get_object_or_404(CycleExtension, pk=pk, cycle__slug=slug)
    services.extension_revoke(actor=request.user, extension=extension)
    messages.success(request, _("Extension withdrawn."))
    return redirect("recommendations:cycle", slug=slug)


# --- Good practices for the report ---------------------------------------------------


@login_required
@require_POST
def good_practice_mark(request, pk: int):
    update = permissions.get_update_for(request.user, pk)
    if not permissions.can_mark_good_practice(request.user):
        raise PermissionDenied
    form = GoodPracticeForm(request.POST)
    if form.is_valid():
        try:
            good_practices.good_practice_mark(
                actor=request.user,
                update=update,
                excerpt=form.cleaned_data["excerpt"],
                expected_version=form.cleaned_data["expected_version"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        except good_practices.GoodPracticeError as error:
            messages.error(request, error.message)
            return redirect(update)
        else:
            messages.success(request, _("Marked as a good practice for the report."))
            return redirect(update)
    # The form again, with what the reviewer typed and why it was refused.
    context = _detail_context(request, update, good_practice_form=form)
    return render(request, "recommendations/update_detail.html", context, status=400)


@login_required
@require_POST
def good_practice_unmark(request, pk: int):
    update = permissions.get_update_for(request.user, pk)
    if not permissions.can_mark_good_practice(request.user):
        raise PermissionDenied
    form = GoodPracticeForm(request.POST)
    version = form.cleaned_data["expected_version"] if form.is_valid() else None
    try:
        good_practices.good_practice_unmark(
            actor=request.user, update=update, expected_version=version
        )
    except good_practices.GoodPracticeError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("No longer a good practice for the report."))
    return redirect(update)


@login_required
def good_practice_list(request):
    """The good practices marked in the open cycle, and whether the report would
    quote each if compiled now."""
    if not permissions.can_mark_good_practice(request.user):
        raise PermissionDenied
    # The open cycle, or once it has closed (the report is written then) the last.
    cycle = selectors.open_cycle() or ReportingCycle.objects.first()
    if cycle is None:
        raise Http404
    quoted = {
        practice.update_id
        for practices in selectors.good_practices(
            cycle=cycle, as_of=timezone.now()
        ).values()
        for practice in practices
    }
    marks = [
        (mark, mark.update_id in quoted)
        for mark in selectors.good_practice_marks(cycle=cycle)
    ]
    return render(
        request,
        "recommendations/good_practice_list.html",
        {"cycle": cycle, "marks": marks},
    )

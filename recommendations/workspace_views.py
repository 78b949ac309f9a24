"""The focal point's workspace (and the Secretariat's, acting for a state or itself)."""

from dataclasses import dataclass
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.downloads import attachment
from core.links import link_for_each
from recommendations import good_practices, permissions, selectors, services
from recommendations.forms import (
    EvidenceForm,
    GoodPracticeForm,
    MeasureFormSet,
    NeedFormSet,
    ProgressUpdateForm,
    ReviewForm,
    add_service_error,
    filled,
    initial_from,
)
from recommendations.models import MemberState, ProgressUpdate, ReviewState, Status
from recommendations.services import StaleUpdateError, WorkflowError


def _scope_name(member_state: MemberState | None) -> str:
    return member_state.iso3 if member_state else permissions.SECRETARIAT_SCOPE


def _open_cycle_or_404():
    cycle = selectors.open_cycle()
    if cycle is None:
        raise Http404(_("No reporting cycle is open."))
    return cycle


@login_required
def workspace_home(request):
    """A focal point goes straight to its state; the Secretariat gets a list."""
    states = list(permissions.states_for(request.user, permissions.VIEW_PRIVATE))
    if permissions.reads_every_state(request.user):
        return render(
            request,
            "recommendations/workspace_home.html",
            {
                "states": states,
                "may_report_for_secretariat": permissions.can_report_on(
                    request.user, None
                ),
            },
        )
    if len(states) == 1:
        return redirect("recommendations:dashboard", scope=states[0].iso3)
    if not states:
        raise PermissionDenied
    return render(request, "recommendations/workspace_home.html", {"states": states})


@dataclass
class DashboardLine:
    """A row of the dashboard as the page writes it. Its words and links are made here,
    in a loop over some twenty rows, because a template include, ``blocktranslate``,
    ``url`` and ``date`` a cell cost more than the rest of the page together."""

    row: selectors.DashboardRow
    url: str
    heading: str
    text: str
    status_class: str
    status_label: str
    current_url: str = ""
    accepted: str = ""
    working_url: str = ""
    review_state_label: str = ""
    changed: str = ""
    new_url: str = ""


def _day(moment) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


@lru_cache(maxsize=512)
def _opening(text: str) -> str:
    """A recommendation's first words; the same few texts come back on every
    dashboard, and cutting one costs more than the rest of its row."""
    return Truncator(text).words(24, truncate=" …")


def _dashboard_lines(
    themes: list[selectors.DashboardTheme], scope: str, may_report: bool
) -> list[tuple[selectors.DashboardTheme, list[DashboardLine]]]:
    statuses = {value: str(label) for value, label in Status.choices}
    review_states = {value: str(label) for value, label in ReviewState.choices}
    no_status = {
        True: _("Status not chosen yet"),  # an update without one (a draft)
        False: _("No information"),
    }
    recommendation_link = link_for_each("reporting:recommendation", ...)
    update_link = link_for_each("recommendations:update", ...)
    new_link = link_for_each("recommendations:update-new", scope, ...)
    heading = _("Recommendation %(number)s")
    lines = []
    for group in themes:
        group_lines = []
        for row in group.rows:
            recommendation = row.recommendation
            number = recommendation.number
            status = row.current.status if row.current else ""
            line = DashboardLine(
                row=row,
                url=recommendation_link(number),
                heading=heading % {"number": number},
                text=_opening(recommendation.translated.text.text),
                status_class=status or "no_information",
                status_label=statuses[status]
                if status
                else no_status[row.current is not None],
            )
            if row.current:
                line.current_url = update_link(row.current.pk)
                line.accepted = _("accepted %(date)s") % {
                    "date": _day(row.current.reviewed_at)
                }
            if row.working:
                line.working_url = update_link(row.working.pk)
                line.review_state_label = review_states[row.working.review_state]
                line.changed = _("changed %(date)s") % {
                    "date": _day(row.working.updated_at)
                }
            elif may_report:
                line.new_url = new_link(number)
            group_lines.append(line)
        lines.append((group, group_lines))
    return lines


@login_required
def dashboard(request, scope: str):
    member_state = permissions.get_scope_for(request.user, scope)
    cycle = _open_cycle_or_404()
    may_report = permissions.may_file(request.user, cycle, member_state)
    themes = selectors.state_dashboard(cycle=cycle, member_state=member_state)
    return render(
        request,
        "recommendations/dashboard.html",
        {
            "member_state": member_state,
            "scope": _scope_name(member_state),
            "cycle": cycle,
            "deadline": selectors.deadline_for(cycle=cycle, member_state=member_state),
            "themes": _dashboard_lines(themes, _scope_name(member_state), may_report),
            "may_report": may_report,
        },
    )


# Empty rows a formset shows: what the page had, one more after "Add another …".
ROW_PREFIXES = ("measures", "needs")
MAX_EMPTY_ROWS = 10


def _bound_forms(request, *, on_behalf: bool, initial=None, measures=None, needs=None):
    posted = request.method == "POST"
    data, files = (request.POST, request.FILES) if posted else (None, None)
    form = ProgressUpdateForm(data, files, initial=initial, on_behalf=on_behalf)
    formsets = []
    for formset_class, rows, prefix in (
        (MeasureFormSet, measures, "measures"),
        (NeedFormSet, needs, "needs"),
    ):
        formset = formset_class(data, initial=rows, prefix=prefix)
        formset.extra = _empty_rows(request, prefix, formset.extra)
        formsets.append(formset)
    return form, *formsets


def _empty_rows(request, prefix: str, default: int) -> int:
    try:
        wanted = int(request.GET.get(f"empty_{prefix}", default))
    except ValueError:
        return default
    return min(max(wanted, 1), MAX_EMPTY_ROWS)


def _row_to_add(request) -> str | None:
    """The formset whose "Add another" button was pressed, if any."""
    action = request.POST.get("action", "")
    prefix = action.removeprefix("add-")
    return prefix if action.startswith("add-") and prefix in ROW_PREFIXES else None


def _after_save(request, update, measure_set, need_set):
    """Where a saved form goes: its own page, or back to the form with one more
    empty row, or (when it was meant for submission) to submit it."""
    upload = request.FILES.get("evidence")
    if upload:
        messages.success(request, _("“%(name)s” attached.") % {"name": upload.name})
    adding = _row_to_add(request)
    if adding:
        messages.success(request, _("Draft saved."))
        formset = measure_set if adding == "measures" else need_set
        empty = sum(1 for row in formset.forms if not row.cleaned_data.get("kind"))
        url = reverse("recommendations:update-edit", args=[update.pk])
        return redirect(f"{url}?empty_{adding}={empty + 1}#{adding}-rows")
    if request.POST.get("action") == "submit":
        try:
            update = services.progress_update_submit(update=update, actor=request.user)
        except (ValidationError, WorkflowError) as error:
            # The draft is saved; the form lists what submission still needs.
            messages.warning(
                request,
                _("Draft saved, but not submitted: %(reasons)s")
                % {"reasons": " ".join(_reasons(error))},
            )
            return redirect("recommendations:update-edit", update.pk)
    _saved_message(request, update)
    return redirect(update)


def _file_not_kept(request, form) -> None:
    """A refused post keeps the typed text, but a browser cannot refill a file field."""
    sent = request.method == "POST" and request.FILES.get("evidence")
    if sent and "evidence" not in form.errors:
        form.add_error(
            "evidence",
            _("Nothing was saved, so the file was not attached: choose it again."),
        )


def _reasons(error) -> list[str]:
    return [error.message] if isinstance(error, WorkflowError) else error.messages


def _valid(*forms) -> bool:
    results = [form.is_valid() for form in forms]  # every form, for its errors
    return all(results)


@login_required
def update_new(request, scope: str, number: int):
    member_state = permissions.get_scope_for(request.user, scope)
    if not permissions.can_report_on(request.user, member_state):
        raise PermissionDenied
    cycle = _open_cycle_or_404()
    recommendation = (
        selectors.recommendations_for(
            instrument=cycle.instrument, member_state=member_state
        )
        .filter(number=number)
        .first()
    )
    if recommendation is None:
        raise Http404
    previous = (
        cycle.updates.current()
        .filter(member_state=member_state, recommendation=recommendation)
        .first()
    )
    initial, measures, needs = initial_from(previous) if previous else ({}, [], [])
    initial.setdefault("narrative_language", request.LANGUAGE_CODE)
    initial.setdefault("narrative_visibility", "confidential")
    on_behalf = permissions.acts_on_behalf(request.user, member_state)
    form, measure_set, need_set = _bound_forms(
        request, on_behalf=on_behalf, initial=initial, measures=measures, needs=needs
    )
    if request.method == "POST" and _valid(form, measure_set, need_set):
        try:
            update = services.progress_update_create(
                actor=request.user,
                cycle=cycle,
                member_state=member_state,
                recommendation=recommendation,
                content=form.to_content(filled(measure_set), filled(need_set)),
                evidence=form.cleaned_data.get("evidence"),
            )
        except ValidationError as error:
            add_service_error(form, error)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            return _after_save(request, update, measure_set, need_set)
    _file_not_kept(request, form)
    return render(
        request,
        "recommendations/update_form.html",
        {
            "form": form,
            "measure_set": measure_set,
            "need_set": need_set,
            "member_state": member_state,
            "scope": _scope_name(member_state),
            "recommendation": recommendation,
            "cycle": cycle,
            "previous": previous,
            "refused": request.method == "POST",
            "deadline": selectors.deadline_for(cycle=cycle, member_state=member_state),
            # The draft about to be saved, under the same rules as any update.
            "may_submit": permissions.allowed_actions(
                request.user,
                ProgressUpdate(cycle=cycle, member_state=member_state),
            ).submit,
        },
    )


@login_required
def update_edit(request, pk: int):
    update = permissions.get_update_for(request.user, pk, to_change=True)
    prefetch_related_objects([update.cycle], "extensions")  # read twice: once
    actions = permissions.allowed_actions(request.user, update)
    if not actions.edit:
        messages.error(request, _edit_refusal(update))
        return redirect(update)
    initial, measures, needs = initial_from(update)
    form, measure_set, need_set = _bound_forms(
        request,
        on_behalf=update.on_behalf,
        initial=initial,
        measures=measures,
        needs=needs,
    )
    conflict = None
    if request.method == "POST" and _valid(form, measure_set, need_set):
        version = form.cleaned_data.get("version") or 0
        try:
            update = services.progress_update_edit(
                update=update,
                actor=request.user,
                content=form.to_content(filled(measure_set), filled(need_set)),
                expected_version=version,
                evidence=form.cleaned_data.get("evidence"),
            )
        except StaleUpdateError as error:
            # The person's text stays in the form so nothing typed is lost.
            conflict = error
        except ValidationError as error:
            add_service_error(form, error)
        except WorkflowError as error:
            form.add_error(None, error.message)
        else:
            return _after_save(request, update, measure_set, need_set)
    _file_not_kept(request, form)
    return render(
        request,
        "recommendations/update_form.html",
        {
            "form": form,
            "measure_set": measure_set,
            "need_set": need_set,
            "update": update,
            "member_state": update.member_state,
            "scope": _scope_name(update.member_state),
            "recommendation": update.recommendation,
            "cycle": update.cycle,
            "conflict": conflict,
            "refused": request.method == "POST" and conflict is None,
            "may_submit": actions.submit,
            "latest_return": selectors.latest_return(update),
            "missing": list(services.submission_missing(update).values())
            if actions.submit
            else [],
            "evidence": update.evidence.all(),
            "deadline": selectors.deadline_for(
                cycle=update.cycle, member_state=update.member_state
            ),
        },
        status=409 if conflict else 200,
    )


def _edit_refusal(update) -> str:
    """Why someone who reports for the state may not edit the update now."""
    if not update.cycle.is_open:
        return services.closed_refusal(update.cycle)
    return services.edit_refusal(update)


def _saved_message(request, update) -> None:
    if update.review_state == ReviewState.SUBMITTED:
        messages.success(request, _("Submitted to the Secretariat for review."))
    else:
        messages.success(request, _("Draft saved."))


def _detail_context(request, update, review_form=None, good_practice_form=None) -> dict:
    # The deadline is read for the buttons and the page alike: its extensions once.
    prefetch_related_objects([update.cycle], "extensions")
    return {
        "good_practice": _good_practice(request.user, update, good_practice_form),
        "update": update,
        "scope": _scope_name(update.member_state),
        "measures": update.measures.all(),
        "needs": update.assistance_needs.all(),
        "evidence": update.evidence.all(),
        "timeline": selectors.update_timeline(update=update),
        "actions": permissions.allowed_actions(request.user, update),
        "evidence_form": EvidenceForm(),
        "review_form": review_form or ReviewForm(),
        "deadline": selectors.deadline_for(
            cycle=update.cycle, member_state=update.member_state
        ),
    }


def _good_practice(user, update, form=None) -> dict | None:
    """A reviewer's panel on an accepted update: its good-practice mark for the
    report, and the form to mark it, change the excerpt or unmark it."""
    if update.review_state != ReviewState.ACCEPTED:
        return None
    if not permissions.can_mark_good_practice(user):
        return None
    latest = good_practices.latest_mark(update)
    mark = latest if latest is not None and latest.is_live else None
    version = latest.version if latest is not None else 0
    if form is None:
        form = GoodPracticeForm(
            initial={
                "excerpt": mark.excerpt if mark else update.summary,
                "expected_version": version,
            }
        )
    return {
        "mark": mark,
        "version": version,
        "refusal": good_practices.refusal_for(update),
        "form": form,
    }


@login_required
def update_detail(request, pk: int):
    update = permissions.get_update_for(request.user, pk)
    return render(
        request, "recommendations/update_detail.html", _detail_context(request, update)
    )


def _workflow_step(request, pk: int, step, done: str):
    update = permissions.get_update_for(request.user, pk, to_change=True)
    try:
        step(update=update, actor=request.user)
    except (ValidationError, WorkflowError) as error:
        messages.error(
            request, getattr(error, "message", None) or " ".join(error.messages)
        )
    else:
        messages.success(request, done)
    return update


@login_required
@require_POST
def update_submit(request, pk: int):
    update = _workflow_step(
        request,
        pk,
        services.progress_update_submit,
        _("Submitted to the Secretariat for review."),
    )
    return redirect(update)


@login_required
@require_POST
def update_withdraw(request, pk: int):
    update = _workflow_step(
        request,
        pk,
        services.progress_update_withdraw,
        _("Withdrawn: the update is a draft again."),
    )
    return redirect(update)


@login_required
@require_http_methods(["GET", "POST"])
def update_delete(request, pk: int):
    """Asks first (GET); only the confirmation's POST deletes."""
    update = permissions.get_update_for(request.user, pk, to_change=True)
    scope = _scope_name(update.member_state)
    if request.method == "GET":
        if not permissions.allowed_actions(request.user, update).delete:
            messages.error(request, services.delete_refusal(update))
            return redirect(update)
        return render(
            request,
            "recommendations/update_confirm_delete.html",
            {"update": update, "scope": scope, "evidence": update.evidence.all()},
        )
    try:
        services.progress_update_delete(update=update, actor=request.user)
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect(update)
    messages.success(request, _("Draft deleted."))
    return redirect("recommendations:dashboard", scope=scope)


@login_required
@require_POST
def update_review(request, pk: int):
    update = permissions.get_update_for(request.user, pk)
    if not permissions.can_review(request.user):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                services.progress_update_accept(
                    update=update, actor=request.user, checklist=form.checklist()
                )
                messages.success(
                    request, _("Accepted: the update is now the state's status.")
                )
            else:
                services.progress_update_return(
                    update=update,
                    actor=request.user,
                    comment=form.cleaned_data["comment"],
                    checklist=form.checklist(),
                )
                messages.success(request, _("Returned to the state with your comment."))
            return redirect("recommendations:review-queue")
        except ValidationError as error:
            add_service_error(form, error)
        except WorkflowError as error:
            # Not a matter of the form: this person may not review this update now.
            messages.error(request, error.message)
            return redirect(update)
    context = _detail_context(request, update, review_form=form)
    if not context["actions"].review:
        messages.error(request, _("You cannot review this update."))
        return redirect(update)
    # The review form again, with its errors, on the update's page.
    return render(request, "recommendations/update_detail.html", context, status=400)


@login_required
@require_POST
def evidence_upload(request, pk: int):
    update = permissions.get_update_for(request.user, pk, to_change=True)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return redirect(update)
    try:
        evidence = services.evidence_add(
            update=update, actor=request.user, upload=form.cleaned_data["file"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("“%(name)s” attached.") % {"name": evidence.original_name}
        )
    return redirect(update)


@login_required
def evidence_download(request, pk: int):
    evidence = permissions.get_evidence_for(request.user, pk)
    return attachment(
        evidence.file,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )


@login_required
@require_POST
def evidence_delete(request, pk: int):
    evidence = permissions.get_evidence_for(request.user, pk)
    update = evidence.update
    if not permissions.can_report_on(request.user, update.member_state):
        raise PermissionDenied
    try:
        services.evidence_remove(evidence=evidence, actor=request.user)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("File removed."))
    return redirect(reverse("recommendations:update", args=[update.pk]))

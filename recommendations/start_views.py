"""Where a person lands after signing in: what their roles have to do next."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from recommendations import permissions, selectors


@login_required
def start(request):
    """A section per thing the person may do: each state they report for (and the
    Secretariat's own recommendations), the review queue, the states' coverage.
    The same queries however many updates there are."""
    user = request.user
    cycle = selectors.open_cycle()
    scopes: list = list(permissions.own_states(user))
    if permissions.can_report_on(user, None):
        scopes.append(None)
    context = {
        "cycle": cycle,
        "reports": bool(scopes),
        "reviews": permissions.can_review(user),
        "follows_coverage": permissions.can_follow_up(user),
        "now": timezone.now(),
    }
    if cycle is not None:
        context["due"] = selectors.due_work(cycle=cycle, member_states=scopes)
        if context["reviews"]:
            context["queue"] = selectors.review_queue_summary(cycle=cycle)
        if context["follows_coverage"]:
            context["coverage"] = selectors.coverage_summary(cycle=cycle)
    return render(request, "recommendations/start.html", context)

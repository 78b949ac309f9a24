"""The notifications a person was sent, in the portal."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.services import notifications_mark_seen
from recommendations.notifications import notifications_for


@login_required
def notification_list(request):
    seen_before = request.user.notifications_seen_at
    page = Paginator(notifications_for(request.user), 25).get_page(
        request.GET.get("page")
    )
    if page.number == 1 and page.object_list:
        # The first page shows the newest: everything up to it is now read.
        notifications_mark_seen(
            user=request.user, newest_seen=page.object_list[0].created_at
        )
    return render(
        request,
        "portal/notifications.html",
        {"page": page, "seen_before": seen_before},
    )

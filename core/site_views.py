from django.http import HttpResponseRedirect
from django.middleware.csrf import REASON_NO_CSRF_COOKIE, REASON_NO_REFERER
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=60 * 60 * 24, public=True)
def favicon(request):
    """Browsers and feed readers ask for /favicon.ico whatever the page says: send
    them to the icon the pages link to. Not permanent, as its hashed name changes."""
    return HttpResponseRedirect(static("img/favicon.svg"))


def csrf_failure(request, reason: str = ""):
    """A form refused by the CSRF check: what happened and what to do, in the
    reader's language. Django gives a project's own template no reason, and the
    reason decides the advice."""
    return render(
        request,
        "403_csrf.html",
        {
            "no_referer": reason == REASON_NO_REFERER,
            "no_cookie": reason == REASON_NO_CSRF_COOKIE,
        },
        status=403,
    )

from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=60 * 60 * 24, public=True)
def favicon(request):
    """Browsers and feed readers ask for /favicon.ico whatever the page says: send
    them to the icon the pages link to. Not permanent, as its hashed name changes."""
    return HttpResponseRedirect(static("img/favicon.svg"))

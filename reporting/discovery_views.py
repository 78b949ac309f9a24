"""``/sitemap.xml`` and ``/robots.txt``: what search engines may read, and where."""

from django.conf import settings
from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from core.links import absolute_url
from reporting.sitemaps import SITEMAPS

# Under each language: pages behind a sign-in, and the search, whose endless
# combinations of terms and filters are no page of their own.
PRIVATE = [
    "accounts/",
    "admin/",
    "start/",
    "workspace/",
    "updates/",
    "evidence/",
    "review/",
    "cycles/",
    "translations/",
    "reports/",
    "search/",
]
# Under a private prefix, yet public.
PUBLIC = ["reports/published/"]


@require_safe
def sitemap(request):
    return django_sitemap(request, sitemaps=SITEMAPS)


@require_safe
def robots_txt(request):
    languages = [code for code, _name in settings.LANGUAGES]
    lines = [
        "User-agent: *",
        # Allow first: crawlers that take the first match (Python's robotparser)
        # then agree with those that take the longest (RFC 9309).
        *(f"Allow: /{code}/{path}" for code in languages for path in PUBLIC),
        *(f"Disallow: /{code}/{path}" for code in languages for path in PRIVATE),
        "Disallow: /api/v1/auth/",
        "Disallow: /i18n/",
        "",
        f"Sitemap: {absolute_url(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")

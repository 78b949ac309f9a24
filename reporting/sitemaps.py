"""The public pages, for search engines: each in the four languages, with its
alternates (``hreflang``) and the address without a language (``x-default``) that
sends a visitor to theirs.

Every address is built on SITE_URL, as the feed's and the open data's are, never on
the Host header of the request that asked for the sitemap.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from recommendations.models import MemberState, Recommendation, Theme
from recommendations.selectors import current_instrument


class PortalSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None) -> str:
        address = urlsplit(settings.SITE_URL)
        return f"{address.netloc}{address.path}"


class PagesSitemap(PortalSitemap):
    priority = 0.8

    def items(self) -> list[str]:
        return [
            "home",
            "recommendations:catalogue",
            "reporting:dashboard",
            "reporting:map",
            "reporting:states",
            "reporting:data",
            "reports:published",
        ]

    def location(self, item: str) -> str:
        return reverse(item)


class RecommendationsSitemap(PortalSitemap):
    def items(self):
        return Recommendation.objects.filter(instrument=current_instrument()).order_by(
            "number"
        )

    def location(self, item: Recommendation) -> str:
        return reverse("reporting:recommendation", args=[item.number])


class ThemesSitemap(PortalSitemap):
    def items(self):
        return Theme.objects.filter(instrument=current_instrument()).order_by(
            "position"
        )

    def location(self, item: Theme) -> str:
        return reverse("reporting:theme", args=[item.slug])


class StatesSitemap(PortalSitemap):
    def items(self):
        return MemberState.objects.order_by("iso3")

    def location(self, item: MemberState) -> str:
        return reverse("reporting:state", args=[item.iso3])


SITEMAPS = {
    "pages": PagesSitemap,
    "recommendations": RecommendationsSitemap,
    "themes": ThemesSitemap,
    "states": StatesSitemap,
}

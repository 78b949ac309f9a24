from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from accounts import security_views
from core import health, site_views
from reporting import discovery_views, home_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("favicon.ico", site_views.favicon, name="favicon"),
    path("robots.txt", discovery_views.robots_txt, name="robots"),
    path("sitemap.xml", discovery_views.sitemap, name="sitemap"),
    path("", include("portal.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

urlpatterns += i18n_patterns(
    path("", home_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("", include("recommendations.urls")),
    path("reports/", include("reporting.urls")),
    path("", include("reporting.public_urls")),
    # One door in: the admin's own login form would skip the two-factor step.
    path("admin/login/", security_views.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
)

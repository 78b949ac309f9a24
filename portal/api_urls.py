"""The REST API: version 1 under /api/v1/, its OpenAPI schema and its documentation.

A change that breaks clients goes into /api/v2/, mounted beside it in its own
namespace, while /api/v1/ keeps working; see the README's API section.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from accounts.api import ApiTokenListView, ApiTokenView, TokenView
from core.api_views import DocsView, not_found
from recommendations.api import views as recommendation_views
from reporting import api as reporting_api

router = SimpleRouter()
router.register(
    "instruments", recommendation_views.InstrumentViewSet, basename="instrument"
)
router.register("themes", recommendation_views.ThemeViewSet, basename="theme")
router.register(
    "recommendations",
    recommendation_views.RecommendationViewSet,
    basename="recommendation",
)
router.register(
    "member-states", recommendation_views.MemberStateViewSet, basename="member-state"
)
router.register("cycles", recommendation_views.CycleViewSet, basename="cycle")
router.register(
    "progress-updates",
    recommendation_views.ProgressUpdateViewSet,
    basename="progress-update",
)
router.register("reports", reporting_api.ReportRunViewSet, basename="report")

v1 = [
    path("auth/token/", TokenView.as_view(), name="token"),
    path("auth/tokens/", ApiTokenListView.as_view(), name="tokens"),
    path("auth/tokens/<uuid:id>/", ApiTokenView.as_view(), name="token-detail"),
    path("status/", reporting_api.StatusView.as_view(), name="status"),
    *router.urls,
]

urlpatterns = [
    # NamespaceVersioning: request.version is the namespace, "v1".
    path("api/v1/", include((v1, "v1"))),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(api_version="v1"),
        name="api-schema",
    ),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    re_path(r"^api/", not_found),
]

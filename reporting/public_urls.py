from django.urls import path

from reporting import embed_views, opendata_views, public_views, search_views

app_name = "reporting"

urlpatterns = [
    path(
        "recommendations/<int:number>/",
        public_views.recommendation,
        name="recommendation",
    ),
    path("status/", public_views.dashboard, name="dashboard"),
    path("status/map/", public_views.status_map, name="map"),
    path("states/", public_views.state_list, name="states"),
    path("states/<str:iso3>/", public_views.state_detail, name="state"),
    path(
        "states/<str:iso3>/recommendations/<int:number>/",
        public_views.state_recommendation,
        name="state-recommendation",
    ),
    path("themes/<slug:slug>/", public_views.theme_detail, name="theme"),
    path("search/", search_views.search, name="search"),
    path("data/", opendata_views.data_home, name="data"),
    path("data/export/", opendata_views.full_export, name="export"),
    path("data/<slug:name>.<str:extension>", opendata_views.download, name="download"),
    path(
        "data/<slug:name>/datapackage.json",
        opendata_views.download_package,
        name="download-package",
    ),
    path("feed/", opendata_views.feed, name="feed"),
    # Each chart and the map as an SVG or PNG file, and as an embed for other sites.
    *(
        route
        for figure, prefix, embed_prefix in [
            ("map", "status/map", "embed/map/"),
            (
                "dashboard-chart",
                "status/charts/<slug:name>",
                "embed/charts/<slug:name>/",
            ),
            ("theme-chart", "themes/<slug:slug>/chart", "embed/themes/<slug:slug>/"),
            ("state-chart", "states/<str:iso3>/chart", "embed/states/<str:iso3>/"),
            (
                "recommendation-chart",
                "recommendations/<int:number>/chart",
                "embed/recommendations/<int:number>/",
            ),
        ]
        for route in (
            path(
                f"{prefix}.<str:extension>",
                embed_views.download,
                {"figure": figure},
                name=f"{figure}-download",
            ),
            path(
                embed_prefix,
                embed_views.embed,
                {"figure": figure},
                name=f"{figure}-embed",
            ),
        )
    ),
]

from django.urls import path

from reporting import opendata_views, public_views, search_views

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
    path("feed/", opendata_views.feed, name="feed"),
]

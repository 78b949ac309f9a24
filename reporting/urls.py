from django.urls import path

from reporting import views

app_name = "reports"

urlpatterns = [
    path("", views.reports_home, name="home"),
    path("generate/", views.generate, name="generate"),
    path("states/", views.state_choice, name="state-choice"),
    path("states/<str:iso3>/", views.state_reports, name="state"),
    path("states/<str:iso3>/generate/", views.generate, name="generate-state"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/status/", views.run_status, name="status"),
    path("runs/<int:pk>/download/", views.run_download, name="download"),
    path("runs/<int:pk>/docx/", views.run_download_docx, name="download-docx"),
    path("runs/<int:pk>/publish/", views.run_publish, name="publish"),
    path("runs/<int:pk>/unpublish/", views.run_unpublish, name="unpublish"),
    path("texts/<slug:slug>/<str:language>/", views.text_edit, name="text-edit"),
    path("published/", views.published_list, name="published"),
    path(
        "published/<int:pk>/download/",
        views.published_download,
        name="published-download",
    ),
    path(
        "published/profiles/<int:pk>/download/",
        views.published_profile_download,
        name="profile-download",
    ),
]

from django.urls import path

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("<int:number>/", views.recommendation, name="recommendation"),
]

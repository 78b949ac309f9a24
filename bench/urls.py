from django.conf.urls.i18n import i18n_patterns
from django.shortcuts import render
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def minimal(request):
    """The base layout and nothing else: the floor every page stands on."""
    return render(request, "base.html")


urlpatterns = [
    *i18n_patterns(path("bench/minimal/", minimal)),
    *portal_urlpatterns,
]

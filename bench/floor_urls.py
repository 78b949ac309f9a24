from django.http import HttpResponse
from django.urls import path

PAGE = b"<!doctype html><html lang=en><title>Floor</title><p>The bare floor.</p></html>"


def floor(request):
    """A page of a few bytes, as small as a Django view gets."""
    return HttpResponse(PAGE)


urlpatterns = [
    path("healthz", floor),
    path("floor/", floor),
]

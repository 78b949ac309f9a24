"""The home page: what the portal follows, and the latest published report."""

from django.shortcuts import render

from core.publication import public_page
from recommendations.selectors import catalogue_overview
from reporting import selectors


@public_page
def home(request):
    return render(
        request,
        "portal/home.html",
        {
            "overview": catalogue_overview(),
            "latest_report": selectors.latest_report(),
        },
    )

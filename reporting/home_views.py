"""The home page: what the portal follows, and the latest published report."""

from django.shortcuts import render

from recommendations.selectors import catalogue_overview
from reporting import selectors


def home(request):
    return render(
        request,
        "portal/home.html",
        {
            "overview": catalogue_overview(),
            "latest_report": selectors.latest_report(),
        },
    )

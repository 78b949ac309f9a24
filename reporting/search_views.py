"""The public search: recommendations, member states and published summaries.

Not cached whole like the other public pages: every query would be a page of its own.
"""

from django.core.paginator import Paginator
from django.shortcuts import render

from reporting.public_forms import SearchForm
from reporting.selectors import public_search

SUMMARIES_PER_PAGE = 20


def search(request):
    form = SearchForm(request.GET if "q" in request.GET else None)
    context = {"form": form, "results": None}
    if form.is_bound and form.is_valid():
        results = public_search(query=form.cleaned_data["q"])
        context["results"] = results
        context["summaries"] = Paginator(
            results.summaries, SUMMARIES_PER_PAGE
        ).get_page(request.GET.get("page"))
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "reporting/public/search.html", context, status=status)

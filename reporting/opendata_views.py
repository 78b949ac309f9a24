"""Downloads of the open data, the data dictionary, and the feed of accepted updates.

All of them in the language of their address (``/es/data/``, ``/es/feed/``).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.links import absolute_url
from core.publication import public_page
from recommendations.models import ProgressUpdate
from reporting import opendata
from reporting.public_forms import DataFilterForm
from reporting.selectors import public_cycle_or_404, published_reports, status_matrix

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@public_page
def data_home(request):
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    matrix = status_matrix(cycle=cycle)
    tables = [build(matrix, opendata.Filters()) for build in opendata.TABLES.values()]
    reports = published_reports()
    return render(
        request,
        "reporting/public/data.html",
        {
            "cycle": cycle,
            "tables": tables,
            "formats": list(FORMATS),
            "licence": opendata.licence(),
            "language": opendata.language(),
            "reports": reports,
        },
    )


def _filtered_table(request, name: str):
    """The table ``name`` of the asked cycle, filtered as asked, with that cycle; or
    the 400 answer saying what is wrong with the filters."""
    build = opendata.TABLES.get(name)
    if build is None:
        raise Http404
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    matrix = status_matrix(cycle=cycle)
    filters = DataFilterForm(request.GET, matrix=matrix)
    if not filters.is_valid():
        return (
            None,
            cycle,
            HttpResponseBadRequest(
                "\n".join(filters.error_texts()) + "\n",
                content_type="text/plain; charset=utf-8",
            ),
        )
    return build(matrix, filters.filters()), cycle, None


def _package_url(request, name: str) -> str:
    path = reverse("reporting:download-package", args=[name])
    return absolute_url(f"{path}?{request.GET.urlencode()}" if request.GET else path)


@public_page
def download(request, name: str, extension: str):
    if extension not in FORMATS:
        raise Http404
    table, cycle, refusal = _filtered_table(request, name)
    if refusal:
        return refusal
    now = timezone.now()
    if extension == "csv":
        body = opendata.as_csv(table)
    elif extension == "json":
        body = opendata.as_json(table, cycle=cycle, generated_at=now)
    else:
        body = opendata.as_xlsx(table, cycle=cycle, generated_at=now)
    response = HttpResponse(body, content_type=FORMATS[extension])
    filename = f"{cycle.slug}-{name}{opendata.file_suffix()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Link"] = ", ".join(
        [
            f'<{opendata.licence()["url"]}>; rel="license"',
            f'<{_package_url(request, name)}>; rel="describedby"; '
            'type="application/json"',
        ]
    )
    return response


@public_page
def download_package(request, name: str):
    """The Data Package of one table's downloads: the files of the same cycle and
    filters, at their absolute addresses, and their Table Schema."""
    table, cycle, refusal = _filtered_table(request, name)
    if refusal:
        return refusal
    query = request.GET.copy()
    query["cycle"] = cycle.slug  # the files of this cycle, whichever opens next

    def address(extension: str):
        path = reverse("reporting:download", args=[name, extension])
        return lambda table: absolute_url(f"{path}?{query.urlencode()}")

    package = opendata.data_package(
        [table],
        cycle=cycle,
        generated_at=timezone.now(),
        files={extension: address(extension) for extension in FORMATS},
    )
    return HttpResponse(
        opendata.as_package_json(package), content_type="application/json"
    )


def full_export(request):
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    filename, body = opendata.full_export(status_matrix(cycle=cycle))
    response = HttpResponse(body, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class AcceptedUpdatesFeed(Feed):
    """Newly accepted updates, public parts only.

    Every link and id is absolute on SITE_URL: Django would otherwise build them
    on the request's Host header, and the cached feed would give every reader the
    links of the first one's. Entries have no author of their own (a state's focal
    point is no public name), so the feed names the Secretariat that publishes them,
    as RFC 4287 (4.1.1) requires.
    """

    feed_type = Atom1Feed
    author_name = gettext_lazy("OAS Secretariat")
    title = gettext_lazy("Accepted progress updates on trafficking in persons")
    subtitle = gettext_lazy(
        "Progress of the OAS member states on the recommendations of the Seventh "
        "Meeting of National Authorities, as accepted by the OAS Secretariat."
    )

    def link(self):
        return absolute_url(reverse("reporting:dashboard"))

    def feed_url(self):
        return absolute_url(reverse("reporting:feed"))

    def author_link(self):
        return absolute_url(reverse("home"))

    def feed_guid(self):
        return self.feed_url()

    def items(self):
        return (
            ProgressUpdate.objects.accepted()
            .select_related("member_state", "recommendation", "cycle")
            .order_by("-reviewed_at")[:50]
        )

    def item_title(self, item):
        who = item.member_state.name if item.member_state else _("OAS Secretariat")
        return _("%(who)s, recommendation %(number)s: %(status)s") % {
            "who": who,
            "number": item.recommendation.number,
            "status": item.get_status_display(),
        }

    def item_description(self, item):
        return item.summary

    def item_link(self, item):
        if item.member_state is None:
            path = reverse(
                "reporting:recommendation", args=[item.recommendation.number]
            )
        else:
            path = reverse(
                "reporting:state-recommendation",
                args=[item.member_state.iso3, item.recommendation.number],
            )
        return absolute_url(path)

    def item_guid(self, item):
        """A tag: URI (RFC 4151) on SITE_URL's host and the day the update was
        written: the same in every language and render, and apart from the page,
        which shows only a state's latest update."""
        host = urlsplit(settings.SITE_URL).hostname
        return f"tag:{host},{item.created_at:%Y-%m-%d}:progress-update/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.reviewed_at

    def item_updateddate(self, item):
        return item.reviewed_at


feed = public_page(AcceptedUpdatesFeed())

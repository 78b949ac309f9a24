"""The public charts and the map as files (SVG, PNG) and as embeds for other sites.

Both are public pages, cached like the others until something is published. An
embed is the one kind of page another site may frame: its views lift the
Content-Security-Policy's ``frame-ancestors 'none'`` and X-Frame-Options; those
decorators wrap the cache, so a copy served from it is framable too, and nothing
else is.
"""

from csp.decorators import csp_replace
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.views.decorators.clickjacking import xframe_options_exempt

from core.publication import public_page
from recommendations import selectors as catalogue
from recommendations.models import MemberState, Recommendation, Theme
from reporting import figures
from reporting.selectors import public_cycle_or_404, status_matrix


def _figure(request, figure: str, *, printed: bool, **key) -> figures.Figure:
    """The figure a download or embed URL names, for the cycle it asks for."""
    chosen = bool(request.GET.get("cycle"))
    if figure == "recommendation-chart":
        # As on the recommendation's page: the current instrument, the public cycle.
        try:
            item = catalogue.recommendation_detail(
                instrument=catalogue.current_instrument(), number=key["number"]
            )
        except Recommendation.DoesNotExist:
            raise Http404 from None
        cycle = public_cycle_or_404(None)
        matrix = status_matrix(cycle=cycle, details=False)
        return figures.recommendation_chart(matrix, item, printed=printed)
    cycle = public_cycle_or_404(request.GET.get("cycle"))
    matrix = status_matrix(cycle=cycle, details=False)
    options = {"printed": printed, "chosen": chosen}
    if figure == "map":
        return figures.americas_map(matrix, linked=False, **options)
    if figure == "dashboard-chart":
        if key["name"] not in figures.DASHBOARD_CHARTS:
            raise Http404
        return figures.dashboard_chart(matrix, key["name"], linked=False, **options)
    if figure == "theme-chart":
        theme = get_object_or_404(Theme, instrument=cycle.instrument, slug=key["slug"])
        return figures.theme_chart(matrix, theme, linked=False, **options)
    if figure == "state-chart":
        state = get_object_or_404(MemberState, iso3=key["iso3"].upper())
        return figures.state_chart(matrix, state, **options)
    raise Http404


@public_page
def download(request, figure: str, extension: str, **key):
    """The figure as printed, with its title and source, as an SVG or PNG file."""
    if extension not in figures.EXTENSIONS:
        raise Http404
    chosen = _figure(request, figure, printed=True, **key)
    source = figures.source_line(chosen, request.build_absolute_uri(chosen.page_url))
    svg = figures.file_svg(chosen, source=source)
    if extension == "svg":
        content, content_type = svg.encode("utf-8"), "image/svg+xml"
    else:
        content, content_type = figures.file_png(svg), "image/png"
    file_name = f"oas-tip-{chosen.name}-{get_language()}.{extension}"
    return HttpResponse(
        content,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
@public_page
def embed(request, figure: str, **key):
    """The figure alone, with its source and a link to its page, for an iframe."""
    chosen = _figure(request, figure, printed=False, **key)
    page_url = request.build_absolute_uri(chosen.page_url)
    return render(
        request,
        "reporting/public/embed.html",
        {
            "figure": chosen,
            "page_url": page_url,
            "source": figures.source_line(chosen, page_url),
        },
    )

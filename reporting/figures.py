"""The public charts and the map, each built once for its page, its files and its embed.

On its page a figure scales with the page and links to what it shows. Its files
(SVG, and PNG drawn from it) hold the figure as printed (``charts.PRINT``: natural
size, every count written, a legend of what it draws) with its title and source
drawn in, so that a file says what it is once it travels alone. Its embed shows the
page's figure without links, which would open inside another site's frame.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from reporting import charts, maps
from reporting.labels import category_labels
from reporting.selectors import StatusMatrix

SVG_NS = "http://www.w3.org/2000/svg"
EXTENSIONS = ("svg", "png")
# A PNG this many pixels wide: sharp on a slide or a high-density screen.
PNG_WIDTH = 1200
MAP_BINS = [0.2, 0.4, 0.6, 0.8]
DASHBOARD_CHARTS = ("recommendations", "themes")


@dataclass(frozen=True)
class Figure:
    """A chart or the map, with what its download and embed links need."""

    kind: str  # "chart" or "map": the words of its links
    name: str  # the file name, without its extension
    title: str
    svg: SafeString
    page_url: str
    route: str  # the URL names "reporting:<route>-download" and "<route>-embed"
    url_kwargs: dict[str, object] = field(default_factory=dict)
    query: str = ""  # "cycle=<slug>" when the page shows a chosen cycle
    # The map's key, as HTML beside it (the SVG's own is unreadable on a phone).
    legend: Sequence[maps.LegendEntry] = ()
    rows: Sequence[dict] = ()
    embed_height: int = 420
    matrix: StatusMatrix | None = None  # what it was drawn from, for its source

    def download_url(self, extension: str) -> str:
        url = reverse(
            f"reporting:{self.route}-download",
            kwargs={**self.url_kwargs, "extension": extension},
        )
        return f"{url}?{self.query}" if self.query else url

    @property
    def svg_url(self) -> str:
        return self.download_url("svg")

    @property
    def png_url(self) -> str:
        return self.download_url("png")

    @property
    def embed_url(self) -> str:
        url = reverse(f"reporting:{self.route}-embed", kwargs=self.url_kwargs)
        return f"{url}?{self.query}" if self.query else url


def _medium(printed: bool) -> charts.Medium:
    return charts.PRINT if printed else charts.SCREEN


def _query(cycle, chosen: bool) -> str:
    return f"cycle={cycle.slug}" if chosen else ""


def recommendation_rows(
    matrix, recommendations, *, linked: bool = True
) -> list[charts.ChartRow]:
    return [
        charts.ChartRow(
            label=r.numbered_title,
            counts=matrix.counts_for_recommendation(r),
            href=r.get_absolute_url() if linked else None,
        )
        for r in recommendations
    ]


def dashboard_chart(
    matrix, name: str, *, printed=False, linked=True, chosen=False
) -> Figure:
    """The dashboard's chart by recommendation or by theme."""
    labels = category_labels()
    linked = linked and not printed
    if name == "recommendations":
        title = _("Status of the participating states, by recommendation")
        svg = charts.status_bars(
            rows=recommendation_rows(
                matrix, matrix.state_recommendations, linked=linked
            ),
            title=title,
            description=charts.status_summary(
                matrix.counts_for(matrix.state_recommendations), labels
            ),
            category_labels=labels,
            id_prefix="chart-recommendations",
            medium=_medium(printed),
        )
        file_name = "status-by-recommendation"
    else:
        title = _("Status by theme")
        svg = charts.status_bars(
            rows=[
                charts.ChartRow(
                    label=str(row.theme.translated.title),
                    counts=row.counts,
                    href=reverse("reporting:theme", args=[row.theme.slug])
                    if linked
                    else None,
                )
                for row in matrix.themes()
                if row.counts
            ],
            title=title,
            description=_(
                "Each bar adds up the statuses of all the theme's recommendations."
            ),
            category_labels=labels,
            id_prefix="chart-themes",
            medium=_medium(printed),
        )
        file_name = "status-by-theme"
    return Figure(
        matrix=matrix,
        kind="chart",
        name=file_name,
        title=title,
        svg=svg,
        page_url=reverse("reporting:dashboard"),
        route="dashboard-chart",
        url_kwargs={"name": name},
        query=_query(matrix.cycle, chosen),
        embed_height=760 if name == "recommendations" else 480,
    )


def theme_chart(matrix, theme, *, printed=False, linked=True, chosen=False) -> Figure:
    recommendations = [r for r in matrix.recommendations if r.theme_id == theme.pk]
    labels = category_labels()
    title = _("Status of the participating states, by recommendation")
    svg = charts.status_bars(
        rows=recommendation_rows(
            matrix, recommendations, linked=linked and not printed
        ),
        title=title,
        description=charts.status_summary(matrix.counts_for(recommendations), labels),
        category_labels=labels,
        id_prefix="chart-theme",
        medium=_medium(printed),
    )
    return Figure(
        matrix=matrix,
        kind="chart",
        name=f"status-{theme.slug}",
        title=f"{theme.translated.title}: {title}",
        svg=svg,
        page_url=reverse("reporting:theme", args=[theme.slug]),
        route="theme-chart",
        url_kwargs={"slug": theme.slug},
        query=_query(matrix.cycle, chosen),
        embed_height=360,
    )


def state_chart(matrix, state, *, printed=False, chosen=False) -> Figure:
    """One bar, drawn as a row of the dashboard's charts: the same size and counts."""
    labels = category_labels()
    counts = matrix.counts_for_state(state)
    title = _("%(state)s: statuses on the 21 recommendations") % {"state": state.name}
    svg = charts.status_bars(
        rows=[charts.ChartRow(label=state.name, counts=counts)],
        title=title,
        description=charts.status_summary(counts, labels),
        category_labels=labels,
        id_prefix="chart-state",
        medium=_medium(printed),
    )
    return Figure(
        matrix=matrix,
        kind="chart",
        name=f"status-{state.iso3.lower()}",
        title=title,
        svg=svg,
        page_url=reverse("reporting:state", args=[state.iso3]),
        route="state-chart",
        url_kwargs={"iso3": state.iso3},
        query=_query(matrix.cycle, chosen),
        embed_height=240,
    )


def recommendation_chart(matrix, recommendation, *, printed=False) -> Figure:
    """The recommendation's bar as the dashboard draws it, its label and counts too."""
    labels = category_labels()
    counts = matrix.counts_for_recommendation(recommendation)
    title = _("Status of the participating states")
    (row,) = recommendation_rows(matrix, [recommendation], linked=False)
    svg = charts.status_bars(
        rows=[row],
        title=title,
        description=charts.status_summary(counts, labels),
        category_labels=labels,
        id_prefix="chart-recommendation",
        medium=_medium(printed),
    )
    return Figure(
        matrix=matrix,
        kind="chart",
        name=f"status-recommendation-{recommendation.number}",
        title=f"{recommendation.heading}: {title}",
        svg=svg,
        page_url=recommendation.get_absolute_url(),
        route="recommendation-chart",
        url_kwargs={"number": recommendation.number},
        embed_height=240,
    )


def map_class(matrix, state) -> str:
    if not state.participating:
        return "not-participating"
    if not matrix.reported(state):
        return "no-information"
    share = matrix.advanced_share_of_state(state)
    return f"bin-{sum(share >= edge for edge in MAP_BINS) + 1}"


def map_legend() -> list[maps.LegendEntry]:
    return [
        maps.LegendEntry(f"bin-{i + 1}", label)
        for i, label in enumerate(
            [
                pgettext("share", "under 20%"),
                pgettext("share", "20% to 39%"),
                pgettext("share", "40% to 59%"),
                pgettext("share", "60% to 79%"),
                pgettext("share", "80% or more"),
            ]
        )
    ] + [
        maps.LegendEntry("no-information", _("No information")),
        maps.LegendEntry("not-participating", _("Not participating")),
    ]


def americas_map(matrix, *, printed=False, linked=True, chosen=False) -> Figure:
    """The map, and its figures as rows for the table beside it.

    Printed, it carries its own legend; on a page the legend is HTML beside it.
    """
    rows, cells = [], {}
    for state in matrix.states:
        css_class = map_class(matrix, state)
        share = matrix.advanced_share_of_state(state)
        if css_class == "not-participating":
            text = _("%(state)s: not participating") % {"state": state.name}
        elif css_class == "no-information":
            text = _("%(state)s: no information") % {"state": state.name}
        else:
            text = _("%(state)s: %(share)s%% largely or fully implemented") % {
                "state": state.name,
                "share": round(share * 100),
            }
        href = (
            reverse("reporting:state", args=[state.iso3])
            if linked and not printed
            else None
        )
        cells[state.iso3] = maps.MapCell(state.iso3, text, css_class, href)
        rows.append({"state": state, "class": css_class, "share": share, "text": text})
    rows.sort(key=lambda row: row["state"].name)
    legend = map_legend()
    title = _("Share of recommendations largely or fully implemented, by state")
    svg = maps.render_americas_map(
        cells=cells,
        title=title,
        description=_(
            "A map of the Americas. Each member state is coloured by the share of the "
            "21 recommendations addressed to states that it has largely or fully "
            "implemented. The table after the map gives the same figures."
        ),
        legend=legend,
        legend_inside=printed,
    )
    return Figure(
        matrix=matrix,
        kind="map",
        name="map-implementation-by-state",
        title=title,
        svg=svg,
        page_url=reverse("reporting:map"),
        route="map",
        query=_query(matrix.cycle, chosen),
        legend=legend,
        rows=rows,
        embed_height=760,
    )


def source_line(figure: Figure, page_url: str) -> str:
    """Where a figure comes from and when: said beside every copy of it."""
    matrix = figure.matrix
    as_of = timezone.localtime(matrix.as_of) if matrix.as_of else timezone.now()
    return _(
        "Source: OAS Secretariat, trafficking in persons recommendations tracker, "
        "%(url)s. Reporting cycle: %(cycle)s. Data as of %(date)s."
    ) % {
        "url": page_url,
        "cycle": matrix.cycle.translated.name,
        "date": formats.date_format(as_of, "DATE_FORMAT"),
    }


def file_svg(figure: Figure, *, source: str) -> str:
    """The printed figure as a standalone SVG file: a white sheet with its title
    above it and its source below it."""
    ET.register_namespace("", SVG_NS)
    inner = ET.fromstring(str(figure.svg))  # noqa: S314 - the portal's own markup
    _x, _y, width, height = (float(n) for n in inner.get("viewBox").split())
    inner.set("width", _number(width))
    inner.set("height", _number(height))
    # One type size for title and source, in proportion to the figure.
    font = max(14.0, round(width / 40))
    margin = font
    chars = int(width / (font * 0.6))
    title_lines = textwrap.wrap(figure.title, chars)
    source_lines = textwrap.wrap(source, int(chars * 1.15))
    line = font * 1.3
    top = margin + len(title_lines) * line
    full_width = width + 2 * margin
    full_height = top + margin / 2 + height + margin + len(source_lines) * line + margin
    outer = ET.Element(
        f"{{{SVG_NS}}}svg",
        {
            "width": _number(full_width),
            "height": _number(full_height),
            "viewBox": f"0 0 {_number(full_width)} {_number(full_height)}",
            "font-family": charts.PRINT_FONT_FAMILY,
            "font-size": _number(font),
            "role": "img",
            "aria-labelledby": inner.get("aria-labelledby", ""),
        },
    )
    ET.SubElement(
        outer,
        f"{{{SVG_NS}}}rect",
        {"width": "100%", "height": "100%", "fill": "#ffffff"},
    )
    _text_block(
        outer, title_lines, margin, margin + font, line, {"font-weight": "bold"}
    )
    placed = ET.SubElement(
        outer,
        f"{{{SVG_NS}}}g",
        {"transform": f"translate({_number(margin)} {_number(top + margin / 2)})"},
    )
    placed.append(inner)
    _text_block(
        outer,
        source_lines,
        margin,
        top + margin / 2 + height + margin + font,
        line,
        {"font-size": _number(font * 0.85)},
    )
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        outer, encoding="unicode"
    )


def file_png(svg: str) -> bytes:
    # Imported here: CairoSVG loads the system's libcairo when imported.
    import cairosvg

    width = float(ET.fromstring(svg.split("\n", 1)[1]).get("width"))  # noqa: S314
    return cairosvg.svg2png(
        bytestring=svg.encode("utf-8"),
        scale=PNG_WIDTH / width,
        background_color="white",
        # unsafe=False (the default): no entities, nothing fetched.
    )


def _text_block(parent, lines, x, first_baseline, line, attributes) -> None:
    text = ET.SubElement(
        parent, f"{{{SVG_NS}}}text", {"fill": charts.INK, **attributes}
    )
    for index, content in enumerate(lines):
        span = ET.SubElement(
            text,
            f"{{{SVG_NS}}}tspan",
            {"x": _number(x), "y": _number(first_baseline + index * line)},
        )
        span.text = content


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")

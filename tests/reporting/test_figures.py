"""The public figures as a reader sees them: the map's colours and names, the charts'
labels on the recommendation page as on the dashboard (issue 16)."""

import re
import xml.etree.ElementTree as ET

import pytest

from reporting.maps import FILLS, HATCH_INK, LegendEntry, MapCell, atlas
from reporting.maps import render_americas_map as draw_map
from tests import factories

SVG = "{http://www.w3.org/2000/svg}"
LEGEND = [
    *(LegendEntry(f"bin-{n}", f"bucket {n}") for n in range(1, 6)),
    LegendEntry("no-information", "No information"),
    LegendEntry("not-participating", "Not participating"),
]


def luminance(hex_colour):
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    )
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first, second):
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def saturation(hex_colour):
    channels = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return (max(channels) - min(channels)) / 255


def test_no_information_is_hatched_and_the_lowest_share_is_plainly_blue():
    root = ET.fromstring(  # noqa: S314 - the module's own output
        str(draw_map(cells={}, title="t", description="d", legend=LEGEND))
    )

    pattern = root.find(f".//{SVG}pattern")
    assert pattern.get("id") == "americas-map-hatch"
    assert {line.get("stroke") for line in pattern.iter(f"{SVG}line")} == {HATCH_INK}
    # The hatch's lines stand out from its white ground (WCAG 1.4.11: 3:1).
    assert contrast(HATCH_INK, FILLS["no-information"]) >= 3
    # The lowest bucket is a blue, not a tint that passes for white or grey.
    assert FILLS["bin-1"] != FILLS["no-information"]
    assert saturation(FILLS["bin-1"]) >= 0.15
    assert contrast(FILLS["bin-1"], FILLS["no-information"]) >= 1.3
    swatches = {
        rect.get("class").split("--")[1]: rect.get("fill")
        for rect in root.find(f".//{SVG}g[@class='map-legend']").iter(f"{SVG}rect")
    }
    assert swatches["no-information"] == "url(#americas-map-hatch)"
    assert swatches["bin-1"] == FILLS["bin-1"]


def test_a_marked_state_is_named_with_the_code_written_beside_its_marker():
    cells = {
        iso3: MapCell(iso3, f"State {iso3}: no information", "no-information", "/x/")
        for iso3 in atlas().markers
    }

    root = ET.fromstring(  # noqa: S314 - the module's own output
        str(draw_map(cells=cells, title="t", description="d", legend=LEGEND))
    )

    for link in root.iter(f"{SVG}a"):
        visible = link.find(f".//{SVG}text").text
        assert visible in link.get("aria-label")
        assert link.get("aria-label").startswith("State ")


def test_the_page_map_leaves_its_legend_to_the_page():
    inside = str(draw_map(cells={}, title="t", description="d", legend=LEGEND))
    outside = str(
        draw_map(
            cells={}, title="t", description="d", legend=LEGEND, legend_inside=False
        )
    )

    assert 'class="map-legend"' in inside
    assert 'class="map-legend"' not in outside


@pytest.fixture
def published(cycle, focal_mex, focal_bra, reviewer, mexico, brazil):
    for state, author, status in [
        (mexico, focal_mex, "in_progress"),
        (brazil, focal_bra, "fully_implemented"),
    ]:
        factories.progress_update(
            state, 4, author=author, reviewer=reviewer, cycle=cycle, status=status
        )


def chart_rows(html: str, id_prefix: str) -> dict[str, list[str]]:
    """Each bar of a chart by its label's first line: every text drawn in its row."""
    match = re.search(
        rf'<svg[^>]*aria-labelledby="{id_prefix}-title[^"]*".*?</svg>', html, re.S
    )
    root = ET.fromstring(match.group(0))  # noqa: S314 - the portal's own output
    rows = {}
    for group in root.findall(f"{SVG}g"):
        if group.get("class") == "chart-legend":
            continue
        lines = [node.text for node in group.iter() if node.tag.endswith(("tspan",))]
        lines += [
            node.text
            for node in group.iter(f"{SVG}text")
            if node.find(f"{SVG}tspan") is None
        ]
        rows[lines[0]] = lines
    return rows


def test_the_recommendation_page_bar_has_the_dashboard_bar_labels(client, published):
    dashboard = client.get("/en/status/").content.decode()
    page = client.get("/en/recommendations/4/").content.decode()

    (row,) = chart_rows(page, "chart-recommendation").values()
    assert row[0].startswith("4.")
    assert "30" in row  # the states without information, written on the bar
    assert chart_rows(dashboard, "chart-recommendations")[row[0]] == row

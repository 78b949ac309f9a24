"""The charts and the map as SVG and PNG files, drawn on the server and cached."""

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from tests import factories

SVG = "{http://www.w3.org/2000/svg}"
FILES = [
    "/en/status/map.svg",
    "/en/status/charts/recommendations.svg",
    "/en/status/charts/themes.svg",
    "/en/themes/corruption/chart.svg",
    "/en/states/MEX/chart.svg",
    "/en/recommendations/4/chart.svg",
]


@pytest.fixture
def published(cycle, focal_mex, reviewer, mexico):
    return factories.progress_update(
        mexico, 4, author=focal_mex, reviewer=reviewer, cycle=cycle
    )


@pytest.mark.parametrize("path", FILES)
def test_each_figure_downloads_as_an_svg_with_its_title_and_source(
    client, published, path
):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"].startswith('attachment; filename="oas-tip-')
    assert response["Content-Disposition"].endswith('-en.svg"')
    root = ET.fromstring(response.content)  # noqa: S314 - the portal's own output
    drawn = " ".join(t.text or "" for t in root.iter(f"{SVG}tspan"))
    assert "Source: OAS Secretariat" in drawn
    assert "Reporting cycle:" in drawn
    assert "<script" not in response.content.decode()
    assert root.find(f".//{SVG}a") is None  # no link that leads nowhere in a file


def test_the_map_file_carries_its_legend(client, published):
    root = ET.fromstring(client.get("/en/status/map.svg").content)  # noqa: S314

    legend = root.find(f".//{SVG}g[@class='map-legend']")
    assert "No information" in [t.text for t in legend.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    "path", ["/en/status/map.png", "/en/recommendations/4/chart.png"]
)
def test_a_png_is_drawn_on_the_server(client, published, path):
    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.width == 1200


def test_files_follow_the_reader_language(client, published):
    response = client.get("/es/status/charts/themes.svg")

    assert response["Content-Disposition"].endswith('-es.svg"')
    assert "/es/status/" in response.content.decode()  # the source's page


@pytest.mark.parametrize(
    "path",
    [
        "/en/status/charts/nothing.svg",
        "/en/status/map.gif",
        "/en/states/XXX/chart.svg",
        "/en/themes/nothing/chart.png",
        "/en/recommendations/99/chart.svg",
    ],
)
def test_an_unknown_figure_or_format_is_not_found(client, db, path):
    assert client.get(path).status_code == 404


def test_pages_link_to_their_files_in_the_reader_language(client, published):
    page = client.get("/es/status/map/").content.decode()

    assert 'href="/es/status/map.svg"' in page
    assert 'href="/es/status/map.png"' in page


def test_a_cached_file_costs_no_query_and_keeps_its_name(
    client, published, django_assert_num_queries
):
    first = client.get("/en/status/map.png")

    with django_assert_num_queries(0):
        again = client.get("/en/status/map.png")

    assert again.content == first.content
    assert again["Content-Disposition"] == first["Content-Disposition"]
    assert again["Content-Type"] == "image/png"


def test_a_publication_refreshes_the_cached_file(
    client,
    published,
    focal_bra,
    reviewer,
    brazil,
    cycle,
    django_capture_on_commit_callbacks,
):
    before = client.get("/en/states/BRA/chart.svg").content

    with django_capture_on_commit_callbacks(execute=True):
        factories.progress_update(
            brazil, 4, author=focal_bra, reviewer=reviewer, cycle=cycle
        )

    assert client.get("/en/states/BRA/chart.svg").content != before

"""The map of the Americas: its data, its links and labels, and its PDF rendering."""

import importlib.util
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from reporting.maps import (
    GEOMETRY,
    SMALL_STATE_SIZE,
    LegendEntry,
    MapCell,
    atlas,
    fill,
    render_americas_map,
    segments_cross,
)

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
STATES = json.loads((ROOT / "fixtures" / "member_states.json").read_text("utf-8"))
NAMES = {state["iso3"]: state["name_en"] for state in STATES}
LEGEND = [
    *(
        LegendEntry(f"bin-{n}", f"{20 * n - 20} to {20 * n}% implemented")
        for n in range(1, 6)
    ),
    LegendEntry("no-information", "No information"),
    LegendEntry("not-participating", "Not participating"),
]
EASTERN_CARIBBEAN = {"ATG", "BRB", "DMA", "GRD", "KNA", "LCA", "VCT"}


def cell(iso3, css_class="bin-3", href="", label=None):
    return MapCell(
        iso3=iso3,
        label=label or f"{NAMES[iso3]}: 45% largely or fully implemented",
        css_class=css_class,
        href=f"/states/{iso3.lower()}/" if href == "" else href,
    )


def draw(cells, legend=LEGEND, **kwargs):
    return render_americas_map(
        cells={c.iso3: c for c in cells},
        title="Implementation by member state",
        description="Share of the 22 recommendations largely or fully implemented.",
        legend=legend,
        **kwargs,
    )


def parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 - the module's own output


def links(root):
    return root.findall(f".//{SVG}a")


def view_box():
    return atlas().view_box


def inside(box, x, y):
    min_x, min_y, width, height = box
    return min_x <= x <= min_x + width and min_y <= y <= min_y + height


def test_data_holds_the_35_member_states_inside_the_view_box():
    data = json.loads(GEOMETRY.read_text("utf-8"))

    assert set(data["states"]) == set(NAMES)
    assert "Natural Earth" in data["source"]
    box = tuple(float(n) for n in data["viewBox"].split())
    for iso3, state in data["states"].items():
        assert re.fullmatch(r"(M[-\d. ]+Z)+", state["d"]), iso3
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", state["d"])]
        points = list(zip(numbers[::2], numbers[1::2], strict=True))
        assert len(points) >= 3, iso3
        assert all(inside(box, x, y) for x, y in points), iso3
        x0, y0, x1, y1 = state["bbox"]
        assert x0 < x1 and y0 < y1, iso3
        assert inside(box, x0, y0) and inside(box, x1, y1), iso3
        assert x0 <= state["centroid"][0] <= x1, iso3
        assert y0 <= state["centroid"][1] <= y1, iso3


def test_data_file_stays_under_250_kb():
    assert GEOMETRY.stat().st_size < 250_000


def test_every_state_with_a_cell_becomes_one_link_with_its_label_and_href():
    cells = [cell(iso3) for iso3 in NAMES]

    root = parse(draw(cells))

    found = {a.get("href"): a.get("aria-label") for a in links(root)}
    # A marked state's name holds the code written beside its marker.
    assert found == {
        c.href: f"{c.label} ({c.iso3})" if c.iso3 in atlas().markers else c.label
        for c in cells
    }
    for a in links(root):
        assert a.find(f"{SVG}title").text == a.get("aria-label")
        assert len(a.findall(f"{SVG}path")) == 1
    assert root.get("role") == "group"


def test_keyboard_order_follows_the_names_ignoring_accents():
    french = {"ECU": "Équateur", "USA": "États-Unis", "GRD": "Grenade", "PER": "Pérou"}
    cells = [cell(iso3, label=name) for iso3, name in french.items()]

    order = [a.get("aria-label") for a in links(parse(draw(cells)))]

    assert order == ["Équateur", "États-Unis", "Grenade (GRD)", "Pérou"]


def test_states_without_a_cell_are_drawn_as_no_information_without_a_link():
    root = parse(draw([cell("MEX"), cell("BRA")]))

    assert [a.get("href") for a in links(root)] == ["/states/bra/", "/states/mex/"]
    paths = root.findall(f".//{SVG}path")
    assert len(paths) == 35
    absent = [p for p in paths if "map-state--no-information" in p.get("class")]
    assert len(absent) == 33
    assert {p.get("fill") for p in absent} == {"url(#americas-map-hatch)"}
    hidden = root.findall(f".//{SVG}g[@aria-hidden='true']")
    assert len(hidden) == 33


def test_a_state_without_href_is_labelled_but_not_a_link():
    cells = [cell("MEX", href=None), cell("BRA")]

    root = parse(draw(cells))

    assert [a.get("href") for a in links(root)] == ["/states/bra/"]
    images = root.findall(f".//{SVG}g[@role='img']")
    assert [g.get("aria-label") for g in images] == [cells[0].label]


def test_a_map_without_links_is_one_image():
    root = parse(draw([cell("MEX", href=None)]))

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "americas-map-title"
    assert root.find(f"{SVG}title").get("id") == "americas-map-title"
    assert root.get("aria-describedby") == "americas-map-desc"


def test_small_eastern_caribbean_states_get_a_marker_inside_their_link():
    root = parse(draw([cell(iso3) for iso3 in NAMES]))

    with_marker = {
        a.get("href")[8:11].upper()
        for a in links(root)
        if a.find(f"{SVG}circle[@class='map-state map-state--bin-3 map-marker']")
        is not None
    }
    small = {
        iso3
        for iso3, shape in atlas().shapes.items()
        if max(shape.bbox[2] - shape.bbox[0], shape.bbox[3] - shape.bbox[1])
        < SMALL_STATE_SIZE
    }
    assert with_marker == small == set(atlas().markers)
    assert small >= EASTERN_CARIBBEAN
    assert not small & {"MEX", "JAM", "BHS", "CUB", "SLV", "BLZ"}


def overlaps(box, shape):
    x, y, width, height = box
    x0, y0, x1, y1 = shape.bbox
    return x < x1 and x0 < x + width and y < y1 and y0 < y + height


def test_markers_stay_apart_at_sea_with_leaders_that_do_not_cross():
    root = parse(draw([cell(iso3) for iso3 in NAMES]))
    geo = atlas()
    markers = list(geo.markers.values())

    circles = [
        (float(c.get("cx")), float(c.get("cy")), float(c.get("r")))
        for c in root.iter(f"{SVG}circle")
    ]
    for cx, cy, r in circles:
        others = [(x, y) for x, y, _ in circles if (x, y) != (cx, cy)]
        assert all(math.dist((cx, cy), other) > 2 * r for other in others)
    for target in root.findall(f".//{SVG}rect[@class='map-target']"):
        box = tuple(float(target.get(k)) for k in ("x", "y", "width", "height"))
        assert inside(geo.view_box, box[0] + box[2], box[1] + box[3])
        assert not any(overlaps(box, shape) for shape in geo.shapes.values())
    for one in markers:
        for other in markers:
            assert not segments_cross(
                (one.leader_from, (one.x, one.y)),
                (other.leader_from, (other.x, other.y)),
            )


def test_the_legend_is_drawn_over_the_sea():
    root = parse(draw([cell("MEX")]))

    legend = root.find(f".//{SVG}g[@class='map-legend']")
    texts = list(legend.iter(f"{SVG}text"))
    assert [t.text for t in texts] == [e.label for e in LEGEND]
    swatches = list(legend.iter(f"{SVG}rect"))
    left, top = float(swatches[0].get("x")), float(swatches[0].get("y"))
    # Generous text width: 0.7 em a character at the 18-unit font size.
    right = max(float(t.get("x")) + len(t.text) * 18 * 0.7 for t in texts)
    bottom = float(swatches[-1].get("y")) + float(swatches[-1].get("height"))
    box = (left, top, right - left, bottom - top)
    assert inside(view_box(), right, bottom)
    assert not any(overlaps(box, shape) for shape in atlas().shapes.values())


def test_every_text_is_escaped():
    evil = '<script>alert(1)</script>" onmouseover="steal()'
    cells = [cell("MEX", label=evil, href='/x" onclick="steal()')]

    svg = str(
        render_americas_map(
            cells={"MEX": cells[0]},
            title=evil,
            description=evil,
            legend=[LegendEntry("bin-3", evil)],
        )
    )

    assert "<script" not in svg
    assert 'onmouseover="' not in svg and 'onclick="' not in svg
    root = parse(svg)
    assert links(root)[0].get("aria-label") == evil
    assert links(root)[0].get("href") == cells[0].href
    assert root.find(f"{SVG}title").text == evil


def test_no_inline_style_and_no_script_for_the_content_security_policy():
    svg = str(draw([cell(iso3, href=None if iso3 == "CUB" else "") for iso3 in NAMES]))

    assert not re.search(r"\sstyle\s*=", svg)
    assert "<style" not in svg
    assert "<script" not in svg
    assert not re.search(r"\son\w+\s*=", svg)


def test_every_shape_has_a_class_and_a_fill_fallback():
    root = parse(draw([cell("MEX", "bin-5"), cell("VEN", "not-participating")]))

    for shape in [*root.iter(f"{SVG}path"), *root.iter(f"{SVG}circle")]:
        css_class = shape.get("class").split()[1].removeprefix("map-state--")
        assert shape.get("fill") == fill(css_class, "americas-map")


@pytest.mark.parametrize(
    ("cells", "legend"),
    [
        ({"MEX": cell("MEX", "bin-9")}, LEGEND),
        ({"XXX": MapCell("XXX", "Atlantis", "bin-1", None)}, LEGEND),
        ({"MEX": cell("BRA")}, LEGEND),
        ({}, [LegendEntry('bin-1" onclick="x', "Bad")]),
    ],
)
def test_a_caller_bug_is_refused(cells, legend):
    with pytest.raises(ValueError):
        render_americas_map(cells=cells, title="t", description="d", legend=legend)


def test_weasyprint_draws_the_map_in_a_pdf():
    svg = draw([cell(iso3) for iso3 in NAMES])
    html = f"<!doctype html><html lang=en><body><h1>Report</h1>{svg}</body></html>"

    pdf = HTML(string=html).write_pdf()

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Not participating" in text
    assert "KNA" in text


def test_the_build_script_decodes_delta_encoded_and_reversed_arcs():
    spec = importlib.util.spec_from_file_location(
        "build_americas", ROOT / "reporting" / "geo" / "build_americas.py"
    )
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    topology = {
        "transform": {"scale": [0.5, 2.0], "translate": [-100.0, 10.0]},
        "arcs": [[[0, 0], [4, 0], [0, 2]], [[0, 0], [4, 2]]],
    }

    arcs = build.decode_arcs(topology)
    ring = build.stitch(arcs, [0, ~1])

    assert arcs[0] == [(-100.0, 10.0), (-98.0, 10.0), (-98.0, 14.0)]
    assert ring == [(-100.0, 10.0), (-98.0, 10.0), (-98.0, 14.0), (-100.0, 10.0)]
    assert set(build.NUMERIC_TO_ALPHA3.values()) == set(NAMES)

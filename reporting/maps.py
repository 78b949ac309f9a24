"""A choropleth map of the 35 member states, drawn as inline SVG on the server.

The outlines come from ``geo/americas.json`` (built by ``geo/build_americas.py``).
The markup carries class names for the site stylesheet and presentation attributes
as a fallback, because the pages' Content-Security-Policy forbids ``style``
attributes and ``<style>`` elements, and WeasyPrint ignores the page's CSS inside
an SVG. Eastern Caribbean states too small to click get a marker in a column at sea.
"""

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Point = tuple[float, float]
Segment = tuple[Point, Point]

GEOMETRY = Path(__file__).with_name("geo") / "americas.json"

# Sequential ColorBrewer Blues (its six-class scale without the palest), so even the
# lowest bucket is plainly blue; then the two states outside the scale. "No
# information" is hatched, never a pale tint a reader could take for a low share.
# The site stylesheet mirrors the solid fills. Another legend class falls back to the
# hatch.
FILLS: Mapping[str, str] = {
    "bin-1": "#c6dbef",
    "bin-2": "#9ecae1",
    "bin-3": "#6baed6",
    "bin-4": "#3182bd",
    "bin-5": "#08519c",
    "no-information": "#ffffff",
    "not-participating": "#9e9e9e",
}
HATCHED = frozenset({"no-information"})
HATCH_INK = "#767676"  # 4.5:1 on white: the hatch shows on screen and on paper
HATCH_SPACING = 8.0
# States not given a cell look like "no information", and are not links.
NO_CELL_CLASS = "no-information"
BORDER = "#4a5360"  # 7.6:1 on white, so light states keep a visible outline
INK = "#1b1f24"
FONT_FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Arial, sans-serif"
FONT_SIZE = 18  # viewBox units; the frame is about 1000 units wide

# A state whose outline fits in this square (viewBox units, about 10 CSS pixels at
# 640 pixels wide) is too small to see or click, and gets a marker.
SMALL_STATE_SIZE = 16.0
MARKER_RADIUS = 8.0
MARKER_SPACING = 24.0
# From the easternmost small state to the marker column, over open sea.
COLUMN_OFFSET = 90.0
LEGEND_ROW = 30.0
LEGEND_INSET = 30.0

CLASS_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class MapCell:
    """What the map shows for one state; ``label`` is its full accessible text."""

    iso3: str
    label: str
    css_class: str
    href: str | None = None


@dataclass(frozen=True)
class LegendEntry:
    css_class: str
    label: str


@dataclass(frozen=True)
class Marker:
    """A small state's stand-in: a circle in the column, a leader to the island."""

    x: float
    y: float
    leader_from: Point


@dataclass(frozen=True)
class Shape:
    d: str
    centroid: Point
    bbox: tuple[float, float, float, float]

    @property
    def is_small(self) -> bool:
        x0, y0, x1, y1 = self.bbox
        return max(x1 - x0, y1 - y0) < SMALL_STATE_SIZE


@dataclass(frozen=True)
class Atlas:
    view_box: tuple[float, float, float, float]
    shapes: Mapping[str, Shape]
    markers: Mapping[str, Marker]


@cache
def atlas() -> Atlas:
    """The outlines and marker layout, read once per process on first use."""
    data = json.loads(GEOMETRY.read_text(encoding="utf-8"))
    shapes = {
        iso3: Shape(
            d=state["d"], centroid=tuple(state["centroid"]), bbox=tuple(state["bbox"])
        )
        for iso3, state in data["states"].items()
    }
    view_box = tuple(float(n) for n in data["viewBox"].split())
    return Atlas(view_box=view_box, shapes=shapes, markers=_markers(shapes))  # type: ignore[arg-type]  # viewBox: four numbers


def _markers(shapes: Mapping[str, Shape]) -> dict[str, Marker]:
    """One column of markers east of the small states, in their north-south order.

    Rows are pushed apart to the spacing, then the column is lifted so its last row
    is level with the southernmost state, keeping it off the South American coast.
    Neighbours whose leaders cross swap rows.
    """
    small = sorted(
        (iso3 for iso3, shape in shapes.items() if shape.is_small),
        key=lambda iso3: (shapes[iso3].centroid[1], iso3),
    )
    if not small:
        return {}
    x = max(shapes[iso3].bbox[2] for iso3 in small) + COLUMN_OFFSET
    rows: list[float] = []
    for iso3 in small:
        wanted = shapes[iso3].centroid[1]
        rows.append(max(wanted, rows[-1] + MARKER_SPACING) if rows else wanted)
    lift = max(0.0, rows[-1] - shapes[small[-1]].centroid[1])
    rows = [y - lift for y in rows]
    for _ in small:  # bubble-sort passes, bounded like a sort
        for i in range(len(small) - 1):
            a, b = shapes[small[i]].centroid, shapes[small[i + 1]].centroid
            if segments_cross((a, (x, rows[i])), (b, (x, rows[i + 1]))):
                small[i], small[i + 1] = small[i + 1], small[i]
    return {
        iso3: Marker(x=x, y=y, leader_from=shapes[iso3].centroid)
        for iso3, y in zip(small, rows, strict=True)
    }


def segments_cross(first: Segment, second: Segment) -> bool:
    """Whether two segments properly cross (touching ends do not count)."""

    def side(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    (a, b), (c, d) = first, second
    return side(a, b, c) * side(a, b, d) < 0 and side(c, d, a) * side(c, d, b) < 0


def render_americas_map(
    *,
    cells: Mapping[str, MapCell],
    title: str,
    description: str,
    legend: Sequence[LegendEntry],
    id_prefix: str = "americas-map",
    legend_inside: bool = True,
) -> SafeString:
    """The map, one link per state with a cell and an ``href``, in name order.

    Keyboard order follows the labels, which start with the state's name, so it
    matches the table of states beside the map. A map with links is a group, not
    an image: ``role="img"`` would hide the links from assistive technology.
    Without ``legend_inside`` the page gives the legend, which a phone shrinks to
    a few pixels inside the drawing.
    """
    if not ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix {id_prefix!r} is not a valid HTML id.")
    _check(cells, legend)
    geo = atlas()
    absent = [
        _state(iso3, geo, None, id_prefix)
        for iso3 in sorted(geo.shapes)
        if iso3 not in cells
    ]
    present = [
        _state(cell.iso3, geo, cell, id_prefix)
        for cell in sorted(cells.values(), key=lambda c: (_sort_key(c.label), c.iso3))
    ]
    states = _element(
        "g",
        {
            "class": "map-states",
            "stroke": BORDER,
            "stroke-width": 0.8,
            "stroke-linejoin": "round",
        },
        "".join(absent + present),
    )
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    interactive = any(cell.href is not None for cell in cells.values())
    markup = _element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "map",
            "width": "100%",
            "viewBox": " ".join(_number(n) for n in geo.view_box),
            "role": "group" if interactive else "img",
            "aria-labelledby": title_id,
            "aria-describedby": desc_id,
            "font-family": FONT_FAMILY,
            "font-size": FONT_SIZE,
        },
        _element("title", {"id": title_id}, escape(title))
        + _element("desc", {"id": desc_id}, escape(description))
        + _hatch(id_prefix)
        + states
        + (_legend(legend, geo.view_box, id_prefix) if legend_inside else ""),
    )
    return mark_safe(markup)  # noqa: S308 - every text and attribute is escaped


def _check(cells: Mapping[str, MapCell], legend: Sequence[LegendEntry]) -> None:
    """A cell the legend cannot explain, or an unknown state, is a caller's bug."""
    classes = {entry.css_class for entry in legend}
    bad_names = sorted(c for c in classes if not CLASS_NAME.fullmatch(c))
    if bad_names:
        raise ValueError(f"Legend classes {bad_names} are not valid class names.")
    for key, cell in cells.items():
        if key != cell.iso3 or cell.iso3 not in atlas().shapes:
            raise ValueError(f"Cell {key!r} is not a member state's code.")
        if cell.css_class not in classes:
            raise ValueError(f"Cell {key!r} has a class the legend lacks.")


def fill(css_class: str, id_prefix: str) -> str:
    """A class's colour, or the hatch for "no information" and unknown classes."""
    if css_class in HATCHED or css_class not in FILLS:
        return f"url(#{id_prefix}-hatch)"
    return FILLS[css_class]


def _hatch(id_prefix: str) -> str:
    """Grey diagonal lines on white, drawn in one tile whose corners join up."""
    size = HATCH_SPACING
    lines = "".join(
        _element(
            "line",
            {
                "x1": x1,
                "y1": y1,
                "x2": x2,
                "y2": y2,
                "stroke": HATCH_INK,
                "stroke-width": 1.5,
            },
        )
        for x1, y1, x2, y2 in (
            (0, size, size, 0),
            (-size / 4, size / 4, size / 4, -size / 4),
            (size * 3 / 4, size * 5 / 4, size * 5 / 4, size * 3 / 4),
        )
    )
    background = _element(
        "rect",
        {"width": size, "height": size, "fill": FILLS[NO_CELL_CLASS]},
    )
    pattern = _element(
        "pattern",
        {
            "id": f"{id_prefix}-hatch",
            "width": size,
            "height": size,
            "patternUnits": "userSpaceOnUse",
        },
        background + lines,
    )
    return _element("defs", {}, pattern)


def _state(iso3: str, geo: Atlas, cell: MapCell | None, id_prefix: str) -> str:
    """A state's outline, and its marker if small, wrapped as link, image or decor.

    A marked state's code is written beside its marker, so its accessible name
    carries the code too: a name that holds the visible text (WCAG 2.5.3).
    """
    css_class = cell.css_class if cell else NO_CELL_CLASS
    fill_value = fill(css_class, id_prefix)
    shape = _element(
        "path",
        {
            "class": f"map-state map-state--{css_class}",
            "d": geo.shapes[iso3].d,
            "fill": fill_value,
        },
    )
    marker = geo.markers.get(iso3)
    if marker:
        shape += _marker(iso3, marker, css_class, fill_value)
    if cell is None:
        return _element("g", {"aria-hidden": "true"}, shape)
    name = f"{cell.label} ({iso3})" if marker else cell.label
    tooltip = _element("title", {}, escape(name))
    if cell.href is None:
        return _element("g", {"role": "img", "aria-label": name}, tooltip + shape)
    return _element("a", {"href": cell.href, "aria-label": name}, tooltip + shape)


def _marker(iso3: str, marker: Marker, css_class: str, fill_value: str) -> str:
    """Leader line, circle and alpha-3 code; a clear box makes the row clickable.

    The code, not the name, is written: it reads the same in the four languages.
    """
    x0, y0 = marker.leader_from
    left = marker.x - MARKER_RADIUS
    text_x = marker.x + MARKER_RADIUS + 6
    width = text_x + 3 * FONT_SIZE * 0.7 - left
    return (
        _element(
            "line",
            {"class": "map-leader", "x1": x0, "y1": y0, "x2": left, "y2": marker.y},
        )
        + _element(
            "rect",
            {
                "class": "map-target",
                "x": left - 2,
                "y": marker.y - MARKER_SPACING / 2,
                "width": width + 4,
                "height": MARKER_SPACING,
                "fill": "#ffffff",
                "fill-opacity": 0,
                "stroke": "none",
            },
        )
        + _element(
            "circle",
            {
                "class": f"map-state map-state--{css_class} map-marker",
                "cx": marker.x,
                "cy": marker.y,
                "r": MARKER_RADIUS,
                "fill": fill_value,
            },
        )
        + _element(
            "text",
            {
                "class": "map-marker-label",
                "x": text_x,
                "y": marker.y + FONT_SIZE * 0.35,
                "fill": INK,
                "stroke": "none",
            },
            escape(iso3),
        )
    )


def _legend(
    legend: Sequence[LegendEntry],
    view_box: tuple[float, float, float, float],
    id_prefix: str,
) -> str:
    """Swatches in the bottom-left corner, over the Pacific, one entry a row."""
    min_x, min_y, _, height = view_box
    x = min_x + LEGEND_INSET
    top = min_y + height - LEGEND_INSET - len(legend) * LEGEND_ROW
    swatch = FONT_SIZE
    rows = []
    for index, entry in enumerate(legend):
        y = top + index * LEGEND_ROW
        rows.append(
            _element(
                "rect",
                {
                    "class": f"map-state map-state--{entry.css_class}",
                    "x": x,
                    "y": y,
                    "width": swatch,
                    "height": swatch,
                    "fill": fill(entry.css_class, id_prefix),
                    "stroke": BORDER,
                },
            )
            + _element(
                "text",
                {"x": x + swatch + 8, "y": y + swatch * 0.85, "fill": INK},
                escape(entry.label),
            )
        )
    return _element("g", {"class": "map-legend"}, "".join(rows))


def _sort_key(label: str) -> str:
    """Accents ignored, so "États-Unis" sorts among the E, not after Z."""
    decomposed = unicodedata.normalize("NFKD", label.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _element(tag: str, attributes: Mapping[str, object], content: str = "") -> str:
    """Markup of one element; ``content`` must already be escaped markup."""
    rendered = "".join(
        f' {name}="{escape(_number(value))}"' for name, value in attributes.items()
    )
    return f"<{tag}{rendered}>{content}</{tag}>"


def _number(value: object) -> str:
    """One decimal at most: the outlines' own precision."""
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)

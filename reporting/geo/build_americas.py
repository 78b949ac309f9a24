"""Build americas.json, the outlines of the 35 OAS member states, for the SVG map.

Run once by hand and commit the output; the portal never reads the source file:

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python reporting/geo/build_americas.py /tmp/package/countries-50m.json

Standard library only, so it runs without the project's virtualenv.
"""

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

Point = tuple[float, float]
Ring = list[Point]

SOURCE = (
    "Natural Earth 4.1.0 admin-0 countries, 1:50m, as TopoJSON in the npm package "
    "world-atlas@2.0.2 (countries-50m.json); projected and simplified by "
    "reporting/geo/build_americas.py"
)
LICENCE = (
    "Natural Earth data: public domain. world-atlas packaging: ISC licence, "
    "copyright 2013-2019 Michael Bostock"
)
OUTPUT = Path(__file__).with_name("americas.json")

# ISO 3166-1 numeric (world-atlas ids) to alpha-3, for the 35 OAS member states.
NUMERIC_TO_ALPHA3 = {
    "028": "ATG",
    "032": "ARG",
    "044": "BHS",
    "052": "BRB",
    "084": "BLZ",
    "068": "BOL",
    "076": "BRA",
    "124": "CAN",
    "152": "CHL",
    "170": "COL",
    "188": "CRI",
    "192": "CUB",
    "212": "DMA",
    "214": "DOM",
    "218": "ECU",
    "222": "SLV",
    "840": "USA",
    "308": "GRD",
    "320": "GTM",
    "328": "GUY",
    "332": "HTI",
    "340": "HND",
    "388": "JAM",
    "484": "MEX",
    "558": "NIC",
    "591": "PAN",
    "600": "PRY",
    "604": "PER",
    "659": "KNA",
    "662": "LCA",
    "670": "VCT",
    "740": "SUR",
    "780": "TTO",
    "858": "URY",
    "862": "VEN",
}

# Lambert azimuthal equal-area centred on the Americas: areas stay comparable
# between Canada and the Caribbean, and the continent stays upright.
CENTRE_LON = -80.0
CENTRE_LAT = 12.0
FRAME_WIDTH = 1000.0  # viewBox units across the frame, before the margin
MARGIN = 10.0
# Douglas-Peucker tolerance in viewBox units; islands shorter than about ten
# times that use a tenth of their own size, so they keep a recognisable outline.
TOLERANCE = 0.6
RELATIVE_TOLERANCE = 0.1
# Islands smaller than this (square viewBox units) are dropped, except the
# largest polygon of each state, so no state disappears.
MIN_AREA = 2.0


def keep_polygon(iso3: str, outer: Ring) -> bool:
    """Drop the far-off islands that would stretch the frame for a few pixels.

    The Aleutians west of -170° and across the antimeridian, Hawaii, and
    Easter Island are left out; mainland Alaska and Galapagos stay.
    """
    lon, lat = _mean(outer)
    if iso3 == "USA":
        return -170.0 <= lon <= 0.0 and not (lon < -150.0 and lat < 30.0)
    if iso3 == "CHL":
        return lon > -100.0
    return True


def decode_arcs(topology: dict) -> list[Ring]:
    """Undo the quantisation and delta encoding of every arc, to lon/lat."""
    (scale_x, scale_y), (shift_x, shift_y) = (
        topology["transform"]["scale"],
        topology["transform"]["translate"],
    )
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def arc_points(arcs: Sequence[Ring], index: int) -> Ring:
    """An arc by TopoJSON index; a negative index ~i is arc i reversed."""
    return list(arcs[index]) if index >= 0 else arcs[~index][::-1]


def stitch(arcs: Sequence[Ring], indexes: Iterable[int]) -> Ring:
    """Join the arcs of a ring; each arc starts where the previous one ended."""
    ring: Ring = []
    for index in indexes:
        points = arc_points(arcs, index)
        ring.extend(points if not ring else points[1:])
    return ring


def polygons_of(geometry: dict) -> list[list[list[int]]]:
    """The polygons of a Polygon or MultiPolygon, as rings of arc indexes."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    raise ValueError(f"unexpected geometry type {geometry['type']}")


def project(lon: float, lat: float) -> Point:
    """Lambert azimuthal equal-area, unit sphere, y pointing north."""
    lam = math.radians(lon - CENTRE_LON)
    phi = math.radians(lat)
    phi0 = math.radians(CENTRE_LAT)
    cos_c = math.sin(phi0) * math.sin(phi) + math.cos(phi0) * math.cos(phi) * math.cos(
        lam
    )
    k = math.sqrt(2.0 / (1.0 + cos_c))
    x = k * math.cos(phi) * math.sin(lam)
    y = k * (
        math.cos(phi0) * math.sin(phi) - math.sin(phi0) * math.cos(phi) * math.cos(lam)
    )
    return x, y


def _mean(points: Sequence[Point]) -> Point:
    return (
        sum(p[0] for p in points) / len(points),
        sum(p[1] for p in points) / len(points),
    )


def _segment_distance(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    if dx == dy == 0:
        return math.hypot(p[0] - a[0], p[1] - a[1])
    t = max(
        0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / (dx * dx + dy * dy))
    )
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def douglas_peucker(points: Sequence[Point], tolerance: float) -> Ring:
    """Keep the points farther than tolerance from the simplified line.

    Both ends are kept, so arcs shared by two states stay shared. A closed arc
    (an island) is split at its farthest point first, so it keeps an area.
    """
    if len(points) < 3:
        return list(points)
    if points[0] == points[-1]:
        far = max(
            range(1, len(points) - 1),
            key=lambda i: math.dist(points[0], points[i]),
        )
        head = douglas_peucker(points[: far + 1], tolerance)
        return head + douglas_peucker(points[far:], tolerance)[1:]
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, best_distance = 0, tolerance
        for i in range(first + 1, last):
            distance = _segment_distance(points[i], points[first], points[last])
            if distance > best_distance:
                best, best_distance = i, distance
        if best:
            keep[best] = True
            stack.extend([(first, best), (best, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def simplify_arc(points: Sequence[Point]) -> Ring:
    """Simplify one arc, relative to its size when it is small."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    size = max(max(xs) - min(xs), max(ys) - min(ys))
    return douglas_peucker(points, min(TOLERANCE, RELATIVE_TOLERANCE * size))


def signed_area(ring: Sequence[Point]) -> float:
    return 0.5 * sum(
        a[0] * b[1] - b[0] * a[1]
        for a, b in zip(ring, [*ring[1:], ring[0]], strict=True)
    )


def centroid(ring: Sequence[Point]) -> Point:
    """Area centroid of a ring, falling back to the mean of a sliver."""
    area = signed_area(ring)
    if abs(area) < 1e-9:
        return _mean(ring)
    cx = cy = 0.0
    for a, b in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = a[0] * b[1] - b[0] * a[1]
        cx += (a[0] + b[0]) * cross
        cy += (a[1] + b[1]) * cross
    return cx / (6 * area), cy / (6 * area)


def _number(value: float) -> str:
    text = f"{value:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def _round_ring(ring: Sequence[Point]) -> Ring:
    """Round to one decimal and drop the points that rounding made repeat."""
    rounded: Ring = []
    for x, y in ring:
        point = (round(x, 1), round(y, 1))
        if not rounded or point != rounded[-1]:
            rounded.append(point)
    if len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    return rounded


def path_data(polygons: Sequence[Sequence[Ring]]) -> str:
    """SVG path data, one closed subpath per ring, absolute coordinates."""
    parts = []
    for polygon in polygons:
        for ring in polygon:
            pairs = [f"{_number(x)} {_number(y)}" for x, y in ring]
            parts.append("M" + " ".join(pairs) + "Z")
    return "".join(parts)


def build(topology: dict) -> dict:
    """The outlines, centroids and boxes of the 35 states, in viewBox units."""
    arcs = decode_arcs(topology)
    geometries = {
        NUMERIC_TO_ALPHA3[g["id"]]: g
        for g in topology["objects"]["countries"]["geometries"]
        if g.get("id") in NUMERIC_TO_ALPHA3
    }
    missing = set(NUMERIC_TO_ALPHA3.values()) - set(geometries)
    if missing:
        raise ValueError(f"states missing from the source: {sorted(missing)}")

    kept = {
        iso3: [
            polygon
            for polygon in polygons_of(geometry)
            if keep_polygon(iso3, stitch(arcs, polygon[0]))
        ]
        for iso3, geometry in geometries.items()
    }
    used = {i if i >= 0 else ~i for p in kept.values() for q in p for r in q for i in r}
    projected = {i: [project(*p) for p in arcs[i]] for i in used}
    xs = [p[0] for arc in projected.values() for p in arc]
    ys = [p[1] for arc in projected.values() for p in arc]
    scale = FRAME_WIDTH / (max(xs) - min(xs))
    left, top = min(xs), max(ys)

    def to_frame(point: Point) -> Point:
        return (
            (point[0] - left) * scale + MARGIN,
            (top - point[1]) * scale + MARGIN,
        )

    framed = {i: [to_frame(p) for p in arc] for i, arc in projected.items()}
    simplified = {i: simplify_arc(arc) for i, arc in framed.items()}

    states = {}
    for iso3, polygons in sorted(kept.items()):
        full = [[_round_ring(stitch(framed, ring)) for ring in p] for p in polygons]
        light = [
            [_round_ring(stitch(simplified, ring)) for ring in p] for p in polygons
        ]
        largest = max(range(len(full)), key=lambda n: abs(signed_area(full[n][0])))
        if abs(signed_area(light[largest][0])) < 0.5 * abs(
            signed_area(full[largest][0])
        ):
            light[largest] = full[largest]  # an islet state keeps its outline
        shapes = [
            [polygon[0], *(h for h in polygon[1:] if abs(signed_area(h)) >= MIN_AREA)]
            for n, polygon in enumerate(light)
            if n == largest or abs(signed_area(polygon[0])) >= MIN_AREA
        ]
        points = [p for polygon in shapes for ring in polygon for p in ring]
        cx, cy = centroid(light[largest][0])
        states[iso3] = {
            "d": path_data(shapes),
            "centroid": [round(cx, 1), round(cy, 1)],
            "bbox": [
                round(min(p[0] for p in points), 1),
                round(min(p[1] for p in points), 1),
                round(max(p[0] for p in points), 1),
                round(max(p[1] for p in points), 1),
            ],
        }

    width = FRAME_WIDTH + 2 * MARGIN
    height = (top - min(ys)) * scale + 2 * MARGIN
    return {
        "source": SOURCE,
        "licence": LICENCE,
        "projection": (
            f"Lambert azimuthal equal-area centred on {CENTRE_LON:g}°, "
            f"{CENTRE_LAT:g}°; Aleutians west of -170°, Hawaii and Easter Island "
            f"left out; Douglas-Peucker at {TOLERANCE:g} units"
        ),
        "viewBox": f"0 0 {_number(width)} {_number(math.ceil(height))}",
        "states": states,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="world-atlas countries-50m.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    topology = json.loads(args.source.read_text(encoding="utf-8"))
    data = build(topology)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), indent=None)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({len(text.encode()) // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

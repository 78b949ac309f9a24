"""Status charts drawn as inline SVG, the same markup for the web pages and the PDF.

Only SVG 1.1 shapes and presentation attributes are used: the pages' Content-Security-
Policy forbids ``style`` attributes and ``<style>`` elements, and WeasyPrint draws
neither CSS variables nor ``foreignObject``. Text widths are estimated from character
counts because no font metrics are available where the markup is written.
"""

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from recommendations.models import Status

NO_INFORMATION = "no_information"
# The order of segments, legend entries and summaries.
CATEGORIES: tuple[str, ...] = (*Status.values, NO_INFORMATION)

# ColorBrewer PuOr, safe for colour-blind readers; static/css/portal.css mirrors it.
COLOURS: Mapping[str, str] = {
    Status.NOT_STARTED.value: "#b35806",
    Status.PLANNED.value: "#f1a340",
    Status.IN_PROGRESS.value: "#fee0b6",
    Status.LARGELY_IMPLEMENTED.value: "#998ec3",
    Status.FULLY_IMPLEMENTED.value: "#542788",
    Status.NOT_APPLICABLE.value: "#bdbdbd",
    NO_INFORMATION: "#ffffff",
}
BLACK = "#000000"
WHITE = "#ffffff"
# Counts written on a segment: the one of black and white above WCAG's 4.5:1 there.
INK_ON: Mapping[str, str] = {
    Status.NOT_STARTED.value: WHITE,
    Status.PLANNED.value: BLACK,
    Status.IN_PROGRESS.value: BLACK,
    Status.LARGELY_IMPLEMENTED.value: BLACK,
    Status.FULLY_IMPLEMENTED.value: WHITE,
    Status.NOT_APPLICABLE.value: BLACK,
    NO_INFORMATION: BLACK,
}
# Outlines white segments and bars against a white page (4.5:1 on white).
BORDER = "#767676"
INK = "#1b1f24"
LINK = "#0a4f8f"

FONT_FAMILY = (
    "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Helvetica Neue, Arial, "
    "sans-serif"
)
# Conservative widths, in em, so estimated text never overflows its box.
CHAR_EM = 0.58
DIGIT_EM = 0.64
ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


@dataclass(frozen=True)
class ChartRow:
    """One bar of a chart: a recommendation, a theme or a member state."""

    label: str
    counts: Mapping[str, int]
    href: str | None = None


@dataclass(frozen=True)
class _Layout:
    """Sizes in viewBox units; one unit is one CSS pixel at the natural width."""

    width: int
    font_size: int
    bar_height: int
    label_width: int = 0
    gap: int = 8
    line_height: int = 16
    row_gap: int = 10

    @property
    def bar_x(self) -> int:
        return self.label_width + self.gap if self.label_width else 1

    @property
    def bar_width(self) -> int:
        # One unit kept free on the right so the outline's stroke is not clipped.
        return self.width - self.bar_x - 1

    def chars(self, width: float) -> int:
        return int(width / (self.font_size * CHAR_EM))


BARS = _Layout(width=480, font_size=13, bar_height=22, label_width=160)
COMPACT = _Layout(width=200, font_size=12, bar_height=20)


def status_bars(
    *,
    rows: Sequence[ChartRow],
    title: str,
    description: str,
    category_labels: Mapping[str, str],
    id_prefix: str,
) -> SafeString:
    """One labelled 100%-stacked bar per row, with a legend of every category."""
    _check_labels(category_labels)
    parts: list[str] = []
    y = 1
    for row in rows:
        markup, height = _row(row, y, category_labels)
        parts.append(markup)
        y += height + BARS.row_gap
    legend, legend_height = _legend(y, BARS, category_labels)
    parts.append(legend)
    interactive = any(row.href for row in rows)
    return _svg(
        id_prefix, title, description, BARS, y + legend_height, parts, interactive
    )


def status_bar(
    *,
    counts: Mapping[str, int],
    title: str,
    description: str,
    category_labels: Mapping[str, str],
    id_prefix: str,
    legend: bool = False,
) -> SafeString:
    """A single bar for a table cell, or with its legend for a state profile."""
    _check_labels(category_labels)
    parts = [_bar(counts, 1, COMPACT, category_labels)]
    height = COMPACT.bar_height + 2
    if legend:
        markup, legend_height = _legend(
            height + COMPACT.row_gap, COMPACT, category_labels
        )
        parts.append(markup)
        height += COMPACT.row_gap + legend_height
    return _svg(id_prefix, title, description, COMPACT, height, parts, False)


def status_summary(
    counts: Mapping[str, int], category_labels: Mapping[str, str]
) -> str:
    """The chart's numbers as a sentence, for readers who cannot see the chart."""
    _check_counts(counts)
    items = [
        gettext("%(count)s %(status)s")
        % {"count": counts[key], "status": _lower_first(category_labels[key])}
        for key in CATEGORIES
        if counts.get(key)
    ]
    return gettext(", ").join(items) if items else gettext("No data")


def _row(row: ChartRow, y: int, category_labels: Mapping[str, str]) -> tuple[str, int]:
    """A row's label and bar; two-line labels make the row taller than the bar."""
    lines = textwrap.wrap(
        row.label, BARS.chars(BARS.label_width), max_lines=2, placeholder="…"
    )
    height = max(BARS.bar_height, len(lines) * BARS.line_height)
    centre = y + height / 2
    label = _label(row, lines, centre)
    bar = _bar(row.counts, centre - BARS.bar_height / 2, BARS, category_labels)
    return f"<g>{label}{bar}</g>", height


def _label(row: ChartRow, lines: list[str], centre: float) -> str:
    """The row label, its full text in ``<title>`` since the drawn lines may be cut."""
    first_baseline = (
        centre - (len(lines) - 1) * BARS.line_height / 2 + BARS.font_size * 0.35
    )
    spans = "".join(
        _element(
            "tspan",
            {"x": 0, "y": first_baseline + index * BARS.line_height},
            escape(line),
        )
        for index, line in enumerate(lines)
    )
    title = _element("title", {}, escape(row.label))
    if row.href is None:
        return _element("text", {"fill": INK}, title + spans)
    text = _element("text", {"fill": LINK, "text-decoration": "underline"}, spans)
    return _element("a", {"href": row.href}, title + text)


def _bar(
    counts: Mapping[str, int],
    y: float,
    layout: _Layout,
    category_labels: Mapping[str, str],
) -> str:
    """Segments proportional to the counts, with each count written where it fits."""
    _check_counts(counts)
    total = sum(counts.values())
    outline = _element(
        "rect",
        {
            "x": layout.bar_x,
            "y": y,
            "width": layout.bar_width,
            "height": layout.bar_height,
            "fill": "none",
            "stroke": BORDER,
        },
    )
    if not total:
        return outline + _bar_note(gettext("No data"), y, layout)
    parts = []
    done = 0
    for key in CATEGORIES:
        count = counts.get(key, 0)
        if count:
            left = _edge(layout, done / total)
            done += count
            right = _edge(layout, done / total)
            label = category_labels[key]
            parts.append(_segment(key, count, total, label, (left, right), y, layout))
    return "".join(parts) + outline


def _segment(
    key: str,
    count: int,
    total: int,
    label: str,
    edges: tuple[float, float],
    y: float,
    layout: _Layout,
) -> str:
    left, right = edges
    tooltip = gettext("%(status)s: %(count)s of %(total)s") % {
        "status": label,
        "count": count,
        "total": total,
    }
    rect = _element(
        "rect",
        {
            "x": left,
            "y": y,
            "width": right - left,
            "height": layout.bar_height,
            "fill": COLOURS[key],
            "stroke": BORDER if key == NO_INFORMATION else None,
        },
        _element("title", {}, escape(tooltip)),
    )
    number = str(count)
    if len(number) * layout.font_size * DIGIT_EM + 6 > right - left:
        return rect
    text = _element(
        "text",
        {
            "x": (left + right) / 2,
            "y": y + layout.bar_height / 2 + layout.font_size * 0.35,
            "fill": INK_ON[key],
            "text-anchor": "middle",
        },
        number,
    )
    return rect + text


def _edge(layout: _Layout, share: float) -> float:
    """Edges rounded once, so neighbouring segments meet without a gap."""
    return round(layout.bar_x + layout.bar_width * share, 2)


def _bar_note(note: str, y: float, layout: _Layout) -> str:
    """A word inside an empty bar, so it does not pass for a white segment."""
    if len(note) > layout.chars(layout.bar_width - 8):
        return ""
    return _element(
        "text",
        {
            "x": layout.bar_x + 6,
            "y": y + layout.bar_height / 2 + layout.font_size * 0.35,
            "fill": INK,
        },
        escape(note),
    )


def _legend(
    y: float, layout: _Layout, category_labels: Mapping[str, str]
) -> tuple[str, int]:
    """Swatch and label of every category, flowing onto new lines as width runs out."""
    swatch = layout.font_size
    parts = []
    x = 0.0
    line = 0
    for key in CATEGORIES:
        label = category_labels[key]
        entry_width = swatch + 6 + len(label) * layout.font_size * CHAR_EM
        if x and x + entry_width > layout.width:
            x, line = 0.0, line + 1
        top = y + line * layout.line_height * 1.5
        parts.append(_legend_entry(key, label, x, top, layout))
        x += entry_width + 16
    height = int((line + 1) * layout.line_height * 1.5)
    return "".join(parts), height


def _legend_entry(key: str, label: str, x: float, top: float, layout: _Layout) -> str:
    swatch = layout.font_size
    rect = _element(
        "rect",
        {
            "x": x + 0.5,
            "y": top + 0.5,
            "width": swatch - 1,
            "height": swatch - 1,
            "fill": COLOURS[key],
            "stroke": BORDER,
        },
    )
    text = _element(
        "text",
        {"x": x + swatch + 6, "y": top + swatch * 0.85, "fill": INK},
        escape(label),
    )
    return rect + text


def _svg(
    id_prefix: str,
    title: str,
    description: str,
    layout: _Layout,
    height: float,
    parts: list[str],
    interactive: bool,
) -> SafeString:
    """The root element; a chart with links is a group, not an image, to keep them.

    ``role="img"`` hides an element's content from assistive technology, so links
    inside an image could be reached with a mouse but not with a screen reader.
    """
    if not ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix {id_prefix!r} is not a valid HTML id.")
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    heading = _element("title", {"id": title_id}, escape(title)) + _element(
        "desc", {"id": desc_id}, escape(description)
    )
    markup = _element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "status-chart",
            "width": "100%",
            "viewBox": f"0 0 {layout.width} {_number(height + 1)}",
            "role": "group" if interactive else "img",
            "aria-labelledby": f"{title_id} {desc_id}",
            "font-family": FONT_FAMILY,
            "font-size": layout.font_size,
        },
        heading + "".join(parts),
    )
    return mark_safe(markup)  # noqa: S308 - every text and attribute is escaped


def _element(tag: str, attributes: Mapping[str, object], content: str = "") -> str:
    """Markup of one element; ``content`` must already be escaped markup."""
    rendered = "".join(
        f' {name}="{escape(_number(value))}"'
        for name, value in attributes.items()
        if value is not None
    )
    return f"<{tag}{rendered}>{content}</{tag}>"


def _number(value: object) -> str:
    """Numbers with two decimals at most, so output is short and reproducible."""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:]


def _check_labels(category_labels: Mapping[str, str]) -> None:
    """Every category needs a label: the legend shows all of them."""
    missing = [key for key in CATEGORIES if key not in category_labels]
    if missing:
        raise ValueError(f"No label for the categories {missing}.")


def _check_counts(counts: Mapping[str, int]) -> None:
    """An unknown category or a negative count is a caller's bug; fail loudly."""
    unknown = sorted(set(counts) - set(CATEGORIES))
    if unknown:
        raise ValueError(f"Unknown categories {unknown}.")
    negative = sorted(key for key, count in counts.items() if count < 0)
    if negative:
        raise ValueError(f"Negative counts for {negative}.")

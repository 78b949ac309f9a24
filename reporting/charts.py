"""Status charts drawn as inline SVG, the same markup for the web pages and the PDF.

Only SVG 1.1 shapes and presentation attributes are used: the pages' Content-Security-
Policy forbids ``style`` attributes and ``<style>`` elements, and WeasyPrint draws
neither CSS variables nor ``foreignObject``. Text widths are estimated from character
counts because no font metrics are available where the markup is written.

A chart is drawn for a medium. On screen (``SCREEN``) it scales to its container and
its tooltips hold what does not fit. In print (``PRINT``, the PDF report) nothing
hovers: the chart has its natural size, one unit a CSS pixel, in the report's body
font no larger than the body text; every count is written, outside the bar where its
segment is too narrow; every chart has its legend; and its ``<title>``, which a tagged
PDF takes as the figure's text alternative, says the counts in words.
"""

import html
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from html import escape as escape_attribute
from typing import NamedTuple

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
# Attribute values written on almost every element and known to need no escaping:
# escaping them each time cost a chart some 8% of its time.
_PLAIN_VALUES = frozenset(
    value
    for value in (*COLOURS.values(), BLACK, WHITE, BORDER, INK, LINK, "none", "middle")
    if escape_attribute(value) == value
)

FONT_FAMILY = (
    "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, Helvetica Neue, Arial, "
    "sans-serif"
)
# The PDF's body font: static/reporting/report.css sets the same families on <html>.
PRINT_FONT_FAMILY = "DejaVu Sans, Liberation Sans, sans-serif"
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

    # Cached, as every bar reads them: cached_property writes to the instance's
    # __dict__ directly, which a frozen dataclass without slots allows.
    @cached_property
    def bar_x(self) -> int:
        return self.label_width + self.gap if self.label_width else 1

    @cached_property
    def bar_width(self) -> int:
        # One unit kept free on the right so the outline's stroke is not clipped.
        return self.width - self.bar_x - 1

    def chars(self, width: float) -> int:
        return int(width / (self.font_size * CHAR_EM))

    def number_width(self, number: str) -> float:
        return len(number) * self.font_size * DIGIT_EM


BARS = _Layout(width=480, font_size=13, bar_height=22, label_width=160)
COMPACT = _Layout(width=200, font_size=12, bar_height=20)
# 11 px is 8.25 pt, under the report's 9 pt body text. The widths fit the report's
# chart boxes (150 mm and 75 mm, 567 and 283 CSS pixels) at their natural size.
PRINT_BARS = _Layout(
    width=560, font_size=11, bar_height=18, label_width=190, line_height=14
)
PRINT_COMPACT = _Layout(width=280, font_size=11, bar_height=18, line_height=14)


@dataclass(frozen=True)
class Medium:
    """Where a chart is read: a page that scales it and has tooltips, or paper."""

    font_family: str
    bars: _Layout
    compact: _Layout
    printed: bool


SCREEN = Medium(FONT_FAMILY, BARS, COMPACT, printed=False)
PRINT = Medium(PRINT_FONT_FAMILY, PRINT_BARS, PRINT_COMPACT, printed=True)


def status_bars(
    *,
    rows: Sequence[ChartRow],
    title: str,
    description: str,
    category_labels: Mapping[str, str],
    id_prefix: str,
    medium: Medium = SCREEN,
) -> SafeString:
    """One labelled 100%-stacked bar per row, with a legend of the categories."""
    _check_labels(category_labels)
    layout = medium.bars
    tooltip_format = _tooltip_format()
    parts: list[str] = []
    y = 1
    for row in rows:
        markup, height = _row(row, y, category_labels, medium, tooltip_format)
        parts.append(markup)
        y += height + layout.row_gap
    legend, legend_height = _legend(
        y, layout, category_labels, _shown(medium, [row.counts for row in rows])
    )
    parts.append(legend)
    interactive = any(row.href for row in rows)
    alternative = None
    if medium.printed:
        summaries = [(r.label, status_summary(r.counts, category_labels)) for r in rows]
        summary_format = gettext("%(label)s: %(counts)s")
        alternative = gettext("; ").join(
            [
                summary_format % {"label": label, "counts": counts}
                for label, counts in summaries
            ]
        )
    return _svg(
        _Heading(id_prefix, title, description, alternative),
        medium,
        layout,
        y + legend_height,
        parts,
        interactive,
    )


def status_bar(
    *,
    counts: Mapping[str, int],
    title: str,
    description: str,
    category_labels: Mapping[str, str],
    id_prefix: str,
    legend: bool = False,
    medium: Medium = SCREEN,
) -> SafeString:
    """A single bar for a table cell, or with its legend for a state profile.

    In print the legend is always drawn: a bar alone, such as a single "1", does not
    say what it counts.
    """
    _check_labels(category_labels)
    layout = medium.compact
    total, segments = _segments(counts, layout)
    below = _below(segments, layout, medium)
    parts = [
        _bar(total, segments, 1, layout, category_labels, medium, _tooltip_format())
    ]
    height = layout.bar_height + 2 + below
    shown = _shown(medium, [counts])
    if (legend or medium.printed) and shown != []:
        markup, legend_height = _legend(
            height + layout.row_gap, layout, category_labels, shown
        )
        parts.append(markup)
        height += layout.row_gap + legend_height
    alternative = status_summary(counts, category_labels) if medium.printed else None
    return _svg(
        _Heading(id_prefix, title, description, alternative),
        medium,
        layout,
        height,
        parts,
        False,
    )


def status_summary(
    counts: Mapping[str, int], category_labels: Mapping[str, str]
) -> str:
    """The chart's numbers as a sentence, for readers who cannot see the chart."""
    _check_counts(counts)
    item_format = gettext("%(count)s %(status)s")
    items = [
        item_format
        % {"count": counts[key], "status": _lower_first(category_labels[key])}
        for key in CATEGORIES
        if counts.get(key)
    ]
    return gettext(", ").join(items) if items else gettext("No data")


def _shown(medium: Medium, counts: Sequence[Mapping[str, int]]) -> list[str] | None:
    """The legend's categories: all on screen; in print, those the chart draws."""
    if not medium.printed:
        return None
    return [key for key in CATEGORIES if any(c.get(key) for c in counts)]


def _row(
    row: ChartRow,
    y: int,
    category_labels: Mapping[str, str],
    medium: Medium,
    tooltip_format: str,
) -> tuple[str, int]:
    """A row's label and bar; a label is wrapped onto as many lines as it needs, never
    cut, and makes its row taller than the bar."""
    layout = medium.bars
    lines = _wrap(row.label, layout.chars(layout.label_width))
    label_height = len(lines) * layout.line_height
    total, segments = _segments(row.counts, layout)
    below = _below(segments, layout, medium)
    height = max(layout.bar_height + below, label_height)
    # The bar faces the label's middle; counts written under it stay inside the row,
    # and so does the label.
    bar_top = y + max(0, (label_height - layout.bar_height) / 2)
    bar_top = min(bar_top, y + height - layout.bar_height - below)
    centre = bar_top + layout.bar_height / 2
    centre = min(max(centre, y + label_height / 2), y + height - label_height / 2)
    label = _label(row, lines, centre, layout)
    bar = _bar(
        total, segments, bar_top, layout, category_labels, medium, tooltip_format
    )
    return f"<g>{label}{bar}</g>", int(height + 0.5)


def _wrap(label: str, width: int) -> Sequence[str]:
    """The label's lines, at least one."""
    # Wrapping costs more than drawing the rest of a label, and the same labels
    # (recommendations, themes, states) come back on every page. Only plain strings
    # are cached: a lazy translation's text changes with the active language.
    if type(label) is str:
        return _wrap_text(label, width)
    return textwrap.wrap(label, width) or [""]


@lru_cache(maxsize=2048)
def _wrap_text(label: str, width: int) -> tuple[str, ...]:
    return tuple(textwrap.wrap(label, width)) or ("",)


def _label(row: ChartRow, lines: Sequence[str], centre: float, layout: _Layout) -> str:
    """The row label, its full text also in ``<title>`` for a tooltip."""
    first_baseline = (
        centre - (len(lines) - 1) * layout.line_height / 2 + layout.font_size * 0.35
    )
    spans = "".join(
        [
            _element(
                "tspan",
                {"x": 0, "y": first_baseline + index * layout.line_height},
                html.escape(line),  # Django's escape, without its wrapper's cost
            )
            for index, line in enumerate(lines)
        ]
    )
    title = _element("title", {}, escape(row.label))
    if row.href is None:
        return _element("text", {"fill": INK}, title + spans)
    text = _element("text", {"fill": LINK, "text-decoration": "underline"}, spans)
    return _element("a", {"href": row.href}, title + text)


class _Segment(NamedTuple):
    """Where a category's segment lies in its bar, and whether its count fits inside."""

    key: str
    count: int
    left: float
    right: float
    fits: bool


def _segments(counts: Mapping[str, int], layout: _Layout) -> tuple[int, list[_Segment]]:
    """The total and the segments, proportional to the counts, in category order.

    Whether a count fits depends on the counts and the layout alone, not on where the
    bar is drawn, so a row learns from this how tall it is before drawing its bar.
    """
    _check_counts(counts)
    total = sum(counts.values())
    segments: list[_Segment] = []
    if not total:
        return total, segments
    bar_x, bar_width = layout.bar_x, layout.bar_width
    done = 0
    # Edges rounded once, so neighbouring segments meet without a gap: each segment
    # starts exactly where the one before it ends.
    right = round(bar_x + bar_width * (done / total), 2)
    for key in CATEGORIES:
        count = counts.get(key, 0)
        if count:
            left = right
            done += count
            right = round(bar_x + bar_width * (done / total), 2)
            fits = layout.number_width(str(count)) + 6 <= right - left
            segments.append(_Segment(key, count, left, right, fits))
    return total, segments


def _below(segments: list[_Segment], layout: _Layout, medium: Medium) -> int:
    """The height the counts written under the bar take (in print, those that do not
    fit in their segment)."""
    if medium.printed and not all(segment.fits for segment in segments):
        return layout.line_height + 4
    return 0


def _bar(
    total: int,
    segments: list[_Segment],
    y: float,
    layout: _Layout,
    category_labels: Mapping[str, str],
    medium: Medium,
    tooltip_format: str,
) -> str:
    """The segments, each count written where it fits, and the bar's outline.

    On screen a count too wide for its segment is left to the tooltip; in print it is
    written under the bar, with a tick to its segment.
    """
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
    parts = [
        _segment(segment, total, category_labels, tooltip_format, y, layout)
        for segment in segments
    ]
    outside = [
        ((segment.left + segment.right) / 2, str(segment.count))
        for segment in segments
        if not segment.fits and medium.printed
    ]
    below = _outside_counts(outside, y + layout.bar_height, layout)
    return "".join(parts) + outline + below


def _outside_counts(
    numbers: list[tuple[float, str]], bottom: float, layout: _Layout
) -> str:
    """Counts of narrow segments under the bar, left to right, pushed apart so none
    overlaps its neighbour, each joined to its segment by a short leader."""
    gap = 6
    centres: list[float] = []
    for centre, number in numbers:
        half = layout.number_width(number) / 2
        if centres:
            previous_half = layout.number_width(numbers[len(centres) - 1][1]) / 2
            centre = max(centre, centres[-1] + previous_half + gap + half)
        centres.append(centre)
    # Pushed past the right end: pull back from the right, keeping the gaps.
    limit = layout.width - 1
    for index in range(len(centres) - 1, -1, -1):
        half = layout.number_width(numbers[index][1]) / 2
        centres[index] = min(centres[index], limit - half)
        limit = centres[index] - half - gap
    parts = []
    baseline = bottom + 4 + layout.font_size
    for (segment_centre, number), centre in zip(numbers, centres, strict=True):
        leader = _element(
            "line",
            {
                "x1": segment_centre,
                "y1": bottom,
                "x2": centre,
                "y2": bottom + 4,
                "stroke": INK,
                "stroke-width": 0.75,
            },
        )
        text = _element(
            "text",
            {"x": centre, "y": baseline, "fill": INK, "text-anchor": "middle"},
            number,
        )
        parts.append(leader + text)
    return "".join(parts)


def _tooltip_format() -> str:
    """A segment's tooltip, translated once per chart rather than once a segment."""
    return gettext("%(status)s: %(count)s of %(total)s")


def _segment(
    segment: _Segment,
    total: int,
    category_labels: Mapping[str, str],
    tooltip_format: str,
    y: float,
    layout: _Layout,
) -> str:
    """A segment and, when it fits inside, its count."""
    key, count, left, right, fits = segment
    tooltip = tooltip_format % {
        "status": category_labels[key],
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
        # Django's escape, without its wrapper's cost: the tooltip is a plain str.
        _element("title", {}, html.escape(tooltip)),
    )
    if not fits:
        return rect
    text = _element(
        "text",
        {
            "x": (left + right) / 2,
            "y": y + layout.bar_height / 2 + layout.font_size * 0.35,
            "fill": INK_ON[key],
            "text-anchor": "middle",
        },
        str(count),
    )
    return rect + text


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
    y: float,
    layout: _Layout,
    category_labels: Mapping[str, str],
    shown: Sequence[str] | None = None,
) -> tuple[str, int]:
    """Swatch and label of each category (all unless ``shown`` says which), flowing
    onto new lines as width runs out."""
    if shown is not None and not shown:
        return "", 0
    swatch = layout.font_size
    parts = []
    x = 0.0
    line = 0
    for key in CATEGORIES if shown is None else shown:
        label = category_labels[key]
        entry_width = swatch + 6 + len(label) * layout.font_size * CHAR_EM
        if x and x + entry_width > layout.width:
            x, line = 0.0, line + 1
        top = y + line * layout.line_height * 1.5
        parts.append(_legend_entry(key, label, x, top, layout))
        x += entry_width + 16
    height = int((line + 1) * layout.line_height * 1.5)
    return _element("g", {"class": "chart-legend"}, "".join(parts)), height


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


@dataclass(frozen=True)
class _Heading:
    """What names a chart: its title and description, and in print the counts in
    words that complete its text alternative."""

    id_prefix: str
    title: str
    description: str
    counts: str | None = None

    @property
    def alternative(self) -> str:
        """The ``<title>``: a tagged PDF takes it as the figure's /Alt, alone."""
        if self.counts is None:
            return self.title
        return gettext("%(title)s. %(description)s %(counts)s.") % {
            "title": self.title.rstrip("."),
            "description": self.description,
            "counts": self.counts[:1].upper() + self.counts[1:],
        }


def _svg(
    heading: _Heading,
    medium: Medium,
    layout: _Layout,
    height: float,
    parts: list[str],
    interactive: bool,
) -> SafeString:
    """The root element; a chart with links is a group, not an image, to keep them.

    ``role="img"`` hides an element's content from assistive technology, so links
    inside an image could be reached with a mouse but not with a screen reader. On
    screen the chart scales to its container; in print it has its natural size in
    CSS pixels (the report's stylesheet lets it shrink, never grow).
    """
    id_prefix = heading.id_prefix
    if not ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix {id_prefix!r} is not a valid HTML id.")
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    names = _element("title", {"id": title_id}, escape(heading.alternative)) + (
        _element("desc", {"id": desc_id}, escape(heading.description))
    )
    full_height = _number(height + 1)
    markup = _element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "class": "status-chart status-chart-print"
            if medium.printed
            else "status-chart",
            "width": layout.width if medium.printed else "100%",
            "height": full_height if medium.printed else None,
            "viewBox": f"0 0 {layout.width} {full_height}",
            "role": "group" if interactive else "img",
            "aria-labelledby": f"{title_id} {desc_id}",
            "font-family": medium.font_family,
            "font-size": layout.font_size,
        },
        names + "".join(parts),
    )
    return mark_safe(markup)  # noqa: S308 - every text and attribute is escaped


def _element(tag: str, attributes: Mapping[str, object], content: str = "") -> str:
    """Markup of one element; ``content`` must already be escaped markup."""
    # A page's charts write thousands of attributes, most of them numbers, which
    # need no escaping; strings take the standard library's escape, which Django's
    # wraps (same text), without the wrapper's cost. Concatenating in place is the
    # cheapest way to build these short strings.
    rendered = f"<{tag}"
    for name, value in attributes.items():
        if value is None:
            continue
        value_type = type(value)
        if value_type is str:
            text = value if value in _PLAIN_VALUES else escape_attribute(value)
        elif value_type is float:
            text = _number(value)
        elif value_type is int:
            text = str(value)
        else:  # Subclasses (bool, SafeString) and lazy text, as they always were.
            text = escape_attribute(_number(value))
        rendered += f' {name}="{text}"'
    return f"{rendered}>{content}</{tag}>"


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

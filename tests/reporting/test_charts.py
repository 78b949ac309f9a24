"""The status charts: what a reader sees on the page and in the PDF report."""

import io
import re
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import pytest
from django.utils.translation import gettext_lazy, override
from pypdf import PdfReader
from weasyprint import CSS, HTML

from reporting.charts import (
    CATEGORIES,
    COLOURS,
    PRINT,
    ChartRow,
    status_bar,
    status_bars,
    status_summary,
)

SVG = "{http://www.w3.org/2000/svg}"
LABELS = {
    "not_started": "Not started",
    "planned": "Planned",
    "in_progress": "In progress",
    "largely_implemented": "Largely implemented",
    "fully_implemented": "Fully implemented",
    "not_applicable": "Not applicable",
    "no_information": "No information",
}
MIXED = {
    "not_started": 3,
    "planned": 4,
    "in_progress": 7,
    "fully_implemented": 19,
    "no_information": 2,
}


def bars(rows, id_prefix="chart"):
    return status_bars(
        rows=rows,
        title="Progress by recommendation",
        description="How many member states reached each status.",
        category_labels=LABELS,
        id_prefix=id_prefix,
    )


def bar(counts, id_prefix="cell", legend=False):
    return status_bar(
        counts=counts,
        title="Mexico",
        description="Status of the 22 recommendations in Mexico.",
        category_labels=LABELS,
        id_prefix=id_prefix,
        legend=legend,
    )


def parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 - the module's own output


def segments(root):
    """Coloured rects of the bars: the only rects carrying a tooltip."""
    return [
        rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None
    ]


def texts(root):
    """Each drawn line of text, without tooltips."""
    lines = []
    for text in root.iter(f"{SVG}text"):
        spans = text.findall(f"{SVG}tspan")
        lines += [span.text for span in spans] if spans else [text.text]
    return lines


def luminance(hex_colour):
    """WCAG 2 relative luminance."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    )
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first, second):
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_chart_is_an_image_named_by_its_title_and_description():
    root = parse(bars([ChartRow("Recommendation 1", MIXED)]))

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Progress by recommendation"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text.startswith("How many member states")


def test_chart_scales_to_its_container():
    root = parse(bars([ChartRow("Recommendation 1", MIXED)]))

    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert root.get("viewBox").startswith("0 0 ")


def test_segments_are_proportional_to_counts_in_category_order():
    root = parse(bars([ChartRow("Recommendation 1", MIXED)]))

    drawn = segments(root)
    total = sum(MIXED.values())
    bar_width = sum(float(rect.get("width")) for rect in drawn)
    assert [rect.get("fill") for rect in drawn] == [
        COLOURS[key] for key in CATEGORIES if MIXED.get(key)
    ]
    for rect, key in zip(drawn, [k for k in CATEGORIES if MIXED.get(k)], strict=True):
        assert float(rect.get("width")) / bar_width == pytest.approx(
            MIXED[key] / total, abs=0.001
        )
    edges = [float(rect.get("x")) for rect in drawn]
    assert edges == sorted(edges)


def test_labels_and_counts_are_written_as_text():
    root = parse(bars([ChartRow("Recommendation 1", MIXED)]))

    lines = texts(root)
    assert "Recommendation 1" in lines
    for count in MIXED.values():
        assert str(count) in lines


def test_zero_categories_draw_nothing():
    counts = {**MIXED, "largely_implemented": 0, "not_applicable": 0}
    svg = bars([ChartRow("Recommendation 1", counts)])

    fills = [rect.get("fill") for rect in segments(parse(svg))]
    assert COLOURS["largely_implemented"] not in fills
    assert COLOURS["not_applicable"] not in fills
    assert "Largely implemented:" not in svg
    assert "Not applicable:" not in svg


def test_row_without_data_draws_an_empty_outlined_bar():
    root = parse(bars([ChartRow("Recommendation 9", {})]))

    assert segments(root) == []
    outlines = [rect for rect in root.iter(f"{SVG}rect") if rect.get("fill") == "none"]
    assert len(outlines) == 1
    assert outlines[0].get("stroke") == "#767676"
    assert "No data" in texts(root)


def test_no_information_segment_has_a_visible_border():
    root = parse(bar({"no_information": 35}))

    (segment,) = segments(root)
    assert segment.get("fill") == "#ffffff"
    assert segment.get("stroke") == "#767676"
    assert contrast(segment.get("stroke"), "#ffffff") >= 4.5


def test_count_too_wide_for_its_segment_is_left_to_the_tooltip():
    root = parse(bar({"fully_implemented": 1, "no_information": 34}))

    assert texts(root) == ["34"]
    assert "Fully implemented: 1 of 35" in [
        rect.find(f"{SVG}title").text for rect in segments(root)
    ]


@pytest.mark.parametrize("key", CATEGORIES)
def test_count_text_contrasts_with_its_segment(key):
    root = parse(bar({key: 20}))

    (segment,) = segments(root)
    (count,) = [text for text in root.iter(f"{SVG}text") if text.text == "20"]
    assert contrast(count.get("fill"), segment.get("fill")) >= 4.5


def test_legend_lists_every_category_in_order():
    root = parse(bars([ChartRow("Recommendation 1", {"planned": 35})]))

    lines = texts(root)
    legend = [line for line in lines if line in LABELS.values()]
    assert legend == [LABELS[key] for key in CATEGORIES]
    swatches = [
        rect.get("fill")
        for rect in root.iter(f"{SVG}rect")
        if rect.find(f"{SVG}title") is None and rect.get("fill") != "none"
    ]
    assert swatches == [COLOURS[key] for key in CATEGORIES]


def test_compact_bar_has_no_legend_unless_asked():
    without = texts(parse(bar(MIXED)))
    with_legend = texts(parse(bar(MIXED, legend=True)))

    assert "Not started" not in without
    assert [line for line in with_legend if line in LABELS.values()] == [
        LABELS[key] for key in CATEGORIES
    ]


def test_labels_and_titles_are_escaped():
    svg = status_bars(
        rows=[ChartRow("<script>alert(1)</script>", MIXED, href='/a?"b"&c')],
        title="<b>Title</b>",
        description="A & B",
        category_labels={**LABELS, "planned": "<i>Planned</i>"},
        id_prefix="escape",
    )

    assert "<script" not in svg
    assert "<b>" not in svg
    assert "<i>" not in svg
    root = parse(svg)
    link = root.find(f".//{SVG}a")
    assert link.get("href") == '/a?"b"&c'
    assert link.find(f"{SVG}title").text == "<script>alert(1)</script>"
    assert root.find(f"{SVG}title").text == "<b>Title</b>"


def test_no_inline_style_script_or_foreign_object():
    svg = bars([ChartRow("Recommendation 1", MIXED, href="/en/recommendations/1/")])

    for forbidden in ("style=", "<style", "<script", "foreignObject", "var("):
        assert forbidden not in svg


def test_same_input_gives_identical_output():
    rows = [ChartRow("Recommendation 1", MIXED), ChartRow("Recommendation 2", {})]

    assert bars(rows) == bars(rows)
    assert bar(MIXED) == bar(MIXED)


def test_ids_come_from_the_prefix_so_charts_can_share_a_page():
    first = parse(bars([ChartRow("R1", MIXED)], id_prefix="theme-1"))
    second = parse(bars([ChartRow("R1", MIXED)], id_prefix="theme-2"))

    assert first.get("aria-labelledby") == "theme-1-title theme-1-desc"
    assert second.get("aria-labelledby") == "theme-2-title theme-2-desc"


@pytest.mark.parametrize("prefix", ["", "1abc", "a b", 'x"y'])
def test_invalid_id_prefix_is_refused(prefix):
    with pytest.raises(ValueError, match="id_prefix"):
        bar(MIXED, id_prefix=prefix)


def test_unknown_category_or_negative_count_is_refused():
    with pytest.raises(ValueError, match="Unknown categories"):
        bar({"done": 3})
    with pytest.raises(ValueError, match="Negative"):
        bar({"planned": -1})


def test_missing_category_label_is_refused():
    labels = {key: label for key, label in LABELS.items() if key != "planned"}
    with pytest.raises(ValueError, match="planned"):
        status_bar(
            counts=MIXED,
            title="t",
            description="d",
            category_labels=labels,
            id_prefix="x",
        )


def test_linked_row_label_is_a_link_and_keeps_links_reachable():
    root = parse(bars([ChartRow("Recommendation 1", MIXED, href="/r/1/")]))

    link = root.find(f".//{SVG}a")
    assert link.get("href") == "/r/1/"
    assert [span.text for span in link.iter(f"{SVG}tspan")] == ["Recommendation 1"]
    # role="img" would hide the links from screen readers.
    assert root.get("role") == "group"


def test_long_label_wraps_onto_lines_and_is_never_cut():
    label = "Protection and assistance to victims of trafficking in persons"
    root = parse(bars([ChartRow(label, MIXED)]))

    label_text = next(
        text for text in root.iter(f"{SVG}text") if text.find(f"{SVG}tspan") is not None
    )
    lines = [span.text for span in label_text.findall(f"{SVG}tspan")]
    assert len(lines) > 1
    assert " ".join(lines) == label
    assert label_text.find(f"{SVG}title").text == label


def test_charts_are_drawn_in_the_language_active_each_time():
    """Labels are wrapped and tooltips translated once and reused: never across
    languages."""
    label = gettext_lazy("No information")
    with override("es"):
        spanish = str(label)
    assert spanish != "No information"

    def drawn():
        root = parse(bars([ChartRow(label, MIXED)]))
        tooltips = [rect.find(f"{SVG}title").text for rect in segments(root)]
        return texts(root)[0], tooltips[0]

    with override("en"):
        english_first = drawn()
    with override("es"):
        spanish_drawn = drawn()
    with override("en"):
        english_again = drawn()

    assert english_first == english_again == ("No information", "Not started: 3 of 35")
    assert spanish_drawn[0] == spanish
    assert spanish_drawn[1] != "Not started: 3 of 35"
    assert spanish_drawn[1].startswith("Not started")


def test_summary_lists_non_zero_counts_in_category_order():
    counts = {"no_information": 20, "fully_implemented": 12, "in_progress": 3}

    assert status_summary(counts, LABELS) == (
        "3 in progress, 12 fully implemented, 20 no information"
    )
    assert status_summary({"planned": 0}, LABELS) == "No data"


def test_pdf_report_keeps_the_chart_text():
    rows = [
        ChartRow("Prevention", {"fully_implemented": 19, "planned": 16}),
        ChartRow("Prosecution", {"in_progress": 23, "no_information": 12}),
    ]
    page = (
        "<!doctype html><html lang='en'><body><h1>Report</h1>"
        f"{bars(rows)}{bar({'largely_implemented': 27, 'not_started': 8}, legend=True)}"
        "</body></html>"
    )

    pdf = HTML(string=page).write_pdf()

    words = PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split()
    for expected in ("Prevention", "Prosecution", "19", "16", "23", "12", "27", "8"):
        assert expected in words
    assert "information" in words  # the legend


# --- In print: the PDF report's charts ------------------------------------------------

REPORT_CSS = Path(__file__).parents[2] / "reporting/static/reporting/report.css"


def printed_bars(rows):
    return status_bars(
        rows=rows,
        title="Status by theme",
        description="Participating member states by status.",
        category_labels=LABELS,
        id_prefix="print",
        medium=PRINT,
    )


def printed_bar(counts):
    return status_bar(
        counts=counts,
        title="Recommendation 22",
        description="The Secretariat's status on recommendation 22.",
        category_labels=LABELS,
        id_prefix="print-bar",
        medium=PRINT,
    )


def families(css_value):
    return [name.strip().strip("\"'") for name in css_value.split(",")]


def test_print_charts_use_the_body_font_no_larger_than_the_body_text():
    body = re.search(r"^html \{([^}]*)\}", REPORT_CSS.read_text(), re.MULTILINE)[1]
    body_family = re.search(r"font-family:\s*([^;]+);", body)[1]
    body_points = float(re.search(r"font-size:\s*([\d.]+)pt", body)[1])

    for svg in (printed_bars([ChartRow("Prevention", MIXED)]), printed_bar(MIXED)):
        root = parse(svg)
        assert families(root.get("font-family")) == families(body_family)
        # Drawn at its natural size, one unit a CSS pixel (0.75 pt).
        assert root.get("width") == root.get("viewBox").split()[2]
        assert float(root.get("font-size")) * 0.75 <= body_points


def test_print_charts_keep_their_natural_size_in_the_report_layout():
    svg = printed_bar(MIXED)
    page = (
        "<!doctype html><html lang='en'><body>"
        f"<div class='chart chart-wide'>{svg}</div></body></html>"
    )
    document = HTML(string=page).render(stylesheets=[CSS(filename=str(REPORT_CSS))])

    def boxes(box):
        yield box
        for child in getattr(box, "children", []):
            yield from boxes(child)

    (drawn,) = [
        box
        for box in boxes(document.pages[0]._page_box)
        if (box.element_tag or "").endswith("svg")
    ]
    # Not stretched to the 150 mm box: the text keeps its size in CSS pixels.
    assert drawn.width == pytest.approx(float(parse(svg).get("width")))


def test_print_theme_labels_are_never_cut():
    label = "The role of technology and the internet in trafficking in persons"
    root = parse(printed_bars([ChartRow(label, MIXED), ChartRow("Prevention", MIXED)]))

    label_text = next(
        text for text in root.iter(f"{SVG}text") if text.find(f"{SVG}tspan") is not None
    )
    lines = [span.text for span in label_text.findall(f"{SVG}tspan")]
    assert 2 <= len(lines) <= 3
    assert " ".join(lines) == label
    assert not any("…" in line for line in lines)
    assert label_text.find(f"{SVG}title").text == label


def test_print_counts_of_small_segments_are_written_under_the_bar():
    counts = {"not_started": 1, "planned": 1, "in_progress": 1, "no_information": 29}
    root = parse(printed_bar(counts))

    assert sorted(texts(root)[:4]) == ["1", "1", "1", "29"]
    outside = [
        text
        for text in root.iter(f"{SVG}text")
        if text.text == "1" and text.get("fill") == "#1b1f24"
    ]
    assert len(outside) == 3
    (bar_segment, *_) = segments(root)
    bar_bottom = float(bar_segment.get("y")) + float(bar_segment.get("height"))
    assert all(float(text.get("y")) > bar_bottom for text in outside)
    # Pushed apart so that no two overlap, and each has a leader to its segment.
    centres = sorted(float(text.get("x")) for text in outside)
    assert all(right - left >= 11 * 0.64 for left, right in pairwise(centres))
    assert len(list(root.iter(f"{SVG}line"))) == 3


def test_print_charts_always_have_a_legend_of_what_they_draw():
    single = parse(printed_bar({"in_progress": 1}))
    several = parse(
        printed_bars(
            [
                ChartRow("Prevention", {"planned": 3}),
                ChartRow("Protection", {"fully_implemented": 2, "no_information": 1}),
            ]
        )
    )

    # Recommendation 22's bar is not a lone "1": its legend says what it counts.
    assert texts(single) == ["1", "In progress"]
    assert [line for line in texts(several) if line in LABELS.values()] == [
        "Planned",
        "Fully implemented",
        "No information",
    ]


def test_print_chart_title_is_a_text_alternative_with_the_counts_in_words():
    root = parse(printed_bar({"fully_implemented": 1, "no_information": 34}))
    themes = parse(
        printed_bars(
            [
                ChartRow("Prevention", {"planned": 3}),
                ChartRow("Protection", {"no_information": 2}),
            ]
        )
    )

    assert root.find(f"{SVG}title").text == (
        "Recommendation 22. The Secretariat's status on recommendation 22. "
        "1 fully implemented, 34 no information."
    )
    assert themes.find(f"{SVG}title").text.endswith(
        "Prevention: 3 planned; Protection: 2 no information."
    )


def test_screen_charts_still_scale_to_their_container():
    root = parse(bar(MIXED))

    assert root.get("width") == "100%"
    assert "print" not in root.get("class")

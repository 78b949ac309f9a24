"""The status charts: what a reader sees on the page and in the PDF report."""

import io
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from reporting.charts import (
    CATEGORIES,
    COLOURS,
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


def test_long_label_wraps_on_two_lines_and_keeps_its_full_text():
    label = "Protection and assistance to victims of trafficking in persons"
    root = parse(bars([ChartRow(label, MIXED)]))

    label_text = next(
        text for text in root.iter(f"{SVG}text") if text.find(f"{SVG}tspan") is not None
    )
    lines = [span.text for span in label_text.findall(f"{SVG}tspan")]
    assert len(lines) == 2
    assert lines[0] == "Protection and"
    assert lines[1].endswith("…")
    assert label_text.find(f"{SVG}title").text == label


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

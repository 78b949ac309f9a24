"""The Secretariat's texts of the report: Markdown as a document, made safe."""

from core.markdown import render_document_markdown, render_markdown

TEXT = """# Scope

The Meeting asked for it[^1].

## Sources

| State | Reports |
|:------|--------:|
| Mexico | 3 |

- first
- second

[^1]: Resolution RTP-VII/doc.5/22.
"""


def test_headings_tables_and_footnotes_come_out_as_html():
    document = render_document_markdown(TEXT, id_prefix="introduction")
    html = str(document.html)
    # "#" sits under the chapter's h1, "##" under that.
    assert '<h2 id="introduction-scope">Scope</h2>' in html
    assert '<h3 id="introduction-sources">Sources</h3>' in html
    assert "##" not in html and "| State" not in html and "[^1]" not in html
    assert '<th class="align-left">State</th>' in html
    assert '<td class="align-right">3</td>' in html
    assert "<ul>\n<li>first</li>" in html
    # The call and the note link to each other.
    assert '<a href="#introduction-fn1" id="introduction-fnref1"' in html
    assert '<li id="introduction-fn1" class="footnote-item">' in html
    assert "Resolution RTP-VII/doc.5/22." in html
    assert "style=" not in html
    assert document.headings == [
        (2, "introduction-scope", "Scope"),
        (3, "introduction-sources", "Sources"),
    ]


def test_deeper_headings_stop_at_h4_and_repeated_titles_get_their_own_ids():
    document = render_document_markdown(
        "### A\n\n#### A\n\n# *Emphasis* and `code`", id_prefix="conclusions"
    )
    assert document.headings == [
        (4, "conclusions-a", "A"),
        (4, "conclusions-a-2", "A"),
        (2, "conclusions-emphasis-and-code", "Emphasis and code"),
    ]
    assert "<h5" not in document.html


def test_two_texts_with_the_same_headings_never_share_an_id():
    first = render_document_markdown(TEXT, id_prefix="introduction")
    second = render_document_markdown(TEXT, id_prefix="conclusions")
    ids = {ident for _level, ident, _title in first.headings}
    assert ids.isdisjoint(ident for _level, ident, _title in second.headings)
    assert 'id="conclusions-fn1"' in second.html
    assert 'id="introduction-fn1"' not in second.html


def test_raw_html_is_shown_as_text_and_script_links_are_dropped():
    document = render_document_markdown(
        "<script>alert(1)</script>\n\n"
        '<h2 id="x" onclick="evil()">Raw</h2>\n\n'
        "[click](javascript:alert(1)) [site](https://www.oas.org)\n\n"
        "| a |\n|---|\n| <img src=x onerror=alert(1)> |\n",
        id_prefix="introduction",
    )
    html = str(document.html)
    assert "<script" not in html and "&lt;script&gt;" in html
    # Shown as the typed text, never as an element.
    assert '<h2 id="x"' not in html and "&lt;h2 id=" in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert '<a href="https://www.oas.org" rel="nofollow noopener noreferrer">' in html
    assert document.headings == []


def test_narratives_still_have_no_headings_or_tables():
    html = str(render_markdown("# Title\n\n| a |\n|---|\n| 1 |\n"))
    assert "<h" not in html and "<table" not in html

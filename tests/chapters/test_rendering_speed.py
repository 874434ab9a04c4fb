"""Rendering a revision block by block, and reading text off sanitised HTML with a regular
expression, give exactly what the whole-document pipeline gives."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from chapters import rendering

DEMO = sorted((Path(__file__).resolve().parents[2] / "chapters" / "demo").glob("*.md"))

# Blocks chosen to stress the cuts: lists that a blank line makes loose, lazy continuation,
# indentation, block quotes, tables, setext headings, raw HTML left open, footnotes defined
# anywhere and referenced several times, duplicate headings, and what must render whole.
BLOCKS = [
    "## Border checks",
    "## Border checks",
    "# Top heading",
    "### Sub *section*",
    "#### Deeper",
    "##### Unnumbered",
    "Setext heading\n==============",
    "Plain paragraph with **bold** and `code`.",
    "A paragraph\nwith a lazy second line.",
    "- one\n- two",
    "- loose",
    "1. first\n2. second",
    "3) third",
    "1986. A year, or a list item",
    "* * *",
    "---",
    "    indented code",
    "  indented paragraph",
    "> quoted\nlazy line",
    "> another quote",
    "| a | b |\n|:--|--:|\n| 1 | 2 |",
    "<div>\nraw *html*",
    "</div>",
    "<span>open inline",
    "text with <b>bold never closed",
    "<table><tr><td>cell",
    "Text with a note.[^n1]",
    "Again the note.[^n1] And another.[^n2]",
    "[^n1]: The first note.",
    "[^n2]: The second note,\n    continued.",
    "[^n1]: A duplicate definition.[^n2]",
    "An undefined note.[^zz]",
    "A [link](https://example.org) and an image ![alt](/media/x.png)",
    "A [reference link][ref]",
    "[ref]: https://example.org",
    "```\nfenced\n\ncode\n```",
    "<!-- comment -->",
    "<pre>\n\npre text</pre>",
    "Inline footnote^[here]",
    "Fn 1",
    "Footnotes",
    "Ünïcödé Гранична полиција",
    "&amp; &lt;tag&gt; &#10; entity",
    "trailing spaces  \nhard break",
    "\t tabbed",
    "",
]
SEPARATORS = ["\n", "\n\n", "\n\n\n", "\n \n", "\n\t\n", "\r\n\r\n"]


@st.composite
def documents(draw: st.DrawFn) -> str:
    blocks = draw(st.lists(st.sampled_from(BLOCKS), min_size=1, max_size=14))
    parts = [blocks[0]]
    for block in blocks[1:]:
        parts += [draw(st.sampled_from(SEPARATORS)), block]
    return "".join(parts) + draw(st.sampled_from(["", "\n", "\n\n"]))


def blocks_of(source: str) -> rendering.RenderedBlocks:
    return rendering.render_reusing(source, number=1, blocks={})[1] or {}


@settings(max_examples=400, deadline=None)
@given(documents(), documents(), st.sampled_from([None, 1, 12]))
def test_block_rendering_equals_whole_rendering(
    earlier: str, source: str, number: int | None
) -> None:
    html, _ = rendering.render_reusing(source, number=number, blocks=blocks_of(earlier))
    assert html == rendering.render_markdown(source, number=number)


@settings(max_examples=200, deadline=None)
@given(documents())
def test_blocks_join_to_the_source(source: str) -> None:
    parts = rendering.split_blocks(source)
    if parts is not None:
        normalised = source.replace("\r\n", "\n").replace("\r", "\n")
        assert "".join(parts) == normalised


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(DEMO),
    st.data(),
)
def test_edited_demo_chapter_renders_as_a_whole(path: Path, data: st.DataObject) -> None:
    original = path.read_text()
    blocks = blocks_of(original)
    edited = original
    for _ in range(data.draw(st.integers(1, 3))):
        start = data.draw(st.integers(0, len(edited)))
        end = data.draw(st.integers(start, min(len(edited), start + 200)))
        inserted = data.draw(st.sampled_from([*BLOCKS, "\n\n", "word ", "\n"]))
        edited = edited[:start] + inserted + edited[end:]
    html, _ = rendering.render_reusing(edited, number=7, blocks=blocks)
    assert html == rendering.render_markdown(edited, number=7)


def test_demo_chapters_are_cut_into_blocks_and_reused() -> None:
    for path in DEMO:
        source = path.read_text()
        html, blocks = rendering.render_reusing(source, number=2, blocks={})
        assert blocks is not None, path.name  # footnoted chapters are cut too
        assert html == rendering.render_markdown(source, number=2)
        again, _ = rendering.render_reusing(source, number=2, blocks=blocks)
        assert again == html


def test_what_acts_at_a_distance_renders_whole() -> None:
    for source in ("[a]\n\n[a]: /x", "```\nx\n\ny\n```", "x^[note]", "<!--\n\n-->"):
        assert rendering.split_blocks(source) is None
        html, blocks = rendering.render_reusing(source, number=1, blocks={})
        assert blocks is None
        assert html == rendering.render_markdown(source, number=1)


def full_parser_text(html: str) -> str:
    return "".join(rendering._parse(html).parts)


@settings(max_examples=300, deadline=None)
@given(documents())
def test_plain_text_of_rendered_html_matches_the_parser(source: str) -> None:
    html = rendering.render_markdown(source, number=1)
    assert rendering.plain_text(html) == full_parser_text(html)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>", "</p>", "<pre>", "</pre>", '<pre class="x">', "<textarea>", "<br>",
                '<a href="#x">', "</a>", '<a title="a>b">', "<!-- c -->", "<P>", "<pre/>",
                "\n", "\r\n", "\r", "\x00", "text", " ", "&amp;", "&#10;", "&lt;", "&am",
                "<", ">", "&", "<script>x</script>", "<b", '"', "=", "<listing>", "&#13;",
            ]
        ),
        max_size=20,
    ).map("".join)
)  # fmt: skip
def test_plain_text_of_any_html_matches_the_parser(html: str) -> None:
    assert rendering.plain_text(html) == full_parser_text(html)


def test_demo_plain_text_takes_the_fast_path() -> None:
    for path in DEMO:
        html = rendering.render_markdown(path.read_text(), number=1)
        assert rendering._serialised_text(html) == full_parser_text(html)

"""Markdown rendering, sanitising and the text model comments anchor on (no database)."""

from __future__ import annotations

import html as html_module
import random
import re
from collections.abc import Callable
from html.entities import html5 as html5_entities
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chapters.rendering import (
    RENDERER_VERSION,
    Heading,
    markdownify,
    outline,
    plain_text,
    render_markdown,
    sanitise,
    slugify,
)

# Written out here rather than imported, so that widening the allow-list fails a test.
EXPECTED_ATTRIBUTES: dict[str, set[str]] = {
    "p": set(),
    "br": set(),
    "hr": {"class"},
    **{f"h{level}": {"id", "data-secnum"} for level in range(1, 7)},
    **{tag: set() for tag in ("strong", "em", "b", "i", "u", "s", "del", "ins", "sub", "pre")},
    "sup": {"class"},
    "code": {"class"},
    "blockquote": set(),
    "ul": set(),
    "ol": {"start", "class"},
    "li": {"id", "class"},
    "a": {"href", "title", "rel", "id", "class"},
    "img": {"src", "alt", "title", "width", "height"},
    "table": set(),
    "thead": set(),
    "tbody": set(),
    "tr": set(),
    "th": {"colspan", "rowspan", "class"},
    "td": {"colspan", "rowspan", "class"},
    "dl": set(),
    "dt": set(),
    "dd": set(),
    "section": {"class"},
    "abbr": {"title"},
    "mark": set(),
    "span": set(),
}
SAFE_SCHEMES = {"", "http", "https", "mailto"}

RENDERERS: dict[str, Callable[[str], str]] = {
    "render_markdown": lambda source: render_markdown(source, number=3),
    "markdownify": markdownify,
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


def assert_inert(html: str) -> None:
    """Only allow-listed tags and attributes, only safe URL schemes, no author-written ids."""
    for tag, attrs in elements(html):
        assert tag in EXPECTED_ATTRIBUTES, f"tag <{tag}> in {html!r}"
        assert set(attrs) <= EXPECTED_ATTRIBUTES[tag], f"attributes of <{tag}>: {attrs}"
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                # Browsers drop ASCII tab/newline and leading controls before reading a scheme.
                url = re.sub(r"[\x00-\x20]", "", str(attrs[name]))
                assert urlsplit(url).scheme.lower() in SAFE_SCHEMES, f"{name}={attrs[name]!r}"
        if tag == "a":
            assert attrs.get("rel") == "noopener noreferrer"
    lowered = html.lower()
    for fragment in ("<script", "<iframe", "<style", "<svg", "<object", "<embed", "<form"):
        assert fragment not in lowered


def ids(html: str) -> list[str]:
    return [str(attrs["id"]) for _, attrs in elements(html) if "id" in attrs]


def hrefs(html: str) -> list[str]:
    return [str(attrs["href"]) for tag, attrs in elements(html) if tag == "a" and "href" in attrs]


def text_content_by_html5ever(html: str) -> str:
    """Independent oracle: html5ever (the spec's tree builder, in Rust) parses the string.

    With no tag allowed, nh3 keeps the text nodes of the tree it built, and html5ever's text
    serialisation escapes only &, <, > and U+00A0, which html.unescape undoes exactly.
    """
    return html_module.unescape(nh3.clean(html, tags=set(), clean_content_tags=set()))


def text_content_by_html5lib(html: str) -> str | None:
    try:
        import html5lib  # optional oracle, not a dependency
    except ImportError:
        return None
    fragment = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    return "".join(fragment.itertext())


# --- XSS: the output is inert ----------------------------------------------------------------

XSS_CASES: list[tuple[str, str, list[str]]] = [
    # (name, Markdown body, substrings that must not appear in the output, lowercased).
    # Tags removed with their content are shown as escaped text (see test_stray_script_tag_...),
    # so a payload's words may appear; only markup is forbidden.
    ("script element", "<script>alert(1)</script>", ["<script"]),
    ("script inside paragraph", "Text <script>alert(1)</script> more", ["<script"]),
    ("img onerror", "<img src=x onerror=alert(1)>", ["onerror", "alert"]),
    ("markdown javascript link", "[x](javascript:alert(1))", ["href"]),
    ("markdown uppercase javascript link", "[x](JAVASCRIPT:alert(1))", ["href"]),
    ("html javascript link", '<a href="javascript:alert(1)">x</a>', ["href"]),
    ("mixed-case javascript link", '<a href="JaVaScRiPt:alert(1)">', ["href"]),
    ("entity-encoded javascript link", '<a href="&#106;avascript:alert(1)">x</a>', ["href"]),
    ("tab inside javascript scheme", '<a href="java&#x09;script:alert(1)">x</a>', ["href"]),
    ("leading space javascript link", '<a href=" javascript:alert(1)">x</a>', ["href"]),
    ("vbscript link", '<a href="vbscript:msgbox(1)">x</a>', ["href"]),
    ("iframe", '<iframe src="https://evil.example/"></iframe>', ["<iframe"]),
    ("iframe srcdoc", '<iframe srcdoc="<script>alert(1)</script>">', ["<iframe", "<script"]),
    ("style element", "<style>body{display:none}</style>", ["<style"]),
    ("svg onload", "<svg onload=alert(1)><circle r=1 /></svg>", ["<svg", "<circle"]),
    ("svg script", "<svg><script>alert(1)</script></svg>", ["<svg", "<script"]),
    ("math href", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>', ["javascript"]),
    ("data html link", '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', ["data:"]),
    ("markdown data link", "[x](data:text/html,<script>alert(1)</script>)", ["href"]),
    ("markdown data image", "![x](data:image/png;base64,iVBORw0KGgo=)", ["data:"]),
    ("heading id clobbering", '<h2 id="login-form">Login</h2>', ['id="login-form"']),
    (
        "name clobbering",
        '<a name="getElementById">x</a><img name="cookie" src="/x.png">',
        ["name="],
    ),
    ("paragraph id", '<p id="csrf">x</p>', ["id="]),
    ("spoofed section number", '<h2 data-secnum="9.9">Fake</h2>', ["data-secnum"]),
    ("spoofed footnote id", '<li id="fn-1">x</li><a id="fnref-1">y</a>', ['id="fn']),
    ("style attribute", '<p style="position:fixed;top:0">x</p>', ["style"]),
    ("style attribute on cell", '<table><tr><td style="color:red">x</td></tr></table>', ["style"]),
    ("object", '<object data="https://evil.example/x.swf"></object>', ["<object"]),
    ("embed", '<embed src="https://evil.example/x.swf">', ["<embed"]),
    ("form and input", '<form action="/logout"><input name="q"><button>Go</button></form>', []),
    ("onclick on allowed tag", '<strong onclick="alert(1)">x</strong>', ["onclick"]),
    (
        "meta refresh",
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        ["refresh"],
    ),
    ("base href", '<base href="https://evil.example/">', ["<base"]),
    (
        "noscript mutation",
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
        ["onerror"],
    ),
    ("class from outside the allow-list", '<span class="btn-danger">x</span>', ["class"]),
]


@pytest.mark.parametrize("renderer", RENDERERS.values(), ids=RENDERERS.keys())
@pytest.mark.parametrize(
    ("source", "forbidden"), [c[1:] for c in XSS_CASES], ids=[c[0] for c in XSS_CASES]
)
def test_xss_payload_is_rendered_inert(
    renderer: Callable[[str], str], source: str, forbidden: list[str]
) -> None:
    for body in (
        source,
        f"Intro\n\n{source}\n\nOutro",
        f"- item {source}",
        f"| a |\n|---|\n| {source} |",
    ):
        output = renderer(body)
        assert_inert(output)
        for fragment in forbidden:
            assert fragment not in output.lower(), f"{fragment!r} in {output!r}"


@pytest.mark.parametrize("renderer", RENDERERS.values(), ids=RENDERERS.keys())
def test_raw_html_heading_keeps_text_but_no_author_id(renderer: Callable[[str], str]) -> None:
    output = renderer('<h2 id="login-form">Login</h2>\n\n## Login form')
    raw, marked = output.split("\n", 1)
    assert raw == "<h2>Login</h2>"
    # The only "login-form" is ours, derived from the Markdown heading's text.
    assert ids(output) == ["login-form"]
    assert marked.startswith('<h2 id="login-form"')


@pytest.mark.parametrize("tag", ["script", "style", "svg", "textarea", "iframe", "PLAINTEXT"])
def test_stray_script_tag_does_not_swallow_the_rest_of_the_chapter(tag: str) -> None:
    # Unfiltered, an unclosed <script> would turn everything after it into script text, which
    # the sanitiser then deletes: footnotes and later sections would silently vanish.
    rest = "\n\n## Next\n\nMore.\n\n[^1]: Note."
    for body in (f"Use <{tag}> here[^1].{rest}", f"<div>\n<{tag}>\n</div>\n\nSee[^1].{rest}"):
        html = render_markdown(body, number=1)
        assert f"&lt;{tag}&gt;" in html
        assert [h.id for h in outline(html)] == ["next"]
        assert "More." in plain_text(html)
        assert {"fn-1", "fnref-1"} <= set(ids(html))


def test_tag_filter_leaves_similar_tag_names_alone() -> None:
    assert (
        render_markdown("a <scripts>b</scripts> <style-guide>c</style-guide>") == "<p>a b c</p>\n"
    )


def test_sanitise_removes_every_id_and_section_number() -> None:
    assert sanitise('<h2 id="x" data-secnum="1">a</h2>') == "<h2>a</h2>"


def test_sanitise_keeps_allowed_markup() -> None:
    html = (
        '<p><a href="https://example.org/" title="t">x</a> <a href="mailto:a@b.example">m</a> '
        '<a href="/media/f.pdf">f</a> <a href="#fn-1">#</a></p>'
        '<ol start="3"><li>a</li></ol><table><tbody><tr><td colspan="2" class="align-right">c'
        "</td></tr></tbody></table><dl><dt>t</dt><dd>d</dd></dl>"
    )
    cleaned = sanitise(html)
    assert_inert(cleaned)
    assert hrefs(cleaned) == ["https://example.org/", "mailto:a@b.example", "/media/f.pdf", "#fn-1"]
    assert '<ol start="3">' in cleaned
    assert '<td colspan="2" class="align-right">' in cleaned
    assert "<dl><dt>t</dt><dd>d</dd></dl>" in cleaned


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<ol start="1;x">', "<ol></ol>"),
        ('<img src="/a.png" width="100px" height="20">', '<img src="/a.png" height="20">'),
        ('<code class="language-python evil">x</code>', '<code class="language-python">x</code>'),
        ('<td class="align-right wide">x</td>', "x"),  # a cell outside a table is no cell
        ('<p lang="sr" title="x" dir="rtl">a</p>', "<p>a</p>"),
        ("<p>a<!-- secret -->b</p>", "<p>ab</p>"),
    ],
)
def test_sanitise_filters_attribute_values(html: str, expected: str) -> None:
    assert sanitise(html) == expected


def test_sanitise_output_is_a_fixed_point_of_the_html_parser() -> None:
    # nh3 drops <caption> but keeps its text inside <table>, where the browser would
    # foster-parent it before the table; the second pass settles it there, as the browser does.
    html = "<table><tbody><tr><td>a</td></tr></tbody><caption>cap</caption></table>"
    cleaned = sanitise(html)
    assert cleaned == "cap<table><tbody><tr><td>a</td></tr></tbody></table>"
    assert sanitise(cleaned) == cleaned


# --- Section numbers -------------------------------------------------------------------------

NUMBERING_CASES: list[tuple[str, str, list[tuple[int, str]]]] = [
    (
        "chapter levels",
        "## A\n### B\n#### C\n## D",
        [(2, "3.1"), (3, "3.1.1"), (4, "3.1.1.1"), (2, "3.2")],
    ),
    (
        "siblings restart deeper counters",
        "## A\n### B\n### C\n## D\n### E",
        [(2, "3.1"), (3, "3.1.1"), (3, "3.1.2"), (2, "3.2"), (3, "3.2.1")],
    ),
    ("h1 is treated like h2", "# A\n## B\n# C", [(2, "3.1"), (2, "3.2"), (2, "3.3")]),
    (
        "skipped level before any h2 counts as 0",
        "### A\n## B\n#### C",
        [(3, "3.0.1"), (2, "3.1"), (4, "3.1.0.1")],
    ),
    ("h4 straight after chapter start", "#### A\n### B", [(4, "3.0.0.1"), (3, "3.0.1")]),
    (
        "levels 5 and 6 are unnumbered",
        "## A\n##### B\n###### C\n### D",
        [(2, "3.1"), (5, ""), (6, ""), (3, "3.1.1")],
    ),
    ("setext headings are numbered too", "A\n===\n\nB\n---", [(2, "3.1"), (2, "3.2")]),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in NUMBERING_CASES], ids=[c[0] for c in NUMBERING_CASES]
)
def test_headings_are_numbered_within_the_chapter(
    source: str, expected: list[tuple[int, str]]
) -> None:
    html = render_markdown(source, number=3)
    assert [(h.level, h.number) for h in outline(html)] == expected


def test_section_number_is_an_attribute_not_text() -> None:
    html = render_markdown("## Scope\n\n### Definitions", number=3)
    assert '<h2 id="scope" data-secnum="3.1">Scope</h2>' in html
    assert '<h3 id="definitions" data-secnum="3.1.1">Definitions</h3>' in html
    assert plain_text(html) == "Scope\nDefinitions\n"


def test_chapter_number_zero_is_a_number() -> None:
    assert outline(render_markdown("## Foreword", number=0))[0].number == "0.1"


@pytest.mark.parametrize("renderer", [render_markdown, markdownify])
def test_preview_has_ids_but_no_numbers(renderer: Callable[[str], str]) -> None:
    html = renderer("# A\n## B\n### C")
    assert "data-secnum" not in html
    assert [(h.level, h.id, h.number) for h in outline(html)] == [
        (2, "a", ""),
        (2, "b", ""),
        (3, "c", ""),
    ]


# --- Heading ids -----------------------------------------------------------------------------

HEADING_ID_CASES: list[tuple[str, str, list[str]]] = [
    ("plain words", "## Legal framework", ["legal-framework"]),
    ("duplicates get -2, -3", "## Intro\n## Intro\n## Intro", ["intro", "intro-2", "intro-3"]),
    (
        "dedupe skips taken suffixes",
        "## Intro\n## Intro 2\n## Intro",
        ["intro", "intro-2", "intro-3"],
    ),
    ("Cyrillic is kept", "## Гранична полиција", ["гранична-полиција"]),
    ("Macedonian letters are not folded", "## Ќ, Ѓ и Ѕ", ["ќ-ѓ-и-ѕ"]),
    ("Albanian", "## Policia e Kufirit", ["policia-e-kufirit"]),
    (
        "Latin diacritics are folded",
        "## Čuvanje oružja, Đorđe, Ëndërr",
        ["cuvanje-oruzja-djordje-enderr"],
    ),
    ("inline markup and entities", "## `Code` &amp; *emphasis* [link](/x)", ["code-emphasis-link"]),
    ("numbers and punctuation", "## 3.1 Scope (draft)!", ["3-1-scope-draft"]),
    ("empty heading falls back", "##\n## Second\n## !!!", ["section-1", "second", "section-3"]),
    ("heading that spells a footnote id", "## fn 1\n\nText[^a]\n\n[^a]: Note.", ["fn-1-2"]),
    ("fallback is deduplicated", "## Section 2\n##", ["section-2", "section-2-2"]),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in HEADING_ID_CASES], ids=[c[0] for c in HEADING_ID_CASES]
)
def test_heading_ids_are_stable_slugs(source: str, expected: list[str]) -> None:
    html = render_markdown(source, number=1)
    assert [h.id for h in outline(html)] == expected
    assert len(set(ids(html))) == len(ids(html))


def test_heading_id_does_not_depend_on_chapter_number() -> None:
    source = "## Legal framework\n### Scope"
    assert [h.id for h in outline(render_markdown(source, number=1))] == [
        h.id for h in outline(render_markdown(source, number=7))
    ]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Legal framework", "legal-framework"),
        ("  --Leading and trailing--  ", "leading-and-trailing"),
        ("Straße", "strasse"),
        ("ﬁrearm ①", "firearm-1"),
        ("Граница — Kufiri", "граница-kufiri"),
        ("!!!", ""),
        ("a" * 200, "a" * 80),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_outline_lists_headings_with_text() -> None:
    html = render_markdown("# Title\n\n## Legal *framework*\n\n### Scope", number=4)
    assert outline(html) == [
        Heading(level=2, id="title", number="4.1", text="Title"),
        Heading(level=2, id="legal-framework", number="4.2", text="Legal framework"),
        Heading(level=3, id="scope", number="4.2.1", text="Scope"),
    ]


def test_outline_keeps_raw_html_headings_without_id() -> None:
    html = render_markdown("<h3>Raw</h3>\n\n## Marked", number=1)
    assert outline(html) == [
        Heading(level=3, id="", number="", text="Raw"),
        Heading(level=2, id="marked", number="1.1", text="Marked"),
    ]


# --- Tables, footnotes, lists, code ----------------------------------------------------------


def test_table_alignment_becomes_classes() -> None:
    html = render_markdown("| L | C | R | N |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |")
    assert '<th class="align-left">L</th>' in html
    assert '<th class="align-center">C</th>' in html
    assert '<td class="align-right">3</td>' in html
    assert "<td>4</td>" in html
    assert "style" not in html


def test_footnote_links_resolve_to_existing_ids() -> None:
    html = render_markdown(
        "## Notes\n\nFirst[^a], again[^a], inline ^[short].\n\n[^a]: Long note.", number=2
    )
    present = set(ids(html))
    internal = [href[1:] for href in hrefs(html) if href.startswith("#")]
    assert internal
    assert all(target in present for target in internal)
    assert {"fn-1", "fn-2", "fnref-1", "fnref-1-1", "fnref-2"} <= present
    assert '<a href="#fn-1" id="fnref-1" rel="noopener noreferrer">[1]</a>' in html
    assert '<li id="fn-1" class="footnote-item">' in html


def test_footnote_with_duplicate_definition_has_no_dangling_backlink() -> None:
    # The reference sits in the first definition, which the duplicate label replaces.
    html = render_markdown("[^1]: see [^1]\n\n[^1]: second")
    assert "fnref-1" not in html
    assert '<li id="fn-1" class="footnote-item">' in html


def test_lists_render_ordered_unordered_and_nested() -> None:
    html = render_markdown("- a\n  - b\n- c\n\n3. x\n4. y")
    assert html == (
        "<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n<li>c</li>\n</ul>\n"
        '<ol start="3">\n<li>x</li>\n<li>y</li>\n</ol>\n'
    )


def test_code_blocks_are_escaped_text() -> None:
    html = render_markdown("```python\nif x < 1 and '<script>':\n    pass\n```\n\n    indented <b>")
    assert "<pre><code class=\"language-python\">if x &lt; 1 and '&lt;script&gt;':" in html
    assert "<pre><code>indented &lt;b&gt;\n</code></pre>" in html
    assert_inert(html)


def test_rendering_is_deterministic() -> None:
    source = "## A\n\nText[^1] <b>x</b>\n\n| a |\n|--:|\n| 1 |\n\n[^1]: n"
    assert len({render_markdown(source, number=5) for _ in range(5)}) == 1


def test_renderer_version_is_a_positive_int() -> None:
    assert isinstance(RENDERER_VERSION, int)
    assert RENDERER_VERSION >= 1


def test_empty_source_renders_nothing() -> None:
    assert render_markdown("") == ""
    assert plain_text("") == ""
    assert outline("") == []


# --- plain_text: what element.textContent returns --------------------------------------------

PLAIN_TEXT_CASES: list[tuple[str, str, str]] = [
    (
        "entities",
        "<p>a &amp; b &lt; c&nbsp;d &#39;e&#39; &quot;f&quot; &gt;</p>",
        "a & b < c\xa0d 'e' \"f\" >",
    ),
    ("nested inline markup", "<p>a <strong>b <em>c</em></strong> <code>d</code></p>", "a b c d"),
    ("br and img add nothing", '<p>a<br>b<img src="/x.png" alt="alt">c</p>', "abc"),
    ("whitespace between blocks is kept", "<p>a</p>\n<p>b</p>\n", "a\nb\n"),
    ("comments add nothing", "<p>a<!-- note -->b</p>", "ab"),
    ("newline after pre is dropped", "<pre>\nx</pre>", "x"),
    ("only one newline after pre is dropped", "<pre>\n\nx</pre>", "\nx"),
    ("newline written as reference after pre is dropped", "<pre>&#10;x</pre>", "x"),
    ("newline after code inside pre is kept", "<pre><code>\nx\n</code></pre>", "\nx\n"),
    ("newline after a comment in pre is kept", "<pre><!-- c -->\nx</pre>", "\nx"),
    (
        "newline after textarea and listing is dropped",
        "<textarea>\nt</textarea><listing>\nl</listing>",
        "tl",
    ),
    ("CRLF and CR become LF", "<p>a\r\nb\rc</p>", "a\nb\nc"),
    ("CR written as a reference stays", "<p>a&#13;b</p>", "a\rb"),
    ("NUL in text is ignored", "<p>a\x00b</p>", "ab"),
    ("NUL reference is a replacement character", "<p>a&#0;b</p>", "a\ufffdb"),
    ("attribute values with angle brackets", '<a title="x>y" href="/">z</a>', "z"),
    ("self-closing pre still drops the newline", "<pre/>\nx</pre>", "x"),
]


@pytest.mark.parametrize(
    ("html", "expected"), [c[1:] for c in PLAIN_TEXT_CASES], ids=[c[0] for c in PLAIN_TEXT_CASES]
)
def test_plain_text_matches_text_content(html: str, expected: str) -> None:
    assert plain_text(html) == expected
    assert text_content_by_html5ever(html) == expected


RENDERED_TEXT_CASES: list[tuple[str, str, str]] = [
    ("entities in Markdown", "a &amp; b &lt; c&nbsp;d &#39;e&#39;", "a & b < c\xa0d 'e'\n"),
    ("nested emphasis and link", "**a *b* `c`** [d](/x)", "a b c d\n"),
    ("heading and paragraph", "# T\n\npara", "T\npara\n"),
    (
        "table keeps whitespace nodes",
        "| a | b |\n|:-|--:|\n| 1 | 2 |",
        "\n\n\na\nb\n\n\n\n\n1\n2\n\n\n\n",
    ),
    ("list", "- a\n- b", "\na\nb\n\n"),
    ("nested list", "- a\n  - b\n- c", "\na\n\nb\n\n\nc\n\n"),
    ("footnotes", "Text[^1].\n\n[^1]: Note.", "Text[1].\n\n\n\nNote. \u21a9\ufe0e\n\n\n\n"),
    ("fenced code", "```python\nx = 1 < 2\n```", "x = 1 < 2\n\n"),
    ("code block starting with a newline", "```\n\nx\n```", "\nx\n\n"),
    ("raw pre starting with blank lines", "<pre>\n\nx</pre>", "x"),
    ("image adds nothing", "![alt](/media/a.png)", "\n"),
    ("hard break adds nothing", "a  \nb", "a\nb\n"),
    ("script shown as text", "a <script>x</script> b", "a <script>x</script> b\n"),
    ("CRLF source", "a\r\nb\r\n\r\nc", "a\nb\nc\n"),
    ("NUL in source", "a\x00b", "a\ufffdb\n"),
]


@pytest.mark.parametrize(
    ("source", "expected"),
    [c[1:] for c in RENDERED_TEXT_CASES],
    ids=[c[0] for c in RENDERED_TEXT_CASES],
)
def test_plain_text_of_rendered_markdown(source: str, expected: str) -> None:
    html = render_markdown(source, number=1)
    assert plain_text(html) == expected
    assert text_content_by_html5ever(html) == expected


# --- Properties ------------------------------------------------------------------------------

WORDS = ["border", "guard", "weapon", "holster", "calibre", "kufiri", "граница", "оружје", "çelik"]
MARKUP = [
    "*",
    "_",
    "#",
    "-",
    "|",
    "`",
    "```",
    "\n",
    "\n\n",
    "&",
    "<",
    " ",
    "  ",
    ".",
    ",",
    ";",
    ":",
    "(",
    ")",
    "&amp;",
    "&lt;",
    "&nbsp;",
    "&#39;",
    "1.",
    "> ",
    "    ",
    "\t",
    "~~",
]
# Raw HTML, footnotes and awkward characters: what a sanitiser and a text model can get wrong.
HTML_AND_FRIENDS = [
    "[^1]", "\n\n[^1]: ", "^[", "]", "<b>", "</b>", "<pre>\n\nx</pre>", "<caption>c</caption>",
    "<table><tr><td>a</td></tr>x</table>", "<script>", "</script>", '<h2 id="x">', "</h2>",
    "<img src=x onerror=alert(1)>", "<!-- c -->", "<br>", "&#10;", "\U0001f600",
    "\r\n", "\r", "\x00",
]  # fmt: skip
markdownish = st.lists(st.sampled_from(WORDS + MARKUP + HTML_AND_FRIENDS), max_size=80).map("".join)
# GFM tables drop cells beyond the header's count, so words can legitimately vanish with "|".
markdownish_without_tables = st.lists(
    st.sampled_from(WORDS + [m for m in MARKUP if m != "|"]), max_size=80
).map("".join)
# Where words may legitimately disappear: an HTML tag or autolink (`<border guard>`, `</x>`,
# `<a:b>`; inside a raw HTML block an unclosed `<x y` or `<x <y>` is one tag to the parser), and
# a fence's info string (the rest of a line after ``` or ~~~, also inside `>` or a list).
MARKUP_SPANS = re.compile(r"</?[^\W\d_][^>]*(?:>|\Z)|(?:`{3,}|~{3,}).*$", re.MULTILINE)

PROPERTY_SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def test_property_words_do_not_start_with_an_entity_name() -> None:
    # "&" + word must stay text, with or without ";" (HTML decodes some legacy names without).
    names = {name.rstrip(";") for name in html5_entities}
    assert not [(word, name) for word in WORDS for name in names if word.startswith(name)]


@PROPERTY_SETTINGS
@given(markdownish)
def test_plain_text_agrees_with_an_independent_html_parser(source: str) -> None:
    html = render_markdown(source, number=2)
    text = plain_text(html)
    assert text == text_content_by_html5ever(html)
    by_html5lib = text_content_by_html5lib(html)
    if by_html5lib is not None:
        assert text == by_html5lib


@PROPERTY_SETTINGS
@given(markdownish)
def test_rendered_output_is_inert_deterministic_and_linked(source: str) -> None:
    html = render_markdown(source, number=2)
    assert_inert(html)
    assert render_markdown(source, number=2) == html
    present = ids(html)
    assert len(set(present)) == len(present)
    assert all(href[1:] in present for href in hrefs(html) if href.startswith("#fn"))
    # Every "<" in the text came from the source ("<" or "&lt;"), never from a tag.
    assert plain_text(html).count("<") <= source.count("<") + source.count("&lt;")
    # Section numbers are attributes: the anchoring text is the same with or without them.
    assert plain_text(render_markdown(source)) == plain_text(html)


@PROPERTY_SETTINGS
@given(markdownish_without_tables)
def test_words_outside_markup_survive_in_order(source: str) -> None:
    text = plain_text(render_markdown(source, number=2))
    position = 0
    for match in re.finditer(r"\w+", MARKUP_SPANS.sub(" ", source)):
        if match[0] not in WORDS:
            continue
        found = text.find(match[0], position)
        assert found >= 0, f"{match[0]!r} missing after {position} in {text!r}"
        position = found + len(match[0])


# --- Speed -----------------------------------------------------------------------------------

VOCABULARY = [
    "border", "guard", "firearm", "holster", "safety", "drill", "patrol", "calibre", "range",
    "magazine", "recoil", "trigger", "officer", "weapon", "ammunition", "storage", "inspection",
    "procedure", "граница", "полиција", "kufiri", "policia",
]  # fmt: skip


def handbook_chapter(words: int = 20_000, seed: int = 7) -> str:
    """About `words` words: paragraphs, headings, lists, tables and footnotes."""
    rng = random.Random(seed)

    def sentence(length: int) -> str:
        chosen = [rng.choice(VOCABULARY) for _ in range(length)]
        chosen[0] = chosen[0].capitalize()
        chosen[2] = f"**{chosen[2]}**" if rng.random() < 0.3 else chosen[2]
        chosen[4] = f"`{chosen[4]}`" if rng.random() < 0.2 else chosen[4]
        chosen[5] = f"[{chosen[5]}](/media/x.pdf)" if rng.random() < 0.1 else chosen[5]
        return " ".join(chosen) + "."

    blocks: list[str] = []
    count = 0
    while count < words:
        kind = len(blocks) % 12
        if kind == 0:
            blocks.append(f"## Section {len(blocks)} {rng.choice(VOCABULARY)}")
        elif kind == 4:
            blocks.append(f"### Procedure {rng.choice(VOCABULARY)}")
        elif kind == 7:
            blocks.append("\n".join(f"- {sentence(8)}" for _ in range(5)))
        elif kind == 9:
            rows = [f"| {rng.choice(VOCABULARY)} | 9 mm | {rng.randint(1, 99)} |" for _ in range(8)]
            blocks.append("\n".join(["| Item | Calibre | Count |", "|:--|:-:|--:|", *rows]))
        elif kind == 11:
            blocks.append(f"{sentence(12)}[^n{len(blocks)}]\n\n[^n{len(blocks)}]: {sentence(10)}")
        else:
            blocks.append(" ".join(sentence(rng.randint(8, 16)) for _ in range(5)))
        count += len(blocks[-1].split())
    return "\n\n".join(blocks)


def test_twenty_thousand_word_chapter_renders() -> None:
    # How fast is bench/run.py's business (text_render_20k_ms, text_plain_text_20k_ms).
    source = handbook_chapter()
    assert 20_000 <= len(source.split()) < 22_000
    html = render_markdown(source, number=3)
    assert len(outline(html)) > 50
    assert len(plain_text(html).split()) > 0.9 * len(source.split())  # less the markup

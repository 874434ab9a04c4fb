"""Importing a Word or Markdown draft: checked by content, previewed without writing, applied as
new chapters or new versions matched by title, never duplicated."""

import io
import re
import zipfile

import docx
import pypandoc
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from chapters import rendering
from chapters.models import Chapter
from chapters.wordfile import read_upload, split_chapters
from chapters.wordsplit import ImportRefused, chapter_title, strip_raw_html
from comments import anchoring
from comments.actions import open_thread
from tests import factories
from tests.conftest import client_for

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600

# --- Building test documents


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def word_document(*, extra_paragraph="", picture=False):
    """Three Heading 1 chapters with Cyrillic and Albanian text, a table and a sub-heading."""
    document = docx.Document()
    document.add_heading("1. Правни оквир", level=1)
    document.add_paragraph("Гранична полиција контролише оружје на граници.")
    document.add_heading("Меѓународни инструменти", level=2)
    document.add_paragraph("Протокол против нелегалне производње." + extra_paragraph)
    document.add_heading("Chapter 2: Kontrolli në kufi", level=1)
    document.add_paragraph("Policia kufitare kontrollon armët në pikën e kalimit.")
    table = document.add_table(rows=2, cols=2)
    table.style = "Table Grid"
    table.cell(0, 0).text = "Instrumenti"
    table.cell(0, 1).text = "Niveli"
    table.cell(1, 0).text = "Protokolli"
    table.cell(1, 1).text = "Global"
    if picture:
        document.add_picture(io.BytesIO(png_bytes()))
    document.add_heading("3. Сарадња", level=1)
    document.add_paragraph("Размена информација између агенција.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def word_with_footnote(tmp_path):
    # python-docx has no footnote API: pandoc writes the .docx from Markdown instead.
    source = (
        "# Ligji\n\nNeni 5 i ligjit[^1] zbatohet.\n\n"
        "# Контрола\n\nТекст без фусноте.\n\n"
        "[^1]: Гласник бр. 12/2020.\n"
    )
    target = tmp_path / "footnote.docx"
    pypandoc.convert_text(source, "docx", format="markdown", outputfile=str(target))
    return target.read_bytes()


def with_member(docx_bytes, name, data):
    """The .docx with one part's bytes replaced."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, data if item.filename == name else source.read(item))
    return buffer.getvalue()


def zip_bomb():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("word/media/padding.bin", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


# --- Reading (no database)


def test_word_document_becomes_three_chapters_with_their_content():
    chapters = read_upload("draft.docx", word_document())

    assert [c.title for c in chapters] == ["Правни оквир", "Kontrolli në kufi", "Сарадња"]
    first, second, third = chapters
    assert first.body.startswith("Гранична полиција контролише оружје на граници.")
    assert "## Меѓународни инструменти" in first.body
    assert "Policia kufitare kontrollon armët" in second.body
    assert "| Instrumenti | Niveli |" in second.body
    html = rendering.render_markdown(second.body, number=2)
    assert "<table>" in html and "<td>Protokolli</td>" in html
    assert third.body == "Размена информација између агенција.\n"


def test_footnote_goes_with_the_chapter_that_cites_it(tmp_path):
    first, second = read_upload("notes.docx", word_with_footnote(tmp_path))

    assert (first.title, second.title) == ("Ligji", "Контрола")
    assert "[^1]: Гласник бр. 12/2020." in first.body
    assert "[^1]" not in second.body
    html = rendering.render_markdown(first.body, number=1)
    assert 'class="footnote-ref"' in html and "Гласник бр. 12/2020." in html


def test_markdown_without_level_one_headings_splits_at_level_two():
    chapters = read_upload(
        "draft.md", b"## Ammunition\n\nText.\n\n#### Calibres\n\n## Explosives\n"
    )
    assert [c.title for c in chapters] == ["Ammunition", "Explosives"]
    assert chapters[0].body == "Text.\n\n## Calibres\n"
    assert chapters[1].body == ""


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("3. Ammunition", "Ammunition"),
        ("Chapter 3: Ammunition", "Ammunition"),
        ("1.2 Markings", "Markings"),
        ("3) Explosives", "Explosives"),
        ("Глава 4. Муниција", "Муниција"),
        ("2021 review", "2021 review"),
        ("Chapter 3", "Chapter 3"),
        ("  Legal   framework ", "Legal framework"),
    ],
)
def test_chapter_title_loses_its_number(heading, title):
    assert chapter_title(heading) == title


@pytest.mark.parametrize(
    ("source", "expected", "blocks"),
    [
        ("Text <b>bold</b>.", "Text \\<b>bold\\</b>.", 0),
        ("<script>\nalert(1)\n</script>\n\nAfter.", "\nAfter.", 1),
        ("Code `<b>` stays.", "Code `<b>` stays.", 0),
        ("```\n<div>x</div>\n```", "```\n<div>x</div>\n```", 0),
        ("A link <https://example.org> <b>x</b>", "A link <https://example.org> \\<b>x\\</b>", 0),
    ],
)
def test_raw_html_is_removed_or_escaped(source, expected, blocks):
    assert strip_raw_html(source) == (expected, blocks)


def test_raw_script_in_imported_markdown_is_never_rendered():
    (chapter,) = read_upload(
        "evil.md",
        b"# Evil\n\n<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)> end.\n",
    )
    assert "alert(1)</script>" not in chapter.body  # the HTML block is gone
    assert chapter.notes == ("1 block(s) of raw HTML removed.",)  # and the preview says so
    html = rendering.render_markdown(chapter.body, number=1)
    assert "<script" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the inline tag shows as text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.pdf", b"%PDF-1.7 ...", "Only Word documents (.docx) and Markdown files"),
        ("draft.docx", b"just some text", "not a Word document"),
        ("draft.docx", b"PK\x03\x04 truncated zip", "damaged"),
        (
            "draft.docx",
            OLE_HEADER,
            "encrypted or in the old",
        ),
        ("draft.doc", OLE_HEADER, "old .doc format"),
        ("draft.md", "# Наслов\n\nтекст".encode("cp1251"), "not in UTF-8"),
        ("draft.md", b"PK\x03\x04\0\0", "not a Markdown text file"),
        ("draft.md", b"Just a paragraph.\n", "no headings"),
        ("draft.md", b"Title page\n\n# One\n", "text before its first chapter heading"),
        ("draft.md", b"# One\n\n# ONE\n", "Two chapters are called"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(name, data, message):
    with pytest.raises(ImportRefused, match=re.escape(message)):
        read_upload(name, data)


def test_zip_bomb_is_refused_before_extraction():
    with pytest.raises(ImportRefused, match="unpacks to far more data"):
        read_upload("bomb.docx", zip_bomb())


def test_zip_over_the_uncompressed_limit_is_refused(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 10_000
    with pytest.raises(ImportRefused, match="unpacks to far more data"):
        read_upload("draft.docx", word_document())


def test_word_document_that_is_not_a_word_document_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(ImportRefused, match="not a Word document"):
        read_upload("book.docx", buffer.getvalue())


def test_image_of_unknown_type_is_refused_by_name():
    document = with_member(word_document(picture=True), "word/media/image1.png", b"<svg/>")
    with pytest.raises(ImportRefused, match=r"image1\.png"):
        read_upload("draft.docx", document)


def test_file_over_the_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(ImportRefused, match="larger than 100 bytes"):
        read_upload("draft.md", b"# A\n" + b"x" * 200)


def test_split_is_pure_and_keeps_code_headings_in_place():
    chapters = split_chapters("# A\n\n```\n# not a heading\n```\n\n# B\n\ntext\n")
    assert [c.title for c in chapters] == ["A", "B"]
    assert "# not a heading" in chapters[0].body


# --- The pages


def upload(client, handbook, name, data):
    """Upload, let the (immediate) worker read it on commit, and open the job page."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("chapters:import_upload", args=[handbook.slug]),
            {"file": SimpleUploadedFile(name, data)},
        )
    upload_url = reverse("chapters:import_upload", args=[handbook.slug])
    if response.status_code != 302 or not response.url.startswith(upload_url):
        return response  # refused, or sent to the login page
    return client.get(response.url)


def confirm(client, handbook, response):
    job = response.context["job"]
    return client.post(
        reverse("chapters:import_confirm", args=[handbook.slug, job.pk]),
        {"versions": response.context["versions"]},
    )


def counts():
    return Chapter.objects.count(), Chapter.history.count()


def test_preview_writes_nothing_and_confirm_creates_the_chapters(
    editor, handbook, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(editor)
    before = counts()

    preview = upload(client, handbook, "draft.docx", word_document(picture=True))

    assert preview.status_code == 200
    assert counts() == before
    # No image stored before confirmation, and the upload was deleted once it had been read.
    assert not [path for path in tmp_path.rglob("*") if path.is_file()]
    plan = preview.context["plan"]
    assert [(p.number, p.imported.title, p.action) for p in plan] == [
        (1, "Правни оквир", "new"),
        (2, "Kontrolli në kufi", "new"),
        (3, "Сарадња", "new"),
    ]
    assert all(p.words > 0 for p in plan)
    assert "Confirm import" in preview.text and "Сарадња" in preview.text

    done = confirm(client, handbook, preview)

    assert done.status_code == 302 and done.url == handbook.get_absolute_url()
    chapters = list(handbook.chapters.order_by("number"))
    assert [c.title for c in chapters] == ["Правни оквир", "Kontrolli në kufi", "Сарадња"]
    assert "<table>" in chapters[1].rendered()
    image_url = chapters[1].body.split("](")[1].split(")")[0]
    assert image_url.startswith("/media/images/import-") and image_url.endswith(".png")
    fetched = client.get(image_url)
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content).startswith(b"\x89PNG")
    page = client.get(handbook.get_absolute_url())
    assert "3 chapter(s) created" in page.text


def test_reimporting_a_changed_file_makes_new_versions_not_duplicates(editor, handbook):
    client = client_for(editor)
    confirm(client, handbook, upload(client, handbook, "draft.docx", word_document()))

    changed = word_document(extra_paragraph=" Додата реченица.")
    preview = upload(client, handbook, "draft-v2.docx", changed)
    assert [p.action for p in preview.context["plan"]] == ["replace", "unchanged", "unchanged"]
    confirm(client, handbook, preview)

    assert handbook.chapters.count() == 3
    first = handbook.chapters.get(number=1)
    assert first.version == 2 and "Додата реченица." in first.body
    assert first.history.count() == 2
    assert first.versions().first().history_change_reason == "Imported from draft-v2.docx"
    assert [c.version for c in handbook.chapters.order_by("number")] == [2, 1, 1]


def test_reimporting_the_same_file_changes_nothing(editor, handbook, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(editor)
    document = word_document(picture=True)
    confirm(client, handbook, upload(client, handbook, "draft.docx", document))
    before = counts()
    stored = sorted(tmp_path.rglob("*.png"))
    assert len(stored) == 1

    preview = upload(client, handbook, "draft.docx", document)

    assert [p.action for p in preview.context["plan"]] == ["unchanged"] * 3
    assert "Nothing to import" in preview.text
    assert confirm(client, handbook, preview).status_code == 302
    assert counts() == before
    assert sorted(tmp_path.rglob("*.png")) == stored  # images are stored once, by content


def test_import_replaces_a_chapter_by_title_and_its_comments_follow(editor, handbook):
    body = "The officer records the serial number of every firearm.\n"
    chapter = factories.chapter(handbook, by=editor, title="Legal framework", body=body)
    text = chapter.plain_text()
    start = text.index("serial number")
    thread = open_thread(
        chapter,
        by=editor,
        anchor=anchoring.describe(text, start, start + len("serial number")),
        body="Which one?",
    )
    source = f"# 1. legal  FRAMEWORK\n\nIn all cases, {body[0].lower()}{body[1:]}\n# New one\n"
    client = client_for(editor)

    preview = upload(client, handbook, "draft.md", source.encode())
    assert [(p.action, p.number) for p in preview.context["plan"]] == [("replace", 1), ("new", 2)]
    confirm(client, handbook, preview)

    chapter.refresh_from_db()
    assert chapter.version == 2 and chapter.title == "legal FRAMEWORK"  # as the file spells it
    thread.refresh_from_db()
    assert chapter.plain_text()[thread.start : thread.end] == "serial number"
    assert thread.anchored_version == 2
    assert handbook.chapters.count() == 2


def test_chapter_changed_after_the_preview_stops_the_import(editor, other_editor, handbook):
    chapter = factories.chapter(handbook, by=editor, title="Ammunition", body="Old.\n")
    client = client_for(editor)
    preview = upload(client, handbook, "draft.md", b"# Ammunition\n\nImported.\n\n# Other\n")
    chapter.revise(body="Edited meanwhile.\n", by=other_editor, reason="r", base_version=1)
    before = counts()

    response = confirm(client, handbook, preview)

    assert response.status_code == 409
    assert "changed after the preview" in response.text
    assert counts() == before


def test_preview_of_another_editor_cannot_be_confirmed(editor, other_editor, handbook):
    preview = upload(client_for(editor), handbook, "draft.md", b"# One\n")
    before = counts()
    response = confirm(client_for(other_editor), handbook, preview)
    assert response.status_code == 404  # an import is its uploader's own
    assert client_for(other_editor).get(preview.request["PATH_INFO"]).status_code == 404
    assert counts() == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"# A\n", "Only Word documents"),
        ("draft.docx", b"PK\x03\x04 broken", "damaged"),
        ("draft.docx", OLE_HEADER, "encrypted"),
    ],
)
def test_bad_upload_rerenders_the_form_with_the_error(editor, handbook, name, data, message):
    before = counts()
    response = upload(client_for(editor), handbook, name, data)
    assert response.status_code == 400
    assert message in response.text
    assert 'role="alert"' in response.text
    assert counts() == before


def test_file_that_cannot_be_split_fails_its_job_with_the_reason(editor, handbook):
    before = counts()
    response = upload(client_for(editor), handbook, "draft.md", b"No headings here.\n")
    assert response.status_code == 200
    assert response.context["job"].state == "failed"
    assert "no headings" in response.text
    assert 'role="alert"' in response.text and 'type="file"' in response.text
    assert counts() == before


def test_upload_over_the_size_limit_is_refused(editor, handbook, settings):
    settings.IMPORT_MAX_BYTES = 1000
    before = counts()
    response = upload(client_for(editor), handbook, "draft.docx", word_document())
    assert response.status_code == 400
    assert "larger than 1000 bytes" in response.text
    assert counts() == before


def test_upload_page_has_a_labelled_file_field(editor, handbook):
    response = client_for(editor).get(reverse("chapters:import_upload", args=[handbook.slug]))
    assert response.status_code == 200
    assert '<label for="id_file">' in response.text
    assert 'type="file"' in response.text and 'enctype="multipart/form-data"' in response.text


def test_handbook_page_links_to_import_for_editors_only(editor, counterpart, handbook):
    link = reverse("chapters:import_upload", args=[handbook.slug])
    assert link in client_for(editor).get(handbook.get_absolute_url()).text
    assert link not in client_for(counterpart).get(handbook.get_absolute_url()).text


# --- Who may import


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("editor", 200),
        ("administrator", 200),
        ("counterpart", 403),
        ("outsider", 404),
        (None, 302),
    ],
)
def test_upload_permissions(request, handbook, who, status):
    person = request.getfixturevalue(who) if who else None
    client = client_for(person)
    url = reverse("chapters:import_upload", args=[handbook.slug])
    response = client.get(url)
    assert response.status_code == status
    if who is None:
        assert response.url.startswith(reverse("login"))
    posted = upload(client, handbook, "draft.md", b"# One\n")
    assert posted.status_code == status
    assert not handbook.chapters.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("editor", 302),
        ("administrator", 302),
        ("counterpart", 403),
        ("outsider", 404),
        (None, 302),
    ],
)
def test_confirm_permissions(request, editor, handbook, who, status):
    person = request.getfixturevalue(who) if who else None
    client = client_for(person)
    # A preview made by the same person when they may make one, else by the editor.
    maker = client if status == 302 and person is not None else client_for(editor)
    preview = upload(maker, handbook, "draft.md", b"# One\n")
    response = confirm(client, handbook, preview)
    assert response.status_code == status
    if person is None:
        assert response.url.startswith(reverse("login"))
        assert not handbook.chapters.exists()
    elif status == 302:
        assert response.url == handbook.get_absolute_url()
        assert handbook.chapters.get().title == "One"
    else:
        assert not handbook.chapters.exists()


def test_confirm_is_post_only(editor, handbook):
    preview = upload(client_for(editor), handbook, "draft.md", b"# One\n")
    url = reverse("chapters:import_confirm", args=[handbook.slug, preview.context["job"].pk])
    assert client_for(editor).get(url).status_code == 405


# --- XML that reaches outside the file


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
)
EXTERNAL_IMAGE = (
    b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId9" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/image" Target="http://127.0.0.1:9/x.png" '
    b'TargetMode="External"/></Relationships>'
)
EXTERNAL_LINK = EXTERNAL_IMAGE.replace(b"/image", b"/hyperlink")


def test_entity_declarations_are_refused():
    with pytest.raises(ImportRefused, match="DOCTYPE"):
        read_upload("draft.docx", with_member(word_document(), "word/document.xml", XXE))


def test_external_pictures_are_refused_but_external_hyperlinks_are_not():
    rels = "word/_rels/document.xml.rels"
    with pytest.raises(ImportRefused, match="outside itself"):
        read_upload("draft.docx", with_member(word_document(), rels, EXTERNAL_IMAGE))
    original = zipfile.ZipFile(io.BytesIO(word_document())).read(rels)
    linked = original.replace(b"</Relationships>", EXTERNAL_LINK.split(b">", 2)[2])
    assert len(read_upload("draft.docx", with_member(word_document(), rels, linked))) == 3

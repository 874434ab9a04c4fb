"""Import a Word (.docx) or Markdown draft into a handbook: one chapter per top-level heading.

Three steps, so that an editor sees what will happen before anything is written:

- ``read_upload`` checks the file (by content, not by name), converts Word to Markdown with
  pandoc and splits the text into chapters. It writes nothing outside a temporary directory.
- ``plan_import`` matches the chapters to the handbook's by title: new, replaces or unchanged.
- ``apply_import`` stores the images and creates or revises the chapters in one transaction.

Decisions, so that nothing is guessed silently:

- Chapters are split at the highest heading level the document uses (``#``, or ``##`` when there
  is no ``#``). Text before the first such heading is refused, not dropped and not glued onto
  the first chapter: it is usually a title page or a table of contents, and the editor should
  decide where it belongs.
- Imported chapters match existing ones by title only (case, spacing and a leading "3." or
  "Chapter 3:" ignored), never by position: a renumbered draft must not overwrite the wrong
  chapter. Unmatched chapters are appended in document order.
- Raw HTML does not survive: HTML blocks are removed (the preview says how many) and inline
  tags are escaped so they show as text. Rendering sanitises everything anyway; this keeps the
  Markdown, which is the source of truth, free of markup no editor can see in Word.
- Images are stored under a name derived from their content, so importing the same file again
  gives the same text and creates no new version.
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import math
import re
import resource
import signal
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pypandoc
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from PIL import Image

from chapters import rendering
from chapters.images import ImageRefused, reencode_image
from chapters.models import (
    IMAGE_EXTENSIONS,
    Chapter,
    Handbook,
    NothingChanged,
    StoredImage,
    image_key,
    normalise_newlines,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from handbook_review.people.models import User

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# A 20 MB .docx that unpacks to more than this is a zip bomb, not a handbook.
DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
# Small parts (styles, settings) may compress very well; only large ones can hurt.
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# The text of a long handbook is a few megabytes of XML; tens of megabytes make pandoc take
# minutes and gigabytes (a 40 MB document.xml once took 121 s and 5.5 GB).
DEFAULT_MAX_DOCUMENT_XML_BYTES = 30 * 1024 * 1024
DEFAULT_PANDOC_TIMEOUT = 60.0
DEFAULT_PANDOC_MEMORY_MB = 1536

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
DOCX_PARTS = ("[Content_Types].xml", "word/document.xml")
MARKDOWN_SUFFIXES = (".md", ".markdown")
TITLE_MAX_LENGTH = 300  # Chapter.title

log = logging.getLogger(__name__)


class ImportRefused(Exception):
    """The file cannot be imported; the message says why, in words an editor understands."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportedImage:
    name: str  # the file name in the document, for messages
    storage_name: str  # where it will be stored: "images/import-<sha256>.png"
    data: bytes = field(repr=False)

    @property
    def url(self) -> str:
        return settings.MEDIA_URL + self.storage_name


@dataclass(frozen=True)
class ImportedChapter:
    title: str
    body: str  # Markdown; sections start at ##, images point at their future /media/ URLs
    images: list[ImportedImage] = field(default_factory=list)
    notes: tuple[str, ...] = ()  # what the import changed on the way (removed HTML, ...)


class Action(models.TextChoices):
    NEW = "new", gettext_lazy("New chapter")
    REPLACE = "replace", gettext_lazy("Replaces the chapter")
    UNCHANGED = "unchanged", gettext_lazy("Unchanged")


@dataclass(frozen=True)
class PlannedChapter:
    imported: ImportedChapter
    action: Action
    number: int
    chapter: Chapter | None  # the chapter it replaces (or leaves unchanged); None when new
    words: int


@dataclass(frozen=True)
class ImportResult:
    created: list[Chapter]
    revised: list[Chapter]
    unchanged: list[Chapter]


# --- Reading the file -------------------------------------------------------------------------


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def size_label(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def refuse_if_too_large(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise ImportRefused(
            _("The file is larger than %(limit)s. Split it into smaller files.")
            % {"limit": size_label(limit)}
        )


def read_upload(name: str, data: bytes) -> list[ImportedChapter]:
    """The chapters of an uploaded .docx or .md file; raises ImportRefused for anything else."""
    refuse_if_too_large(len(data))
    suffix = Path(name).suffix.lower()
    if data.startswith(OLE_MAGIC):
        raise ImportRefused(_encrypted_or_doc())
    if suffix == ".docx":
        markdown, images = _docx_to_markdown(data)
    elif suffix in MARKDOWN_SUFFIXES:
        markdown, images = _read_markdown(data), {}
    else:
        raise ImportRefused(_only_docx_and_md())
    chapters = split_chapters(markdown)
    return [
        ImportedChapter(
            title=chapter.title,
            body=chapter.body,
            images=[image for url, image in images.items() if url in chapter.body],
            notes=chapter.notes,
        )
        for chapter in chapters
    ]


def _read_markdown(data: bytes) -> str:
    if data.startswith((ZIP_MAGIC, b"%PDF")) or b"\x00" in data:
        raise ImportRefused(_("This file is not a Markdown text file."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            _(
                "This Markdown file is not in UTF-8 (the problem starts at byte %(at)s). "
                "Save it as UTF-8 and import it again."
            )
            % {"at": error.start}
        ) from error
    return normalise_newlines(text)


def precheck_upload(name: str, data: bytes) -> None:
    """The quick checks, done while the editor waits: what the file is, and what its zip says.

    Nothing is unpacked or converted here; that happens in the background (``read_upload``),
    which repeats these checks.
    """
    refuse_if_too_large(len(data))
    suffix = Path(name).suffix.lower()
    if data.startswith(OLE_MAGIC):
        raise ImportRefused(_encrypted_or_doc())
    if suffix == ".docx":
        check_docx(data, unpack=False)
    elif suffix in MARKDOWN_SUFFIXES:
        _read_markdown(data)
    else:
        raise ImportRefused(_only_docx_and_md())


def _encrypted_or_doc() -> str:
    return _(
        "This file is encrypted or in the old .doc format. Remove the password, or open "
        "it in Word and save it as a .docx document, then import it again."
    )


def _only_docx_and_md() -> str:
    return _("Only Word documents (.docx) and Markdown files (.md) can be imported.")


def check_docx(data: bytes, *, unpack: bool = True) -> None:
    """Refuse anything that is not a plain, readable .docx, before pandoc unpacks it.

    First what the zip declares: its parts, encryption, the sum of the uncompressed sizes, each
    large part's compression ratio and the size of the text (word/document.xml). The declared
    sizes can lie, so with ``unpack`` every part is also decompressed, counting the bytes and
    stopping at the limit; that also finds corrupt parts (bad CRC) early.
    """
    if not data.startswith(ZIP_MAGIC):
        raise ImportRefused(_("This file is not a Word document (.docx)."))
    corrupt = _(
        "This Word document is damaged and cannot be read. Open it in Word, save it again and "
        "import the new copy."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportRefused(corrupt) from error
    with archive:
        members = archive.infolist()
        names = {member.filename for member in members}
        if not all(part in names for part in DOCX_PARTS):
            raise ImportRefused(_("This file is not a Word document (.docx)."))
        if any(member.flag_bits & 0x1 for member in members):
            raise ImportRefused(
                _("This Word document is encrypted. Remove the password and import it again.")
            )
        limit = int(
            getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES)
        )
        bomb = ImportRefused(
            _("This Word document unpacks to far more data than a document holds; it was refused.")
        )
        if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > limit:
            raise bomb
        for member in members:
            if member.file_size > RATIO_CHECKED_FROM_BYTES and member.file_size > (
                MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
            ):
                raise bomb
        text_limit = int(
            getattr(settings, "IMPORT_MAX_DOCUMENT_XML_BYTES", DEFAULT_MAX_DOCUMENT_XML_BYTES)
        )
        text_size = archive.getinfo("word/document.xml").file_size
        if text_size > text_limit:
            raise ImportRefused(
                _(
                    "This document is too large or complex to import (its text unpacks to "
                    "%(size)s, more than %(limit)s). Split it into smaller files and import "
                    "them one by one."
                )
                % {"size": size_label(text_size), "limit": size_label(text_limit)}
            )
        if not unpack:
            return
        total = 0
        try:
            for member in members:
                is_xml = member.filename.endswith((".xml", ".rels"))
                with archive.open(member) as part:
                    first = True
                    while chunk := part.read(1024 * 1024):
                        total += len(chunk)
                        if total > limit:
                            raise bomb
                        if is_xml and first:
                            _refuse_unsafe_xml(member.filename, chunk)
                        first = False
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
            raise ImportRefused(corrupt) from error


# Relationships that make a reader fetch something from outside the file (a linked picture,
# an attached template, a linked sub-document or frame); external hyperlinks are only text.
_EXTERNAL_FETCH = re.compile(
    rb"<Relationship\b(?=[^>]*TargetMode\s*=\s*[\"']External[\"'])"
    rb"(?=[^>]*Type\s*=\s*[\"'][^\"']*/(?:image|attachedTemplate|subDocument|frame|oleObject|"
    rb"package|audio|video)[\"'])",
    re.IGNORECASE,
)


def _refuse_unsafe_xml(name: str, head: bytes) -> None:
    """No DOCTYPE (entities: XXE, billion laughs) and no relationship that fetches from outside."""
    if re.search(rb"<!\s*(?:DOCTYPE|ENTITY)", head[:65536], re.IGNORECASE):
        raise ImportRefused(
            _(
                "This Word document contains XML declarations (DOCTYPE) that Word never writes; "
                "it was refused. Open it in Word, save it again and import the new copy."
            )
        )
    if name.endswith(".rels") and _EXTERNAL_FETCH.search(head):
        raise ImportRefused(
            _(
                "This Word document links to pictures or files outside itself; it was refused. "
                "Insert the pictures into the document (not as links) and import it again."
            )
        )


# Pandoc Lua filter: images without size attributes (GFM would need raw HTML for them), figures
# as their image, and table cells flattened to one line so that every table is a pipe table.
_LUA_FILTER = """
local function flatten(blocks)
  local inlines = pandoc.utils.blocks_to_inlines(blocks, {pandoc.Space()})
  local out = pandoc.List()
  for _, item in ipairs(inlines) do
    if item.t == "LineBreak" or item.t == "SoftBreak" then
      out:insert(pandoc.Space())
    else
      out:insert(item)
    end
  end
  return out
end

local function fix_rows(rows)
  for _, row in ipairs(rows) do
    for _, cell in ipairs(row.cells) do
      cell.contents = {pandoc.Plain(flatten(cell.contents))}
    end
  end
end

function Image(el)
  el.attributes = {}
  el.classes = {}
  el.identifier = ""
  return el
end

function Figure(el)
  return el.content
end

function Table(tbl)
  fix_rows(tbl.head.rows)
  for _, body in ipairs(tbl.bodies) do
    fix_rows(body.head)
    fix_rows(body.body)
  end
  fix_rows(tbl.foot.rows)
  return tbl
end
"""


def _docx_to_markdown(data: bytes) -> tuple[str, dict[str, ImportedImage]]:
    """GFM without raw HTML: pipe tables and ``[^1]`` footnotes, as our renderer reads them."""
    check_docx(data)
    with tempfile.TemporaryDirectory(prefix="handbook-import-") as tmp:
        workdir = Path(tmp)
        source = workdir / "upload.docx"
        source.write_bytes(data)
        lua = workdir / "import.lua"
        lua.write_text(_LUA_FILTER, encoding="utf-8")
        media = workdir / "media-out"
        markdown = run_pandoc(
            [
                "--sandbox",
                "--from=docx",
                "--to=gfm-raw_html",
                f"--extract-media={media}",
                "--wrap=none",
                f"--lua-filter={lua}",
                str(source),
            ],
            cwd=workdir,
        )
        images: dict[str, ImportedImage] = {}
        for path in sorted(p for p in media.rglob("*") if p.is_file()):
            image = _checked_image(path.name, path.read_bytes())
            markdown = markdown.replace(str(path), image.url)
            images[image.url] = image
    return normalise_newlines(markdown), images


def pandoc_limits() -> tuple[float, int]:
    """(seconds, megabytes) that one pandoc run may take: IMPORT_PANDOC_TIMEOUT, _MEMORY_MB."""
    return (
        float(getattr(settings, "IMPORT_PANDOC_TIMEOUT", DEFAULT_PANDOC_TIMEOUT)),
        int(getattr(settings, "IMPORT_PANDOC_MEMORY_MB", DEFAULT_PANDOC_MEMORY_MB)),
    )


def too_complex(*, seconds: float | None = None, megabytes: int | None = None) -> ImportRefused:
    if seconds is not None:
        return ImportRefused(
            _(
                "This document is too large or complex to import (it needed more than "
                "%(seconds)s seconds). Split it into smaller files and import them one by one."
            )
            % {"seconds": f"{seconds:g}"}
        )
    return ImportRefused(
        _(
            "This document is too large or complex to import (it needed more than %(mb)s MB "
            "of memory). Split it into smaller files and import them one by one."
        )
        % {"mb": megabytes}
    )


def _limit_child(memory_bytes: int, cpu_seconds: int) -> Callable[[], None]:
    def limit() -> None:  # runs in the child, between fork and exec
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))

    return limit


def run_pandoc(args: list[str], *, cwd: Path) -> str:
    """Run the pandoc that pypandoc-binary ships, as a child process with limits.

    Address space (RLIMIT_AS) and CPU time (RLIMIT_CPU) are capped by the kernel, and the
    wall clock by a timeout that kills it, so a document that would take minutes and gigabytes
    is refused with a message instead of taking the worker down.
    """
    seconds, megabytes = pandoc_limits()
    corrupt = ImportRefused(
        _(
            "This Word document could not be read. Open it in Word, save it again and "
            "import the new copy."
        )
    )
    try:
        result = subprocess.run(  # noqa: S603 (our own binary and arguments, no shell)
            [pypandoc.get_pandoc_path(), *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=seconds,
            check=False,
            preexec_fn=_limit_child(megabytes * 1024 * 1024, math.ceil(seconds) + 1),
        )
    except subprocess.TimeoutExpired as error:
        raise too_complex(seconds=seconds) from error
    except OSError as error:
        raise corrupt from error
    if result.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise too_complex(seconds=seconds)
    if result.returncode != 0:
        complaint = result.stderr.decode("utf-8", "replace").lower()
        # Past RLIMIT_AS pandoc's runtime reports "out of memory" (exit 251) or crashes.
        if (
            "out of memory" in complaint
            or "heap" in complaint
            or result.returncode in (251, -signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS)
        ):
            raise too_complex(megabytes=megabytes)
        log.warning("pandoc failed (%s): %s", result.returncode, complaint[:500])
        raise corrupt
    try:
        return result.stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise corrupt from error


def chapters_to_json(chapters: list[ImportedChapter]) -> list[dict[str, Any]]:
    """The chapters as JSON (images base64), to wait in the database until confirmed."""
    return [
        {
            "title": c.title,
            "body": c.body,
            "notes": list(c.notes),
            "images": [
                {
                    "name": i.name,
                    "storage_name": i.storage_name,
                    "data": base64.b64encode(i.data).decode("ascii"),
                }
                for i in c.images
            ],
        }
        for c in chapters
    ]


def chapters_from_json(data: list[dict[str, Any]]) -> list[ImportedChapter]:
    return [
        ImportedChapter(
            title=c["title"],
            body=c["body"],
            notes=tuple(c["notes"]),
            images=[
                ImportedImage(
                    name=i["name"],
                    storage_name=i["storage_name"],
                    data=base64.b64decode(i["data"]),
                )
                for i in c["images"]
            ],
        )
        for c in data
    ]


def _checked_image(name: str, data: bytes) -> ImportedImage:
    """An image of the document as the app keeps it: judged by content, at most 25 megapixels,
    decoded and saved afresh like an editor's upload (no metadata, nothing appended)."""
    try:
        data, kind, _width, _height = reencode_image(io.BytesIO(data))
    except ImageRefused as refused:
        raise ImportRefused(
            _("The image “%(name)s” in this document cannot be imported: %(why)s")
            % {"name": name, "why": refused}
        ) from refused
    digest = hashlib.sha256(data).hexdigest()
    return ImportedImage(name=name, storage_name=f"images/import-{digest}.{kind}", data=data)


# --- Markdown: raw HTML out, chapters split --------------------------------------------------


def _parser() -> MarkdownIt:
    # The renderer's grammar (chapters.rendering), with footnote definitions left where they
    # are written, so their lines can be found.
    md = MarkdownIt("commonmark", {"html": True})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.disable("footnote_tail")
    return md


_MD = _parser()

# An HTML tag, comment, declaration or processing instruction as CommonMark sees one; autolinks
# (<https://...>, <a@b.org>) do not match.
_TAG_START = re.compile(r"(?<!\\)<(?=[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)|/[A-Za-z]|!|\?)")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")


def _escape_tags(line: str) -> str:
    parts, last = [], 0
    for span in _CODE_SPAN.finditer(line):
        parts.append(_TAG_START.sub(r"\\<", line[last : span.start()]))
        parts.append(span.group())
        last = span.end()
    parts.append(_TAG_START.sub(r"\\<", line[last:]))
    return "".join(parts)


def strip_raw_html(markdown: str) -> tuple[str, int]:
    """Markdown without raw HTML: blocks removed, inline tags escaped (shown as text).

    Returns the text and the number of HTML blocks removed. Code is left alone.
    """
    lines = markdown.split("\n")
    removed: set[int] = set()
    escaped: set[int] = set()
    blocks = 0
    for token in _MD.parse(markdown):
        if token.map is None:
            continue
        if token.type == "html_block":
            blocks += 1
            removed.update(range(*token.map))
        elif token.type == "inline" and any(
            child.type == "html_inline" for child in token.children or []
        ):
            escaped.update(range(*token.map))
    kept = [
        _escape_tags(line) if index in escaped else line
        for index, line in enumerate(lines)
        if index not in removed
    ]
    return "\n".join(kept), blocks


_CHAPTER_NUMBER = re.compile(
    r"^\s*(?:(?:chapter|chap\.|kapitulli|poglavlje|poglavje|глава|поглавље|поглавје)\s*"
    r"\d+(?:\.\d+)*\s*[.):\-–—]?|\d+(?:\.\d+)+\.?|\d+\s*[.):\-–—])\s*",
    re.IGNORECASE,
)


def chapter_title(heading: str) -> str:
    """The heading without a leading number: "3. Ammunition" and "Chapter 3: Ammunition" lose it."""
    heading = " ".join(heading.split())
    stripped = _CHAPTER_NUMBER.sub("", heading, count=1).strip()
    return stripped or heading


def normalise_title(title: str) -> str:
    """What two titles must share to be the same chapter: case and spacing do not count."""
    return " ".join(unicodedata.normalize("NFKC", title).casefold().split())


@dataclass(frozen=True)
class _Heading:
    start: int
    end: int
    level: int
    source: str  # the heading's Markdown, on one line
    text: str  # its plain text


def _plain(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_plain(child))
    return "".join(parts)


def _trim_blank_lines(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def split_chapters(markdown: str) -> list[ImportedChapter]:
    """Split Markdown into chapters at its top heading level; sub-headings move up to ``##``.

    Footnote definitions go with the chapter that cites them (pandoc writes them all at the end
    of the document). Pure: no database, no files.
    """
    markdown = markdown.removeprefix("\ufeff")
    lines = markdown.split("\n")
    tokens = _MD.parse(markdown)
    headings: list[_Heading] = []
    definitions: list[tuple[str, int, int]] = []  # label, first line, end line
    citations: list[tuple[str, int]] = []  # label, line
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map:
            inline = tokens[index + 1]
            headings.append(
                _Heading(
                    start=token.map[0],
                    end=token.map[1],
                    level=int(token.tag[1]),
                    source=" ".join(inline.content.split()),
                    text=_plain(inline),
                )
            )
        elif token.type == "footnote_reference_open" and token.level == 0 and token.map:
            definitions.append((token.meta["label"], *token.map))
        elif token.type == "inline" and token.map:
            citations.extend(
                (child.meta["label"], token.map[0])
                for child in token.children or []
                if child.type == "footnote_ref" and "label" in child.meta
            )
    if not headings:
        raise ImportRefused(
            _(
                "The document has no headings, so it cannot be divided into chapters. Give each "
                "chapter title the style “Heading 1” in Word (or start it with “# ” in Markdown) "
                "and import again."
            )
        )
    top = min(heading.level for heading in headings)
    tops = [heading for heading in headings if heading.level == top]
    preamble = "\n".join(lines[: tops[0].start]).strip()
    if preamble:
        raise ImportRefused(
            _(
                "The document has text before its first chapter heading (“%(start)s”). Delete "
                "it (a title page or table of contents) or give it a heading, then import again."
            )
            % {"start": " ".join(preamble.split())[:80]}
        )
    starts = [heading.start for heading in tops]
    bounds = list(zip(starts, [*starts[1:], len(lines)], strict=True))

    def chapter_of(line: int) -> int:
        return next(i for i, (start, end) in enumerate(bounds) if start <= line < end)

    cited_by: dict[str, set[int]] = {}
    for label, line in citations:
        if line >= bounds[0][0]:
            cited_by.setdefault(label, set()).add(chapter_of(line))
    moved_out: set[int] = set()  # first lines of definitions that leave their chapter
    moved_in: dict[int, list[tuple[int, int]]] = {}
    for label, start, end in definitions:
        if start < bounds[0][0]:
            continue
        home, citing = chapter_of(start), cited_by.get(label, set())
        if citing and home not in citing:
            moved_out.add(start)
        for chapter in sorted(citing - {home}):
            moved_in.setdefault(chapter, []).append((start, end))
    definition_end = {start: end for _, start, end in definitions}

    chapters: list[ImportedChapter] = []
    seen_titles: dict[str, str] = {}
    for index, (start, end) in enumerate(bounds):
        heading = tops[index]
        title = chapter_title(heading.text)
        if not title:
            raise ImportRefused(
                _("A chapter heading on line %(line)s has no text.") % {"line": start + 1}
            )
        if len(title) > TITLE_MAX_LENGTH:
            raise ImportRefused(
                _("The chapter title “%(title)s…” is too long for a title.") % {"title": title[:60]}
            )
        key = normalise_title(title)
        if key in seen_titles:
            raise ImportRefused(
                _(
                    "Two chapters are called “%(title)s”. Chapters are matched by title, so "
                    "each title must be different."
                )
                % {"title": title}
            )
        seen_titles[key] = title
        subs = [h for h in headings if start < h.start < end]
        shift = min((h.level for h in subs), default=2) - 2
        rewritten = {h.start: h for h in subs}
        body: list[str] = []
        line = heading.end
        while line < end:
            if line in rewritten:
                sub = rewritten[line]
                level = min(max(sub.level - shift, 2), 6)
                body.append(f"{'#' * level} {sub.source}")
                line = sub.end
            elif line in moved_out:
                line = definition_end[line]
            else:
                body.append(lines[line])
                line += 1
        body = _trim_blank_lines(body)
        for first, last in moved_in.get(index, []):
            body.extend(["", *_trim_blank_lines(lines[first:last])])
        text, removed = strip_raw_html("\n".join(body))
        text = "\n".join(_trim_blank_lines(text.split("\n")))
        text = f"{text}\n" if text else ""
        if len(text.encode("utf-8")) > settings.CHAPTER_BODY_MAX_BYTES:
            raise ImportRefused(
                _("The chapter “%(title)s” is longer than a chapter may be; split it.")
                % {"title": title}
            )
        notes = (_("%(n)s block(s) of raw HTML removed.") % {"n": removed},) if removed else ()
        chapters.append(ImportedChapter(title=title, body=text, notes=notes))
    return chapters


# --- Planning and applying --------------------------------------------------------------------


def word_count(markdown: str) -> int:
    """Words as the reader sees them (markup and URLs do not count)."""
    return len(re.findall(r"\w+", rendering.plain_text(rendering.render_markdown(markdown))))


def plan_import(handbook: Handbook, chapters: list[ImportedChapter]) -> list[PlannedChapter]:
    """What importing would do to each chapter: create it, replace one by title, or nothing."""
    existing: dict[str, Chapter] = {}
    for chapter in handbook.chapters.order_by("number"):
        existing.setdefault(normalise_title(chapter.title), chapter)
    next_number = handbook.next_chapter_number()
    planned: list[PlannedChapter] = []
    for imported in chapters:
        match = existing.get(normalise_title(imported.title))
        if match is None:
            action, number = Action.NEW, next_number
            next_number += 1
        else:
            unchanged = (
                normalise_newlines(imported.body) == match.body and imported.title == match.title
            )
            action = Action.UNCHANGED if unchanged else Action.REPLACE
            number = match.number
        planned.append(
            PlannedChapter(
                imported=imported,
                action=action,
                number=number,
                chapter=match,
                words=word_count(imported.body),
            )
        )
    return planned


def _store_images(
    images: list[ImportedImage], *, handbook: Handbook, chapter: Chapter, by: User
) -> None:
    for image in images:
        # Content-addressed: an image already stored is the same image.
        if not default_storage.exists(image.storage_name):
            default_storage.save(image.storage_name, ContentFile(image.data))
        filename = image.storage_name.removeprefix("images/")
        with Image.open(io.BytesIO(image.data)) as opened:
            width, height = opened.size
        # The first handbook to import an image owns it (see StoredImage.readable_by).
        StoredImage.objects.get_or_create(
            uuid=image_key(filename),
            defaults={
                "handbook": handbook,
                "chapter": chapter,
                "name": image.storage_name,
                "content_type": IMAGE_EXTENSIONS[filename.rsplit(".", 1)[-1]],
                "width": width,
                "height": height,
                "size": len(image.data),
                "uploaded_by": by,
            },
        )


def apply_import(
    handbook: Handbook,
    chapters: list[ImportedChapter],
    *,
    by: User,
    filename: str,
    seen_versions: Mapping[int, int] | None = None,
) -> ImportResult:
    """Create and revise the handbook's chapters from an import, all or nothing.

    Existing chapters change through ``Chapter.revise`` (reason "Imported from <file>"), so
    every change is a recorded version and comments re-anchor; unchanged chapters get no new
    version, so importing the same file twice changes nothing the second time.

    ``seen_versions`` (chapter id -> version) is what the editor's preview showed; if a matched
    chapter has moved on since, or the preview did not know it, ImportRefused is raised and
    nothing is written, so the import never overwrites an edit nobody has seen.
    """
    with transaction.atomic():
        # One import at a time per handbook: new chapter numbers are taken from the maximum.
        Handbook.objects.select_for_update().filter(pk=handbook.pk).first()
        plan = plan_import(handbook, chapters)
        if seen_versions is not None:
            for item in plan:
                if item.chapter is not None and (
                    seen_versions.get(item.chapter.pk) != item.chapter.version
                ):
                    raise ImportRefused(
                        _(
                            "The chapter “%(title)s” changed after the preview was made. Nothing "
                            "was imported; upload the file again to see the new preview."
                        )
                        % {"title": item.chapter.title}
                    )
        created: list[Chapter] = []
        revised: list[Chapter] = []
        unchanged: list[Chapter] = []
        for item in plan:
            imported = item.imported
            if item.chapter is None:
                new = handbook.add_chapter(
                    title=imported.title, body=imported.body, by=by, number=item.number
                )
                _store_images(imported.images, handbook=handbook, chapter=new, by=by)
                created.append(new)
                continue
            if item.action == Action.UNCHANGED:
                unchanged.append(item.chapter)
                continue
            _store_images(imported.images, handbook=handbook, chapter=item.chapter, by=by)
            try:
                item.chapter.revise(
                    body=imported.body,
                    title=imported.title,
                    by=by,
                    reason=f"Imported from {filename}",
                    base_version=item.chapter.version,
                )
            except NothingChanged:
                unchanged.append(item.chapter)
            else:
                revised.append(item.chapter)
    return ImportResult(created=created, revised=revised, unchanged=unchanged)

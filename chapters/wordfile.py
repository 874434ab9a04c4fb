"""Reading an uploaded draft (.docx or .md) into chapters; nothing is written but a temporary
directory, and nothing here touches the database.

What lives here:

- the quick checks done while the editor waits (``precheck_upload``: size, kind, what the zip
  declares) and the full ones done in the background (``check_docx`` also unpacks every part,
  counting bytes and refusing DOCTYPEs and links that fetch from outside the file);
- pandoc, run as a child process under time and memory limits (``run_pandoc``), with a Lua
  filter that keeps the Markdown free of raw HTML;
- the document's images, passed through the one image check (chapters.images.reencode_image);
- ``read_upload``: the file to ``ImportedChapter`` records, split by chapters.wordsplit.

The limits come from settings (IMPORT_MAX_BYTES, IMPORT_MAX_UNCOMPRESSED_BYTES,
IMPORT_MAX_DOCUMENT_XML_BYTES, IMPORT_PANDOC_TIMEOUT, IMPORT_PANDOC_MEMORY_MB and
CHAPTER_BODY_MAX_BYTES), read on every call.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import re
import resource
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pypandoc
from django.conf import settings
from django.utils.translation import gettext as _

from chapters.images import ImageRefused, reencode_image
from chapters.models import normalise_newlines
from chapters.wordsplit import ImportedChapter, ImportedImage, ImportRefused, split_markdown

if TYPE_CHECKING:
    from collections.abc import Callable

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

log = logging.getLogger(__name__)


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


def split_chapters(markdown: str) -> list[ImportedChapter]:
    """The Markdown's chapters (chapters.wordsplit), none longer than CHAPTER_BODY_MAX_BYTES."""
    return split_markdown(markdown, max_body_bytes=settings.CHAPTER_BODY_MAX_BYTES)


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
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportRefused(_damaged()) from error
    with archive:
        members = archive.infolist()
        _refuse_foreign_or_encrypted(members)
        limit = int(
            getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES)
        )
        _refuse_declared_bomb(members, limit)
        _refuse_large_text(archive.getinfo("word/document.xml").file_size)
        if not unpack:
            return
        _unpack_counting(archive, members, limit)


def _damaged() -> str:
    return _(
        "This Word document is damaged and cannot be read. Open it in Word, save it again and "
        "import the new copy."
    )


def _bomb() -> ImportRefused:
    return ImportRefused(
        _("This Word document unpacks to far more data than a document holds; it was refused.")
    )


def _refuse_foreign_or_encrypted(members: list[zipfile.ZipInfo]) -> None:
    """A .docx has Word's parts, and none of them encrypted."""
    names = {member.filename for member in members}
    if not all(part in names for part in DOCX_PARTS):
        raise ImportRefused(_("This file is not a Word document (.docx)."))
    if any(member.flag_bits & 0x1 for member in members):
        raise ImportRefused(
            _("This Word document is encrypted. Remove the password and import it again.")
        )


def _refuse_declared_bomb(members: list[zipfile.ZipInfo], limit: int) -> None:
    """What the zip declares: how many parts, their total size, each large part's ratio."""
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > limit:
        raise _bomb()
    for member in members:
        if member.file_size > RATIO_CHECKED_FROM_BYTES and member.file_size > (
            MAX_COMPRESSION_RATIO * max(member.compress_size, 1)
        ):
            raise _bomb()


def _refuse_large_text(text_size: int) -> None:
    """The declared size of word/document.xml: what pandoc's time and memory grow with."""
    text_limit = int(
        getattr(settings, "IMPORT_MAX_DOCUMENT_XML_BYTES", DEFAULT_MAX_DOCUMENT_XML_BYTES)
    )
    if text_size > text_limit:
        raise ImportRefused(
            _(
                "This document is too large or complex to import (its text unpacks to "
                "%(size)s, more than %(limit)s). Split it into smaller files and import "
                "them one by one."
            )
            % {"size": size_label(text_size), "limit": size_label(text_limit)}
        )


def _unpack_counting(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], limit: int) -> None:
    """Decompress every part, counting the bytes up to ``limit``; XML heads are looked at."""
    total = 0
    try:
        for member in members:
            is_xml = member.filename.endswith((".xml", ".rels"))
            with archive.open(member) as part:
                first = True
                while chunk := part.read(1024 * 1024):
                    total += len(chunk)
                    if total > limit:
                        raise _bomb()
                    if is_xml and first:
                        _refuse_unsafe_xml(member.filename, chunk)
                    first = False
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise ImportRefused(_damaged()) from error


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
            url = image_url(image)
            markdown = markdown.replace(str(path), url)
            images[url] = image
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


def _checked_image(name: str, data: bytes) -> ImportedImage:
    """An image of the document as the app keeps it: judged by content, at most 25 megapixels,
    decoded and saved afresh like an editor's upload (no metadata, nothing appended)."""
    try:
        data, kind, width, height = reencode_image(io.BytesIO(data))
    except ImageRefused as refused:
        raise ImportRefused(
            _("The image “%(name)s” in this document cannot be imported: %(why)s")
            % {"name": name, "why": refused}
        ) from refused
    digest = hashlib.sha256(data).hexdigest()
    return ImportedImage(
        name=name,
        storage_name=f"images/import-{digest}.{kind}",
        data=data,
        width=width,
        height=height,
    )


def image_url(image: ImportedImage) -> str:
    """Where the image will be served once stored; the chapter's Markdown points there."""
    return settings.MEDIA_URL + image.storage_name

"""The Word round trip's two engines: a review copy out (a DOCX whose comments are the chapter's
threads and whose tracked changes are its open suggestions), and a reviewed copy read back (the
comments and tracked changes a reviewer added, with where they stand in the text).

Pure functions over strings and bytes (no Django, no models); the callers in
``comments/wordrounds.py`` fetch the rows, check the upload and create what is confirmed.

Out: the chapter's sanitised HTML gets markers at plain-text offsets (the offsets threads anchor
on): ``comment-start``/``comment-end`` spans and ``deletion``/``insertion`` spans, which pandoc's
DOCX writer turns into Word comments and tracked changes. The file is then finished by hand:
replies linked to their comment (``word/commentsExtended.xml``, which pandoc does not write),
unique tracked-change ids, and the reference: a custom document property (``handbook-review``:
handbook, chapters and versions) and a custom XML part listing every comment and change the app
wrote (author, date, text), so that they are told apart from the reviewer's on the way back.

Back: ``word/document.xml`` is walked in document order, rebuilding the text as the copy had it
(deleted text kept, inserted text left out) and noting where each comment range and tracked
change stands in it; comments and changes in tables and notes are flagged (the Markdown cannot
always hold them as they are). ``align`` maps those offsets onto the chapters' plain texts.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import io
import json
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from lxml import etree

from chapters.diffing import opcodes
from chapters.exporting import _pandoc
from comments.tracked import TextPositions

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
REF_NS = "urn:handbook-review:review-copy:1"
REF_PART = "customXml/handbook-review.xml"
REF_PROPERTY = "handbook-review"
COMMENTS_EXTENDED = "word/commentsExtended.xml"
COMMENTS_EXTENDED_TYPE = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"
COMMENTS_EXTENDED_CT = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
)
CUSTOM_XML_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"

# Pandoc's HTML reader keeps "data-id" (an "id" attribute would be the element's identifier);
# its DOCX writer wants "id" on comment spans.
_LUA = """
function Span(el)
  local v = el.attributes["data-id"]
  if v then
    el.attributes["data-id"] = nil
    el.attributes["id"] = v
  end
  return el
end
"""


class ReviewCopyError(ValueError):
    """A reviewed copy that cannot be read; the message is for the uploader."""


# --- Out: the review copy


@dataclass(frozen=True)
class CopyComment:
    author: str
    date: str  # ISO 8601, UTC ("2026-01-02T10:00:00Z")
    body: str


@dataclass(frozen=True)
class CopyThread:
    thread_id: int
    start: int  # in the chapter's plain text
    end: int
    comments: list[CopyComment]  # the first, then the replies


@dataclass(frozen=True)
class CopyChange:
    thread_id: int
    author: str
    date: str
    start: int  # the plain-text range the suggestion replaces
    end: int
    parts: list[tuple[str, str]]  # ("=" kept, "-" deleted, "+" inserted, text)


@dataclass(frozen=True)
class CopyChapter:
    chapter_id: int
    version: int
    heading: str  # "3. Border checks"
    html: str  # sanitised, as the page shows it
    text: str  # its plain text (rendering.plain_text of html)
    threads: list[CopyThread] = field(default_factory=list)
    changes: list[CopyChange] = field(default_factory=list)


@dataclass(frozen=True)
class Reference:
    handbook: str  # slug
    chapters: dict[int, int]  # chapter id -> version
    made_for: str = ""
    made_at: str = ""


def fingerprint(author: str, date: str, text: str) -> str:
    """What tells an item the app wrote from a reviewer's: its author, date and words."""
    return hashlib.sha256(f"{author}\x00{date[:19]}\x00{text.strip()}".encode()).hexdigest()[:32]


@dataclass
class _Event:
    at: int
    attach: str  # "before": to the text that follows; "after": to the text before
    html: str
    order: int


class _Placer(TextPositions):
    """Puts markers at plain-text offsets and wraps deleted ranges text node by text node (a
    span never crosses a block); markers go only into text, never between blocks."""

    def __init__(self, events: list[_Event], deletions: list[tuple[int, int, str]]) -> None:
        super().__init__()
        self.events = sorted(events, key=lambda e: (e.at, e.attach != "after", e.order))
        self.next = 0
        self.deletions = deletions
        self.last_text = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self._drop_newline = False
            alt = dict(attrs).get("alt") or ""
            # pandoc --sandbox fetches nothing: the picture is named, not shown.
            self.out.append(f"<em>[{html_lib.escape(alt)}]</em>" if alt else "")
            return
        super().handle_starttag(tag, attrs)

    def _emit(self, *, upto: int, inclusive_after: bool) -> None:
        while self.next < len(self.events):
            event = self.events[self.next]
            if event.at < upto or (
                event.at == upto and (event.attach == "after") == inclusive_after
            ):
                self.out.append(event.html)
                self.next += 1
            else:
                break

    def text(self, data: str, start: int, end: int) -> None:
        if not data.strip():
            self.out.append(html_lib.escape(data, quote=False))
            return
        # What ended before this text, and what begins where it begins.
        while self.next < len(self.events) and (
            self.events[self.next].at < start
            or (self.events[self.next].at == start and self.events[self.next].attach == "before")
            or (start == 0 and self.events[self.next].at == 0)
        ):
            self.out.append(self.events[self.next].html)
            self.next += 1
        cuts = {start, end}
        cuts |= {e.at for e in self.events[self.next :] if start < e.at < end}
        for s, e, _html in self.deletions:
            cuts |= {at for at in (s, e) if start < at < end}
        points = sorted(cuts)
        for a, b in pairwise(points):
            if a > start:
                # At a cut inside the text: first what ends here, then what begins here.
                while self.next < len(self.events) and self.events[self.next].at <= a:
                    self.out.append(self.events[self.next].html)
                    self.next += 1
            piece = html_lib.escape(data[a - start : b - start], quote=False)
            deletion = next((d for d in self.deletions if d[0] <= a and b <= d[1]), None)
            self.out.append(f"{deletion[2]}{piece}</span>" if deletion else piece)
        # What ends where this text ends stays with it.
        while (
            self.next < len(self.events)
            and self.events[self.next].at == end
            and self.events[self.next].attach == "after"
        ):
            self.out.append(self.events[self.next].html)
            self.next += 1
        self.last_text = len(self.out)

    def finish(self) -> str:
        rest = [event.html for event in self.events[self.next :]]
        self.out[self.last_text : self.last_text] = rest
        return "".join(self.out)


def _attrs(**values: str) -> str:
    return " ".join(f'{k.replace("_", "-")}="{html_lib.escape(v)}"' for k, v in values.items())


@dataclass
class _Written:
    comments: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 0


def _mark_chapter(chapter: CopyChapter, written: _Written) -> str:
    events: list[_Event] = []
    deletions: list[tuple[int, int, str]] = []
    order = 0
    for thread in chapter.threads:
        for comment in thread.comments:
            cid = written.next_id
            written.next_id += 1
            written.comments.append(
                {
                    "id": cid,
                    "thread": thread.thread_id,
                    "reply": comment is not thread.comments[0],
                    "fp": fingerprint(comment.author, comment.date, comment.body),
                }
            )
            body = "".join(
                f"<span>{html_lib.escape(line)}</span><br>" if n else html_lib.escape(line)
                for n, line in enumerate(comment.body.split("\n"))
            )
            start = _attrs(data_id=str(cid), data_author=comment.author, data_date=comment.date)
            events.append(
                _Event(
                    thread.start,
                    "before",
                    f'<span class="comment-start" {start}>{body}</span>',
                    order,
                )
            )
            events.append(
                _Event(
                    thread.end, "after", f'<span class="comment-end" data-id="{cid}"></span>', order
                )
            )
            order += 1
    for change in chapter.changes:
        at = change.start
        who = _attrs(data_author=change.author, data_date=change.date)
        for sign, text in change.parts:
            if sign == "=":
                at += len(text)
            elif sign == "-":
                deletions.append((at, at + len(text), f'<span class="deletion" {who}>'))
                written.changes.append(
                    {
                        "thread": change.thread_id,
                        "fp": fingerprint(change.author, change.date, text),
                    }
                )
                at += len(text)
            else:
                inserted = html_lib.escape(text)
                events.append(
                    _Event(at, "after", f'<span class="insertion" {who}>{inserted}</span>', order)
                )
                written.changes.append(
                    {
                        "thread": change.thread_id,
                        "fp": fingerprint(change.author, change.date, text),
                    }
                )
                order += 1
    placer = _Placer(events, sorted(deletions))
    placer.feed(chapter.html.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""))
    placer.close()
    return placer.finish()


def review_copy(
    reference: Reference, chapters: Sequence[CopyChapter], *, title: str, preface: str
) -> bytes:
    """The review copy of the chapters: their text with the threads as Word comments (replies as
    replies) and the open suggestions as tracked changes under their proposers' names."""
    written = _Written()
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html_lib.escape(title)}</title></head><body>",
        f"<p><em>{html_lib.escape(preface)}</em></p>",
    ]
    for chapter in chapters:
        parts.append(f"<h1>{html_lib.escape(chapter.heading)}</h1>")
        parts.append(_mark_chapter(chapter, written))
    parts.append("</body></html>")
    with tempfile.TemporaryDirectory(prefix="handbook-review-copy-") as tmp:
        lua = Path(tmp) / "ids.lua"
        lua.write_text(_LUA, encoding="utf-8")
        data = _pandoc(
            "".join(parts),
            "docx",
            ".docx",
            [f"--lua-filter={lua}", f"--metadata=title:{title}"],
        )
    return _finish_copy(data, reference, written)


def _finish_copy(data: bytes, reference: Reference, written: _Written) -> bytes:
    """Replies linked to their comments, unique change ids, and the reference."""
    source = zipfile.ZipFile(io.BytesIO(data))
    files = {info.filename: source.read(info.filename) for info in source.infolist()}
    replies: dict[int, int] = {}  # comment id -> the id of its thread's first comment
    first_of: dict[int, int] = {}
    for item in written.comments:
        if item["reply"]:
            replies[item["id"]] = first_of[item["thread"]]
        else:
            first_of[item["thread"]] = item["id"]
    if "word/comments.xml" in files:
        files["word/comments.xml"], extended = _link_replies(files["word/comments.xml"], replies)
        files[COMMENTS_EXTENDED] = extended
        _add_part(
            files, "word/_rels/document.xml.rels", "commentsExtended.xml", COMMENTS_EXTENDED_TYPE
        )
        _add_override(files, "/" + COMMENTS_EXTENDED, COMMENTS_EXTENDED_CT)
    files["word/document.xml"] = _number_changes(files["word/document.xml"])
    ref = {
        "handbook": reference.handbook,
        "chapters": {str(k): v for k, v in reference.chapters.items()},
        "made_for": reference.made_for,
        "made_at": reference.made_at,
        "comments": [item["fp"] for item in written.comments],
        "comment_threads": {item["fp"]: item["thread"] for item in written.comments},
        "changes": [item["fp"] for item in written.changes],
    }
    root = etree.Element(f"{{{REF_NS}}}reviewCopy", nsmap={None: REF_NS})
    root.text = json.dumps(ref, ensure_ascii=False)
    files[REF_PART] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    _add_part(files, "word/_rels/document.xml.rels", "../" + REF_PART, CUSTOM_XML_TYPE)
    files["docProps/custom.xml"] = _set_property(
        files.get("docProps/custom.xml"), _short_ref(reference)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        order = ["[Content_Types].xml", *[n for n in files if n != "[Content_Types].xml"]]
        for name in order:
            target.writestr(name, files[name])
    return out.getvalue()


def _short_ref(reference: Reference) -> str:
    chapters = ",".join(f"{k}:{v}" for k, v in sorted(reference.chapters.items()))
    return f"handbook={reference.handbook};chapters={chapters}"


def _link_replies(xml: bytes, replies: dict[int, int]) -> tuple[bytes, bytes]:
    old = etree.fromstring(xml)
    root = etree.Element(old.tag, nsmap={**old.nsmap, "w14": W14})
    root[:] = list(old)
    para_of: dict[str, str] = {}
    for n, comment in enumerate(root.iter(f"{{{W}}}comment")):
        paragraphs = comment.findall(f"{{{W}}}p")
        if not paragraphs:
            continue
        para = f"{0x10000000 + n:08X}"
        paragraphs[-1].set(f"{{{W14}}}paraId", para)
        para_of[comment.get(f"{{{W}}}id", "")] = para
        comment.set(f"{{{W}}}initials", "HR")
    extended = etree.Element(f"{{{W15}}}commentsEx", nsmap={"w15": W15})
    for cid, para in para_of.items():
        entry = etree.SubElement(extended, f"{{{W15}}}commentEx")
        entry.set(f"{{{W15}}}paraId", para)
        parent = replies.get(int(cid)) if cid.isdigit() else None
        if parent is not None and str(parent) in para_of:
            entry.set(f"{{{W15}}}paraIdParent", para_of[str(parent)])
        entry.set(f"{{{W15}}}done", "0")
    return (
        etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True),
        etree.tostring(extended, xml_declaration=True, encoding="UTF-8", standalone=True),
    )


def _number_changes(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    for n, element in enumerate(root.iter(f"{{{W}}}ins", f"{{{W}}}del"), start=1000):
        element.set(f"{{{W}}}id", str(n))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _add_part(files: dict[str, bytes], rels_name: str, target: str, kind: str) -> None:
    rels = etree.fromstring(files[rels_name])
    taken = {r.get("Id") for r in rels}
    number = len(taken) + 1
    while f"rIdHR{number}" in taken:
        number += 1
    rel = etree.SubElement(rels, f"{{{REL}}}Relationship")
    rel.set("Id", f"rIdHR{number}")
    rel.set("Type", kind)
    rel.set("Target", target)
    files[rels_name] = etree.tostring(rels, xml_declaration=True, encoding="UTF-8", standalone=True)


def _add_override(files: dict[str, bytes], part: str, content_type: str) -> None:
    types = etree.fromstring(files["[Content_Types].xml"])
    if any(o.get("PartName") == part for o in types.iter(f"{{{CT}}}Override")):
        return
    override = etree.SubElement(types, f"{{{CT}}}Override")
    override.set("PartName", part)
    override.set("ContentType", content_type)
    files["[Content_Types].xml"] = etree.tostring(
        types, xml_declaration=True, encoding="UTF-8", standalone=True
    )


def _set_property(xml: bytes | None, value: str) -> bytes:
    if xml:
        root = etree.fromstring(xml)
    else:
        root = etree.Element(f"{{{CUSTOM}}}Properties", nsmap={None: CUSTOM, "vt": VT})
    for prop in root.findall(f"{{{CUSTOM}}}property"):
        if prop.get("name") == REF_PROPERTY:
            root.remove(prop)
    pids = [int(p.get("pid", "1")) for p in root.findall(f"{{{CUSTOM}}}property")]
    prop = etree.SubElement(root, f"{{{CUSTOM}}}property")
    prop.set("fmtid", "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}")
    prop.set("pid", str(max([1, *pids]) + 1))
    prop.set("name", REF_PROPERTY)
    etree.SubElement(prop, f"{{{VT}}}lpwstr").text = value
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --- Back: reading a reviewed copy


@dataclass
class FoundComment:
    word_id: str
    author: str
    date: str
    body: str
    start: int | None  # in Reviewed.text; None: not in the main text (a note)
    end: int | None
    parent: str | None = None  # the word_id of the comment it replies to
    where: str = "text"  # "text", "table" or "note"
    mine: bool = False  # written by the app into the copy
    thread: int | None = None  # for the app's own: the thread it stands for


@dataclass
class FoundChange:
    author: str
    date: str
    start: int | None  # the range of Reviewed.text it deletes (empty: an insertion)
    end: int | None
    deleted: str
    inserted: str
    where: str = "text"


@dataclass
class Reviewed:
    text: str  # the copy's text as it was made: deletions kept, insertions left out
    reference: dict[str, Any] | None
    comments: list[FoundComment]
    changes: list[FoundChange]
    untracked: int = 0  # set by the caller: differences from the version no change explains


def _read_reference(files: zipfile.ZipFile) -> dict[str, Any] | None:
    names = set(files.namelist())
    found: dict[str, Any] | None = None
    if REF_PART in names:
        try:
            root = etree.fromstring(files.read(REF_PART), _parser())
            found = json.loads(root.text or "{}")
        except (etree.XMLSyntaxError, ValueError):
            found = None
        if not isinstance(found, dict) or not isinstance(found.get("chapters"), dict):
            found = None
    if found is None and "docProps/custom.xml" in names:
        # Only the short reference survived (an editor that drops custom XML parts).
        root = etree.fromstring(files.read("docProps/custom.xml"), _parser())
        for prop in root.findall(f"{{{CUSTOM}}}property"):
            if prop.get("name") == REF_PROPERTY and len(prop):
                found = _parse_short_ref(prop[0].text or "")
    return _sane(found) if found is not None else None


def _sane(found: dict[str, Any]) -> dict[str, Any]:
    """The reference as the reader uses it, whatever a hand-edited file put there."""

    def strings(key: str) -> list[str]:
        value = found.get(key)
        return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []

    threads = found.get("comment_threads")
    found["comments"], found["changes"] = strings("comments"), strings("changes")
    found["comment_threads"] = (
        {k: v for k, v in threads.items() if isinstance(v, int)}
        if isinstance(threads, dict)
        else {}
    )
    return found


def _parse_short_ref(value: str) -> dict[str, Any] | None:
    fields = dict(part.split("=", 1) for part in value.split(";") if "=" in part)
    if "handbook" not in fields:
        return None
    chapters = {}
    for pair in fields.get("chapters", "").split(","):
        key, _sep, version = pair.partition(":")
        if key.isdigit() and version.isdigit():
            chapters[key] = int(version)
    return {"handbook": fields["handbook"], "chapters": chapters, "comments": [], "changes": []}


def _parser() -> etree.XMLParser:
    # No entities, no network, no huge trees beyond what the upload checks allowed.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class _Walker:
    def __init__(self) -> None:
        self.text: list[str] = []
        self.length = 0
        self.starts: dict[str, int] = {}
        self.ends: dict[str, int] = {}
        self.where: dict[str, str] = {}
        self.changes: list[FoundChange] = []

    def add(self, text: str) -> None:
        self.text.append(text)
        self.length += len(text)

    def walk(self, element: Any, *, mode: str = "", where: str = "text") -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            local = tag.rsplit("}", 1)[-1]
            if local == "t":
                text = child.text or ""
                if mode == "ins":
                    self._inserted(child, text, where)
                else:
                    self.add(text)
            elif local in ("delText", "delInstrText"):
                self._deleted(child, child.text or "", where)
            elif local in ("tab",) and tag == f"{{{W}}}tab" and element.tag == f"{{{W}}}r":
                if mode == "ins":
                    self._inserted(child, " ", where)
                elif mode == "del":
                    self._deleted(child, " ", where)
                else:
                    self.add(" ")
            elif local == "br" and element.tag == f"{{{W}}}r":
                if mode != "ins":
                    self.add("\n")
            elif local in ("ins", "moveTo") and tag.startswith(f"{{{W}}}"):
                self.walk(child, mode="ins", where=where)
            elif local in ("del", "moveFrom") and tag.startswith(f"{{{W}}}"):
                self.walk(child, mode="del", where=where)
            elif local == "commentRangeStart":
                cid = child.get(f"{{{W}}}id", "")
                self.starts[cid] = self.length
                self.where[cid] = where
            elif local == "commentRangeEnd":
                self.ends[child.get(f"{{{W}}}id", "")] = self.length
            elif local == "tbl":
                self.walk(child, mode=mode, where="table")
            elif local in ("pPr", "rPr", "sectPr", "instrText"):
                continue
            elif local == "p":
                self.walk(child, mode=mode, where=where)
                self.add("\n")
            else:
                self.walk(child, mode=mode, where=where)

    def _owner(self, element: Any) -> Any:
        parent = element.getparent()
        while parent is not None and parent.tag not in (
            f"{{{W}}}ins",
            f"{{{W}}}del",
            f"{{{W}}}moveTo",
            f"{{{W}}}moveFrom",
        ):
            parent = parent.getparent()
        return parent

    def _who(self, element: Any) -> tuple[str, str]:
        owner = self._owner(element)
        if owner is None:
            return "", ""
        return owner.get(f"{{{W}}}author", ""), owner.get(f"{{{W}}}date", "")

    def _inserted(self, element: Any, text: str, where: str) -> None:
        author, date = self._who(element)
        last = self.changes[-1] if self.changes else None
        if (
            last is not None
            and last.author == author
            and last.where == where
            and last.end == self.length
        ):
            last.inserted += text
            return
        self.changes.append(FoundChange(author, date, self.length, self.length, "", text, where))

    def _deleted(self, element: Any, text: str, where: str) -> None:
        author, date = self._who(element)
        last = self.changes[-1] if self.changes else None
        if (
            last is not None
            and last.author == author
            and last.where == where
            and last.end == self.length
            and not last.inserted
        ):
            last.deleted += text
            last.end = self.length + len(text)
        else:
            self.changes.append(
                FoundChange(author, date, self.length, self.length + len(text), text, "", where)
            )
        self.add(text)


def read_reviewed(data: bytes, *, max_items: int) -> Reviewed:
    """The comments and tracked changes of a reviewed copy, and the reference it carries.

    The caller has checked the file (chapters.wordfile.check_docx: a real, unencrypted, sane
    zip). More than `max_items` comments and changes together is refused with a message.
    """
    try:
        return _read_reviewed(data, max_items=max_items)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ReviewCopyError(str(error)) from error


def _read_reviewed(data: bytes, *, max_items: int) -> Reviewed:
    try:
        files = zipfile.ZipFile(io.BytesIO(data))
        document = etree.fromstring(files.read("word/document.xml"), _parser())
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError, ValueError) as error:
        raise ReviewCopyError(str(error)) from error
    reference = _read_reference(files)
    walker = _Walker()
    body = document.find(f"{{{W}}}body")
    if body is not None:
        walker.walk(body)
    names = set(files.namelist())
    notes = _Walker()
    for part in ("word/footnotes.xml", "word/endnotes.xml"):
        if part in names:
            notes.walk(etree.fromstring(files.read(part), _parser()), where="note")
    for change in notes.changes:
        change.start = change.end = None
    changes = walker.changes + notes.changes
    comments = _read_comments(files, names)
    for comment in comments:
        if comment.word_id in walker.starts:
            comment.start = walker.starts[comment.word_id]
            comment.end = walker.ends.get(comment.word_id, comment.start)
            comment.where = walker.where[comment.word_id]
        else:
            comment.where = "note"
    if len(comments) + len(changes) > max_items:
        raise ReviewCopyError(f"too many: {len(comments) + len(changes)}")
    written_comments = set((reference or {}).get("comments", []))
    threads = (reference or {}).get("comment_threads", {})
    written_changes = set((reference or {}).get("changes", []))
    for comment in comments:
        fp = fingerprint(comment.author, comment.date, comment.body)
        if fp in written_comments:
            comment.mine = True
            comment.thread = threads.get(fp)
    kept = []
    for change in changes:
        fps = {
            fingerprint(change.author, change.date, text)
            for text in (change.deleted, change.inserted)
            if text
        }
        if fps and fps <= written_changes:
            continue
        kept.append(change)
    return Reviewed("".join(walker.text), reference, comments, kept)


def _read_comments(files: zipfile.ZipFile, names: set[str]) -> list[FoundComment]:
    if "word/comments.xml" not in names:
        return []
    root = etree.fromstring(files.read("word/comments.xml"), _parser())
    parents: dict[str, str] = {}
    if COMMENTS_EXTENDED in names:
        extended = etree.fromstring(files.read(COMMENTS_EXTENDED), _parser())
        for entry in extended.iter(f"{{{W15}}}commentEx"):
            if entry.get(f"{{{W15}}}paraIdParent"):
                parents[entry.get(f"{{{W15}}}paraId", "")] = entry.get(f"{{{W15}}}paraIdParent", "")
    found = []
    by_para: dict[str, str] = {}
    for comment in root.iter(f"{{{W}}}comment"):
        cid = comment.get(f"{{{W}}}id", "")
        paragraphs = comment.findall(f"{{{W}}}p")
        lines = ["".join(t.text or "" for t in p.iter(f"{{{W}}}t")) for p in paragraphs]
        para = paragraphs[-1].get(f"{{{W14}}}paraId", "") if paragraphs else ""
        by_para[para] = cid
        found.append(
            FoundComment(
                word_id=cid,
                author=comment.get(f"{{{W}}}author", ""),
                date=comment.get(f"{{{W}}}date", ""),
                body="\n".join(lines).strip(),
                start=None,
                end=None,
                parent=para,  # resolved below
            )
        )
    for comment in found:
        parent_para = parents.get(comment.parent or "")
        comment.parent = by_para.get(parent_para) if parent_para else None
    return found


# --- Where the copy's text stands in the chapters


@dataclass(frozen=True)
class Landing:
    chapter: int | None  # index into the chapters given to `align`; None: outside them
    start: int
    end: int
    exact: bool  # the words are the chapter's, as they are in its text


class Aligner:
    """Maps offsets of the copy's text onto the chapters' plain texts (each after its heading)."""

    def __init__(self, copy_text: str, headings: Sequence[str], texts: Sequence[str]) -> None:
        pieces = []
        self.bounds: list[tuple[int, int]] = []
        at = 0
        for heading, text in zip(headings, texts, strict=True):
            pieces.append(heading + "\n")
            at += len(heading) + 1
            self.bounds.append((at, at + len(text)))
            pieces.append(text + "\n")
            at += len(text) + 1
        self.expected = "".join(pieces)
        self.copy = copy_text
        self.ops = opcodes(copy_text, self.expected)
        self.starts = [op[1] for op in self.ops]
        self.texts = texts

    def untracked(self, ignore: Sequence[tuple[int, int]]) -> int:
        """How many changed stretches of the copy no tracked change explains (blank lines and
        spaces, which Word and pandoc move about, are not counted)."""
        count = 0
        for tag, i1, i2, j1, j2 in self.ops:
            if tag == "equal":
                continue
            if not (self.copy[i1:i2].strip() or self.expected[j1:j2].strip()):
                continue
            if any(s <= i1 and i2 <= e for s, e in ignore):
                continue
            # Only in the chapters' text: the copy's title and preface are not theirs.
            if any(lo <= j1 and j2 <= hi and (j1 < j2 or lo < j1) for lo, hi in self.bounds):
                count += 1
        return count

    def _point(self, at: int, *, right: bool) -> tuple[int, bool]:
        from bisect import bisect_right

        index = max(0, bisect_right(self.starts, at) - 1)
        tag, i1, i2, j1, j2 = self.ops[index]
        if tag == "equal" or i1 == i2:
            if tag == "equal":
                return j1 + (at - i1), True
            return j1, True
        if at == i1:
            return j1, True
        if at == i2:
            return j2, True
        return (j2 if right else j1), False

    def land(self, start: int, end: int) -> Landing:
        s, exact_s = self._point(start, right=False)
        e, exact_e = self._point(end, right=True)
        e = max(e, s)
        for n, (lo, hi) in enumerate(self.bounds):
            if lo <= s <= hi and lo <= e <= hi:
                exact = exact_s and exact_e and self.copy[start:end] == self.expected[s:e]
                return Landing(n, s - lo, e - lo, exact)
        return Landing(None, s, e, False)

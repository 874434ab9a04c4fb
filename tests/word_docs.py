"""Making a reviewed Word copy in a test: a review copy (comments/wordreview.py) with comments,
replies and tracked changes added as Word writes them (w:ins, w:del, comments.xml,
commentsExtended.xml), by editing its XML. Pandoc writes each word as a run of its own, so a
word is found as one run."""

from __future__ import annotations

import io
import re
import zipfile
from html import escape

W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
DATE = "2026-03-01T09:00:00Z"


_RUN = re.compile(
    r'<w:r>((?:<w:rPr>(?:(?!</w:rPr>).)*</w:rPr>)?)<w:t xml:space="preserve">([^<]*)</w:t></w:r>'
)


class Reviewer:
    def __init__(self, data: bytes, *, sequential: bool = False) -> None:
        # sequential: each edit is looked for after the one before (edits in document order).
        self.sequential = sequential
        self.cursor = 0
        source = zipfile.ZipFile(io.BytesIO(data))
        self.files = {n: source.read(n) for n in source.namelist()}
        self.doc = self.files["word/document.xml"].decode()
        self.comments: list[tuple[int, str, str, str, int | None]] = []
        self.next_id = 5000

    def _find(self, word: str, after: int = 0) -> re.Match[str]:
        """The run holding exactly `word`, split out of the run that has it (Word splits runs
        wherever it likes, too)."""
        wanted = escape(word, quote=False)
        if self.sequential:
            after = max(after, self.cursor)
        for run in _RUN.finditer(self.doc, after):
            props, text = run.group(1), run.group(2)
            at = text.find(wanted)
            if at < 0:
                continue
            pieces = [text[:at], wanted, text[at + len(wanted) :]]
            runs = [
                f'<w:r>{props}<w:t xml:space="preserve">{piece}</w:t></w:r>' for piece in pieces
            ]
            self.doc = (
                self.doc[: run.start()]
                + "".join(r for r, p in zip(runs, pieces, strict=True) if p)
                + self.doc[run.end() :]
            )
            start = run.start() + (len(runs[0]) if pieces[0] else 0)
            found = _RUN.match(self.doc, start)
            assert found and found.group(2) == wanted
            self.cursor = found.end()
            return found
        raise AssertionError(f"no run with {word!r}")

    def delete(self, word: str, *, author: str, occurrence_after: str = "") -> int:
        """Delete the word's run (as Word does with Track Changes on); returns where it ends."""
        after = self.doc.index(occurrence_after) if occurrence_after else 0
        run = self._find(word, after)
        self.next_id += 1
        text = escape(word, quote=False)
        new = (
            f'<w:del w:id="{self.next_id}" w:author="{escape(author)}" w:date="{DATE}">'
            f'<w:r><w:delText xml:space="preserve">{text}</w:delText></w:r></w:del>'
        )
        self.doc = self.doc[: run.start()] + new + self.doc[run.end() :]
        return run.start() + len(new)

    def insert_after(self, word: str, text: str, *, author: str) -> None:
        run = self._find(word)
        self.next_id += 1
        new = (
            f'<w:ins w:id="{self.next_id}" w:author="{escape(author)}" w:date="{DATE}">'
            f'<w:r><w:t xml:space="preserve">{escape(text, quote=False)}</w:t></w:r></w:ins>'
        )
        self.doc = self.doc[: run.end()] + new + self.doc[run.end() :]

    def replace(self, word: str, text: str, *, author: str) -> None:
        end = self.delete(word, author=author)
        self.next_id += 1
        new = (
            f'<w:ins w:id="{self.next_id}" w:author="{escape(author)}" w:date="{DATE}">'
            f'<w:r><w:t xml:space="preserve">{escape(text, quote=False)}</w:t></w:r></w:ins>'
        )
        self.doc = self.doc[:end] + new + self.doc[end:]

    def comment(
        self, first: str, last: str, body: str, *, author: str, reply_to: int | None = None
    ) -> int:
        """A comment from the run `first` to the run `last` (next after it); returns its id."""
        start = self._find(first)
        self.cursor = start.start()  # the last word may be the first
        end = self._find(last, start.start())
        self.next_id += 1
        cid = self.next_id
        self.doc = (
            self.doc[: start.start()]
            + f'<w:commentRangeStart w:id="{cid}"/>'
            + self.doc[start.start() : end.end()]
            + f'<w:commentRangeEnd w:id="{cid}"/><w:r><w:commentReference w:id="{cid}"/></w:r>'
            + self.doc[end.end() :]
        )
        self.comments.append((cid, author, DATE, body, reply_to))
        return cid

    def reply(self, to: int, body: str, *, author: str) -> int:
        self.next_id += 1
        self.comments.append((self.next_id, author, DATE, body, to))
        return self.next_id

    def bytes(self) -> bytes:
        files = dict(self.files)
        files["word/document.xml"] = self.doc.encode()
        existing = files.get("word/comments.xml", b"").decode()
        added = "".join(
            f'<w:comment w:id="{cid}" w:author="{escape(author)}" w:date="{date}" w:initials="X">'
            f'<w:p w14:paraId="{cid:08X}"><w:r><w:t xml:space="preserve">'
            f"{escape(body, quote=False)}</w:t></w:r></w:p>"
            "</w:comment>"
            for cid, author, date, body, _parent in self.comments
        )
        if existing:
            head, tail = existing.rsplit("</w:comments>", 1)
            if "xmlns:w14" not in head.split(">", 2)[1]:
                head = head.replace("<w:comments ", f'<w:comments xmlns:w14="{W14}" ', 1)
            files["word/comments.xml"] = (head + added + "</w:comments>" + tail).encode()
        else:
            raise AssertionError("the review copy has comments.xml when it has threads")
        extended = files.get("word/commentsExtended.xml", b"").decode()
        entries = "".join(
            f'<w15:commentEx w15:paraId="{cid:08X}"'
            + (f' w15:paraIdParent="{self._para(parent)}"' if parent is not None else "")
            + ' w15:done="0"/>'
            for cid, _a, _d, _b, parent in self.comments
        )
        head, tail = extended.rsplit("</w15:commentsEx>", 1)
        files["word/commentsExtended.xml"] = (head + entries + "</w15:commentsEx>" + tail).encode()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for name, content in files.items():
                target.writestr(name, content)
        return out.getvalue()

    def _para(self, cid: int) -> str:
        if any(c[0] == cid for c in self.comments):
            return f"{cid:08X}"
        # One of the copy's own comments: its paraId as the copy wrote it.
        found = re.search(
            rf'<w:comment w:id="{cid}"[^>]*>.*?w14:paraId="([0-9A-F]+)"',
            self.files["word/comments.xml"].decode(),
            re.S,
        )
        assert found
        return found.group(1)

"""Plain, dumb data builders. Each returns a saved object with sensible defaults."""

import io
import uuid
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from chapters.models import Chapter, Handbook, Round, Status, StoredImage
from handbook_review import clock
from handbook_review.people import accounts
from handbook_review.people.models import JURISDICTIONS, Agency, Jurisdiction, Role, User

_serial = count(1)


def jurisdiction(code: str) -> Jurisdiction:
    # get_or_create: tests that commit (browser tests) flush the data migration's rows away.
    name, kind = next((n, k) for c, n, k in JURISDICTIONS if c == code)
    return Jurisdiction.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0]


def user(
    role: Role | None = Role.COUNTERPART,
    *,
    code: str = "AL",
    agency: str = Agency.BORDER_POLICE,
    name: str | None = None,
    **fields: Any,
) -> User:
    n = next(_serial)
    person = User.objects.create_user(
        f"person{n}@example.org",
        "pass-for-tests",
        name=name or f"Person {n}",
        jurisdiction=jurisdiction(code),
        agency=agency,
        **fields,
    )
    if role is not None:
        accounts.set_role(person, role)
    return person


def handbook(
    *, slug: str | None = None, codes: tuple[str, ...] = ("AL", "BA", "XK", "ME", "MK", "RS")
) -> Handbook:
    n = next(_serial)
    book = Handbook.objects.create(title=f"Handbook {n}", slug=slug or f"handbook-{n}")
    book.jurisdictions.set([jurisdiction(code) for code in codes])
    return book


BODY = """Introductory text of the chapter.

## Legal basis

The Firearms Protocol obliges States to mark every firearm at manufacture.

## Practice

Officers record the serial number, the make and the calibre.
"""


def chapter(
    book: Handbook,
    *,
    by: User,
    title: str = "Legal framework",
    body: str = BODY,
    status: str = Status.IN_REVIEW,
    number: int | None = None,
    in_round: bool = True,
) -> Chapter:
    """A chapter; one in review also gets an open round inviting every participating
    jurisdiction (as in real life, where counterparts review in rounds) unless in_round=False."""
    chap = book.add_chapter(title=title, body=body, by=by, number=number)
    if status != Status.DRAFT:
        Chapter.objects.filter(pk=chap.pk).update(status=status)
        chap.status = status
    if status == Status.IN_REVIEW and in_round:
        review_round(book, [chap], by=by)
    return chap


def review_round(
    book: Handbook,
    chapters: list[Chapter],
    codes: tuple[str, ...] | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    *,
    by: User,
    name: str = "Regional workshop",
) -> Round:
    """A round over `chapters` inviting `codes` (default: every participating jurisdiction),
    opened an hour ago and closing in 14 days unless told otherwise. Dumb: no checks, no events."""
    now = clock.now()
    found = Round.objects.create(
        handbook=book,
        name=name,
        opens_at=opens_at or now - timedelta(hours=1),
        closes_at=closes_at or now + timedelta(days=14),
        created_by=by,
    )
    found.chapters.set(chapters)
    if codes is None:
        found.jurisdictions.set(book.jurisdictions.all())
    else:
        found.jurisdictions.set([jurisdiction(code) for code in codes])
    return found


# --- Reports (dashboard, my review, resolution matrix): rounds, sign-offs and threads made
# directly, so those tests do not depend on the workflow functions.


def review_round_at(
    book: Handbook,
    chapters: list[Chapter],
    *,
    by: User,
    codes: tuple[str, ...] = ("AL", "BA"),
    opens_in: Any = None,
    closes_in: Any = None,
    name: str = "First round",
) -> Round:
    """`review_round` with times relative to now (timedeltas; default: opened an hour ago,
    closing in 14 days)."""
    now = clock.now()
    return review_round(
        book,
        chapters,
        codes,
        now + (opens_in if opens_in is not None else timedelta(hours=-1)),
        now + (closes_in if closes_in is not None else timedelta(days=14)),
        by=by,
        name=name,
    )


def sign_off(round_: Round, chapter: Chapter, *, by: User, verdict: str) -> Any:
    from chapters.models import SignOff

    return SignOff.objects.create(
        round=round_, chapter=chapter, jurisdiction=by.jurisdiction, verdict=verdict, by=by
    )


def comment_thread(
    chap: Chapter,
    *,
    by: User,
    words: str = "serial number",
    body: str = "A comment.",
    visibility: str = "everyone",
    at: int | None = None,
) -> Any:
    """A comment thread on `words` in the chapter's current text: at offset `at` of the plain
    text, or on their first occurrence."""
    from comments import anchoring
    from comments.actions import open_thread

    chap.refresh_from_db()
    text = chap.plain_text()
    at = text.index(words) if at is None else at
    return open_thread(
        chap,
        by=by,
        anchor=anchoring.describe(text, at, at + len(words)),
        body=body,
        visibility=visibility,
    )


def suggestion(
    chap: Chapter,
    *,
    by: User,
    words: str,
    replacement: str,
    rationale: str = "Clearer.",
    visibility: str = "everyone",
) -> Any:
    """A suggestion replacing the first occurrence of `words` (in the Markdown and the text)."""
    from comments import anchoring
    from comments.actions import propose

    chap.refresh_from_db()
    start = chap.body.index(words)
    text = chap.plain_text()
    at = text.index(words)
    return propose(
        chap,
        by=by,
        anchor=anchoring.describe(text, at, at + len(words)),
        source_start=start,
        source_end=start + len(words),
        whole_block=False,
        replacement=replacement,
        rationale=rationale,
        visibility=visibility,
    )


def second_review(
    book: Handbook,
    first: Chapter,
    *,
    editor: User,
    counterpart: User,
    draft_title: str = "Draft chapter",
    editors_only: str = "Ask FRONTEX.",
) -> dict[str, Any]:
    """A handbook in its second review: editions 1.0 and 1.1 (`first` changed between them),
    a round "Second reading" over `first` and a second chapter inviting AL and BA, a thread with
    an editor's reply, an editors-only thread, a suggestion, the counterpart's sign-off of the
    second chapter, the round's opening notices, and a draft chapter."""
    import datetime as dt

    from chapters.editions import publish
    from chapters.notices import notify_round
    from comments.actions import add_comment
    from handbook_review.notifications.models import Event

    second = chapter(book, by=editor, title="Marking and records", in_round=False)
    Chapter.objects.filter(handbook=book).update(status=Status.APPROVED)
    day = dt.date(2026, 5, 4)
    publish(handbook=book, label="1.0", date=day, release_notes="First edition.", by=editor)
    first.refresh_from_db()
    first.revise(
        body=first.body + "\n## Records\n\nKeep the records for ten years.\n",
        by=editor,
        reason="Agreed at the workshop",
        base_version=first.version,
    )
    edition = publish(
        handbook=book,
        label="1.1",
        date=day + dt.timedelta(days=30),
        release_notes="Records kept for ten years.",
        by=editor,
    )
    Chapter.objects.filter(pk__in=[first.pk, second.pk]).update(status=Status.IN_REVIEW)
    draft = chapter(book, by=editor, title=draft_title, status="draft")
    round_ = review_round_at(
        book, [first, second], by=editor, codes=("AL", "BA"), name="Second reading"
    )
    thread = comment_thread(first, by=counterpart, body="Which serial number?")
    add_comment(thread, by=editor, body="The one stamped on the frame.")
    comment_thread(
        second, by=editor, words="Firearms Protocol", body=editors_only, visibility="editors"
    )
    suggestion(
        first, by=counterpart, words="make and the calibre", replacement="make, model, calibre"
    )
    sign_off(round_, second, by=counterpart, verdict="no_comments")
    notify_round(round_, Event.ROUND_OPENED)
    return {
        "handbook": book,
        "chapter": first,
        "second": second,
        "draft": draft,
        "round": round_,
        "thread": thread,
        "edition": edition,
    }


def empty_audit_log() -> None:
    """Empty the append-only audit log on SQLite, where Django's flush (DELETE) would meet its
    triggers: they are lifted for that moment and put back unchanged. PostgreSQL's flush is a
    TRUNCATE, which its row triggers do not see."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            ["people_auditevent"],
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        cursor.execute("DELETE FROM people_auditevent")
        for _name, sql in triggers:
            cursor.execute(sql)


def png(size: tuple[int, int] = (8, 8), colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def stored_image(
    book: Handbook, chapter: Chapter | None = None, *, data: bytes | None = None
) -> StoredImage:
    """A PNG stored in `book` (uploaded for `chapter`), as an upload leaves it. Dumb: no checks."""
    data = png() if data is None else data
    key = uuid.uuid4()
    name = default_storage.save(f"images/{key.hex}.png", ContentFile(data))
    return StoredImage.objects.create(
        uuid=key,
        handbook=book,
        chapter=chapter,
        name=name,
        content_type="image/png",
        width=8,
        height=8,
        size=len(data),
    )

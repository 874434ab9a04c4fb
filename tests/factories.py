"""Plain, dumb data builders. Each returns a saved object with sensible defaults."""

from itertools import count
from typing import Any

from chapters.models import Chapter, Handbook, Status
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
        person.set_role(role)
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
) -> Chapter:
    chap = book.add_chapter(title=title, body=body, by=by, number=number)
    if status != Status.DRAFT:
        Chapter.objects.filter(pk=chap.pk).update(status=status)
        chap.status = status
    return chap

"""The bench's data: a scratch database of its own (SQLite in a temporary folder, or a PostgreSQL
database created and dropped here), Django set up on it, and a large handbook seeded through the
tests' factories (tests/factories.py). bench/run.py measures on what `seed` returns.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- The scratch database ---------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """Point DATABASE_URL at a database of our own for the duration, and remove it afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(url).scheme
    if not url or scheme.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="handbook-bench-")
        try:
            yield f"sqlite:///{folder}/bench.sqlite3"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    elif scheme in {"postgres", "postgresql", "pgsql"}:
        with postgres_scratch(url) as scratch_url:
            yield scratch_url
    else:
        raise SystemExit(f"bench: no scratch-database support for {scheme!r} URLs")


@contextlib.contextmanager
def postgres_scratch(url: str) -> Iterator[str]:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'handbook_review'}_bench_{os.getpid()}"
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    progress(f"created scratch database {name}")
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        # DROP ... WITH (FORCE) ends any session left open; closing ours first is only polite.
        with contextlib.suppress(Exception):
            connections.close_all()
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        progress(f"dropped scratch database {name}")


def set_up_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "handbook_review.settings")
    # Production-like (DEBUG off) but over plain HTTP in-process: no redirect, no secure cookies,
    # and no static manifest to have been collected.
    os.environ["DEBUG"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SESSION_COOKIE_SECURE"] = "false"
    os.environ["CSRF_COOKIE_SECURE"] = "false"
    os.environ["STATIC_MANIFEST"] = "false"
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
    os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])
    sys.path.insert(0, str(ROOT))
    # WhiteNoise warns that STATIC_ROOT was never collected; the bench serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

    import django

    django.setup()

    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers
    from django.core.management import call_command

    # Seeding speed is not measured; a slow hash for every seeded user would only cost time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    database = settings.DATABASES["default"]
    progress(f"migrating {database['ENGINE']} {database['NAME']}")
    call_command("migrate", verbosity=0)


# --- Seeding ----------------------------------------------------------------------------------

_WORD_LIST = """
officer border crossing vehicle document passport visa permit inspection control customs
declaration goods firearm ammunition weapon serial number marking calibre manufacture import
export transit licence register record database authority agency police prosecutor court
evidence seizure confiscation destruction storage deactivation conversion trafficking smuggling
route network risk analysis profile indicator suspicious traveller driver cargo container
shipment parcel postal express courier airport seaport railway highway checkpoint patrol
training exercise cooperation exchange information request reply liaison contact point
procedure standard regulation protocol convention directive law article paragraph provision
obligation requirement exception case example practice guidance recommendation instruction
report statistics trace tracing identification verification photograph sample laboratory
expert forensic ballistic examination result finding decision measure sanction penalty offence
criminal administrative civil national regional international cross joint mutual common shared
secure safe lawful illegal unlawful licensed registered marked unmarked altered obliterated
reactivated converted replica blank signal alarm gas air rifle pistol revolver shotgun
component part barrel frame receiver slide bolt cylinder magazine cartridge primer propellant
the a an of to in on at by for with from within under over between against during before after
and or but not every each any all some many few several other same new old first last
must shall may should can will is are was were be been has have had does do
"""
WORDS = _WORD_LIST.split()

HEADINGS = [
    "Legal framework",
    "Definitions",
    "Scope and exceptions",
    "Marking at manufacture",
    "Import marking",
    "Record keeping",
    "Border checks",
    "Risk indicators",
    "Seizure and evidence",
    "Tracing requests",
    "Cooperation with neighbours",
    "Training of officers",
    "Deactivated firearms",
    "Converted and reactivated weapons",
    "Postal and express shipments",
    "Reporting and statistics",
]


def sentence(rng: random.Random, low: int = 8, high: int = 22) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def markdown_chapter(words: int, rng: random.Random) -> str:
    """About `words` words of Markdown that reads like a handbook chapter: ##/### sections,
    paragraphs and bullet lists, the same for the same seed."""
    blocks: list[str] = []
    count = 0
    section = 0
    while count < words:
        if not blocks or rng.random() < 0.12:
            section += 1
            title = f"{section}. {HEADINGS[(section - 1) % len(HEADINGS)]}"
            blocks.append(f"## {title}")
        elif rng.random() < 0.2:
            blocks.append(f"### {sentence(rng, 2, 5).rstrip('.')}")
        elif rng.random() < 0.2:
            blocks.append("\n".join(f"- {sentence(rng, 4, 12)}" for _ in range(rng.randint(3, 6))))
        else:
            blocks.append(" ".join(sentence(rng) for _ in range(rng.randint(2, 6))))
        count += len(blocks[-1].split())
    return "\n\n".join(blocks) + "\n"


def log_in(client: Any, person: Any) -> None:
    """Log a test client in; editors need a second factor, so the session is marked verified,
    as a login through the form is."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    client.force_login(person)
    device, _ = StaticDevice.objects.get_or_create(
        user=person, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@dataclass
class Seeded:
    handbook: Any
    chapter: Any  # the big one
    small_chapter: Any  # the same page with one thread
    counterpart: Any
    editor: Any
    threads: int
    comments: int


def seed(args: argparse.Namespace) -> Seeded:
    """The handbook, its people, chapters, round and threads, made by the tests' factories."""
    from comments.actions import add_comment
    from handbook_review.clock import now
    from handbook_review.people.models import Agency, Jurisdiction, Role
    from tests import factories

    rng = random.Random(args.seed)
    countries = Jurisdiction.objects.filter(kind="country").values_list("code", flat=True)
    handbook = factories.handbook(slug="bench", codes=tuple(countries))

    def person(role: Any, code: str, name: str) -> Any:
        return factories.user(role, code=code, agency=Agency.BORDER_POLICE, name=name)

    codes = ["AL", "BA", "XK", "ME", "MK", "RS"]
    counterparts = [person(Role.COUNTERPART, code, f"Counterpart {code}") for code in codes]
    editor = person(Role.EDITOR, "RS", "Editor One")

    def chapter(title: str, body: str) -> Any:
        return factories.chapter(handbook, by=editor, title=title, body=body, in_round=False)

    big = chapter("Firearms at the border", markdown_chapter(args.words, rng))
    small = chapter("A short chapter", markdown_chapter(200, rng))
    # Counterparts comment only while a round is open.
    factories.review_round(
        handbook,
        [big, small],
        opens_at=now() - timedelta(hours=1),
        closes_at=now() + timedelta(days=30),
        by=editor,
        name="Bench round",
    )
    progress(f"seeded chapter of {len(big.body.split())} words, {len(big.body):,} characters")

    text = small.plain_text()
    first = next(re.finditer(r"\S+ \S+ \S+", text[40:]))
    factories.comment_thread(
        small,
        by=counterparts[0],
        words=first[0],
        at=40 + first.start(),
        body="The only thread here.",
    )

    text = big.plain_text()
    words = list(re.finditer(r"\S+", text))
    slot = len(words) // args.threads
    if slot < 2:
        raise SystemExit("bench: give at least two words per thread (--words / --threads)")
    threads = []
    for n in range(args.threads):
        # Each thread quotes 2-6 words in its own slot of the text, within one line if possible.
        for _attempt in range(10):
            length = rng.randint(2, min(6, slot))
            first_word = n * slot + rng.randint(0, slot - length)
            start, end = words[first_word].start(), words[first_word + length - 1].end()
            if "\n" not in text[start:end]:
                break
        author = counterparts[n % len(counterparts)]
        threads.append(
            factories.comment_thread(
                big,
                by=author,
                words=text[start:end],
                at=start,
                body=f"{sentence(rng)} {sentence(rng)}",
            )
        )
    everyone = [*counterparts, editor]
    for _ in range(args.comments - args.threads):
        add_comment(rng.choice(threads), by=rng.choice(everyone), body=sentence(rng))
    progress(f"seeded {args.threads} threads, {args.comments} comments")
    return Seeded(
        handbook=handbook,
        chapter=big,
        small_chapter=small,
        counterpart=counterparts[0],
        editor=editor,
        threads=args.threads,
        comments=args.comments,
    )


# --- A whole review closing: 30 chapters, 6 jurisdictions, 3,000 threads with outcomes --------


@dataclass
class Review:
    handbook: Any
    round: Any
    editor: Any
    threads: int


def seed_review(
    rng: random.Random, *, slug: str, chapters: int, threads: int, words: int = 1_500
) -> Review:
    """A handbook at the end of a round: every jurisdiction commented on every chapter, the
    editors gave most threads a disposition, some commenters answered, coordinators voted and
    the jurisdictions without one signed off. Threads and their records are bulk-inserted rows
    (the report reads rows; how they came to be is the actions' business and measured
    elsewhere), placed on real words of the chapter texts."""
    from chapters.models import SignOff
    from comments.models import Answer, Comment, Disposition, Thread, Vote
    from handbook_review.clock import now
    from handbook_review.people.models import Agency, Jurisdiction, Role
    from tests import factories

    codes = ["AL", "BA", "XK", "ME", "MK", "RS"]
    handbook = factories.handbook(slug=slug, codes=tuple(codes))
    jurisdictions = {j.code: j for j in Jurisdiction.objects.filter(code__in=codes)}
    officers = {
        code: factories.user(
            Role.COUNTERPART, code=code, agency=Agency.BORDER_POLICE, name=f"{slug} officer {code}"
        )
        for code in codes
    }
    coordinated = codes[:3]  # the others sign off
    coordinators = {
        code: factories.user(
            Role.COORDINATOR, code=code, agency=Agency.BORDER_POLICE, name=f"{slug} coord {code}"
        )
        for code in coordinated
    }
    editor = factories.user(Role.EDITOR, code="RS", agency=Agency.OTHER, name=f"{slug} editor")
    made = [
        factories.chapter(
            handbook,
            by=editor,
            title=HEADINGS[n % len(HEADINGS)],
            body=markdown_chapter(words, rng),
            in_round=False,
        )
        for n in range(chapters)
    ]
    round_ = factories.review_round(
        handbook,
        made,
        opens_at=now() - timedelta(hours=2),
        closes_at=now() + timedelta(days=30),
        by=editor,
        name=f"{slug} round",
    )
    texts = {c.pk: c.plain_text() for c in made}
    spots = {pk: list(re.finditer(r"\w+ \w+ \w+", text)) for pk, text in texts.items()}
    rows = []
    for n in range(threads):
        chapter = made[n % chapters]
        text = texts[chapter.pk]
        spot = rng.choice(spots[chapter.pk])
        code = codes[n % len(codes)]
        category = rng.choice(["general", "technical", "editorial"])
        rows.append(
            Thread(
                chapter=chapter,
                author=officers[code],
                author_jurisdiction=jurisdictions[code],
                author_agency=Agency.BORDER_POLICE,
                category=category,
                essential=category == "technical" and rng.random() < 0.2,
                round=round_,
                version=chapter.version,
                exact=spot[0],
                prefix=text[max(0, spot.start() - 32) : spot.start()],
                suffix=text[spot.end() : spot.end() + 32],
                anchored_version=chapter.version,
                start=spot.start(),
                end=spot.end(),
                current_exact=spot[0],
            )
        )
    created = Thread.objects.bulk_create(rows, batch_size=500)
    comments = []
    for t in created:
        body = f"{sentence(rng)} Shqipëri, çështje; Гранична полиција."
        comments.append(
            Comment(
                thread=t,
                author=t.author,
                author_jurisdiction=t.author_jurisdiction,
                author_agency=t.author_agency,
                body=body,
                body_html=f"<p>{body}</p>",
            )
        )
        if rng.random() < 0.3:
            reply = sentence(rng)
            comments.append(
                Comment(thread=t, author=editor, body=reply, body_html=f"<p>{reply}</p>")
            )
    Comment.objects.bulk_create(comments, batch_size=1_000)
    kinds = ["accepted", "modified", "not_accepted", "noted", "deferred"]
    disposed = [t for t in created if rng.random() < 0.9]
    dispositions = Disposition.objects.bulk_create(
        [
            Disposition(
                thread=t,
                kind=(kind := rng.choice(kinds)),
                reason=sentence(rng) if kind != "accepted" else "",
                applied_text=sentence(rng, 4, 10) if kind == "modified" else "",
                version=t.version,
                by=editor,
            )
            for t in disposed
        ],
        batch_size=1_000,
    )
    answers = []
    for t, d in zip(disposed, dispositions, strict=True):
        t.disposition = d
        if rng.random() < 0.3:
            t.answer = rng.choice(["accepted", "contested"])
            answers.append(Answer(disposition=d, kind=t.answer, reason=sentence(rng), by=t.author))
    Thread.objects.bulk_update(disposed, ["disposition", "answer"], batch_size=1_000)
    Answer.objects.bulk_create(answers, batch_size=1_000)
    Vote.objects.bulk_create(
        Vote(
            round=round_,
            chapter=c,
            jurisdiction=jurisdictions[code],
            value=rng.choice(["approve", "approve_with_comments"]),
            version=c.version,
            by=coordinators[code],
        )
        for c in made
        for code in coordinated
    )
    SignOff.objects.bulk_create(
        SignOff(
            round=round_,
            chapter=c,
            jurisdiction=jurisdictions[code],
            verdict="with_comments",
            by=officers[code],
        )
        for c in made
        for code in codes[3:]
    )
    progress(f"seeded review {slug}: {chapters} chapters, {threads} threads with outcomes")
    return Review(handbook=handbook, round=round_, editor=editor, threads=threads)

"""The interface catalogues: extracted from the code, kept in step, compiled in Python.

`locale/en/` is the English source (what `makemessages` finds in the code and templates);
every other language's `.po` holds the same messages, translated. Serbian Cyrillic (`sr`) is
made from Serbian Latin (`sr_Latn`) by `handbook_review.serbian.to_cyrillic`, never by hand.
Compiling uses Babel, so a fresh machine needs no GNU gettext (only extracting does).

`manage.py catalogs update` (after changing strings), `check` (CI), `compile` (install).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import django
from babel.messages.catalog import Catalog, Message
from babel.messages.checkers import num_plurals, python_format
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po
from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings
from django.utils.translation import to_locale

from handbook_review.serbian import to_cyrillic

DOMAINS = ("django", "djangojs")
SOURCE = "en"
# What makemessages leaves alone: the environment, build output, tests, measuring code, vendor JS.
IGNORE = [
    ".venv",
    "venv",
    "staticfiles",
    "media",
    "tests",
    "bench",
    "static/vendor",
    "node_modules",
]
# Extracting into a scratch directory: the committed catalogues are not where new ones go.
EXTRACT_IGNORE = [*IGNORE, "locale", ".catalogs-*"]
# Languages Django does not translate itself, and whose catalogue it borrows for its own strings.
BORROWED = {"cnr": "sr_Latn"}
WIDTH = 100


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0])


def languages() -> list[str]:
    """The locale names of every interface language but the English source."""
    return [to_locale(code) for code, _name in settings.LANGUAGES if code != SOURCE]


def po_path(locale: str, domain: str, root: Path | None = None) -> Path:
    return (root or locale_dir()) / locale / "LC_MESSAGES" / f"{domain}.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=WIDTH, omit_header=False, sort_by_file=True)


def key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def scratch() -> tempfile.TemporaryDirectory[str]:
    """Where to extract: makemessages writes a file's messages to the first locale directory
    whose parent holds the file, so the scratch directory sits beside `locale/`."""
    return tempfile.TemporaryDirectory(dir=locale_dir().parent, prefix=".catalogs-")


def extract(root: Path) -> dict[str, Catalog]:
    """Run makemessages for the English source into `root`; the catalogue of each domain."""
    with override_settings(LOCALE_PATHS=[root]):
        for domain in DOMAINS:
            call_command(
                "makemessages",
                locale=[SOURCE],
                domain=domain,
                ignore_patterns=EXTRACT_IGNORE,
                no_obsolete=True,
                add_location="file",
                verbosity=0,
            )
    found = {}
    for domain in DOMAINS:
        path = po_path(SOURCE, domain, root)
        found[domain] = read(path) if path.exists() else Catalog(locale=SOURCE, domain=domain)
    return found


def serbian_cyrillic(latin: Catalog) -> Catalog:
    """The Cyrillic catalogue: every message of the Latin one, transliterated."""
    cyrillic = Catalog(locale="sr", domain=latin.domain, project=latin.project)
    for message in latin:
        if not message.id:
            continue
        string = message.string
        if isinstance(string, str):
            string = to_cyrillic(string)
        elif string:
            string = tuple(to_cyrillic(form) for form in string)
        cyrillic.add(
            message.id,
            string,
            locations=message.locations,
            flags=message.flags,
            auto_comments=message.auto_comments,
            context=message.context,
        )
    return cyrillic


def update() -> list[Path]:
    """Extract the English source into locale/en and bring every language's catalogue in step
    (new messages untranslated, removed ones dropped; never a fuzzy guess); remake `sr`."""
    written = []
    with scratch() as tmp:
        source = extract(Path(tmp))
    for domain, template in source.items():
        if not len(template):
            continue
        write(template, po_path(SOURCE, domain))
        written.append(po_path(SOURCE, domain))
        for locale in languages():
            if locale == "sr":
                continue
            path = po_path(locale, domain)
            catalog = read(path, locale) if path.exists() else new_catalog(locale, domain)
            catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
            write(catalog, path)
            written.append(path)
        latin = po_path("sr_Latn", domain)
        write(serbian_cyrillic(read(latin, "sr_Latn")), po_path("sr", domain))
        written.append(po_path("sr", domain))
    return written


def new_catalog(locale: str, domain: str) -> Catalog:
    # Montenegrin counts as Serbian does (three plural forms).
    return Catalog(locale=BORROWED.get(locale, locale), domain=domain, project="Handbook Review")


def problems() -> Iterator[str]:
    """Everything wrong with the catalogues, the code's strings extracted afresh (needs GNU
    gettext's xgettext, as makemessages does)."""
    with scratch() as tmp:
        extracted = extract(Path(tmp))
    for domain, found in extracted.items():
        wanted = {key(m) for m in found if m.id}
        committed = source_keys(domain)
        for msgid, _context in sorted(wanted - committed, key=str):
            yield f"{SOURCE}/{domain}: new message (run `manage.py catalogs update`): {msgid!r}"
        for msgid, _context in sorted(committed - wanted, key=str):
            yield f"{SOURCE}/{domain}: message no longer in the code: {msgid!r}"
    yield from catalogue_problems()


def source_keys(domain: str) -> set[tuple[str, str | None]]:
    path = po_path(SOURCE, domain)
    return {key(m) for m in read(path) if m.id} if path.exists() else set()


def catalogue_problems() -> Iterator[str]:
    """What is wrong with the committed catalogues: a message of the English source that a
    language lacks, an untranslated or fuzzy entry, broken placeholders or plural forms, and a
    Cyrillic catalogue out of step with the Latin one."""
    for domain in DOMAINS:
        wanted = source_keys(domain)
        if not wanted:
            continue
        for locale in languages():
            path = po_path(locale, domain)
            if not path.exists():
                yield f"{locale}/{domain}: missing catalogue {path}"
                continue
            catalog = read(path, locale)
            have = {key(m) for m in catalog if m.id}
            for msgid, _context in sorted(wanted - have, key=str):
                yield f"{locale}/{domain}: missing {msgid!r}"
            for msgid, _context in sorted(have - wanted, key=str):
                yield f"{locale}/{domain}: not in the English source {msgid!r}"
            for message in catalog:
                if message.id:
                    yield from message_problems(catalog, message, f"{locale}/{domain}")
        latin = po_path("sr_Latn", domain)
        cyrillic = po_path("sr", domain)
        if latin.exists() and cyrillic.exists():
            made = {key(m): m.string for m in serbian_cyrillic(read(latin, "sr_Latn")) if m.id}
            kept = {key(m): m.string for m in read(cyrillic, "sr") if m.id}
            if made != kept:
                yield f"sr/{domain}: not in step with sr_Latn (run `manage.py catalogs update`)"


def message_problems(catalog: Catalog, message: Message, where: str) -> Iterator[str]:
    strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
    if message.fuzzy:
        yield f"{where}: fuzzy {key(message)[0]!r}"
    if not strings or not all(s.strip() for s in strings):
        yield f"{where}: untranslated {key(message)[0]!r}"
        return
    for checker in (num_plurals, python_format):
        try:
            checker(catalog, message)
        except Exception as error:  # Babel's TranslationError
            yield f"{where}: {key(message)[0]!r}: {error}"


def compile_all() -> list[Path]:
    """Write every language's `.mo` from its `.po` (Montenegrin with Django's own strings from
    Serbian Latin beneath ours), where the `.po` is newer than its `.mo`."""
    written = []
    for locale in languages():
        for domain in DOMAINS:
            path = po_path(locale, domain)
            target = path.with_suffix(".mo")
            if not path.exists() or (
                target.exists() and target.stat().st_mtime >= path.stat().st_mtime
            ):
                continue
            catalog = read(path, locale)
            if locale in BORROWED:
                catalog = beneath(catalog, borrowed(BORROWED[locale], domain))
            # Written aside and moved into place: parallel test workers compile at once.
            with tempfile.NamedTemporaryFile("wb", dir=target.parent, delete=False) as handle:
                write_mo(handle, catalog, use_fuzzy=False)
            os.replace(handle.name, target)
            written.append(target)
    return written


def borrowed(locale: str, domain: str) -> list[Catalog]:
    """Django's own catalogues (the framework and its contrib apps) for `locale`."""
    root = Path(django.__file__).parent
    found = []
    for mo in sorted(root.glob(f"**/locale/{locale}/LC_MESSAGES/{domain}.mo")):
        with mo.open("rb") as handle:
            found.append(read_mo(handle))
    return found


def beneath(ours: Catalog, theirs: list[Catalog]) -> Catalog:
    """Our catalogue with the messages of `theirs` that ours lacks."""
    for catalog in theirs:
        for message in catalog:
            if message.id and message.string and ours.get(message.id, message.context) is None:
                ours[message.id] = message
    return ours

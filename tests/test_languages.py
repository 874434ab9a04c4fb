"""The region's languages: the choice and where it is kept, the catalogues, Serbian in two
scripts, e-mails in the recipient's language, plural forms, dates, the content's own language."""

import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime

import pytest
from django.core import mail
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext
from hypothesis import given
from hypothesis import strategies as st

from chapters import exporting
from chapters.notices import notify_round
from chapters.rendering import render_markdown
from handbook_review import catalogs, serbian
from handbook_review.notifications.models import Event, Notification
from handbook_review.people.models import Role, User
from tests import factories
from tests.conftest import client_for

LANGUAGES = ["sq", "bs", "hr", "mk", "cnr", "sr", "sr-latn"]


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


# --- The catalogues


def test_every_language_has_every_message_translated():
    problems = list(catalogs.catalogue_problems())
    assert not problems, "\n".join(problems[:50])


def test_a_missing_translation_is_found(tmp_path, settings):
    # The control: the check above would pass on catalogues it did not read.
    shutil.copytree(catalogs.locale_dir(), tmp_path / "locale")
    hr = tmp_path / "locale" / "hr" / "LC_MESSAGES" / "django.po"
    catalog = catalogs.read(hr, "hr")
    first = next(m for m in catalog if m.id and isinstance(m.id, str))
    first.string = ""
    catalogs.write(catalog, hr)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    assert any("hr/django: untranslated" in p for p in catalogs.catalogue_problems())


def test_the_cyrillic_catalogue_is_the_latin_one_transliterated():
    for domain in catalogs.DOMAINS:
        latin = catalogs.read(catalogs.po_path("sr_Latn", domain), "sr_Latn")
        cyrillic = catalogs.read(catalogs.po_path("sr", domain), "sr")
        made = {catalogs.key(m): m.string for m in catalogs.serbian_cyrillic(latin) if m.id}
        assert made == {catalogs.key(m): m.string for m in cyrillic if m.id}
        assert made  # not two empty files


def test_montenegrin_borrows_djangos_own_strings_from_serbian_latin():
    # Django has no Montenegrin; its own messages (forms, the admin) come from Serbian Latin.
    required = "This field is required."
    assert translated("cnr", required) == translated("sr-latn", required) != required


# --- Serbian: one source, two scripts

SERBIAN_LATIN_LETTERS = [*"abcčćdđefghijklmnoprsštuvzž", "lj", "nj", "dž"]
KEPT_SAMPLES = ["%(count)s", "%(name)s", "%s", "{title}", "<strong>", "</a>", "&nbsp;", "PDF"]
LATIN_ALPHABET = set("abcčćdđefghijklmnoprsštuvzž")
TO_LATIN = {c: latin for latin, c in {**serbian.SINGLE, **serbian.DIGRAPHS}.items()}


@given(st.lists(st.sampled_from(SERBIAN_LATIN_LETTERS), max_size=40))
def test_lowercase_serbian_goes_to_cyrillic_and_back(letters):
    latin = "".join(letters)
    cyrillic = serbian.to_cyrillic(latin)
    assert not set(cyrillic) & LATIN_ALPHABET
    assert "".join(TO_LATIN.get(c, c).lower() for c in cyrillic) == latin


@given(
    st.lists(
        st.one_of(
            st.sampled_from(KEPT_SAMPLES),
            st.text(alphabet="abcčćdđefghijklmnoprsštuvzž ABCČĆDĐ.,:", max_size=12),
        ),
        max_size=12,
    )
)
def test_placeholders_tags_and_acronyms_are_kept(parts):
    text = " ".join(parts)
    cyrillic = serbian.to_cyrillic(text)
    assert serbian.KEPT.findall(cyrillic) == serbian.KEPT.findall(text)
    assert serbian.to_cyrillic(text) == cyrillic  # deterministic


def test_transliteration_examples():
    assert serbian.to_cyrillic("Ljiljana i Njegoš, džep") == "Љиљана и Његош, џеп"
    assert serbian.to_cyrillic("nadživeti") == "надживети"  # d + ž across a prefix
    assert serbian.to_cyrillic("Izvezi PDF za %(name)s <em>odmah</em>") == (
        "Извези PDF за %(name)s <em>одмах</em>"
    )


# --- Choosing a language


def test_before_any_choice_the_browser_decides(db):
    response = client_for(None).get(reverse("login"), HTTP_ACCEPT_LANGUAGE="mk,en;q=0.5")
    assert html_lang(response) == "mk"
    assert translated("mk", "Log in") in response.content.decode()


def test_a_choice_on_the_login_page_becomes_the_users_at_login(counterpart):
    client = client_for(None)
    chosen = client.post(reverse("set_language"), {"language": "sq", "next": reverse("login")})
    assert chosen.status_code == 302 and chosen["Location"] == reverse("login")
    assert html_lang(client.get(reverse("login"))) == "sq"
    client.force_login(counterpart)
    counterpart.refresh_from_db()
    assert counterpart.language == "sq"
    assert html_lang(client.get("/")) == "sq"


def test_a_stored_choice_follows_the_user_to_another_device(counterpart):
    client_for(counterpart).post(reverse("set_language"), {"language": "hr", "next": "/"})
    counterpart.refresh_from_db()
    assert counterpart.language == "hr"
    # Another browser, which asks for English: the stored choice wins.
    elsewhere = client_for(counterpart)
    assert html_lang(elsewhere.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "hr"


def test_a_language_not_offered_is_refused_with_a_message(counterpart):
    client = client_for(counterpart)
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert "Choose one of the languages in the list." in response.content.decode()
    counterpart.refresh_from_db()
    assert counterpart.language == ""


def test_the_menu_is_on_every_page_and_labelled(counterpart):
    page = client_for(counterpart).get("/").content.decode()
    assert 'action="/language/"' in page
    assert '<label for="language-choice">' in page
    for code in LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in page


def test_the_javascript_strings_come_in_the_readers_language(counterpart):
    counterpart.language = "sq"
    counterpart.save()
    catalogue = client_for(counterpart).get(reverse("javascript-catalog")).content.decode()
    albanian = catalogs.read(catalogs.po_path("sq", "djangojs"), "sq")
    expected = albanian.get("Commenting on: “%s”").string
    assert expected and expected != "Commenting on: “%s”"
    assert json.dumps(expected)[1:-1] in catalogue or expected in catalogue


def test_an_invitation_is_written_in_the_language_the_administrator_chose(administrator):
    client = client_for(administrator)
    response = client.post(
        reverse("admin:people_user_add"),
        {
            "email": "new.reviewer@example.org",
            "name": "Besa Reviewer",
            "jurisdiction": factories.jurisdiction("AL").pk,
            "agency": "border_police",
            "language": "sq",
            "role": Role.COUNTERPART.value,
            "send_invitation": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(email="new.reviewer@example.org").language == "sq"
    [invitation] = mail.outbox
    assert invitation.subject == translated("sq", "You are invited to Handbook Review")
    assert invitation.subject != "You are invited to Handbook Review"


# --- Written for the recipient


def test_one_event_reaches_each_reader_in_their_own_language(
    handbook, chapter, editor, django_capture_on_commit_callbacks
):
    albanian = factories.user(code="AL", name="Arta Albanian", language="sq")
    macedonian = factories.user(code="MK", name="Marko Macedonian", language="mk")
    round_ = factories.review_round(handbook, [chapter], ("AL", "MK"), by=editor)
    # The server (or the sender) speaks English.
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notify_round(round_, Event.ROUND_OPENED)
    subject = "Review round “%(round)s” of %(handbook)s is open"
    names = {"round": round_.name, "handbook": handbook}
    for person, language in ((albanian, "sq"), (macedonian, "mk")):
        notice = Notification.objects.get(recipient=person)
        expected = translated(language, subject) % names
        assert notice.subject == expected != subject % names
        [email] = [m for m in mail.outbox if m.to == [person.email]]
        assert expected in email.subject
        assert translated(language, "Hello %(name)s,") % {"name": person.name} in email.body


# --- Plural forms and dates

PLURAL = (
    "%(n)d of your comments has its disposition",
    "%(n)d of your comments have their disposition",
)


@pytest.mark.parametrize(
    ("language", "forms"),
    [
        # 1, 21 / 2-4, 22 / 5-20, 11: three forms
        ("sr", {1: 0, 21: 0, 2: 1, 3: 1, 22: 1, 5: 2, 11: 2, 12: 2, 25: 2}),
        ("hr", {1: 0, 21: 0, 2: 1, 4: 1, 5: 2, 11: 2, 14: 2}),
        ("bs", {1: 0, 31: 0, 3: 1, 24: 1, 0: 2, 13: 2}),
        ("cnr", {1: 0, 2: 1, 5: 2}),
        # Macedonian: one form for 1, 21, 31…, another for the rest
        ("mk", {1: 0, 21: 0, 2: 1, 5: 1, 11: 1}),
        ("sq", {1: 0, 2: 1, 5: 1}),
    ],
)
def test_plural_forms_follow_each_languages_rule(language, forms):
    locale = translation.to_locale(language)
    catalog = catalogs.read(catalogs.po_path(locale, "django"), locale)
    strings = catalog.get(PLURAL[0]).string
    assert len(set(strings)) == len(strings) or language == "sq", strings  # forms really differ
    with translation.override(language):
        for n, form in forms.items():
            assert ngettext(*PLURAL, n) == strings[form], (language, n)


MOMENT = datetime(2026, 12, 3, 14, 40, tzinfo=UTC)  # 15:40 in Belgrade


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("en", "3 December 2026, 15:40 CET"),
        ("sq", "3 Dhjetor 2026, 15:40 CET"),  # Django's Albanian month names
        ("hr", "3. prosinca 2026. 15:40 CET"),
        ("sr", "3. децембар 2026. 15:40 CET"),
        ("sr-latn", "3. decembar 2026. 15:40 CET"),
        ("mk", "3. Декември 2026 15:40 CET"),
    ],
)
def test_dates_are_written_as_each_language_writes_them(language, written):
    with translation.override(language):
        assert Template("{{ at|moment }}").render(Context({"at": MOMENT})) == written


# --- The content's own language


def test_the_reading_page_and_the_editor_mark_the_handbooks_language(handbook, chapter, editor):
    handbook.language = "sr"
    handbook.save()
    client = client_for(editor)
    page = client.get(chapter.get_absolute_url()).content.decode()
    assert 'id="chapter-body" lang="sr"' in page
    editor_page = client.get(
        reverse("chapters:edit_chapter", args=[handbook.slug, chapter.pk])
    ).content.decode()
    assert re.search(r'<textarea[^>]*name="body"[^>]*lang="sr"', editor_page) or re.search(
        r'<textarea[^>]*lang="sr"[^>]*name="body"', editor_page
    )


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is missing")
def test_a_serbian_cyrillic_pdf_has_cyrillic_text_and_serbian_boilerplate(tmp_path):
    body = "## Оквир\n\nГранична полиција и царина прегледају ватрено оружје и муницију."
    doc = exporting.ExportDocument(
        title="Приручник о ватреном оружју",
        label="1.0",
        date=date(2026, 3, 1),
        organisations=["SEESAC"],
        distribution_marking="",
        language="sr",
        chapters=[
            exporting.ExportChapter(
                number=1,
                title="Правни оквир",
                body=body,
                version=1,
                html=render_markdown(body, number=1),
            )
        ],
    )
    with translation.override("en"):  # whoever asks, the boilerplate is the handbook's
        pdf = exporting.to_pdf(doc)
    path = tmp_path / "handbook.pdf"
    path.write_bytes(pdf)
    pdftotext = shutil.which("pdftotext") or "pdftotext"
    text = subprocess.run(  # noqa: S603 (our own file, a fixed program)
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Гранична полиција и царина" in text
    contents, edition = translated("sr", "Contents"), translated("sr", "Edition %(label)s")
    assert contents != "Contents" and contents in text
    assert edition % {"label": "1.0"} in text
    page = translated("sr", "Page %(page)s of %(pages)s") % {"page": 1, "pages": "N"}
    assert re.search(re.escape(page).replace("N", r"\d+"), text)
    assert "1. март 2026." in text  # the cover's date, as Serbian writes it

"""Every page reachable by link, for every role: no server error, nothing the role may not see,
one <h1> and a label on every field; and every page asked for something that does not exist
answers 404, never 500."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import translation
from django.utils.translation import gettext

from chapters.models import Export, ExportState
from handbook_review import catalogs
from handbook_review.people.models import User
from tests import factories
from tests.conftest import cast, client_for

LIMIT = 300  # pages per role
ADMIN_LIMIT = 40  # of which in Django's admin, whose pages are Django's own
SKIPPED = ("/accounts/logout/", "/static/", "/media/")
EDITORS_ONLY_THREAD = "Ask FRONTEX about the marking."
DRAFT_TITLE = "Unpublished draft chapter"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def review(media, handbook, chapter, editor, counterpart, django_capture_on_commit_callbacks):
    """A handbook in its second review: editions 1.0 and 1.1, a round over two chapters inviting
    AL and BA, threads (one for editors only, one orphaned), a reply, a suggestion, a sign-off,
    notifications, a draft chapter, and finished exports whose files exist."""
    with django_capture_on_commit_callbacks(execute=True):
        scene = factories.second_review(
            handbook,
            chapter,
            editor=editor,
            counterpart=counterpart,
            draft_title=DRAFT_TITLE,
            editors_only=EDITORS_ONLY_THREAD,
        )
        second = scene["second"]
        # Orphaned: the words it was made on are then removed from the chapter.
        factories.comment_thread(second, by=counterpart, words="calibre", body="Which calibre?")
        second.refresh_from_db()
        second.revise(
            body=second.body.replace(", the make and the calibre", ""),
            by=editor,
            reason="Shorter",
            base_version=second.version,
        )
    for made_from, fmt in ((None, "md"), (scene["edition"], "html")):
        export = Export.objects.create(
            handbook=handbook,
            edition=made_from,
            format=fmt,
            state=ExportState.DONE,
            requested_by=editor,
        )
        export.file.save(f"handbook.{fmt}", ContentFile(b"# Legal framework\n"), save=False)
        Export.objects.filter(pk=export.pk).update(file=export.file.name, size=18)
    return {**scene, "exports": list(Export.objects.filter(handbook=handbook))}


# --- The crawler


class Page(HTMLParser):
    """The links, <h1>s and unlabelled form fields of one HTML page."""

    FIELDS = ("input", "select", "textarea")
    UNLABELLED_INPUTS = ("hidden", "submit", "button", "reset", "image")

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[str] = []
        self.h1 = 0
        self.fields: list[tuple[str, str]] = []  # (id, description) of fields with no aria-label
        self.labelled_ids: set[str] = set()
        self.in_label = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(found["href"])
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.in_label += 1
            if found.get("for"):
                self.labelled_ids.add(found["for"])
        elif tag in self.FIELDS:
            kind = (found.get("type") or "text").lower() if tag == "input" else tag
            if kind in self.UNLABELLED_INPUTS:
                return
            if self.in_label or found.get("aria-label") or found.get("aria-labelledby"):
                return
            self.fields.append((found.get("id") or "", f"<{tag} name={found.get('name')!r}>"))

    def handle_endtag(self, tag):
        if tag == "label" and self.in_label:
            self.in_label -= 1

    def unlabelled(self) -> list[str]:
        return [text for id_, text in self.fields if not id_ or id_ not in self.labelled_ids]


def internal(base: str, href: str) -> str | None:
    """The path (and query) of a link within the site, or None for one to skip."""
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("http", "https", "") or parts.netloc not in ("", "testserver"):
        return None
    if parts.path.startswith(SKIPPED):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def is_admin(url: str) -> bool:
    return url.startswith("/admin/") and not url.startswith("/admin/login/")


def crawl(client, seeds: list[str]) -> dict[str, tuple[int, str, Page | None]]:
    """Breadth-first from `/` (and `seeds`): url -> (status, text, parsed HTML page or None)."""
    start = ["/", *seeds]
    queue, seen, visited = deque(start), set(start), {}
    admin_pages = 0
    while queue and len(visited) < LIMIT:
        url = queue.popleft()
        response = client.get(url)
        # A download is read to the end: the test client then closes it (closing it once more
        # would also close the database connection, as at the end of a real request).
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", "replace") if b"\0" not in body[:1000] else ""
        page = None
        found: list[str] = []
        if response.status_code in (301, 302, 303, 307, 308):
            found = [response["Location"]]
        elif response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            page = Page(text)
            found = page.links
        visited[url] = (response.status_code, text, page)
        admin_pages += is_admin(url)
        for href in found:
            target = internal(url, href)
            if target is None or target in seen:
                continue
            # The admin's filters and orderings multiply without end; its pages are Django's.
            if is_admin(target) and ("?" in target or admin_pages >= ADMIN_LIMIT):
                continue
            seen.add(target)
            queue.append(target)
    return visited


def url_name(url: str) -> str:
    try:
        match = resolve(urlsplit(url).path)
    except Resolver404:
        return ""
    return match.view_name


def seeds(review) -> list[str]:
    """Pages some role may not reach by any link: they must be refused all the same."""
    slug = review["handbook"].slug
    chapter, draft, round_ = review["chapter"], review["draft"], review["round"]
    return [
        reverse("handbook", args=[slug]),
        reverse("chapter", args=[slug, chapter.pk]),
        reverse("chapter", args=[slug, draft.pk]),
        reverse("chapters:history", args=[slug, draft.pk]),
        reverse("chapters:edit_chapter", args=[slug, chapter.pk]),
        reverse("chapters:add_chapter", args=[slug]),
        reverse("chapters:rounds", args=[slug]),
        reverse("chapters:round", args=[slug, round_.pk]),
        reverse("chapters:new_round", args=[slug]),
        reverse("chapters:edit_round", args=[slug, round_.pk]),
        reverse("chapters:workflow", args=[slug, chapter.pk]),
        reverse("chapters:bulk_workflow", args=[slug]),
        reverse("chapters:bulk_workflow", args=[slug]) + "?step=in_review:consolidation",
        reverse("comments:dashboard", args=[slug]),
        reverse("comments:my_review", args=[slug]),
        reverse("chapters:import_upload", args=[slug]),
        reverse("chapters:editions", args=[slug]),
        reverse("chapters:edition", args=[slug, "1.1"]),
        reverse("chapters:edition_changes", args=[slug, "1.1"]),
        reverse("chapters:draft_exports", args=[slug]),
        *(reverse("chapters:export_status", args=[e.pk]) for e in review["exports"]),
        *(reverse("chapters:export_download", args=[e.pk]) for e in review["exports"]),
        reverse("admin:index"),
        reverse("admin:people_user_changelist"),
    ]


# Pages (by URL name) that counterparts may never open.
EDITORS_PAGES = {
    "comments:dashboard",
    "chapters:draft_exports",
    "chapters:import_upload",
    "chapters:import_confirm",
    "chapters:export_status",
    "chapters:add_chapter",
    "chapters:edit_chapter",
    "chapters:new_round",
    "chapters:edit_round",
    "chapters:bulk_workflow",
}


def refused(role: str, url: str, review) -> bool:
    """Whether `role` must not get a 200 for `url`."""
    name = url_name(url)
    if role in ("editor", "administrator"):
        return role == "editor" and is_admin(url)
    if is_admin(url) or name in EDITORS_PAGES:
        return True
    if name == "chapters:export_download":  # an edition's, for its readers; a draft's, never
        drafts = [e for e in review["exports"] if e.edition_id is None]
        return role == "outsider" or any(url == f"/exports/{e.pk}/download/" for e in drafts)
    if role == "outsider":  # no handbook of theirs: nothing under /h/ at all
        return url.startswith(("/h/", "/exports/"))
    return f"/c/{review['draft'].pk}/" in url


@pytest.mark.parametrize("role", cast(without=["anonymous"]))
def test_every_linked_page_is_sound_for(role, request, review):
    person = request.getfixturevalue(role)
    visited = crawl(client_for(person), seeds(review))
    assert len(visited) > (10 if role == "outsider" else 40)  # the crawl went somewhere
    problems = []
    for url, (status, text, page) in visited.items():
        if status >= 500:
            problems.append(f"{url}: {status}")
        if status == 200 and refused(role, url, review):
            problems.append(f"{url}: 200 for {role}")
        if role in ("counterpart", "outsider"):
            problems += [
                f"{url}: shows {secret!r} to {role}"
                for secret in (DRAFT_TITLE, EDITORS_ONLY_THREAD)
                if secret in text
            ]
        if page is None or "<html" not in text or url.startswith("/admin/"):
            continue  # downloads, fragments, and Django's admin (not our templates)
        if page.h1 != 1:
            problems.append(f"{url}: {page.h1} <h1> elements")
        problems += [f"{url}: no label for {field}" for field in page.unlabelled()]
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_missing_label_and_a_second_h1():
    # The control: a parser that saw nothing would pass every page above.
    page = Page(
        '<h1>One</h1><h1>Two</h1><a href="/h/x/">x</a>'
        '<label for="a">A</label><input id="a"><label>B <select name="b"></select></label>'
        '<input name="c" aria-label="C"><input type="hidden" name="d">'
        '<textarea name="e"></textarea>'
        '<input id="f" name="f" type="date">'
    )
    assert (page.h1, page.links) == (2, ["/h/x/"])
    assert page.unlabelled() == ["<textarea name='e'>", "<input name='f'>"]


# --- Things that do not exist


def patterns(resolvers=None, namespace: str = ""):
    """(URL name, parameter names) of the project's own URL patterns that take parameters."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's own
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name and parameters_of(entry):
            yield f"{namespace}{entry.name}", parameters_of(entry)


def parameters_of(entry: URLPattern) -> list[str]:
    """The parameter names of a path() (its converters) or a re_path() (its named groups)."""
    return sorted(entry.pattern.converters or entry.pattern.regex.groupindex)


BAD = {"slug": "no-such-handbook", "pk": 999_999, "chapter_pk": 999_998, "sign_off_pk": 999_997}
BAD_BY_NAME = {
    "label": "9.9",
    "number": 999,
    "path": "no/such/file.png",
    "filename": "0" * 32 + ".png",  # a well-formed name of no stored image
    "code": "ZZ",  # no jurisdiction
}
# Django's own: an unknown reset link shows a page that says so.
NOT_OURS = {"password_reset_confirm"}


def bad_kwargs(parameters: list[str], slug: str | None) -> dict:
    values = {**BAD, **BAD_BY_NAME}
    if slug is not None:
        values["slug"] = slug
    return {name: values[name] for name in parameters}


@pytest.mark.parametrize("real_handbook", [False, True], ids=["unknown-handbook", "known"])
def test_unknown_objects_are_not_found(real_handbook, review, editor, counterpart):
    slug = review["handbook"].slug if real_handbook else None
    checked, problems = 0, []
    for person in (editor, counterpart):
        client = client_for(person)
        for name, parameters in patterns():
            if name in NOT_OURS or (real_handbook and parameters == ["slug"]):
                continue
            url = reverse(name, kwargs=bad_kwargs(parameters, slug))
            response = client.get(url)
            if response.status_code == 405:
                continue  # not a page: POST only
            checked += 1
            if response.status_code != 404:
                problems.append(f"{person.role} {name} {url}: {response.status_code}")
    assert checked > 20
    assert not problems, "\n".join(problems)


# --- Every page in every language


LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\([^)]*\)[sd]|%[sd]|\{[^}]*\}")


def english_phrases(language: str) -> set[str]:
    """Interface phrases of the English catalogue (two words or more, placeholders cut out)
    that the language writes differently: any of them on a page is an untranslated string."""
    phrases = set()
    catalogue = catalogs.read(catalogs.po_path("en", "django"))
    locale = translation.to_locale(language)
    # A phrase the language itself uses ("e-mail me" in Albanian "një e-mail me të gjitha") is
    # no sign of English.
    own = " | ".join(
        " ".join(m.string) if isinstance(m.string, tuple) else m.string
        for m in catalogs.read(catalogs.po_path(locale, "django"), locale)
        if m.id
    )
    with translation.override(language):
        for message in catalogue:
            if not message.id or message.context:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            if "<" in msgid or gettext(msgid) == msgid:
                continue
            pieces = PLACEHOLDER.split(msgid)
            # A whole message of two words is ours; a two-word piece cut out of a longer one
            # ("more than") is common English that Django's own, partly translated, catalogues
            # (Bosnian's admin) also write: pieces count from three words.
            least = 2 if len(pieces) == 1 else 3
            for piece in pieces:
                piece = " ".join(piece.split()).strip(" .,:;·—()“”")
                if len(piece.split()) >= least and len(piece) >= 8 and piece not in own:
                    phrases.add(piece)
    return phrases


class Words(HTMLParser):
    """A page's interface text: its text and labels, without scripts, styles, and without the
    content marked with its own language (the handbook's text, the language menu's names)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self, html: str) -> None:
        super().__init__()
        self.lang = ""
        self.depth_skipped = 0
        self.stack: list[bool] = []
        self.parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang") or ""
            return
        if tag in self.VOID:
            if not self.depth_skipped:
                self.parts += [found[a] for a in self.ATTRIBUTES if found.get(a)]
            return
        skip = tag in ("script", "style") or "lang" in found
        self.stack.append(skip)
        self.depth_skipped += skip
        if not self.depth_skipped:
            self.parts += [found[a] for a in self.ATTRIBUTES if found.get(a)]

    def handle_endtag(self, tag):
        if tag in self.VOID or tag == "html" or not self.stack:
            return
        self.depth_skipped -= self.stack.pop()

    def handle_data(self, data):
        if not self.depth_skipped:
            self.parts.append(data)

    def text(self) -> str:
        # Pieces joined by a bar, so that no phrase is made of the end of one and the next.
        return " | ".join(" ".join(part.split()) for part in self.parts if part.strip())


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", cast())
def test_every_page_speaks_the_readers_language(language, role, request, db):
    person = request.getfixturevalue(role) if role != "anonymous" else None
    # The cast reads this language before anything happens, so what is written for them (their
    # notifications) is written in it too.
    for name in ("editor", "counterpart", "outsider", "administrator"):
        request.getfixturevalue(name)
    User.objects.update(language=language)
    review = request.getfixturevalue("review")
    if person is not None:
        person.refresh_from_db()
    client = client_for(person)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    visited = crawl(client, [] if person is None else seeds(review))
    phrases = english_phrases(language)
    assert len(phrases) > 300  # the check has something to look for
    problems, pages = [], 0
    for url, (status, text, page) in visited.items():
        if status >= 500:
            problems.append(f"{url}: {status}")
        if page is None or "<html" not in text:
            continue
        pages += 1
        words = Words(text)
        if words.lang != language:
            problems.append(f"{url}: <html lang={words.lang!r}>")
        shown = words.text()
        problems += [f"{url}: English {phrase!r}" for phrase in sorted(phrases) if phrase in shown]
    assert pages >= (1 if person is None else 5)
    assert not problems, "\n".join(problems[:60])


def test_the_language_check_finds_english_left_on_a_page():
    # The control: an untranslated phrase is seen; content in its own language is not.
    page = Words(
        '<html lang="hr"><body><p>Your comments and suggestions</p>'
        '<div lang="en">Review round of the border police</div><script>var a = "Log out";</script>'
        '<button aria-label="Change language">x</button></body></html>'
    )
    assert page.lang == "hr"
    assert page.text() == "Your comments and suggestions | Change language | x"
    assert "Change language" in english_phrases("hr")

"""Proposing a rewrite of a whole section: one suggestion over the section's Markdown."""

import re

import pytest
from django.urls import reverse

from chapters.models import Chapter
from comments.actions import accept
from comments.models import Suggestion
from tests import factories
from tests.comments.test_suggestion_views import in_round
from tests.conftest import cast, client_for

BODY = (
    "Introductory text.\n\n"
    "## Legal basis\n\n"
    "The Firearms Protocol obliges States to mark every firearm.\n\n"
    "### Marking\n\n"
    "Marks are stamped on the frame.\n\n"
    "## Practice\n\n"
    "Officers record the serial number.\n"
)
SECTION = (
    "## Legal basis\n\n"
    "The Firearms Protocol obliges States to mark every firearm.\n\n"
    "### Marking\n\n"
    "Marks are stamped on the frame."
)
REWRITE = (
    "## Legal basis\n\n"
    "The Firearms Protocol and the Arms Trade Treaty oblige States to mark every firearm.\n\n"
    "### Marking\n\n"
    "Marks are stamped on the frame."
)


@pytest.fixture
def text_chapter(handbook, editor):
    """BODY in review, in an open round inviting every jurisdiction of the handbook."""
    return in_round(factories.chapter(handbook, by=editor, body=BODY), editor)


def url(chapter, section=""):
    base = reverse("comments:rewrite_section", args=[chapter.handbook.slug, chapter.pk])
    return base + (f"?section={section}" if section else "")


def data(chapter, **changes):
    return {
        "section": "legal-basis",
        "version": chapter.version,
        "replacement": REWRITE,
        "body": "Cite the ATT as well.",
        "category": "editorial",
        **changes,
    }


def test_the_form_holds_the_sections_markdown_and_is_linked_from_the_page(
    text_chapter, counterpart
):
    client = client_for(counterpart)
    page = client.get(text_chapter.get_absolute_url()).content.decode()
    assert f'href="{url(text_chapter, "legal-basis")}"' in page
    form = client.get(url(text_chapter, "legal-basis"))
    assert form.status_code == 200
    assert SECTION in form.content.decode()


def test_a_rewrite_is_one_suggestion_accepted_as_one_version(text_chapter, counterpart, editor):
    # Browsers send a textarea's line breaks as CR LF.
    sent = data(text_chapter, replacement=REWRITE.replace("\n", "\r\n") + "\r\n\r\n")
    response = client_for(counterpart).post(url(text_chapter), sent)
    assert response.status_code == 302
    made = Suggestion.objects.get()
    assert text_chapter.body[made.source_start : made.source_end] == SECTION
    assert (made.original, made.replacement, made.whole_block) == (SECTION, REWRITE, True)
    assert made.thread.section == "legal-basis"
    assert made.thread.current_exact == "Legal basis"

    page = client_for(editor).get(text_chapter.get_absolute_url()).content.decode()
    assert "(rewrites the whole section)" in page
    # Its card shows the rewrite as a word diff of the section.
    assert re.search(r"<ins>[^<]*and the Arms Trade Treaty[^<]*</ins>", page)

    accept(made, by=editor)
    chapter = Chapter.objects.get()
    assert chapter.version == 2
    assert chapter.body == BODY.replace(SECTION, REWRITE)
    assert chapter.body.endswith("## Practice\n\nOfficers record the serial number.\n")


def test_preview_shows_the_word_diff_and_writes_nothing(text_chapter, counterpart):
    response = client_for(counterpart).post(
        url(text_chapter), {**data(text_chapter), "preview": "1"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<ins><span class="visually-hidden">Inserted: </span>and the Arms Trade Treaty ' in page
    assert "Cite the ATT as well." in page
    assert not Suggestion.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replacement": ""}, "Write the section as it should read."),
        ({"replacement": "   \n"}, "Write the section as it should read."),
        ({"replacement": SECTION + "\n\n"}, "The rewrite is the same as the section now."),
        ({"section": "no-such-section"}, "There is no such section in this chapter."),
        ({"version": 9}, "The chapter changed since you opened this form"),
        ({"body": ""}, "Write a comment."),
    ],
)
def test_bad_rewrites_are_refused_and_the_text_kept(text_chapter, counterpart, changes, message):
    response = client_for(counterpart).post(url(text_chapter), data(text_chapter, **changes))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    kept = changes.get("replacement", REWRITE)
    if kept.strip():
        assert kept.strip().split("\n")[-1] in page
    if "body" not in changes:
        assert "Cite the ATT as well." in page
    assert not Suggestion.objects.exists()


def test_an_unknown_section_is_404_when_opening_the_form(text_chapter, counterpart):
    assert client_for(counterpart).get(url(text_chapter, "nope")).status_code == 404


COLUMNS = cast(without=["administrator"])
MATRIX = [("open form", [302, 404, 200, 200]), ("propose", [302, 404, 302, 302])]


@pytest.mark.parametrize(("action", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
@pytest.mark.parametrize("role", COLUMNS)
def test_rewrite_permission_matrix(request, text_chapter, role, action, expected):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(person)
    if action == "open form":
        response = client.get(url(text_chapter, "legal-basis"))
    else:
        response = client.post(url(text_chapter), data(text_chapter))
    assert response.status_code == expected[COLUMNS.index(role)]
    if role == "anonymous":
        assert "/accounts/login/" in response["Location"]
    made = Suggestion.objects.exists()
    assert made == (action == "propose" and role in ("counterpart", "editor"))


def test_a_counterpart_outside_a_round_may_not_propose_a_rewrite(handbook, editor, counterpart):
    approved = factories.chapter(handbook, by=editor, body=BODY, status="approved")
    client = client_for(counterpart)
    assert client.get(url(approved, "legal-basis")).status_code == 403
    assert client.post(url(approved), data(approved)).status_code == 403
    assert not Suggestion.objects.exists()

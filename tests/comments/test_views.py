"""Comment pages and actions: permission matrix, bad input, visibility, counts, query budget."""

import json

import pytest
from django.urls import reverse

from comments import anchoring
from comments.actions import open_thread, resolve_thread
from comments.models import Comment, Thread, ThreadStatus, Visibility
from tests import factories
from tests.conftest import cast, client_for

COLUMNS = cast("author", without=["administrator"])


@pytest.fixture
def author(db):
    """Bosnian customs counterpart who wrote `thread`: may resolve, edit and delete their own."""
    return factories.user(code="BA", agency="customs", name="Jelena Author")


@pytest.fixture
def thread(chapter, author):
    text = chapter.plain_text()
    start = text.index("serial number")
    anchor = anchoring.describe(text, start, start + len("serial number"))
    return open_thread(chapter, by=author, anchor=anchor, body="Which serial number?")


def person(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def new_thread_data(chapter, **extra):
    return {
        "exact": "make and the calibre",
        "version": chapter.version,
        "body": "Add the model.",
        "visibility": "everyone",
        "category": "general",
        **extra,
    }


MATRIX = [
    # action, expected per COLUMNS (anonymous, outsider, counterpart, author, editor)
    ("new_thread", [302, 404, 302, 302, 302]),
    ("reply", [302, 404, 302, 302, 302]),
    ("resolve", [302, 404, 403, 302, 302]),
    ("edit_comment_get", [302, 404, 403, 200, 403]),
    ("edit_comment_post", [302, 404, 403, 302, 403]),
    ("delete_comment", [302, 404, 403, 302, 403]),
    ("hide_comment_get", [302, 404, 403, 403, 200]),
    ("hide_comment_post", [302, 404, 403, 403, 302]),
    ("annotations", [302, 404, 200, 200, 200]),
    ("chapter", [302, 404, 200, 200, 200]),
]


def do(client, action, chapter, thread):
    comment = thread.comments.first()
    slug = chapter.handbook.slug
    if action == "new_thread":
        return client.post(
            reverse("comments:new_thread", args=[slug, chapter.pk]), new_thread_data(chapter)
        )
    if action == "reply":
        return client.post(reverse("comments:reply", args=[thread.pk]), {"body": "A reply."})
    if action == "resolve":
        return client.post(reverse("comments:resolve", args=[thread.pk]), {"action": "resolve"})
    if action == "edit_comment_get":
        return client.get(reverse("comments:edit_comment", args=[comment.pk]))
    if action == "edit_comment_post":
        return client.post(reverse("comments:edit_comment", args=[comment.pk]), {"body": "Edited."})
    if action == "delete_comment":
        return client.post(reverse("comments:delete_comment", args=[comment.pk]))
    if action == "hide_comment_get":
        return client.get(reverse("comments:hide_comment", args=[comment.pk]))
    if action == "hide_comment_post":
        return client.post(
            reverse("comments:hide_comment", args=[comment.pk]), {"reason": "Off topic"}
        )
    if action == "annotations":
        return client.get(reverse("comments:annotations", args=[slug, chapter.pk]))
    if action == "chapter":
        return client.get(chapter.get_absolute_url())
    raise AssertionError(action)


@pytest.mark.parametrize(("action", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
@pytest.mark.parametrize("role", COLUMNS)
def test_comment_actions_permission_matrix(request, chapter, thread, action, expected, role):
    response = do(client_for(person(request, role)), action, chapter, thread)
    assert response.status_code == expected[COLUMNS.index(role)]


def test_new_thread_on_a_selection_is_anchored_to_exactly_those_words(chapter, counterpart):
    response = client_for(counterpart).post(
        reverse("comments:new_thread", args=[chapter.handbook.slug, chapter.pk]),
        new_thread_data(chapter),
    )
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert chapter.plain_text()[thread.start : thread.end] == "make and the calibre"
    comment = thread.comments.get()
    assert comment.author_jurisdiction.code == "AL" and comment.author_agency == "border_police"


def test_whole_section_comment_without_javascript(chapter, counterpart):
    data = new_thread_data(chapter, exact="", section="practice")
    response = client_for(counterpart).post(
        reverse("comments:new_thread", args=[chapter.handbook.slug, chapter.pk]), data
    )
    assert response.status_code == 302
    thread = Thread.objects.get()
    assert thread.current_exact == "Practice" and thread.section == "practice"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exact": "words that are not in the chapter"}, "not in this chapter"),
        ({"exact": "", "section": ""}, "Select the words you comment on"),
        ({"exact": "", "section": "no-such-section"}, "Select a valid choice"),
        ({"body": ""}, "Write a comment."),
        ({"body": "x" * 20_001}, "at most 20000 characters"),
        ({"start": 5, "end": 99_999, "exact": "zzz"}, "not in this chapter"),
        ({"version": 99}, "does not exist"),
    ],
)
def test_bad_new_thread_input_is_refused_and_the_text_kept(chapter, counterpart, change, message):
    data = new_thread_data(chapter, **change)
    response = client_for(counterpart).post(
        reverse("comments:new_thread", args=[chapter.handbook.slug, chapter.pk]), data
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    if data["body"] and len(data["body"]) < 100:
        assert data["body"] in page  # nothing the user typed is lost
    assert not Thread.objects.exists()


def test_counterpart_cannot_comment_on_a_draft(draft, counterpart, editor):
    url = reverse("comments:new_thread", args=[draft.handbook.slug, draft.pk])
    assert client_for(counterpart).post(url, new_thread_data(draft)).status_code == 404
    assert (
        client_for(editor).post(url, new_thread_data(draft, exact="serial number")).status_code
        == 302
    )


def test_reply_to_a_thread_of_a_handbook_one_cannot_see_is_404(thread, outsider):
    response = client_for(outsider).post(
        reverse("comments:reply", args=[thread.pk]), {"body": "Hi"}
    )
    assert response.status_code == 404
    assert thread.comments.count() == 1


@pytest.mark.parametrize("body", ["", "x" * 20_001])
def test_bad_reply_is_refused(thread, counterpart, body):
    response = client_for(counterpart).post(
        reverse("comments:reply", args=[thread.pk]), {"body": body}
    )
    assert response.status_code == 400
    assert thread.comments.count() == 1


def test_editing_keeps_the_earlier_text(thread, author):
    comment = thread.comments.get()
    client_for(author).post(
        reverse("comments:edit_comment", args=[comment.pk]), {"body": "Which serial numbers?"}
    )
    comment.refresh_from_db()
    assert comment.body == "Which serial numbers?" and comment.edited_at
    assert list(comment.history.order_by("history_date").values_list("body", flat=True)) == [
        "Which serial number?",
        "Which serial numbers?",
    ]


def test_a_comment_with_replies_cannot_be_deleted(thread, author, counterpart):
    client_for(counterpart).post(reverse("comments:reply", args=[thread.pk]), {"body": "Agreed."})
    first = thread.comments.order_by("pk").first()
    client_for(author).post(reverse("comments:delete_comment", args=[first.pk]))
    first.refresh_from_db()
    assert first.deleted_at is None


def test_hidden_comment_shows_the_reason_not_the_text(chapter, thread, editor, counterpart):
    comment = thread.comments.get()
    client_for(editor).post(
        reverse("comments:hide_comment", args=[comment.pk]), {"reason": "Personal data"}
    )
    page = client_for(counterpart).get(chapter.get_absolute_url()).content.decode()
    assert "Personal data" in page
    assert "Which serial number?" not in page


def test_hiding_needs_a_reason(thread, editor):
    comment = thread.comments.get()
    response = client_for(editor).post(
        reverse("comments:hide_comment", args=[comment.pk]), {"reason": " "}
    )
    assert response.status_code == 400
    comment.refresh_from_db()
    assert not comment.is_hidden


def test_resolve_and_reopen(thread, author):
    url = reverse("comments:resolve", args=[thread.pk])
    client_for(author).post(url, {"action": "resolve"})
    assert Thread.objects.get().status == ThreadStatus.RESOLVED
    client_for(author).post(url, {"action": "reopen"})
    assert Thread.objects.get().status == ThreadStatus.OPEN


def test_mentions_are_recorded(thread, counterpart, editor):
    client_for(counterpart).post(
        reverse("comments:reply", args=[thread.pk]), {"body": f"@{editor.name} please check."}
    )
    assert list(Comment.objects.last().mentions.all()) == [editor]


def editors_only_thread(chapter, by):
    text = chapter.plain_text()
    start = text.index("seals") if "seals" in text else text.index("Officers")
    return open_thread(
        chapter,
        by=by,
        anchor=anchoring.describe(text, start, start + 8),
        body="Private remark",
        visibility=Visibility.EDITORS,
    )


def test_editors_only_threads_of_others_are_invisible_to_counterparts_everywhere(
    chapter, thread, author, counterpart, editor
):
    private = editors_only_thread(chapter, author)
    page = client_for(counterpart).get(chapter.get_absolute_url()).content.decode()
    assert "Private remark" not in page
    toc = client_for(counterpart).get(chapter.handbook.get_absolute_url()).content.decode()
    assert "<td>1</td>" in toc.replace(" ", "")  # one open thread counted, not two
    export = (
        client_for(counterpart)
        .get(reverse("comments:annotations", args=[chapter.handbook.slug, chapter.pk]))
        .json()
    )
    assert all("Private remark" not in json.dumps(item) for item in export["items"])
    assert (
        client_for(counterpart)
        .post(reverse("comments:reply", args=[private.pk]), {"body": "x"})
        .status_code
        == 404
    )
    assert "Private remark" in client_for(editor).get(chapter.get_absolute_url()).content.decode()
    assert "Private remark" in client_for(author).get(chapter.get_absolute_url()).content.decode()


def test_filters_by_status_jurisdiction_and_author(chapter, thread, author, counterpart, editor):
    text = chapter.plain_text()
    start = text.index("Officers")
    mine = open_thread(
        chapter, by=counterpart, anchor=anchoring.describe(text, start, start + 8), body="Mine"
    )
    resolve_thread(mine, by=counterpart)
    client = client_for(editor)
    url = chapter.get_absolute_url()

    def shown(**params):
        page = client.get(url, params).content.decode()
        return {t.pk for t in (thread, mine) if f'id="thread-{t.pk}"' in page}

    assert shown() == {thread.pk, mine.pk}
    assert shown(status="open") == {thread.pk}
    assert shown(status="resolved") == {mine.pk}
    assert shown(jurisdiction=author.jurisdiction_id) == {thread.pk}
    assert shown(author=counterpart.pk) == {mine.pk}
    chapter.revise(body="All new text.", by=editor, reason="r", base_version=1)
    assert shown(status="orphaned") == {thread.pk}


def test_annotation_export_is_w3c_json_ld(chapter, thread, counterpart):
    client_for(counterpart).post(reverse("comments:reply", args=[thread.pk]), {"body": "A reply."})
    response = client_for(counterpart).get(
        reverse("comments:annotations", args=[chapter.handbook.slug, chapter.pk])
    )
    assert (
        response["Content-Type"]
        == 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
    )
    page = response.json()
    assert (
        page["@context"] == "http://www.w3.org/ns/anno.jsonld" and page["type"] == "AnnotationPage"
    )
    first, reply = page["items"]
    selectors = {s["type"]: s for s in first["target"]["selector"]}
    assert selectors["TextQuoteSelector"]["exact"] == "serial number"
    text = chapter.plain_text()
    position = selectors["TextPositionSelector"]
    assert text[position["start"] : position["end"]] == "serial number"
    assert first["creator"]["name"] == "Jelena Author" and first["created"] and first["modified"]
    assert first["body"]["value"] == "Which serial number?"
    assert reply["motivation"] == "replying" and reply["target"] == first["id"]
    assert first["body"]["language"] == first["target"]["language"] == chapter.handbook.language
    assert first["generator"]["type"] == "Software" and page["generator"]["name"]


def test_a_suggestion_is_an_editing_annotation_with_the_proposed_text(chapter, counterpart):
    factories.suggestion(
        chapter, by=counterpart, words="serial number", replacement="serial number and make"
    )
    page = (
        client_for(counterpart)
        .get(reverse("comments:annotations", args=[chapter.handbook.slug, chapter.pk]))
        .json()
    )
    [item] = page["items"]
    assert item["motivation"] == "editing"
    bodies = {body["purpose"]: body for body in item["body"]}
    assert bodies["editing"]["value"] == "serial number and make"
    assert bodies["commenting"]["value"] == "Clearer."
    assert {body["language"] for body in item["body"]} == {chapter.handbook.language}


def test_chapter_page_query_count_is_the_same_with_1_and_300_threads(
    handbook, editor, counterpart, queries
):
    body = "\n\n".join(f"Paragraph {i} about firearms marking number {i}." for i in range(320))
    chap = factories.chapter(handbook, by=editor, body=body)
    text = chap.plain_text()
    authors = [counterpart, editor, factories.user(code="ME")]

    def add(i):
        words = f"marking number {i}."
        start = text.index(words)
        return open_thread(
            chap,
            by=authors[i % 3],
            anchor=anchoring.describe(text, start, start + len(words)),
            body=f"Comment {i}",
        )

    add(0)
    client = client_for(counterpart)
    url = chap.get_absolute_url()
    cold_one, warm_one = queries.get(client, url), queries.get(client, url)
    for i in range(1, 300):
        add(i)
    cold_many, warm_many = queries.get(client, url), queries.get(client, url)
    # Warm, the panel is one cache read: session, user (+jurisdiction), user perms, group
    # perms, chapter (+handbook), when the counterpart's review rounds on the chapter are open
    # (may they comment?), the sign-off box (does a coordinator vote for the jurisdiction? its
    # sign-offs in the round), and the threads' change stamp (one aggregate row) ...
    queries.expect(warm_one, warm_many, equal=9)
    # ... and cold (a new thread changed the stamp), the threads (only the cache-key columns),
    # filter jurisdictions, filter authors, and for the cards not yet cached the threads in full
    # (+authors, jurisdictions), comment counts, first comments (+authors): the same however
    # many cards are missing.
    queries.expect(cold_one, cold_many, equal=15)


def test_thread_card_shows_the_first_comment_and_opens_with_all_replies(chapter, thread, editor):
    client = client_for(editor)
    client.post(reverse("comments:reply", args=[thread.pk]), {"body": "First reply."})
    client.post(reverse("comments:reply", args=[thread.pk]), {"body": "Second reply."})
    collapsed = client.get(chapter.get_absolute_url()).content.decode()
    assert "Which serial number?" in collapsed
    assert "Second reply." not in collapsed and "2 replies" in collapsed

    # Without JavaScript: the link opens the chapter page with the thread expanded.
    response = client.get(reverse("comments:thread", args=[thread.pk]))
    assert response.status_code == 302
    opened = client.get(response["Location"]).content.decode()
    assert "First reply." in opened and "Second reply." in opened
    assert f'id="reply-{thread.pk}"' in opened

    # With htmx: only the opened card comes back.
    fragment = client.get(
        reverse("comments:thread", args=[thread.pk]), headers={"HX-Request": "true"}
    )
    body = fragment.content.decode().strip()
    assert body.startswith("<article") and "Second reply." in body and "<html" not in body


def test_thread_fragment_of_an_invisible_thread_is_404(chapter, author, outsider, counterpart):
    text = chapter.plain_text()
    start = text.index("Officers")
    private = open_thread(
        chapter,
        by=author,
        anchor=anchoring.describe(text, start, start + 8),
        body="Private",
        visibility=Visibility.EDITORS,
    )
    for person in (outsider, counterpart):
        url = reverse("comments:thread", args=[private.pk])
        assert client_for(person).get(url, headers={"HX-Request": "true"}).status_code == 404


def test_cached_thread_cards_follow_every_change(chapter, thread, author, editor, counterpart):
    client = client_for(counterpart)

    def card():
        page = client.get(chapter.get_absolute_url()).content.decode()
        start = page.index(f'id="thread-{thread.pk}"')
        return page[start : page.index("</article>", start)]

    assert "Which serial number?" in card()  # now cached
    comment = thread.comments.get()
    client_for(author).post(
        reverse("comments:edit_comment", args=[comment.pk]), {"body": "Which serial numbers?"}
    )
    assert "Which serial numbers?" in card()
    client_for(editor).post(reverse("comments:reply", args=[thread.pk]), {"body": "See 2.3."})
    assert "1 reply" in card()
    client_for(editor).post(reverse("comments:hide_comment", args=[comment.pk]), {"reason": "Dup"})
    assert "Hidden by" in card() and "Which serial numbers?" not in card()
    client_for(editor).post(reverse("comments:resolve", args=[thread.pk]), {"action": "resolve"})
    assert "Resolved" in card()
    chapter.revise(
        body=chapter.body.replace("serial number", "serial number and model"),
        by=editor,
        reason="r",
        base_version=chapter.version,
    )
    client_for(editor).post(reverse("comments:resolve", args=[thread.pk]), {"action": "reopen"})
    assert "Resolved" not in card()
    chapter.revise(body="Nothing left of it.", by=editor, reason="r", base_version=chapter.version)
    assert "Orphaned" in card()


def test_comment_markdown_is_rendered_sanitised(chapter, thread, counterpart, editor):
    hostile = (
        "**Bold** <script>alert(1)</script> <img src=x onerror=alert(2)> "
        '[x](javascript:alert(3)) <a href="javascript:alert(4)">y</a>'
    )
    client_for(counterpart).post(reverse("comments:reply", args=[thread.pk]), {"body": hostile})
    page = client_for(editor).get(chapter.get_absolute_url() + f"?thread={thread.pk}")
    html = page.content.decode()
    reply = html[html.index("<strong>Bold</strong>") - 200 :]
    reply = reply[: reply.index("</div>")]
    assert "<script" not in reply and "onerror" not in reply
    assert 'href="javascript' not in reply.lower()

"""Search (comments/search/): what each role finds, Latin/Cyrillic and diacritics, ranking,
snippets, the index following every write, filters, pages and bad input. Runs on whichever
engine the database has (FTS5 on SQLite, tsvector on PostgreSQL): the suite runs on both."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from chapters import policies as chapter_policies
from comments import policies
from comments.actions import delete_comment, edit_comment, hide_comment, reject, resolve_thread
from comments.models import Comment, EntryKind, PositionKind, SearchEntry, SuggestionStatus, Thread
from comments.search import finding
from comments.search.finding import Filters
from comments.search.folding import terms
from handbook_review import clock as review_clock
from tests import factories
from tests.conftest import ROLES, client_for

URL = reverse("comments:search")


def found(person, query, **filters):
    """(kind, object id) of every hit, all pages (one kind at a time)."""
    hits = set()
    for kind in [filters.pop("kind")] if "kind" in filters else EntryKind.values:
        results = finding.search(person, terms(query), Filters(kind=kind, **filters))
        [group] = results.groups
        while True:
            for hit in group.hits:
                entry = hit.entry
                ref = (
                    entry.comment_id or entry.thread_id
                    if kind in ("comment", "suggestion")
                    else (
                        entry.chapter_id if kind == "chapter" else (entry.chapter_id, entry.version)
                    )
                )
                hits.add((kind, ref))
            if group.page is None or not group.page.has_next():
                break
            nxt = group.page.next_page_number()
            [group] = finding.search(
                person, terms(query), Filters(kind=kind, **filters), page=nxt
            ).groups
    return hits


def get(person, **params):
    return client_for(person).get(URL, params)


@pytest.fixture
def scene(handbook, chapter, draft, editor, counterpart, bosnian, coordinator):
    """'headstamp' in: a chapter in review, a draft, an open comment by Albania, an editors-only
    one by an editor and one by Albania, one held back as internal by Bosnia, a hidden and a
    deleted comment; and in another handbook where Albania does not take part."""
    chapter.revise(
        body=chapter.body + "\nEvery headstamp is recorded.\n",
        by=editor,
        reason="Headstamps",
        base_version=chapter.version,
    )
    draft.revise(
        body=draft.body + "\nThe headstamp draftsecret.\n",
        by=editor,
        reason="Draft",
        base_version=draft.version,
    )
    threads = {
        "open": factories.comment_thread(chapter, by=counterpart, body="A headstamp question."),
        "editors": factories.comment_thread(
            chapter, by=editor, body="headstamp editorsecret", visibility="editors"
        ),
        "own_editors": factories.comment_thread(
            chapter, by=counterpart, body="headstamp ownsecret", visibility="editors"
        ),
        "internal": factories.comment_thread(chapter, by=bosnian, body="headstamp internalsecret"),
        "hidden": factories.comment_thread(chapter, by=bosnian, body="headstamp hiddensecret"),
        "deleted": factories.comment_thread(chapter, by=bosnian, body="headstamp deletedsecret"),
        "draft": factories.comment_thread(draft, by=editor, body="headstamp on the draft"),
    }
    Thread.objects.filter(pk=threads["internal"].pk).update(position=PositionKind.INTERNAL)
    hide_comment(threads["hidden"].comments.get(), by=editor, reason="Off topic")
    delete_comment(threads["deleted"].comments.get(), by=bosnian)
    elsewhere = factories.handbook(codes=("RS",))
    factories.chapter(elsewhere, by=editor, title="Serbian headstamp", body="headstamp text\n")
    return threads


@pytest.mark.parametrize(
    "role", [r for r in ROLES if r != "anonymous"] + ["bosnian", "coordinator"]
)
def test_each_role_finds_exactly_what_its_pages_show(request, scene, role):
    person = request.getfixturevalue(role)
    readable = chapter_policies.chapters.visible_to(person).filter(body__icontains="headstamp")
    threads = policies.threads.visible_to(person)
    comments = Comment.objects.filter(
        thread__in=threads, deleted_at__isnull=True, hidden_by__isnull=True,
        body__icontains="headstamp",
    )  # fmt: skip
    expected = {("chapter", c.pk) for c in readable} | {("comment", c.pk) for c in comments}
    # Version 1 of `chapter` and `draft` had no headstamp; nothing else was revised.
    assert found(person, "headstamp") == expected
    page = get(person, q="headstamp").content.decode()
    for secret in ("hiddensecret", "deletedsecret"):
        assert secret not in page
    if not chapter_policies.handbooks.can(person, "see_drafts"):
        assert "draftsecret" not in page and "editorsecret" not in page
        assert ("chapter", request.getfixturevalue("draft").pk) not in expected
    if person.jurisdiction.code != "BA":
        assert "internalsecret" not in page


def test_counterpart_sees_own_editors_only_thread_not_others(scene, counterpart, editor):
    mine = found(counterpart, "ownsecret")
    assert mine == {("comment", scene["own_editors"].comments.get().pk)}
    assert found(counterpart, "editorsecret") == set()
    assert found(editor, "editorsecret") != set()


def test_counts_leave_out_what_the_user_may_not_see(scene, counterpart, editor):
    def counts(person):
        results = finding.search(person, ["headstamp"], Filters())
        return {group.kind: group.count for group in results.groups}

    assert counts(counterpart)["comment"] == 2  # the open one and their own editors-only one
    assert counts(editor)["comment"] == 4  # + the editor's own and the draft's (not internal)
    assert counts(counterpart)["chapter"] == 1
    assert counts(editor)["chapter"] == 3


def test_outsider_finds_nothing_of_a_handbook_their_jurisdiction_is_not_in(scene, outsider):
    hits = found(outsider, "headstamp")
    assert hits and all(kind == "chapter" for kind, _ in hits)  # only the Serbian handbook's
    assert len(hits) == 1


# --- The region's languages


@pytest.fixture
def multilingual(handbook, editor):
    return factories.chapter(
        handbook,
        by=editor,
        title="Граница и царина",
        body="Ђорђе проверава оружје на граници.\n\nKontrolli i çështjeve të armëve në kufi.\n",
        in_round=False,
    )


@pytest.mark.parametrize(
    "query",
    ["granica", "ГРАНИЦА", "Đorđe", "djordje", "Ђорђе", "oruzje", "cesht", "ÇËSHTJE", "arm"],
)
def test_latin_and_cyrillic_with_or_without_diacritics_find_the_same(multilingual, editor, query):
    assert ("chapter", multilingual.pk) in found(editor, query)


def test_a_cyrillic_query_finds_latin_text(chapter, editor):
    chapter.revise(body="Čuvar na granici.\n", by=editor, reason="x", base_version=1)
    assert ("chapter", chapter.pk) in found(editor, "чувар границ")


def test_every_word_must_occur(multilingual, editor):
    assert found(editor, "granica kufi") == {("chapter", multilingual.pk)}
    assert found(editor, "granica headstamp") == set()


# --- Ranking and snippets


def test_a_chapter_named_after_the_words_ranks_above_a_passing_mention(handbook, editor):
    mention = factories.chapter(
        handbook,
        by=editor,
        title="Border checks",
        body="Long text about checks. " * 200 + "A passing word on deactivation.\n",
    )
    named = factories.chapter(
        handbook, by=editor, title="Deactivation", body="How firearms are made unusable.\n"
    )
    [group, *_] = finding.search(editor, ["deactivation"], Filters()).groups
    assert [hit.entry.chapter_id for hit in group.hits] == [named.pk, mention.pk]


def test_snippets_highlight_the_words_and_link_to_the_passage(chapter, editor):
    chapter.revise(
        body=chapter.body + "\nOfficers check each **headstamp** closely.\n",
        by=editor,
        reason="x",
        base_version=1,
    )
    page = get(editor, q="Headstamp").content.decode()
    assert "<mark>headstamp</mark>" in page
    link = (
        reverse("chapter", args=[chapter.handbook.slug, chapter.pk])
        + "#:~:text=check%20each-,headstamp"
    )
    assert link in page


def test_comment_hits_open_their_thread(chapter, counterpart):
    thread = factories.comment_thread(chapter, by=counterpart, body="Is model <5 & name ok?")
    page = get(counterpart, q="model name").content.decode()
    assert f"?thread={thread.pk}#thread-{thread.pk}" in page
    # The text is escaped; only the marks are HTML.
    assert "<mark>model</mark> &lt;5 &amp; <mark>name</mark>" in page


# --- The index follows every write


def test_the_index_follows_new_versions(chapter, editor):
    old_words, new_words = "calibre", "stampings"
    assert ("chapter", chapter.pk) in found(editor, old_words)
    chapter.revise(
        body=chapter.body.replace("calibre", "stampings"), by=editor, reason="x", base_version=1
    )
    assert ("chapter", chapter.pk) in found(editor, new_words)
    assert ("chapter", chapter.pk) not in found(editor, old_words)
    assert ("version", (chapter.pk, 1)) in found(editor, old_words)
    chapter.revise(body="Nothing else.\n", title="Stampings", by=editor, reason="y", base_version=2)
    hits = found(editor, new_words)
    assert ("chapter", chapter.pk) in hits  # the title
    assert ("version", (chapter.pk, 2)) in hits
    assert SearchEntry.objects.filter(chapter=chapter, kind="version").count() == 2


def test_the_index_follows_edited_hidden_and_deleted_comments(chapter, counterpart, editor):
    thread = factories.comment_thread(chapter, by=counterpart, body="About headstamps.")
    first = thread.comments.get()
    edit_comment(first, "About primers.", by=counterpart)
    assert found(editor, "headstamps") == set()
    assert found(editor, "primers") == {("comment", first.pk)}
    hide_comment(first, by=editor, reason="Rude")
    assert found(editor, "primers") == set()
    reply = factories.comment_thread(
        chapter, by=counterpart, body="Tracing request."
    ).comments.get()
    assert found(counterpart, "tracing") == {("comment", reply.pk)}
    delete_comment(reply, by=counterpart)
    assert found(counterpart, "tracing") == set()
    assert not SearchEntry.objects.filter(comment__in=[first, reply]).exists()


def test_deleting_a_chapter_deletes_its_entries(chapter, counterpart, editor):
    factories.comment_thread(chapter, by=counterpart, body="Headstamps.")
    chapter.revise(body="New.\n", by=editor, reason="x", base_version=1)
    assert SearchEntry.objects.filter(chapter=chapter).count() == 3
    chapter.delete()
    assert not SearchEntry.objects.exists() or found(editor, "headstamps") == set()
    assert found(editor, "new") == set()


def test_suggestions_are_found_with_their_status(chapter, counterpart, editor):
    suggestion = factories.suggestion(
        chapter, by=counterpart, words="serial number", replacement="serial or batch number"
    )
    assert ("suggestion", suggestion.thread_id) in found(editor, "batch")
    reject(suggestion, by=editor, reason="No.")
    assert ("suggestion", suggestion.thread_id) in found(
        editor, "batch", status=SuggestionStatus.REJECTED
    )
    assert found(editor, "batch", status=SuggestionStatus.ACCEPTED) == set()
    page = get(editor, q="batch").content.decode()
    assert "suggestion: Rejected" in page


def test_rebuilding_makes_the_same_entries(chapter, counterpart, editor):
    factories.comment_thread(chapter, by=counterpart, body="Headstamps.")
    chapter.revise(body="New text.\n", by=editor, reason="x", base_version=1)
    columns = ("kind", "chapter_id", "version", "comment_id", "thread_id", "folded_body")
    before = set(SearchEntry.objects.values_list(*columns))
    call_command("rebuild_search_index", verbosity=0)
    assert set(SearchEntry.objects.values_list(*columns)) == before
    assert found(editor, "headstamps")


# --- Filters and pages


def test_filters(chapter, handbook, editor, counterpart, bosnian, clock):
    other = factories.chapter(handbook, by=editor, title="Other", body="Marking of firearms.\n")
    albanian = factories.comment_thread(chapter, by=counterpart, body="Marking question.")
    clock.advance(timedelta(days=3))
    bosnian_thread = factories.comment_thread(
        other, by=bosnian, words="Marking", body="Marking remark."
    )
    resolve_thread(bosnian_thread, by=bosnian)
    a, b = albanian.comments.get().pk, bosnian_thread.comments.get().pk
    assert found(editor, "marking", kind="comment") == {("comment", a), ("comment", b)}
    assert found(editor, "marking", chapter=other) == {("chapter", other.pk), ("comment", b)}
    assert found(editor, "marking", handbook=factories.handbook()) == set()
    assert found(editor, "marking", jurisdiction=bosnian.jurisdiction) == {("comment", b)}
    assert found(editor, "marking", author="Arben") == {("comment", a)}
    assert found(editor, "marking", status="resolved") == {("comment", b)}
    today = clock.now().date()
    assert found(editor, "marking", kind="comment", since=today) == {("comment", b)}
    assert found(editor, "marking", kind="comment", until=today - timedelta(days=1)) == {
        ("comment", a)
    }


def test_filters_come_from_the_url_and_stay_in_it(chapter, editor, counterpart):
    factories.comment_thread(chapter, by=counterpart, body="Marking question.")
    page = get(editor, q="marking", kind="comment", author="Arben").content.decode()
    assert 'value="marking"' in page and 'value="Arben"' in page
    assert "1 result for" in page


def test_one_kind_is_paged(chapter, counterpart, editor):
    from comments.actions import add_comment

    thread = factories.comment_thread(chapter, by=counterpart, body="Marking 0.")
    for n in range(1, 25):
        add_comment(thread, by=counterpart, body=f"Marking {n}.")
    first = get(editor, q="marking", kind="comment").content.decode()
    assert "Page 1 of 2" in first and first.count('class="hit-link"') == 20
    second = get(editor, q="marking", kind="comment", page=2).content.decode()
    assert second.count('class="hit-link"') == 5
    overview = get(editor, q="marking").content.decode()
    assert "All 25 comments and replies" in overview


def test_pages_hold_every_hit_once_and_count_them_all(chapter, counterpart, editor):
    from comments.actions import add_comment

    thread = factories.comment_thread(chapter, by=counterpart, body="Marking 0.")
    # Many "marking" rank above one: best first across the page boundary.
    comments = [add_comment(thread, by=counterpart, body=f"Marking {n}.") for n in range(1, 24)]
    loud = add_comment(thread, by=counterpart, body="Marking, marking, marking everywhere.")
    first, second = (
        finding.search(editor, ["marking"], Filters(kind="comment"), page=n).groups[0]
        for n in (1, 2)
    )
    assert first.count == second.count == 25
    ids = [hit.entry.comment_id for hit in first.hits + second.hits]
    assert len(ids) == len(set(ids)) == 25
    assert ids[0] == loud.pk
    assert set(ids) >= {c.pk for c in comments}
    beyond = finding.search(editor, ["marking"], Filters(kind="comment"), page=9).groups[0]
    assert beyond.count == 25 and beyond.page.number == 2


def test_the_page_costs_the_same_queries_for_six_hits_or_sixty(
    chapter, counterpart, editor, queries
):
    from comments.actions import add_comment

    thread = factories.comment_thread(chapter, by=counterpart, body="Marking.")
    for n in range(5):
        add_comment(thread, by=counterpart, body=f"Marking {n}.")
    client = client_for(editor)
    url = f"{URL}?q=marking"
    queries.get(client, url)
    six = queries.get(client, url)
    for n in range(54):
        add_comment(thread, by=counterpart, body=f"Marking {n}.")
    sixty = queries.get(client, url)
    # Session and user, the handbook and chapter choices of the filters, per kind its first
    # hits (a count when there are more than shown), and the unread notifications.
    queries.expect(six, sixty, at_most=14)


# --- Bad input: a message or nothing found, never a 500


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({}, "Type the words to search for"),
        ({"q": ""}, "Type the words to search for"),
        ({"q": "   "}, "Type the words to search for"),
        ({"q": "!!! ... ???"}, "has no words to search for"),
        ({"q": "& | ! ( ) : *"}, "has no words to search for"),
        ({"q": "a & | !"}, "for “a &amp; | !”"),
        ({"q": "'\" OR 1=1 --"}, "results for"),
        ({"q": 'marking"'}, "result"),
        ({"q": "x" * 2000}, "Search for at most 200 characters (this has 2000)"),
        ({"q": "marking", "handbook": "999999"}, "not one you can read"),
        ({"q": "marking", "handbook": "abc"}, "not one you can read"),
        ({"q": "marking", "chapter": "-1"}, "not one you can read"),
        ({"q": "marking", "kind": "bogus"}, "Select a valid choice"),
        ({"q": "marking", "since": "yesterday"}, "Enter a valid date"),
        ({"q": "marking", "since": "2026-02-01", "until": "2026-01-01"}, "comes before its start"),
        ({"q": "marking", "kind": "comment", "page": "abc"}, "result"),
        ({"q": "marking", "kind": "comment", "page": "99999"}, "result"),
        ({"q": "\x00 marking"}, "Null characters are not allowed"),
    ],
)
def test_bad_input_is_answered_with_a_message(chapter, counterpart, params, says):
    response = get(counterpart, **params)
    assert response.status_code == 200
    assert says in response.content.decode()


def test_a_long_query_stays_in_the_box(counterpart):
    query = "marking " * 250
    page = get(counterpart, q=query).content.decode()
    assert query.strip() in page


def test_a_handbook_the_user_may_not_see_is_refused_not_searched(chapter, outsider, editor):
    response = get(outsider, q="serial", handbook=chapter.handbook_id)
    assert "not one you can read" in response.content.decode()
    assert "<mark>" not in response.content.decode()


def test_the_header_has_the_search_box(counterpart):
    page = client_for(counterpart).get(reverse("home")).content.decode()
    assert 'id="site-search"' in page and 'aria-keyshortcuts="/"' in page


def test_time_of_entries_is_the_clock(chapter, counterpart):
    thread = factories.comment_thread(chapter, by=counterpart, body="Clocked.")
    entry = SearchEntry.objects.get(comment=thread.comments.get())
    assert abs((entry.written_at - review_clock.now()).total_seconds()) < 60

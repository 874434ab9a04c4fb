"""The Word round trip (issue 15): a review copy out with the threads as comments and the open
suggestions as tracked changes; a reviewed copy back as threads and suggestions on the right
words, on the base version and after the chapter changed."""

import io
import subprocess
import zipfile

import docx
import pypandoc
import pytest
from django.urls import reverse

from chapters.wordsplit import ImportRefused
from comments import wordcopy, wordreview
from comments.actions import AlreadyConfirmed, accept, confirm_word_review
from comments.models import Comment, Suggestion, SuggestionStatus, Thread, WordReviewState
from tests import factories
from tests.word_docs import Reviewer

BODY = (
    "Kjo është një fjali për kontrollin e kufirit.\n\n"
    "Officers record the serial number of every firearm.\n\n"
    "Второй абзац о границе и проверке документов.\n\n"
    "A receipt is given to the person concerned.\n"
)


@pytest.fixture
def chap(handbook, editor):
    return factories.chapter(handbook, by=editor, body=BODY)


@pytest.fixture
def scene(chap, editor, counterpart):
    thread = factories.comment_thread(
        chap, by=counterpart, words="serial number", body="Which one?"
    )
    from comments.actions import add_comment

    add_comment(thread, by=editor, body="The one on the frame.")
    suggestion = factories.suggestion(
        chap, by=counterpart, words="границе", replacement="рубеже", rationale="Точнее."
    )
    return {"thread": thread, "suggestion": suggestion}


def copy_of(chap, user):
    chap.refresh_from_db()
    return wordcopy.review_copy(chap.handbook, [chap], user)


def pandoc_markdown(data: bytes, tmp_path) -> str:
    path = tmp_path / "copy.docx"
    path.write_bytes(data)
    return subprocess.run(  # noqa: S603
        [pypandoc.get_pandoc_path(), "--from=docx", "--track-changes=all", "--to=markdown",
         "--wrap=none", str(path)],
        capture_output=True, check=True, text=True,
    ).stdout  # fmt: skip


def test_review_copy_read_back_by_pandoc_has_every_comment_and_change(
    chap, scene, counterpart, editor, tmp_path
):
    data = copy_of(chap, editor)
    markdown = pandoc_markdown(data, tmp_path)
    assert f'author="{counterpart.name}"' in markdown
    assert "[Which one?]{.comment-start" in markdown
    assert "[The one on the frame.]{.comment-start" in markdown  # the reply, on the same words
    assert f'[границе]{{.deletion author="{counterpart.name}"' in markdown
    assert f'[рубеже]{{.insertion author="{counterpart.name}"' in markdown
    assert "[Точнее.]{.comment-start" in markdown  # the suggestion's rationale
    # The reply is a Word reply: commentsExtended links it to the thread's first comment.
    files = zipfile.ZipFile(io.BytesIO(data))
    extended = files.read("word/commentsExtended.xml").decode()
    assert extended.count("paraIdParent") == 1
    custom = files.read("docProps/custom.xml").decode()
    assert f"handbook={chap.handbook.slug};chapters={chap.pk}:{chap.version}" in custom
    # python-docx opens it too (LibreOffice is not installed here to convert it).
    document = docx.Document(io.BytesIO(data))
    assert any("Kjo është një fjali" in p.text for p in document.paragraphs)


def test_a_review_copy_read_back_unchanged_finds_nothing_new(chap, scene, editor):
    review = wordcopy.read_upload(
        handbook=chap.handbook, name="copy.docx", data=copy_of(chap, editor), by=editor
    )
    assert review.found["items"] == []
    assert review.found["untracked"] == 0
    assert not review.upload  # the stored upload is gone once read


def reviewed(chap, user, edit):
    reviewer = Reviewer(copy_of(chap, user))
    edit(reviewer)
    return reviewer.bytes()


def read(chap, user, data, name="reviewed.docx"):
    return wordcopy.read_upload(handbook=chap.handbook, name=name, data=data, by=user)


def test_comments_changes_and_replies_land_on_their_words(chap, scene, counterpart, editor):
    other = factories.user(name="Ana Hoxha", code="AL")

    def edit(r):
        first = r.comment("kontrollin", "kufirit.", "Pse vetëm kufiri?", author="Ana Hoxha")
        r.reply(first, "Sepse ashtu thotë ligji.", author="Somebody Unknown")
        r.replace("receipt", "written receipt", author="Ana Hoxha")
        r.delete("every", author="Somebody Unknown")
        r.insert_after("документов.", " Быстро.", author="ana hoxha")
        r.reply(0, "A reply to the app's thread.", author=counterpart.name)

    review = read(chap, counterpart, reviewed(chap, counterpart, edit))
    kinds = sorted(i["kind"] for i in review.found["items"])
    assert kinds == ["change", "change", "change", "comment", "reply", "reply"]
    planned = wordcopy.plan(review, counterpart)
    by_kind = {
        (p.action, p.item.get("body") or p.item.get("inserted") or p.item["deleted"]): p
        for p in planned
    }
    assert {a for a, _ in by_kind} == {"thread", "reply", "suggestion"}
    result = confirm_word_review(
        review=review, by=counterpart, chosen={p.item["n"] for p in planned}
    )
    assert len(result.threads) == 1 and len(result.suggestions) == 3 and len(result.replies) == 2
    text = chap.plain_text()
    thread = Thread.objects.get(pk=result.threads[0])
    assert text[thread.start : thread.end] == "kontrollin e kufirit."
    assert thread.author == other and thread.word_review == review and not thread.word_author
    replies = list(thread.comments.order_by("pk"))
    assert [c.body for c in replies] == ["Pse vetëm kufiri?", "Sepse ashtu thotë ligji."]
    assert replies[1].author == counterpart and replies[1].word_author == "Somebody Unknown"
    suggestions = {
        s.original: s for s in Suggestion.objects.filter(thread_id__in=result.suggestions)
    }
    assert suggestions["receipt"].replacement == "written receipt"
    assert suggestions["every"].replacement == ""
    assert suggestions["every"].thread.author == counterpart
    assert suggestions["every"].thread.word_author == "Somebody Unknown"
    assert suggestions[""].replacement == " Быстро."
    assert scene["thread"].comments.filter(body="A reply to the app's thread.").exists()
    # An editor accepts one: the version record names the Word file and its uploader.
    accept(suggestions["receipt"], by=editor)
    chap.refresh_from_db()
    assert "A written receipt is given" in chap.body
    reason = chap.history.get(version=chap.version).history_change_reason
    assert "reviewed.docx" in reason and counterpart.name in reason


def test_after_the_chapter_changed_changes_merge_conflict_or_orphan(
    chap, scene, counterpart, editor
):
    data = reviewed(
        chap,
        counterpart,
        lambda r: (
            r.replace("receipt", "written receipt", author=counterpart.name),
            r.replace("firearm.", "weapon.", author=counterpart.name),
            r.comment("Второй", "абзац", "Что это?", author=counterpart.name),
        ),
    )
    # Meanwhile the chapter moved on: "firearm" was edited, the Cyrillic paragraph rewritten,
    # the first paragraph changed (the receipt's paragraph is untouched: it merges).
    chap.refresh_from_db()
    body = (
        chap.body.replace("every firearm.", "every firearm and weapon part.")
        .replace("Второй абзац о", "Третий раздел о")
        .replace("Kjo është", "Kjo pra është")
    )
    chap.revise(body=body, by=editor, reason="Edited", base_version=chap.version)
    review = read(chap, counterpart, data)
    planned = {
        (p.item.get("deleted") or p.item.get("body")): p for p in wordcopy.plan(review, counterpart)
    }
    assert planned["receipt"].action == "suggestion"
    assert planned["firearm."].action == "general" and "conflicted" in planned["firearm."].reason
    assert planned["Что это?"].action == "general" and "orphaned" in planned["Что это?"].reason
    result = confirm_word_review(
        review=review, by=counterpart, chosen={p.item["n"] for p in planned.values()}
    )
    assert len(result.suggestions) == 1 and len(result.general) == 2
    chap.refresh_from_db()
    s = Suggestion.objects.get(thread_id=result.suggestions[0])
    assert chap.body[s.source_start : s.source_end] == "receipt"
    general = [Thread.objects.get(pk=pk).comments.first().body for pk in result.general]
    assert any("firearm." in g and "weapon." in g for g in general)  # quoted, never dropped
    assert any("Что это?" in g and "> Второй абзац" in g for g in general)


def test_confirming_twice_creates_nothing_twice(chap, scene, counterpart):
    data = reviewed(chap, counterpart, lambda r: r.delete("every", author=counterpart.name))
    review = read(chap, counterpart, data)
    confirm_word_review(review=review, by=counterpart, chosen={0})
    count = Suggestion.objects.count()
    with pytest.raises(AlreadyConfirmed):
        confirm_word_review(review=review, by=counterpart, chosen={0})
    assert Suggestion.objects.count() == count
    review.refresh_from_db()
    assert review.state == WordReviewState.CONFIRMED


def test_only_the_chosen_items_are_created(chap, scene, counterpart):
    data = reviewed(
        chap,
        counterpart,
        lambda r: (r.delete("every", author="X"), r.delete("concerned.", author="X")),
    )
    review = read(chap, counterpart, data)
    result = confirm_word_review(review=review, by=counterpart, chosen={1})
    assert len(result.suggestions) == 1
    assert Suggestion.objects.get(thread_id=result.suggestions[0]).original == "concerned."


def test_a_change_in_a_table_becomes_a_general_comment(handbook, editor, counterpart):
    chap = factories.chapter(
        handbook,
        by=editor,
        body="Intro text here.\n\n| Kind | Mark |\n| --- | --- |\n| Pistol | Serial |\n",
    )
    factories.comment_thread(chap, by=counterpart, words="Intro")
    data = reviewed(chap, counterpart, lambda r: r.replace("Pistol", "Revolver", author="X"))
    review = read(chap, counterpart, data)
    [planned] = wordcopy.plan(review, counterpart)
    assert planned.action == "general" and "table" in planned.reason


def test_no_round_for_the_uploader_means_nothing_is_made(chap, scene, counterpart, editor):
    data = reviewed(chap, counterpart, lambda r: r.delete("every", author="X"))
    outsider = factories.user(code="AL")
    from chapters.models import Round

    Round.objects.all().delete()
    review = read(chap, outsider, data)
    [planned] = wordcopy.plan(review, outsider)
    assert planned.action == "none"
    assert confirm_word_review(review=review, by=outsider, chosen={0}).suggestions == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"hello", "Only Word documents"),
        ("x.docx", b"hello", "not a Word document"),
        ("x.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "encrypted"),
    ],
)
def test_bad_files_are_refused_with_a_message(chap, counterpart, name, data, message):
    with pytest.raises(ImportRefused, match=message):
        read(chap, counterpart, data, name=name)


def test_a_copy_of_another_handbook_or_without_reference_is_refused(chap, scene, editor, tmp_path):
    other = factories.handbook()
    data = copy_of(chap, editor)
    with pytest.raises(ImportRefused, match="another handbook"):
        wordcopy.read_upload(handbook=other, name="c.docx", data=data, by=editor)
    plain = pypandoc.convert_text(
        "Just a document.", "docx", format="md", outputfile=str(tmp_path / "p.docx")
    )
    assert plain == ""
    with pytest.raises(ImportRefused, match="carries no reference"):
        read(chap, editor, (tmp_path / "p.docx").read_bytes())


def test_too_many_changes_are_refused(chap, scene, counterpart, monkeypatch):
    monkeypatch.setattr(wordcopy, "MAX_ITEMS", 1)
    data = reviewed(
        chap,
        counterpart,
        lambda r: (r.delete("every", author="X"), r.delete("receipt", author="X")),
    )
    with pytest.raises(ImportRefused, match="more than 1 comments"):
        read(chap, counterpart, data)


def test_the_pages_upload_preview_and_confirm(client, chap, scene, counterpart):
    client.force_login(counterpart)
    response = client.get(reverse("comments:review_copy", args=[chap.handbook.slug, chap.pk]))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    reviewer = Reviewer(response.content)
    reviewer.delete("every", author=counterpart.name)
    upload = io.BytesIO(reviewer.bytes())
    upload.name = "mine.docx"
    response = client.post(
        reverse("comments:word_upload", args=[chap.handbook.slug]), {"file": upload}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "1 tracked change" in page.content.decode()
    confirm = response["Location"] + "confirm/"
    assert client.post(confirm, {"item": ["0"]}).status_code == 302
    assert client.post(confirm, {"item": ["0"]}).status_code == 302
    assert Suggestion.objects.filter(original="every").count() == 1
    bad = io.BytesIO(b"not a docx")
    bad.name = "x.docx"
    response = client.post(
        reverse("comments:word_upload", args=[chap.handbook.slug]), {"file": bad}
    )
    assert response.status_code == 400 and "not a Word document" in response.content.decode()


def test_someone_elses_upload_is_not_found(client, chap, scene, counterpart, editor):
    data = reviewed(chap, counterpart, lambda r: r.delete("every", author="X"))
    review = read(chap, counterpart, data)
    client.force_login(editor)
    assert client.get(review.get_absolute_url()).status_code == 404
    assert client.post(review.get_absolute_url() + "confirm/", {"item": ["0"]}).status_code == 404
    assert not Comment.objects.filter(thread__word_review=review).exists()
    assert Suggestion.objects.filter(status=SuggestionStatus.OPEN).count() == 1
    assert wordreview.REF_PROPERTY == "handbook-review"


def test_a_damaged_copy_is_refused_with_a_message(chap, scene, editor):
    data = copy_of(chap, editor)
    with pytest.raises(ImportRefused, match=r"damaged|could not be read|not a Word"):
        read(chap, editor, data[: len(data) // 2])


def test_a_hand_edited_reference_is_refused_not_a_crash(chap, scene, editor):
    data = copy_of(chap, editor)
    files = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in files.namelist():
            content = files.read(name)
            if name == wordreview.REF_PART:
                content = b'<r xmlns="urn:handbook-review:review-copy:1">{"handbook": 3}</r>'
            if name == "docProps/custom.xml":
                content = content.replace(b"chapters=", b"chapters=x")
            target.writestr(name, content)
    with pytest.raises(ImportRefused):
        read(chap, editor, out.getvalue())


def test_the_whole_handbook_copy_maps_each_change_to_its_chapter(
    handbook, editor, counterpart, django_capture_on_commit_callbacks
):
    from handbook_review.notifications.models import Notification

    first = factories.chapter(handbook, by=editor, body="Первая глава о границе.\n")
    second = factories.chapter(handbook, by=editor, title="Second", body="Kapitulli i dytë.\n")
    factories.comment_thread(first, by=counterpart, words="границе")
    data = wordcopy.review_copy(handbook, [first, second], counterpart)
    reviewer = Reviewer(data)
    reviewer.replace("dytë.", "tretë.", author=counterpart.name)
    colleague = factories.user(name="Elira Colleague", code="AL")
    reviewer.reply(0, "Noted, we will check.", author="elira colleague")
    review = read(first, counterpart, reviewer.bytes())
    planned = {p.item["kind"]: p for p in wordcopy.plan(review, counterpart)}
    assert planned["change"].action == "suggestion" and planned["change"].chapter == second
    assert planned["reply"].action == "reply" and planned["reply"].author == colleague
    with django_capture_on_commit_callbacks(execute=True):
        result = confirm_word_review(review=review, by=counterpart, chosen={0, 1})
    suggestion = Suggestion.objects.get(thread_id=result.suggestions[0])
    assert suggestion.thread.chapter == second and suggestion.original == "dytë."
    # The reply reaches the thread's author, as a reply from the web does.
    assert Notification.objects.filter(recipient=counterpart).exists()


def test_a_counterpart_cannot_write_in_another_jurisdictions_name(chap, scene, counterpart):
    factories.user(name="Marko Serbian", code="RS")
    data = reviewed(chap, counterpart, lambda r: r.delete("every", author="Marko Serbian"))
    [planned] = wordcopy.plan(read(chap, counterpart, data), counterpart)
    assert planned.author == counterpart and planned.word_author == "Marko Serbian"

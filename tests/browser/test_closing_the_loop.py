"""The whole story of a comment in a browser (issue 13): a counterpart comments (technical,
essential), Albania's coordinator endorses it and votes "disapprove", the editor gives a
disposition, the counterpart contests it, the editor revises it, the chapter goes round again and
the coordinator changes the vote, the chapter is approved, and the disposition report tells it.

The steps the story is about are taken in Chromium, as the people would; the round's dates and
the moves between workflow states that only set the scene go through the same functions the
pages call.
"""

import io

import pytest
from django.urls import reverse

from chapters import review
from chapters.models import Status
from comments.models import Answer, Disposition, Thread, Vote
from handbook_review import clock
from tests import factories
from tests.browser.test_commenting import SELECT_WORDS, chapter_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORDS = "mark every firearm"


def expand(page, live_server, chapter, thread) -> None:
    page.goto(f"{chapter_url(live_server, chapter)}?thread={thread.pk}#thread-{thread.pk}")
    page.wait_for_selector(f"#thread-{thread.pk}.expanded")


def test_a_comment_from_first_word_to_the_disposition_report(
    page, log_in, live_server, handbook, chapter, editor, counterpart, coordinator
):
    # 1. The counterpart comments on the words: technical, essential.
    log_in(counterpart)
    page.goto(chapter_url(live_server, chapter))
    assert page.evaluate(SELECT_WORDS, WORDS)
    page.wait_for_function("w => document.getElementById('id_exact').value === w", arg=WORDS)
    page.check("#new-thread input[name=category][value=technical]")
    page.check("#new-thread input[name=essential]")
    page.fill("#id_body", "The marking must include the country of import.")
    page.click("#new-thread button[type=submit]")
    page.wait_for_selector("#threads .thread")
    thread = Thread.objects.get()
    assert (thread.category, thread.essential, thread.author) == ("technical", True, counterpart)
    assert thread.round == chapter.rounds.get()

    # 2. Albania's coordinator endorses it and votes "disapprove", naming it.
    page.context.clear_cookies()
    log_in(coordinator)
    page.goto(live_server.url + reverse("comments:coordination", args=[handbook.slug]))
    page.click(f"#thread-{thread.pk} button[value=endorse]")
    page.wait_for_selector(f"#thread-{thread.pk} button[value=undo]")
    page.check("input[name=value][value=disapprove]")
    page.check(f"input[name=essentials][value='{thread.pk}']")
    page.fill("textarea[name=reason]", "The import marking is essential for tracing.")
    page.click("form button:has-text('Cast the vote')")
    page.wait_for_selector("text=Standing vote: Disapprove")
    thread.refresh_from_db()
    assert thread.position == "endorsed"
    first_vote = Vote.objects.get(superseded_at__isnull=True)
    assert (first_vote.value, list(first_vote.essentials.all())) == ("disapprove", [thread])

    # The round closes; the chapter goes to consolidation.
    round_ = chapter.rounds.get()
    review.close_round(round_, by=editor)
    review.transition(chapter, to=Status.CONSOLIDATION, by=editor)

    # 3. The editor gives a disposition: not accepted, with the observation.
    page.context.clear_cookies()
    log_in(editor)
    expand(page, live_server, chapter, thread)
    card = page.locator(f"#thread-{thread.pk}")
    card.locator("input[name=kind][value=not_accepted]").check()
    card.locator("textarea[name=reason]").first.fill("The import marking is in chapter 4.")
    card.locator("button:has-text('Record the disposition')").click()
    page.wait_for_selector(f"#thread-{thread.pk} .disposition >> text=Not accepted")
    # The approval is refused: the essential comment behind the disapproval is not accepted.
    with pytest.raises(review.GuardFailed, match="Albania disapproves"):
        review.transition(chapter, to=Status.APPROVED, by=editor)

    # 4. The counterpart contests it, with a reason.
    page.context.clear_cookies()
    log_in(counterpart)
    expand(page, live_server, chapter, thread)
    card = page.locator(f"#thread-{thread.pk}")
    assert "The import marking is in chapter 4." in card.inner_text()
    card.locator("input[name=kind][value=contested]").check()
    card.locator(f"#answer-reason-{thread.pk}").fill("Chapter 4 covers export, not import.")
    card.locator("button:has-text('Answer')").click()
    page.wait_for_load_state()
    thread.refresh_from_db()
    assert thread.answer == "contested"

    # 5. The editor sees it contested on the dashboard and revises the disposition: accepted.
    page.context.clear_cookies()
    log_in(editor)
    page.goto(
        live_server.url + reverse("comments:dashboard", args=[handbook.slug]) + "?show=contested"
    )
    assert "Chapter 4 covers export, not import." in page.inner_text("main") or (
        page.locator(f"a[href*='thread={thread.pk}']").count() > 0
    )
    expand(page, live_server, chapter, thread)
    card = page.locator(f"#thread-{thread.pk}")
    card.locator("summary:has-text('Revise the disposition')").click()
    card.locator("input[name=kind][value=accepted]").check()
    card.locator("textarea[name=reason]").first.fill("Agreed: import marking added.")
    card.locator("button:has-text('Record the disposition')").click()
    page.wait_for_selector(f"#thread-{thread.pk} .disposition >> text=Agreed: import marking")
    dispositions = list(Disposition.objects.filter(thread=thread).order_by("pk"))
    assert [d.kind for d in dispositions] == ["not_accepted", "accepted"]
    assert dispositions[1].replaces == dispositions[0]

    # 6. The chapter goes round again; the coordinator changes the vote to "approve".
    review.transition(chapter, to=Status.IN_REVIEW, by=editor)
    factories.review_round(handbook, [chapter], ("AL",), by=editor, name="Second reading")
    page.context.clear_cookies()
    log_in(coordinator)
    page.goto(live_server.url + reverse("comments:coordination", args=[handbook.slug]))
    page.check("input[name=value][value=approve]")
    page.click("form button:has-text('Cast the vote')")
    page.wait_for_selector("text=Standing vote: Approve")
    assert Vote.objects.filter(superseded_at__isnull=True, value="approve").count() == 1

    # 7. The round ends; the editor approves the chapter on its workflow page.
    for open_round in chapter.rounds.filter(closes_at__gt=clock.now()):
        review.close_round(open_round, by=editor)
    review.transition(chapter, to=Status.CONSOLIDATION, by=editor)
    page.context.clear_cookies()
    log_in(editor)
    page.goto(live_server.url + reverse("chapters:workflow", args=[handbook.slug, chapter.pk]))
    page.click("button:has-text('Approve')")
    page.wait_for_load_state()
    chapter.refresh_from_db()
    assert chapter.status == Status.APPROVED

    # 8. The disposition report tells the whole story.
    from openpyxl import load_workbook

    url = reverse("comments:disposition_report_xlsx", args=[handbook.slug])
    response = page.request.get(f"{live_server.url}{url}?chapter={chapter.pk}")
    assert response.status == 200
    book = load_workbook(io.BytesIO(response.body()), read_only=True)
    cells = [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    text = "\n".join(cells)
    for expected in (
        "The marking must include the country of import.",
        "Agreed: import marking added.",
        "Chapter 4 covers export, not import.",
        "Albania",
    ):
        assert expected in text, expected
    assert Answer.objects.filter(kind="contested").count() == 1

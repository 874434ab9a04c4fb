"""The demo's review history, told through the same actions the pages call.

A first consultation of the six jurisdictions (comments, a suggestion, sign-offs, a vote,
dispositions and an answer) is closed, its chapters approved and published as edition 1.0; the
chapters are then reopened for a second round, the regional workshop, which is open now and in
which chapter 3 carries a review in progress: open comments with replies, open, accepted,
modified, rejected and conflicted suggestions, a comment whose words a later version removed,
sign-offs and a vote. Nothing here writes a row directly, so anchors, versions, history,
dispositions and notifications are what they would be had people clicked through the pages.

Quotes are words of the demo chapters (chapters/demo/), found in the chapter's current text;
if an edit of those files removes them, loading stops and says which words are missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from chapters import review
from chapters.editions import publish
from chapters.models import Chapter, Handbook, Round, Status, Verdict
from comments import anchoring, sourcemap
from comments.access import participants
from comments.actions import (
    accept,
    add_comment,
    answer,
    cast_vote,
    dispose,
    locate_selection,
    open_thread,
    propose,
    reject,
)
from comments.models import (
    AnswerKind,
    Category,
    DispositionKind,
    Suggestion,
    SuggestionStatus,
    Thread,
    Visibility,
    VoteValue,
)
from handbook_review import clock
from handbook_review.people.models import User

# The chapter whose review is in progress (chapters/demo/03-essential-components.md).
REVIEWED = 3
# After the first edition: chapter 1 stays approved, 2 waits in consolidation, 3 to 9 go back
# to review for the workshop (chapters 10 and 11 are new drafts, added by the command).
REOPENED = range(2, 10)
BACK_IN_REVIEW = range(3, 10)


class DemoBroken(LookupError):
    """The demo's story no longer holds: words it quotes are gone from the chapter, or a step
    did not have the effect the next one relies on."""


@dataclass(frozen=True)
class Cast:
    """The demo people by their e-mail's local part: editor.seesac, customs.rs, border.al, ..."""

    people: dict[str, User]

    @classmethod
    def load(cls) -> Cast:
        users = User.objects.filter(email__endswith="@example.org").select_related("jurisdiction")
        return cls({u.email.split("@")[0]: u for u in users})

    def __getitem__(self, key: str) -> User:
        return self.people[key]


def current(handbook: Handbook, number: int) -> Chapter:
    """The chapter as it is now: every decision makes a new version, so read it again."""
    return handbook.chapters.get(number=number)


def selection(chapter: Chapter, words: str, *, after: str = "") -> anchoring.Anchor:
    """The words as a reader selects them in the page (the first occurrence after `after`)."""
    text = chapter.plain_text()
    origin = text.find(after) if after else 0
    at = text.find(words, max(origin, 0))
    if origin < 0 or at < 0:
        raise DemoBroken(f"Chapter {chapter.number} no longer reads “{words}”.")
    end = at + len(words)
    return locate_selection(
        chapter,
        version=chapter.version,
        exact=words,
        prefix=text[max(0, at - anchoring.CONTEXT) : at],
        suffix=text[end : end + anchoring.CONTEXT],
        start=at,
        end=end,
    )


def comment(
    chapter: Chapter,
    by: User,
    words: str,
    body: str,
    *,
    category: str = Category.GENERAL,
    essential: bool = False,
    visibility: str = Visibility.EVERYONE,
) -> Thread:
    return open_thread(
        chapter,
        by=by,
        anchor=selection(chapter, words),
        body=body,
        visibility=visibility,
        mention_candidates=participants(chapter),
        category=category,
        essential=essential,
    )


def suggest(
    chapter: Chapter,
    by: User,
    words: str,
    replacement: str,
    rationale: str,
    *,
    category: str = Category.EDITORIAL,
) -> Suggestion:
    """A suggestion on words of one paragraph, placed in the Markdown as the suggestion form is."""
    anchor = selection(chapter, words)
    where = sourcemap.source_range(
        chapter.body,
        exact=anchor.quote.exact,
        prefix=anchor.quote.prefix,
        suffix=anchor.quote.suffix,
        start=anchor.start,
    )
    if where.whole_block:
        raise DemoBroken(f"“{words}” crosses formatting in chapter {chapter.number}.")
    return propose(
        chapter,
        by=by,
        anchor=anchor,
        source_start=where.start,
        source_end=where.end,
        whole_block=False,
        replacement=replacement,
        rationale=rationale,
        mention_candidates=participants(chapter),
        category=category,
    )


def reply(thread: Thread, by: User, body: str) -> None:
    add_comment(thread, by=by, body=body, mention_candidates=participants(thread.chapter))


def edited(body: str, *changes: tuple[str, str]) -> str:
    for old, new in changes:
        if old not in body:
            raise DemoBroken(f"The chapter no longer reads “{old}”.")
        body = body.replace(old, new, 1)
    return body


def move(handbook: Handbook, numbers: range, *, to: Status, by: User, note: str = "") -> None:
    for chapter in handbook.chapters.filter(number__in=numbers).order_by("number"):
        review.transition(chapter, to=to, by=by, note=note)


def first_consultation(handbook: Handbook, cast: Cast) -> None:
    """The closed round behind edition 1.0: opened weeks ago, closed now, then published."""
    editor = cast["editor.seesac"]
    now = clock.now()
    consultation = review.open_round(
        handbook=handbook,
        name="First consultation",
        opens_at=now - timedelta(weeks=10),
        closes_at=now + timedelta(hours=1),
        chapters=handbook.chapters.all(),
        jurisdictions=handbook.jurisdictions.all(),
        by=editor,
    )
    chapter = current(handbook, REVIEWED)
    accept(
        suggest(
            chapter,
            cast["customs.rs"],
            "Always check the national list that applies at your post.",
            "Always check the national list that applies at your border crossing point or "
            "customs office.",
            "“Post” reads as the postal service in our translation. Naming the places where "
            "officers work avoids the confusion.",
        ),
        by=editor,
    )
    chapter = current(handbook, REVIEWED)
    advance_data = comment(
        chapter,
        cast["customs.mk"],
        "advance electronic data on parcels",
        "Advance data arrive for only part of the postal traffic. In North Macedonia most "
        "consignments from outside the EU still come with a paper CN 22/23 declaration only; "
        "the text should not suggest that targeting can rely on electronic data alone.",
        category=Category.TECHNICAL,
    )
    photo = comment(
        chapter,
        cast["border.me"],
        "sets of components sold together",
        "A photograph of a typical parts kit, as found in a car at a border crossing point, "
        "would help officers recognise one faster than a description.",
    )
    for chapter_number, who, verdict in [
        (REVIEWED, "border.ba", Verdict.NO_COMMENTS),
        (REVIEWED, "border.me", Verdict.WITH_COMMENTS),
        (REVIEWED, "customs.mk", Verdict.WITH_COMMENTS),
        (REVIEWED, "customs.rs", Verdict.WITH_COMMENTS),
        (REVIEWED, "border.xk", Verdict.NO_COMMENTS),
        (1, "border.rs", Verdict.NO_COMMENTS),
        (1, "customs.mk", Verdict.NO_COMMENTS),
    ]:
        review.sign_off(
            consultation, current(handbook, chapter_number), by=cast[who], verdict=verdict
        )
    cast_vote(
        consultation,
        current(handbook, REVIEWED),
        by=cast["coordinator.al"],
        value=VoteValue.APPROVE,
    )
    review.close_round(
        consultation, by=editor, note="Deadline reached; comments go to consolidation."
    )
    chapters = range(1, handbook.chapters.count() + 1)
    move(handbook, chapters, to=Status.CONSOLIDATION, by=editor)
    dispose(
        advance_data,
        by=editor,
        kind=DispositionKind.NOTED,
        reason="Kept general on purpose: the share of traffic with advance data differs "
        "between jurisdictions and changes quickly. The training annex will cover it.",
    )
    answer(advance_data, by=cast["customs.mk"], kind=AnswerKind.ACCEPTED)
    dispose(
        photo,
        by=editor,
        kind=DispositionKind.DEFERRED,
        reason="Deferred to the second edition: photographs must be cleared for publication "
        "by the agency that made them.",
    )
    move(handbook, chapters, to=Status.APPROVED, by=editor)
    publish(
        handbook=handbook,
        label="1.0",
        date=timezone.localdate(now),
        release_notes="First edition, after the consultation of the border police and customs "
        "services of the six jurisdictions.",
        by=editor,
    )


def reopen_for_workshop(handbook: Handbook, cast: Cast) -> None:
    """After edition 1.0, the chapters of the second edition go back to consolidation and to
    review; the workshop round itself is opened by the command, as it always was."""
    editor = cast["editor.seesac"]
    move(
        handbook,
        REOPENED,
        to=Status.CONSOLIDATION,
        by=editor,
        note="Reopened for the second edition, to be discussed at the regional workshop.",
    )
    move(handbook, BACK_IN_REVIEW, to=Status.IN_REVIEW, by=editor)


def workshop_review(handbook: Handbook, cast: Cast, workshop: Round) -> None:
    """Chapter 3 half-way through the workshop round: what a newcomer should find on opening it."""
    seesac, frontex = cast["editor.seesac"], cast["editor.frontex"]
    chapter = current(handbook, REVIEWED)

    # Open discussion, with replies from several jurisdictions.
    xray = comment(
        chapter,
        cast["border.ba"],
        "Printed components can be difficult to identify on X-ray images",
        "Our officers missed printed polymer frames on single-view X-ray twice this year. "
        "Please add that dual-view or dual-energy images show them better, and that a density "
        "alarm alone will not flag them.",
        category=Category.TECHNICAL,
        essential=True,
    )
    reply(
        xray,
        frontex,
        "@Amir Hadžić agreed in principle. Could you tell us which kinds of scanner your "
        "officers use? We would describe the technique, not a product.",
    )
    reply(
        xray,
        cast["border.ba"],
        "Dual-view, dual-energy scanners at the main road crossings; single-view at the "
        "smaller ones, where these parts are most likely to be missed.",
    )
    reply(
        xray,
        cast["border.rs"],
        "Same experience in Serbia: printed frames show only as faint outlines next to the "
        "metal parts. We support the addition.",
    )
    postal = comment(
        chapter,
        cast["customs.xk"],
        "only a fraction of items can be checked physically",
        "Kosovo Customs would add a sentence on agreements with the postal operator: without "
        "one, targeting depends on the paper declarations alone.",
    )
    reply(
        postal,
        cast["customs.al"],
        "Dakord. Edhe në Shqipëri të dhënat elektronike paraprake na kanë ndihmuar shumë në "
        "përzgjedhjen e dërgesave me rrezik.",
    )
    reply(
        postal,
        seesac,
        "Thank you both. We will propose a sentence on agreements with postal operators for "
        "the workshop.",
    )
    comment(
        chapter,
        frontex,
        "Under Directive (EU) 2021/555",
        "Before the workshop: check with the legal adviser that every jurisdiction has "
        "transposed this list, or say where national law differs.",
        category=Category.TECHNICAL,
        visibility=Visibility.EDITORS,
    )

    # Suggestions still waiting for a decision.
    suggest(
        chapter,
        cast["customs.mk"],
        "hand tools or a small milling machine",
        "hand tools, a drill press or a small desktop CNC milling machine",
        "Desktop CNC mills sold for hobby use are what we find in workshop seizures; officers "
        "should recognise them in consignments too.",
        category=Category.TECHNICAL,
    )
    suggest(
        chapter,
        cast["border.rs"],
        "Check the sender and consignee against previous seizures",
        "Check the sender, the consignee and the delivery address against previous seizures",
        "Consignees change names from one shipment to the next; the delivery address is often "
        "the only constant.",
        category=Category.TECHNICAL,
    )

    # Two suggestions on the same words, from two jurisdictions: the first accepted makes the
    # other conflicted.
    focal_point = suggest(
        chapter,
        cast["border.me"],
        "inform the competent unit before the parcel is opened further",
        "inform the national firearms focal point before the parcel is opened further",
        "Every jurisdiction in the region has designated a firearms focal point; naming it "
        "tells the officer whom to call.",
        category=Category.TECHNICAL,
    )
    investigations = suggest(
        chapter,
        cast["customs.al"],
        "inform the competent unit before the parcel is opened further",
        "inform the customs investigation service before the parcel is opened further",
        "In Albania a find in the postal channel goes to the customs investigation service first.",
        category=Category.TECHNICAL,
    )
    locker = suggest(
        chapter,
        cast["customs.me"],
        "several small consignments to the same address",
        "several small consignments to the same address or parcel locker",
        "Parcel lockers are used more and more to avoid naming a consignee.",
        category=Category.TECHNICAL,
    )
    misdeclared = suggest(
        chapter,
        cast["border.xk"],
        "Components are small, light and easy to hide",
        "Components are small, light, easy to hide and often declared as spare parts, tools "
        "or hobby items",
        "Officers should connect this section with the misdeclarations listed above.",
    )
    generally = suggest(
        chapter,
        cast["customs.ba"],
        "are generally not essential components under EU law",
        "are not essential components under EU law",
        "“Generally” invites discussion at the counter; state the rule.",
    )
    orphan = comment(
        chapter,
        cast["customs.rs"],
        "Note repeated shipments with similar descriptions from the same online seller.",
        "In practice this repeats step 3: the online seller is the sender. Could the two "
        "steps be merged?",
        category=Category.EDITORIAL,
    )
    lowers = comment(
        chapter,
        cast["customs.mk"],
        "blocks of aluminium or polymer with pre-marked drilling points",
        "These are sold and declared as “80% lowers” or “80% frames”. Please add the terms, so "
        "that officers recognise them in declarations and online listings.",
        category=Category.TECHNICAL,
    )

    # The editors' decisions so far.
    accept(locker, by=seesac)
    accept(
        misdeclared,
        by=seesac,
        replacement="Components are small, light, easy to hide and easy to misdeclare",
        reason="Shortened: the usual false descriptions are already listed under parts kits.",
    )
    reject(
        generally,
        by=seesac,
        reason="The qualification is needed: some national laws in the region also list "
        "magazines and sound moderators, as the next sentence says.",
    )
    reply(
        generally.thread,
        cast["customs.ba"],
        "Understood. Then please keep the next sentence as it is, so that officers check "
        "their national list.",
    )
    accept(focal_point, by=seesac)
    investigations.refresh_from_db()
    if investigations.status != SuggestionStatus.CONFLICTED:
        raise DemoBroken("Albania's suggestion should conflict with Montenegro's, accepted first.")
    reply(
        investigations.thread,
        seesac,
        "This now conflicts with Montenegro's change, accepted first. We will bring wording "
        "that names both the focal point and customs investigations to the workshop.",
    )
    chapter = current(handbook, REVIEWED)
    chapter.revise(
        body=edited(
            chapter.body,
            (
                "pre-marked drilling points, jigs and templates;",
                "pre-marked drilling points, jigs and templates, often advertised as "
                "“80% lowers” or “80% frames”;",
            ),
            (
                "4. Note repeated shipments with similar descriptions from the same online "
                "seller.\n5. ",
                "4. ",
            ),
        ),
        by=seesac,
        reason="Workshop comments: “80% lowers” added to the indicators; screening step 4 "
        "removed, as step 3 covers the seller",
        base_version=chapter.version,
    )
    dispose(
        lowers,
        by=seesac,
        kind=DispositionKind.ACCEPTED,
        reason="Added to the list of indicators.",
    )
    reply(
        orphan,
        seesac,
        "Agreed: step 4 is removed in the latest version, as the seller is checked as the "
        "sender in step 3.",
    )

    # Sign-offs so far, and Albania's coordinator's vote (Albania votes instead of signing off).
    for number, who, verdict in [
        (REVIEWED, "customs.ba", Verdict.WITH_COMMENTS),
        (REVIEWED, "border.me", Verdict.WITH_COMMENTS),
        (4, "border.xk", Verdict.NO_COMMENTS),
        (4, "customs.rs", Verdict.NO_COMMENTS),
    ]:
        review.sign_off(workshop, current(handbook, number), by=cast[who], verdict=verdict)
    cast_vote(
        workshop,
        current(handbook, REVIEWED),
        by=cast["coordinator.al"],
        value=VoteValue.APPROVE_WITH_COMMENTS,
        reason="Albania approves, subject to the customs investigation service being named.",
    )

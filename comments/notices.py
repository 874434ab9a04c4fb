"""Who hears of what on the comments floor: replies and mentions in a thread, and what became of a
suggestion. A person is only told of (and only e-mailed the words of) a thread they may open.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import partial

from django.db.models import Count
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from chapters.models import Edition
from comments.models import (
    Answer,
    AnswerKind,
    Comment,
    Decision,
    Disposition,
    DispositionKind,
    Kind,
    Position,
    PositionKind,
    Suggestion,
    Thread,
    Visibility,
    Vote,
)
from comments.policies import ballots, dispositions, reports, threads
from handbook_review.languages import speaking
from handbook_review.notifications.delivery import (
    excerpt,
    first_lines,
    forget_words,
    notify,
    quoted,
    store,
)
from handbook_review.notifications.models import Event, Notification
from handbook_review.people.models import Jurisdiction, User


def thread_url(thread: Thread) -> str:
    return f"{thread.chapter.get_absolute_url()}?thread={thread.pk}#thread-{thread.pk}"


def quote_of(thread: Thread) -> str:
    """The words of the chapter a thread is on, cut short; for an insertion, the words either
    side of the point, as the chapter page shows it."""
    if thread.exact.strip():
        return quoted(thread.exact)
    return quoted(f"…{thread.prefix[-40:]}‸{thread.suffix[:40]}…")


def words_of(thread: Thread) -> str:
    """What an item says, for a notice about it: a suggestion's proposed text (its rationale
    when it only deletes), a comment's first comment; nothing once that is deleted or hidden.
    One query (two for a suggestion that deletes)."""
    if thread.kind == Kind.SUGGESTION:
        proposed = (
            Suggestion.objects.filter(thread=thread).values_list("replacement", flat=True).first()
        )
        if proposed:
            return proposed
    first = thread.comments.order_by("created_at", "pk").first()
    if first is None or first.deleted_at is not None or first.is_hidden:
        return ""
    return first.body


def item_line(thread: Thread) -> str:
    """ "Comment #12, about: “the words”": which item, by the number its page gives it."""
    return _("%(item)s, about: “%(quote)s”") % {"item": thread.label, "quote": quote_of(thread)}


# --- Comments: replies and mentions


def notify_comment(comment: Comment) -> list[Notification]:
    """Tell the thread's people of a new comment, and those it mentions; never its author.

    Thread participants are its author and the authors of the comments before this one; each is
    told only if they may still see the thread (an editors-only thread reaches editors and its
    author). Someone who is both replied to and mentioned gets one notification saying both.
    """
    comment = Comment.objects.select_related("author", "thread__chapter__handbook").get(
        pk=comment.pk
    )
    thread = comment.thread
    earlier = set(
        thread.comments.shown().filter(pk__lt=comment.pk).values_list("author_id", flat=True)
    )
    participants = {thread.author_id} | earlier
    mentioned = set(comment.mentions.values_list("pk", flat=True))
    candidates = (participants | mentioned) - {comment.author_id}
    rows = []
    # One query for all: the people the policy lets see the thread, among the candidates.
    told = threads.users_who_can("view", thread).filter(pk__in=candidates)
    for person in told.select_related("jurisdiction"):
        reasons: list[Event] = []
        if person.pk in participants:
            reasons.append(Event.REPLY)
        if person.pk in mentioned:
            reasons.append(Event.MENTION)
        with speaking(person):
            rows.append(comment_notice(comment, person, reasons))
    return store(rows)


def forget_comment(comment: Comment) -> None:
    """A comment deleted by its author or hidden by an editor: the notifications of it no
    longer show its words (those of notices about its thread, made from it, stay)."""
    forget_words(f"comment:{comment.pk}")


def comment_notice(comment: Comment, person: User, reasons: list[Event]) -> Notification:
    """The notification of a new comment for one person, in the active language."""
    thread = comment.thread
    chapter = thread.chapter
    author = comment.author
    what = _("suggestion") if thread.kind == Kind.SUGGESTION else _("thread")
    where = _("“%(chapter)s” in %(handbook)s") % {"chapter": chapter, "handbook": chapter.handbook}
    if reasons == [Event.REPLY]:
        subject = _("%(author)s replied on %(where)s")
        opening = _("%(author)s (%(affiliation)s) replied in a %(what)s you take part in.")
    elif reasons == [Event.MENTION]:
        subject = _("%(author)s mentioned you on %(where)s")
        opening = _("%(author)s (%(affiliation)s) mentioned you in a %(what)s.")
    else:
        subject = _("%(author)s mentioned you in a reply on %(where)s")
        opening = _(
            "%(author)s (%(affiliation)s) replied in a %(what)s you take part in,"
            " and mentioned you."
        )
    names = {"author": author.name, "affiliation": author.affiliation, "what": what, "where": where}
    return Notification(
        recipient=person,
        event=Event.MENTION if Event.MENTION in reasons else Event.REPLY,
        reasons=[str(reason) for reason in reasons],
        key=f"comment:{comment.pk}",
        subject=subject % names,
        body="\n\n".join(
            [
                opening % names,
                _("%(item)s on %(where)s, about: “%(quote)s”")
                % {"item": thread.label, "where": where, "quote": quote_of(thread)},
                excerpt(comment.body),
            ]
        ),
        about=thread.label,
        quote=quote_of(thread),
        said=first_lines(comment.body),
        url=thread_url(thread),
    )


# --- Decisions on suggestions

DECIDED = {
    Decision.Kind.ACCEPTED: gettext_lazy("Your suggestion on %(chapter)s was accepted"),
    Decision.Kind.MODIFIED: gettext_lazy(
        "Your suggestion on %(chapter)s was accepted with changes"
    ),
    Decision.Kind.REJECTED: gettext_lazy("Your suggestion on %(chapter)s was rejected"),
    Decision.Kind.WITHDRAWN: gettext_lazy("Your suggestion on %(chapter)s was withdrawn"),
    Decision.Kind.CONFLICTED: gettext_lazy(
        "Your suggestion on %(chapter)s conflicts with a later change"
    ),
    Decision.Kind.REOPENED: gettext_lazy(
        "Your suggestion on %(chapter)s was reopened: its decision was undone"
    ),
}


def notify_decision(decision: Decision) -> list[Notification]:
    """Tell the proposer what became of their suggestion, with the reason given.

    Not when the proposer made the decision themselves (withdrawing, or an editor deciding on
    their own suggestion). A conflict is decided by no one: the proposer learns that an editor
    will have to decide against the changed text.
    """
    decision = Decision.objects.select_related(
        "by", "suggestion__thread__author", "suggestion__thread__chapter__handbook"
    ).get(pk=decision.pk)
    thread = decision.suggestion.thread
    proposer = thread.author
    if decision.by_id == proposer.pk or not threads.can_see(proposer, thread):
        return []
    return notify(
        [proposer],
        event=Event.DECISION,
        key=f"decision:{decision.pk}",
        compose=partial(decision_text, decision),
        about=lambda: thread.label,
        quote=quote_of(thread),
        said=decision.suggestion.replacement or words_of(thread),
        url=thread_url(thread),
    )


def decision_text(decision: Decision) -> tuple[str, str]:
    chapter = decision.suggestion.thread.chapter
    subject = DECIDED[Decision.Kind(decision.kind)] % {"chapter": f"“{chapter}”"}
    lines = [f"{subject}."]
    if decision.by is not None:
        lines[0] = _("%(subject)s by %(editor)s.") % {"subject": subject, "editor": decision.by}
    lines.append(item_line(decision.suggestion.thread))
    if decision.kind == Decision.Kind.CONFLICTED:
        lines.append(
            _(
                "The words it replaces were changed since you made it; "
                "an editor will decide on it against the current text."
            )
        )
    if decision.kind == Decision.Kind.MODIFIED:
        lines.append(_("The text as accepted:") + "\n" + excerpt(decision.applied_text))
    if decision.reason:
        lines.append(_("Reason:") + "\n" + excerpt(decision.reason))
    disposition = Disposition.objects.filter(decision=decision).first()
    if disposition is not None:
        lines.append(
            _("Disposition: %(kind)s.") % {"kind": disposition.get_kind_display()}
            + " "
            + _("You may accept or contest it while the chapter is in consolidation.")
        )
    lines.append(_("You proposed:") + "\n" + excerpt(decision.suggestion.replacement or "—"))
    return str(subject), "\n\n".join(lines)


# --- Dispositions and the answers to them


def disposition_lines(disposition: Disposition) -> list[str]:
    thread = disposition.thread
    lines = [
        _("%(item)s on “%(chapter)s”, about: “%(quote)s”")
        % {"item": thread.label, "chapter": thread.chapter, "quote": quote_of(thread)},
        _("Disposition: %(kind)s (%(editor)s).")
        % {"kind": disposition.get_kind_display(), "editor": disposition.by},
    ]
    if disposition.reason:
        lines.append(_("Editors' observation:") + "\n" + excerpt(disposition.reason))
    if disposition.applied_text:
        lines.append(_("The text as applied:") + "\n" + excerpt(disposition.applied_text))
    return lines


def notify_disposition(disposition: Disposition) -> list[Notification]:
    """Tell the thread's author of its disposition (a revised one too: it is a new row).

    Not when the author gave it themselves, nor when they may no longer see the thread.
    """
    disposition = Disposition.objects.select_related(
        "by", "thread__author", "thread__chapter__handbook"
    ).get(pk=disposition.pk)
    thread = disposition.thread
    author = thread.author
    if disposition.by_id == author.pk or not threads.can_see(author, thread):
        return []
    revised = disposition.replaces_id is not None

    def compose() -> tuple[str, str]:
        subject = (
            _("The disposition of your comment on “%(chapter)s” was revised")
            if revised
            else _("Your comment on “%(chapter)s” has its disposition")
        ) % {"chapter": thread.chapter}
        lines = [
            *disposition_lines(disposition),
            _("You may accept or contest it while the chapter is in consolidation."),
        ]
        return subject, "\n\n".join(lines)

    return notify(
        [author],
        event=Event.DISPOSITION,
        key=f"disposition:{disposition.pk}",
        compose=compose,
        about=lambda: thread.label,
        quote=quote_of(thread),
        said=words_of(thread),
        url=thread_url(thread),
    )


def notify_dispositions(given: list[Disposition]) -> list[Notification]:
    """A bulk disposition run: one notification per author listing all of theirs, keyed by the
    run's first and last rows (a repeat of the run's notice is harmless, a new run is new)."""
    if not given:
        return []
    rows = list(
        Disposition.objects.filter(pk__in=[d.pk for d in given])
        .select_related("by", "thread__author", "thread__chapter__handbook")
        .order_by("pk")
    )
    key = f"dispositions:{rows[0].pk}-{rows[-1].pk}"
    per_author: dict[int, list[Disposition]] = {}
    for row in rows:
        if row.by_id != row.thread.author_id:
            per_author.setdefault(row.thread.author_id, []).append(row)
    # Who may see which thread: one visibility query per author, not per thread.
    notices = []
    for rows_of in per_author.values():
        author = rows_of[0].thread.author
        seen = (
            set(
                threads.visible_to(author)
                .filter(pk__in=[row.thread_id for row in rows_of])
                .values_list("pk", flat=True)
            )
            if author.is_active
            else set()
        )
        shown = [row for row in rows_of if row.thread_id in seen]
        if not shown:
            continue
        with speaking(author):
            subject = ngettext(
                "%(n)d of your comments has its disposition",
                "%(n)d of your comments have their disposition",
                len(shown),
            ) % {"n": len(shown)}
            body = ["\n\n".join(disposition_lines(row)) for row in shown]
            body.append(_("You may accept or contest them while the chapter is in consolidation."))
            about = Truncator(", ".join(row.thread.label for row in shown)).chars(100)
        # One item: its words, as a single disposition's notice has them; more: their numbers.
        one = shown[0].thread if len(shown) == 1 else None
        notices.append(
            Notification(
                recipient=author,
                event=Event.DISPOSITION,
                reasons=[Event.DISPOSITION.value],
                key=key,
                subject=subject,
                body="\n\n---\n\n".join(body),
                about=about,
                quote=quote_of(one) if one is not None else "",
                said=first_lines(words_of(one)) if one is not None else "",
                url=thread_url(shown[0].thread),
            )
        )
    return store(notices)


def notify_answer(answer: Answer) -> list[Notification]:
    """Tell the editors who gave the thread's dispositions, or who took part in it, of the
    commenter's answer (a contested one above all: it goes on the next round's agenda)."""
    answer = Answer.objects.select_related(
        "by", "disposition__by", "disposition__thread__chapter__handbook"
    ).get(pk=answer.pk)
    disposition = answer.disposition
    thread = disposition.thread
    involved = set(Disposition.objects.filter(thread=thread).values_list("by", flat=True))
    involved |= set(thread.comments.values_list("author", flat=True))
    involved.discard(answer.by_id)
    told = dispositions.users_who_can("dispose", thread).filter(pk__in=involved)
    contested = answer.kind == AnswerKind.CONTESTED

    def compose() -> tuple[str, str]:
        subject = (
            _("%(who)s contests the disposition of a comment on “%(chapter)s”")
            if contested
            else _("%(who)s accepts the disposition of a comment on “%(chapter)s”")
        ) % {"who": answer.by.name, "chapter": thread.chapter}
        lines = disposition_lines(disposition)
        if answer.reason:
            lines.append(_("Their reason:") + "\n" + excerpt(answer.reason))
        return subject, "\n\n".join(lines)

    return notify(
        told,
        event=Event.ANSWER,
        key=f"answer:{answer.pk}",
        compose=compose,
        about=lambda: thread.label,
        quote=quote_of(thread),
        said=words_of(thread),
        url=thread_url(thread),
    )


# --- A coordinator's consolidation and the jurisdiction's vote


def notify_position(position: Position) -> list[Notification]:
    """Tell the author that their coordinator held their comment back (and why) or merged it
    into another; not when the coordinator consolidated their own comment."""
    position = Position.objects.select_related(
        "by", "into", "thread__author", "thread__chapter__handbook"
    ).get(pk=position.pk)
    thread = position.thread
    author = thread.author
    if position.by_id == author.pk or not threads.can_see(author, thread):
        return []

    def compose() -> tuple[str, str]:
        names = {"chapter": f"“{thread.chapter}”", "coordinator": position.by}
        if position.kind == PositionKind.INTERNAL:
            subject = _("Your comment on %(chapter)s was held back as internal") % names
            opening = _(
                "%(coordinator)s, your jurisdiction's coordinator, held your comment back: it stays"
                " within your jurisdiction and does not go to the editors."
            )
        else:
            subject = _("Your comment on %(chapter)s was merged into another") % names
            opening = _(
                "%(coordinator)s, your jurisdiction's coordinator, merged your comment into another"
                " that says the same: that one speaks for both."
            )
        lines = [opening % names, item_line(thread)]
        if position.into is not None:
            lines.append(
                _("Merged into %(item)s: %(url)s")
                % {"item": position.into.label, "url": thread_url(position.into)}
            )
        if position.reason:
            lines.append(_("Reason:") + "\n" + excerpt(position.reason))
        return subject, "\n\n".join(lines)

    return notify(
        [author],
        event=Event.POSITION,
        key=f"position:{position.pk}",
        compose=compose,
        about=lambda: thread.label,
        quote=quote_of(thread),
        said=words_of(thread),
        url=thread_url(thread),
    )


def notify_vote(vote: Vote) -> list[Notification]:
    """Tell the editors of the chapter how a jurisdiction voted on it: one notice per vote."""
    vote = Vote.objects.select_related("by", "jurisdiction", "chapter__handbook", "round").get(
        pk=vote.pk
    )
    chapter = vote.chapter

    def compose() -> tuple[str, str]:
        names = {
            "jurisdiction": vote.jurisdiction.name,
            "value": vote.get_value_display(),
            "chapter": f"“{chapter}”",
            "round": vote.round.name,
            "coordinator": vote.by,
        }
        subject = _("%(jurisdiction)s: %(value)s on %(chapter)s") % names
        lines = [_("%(coordinator)s voted for %(jurisdiction)s in %(round)s.") % names]
        essentials = list(vote.essentials.order_by("pk"))
        if essentials:
            lines.append(
                _("The essential comments behind the disapproval:")
                + "\n"
                + "\n".join(f"{t.label} “{quote_of(t)}”" for t in essentials)
            )
        if vote.reason:
            lines.append(_("Reason:") + "\n" + excerpt(vote.reason))
        return str(subject), "\n\n".join(lines)

    return notify(
        ballots.told_of_votes(chapter),
        event=Event.VOTE,
        key=f"vote:{vote.pk}",
        compose=compose,
        said=vote.reason,
        url=chapter.get_absolute_url(),
    )


# --- The disposition report, to the coordinators, when an edition is published


def on_edition_published(sender: object, *, edition: Edition, **kwargs: object) -> None:
    notify_jurisdiction_reports(edition)


def notify_jurisdiction_reports(edition: Edition) -> list[Notification]:
    """Tell the coordinators of each jurisdiction that commented in the making of the edition
    what became of their comments: the counts per disposition, how many they contested, and a
    link to their jurisdiction's report (comments:jurisdiction_report_xlsx), which they may
    download. Counted over the threads everyone taking part may see, coordinators' internal
    ones left out, as the report does; one notification per person and jurisdiction's report.
    """
    from comments.reports.disposition import Scope

    edition = Edition.objects.select_related("handbook", "previous").get(pk=edition.pk)
    scope = Scope.of_edition(edition)
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    contested: Counter[int] = Counter()
    for row in (
        Thread.objects.filter(chapter__handbook=edition.handbook, visibility=Visibility.EVERYONE)
        .filter(scope.threads())
        .exclude(position=PositionKind.INTERNAL)
        .exclude(author_jurisdiction=None)
        .values("author_jurisdiction", "disposition__kind", "answer")
        .annotate(n=Count("pk"))
    ):
        counts[row["author_jurisdiction"]][row["disposition__kind"] or ""] += row["n"]
        if row["answer"] == AnswerKind.CONTESTED:
            contested[row["author_jurisdiction"]] += row["n"]
    told: list[Notification] = []
    for jurisdiction in Jurisdiction.objects.filter(pk__in=counts).order_by("name"):
        people = list(reports.coordinators(jurisdiction))
        if not people:
            continue
        told += notify(
            people,
            event=Event.EDITION_PUBLISHED,
            key=f"edition-report:{edition.pk}:{jurisdiction.code}",
            compose=partial(
                report_text,
                edition,
                jurisdiction,
                counts[jurisdiction.pk],
                contested[jurisdiction.pk],
            ),
            url=reverse(
                "comments:jurisdiction_report_xlsx", args=[edition.handbook.slug, jurisdiction.code]
            )
            + f"?edition={edition.pk}",
        )
    return told


def report_text(
    edition: Edition, jurisdiction: Jurisdiction, found: Counter[str], contested: int
) -> tuple[str, str]:
    """What became of a jurisdiction's comments in an edition's making, in the active language."""
    labels = dict(DispositionKind.choices)
    names = {
        "jurisdiction": jurisdiction.name,
        "label": edition.label,
        "title": edition.title,
        "n": found.total(),
    }
    lines = [
        _(
            "Edition %(label)s of “%(title)s” is published. %(jurisdiction)s made "
            "%(n)s comments and suggestions in its making; this is what became of them:"
        )
        % names
    ]
    lines += [f"- {labels[kind]}: {found[kind]}" for kind in labels if found[kind]]
    if found[""]:
        lines.append(f"- {_('No disposition')}: {found['']}")
    if contested:
        lines.append(_("%(n)s of the dispositions were contested.") % {"n": contested})
    lines.append(_("The report lists each comment with the editors' observation."))
    subject = (
        _("What happened to %(jurisdiction)s's comments: edition %(label)s of “%(title)s”") % names
    )
    return subject, "\n".join(lines)

"""Who hears of what on the comments floor: replies and mentions in a thread, and what became of a
suggestion. A person is only told of (and only e-mailed the words of) a thread they may open.
"""

from __future__ import annotations

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comments.models import Comment, Decision, Kind, Position, PositionKind, Thread, Vote
from comments.policies import ballots, threads
from handbook_review.notifications.delivery import excerpt, store
from handbook_review.notifications.models import Event, Notification


def thread_url(thread: Thread) -> str:
    return f"{thread.chapter.get_absolute_url()}?thread={thread.pk}#thread-{thread.pk}"


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
    chapter = thread.chapter
    what = _("suggestion") if thread.kind == Kind.SUGGESTION else _("thread")
    where = _("“%(chapter)s” in %(handbook)s") % {"chapter": chapter, "handbook": chapter.handbook}
    author = comment.author
    rows = []
    # One query for all: the people the policy lets see the thread, among the candidates.
    told = threads.users_who_can("view", thread).filter(pk__in=candidates)
    for person in told.select_related("jurisdiction"):
        reasons = []
        if person.pk in participants:
            reasons.append(Event.REPLY)
        if person.pk in mentioned:
            reasons.append(Event.MENTION)
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
        names = {
            "author": author.name,
            "affiliation": author.affiliation,
            "what": what,
            "where": where,
        }
        rows.append(
            Notification(
                recipient=person,
                event=Event.MENTION if Event.MENTION in reasons else Event.REPLY,
                reasons=[str(reason) for reason in reasons],
                key=f"comment:{comment.pk}",
                subject=subject % names,
                body="\n\n".join(
                    [
                        opening % names,
                        _("On %(where)s, about: “%(quote)s”")
                        % {"where": where, "quote": Truncator(thread.exact).chars(120)},
                        excerpt(comment.body),
                    ]
                ),
                url=thread_url(thread),
            )
        )
    return store(rows)


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
    chapter = thread.chapter
    subject = DECIDED[Decision.Kind(decision.kind)] % {"chapter": f"“{chapter}”"}
    lines = [f"{subject}."]
    if decision.by is not None:
        lines[0] = _("%(subject)s by %(editor)s.") % {"subject": subject, "editor": decision.by}
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
    lines.append(_("You proposed:") + "\n" + excerpt(decision.suggestion.replacement or "—"))
    return store(
        [
            Notification(
                recipient=proposer,
                event=Event.DECISION,
                reasons=[Event.DECISION.value],
                key=f"decision:{decision.pk}",
                subject=subject,
                body="\n\n".join(lines),
                url=thread_url(thread),
            )
        ]
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
    lines = [
        opening % names,
        _("About: “%(quote)s”") % {"quote": Truncator(thread.exact).chars(120)},
    ]
    if position.into is not None:
        lines.append(_("Merged into: %(url)s") % {"url": thread_url(position.into)})
    if position.reason:
        lines.append(_("Reason:") + "\n" + excerpt(position.reason))
    return store(
        [
            Notification(
                recipient=author,
                event=Event.POSITION,
                reasons=[Event.POSITION.value],
                key=f"position:{position.pk}",
                subject=subject,
                body="\n\n".join(lines),
                url=thread_url(thread),
            )
        ]
    )


def notify_vote(vote: Vote) -> list[Notification]:
    """Tell the editors of the chapter how a jurisdiction voted on it: one notice per vote."""
    vote = Vote.objects.select_related("by", "jurisdiction", "chapter__handbook", "round").get(
        pk=vote.pk
    )
    chapter = vote.chapter
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
            + "\n".join(f"#{t.pk} “{Truncator(t.exact).chars(80)}”" for t in essentials)
        )
    if vote.reason:
        lines.append(_("Reason:") + "\n" + excerpt(vote.reason))
    body = "\n\n".join(lines)
    return store(
        [
            Notification(
                recipient=person,
                event=Event.VOTE,
                reasons=[Event.VOTE.value],
                key=f"vote:{vote.pk}",
                subject=subject,
                body=body,
                url=chapter.get_absolute_url(),
            )
            for person in ballots.told_of_votes(chapter)
        ]
    )

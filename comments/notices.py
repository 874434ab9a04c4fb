"""Who hears of what on the comments floor: replies and mentions in a thread, and what became of a
suggestion. A person is only told of (and only e-mailed the words of) a thread they may open.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import Count
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chapters.models import Edition
from comments.models import (
    AnswerKind,
    Comment,
    Decision,
    DispositionKind,
    Kind,
    PositionKind,
    Thread,
    Visibility,
)
from comments.policies import reports, threads
from handbook_review.notifications.delivery import excerpt, notify, store
from handbook_review.notifications.models import Event, Notification
from handbook_review.people.models import Jurisdiction


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
    labels = dict(DispositionKind.choices)
    told: list[Notification] = []
    for jurisdiction in Jurisdiction.objects.filter(pk__in=counts).order_by("name"):
        people = list(reports.coordinators(jurisdiction))
        if not people:
            continue
        found = counts[jurisdiction.pk]
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
        if contested[jurisdiction.pk]:
            lines.append(
                _("%(n)s of the dispositions were contested.") % {"n": contested[jurisdiction.pk]}
            )
        lines.append(_("The report lists each comment with the editors' observation."))
        url = (
            reverse(
                "comments:jurisdiction_report_xlsx",
                args=[edition.handbook.slug, jurisdiction.code],
            )
            + f"?edition={edition.pk}"
        )
        told += notify(
            people,
            event=Event.EDITION_PUBLISHED,
            key=f"edition-report:{edition.pk}:{jurisdiction.code}",
            subject=_(
                "What happened to %(jurisdiction)s's comments: edition %(label)s of “%(title)s”"
            )
            % names,
            body="\n".join(lines),
            url=url,
        )
    return told

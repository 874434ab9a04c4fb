"""Existing threads get a type (suggestions: editorial; comments: general, the field's default),
the round their author commented through, and, for suggestions already decided, the disposition
their decision is (accepted, accepted with modification, not accepted with its reason)."""

from django.db import migrations

DISPOSITION_OF = {"accepted": "accepted", "modified": "modified", "rejected": "not_accepted"}
EDITORS = ("Editor", "Administrator")


def forwards(apps, schema_editor):
    Thread = apps.get_model("comments", "Thread")
    Decision = apps.get_model("comments", "Decision")
    Disposition = apps.get_model("comments", "Disposition")
    Round = apps.get_model("chapters", "Round")
    User = apps.get_model("people", "User")

    Thread.objects.filter(kind="suggestion").update(category="editorial")

    editors = set(
        User.objects.filter(groups__name__in=EDITORS).values_list("pk", flat=True)
    ) | set(User.objects.filter(is_superuser=True).values_list("pk", flat=True))
    for thread in Thread.objects.filter(author_jurisdiction__isnull=False).exclude(
        author_id__in=editors
    ):
        found = (
            Round.objects.filter(
                chapters=thread.chapter_id,
                jurisdictions=thread.author_jurisdiction_id,
                opens_at__lte=thread.created_at,
                closes_at__gt=thread.created_at,
            )
            .order_by("-closes_at", "-pk")
            .first()
        )
        if found is not None:
            Thread.objects.filter(pk=thread.pk).update(round=found)

    decisions = Decision.objects.filter(kind__in=DISPOSITION_OF, by__isnull=False).order_by(
        "at", "pk"
    )
    for decision in decisions.select_related("suggestion"):
        disposition = Disposition.objects.create(
            thread_id=decision.suggestion.thread_id,
            kind=DISPOSITION_OF[decision.kind],
            reason=decision.reason,
            applied_text=decision.applied_text if decision.kind == "modified" else "",
            decision=decision,
            version=decision.version,
            by_id=decision.by_id,
        )
        # The stamp is the decision's own time, not the migration's.
        Disposition.objects.filter(pk=disposition.pk).update(at=decision.at)
        Thread.objects.filter(pk=decision.suggestion.thread_id).update(disposition=disposition)


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0004_dispositions_and_ballots"),
        ("chapters", "0007_stamps_from_the_one_clock"),
        ("people", "0005_stamps_from_the_one_clock"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

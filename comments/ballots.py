"""What the chapters floor asks of the jurisdictions' votes: the round page shows them in place
of the sign-off for jurisdictions that have a coordinator (chapters cannot look here itself)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from chapters.models import Round
from chapters.signals import round_votes
from comments.models import Vote


@receiver(round_votes, dispatch_uid="comments.round_votes")
def standing_votes(
    sender: Any, *, round: Round, **kwargs: Any
) -> dict[tuple[int, int], tuple[str, str, datetime]]:
    """The round's standing votes by chapter and jurisdiction: one query."""
    return {
        (vote.chapter_id, vote.jurisdiction_id): (vote.get_value_display(), str(vote.by), vote.at)
        for vote in Vote.objects.filter(round=round, superseded_at__isnull=True).select_related(
            "by"
        )
    }

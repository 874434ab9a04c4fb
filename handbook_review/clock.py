"""The one clock of the review process: rounds open and close by it, records are stamped with it.

Tests move it (`clock.frozen(at)` / the `clock` fixture) instead of sleeping or patching Django.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.utils import timezone

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else timezone.now()


def set_to(at: datetime | None) -> None:
    """Stop the clock at `at` (aware datetime), or let it run again with None."""
    global _frozen
    if at is not None and timezone.is_naive(at):
        raise ValueError("The clock takes aware datetimes.")
    _frozen = at


def advance(by: timedelta) -> datetime:
    set_to(now() + by)
    return now()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    previous = _frozen
    set_to(at)
    try:
        yield
    finally:
        set_to(previous)

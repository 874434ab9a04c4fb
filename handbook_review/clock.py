"""The one clock of the review process: rounds open and close by it, records are stamped with it.

It is Django's clock, read in one place so that every domain timestamp comes from the same
source. Tests move it with time-machine (the `clock` fixture in tests/conftest.py), which moves
every clock the application and Django read, not only this one.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()

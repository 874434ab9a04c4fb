"""The one clock of the review process: rounds open and close by it, records are stamped with it.

It is Django's clock, read in one place so that every domain timestamp comes from the same
source. Tests move it with time-machine (the `clock` fixture in tests/conftest.py), which moves
every clock the application and Django read, not only this one.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone


def now() -> datetime:
    return timezone.now()


class Stamp(models.DateTimeField):
    """A DateTimeField whose auto_now and auto_now_add read the one clock.

    (A historical copy made by django-simple-history turns both off, so history rows keep the
    stamps of the record they copy.)
    """

    def pre_save(self, model_instance: models.Model, add: bool) -> datetime:
        if self.auto_now or (self.auto_now_add and add):
            value = now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

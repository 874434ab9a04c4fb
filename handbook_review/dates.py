"""Dates on the pages, as the reader's language writes them, in the region's time zone.

Template filters available in every template (a builtin library, settings.TEMPLATES):
`{{ moment|moment }}` ("3 December 2026, 15:40 CET", "3. decembar 2026. 15:40 CET") and
`{{ day|day }}`. One format per kind, from the locale (handbook_review/formats/ where Django's
is missing or US-style), so every page writes dates the same way.
"""

from __future__ import annotations

import datetime

from django import template
from django.utils import formats, timezone

register = template.Library()


@register.filter
def moment(value: datetime.datetime | None) -> str:
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.strftime('%Z')}".strip()


@register.filter
def day(value: datetime.date | datetime.datetime | None) -> str:
    if not value:
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATE_FORMAT")

"""Montenegrin writes dates and numbers as Serbian (Latin) does."""

from django.conf.locale.sr_Latn.formats import *  # noqa: F403

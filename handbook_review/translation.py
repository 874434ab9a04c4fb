"""Translation and localisation for the pure text and document engines: the one part of Django
they may use, through this one door, so that the "pure" import contract (pyproject.toml) can
forbid them the rest of Django, the models and the views, directly and through other modules.

`override` lets an export speak the handbook's language whatever the reader's interface says;
`date_format` writes a date as the active language does.
"""

from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy, ngettext, override

__all__ = ["date_format", "gettext", "gettext_lazy", "ngettext", "override"]

"""Translation for the pure text and document engines: the one part of Django they may use,
through this one door, so that the "pure" import contract (pyproject.toml) can forbid them the
rest of Django, the models and the views, directly and through other modules.
"""

from django.utils.translation import gettext, gettext_lazy, ngettext

__all__ = ["gettext", "gettext_lazy", "ngettext"]

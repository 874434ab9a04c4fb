from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Running the app: the shared cache's table, health, response headers, backup and restore.

    A ground floor: it knows no domain (it imports neither chapters nor comments)."""

    name = "handbook_review.ops"
    label = "ops"
    verbose_name = _("Operations")

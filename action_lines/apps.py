from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActionLinesConfig(AppConfig):
    name = "action_lines"
    verbose_name = _("WSIS Action Lines")

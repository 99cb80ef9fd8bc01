from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Stakeholder reports")

    def ready(self) -> None:
        from django.db import models

        from .admin.lookups import AnyOf

        models.IntegerField.register_lookup(AnyOf)  # the auto fields (primary keys) are IntegerFields
